"""Request validation: every parameter checked against what the Go service allows, and every
refusal a 400 `{"error": ...}` that says what was wrong and what is allowed."""

from __future__ import annotations

import json
import re

from flask import Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import ApiProblem
from extract.settings import ASIN_PATTERN, MARKETPLACES
from sync import asin_file
from sync.master import DATE_RANGES, MODES

MAX_ASINS = 1000
DEBUG_VALUES = ("true", "false")
_JSON_TYPES = {int: "number", float: "number", bool: "boolean", list: "list", dict: "object", type(None): "null"}
BODY_HELP = 'send {"asins": ["B0ABCDEFGH", ...]} (1 to 1000 ASINs), or no body for every visible ASIN'


def _shown(value: str) -> str:
    """A caller's value, quoted and cut short, for an error message."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def whole_number(args: MultiDict, name: str, default: int, most: int) -> int:
    """The value of query parameter `name`, a whole number from 1 to `most`; `default` when absent."""
    values = args.getlist(name)
    if not values:
        return default
    if len(values) > 1 or not re.fullmatch(r"[0-9]{1,6}", values[0]) or not 1 <= int(values[0]) <= most:
        raise ApiProblem(400, f"{name} must be given once, a whole number from 1 to {most}")
    return int(values[0])


def choice(args: MultiDict, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    """The value of query parameter `name`, one of `allowed`; `default` when absent."""
    values = args.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise ApiProblem(400, f"{name} is given {len(values)} times: give it once, one of {', '.join(allowed)}")
    value = values[0]
    if value not in allowed:
        raise ApiProblem(400, f"{name}={_shown(value)} is not allowed: use one of {', '.join(allowed)}")
    return value


def known(args: MultiDict, allowed: tuple[str, ...]) -> None:
    """Refuse query parameters the endpoint does not take: a misspelt `sync_mode` must not
    quietly start a fresh sync instead of resuming one."""
    unknown = sorted({name for name in args if name not in allowed})
    if unknown:
        takes = f"it takes {', '.join(allowed)}" if allowed else "it takes none"
        raise ApiProblem(400, f"unknown query parameter(s) {', '.join(_shown(n) for n in unknown[:5])}: {takes}")


def marketplace(args: MultiDict) -> str:
    """`marketplace`: one of the ten Jungle Scout marketplaces (default us)."""
    return choice(args, "marketplace", MARKETPLACES, "us")


def date_range(args: MultiDict) -> str | None:
    """`date_range`: 1month or 1year; None when absent (the sync picks its default)."""
    return choice(args, "date_range", DATE_RANGES, None)


def sync_mode(args: MultiDict) -> str:
    """`sync_mode`: fresh (default) or resume."""
    return choice(args, "sync_mode", MODES, "fresh")


def debug(args: MultiDict) -> bool:
    """`debug`: true or false (default false)."""
    return choice(args, "debug", DEBUG_VALUES, "false") == "true"


def asin_list(request: Request) -> list[str] | None:
    """The ASINs of a JSON body `{"asins": [...]}`; None for no body, `{}` or no asins field.

    The list is deduplicated in order. Anything else is a 400 saying what is expected."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        raise ApiProblem(400, f"the request body is not JSON: {BODY_HELP}") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, f"the request body must be a JSON object: {BODY_HELP}")
    unknown = sorted(str(k) for k in body if k != "asins")
    if unknown:
        raise ApiProblem(
            400,
            f"unknown field(s) {', '.join(_shown(k) for k in unknown[:5])} in the "
            f"body: it takes only asins; {BODY_HELP}",
        )
    if "asins" not in body:
        return None
    asins = body["asins"]
    if not isinstance(asins, list):
        raise ApiProblem(400, f"asins must be a list of ASIN strings: {BODY_HELP}")
    if not 1 <= len(asins) <= MAX_ASINS:
        raise ApiProblem(
            400, f"asins holds {len(asins)} ASINs: give 1 to {MAX_ASINS} (omit the body to sync every visible ASIN)"
        )
    bad = [(i, a) for i, a in enumerate(asins) if not isinstance(a, str) or not ASIN_PATTERN.fullmatch(a)]
    if bad:
        shown = ", ".join(
            f"[{i}] {_shown(a) if isinstance(a, str) else 'a ' + _JSON_TYPES.get(type(a), 'value')}" for i, a in bad[:5]
        )
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ApiProblem(
            400,
            f"asins has {len(bad)} invalid entr{'y' if len(bad) == 1 else 'ies'} "
            f"({shown}{more}): an ASIN is B + 9 capital letters or digits, or 10 "
            "digits (the last may be X), e.g. B0ABCDEFGH",
        )
    return list(dict.fromkeys(asins))


