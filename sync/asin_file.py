"""ASIN lists from files: the one parser `jssync sync --asins FILE` and the manual endpoints'
`text/csv` and multipart uploads share.

A file is a CSV or plain text: one ASIN a line, or an `asin` column among others named by a
header (found in the first non-blank line; comma or semicolon separated; every row then has
the header's number of values). A UTF-8 byte order mark is tolerated, blank lines are skipped,
values are trimmed (spaces, tabs) and upper-cased, duplicates dropped (the first occurrence keeps
its place); a value may be quoted as a whole ("B0ABCDEFGH"). Every other line is reported with its
number and what is wrong with it; a list with no valid ASIN is an error, so nothing is touched.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path

from extract.settings import ASIN_PATTERN

MAX_FILE_BYTES = 5 * 1024 * 1024  # the HTTP endpoints' limit (413 above it)
HEADER = "asin"
DELIMITERS = (",", ";")  # a tab is whitespace (trimmed), never a separator
BLANKS = " \t"  # trimmed around values; a line of nothing else is blank
KEPT_BAD_LINES = 1000  # bad lines kept with their reasons; the rest are counted
ASIN_HELP = "an ASIN is B + 9 letters or digits, or 10 digits (the last may be X), e.g. B0ABCDEFGH"


@dataclass(frozen=True)
class BadLine:
    """A line that holds no usable ASIN: its number (1-based), what it held, and why."""

    line: int
    value: str
    reason: str

    def describe(self) -> str:
        return f"line {self.line}: {self.reason}"

    def as_dict(self) -> dict:
        return {"line": self.line, "value": self.value, "error": self.reason}


@dataclass
class AsinList:
    """What a file held: its ASINs in order (normalised, deduplicated) and its bad lines."""

    asins: list[str] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)  # the first KEPT_BAD_LINES
    bad_count: int = 0
    duplicates: int = 0
    lines: int = 0
    column: str | None = None  # "asin (column N)" when a header named it

    def summary(self, shown: int = 20) -> dict:
        """For a status answer: counts and the first `shown` bad lines."""
        return {
            "asins": len(self.asins),
            "duplicates": self.duplicates,
            "invalid_lines": self.bad_count,
            "errors": [b.as_dict() for b in self.bad_lines[:shown]],
        }

    def problems(self, shown: int = 20) -> list[str]:
        """One text per bad line (the first `shown`), then how many more."""
        texts = [b.describe() for b in self.bad_lines[:shown]]
        if self.bad_count > len(texts):
            texts.append(f"... and {self.bad_count - len(texts)} more invalid lines")
        return texts


class AsinFileError(ValueError):
    """A file with no valid ASIN (or none that can be read); `parsed` holds its bad lines."""

    def __init__(self, message: str, parsed: AsinList | None = None):
        super().__init__(message)
        self.parsed = parsed or AsinList()


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def _values(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


def _cells(text: str, delimiter: str) -> list[str]:
    # strict: a quote is a whole field's ("B0ABCDEFGH"), anything else around it is an error
    return next(csv.reader([text], delimiter=delimiter, strict=True), [])


def _trim(value: str) -> str:
    return value.strip(BLANKS)


def _header(text: str) -> tuple[str, int, int] | None:
    """(delimiter, index of the `asin` column, columns) when `text` is a header naming one."""
    for delimiter in DELIMITERS:
        try:
            names = [_trim(cell).lower() if cell.isascii() else cell for cell in _cells(text, delimiter)]
        except csv.Error:
            continue
        if HEADER in names:
            return delimiter, names.index(HEADER), len(names)
    return None


def _value(text: str, layout: tuple[str, int, int] | None) -> tuple[str | None, str]:
    """The ASIN cell of one line, or None and why there is none."""
    try:
        cells = _cells(text, layout[0] if layout else ",")
    except csv.Error as exc:
        return None, f"cannot be read as CSV ({exc})"
    if layout is None:
        if len(cells) != 1:
            return None, (
                f"holds {_values(len(cells))} and the file has no `{HEADER}` header naming the ASIN column: "
                "give one ASIN a line, or a first line naming the column `asin`"
            )
        return cells[0], ""
    _, index, columns = layout
    if len(cells) != columns:
        return None, f"holds {_values(len(cells))} where the header names {columns} columns"
    if not _trim(cells[index]):
        return None, f"has no value in the {HEADER} column (column {index + 1})"
    return cells[index], ""


def parse(data: bytes, *, source: str = "the file") -> AsinList:
    """The ASINs of a CSV or text file's bytes. Raises AsinFileError when none is valid."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise AsinFileError(f'{source} is UTF-16 text: save it as UTF-8 ("CSV UTF-8") and send it again')
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    result = AsinList()
    seen: set[str] = set()
    layout: tuple[str, int, int] | None = None  # (delimiter, asin column, columns) once a header said so
    first = True

    def bad(number: int, value: str, reason: str) -> None:
        result.bad_count += 1
        if len(result.bad_lines) < KEPT_BAD_LINES:
            result.bad_lines.append(BadLine(number, value[:200], reason))

    for number, raw in enumerate(data.splitlines(), start=1):
        result.lines = number
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad(number, raw[:60].decode("utf-8", "replace"), "is not UTF-8 text")
            continue
        if not _trim(text):
            continue
        if first:
            first = False
            layout = _header(text)
            if layout is not None:
                result.column = f"{HEADER} (column {layout[1] + 1})"
                continue
        value, why = _value(text, layout)
        if value is None:
            bad(number, text, why)
            continue
        value = _trim(value)
        asin = value.upper() if value.isascii() else value  # only ASCII letters change case
        if not ASIN_PATTERN.fullmatch(asin):
            bad(number, value, f"{_shown(value)} is not an ASIN: {ASIN_HELP}")
            continue
        if asin in seen:
            result.duplicates += 1
            continue
        seen.add(asin)
        result.asins.append(asin)
    if not result.asins:
        what = "is empty" if not result.bad_count else f"has no valid ASIN ({result.bad_count} invalid lines)"
        raise AsinFileError(f"{source} {what}: one ASIN a line, or a CSV with an `asin` column", result)
    return result


def read(path: str) -> AsinList:
    """The ASINs of the file at `path` (`-`: standard input). Raises AsinFileError when it cannot
    be read or holds no valid ASIN."""
    import sys

    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise AsinFileError(f"cannot read the ASIN file {path}: {exc.strerror or exc}") from exc
    return parse(data, source="standard input" if path == "-" else f"the ASIN file {path}")
