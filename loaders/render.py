"""Rendering SQL: Jinja templates in sql/, made prefix-aware by one function, `table()`.

Templates are package data read through `sql.resource` (importlib.resources), so an installed
wheel renders from any directory. A template is named by its path under sql/
("models/merge/product_data.sql") or, for models, queries and migrations, by its stem."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import jinja2

import sql as sql_package

if TYPE_CHECKING:
    from loaders.catalogue import Catalogue

# Folders searched for a template given by its stem, in this order; models nest one level
# (models/merge/, models/publish/).
SEARCHED = ("models", "queries", "migrations")
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
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise RenderError(f"table name {name!r} is not a plain lower-case identifier")
    full = prefix + name
    if len(full) > _MAX_IDENTIFIER:
        raise RenderError(f"identifier {full!r} is longer than {_MAX_IDENTIFIER} characters")
    return full


def quoted_table(prefix: str, name: str) -> str:
    """`table_name` as a double-quoted SQL identifier (safe: the name holds no quote)."""
    return quoted_identifier(table_name(prefix, name))


def check_identifier(name: object, what: str = "identifier") -> str:
    """Return `name` if it is a plain lower-case SQL identifier of at most 63 characters (what an
    unquoted name folds to in PostgreSQL), else raise RenderError saying what is allowed."""
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name) or len(name) > _MAX_IDENTIFIER:
        shown = repr(name)[:80]
        raise RenderError(
            f"{what} {shown} is not allowed: a name of lower-case letters, digits and underscores, "
            f"starting with a letter or underscore, at most {_MAX_IDENTIFIER} characters"
        )
    return name


def quoted_identifier(name: str) -> str:
    """`name`, checked by check_identifier, double-quoted (what psycopg2.sql.Identifier renders
    for such a name; always quoted, so a column named like a keyword still works)."""
    return '"' + check_identifier(name) + '"'


@dataclass(frozen=True)
class CatalogueNames:
    """What templates see as `catalogue`: the resolved catalogue's quoted identifiers (`table`,
    `asin`, `visible`) and, right after a switch, the `previous` catalogue's (else None)."""

    table: str
    asin: str
    visible: str
    previous: CatalogueNames | None = None


def catalogue_names(catalogue: Catalogue) -> CatalogueNames:
    """The one place the catalogue's names become SQL: each checked as an identifier, quoted."""
    previous = catalogue.previous
    return CatalogueNames(
        table=quoted_identifier(check_identifier(catalogue.table, "catalogue table")),
        asin=quoted_identifier(check_identifier(catalogue.asin_column, "catalogue ASIN column")),
        visible=quoted_identifier(check_identifier(catalogue.visibility_column, "catalogue visibility column")),
        previous=None if previous is None else catalogue_names(previous),
    )


