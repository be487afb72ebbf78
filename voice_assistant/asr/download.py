"""Fetch a Vosk model archive, check it, unpack it safely and install it atomically.

- The download goes to ``<folder>/.downloads/<name>-<sha256 prefix>.part`` and resumes from
  there (an HTTP range request) when an earlier run was interrupted.
- Nothing is unpacked until the whole file matches its SHA-256 (and its size, when known).
- Unpacking refuses absolute paths, ``..``, links and special files, and happens in a private
  folder beside the target; one rename then makes the model appear whole, or not at all.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from voice_assistant.asr.models import (
    RECOMMENDED,
    RECOMMENDED_BYTES,
    RECOMMENDED_SHA256,
    RECOMMENDED_URL,
    looks_like_model,
    validate_model,
)
from voice_assistant.errors import UserFacingError

CHUNK_BYTES = 1 << 16
MAX_UNPACKED_BYTES = 8 << 30
TIMEOUT_SECONDS = 30
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")

Progress = Callable[[int, "int | None"], None]
"""Called with (bytes so far, total bytes or None) as the download goes."""


@dataclass(frozen=True)
class Archive:
    """A model archive that can be fetched."""

    name: str
    """The folder the model is installed as."""
    url: str
    """Where the archive is fetched from (http or https)."""
    sha256: str
    """The archive's SHA-256, lower-case hex; checked before anything is unpacked."""
    size: int | None = None
    """The archive's size in bytes, when known."""


KNOWN = {
    RECOMMENDED: Archive(RECOMMENDED, RECOMMENDED_URL, RECOMMENDED_SHA256, RECOMMENDED_BYTES),
}


def archive_for(name: str | None, url: str | None, sha256: str | None) -> Archive:
    """The archive a ``models download`` call names, or a one-line error."""
    if url is None:
        if sha256 is not None:
            raise UserFacingError("--sha256 goes with --url")
        chosen = name or RECOMMENDED
        if chosen not in KNOWN:
            raise UserFacingError(f"unknown model {chosen!r}; known: {', '.join(KNOWN)} (or give --url and --sha256)")
        return KNOWN[chosen]
    if sha256 is None:
        raise UserFacingError("--url needs --sha256: an archive is never installed unchecked")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise UserFacingError(f"--sha256 {sha256!r}: expected 64 hexadecimal digits")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserFacingError(f"--url {url!r}: expected an http:// or https:// address")
    file_name = PurePosixPath(urllib.parse.unquote(parsed.path)).name
    stem = next((file_name[: -len(s)] for s in ARCHIVE_SUFFIXES if file_name.endswith(s)), None)
    if name is None:
        name = stem
    if not name or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise UserFacingError(f"{url}: cannot tell the model's name from the address; give NAME")
    return Archive(name, url, sha256.lower())


def install(archive: Archive, folder: Path, progress: Progress | None = None) -> tuple[Path, bool]:
    """Download, check and install ``archive`` into ``folder``; (model folder, newly installed)."""
    target = folder / archive.name
    if looks_like_model(target):
        return target, False
    if target.exists() or target.is_symlink():
        raise UserFacingError(f"{target}: already exists but is not a complete model; move it away first")
    try:
        downloads = folder / ".downloads"
        downloads.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserFacingError(f"{folder}: cannot write there ({error.strerror}); choose another with --to") from None
    part = downloads / f"{archive.name}-{archive.sha256[:12]}.part"
    fetch(archive, part, progress)
    try:  # a whole download is used once: installed, or refused and removed
        verify(archive, part)
        unpack_into_place(part, target)
    finally:
        part.unlink(missing_ok=True)
        _remove_if_empty(downloads)
    return target, True


