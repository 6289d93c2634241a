"""Rendering SQL: Jinja templates in sql/, made prefix-aware by one function, `table()`."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MODELS_DIR = SQL_DIR / "models"
MIGRATIONS_DIR = SQL_DIR / "migrations"
QUERIES_DIR = SQL_DIR / "queries"
TARGETS = ("staging", "production")
PREFIX_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,30}$")
# Table and function names the templates ask for: lower-case words, never user input.
_NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
_MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names silently; refuse instead.


class RenderError(ValueError):
    """A template, target or prefix that cannot be rendered."""


def check_prefix(prefix: str) -> str:
    """Return `prefix` if it matches ^[a-z_][a-z0-9_]{0,30}$, else raise RenderError."""
    if not isinstance(prefix, str) or not PREFIX_PATTERN.match(prefix):
        raise RenderError(
            f"table prefix {prefix!r} is not allowed: it must match ^[a-z_][a-z0-9_]{{0,30}}$ "
            "(lower-case letters, digits and underscores, starting with a letter or underscore)"
        )
    return prefix


def table_name(prefix: str, name: str) -> str:
    """The one place a prefix is applied: `prefix + name`, checked to be a safe identifier."""
    check_prefix(prefix)
    if not _NAME_PATTERN.match(name):
        raise RenderError(f"table name {name!r} is not a plain lower-case identifier")
    full = prefix + name
    if len(full) > _MAX_IDENTIFIER:
        raise RenderError(f"identifier {full!r} is longer than {_MAX_IDENTIFIER} characters")
    return full


def quoted_table(prefix: str, name: str) -> str:
    """`table_name` as a double-quoted SQL identifier (safe: the name holds no quote)."""
    return '"' + table_name(prefix, name) + '"'


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(SQL_DIR)),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def resolve(name: str) -> Path:
    """Find a model, query or migration by name (`product_data`, `0003_selection_functions`) or path."""
    stem = name[:-4] if name.endswith(".sql") else name
    candidates = [Path(name)] if name.endswith(".sql") else []
    candidates += [d / f"{stem}.sql" for d in (MODELS_DIR, QUERIES_DIR, MIGRATIONS_DIR)]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    known = sorted(p.stem for p in list_templates())
    raise RenderError(f"no SQL model or migration named {name!r}; known: {', '.join(known)}")


def list_templates() -> list[Path]:
    """Every template: migrations first in apply order, then models, then queries."""
    return [p for d in (MIGRATIONS_DIR, MODELS_DIR, QUERIES_DIR) for p in sorted(d.glob("*.sql"))]


def render(name: str, target: str, prefix: str, **params: object) -> str:
    """Render template `name` for `target` (staging|production) with the target's `prefix`."""
    if target not in TARGETS:
        raise RenderError(f"target {target!r} is not allowed: use one of {', '.join(TARGETS)}")
    check_prefix(prefix)
    path = resolve(name)
    try:
        rel = path.relative_to(SQL_DIR).as_posix()
    except ValueError as exc:
        raise RenderError(f"{path} is not under {SQL_DIR}") from exc
    template = _env.get_template(rel)
    try:
        return template.render(
            target=target,
            prefix=prefix,
            table=lambda n: quoted_table(prefix, n),
            **params,
        )
    except jinja2.TemplateError as exc:
        raise RenderError(f"{rel}: {exc}") from exc