class _ResourceLoader(jinja2.BaseLoader):
    """Jinja templates from the sql package's resources (a folder, an installed wheel)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        node = sql_package.resource(template)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        if isinstance(node, Path):  # a folder (source tree, installed wheel): reload an edited file
            mtime = node.stat().st_mtime
            return node.read_text(encoding="utf-8"), str(node), lambda: node.is_file() and node.stat().st_mtime == mtime
        return node.read_text(encoding="utf-8"), None, lambda: True


_env = jinja2.Environment(
    loader=_ResourceLoader(),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _scan(folder: str) -> tuple[list[PurePosixPath], dict[Path, int]]:
    """The .sql files under sql/`folder`, one level of subfolders included, sorted by name; and
    the mtime of each folder read that is on disk (taken before reading it)."""
    found = []
    seen: dict[Path, int] = {}
    top = sql_package.resource(folder)
    if not top.is_dir():
        return [], seen

    def listing(node) -> list:
        if isinstance(node, Path):
            seen[node] = node.stat().st_mtime_ns
        return list(node.iterdir())

    for node in listing(top):
        if node.is_file() and node.name.endswith(".sql"):
            found.append(PurePosixPath(folder, node.name))
        elif node.is_dir():
            found += [
                PurePosixPath(folder, node.name, leaf.name)
                for leaf in listing(node)
                if leaf.is_file() and leaf.name.endswith(".sql")
            ]
    return sorted(found, key=lambda p: (p.name, p.as_posix())), seen


# A folder's mtime ticks coarsely (a kernel clock tick), so a change right after a listing may
# leave it as it was: a listing is kept only of folders that had not changed for this long.
_SETTLED_NS = 2_000_000_000


def _unchanged(seen: dict[Path, int]) -> bool:
    try:
        return all(folder.stat().st_mtime_ns == mtime for folder, mtime in seen.items())
    except OSError:  # a folder removed since
        return False


# folder -> its .sql files and the mtimes of the folders read. Every render resolves its
# template's stem and a sync renders hundreds: a scan each time cost milliseconds. Adding,
# removing or renaming a file changes its folder's mtime, so the folder is read again (as an
# edited template reloads, above).
_listed: dict[str, tuple[list[PurePosixPath], dict[Path, int]]] = {}


def _sql_files(folder: str) -> list[PurePosixPath]:
    """The .sql files under sql/`folder`, one level of subfolders included, sorted by name."""
    cached = _listed.get(folder)
    if cached is not None and _unchanged(cached[1]):
        return list(cached[0])
    started = time.time_ns()
    found, seen = _scan(folder)
    if all(mtime < started - _SETTLED_NS for mtime in seen.values()):
        _listed[folder] = (found, seen)
    else:
        _listed.pop(folder, None)
    return list(found)


def resolve(name: str) -> PurePosixPath:
    """Find a template by stem (`product_data`, `0003_selection_functions`) or by its path under
    sql/ (`fixtures/product.sql`; an absolute path inside the sql folder is accepted too)."""
    stem = name[:-4] if name.endswith(".sql") else name
    if name.endswith(".sql") and "/" in name:
        relative = name
        root = str(sql_package.resource(""))
        if Path(name).is_absolute():
            try:
                relative = Path(name).resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError as exc:
                raise RenderError(f"{name} is not under the sql folder {root}") from exc
        if sql_package.resource(relative).is_file():
            return PurePosixPath(relative)
    else:
        for folder in SEARCHED:
            for path in _sql_files(folder):
                if path.stem == stem:
                    return path
    known = sorted(p.stem for p in list_templates())
    raise RenderError(f"no SQL model or migration named {name!r}; known: {', '.join(known)}")


def list_templates() -> list[PurePosixPath]:
    """Every template (path under sql/): migrations first in apply order, then models, then queries."""
    return [p for folder in ("migrations", "models", "queries") for p in _sql_files(folder)]


def render(name: str, target: str, prefix: str, *, catalogue: Catalogue | None = None, **params: object) -> str:
    """Render template `name` for `target` (staging|production) with the target's `prefix`.

    `catalogue` (a resolved loaders.catalogue.Catalogue) is what templates that read the site's
    ASIN list name as `catalogue.table`, `.asin`, `.visible`; such a template refuses to render
    without one."""
    if target not in TARGETS:
        raise RenderError(f"target {target!r} is not allowed: use one of {', '.join(TARGETS)}")
    check_prefix(prefix)
    rel = resolve(name).as_posix()
    template = _env.get_template(rel)
    context: dict[str, object] = dict(params)
    if catalogue is not None:
        context["catalogue"] = catalogue_names(catalogue)
    try:
        return template.render(
            target=target,
            prefix=prefix,
            table=lambda n: quoted_table(prefix, n),
            **context,
        )
    except jinja2.UndefinedError as exc:
        if "'catalogue'" in str(exc):
            raise RenderError(f"{rel} reads the catalogue: render it with the run's resolved catalogue") from exc
        raise RenderError(f"{rel}: {exc}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"{rel}: {exc}") from exc