def fetch(archive: Archive, part: Path, progress: Progress | None) -> None:
    """Download into ``part``, resuming what an earlier run left there."""
    have = part.stat().st_size if part.exists() else 0
    if archive.size is not None and have > archive.size:
        part.unlink()
        have = 0
    if archive.size is not None and have == archive.size:
        return
    request = urllib.request.Request(archive.url, headers={"User-Agent": "voice-assistant"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    host = urllib.parse.urlsplit(archive.url).netloc
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            resumed = response.status == 206 and _range_start(response) == have
            if not resumed:
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else archive.size
            with open(part, "ab" if resumed else "wb") as file:
                for chunk in _chunks(response):
                    file.write(chunk)
                    have += len(chunk)
                    if progress is not None:
                        progress(have, total)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # nothing left to send: the part is already whole
            return
        raise UserFacingError(f"{archive.url}: the server answered {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise UserFacingError(
            f"cannot reach {host} ({_reason(error.reason)}); are you offline? "
            "'voice-assistant models' says how to install a model by hand"
        ) from None
    except (OSError, http.client.HTTPException) as error:
        kept = f"; {have:,} bytes kept, run it again to resume" if have else ""
        raise UserFacingError(f"the download from {host} broke off ({_reason(error)}){kept}") from None
    if total is not None and have < total:
        raise UserFacingError(
            f"the download from {host} broke off at {have:,} of {total:,} bytes; run it again to resume")


def verify(archive: Archive, part: Path) -> None:
    """Refuse a download whose size or SHA-256 is not the expected one."""
    size = part.stat().st_size
    if archive.size is not None and size != archive.size:
        raise UserFacingError(
            f"{archive.url}: got {size:,} bytes, expected {archive.size:,}; nothing installed, the download was removed")
    digest = hashlib.sha256()
    with open(part, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != archive.sha256:
        raise UserFacingError(
            f"{archive.url}: checksum mismatch (SHA-256 {digest.hexdigest()}, expected {archive.sha256}); "
            "nothing installed, the download was removed")


def unpack_into_place(archive_file: Path, target: Path) -> None:
    """Unpack into a private folder beside ``target``, then rename the model into place."""
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        try:
            for member, path in _members(archive_file, work):
                _write_member(member, path)
        except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error) as error:
            raise UserFacingError(f"{archive_file.name}: cannot unpack ({_reason(error)}); nothing installed") from None
        root = _model_root(work)
        validate_model(root)
        try:
            os.rename(root, target)
        except OSError as error:
            raise UserFacingError(f"{target}: cannot install there ({error.strerror})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class _Member:
    """One entry of an archive, as far as unpacking needs it."""

    name: str
    is_dir: bool
    size: int
    open: Callable[[], "object"]


def _members(archive_file: Path, work: Path) -> Iterator[tuple[_Member, Path]]:
    """Each entry with the path it unpacks to; a one-line error for any unsafe entry."""
    total = 0
    for member in _entries(archive_file):
        path = _safe_path(work, member.name)
        total += member.size
        if total > MAX_UNPACKED_BYTES:
            raise UserFacingError(f"{archive_file.name}: unpacks to more than {MAX_UNPACKED_BYTES:,} bytes; refused")
        yield member, path


def _entries(archive_file: Path) -> Iterator[_Member]:
    if zipfile.is_zipfile(archive_file):
        with zipfile.ZipFile(archive_file) as archive:
            for info in archive.infolist():
                kind = stat.S_IFMT(info.external_attr >> 16)
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    raise UserFacingError(f"archive entry {info.filename!r} is a link or a special file; refused")
                yield _Member(info.filename, info.is_dir(), info.file_size,
                              lambda info=info: archive.open(info))
        return
    try:
        archive = tarfile.open(archive_file)
    except tarfile.TarError:
        raise UserFacingError(f"{archive_file.name}: not a zip or tar archive") from None
    with archive:
        for info in archive:
            if not (info.isfile() or info.isdir()):
                raise UserFacingError(f"archive entry {info.name!r} is a link or a special file; refused")
            yield _Member(info.name, info.isdir(), info.size, lambda info=info: archive.extractfile(info))


def _safe_path(work: Path, name: str) -> Path:
    """Where an entry unpacks to; refuses names that are absolute or climb out with ``..``."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise UserFacingError(f"archive entry {name!r} points outside the model folder; refused")
    path = work.joinpath(*[part for part in pure.parts if part not in ("", ".")])
    if path == work:
        raise UserFacingError(f"archive entry {name!r} has no name; refused")
    return path


def _write_member(member: _Member, path: Path) -> None:
    if member.is_dir:
        path.mkdir(parents=True, exist_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with member.open() as source, open(path, "xb") as destination:  # type: ignore[attr-defined]
        shutil.copyfileobj(source, destination, CHUNK_BYTES)


def _model_root(work: Path) -> Path:
    """The unpacked model: the folder itself, or its one top-level folder."""
    if looks_like_model(work):
        return work
    children = [child for child in work.iterdir()]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    raise UserFacingError("the archive holds no Vosk model (no am/final.mdl); nothing installed")


def _chunks(response: http.client.HTTPResponse) -> Iterator[bytes]:
    while chunk := response.read(CHUNK_BYTES):
        yield chunk


def _range_start(response: http.client.HTTPResponse) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _reason(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
