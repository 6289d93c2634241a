"""The SQL templates, shipped as package data: the one lookup every reader goes through.

`files()` works the same from the source tree, an editable install and a wheel, so nothing
reads sql/ by a path relative to a Python file."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def resource(relative: str) -> Traversable:
    """The file or folder at `relative` (posix, e.g. "landing/views") under sql/."""
    node = files(__name__)
    for part in relative.split("/"):
        if part:
            node = node / part
    return node


def read_text(relative: str) -> str:
    """The text of the file at `relative` under sql/."""
    return resource(relative).read_text(encoding="utf-8")
