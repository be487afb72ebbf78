"""Where Vosk models are looked for, how to tell a usable one, and how to get one."""

from __future__ import annotations

import os
from pathlib import Path

from voice_assistant.errors import UserFacingError

RECOMMENDED = "vosk-model-small-en-us-0.15"
RECOMMENDED_URL = f"https://alphacephei.com/vosk/models/{RECOMMENDED}.zip"
RECOMMENDED_BYTES = 41_205_931
RECOMMENDED_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf")


def search_folders(explicit: Path | None = None) -> list[tuple[str, Path]]:
    """(why, folder) in the order models are looked for."""
    folders: list[tuple[str, Path]] = []
    if explicit is not None:
        folders.append(("--model", explicit))
    if os.environ.get("VOSK_MODEL_PATH"):
        folders.append(("VOSK_MODEL_PATH", Path(os.environ["VOSK_MODEL_PATH"])))
    # The checkout's models/ folder, never the current folder's: a model is code-like input,
    # and whatever folder a user happens to start in should not choose it.
    folders.append(("models/", Path(__file__).resolve().parents[2] / "models"))
    folders.append(("Vosk cache", default_download_folder()))
    return folders


def looks_like_model(folder: Path) -> bool:
    return folder.is_dir() and (folder / "am" / "final.mdl").exists()


def candidates(folder: Path) -> list[Path]:
    """The folder itself if it is a model, else the models directly inside it."""
    if looks_like_model(folder):
        return [folder]
    if folder.is_dir():
        return sorted(child for child in folder.iterdir() if looks_like_model(child))
    return []


def validate_model(folder: Path) -> None:
    """Raise a one-line error if ``folder`` is not a complete Vosk model."""
    if not folder.exists():
        raise UserFacingError(f"{folder}: model folder not found (see 'voice-assistant models')")
    if not folder.is_dir():
        raise UserFacingError(f"{folder}: not a folder; give the unpacked model folder")
    for required in REQUIRED_FILES:
        if not (folder / required).is_file():
            raise UserFacingError(f"{folder}: not a complete Vosk model (missing {required}); unpack it again")


def ignores_grammars(folder: Path) -> bool:
    """Big models with a static HCLG graph ignore runtime grammars."""
    return (folder / "graph" / "HCLG.fst").exists() and not (folder / "graph" / "Gr.fst").exists()


def find_model(explicit: Path | None = None) -> Path | None:
    """The first model found, or None. An explicit --model must be valid."""
    if explicit is not None:
        validate_model(explicit)
        return explicit
    for _, folder in search_folders():
        found = candidates(folder)
        if found:
            return found[0]
    return None


def default_download_folder() -> Path:
    """Where ``models download`` installs: the Vosk cache, always searched and the user's own."""
    return Path.home() / ".cache" / "vosk"


def engine_reason(explicit: Path | None = None) -> str:
    """Which engine ``--engine auto`` will use, and why, without loading anything."""
    found = find_model(explicit)
    if found is None:
        return ("pocketsphinx, because no Vosk model was found "
                "('voice-assistant models download' fetches the recommended one)")
    note = "; it is a big model that ignores grammars, so recognition will be looser" if ignores_grammars(found) else ""
    return f"vosk, because a model was found at {found}{note}"


def describe_models(explicit: Path | None = None) -> str:
    lines = [f"Engine: {engine_reason(explicit)}.", "Vosk models are looked for in this order:"]
    for why, folder in search_folders(explicit):
        found = candidates(folder)
        state = ", ".join(str(f) for f in found) if found else "no model"
        lines.append(f"  {why:16} {folder}  ({state})")
    lines += [
        "pocketsphinx: built in (its package ships a US-English model); used when no Vosk model is found.",
        f"To get the recommended Vosk model ({RECOMMENDED}, Apache-2.0, {RECOMMENDED_BYTES:,} bytes):",
        f"  voice-assistant models download      (installs into {default_download_folder()})",
        f"  or by hand: download {RECOMMENDED_URL}",
        f"  check:   sha256sum {RECOMMENDED}.zip  ->  {RECOMMENDED_SHA256}",
        f"  unpack into {default_download_folder()} so that {RECOMMENDED}/am/final.mdl is inside it",
    ]
    return "\n".join(lines)
