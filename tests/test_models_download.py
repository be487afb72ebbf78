"""`models download` against a local HTTP server: good, corrupt, mis-summed, unsafe and interrupted archives."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voice_assistant.cli import main

MODEL_FILES = {"am/final.mdl": b"acoustic model " * 4000, "conf/mfcc.conf": b"--use-energy=false\n"}


def zip_archive(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return buffer.getvalue()


def tar_archive(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def model(prefix: str = "tiny-model/") -> dict[str, bytes]:
    return {prefix + name: data for name, data in MODEL_FILES.items()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Server:
    """Serves byte strings by path, honours Range, and can break off the first response."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.break_after: dict[str, int] = {}
        self.ranges: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                asked = self.headers.get("Range")
                server.ranges.append(asked)
                start = int(asked[len("bytes="):].split("-")[0]) if asked else 0
                if start >= len(data):
                    self.send_error(416)
                    return
                self.send_response(206 if asked else 200)
                if asked:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                cut = server.break_after.pop(self.path, None)
                self.wfile.write(data[start:cut] if cut is not None else data[start:])
                if cut is not None:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


def download(*args: str) -> int:
    return main(["models", "download", *args])


def test_a_good_archive_is_installed_whole_and_found(server, tmp_path, capsys):
    data = zip_archive(model())
    server.files["/tiny-model.zip"] = data
    assert download("--url", server.url("/tiny-model.zip"), "--sha256", sha256(data), "--to", str(tmp_path)) == 0
    installed = tmp_path / "tiny-model"
    assert {str(p.relative_to(installed)) for p in installed.rglob("*") if p.is_file()} == set(MODEL_FILES)
    assert (installed / "am/final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-model"]  # no partial files, no work folders
    assert "installed" in capsys.readouterr().out

    assert main(["models", "--model", str(installed)]) == 0
    assert f"Engine: vosk, because a model was found at {installed}" in capsys.readouterr().out

    assert download("--url", server.url("/tiny-model.zip"), "--sha256", sha256(data), "--to", str(tmp_path)) == 0
    assert "already installed" in capsys.readouterr().out
    assert len(server.ranges) == 1  # the second call downloaded nothing


def test_a_tar_archive_without_a_top_folder_is_installed_under_its_name(server, tmp_path):
    data = tar_archive(model(prefix=""))
    server.files["/flat-model.tar.gz"] = data
    assert download("--url", server.url("/flat-model.tar.gz"), "--sha256", sha256(data), "--to", str(tmp_path)) == 0
    assert (tmp_path / "flat-model" / "conf/mfcc.conf").read_bytes() == MODEL_FILES["conf/mfcc.conf"]


@pytest.mark.parametrize("damage", ["corrupt", "wrong checksum", "truncated"])
def test_a_damaged_download_installs_nothing_and_is_removed(server, tmp_path, capsys, damage):
    good = zip_archive(model())
    served = {"corrupt": good[:100] + bytes([good[100] ^ 0xFF]) + good[101:],
              "wrong checksum": good, "truncated": good[:-10]}[damage]
    expected = "0" * 64 if damage == "wrong checksum" else sha256(good)
    server.files["/tiny-model.zip"] = served
    assert download("--url", server.url("/tiny-model.zip"), "--sha256", expected, "--to", str(tmp_path)) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "checksum mismatch" in error and "nothing installed" in error
    assert not (tmp_path / "tiny-model").exists()
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []  # the bad download is gone


@pytest.mark.parametrize("archive", [
    zip_archive({**model(), "tiny-model/../../escaped": b"x"}),
    zip_archive({**model(), "/tmp/absolute-escape": b"x"}),
    zip_archive(model(), links={"tiny-model/conf/link": "/etc/passwd"}),
    tar_archive({**model(), "../escaped": b"x"}),
    tar_archive(model(), links={"tiny-model/am/link": "../../../outside"}),
], ids=["zip dot-dot", "zip absolute", "zip link", "tar dot-dot", "tar link"])
def test_entries_that_escape_the_model_folder_are_refused(server, tmp_path, capsys, archive):
    target = tmp_path / "models"
    target.mkdir()
    server.files["/bad-model.zip"] = archive
    assert download("--url", server.url("/bad-model.zip"), "--sha256", sha256(archive), "--to", str(target)) == 2
    assert "refused" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["models"]  # nothing written anywhere
    assert not Path("/tmp/absolute-escape").exists()


def test_an_archive_without_a_model_installs_nothing(server, tmp_path, capsys):
    data = zip_archive({"readme.txt": b"hello", "other.txt": b"x"})
    server.files["/empty.zip"] = data
    assert download("--url", server.url("/empty.zip"), "--sha256", sha256(data), "--to", str(tmp_path)) == 2
    assert "no Vosk model" in capsys.readouterr().err
    assert not (tmp_path / "empty").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".empty")]


def test_an_interrupted_download_resumes_where_it_stopped(server, tmp_path, capsys):
    data = zip_archive(model())
    server.files["/tiny-model.zip"] = data
    server.break_after["/tiny-model.zip"] = len(data) // 2
    arguments = ("--url", server.url("/tiny-model.zip"), "--sha256", sha256(data), "--to", str(tmp_path))
    assert download(*arguments) == 2
    error = capsys.readouterr().err
    assert "broke off" in error and "run it again to resume" in error
    assert not (tmp_path / "tiny-model").exists()  # half a download never looks like a model

    assert download(*arguments) == 0
    assert server.ranges == [None, f"bytes={len(data) // 2}-"]
    assert (tmp_path / "tiny-model" / "am/final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]


def test_offline_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    unused = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = unused.server_address[1]
    unused.server_close()  # nothing listens there now
    assert download("--url", f"http://127.0.0.1:{port}/m.zip", "--sha256", "a" * 64) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot reach 127.0.0.1" in error and "offline" in error
    assert not (tmp_path / ".cache" / "vosk" / "m").exists()


@pytest.mark.parametrize("arguments, message", [
    (("--url", "http://example.invalid/m.zip"), "--url needs --sha256"),
    (("--url", "ftp://example.invalid/m.zip", "--sha256", "a" * 64), "http:// or https://"),
    (("--url", "http://example.invalid/m.zip", "--sha256", "xyz"), "64 hexadecimal digits"),
    (("no-such-model",), "unknown model"),
])
def test_bad_arguments_get_one_line(capsys, arguments, message):
    assert download(*arguments) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_models_says_pocketsphinx_and_why_when_no_model_is_found(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    assert main(["models"]) == 0
    assert "Engine: pocketsphinx, because no Vosk model was found" in capsys.readouterr().out
