"""Strict, safe loading of the YAML data files that clinicians edit.

Only ``yaml.SafeLoader`` is used. On top of it this loader refuses what PyYAML lets
through silently: duplicate keys, anchors/aliases (which can expand enormously), and
files too large to be hand-written data. Every problem becomes one line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from voice_assistant.errors import UserFacingError
from voice_assistant.files import read_limited

MAX_DATA_FILE_BYTES = 1_000_000


class DataFileError(UserFacingError):
    """A content or grammar file is unreadable or malformed."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects aliases and duplicate mapping keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain text", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _describe(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def load_yaml(path: Path) -> Any:
    """Load one YAML data file, or raise DataFileError with a one-line reason."""
    try:
        raw = read_limited(path, MAX_DATA_FILE_BYTES, "YAML data file")
    except UserFacingError as error:
        raise DataFileError(str(error)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: not UTF-8 text") from None
    if "\x00" in text:
        raise DataFileError(f"{path}: not a text file")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise DataFileError(f"{path}: {_describe(error)}") from None
    except RecursionError:
        raise DataFileError(f"{path}: nested too deeply") from None