FILE_TYPES = ("text/csv", "text/plain")  # an ASIN file sent as the body itself
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around a file of MAX_FILE_BYTES
TOO_LARGE = f"the ASIN file is larger than {asin_file.MAX_FILE_BYTES // (1024 * 1024)} MiB: split it into smaller files"


def asin_input(request: Request) -> tuple[list[str] | None, asin_file.AsinList | None]:
    """The ASINs a manual endpoint is asked for: a JSON body (asin_list), or an ASIN file sent as a
    `text/csv` (or `text/plain`) body or as the `file` field of a multipart upload, read by the
    parser `jssync sync --asins` uses. Returns (ASINs or None for every visible one, the parsed
    file or None). A file over 5 MiB is a 413; one with an invalid line (or no ASIN) a 400
    listing its errors, and nothing is synced."""
    if request.mimetype in FILE_TYPES:
        return _file(request, lambda: request.get_data(cache=True), limit=asin_file.MAX_FILE_BYTES)
    if request.mimetype == "multipart/form-data":
        return _file(request, lambda: _multipart_file(request), limit=asin_file.MAX_FILE_BYTES + MULTIPART_OVERHEAD)
    return asin_list(request), None


def _file(request: Request, read, *, limit: int) -> tuple[list[str], asin_file.AsinList]:
    request.max_content_length = limit
    request.max_form_memory_size = asin_file.MAX_FILE_BYTES  # the file sent as a plain form field
    if request.content_length is not None and request.content_length > limit:
        raise ApiProblem(413, TOO_LARGE)
    try:
        data = read()
    except RequestEntityTooLarge:
        raise ApiProblem(413, TOO_LARGE) from None
    if len(data) > asin_file.MAX_FILE_BYTES:
        raise ApiProblem(413, TOO_LARGE)
    try:
        parsed = asin_file.parse(data, source="the ASIN file")
    except asin_file.AsinFileError as exc:
        raise ApiProblem(400, str(exc), invalid_lines=[b.as_dict() for b in exc.parsed.bad_lines[:100]]) from None
    if parsed.bad_count:
        # All or nothing, as for a JSON list: a caller fixes the lines and sends the file again.
        shown = "; ".join(parsed.problems(shown=3))
        raise ApiProblem(
            400,
            f"the ASIN file has {parsed.bad_count} invalid line{'s' if parsed.bad_count > 1 else ''}, so nothing "
            f"was synced: {shown}",
            invalid_lines=[b.as_dict() for b in parsed.bad_lines[:100]],
        )
    return parsed.asins, parsed


def _multipart_file(request: Request) -> bytes:
    upload = request.files.get("file")
    if upload is not None:
        return upload.stream.read(asin_file.MAX_FILE_BYTES + 1)
    if "file" in request.form:  # curl -F 'file=<list.csv' sends the file's text as a plain field
        return request.form["file"].encode()
    names = sorted({*request.files, *request.form})
    got = f" (got {', '.join(_shown(n) for n in names[:5])})" if names else ""
    raise ApiProblem(400, f"the multipart upload has no field `file`{got}: send the ASIN file as field file")
