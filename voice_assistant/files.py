"""Careful file handling shared by every room that reads or writes the user's files.

- Inputs must be regular files of a bounded size: a device (``/dev/zero``) or a FIFO is
  refused before it is opened, and no more than the limit is ever read.
- Data folders may not reach outside themselves through symbolic links.
- Private files (journal, timers) are owner-only, written whole, and replaced atomically
  through a fresh temporary file that never follows a link.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from voice_assistant.errors import UserFacingError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def regular_file(path: Path, what: str) -> os.stat_result:
    """The file's status, or a one-line error when it is missing, a folder, a device or a FIFO."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise UserFacingError(f"{path}: {what} not found") from None
    except OSError as error:
        raise UserFacingError(f"{path}: cannot read ({error.strerror})") from None
    if stat.S_ISDIR(status.st_mode):
        raise UserFacingError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(status.st_mode):
        raise UserFacingError(f"{path}: is not a regular file (a device or a pipe?); give a {what}")
    return status


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """A regular file's bytes; a one-line error if it holds more than ``limit``."""
    regular_file(path, what)
    try:
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise UserFacingError(f"{path}: cannot read ({error.strerror})") from None
    if len(data) > limit:
        raise UserFacingError(f"{path}: too large for a {what} (more than {limit} bytes)")
    return data


def check_inside(path: Path, folder: Path) -> None:
    """Refuse a file that a symbolic link takes outside ``folder``."""
    try:
        resolved = path.resolve()
        root = folder.resolve()
    except OSError as error:
        raise UserFacingError(f"{path}: cannot resolve ({error.strerror})") from None
    if resolved != root and root not in resolved.parents:
        raise UserFacingError(f"{path}: links outside {folder}; copy the file into the folder instead")


def private_folder(folder: Path) -> None:
    """Create ``folder`` if needed; a folder this program creates is owner-only."""
    if not folder.is_dir():
        folder.mkdir(parents=True, mode=PRIVATE_DIR_MODE, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR_MODE)


def write_private_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, owner-only, synced; never through a link."""
    private_folder(path.parent)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), PRIVATE_FILE_MODE)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_named_file(path: Path, data: bytes, what: str) -> None:
    """Write a file the user named (owner-only, atomically); one-line errors for impossible places."""
    if path.is_dir():
        raise UserFacingError(f"{path}: is a folder; give a file name for the {what}")
    if not path.parent.is_dir():
        raise UserFacingError(f"{path.parent}: folder not found; create it first or choose another place")
    if path.exists() and not path.is_file():
        raise UserFacingError(f"{path}: is not a regular file; choose another name for the {what}")
    try:
        write_private_atomically(path, data)
    except OSError as error:
        raise UserFacingError(f"{path}: cannot write the {what} ({error.strerror})") from None
