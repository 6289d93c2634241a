"""Checking rendered SQL with sqlglot (postgres dialect): every template, both targets."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlglot
from sqlglot.errors import ParseError

from loaders.catalogue import Catalogue
from loaders.level import lint_context as level_context
from loaders.render import TARGETS, list_templates, render
from loaders.verify import lint_context as verify_context

# Templates that take more than target and prefix, with the values the code passes (the models
# spell out their own column lists).
CONTEXT: dict[str, dict] = {"catalogue_active_table": {"table_from": "frontend_asin"}}
CONTEXT.update(verify_context())  # jssync verify's queries and the data-test wrapper
CONTEXT.update(level_context())  # jssync catch-up --full's copy


# Templates that only ever run on staging (every query reads staging's bookkeeping).
STAGING_ONLY = {
    "sync_status",
    "production_outbox",
    "publish_product_data",
    "publish_sales_estimate_data",
    "asin_family",
    "sales_provenance",
    "family_audits",
}


def targets_of(path) -> tuple[str, ...]:
    """The targets a template is rendered for."""
    if path.parts[0] == "queries" or path.stem in STAGING_ONLY:
        return ("staging",)
    return TARGETS


@dataclass(frozen=True)
class LintResult:
    """One template rendered for one target: parse errors, and statements sqlglot only skimmed."""

    template: str
    target: str
    statements: int
    errors: list[str]
    unchecked: list[str]


def render_for(name: str, target: str, prefix: str) -> str:
    """Render a template with the context the service passes it; the catalogue is the default
    layout (`{prefix}product`: `asin`, `product_visibility`), the one CATALOGUE_* name unset."""
    return render(name, target, prefix, catalogue=Catalogue.default(prefix), **CONTEXT.get(name, {}))


class _Unsupported(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def lint(prefixes: dict[str, str]) -> list[LintResult]:
    """Parse every template rendered for each target with that target's prefix."""
    results = []
    logger = logging.getLogger("sqlglot")
    for path in list_templates():
        for target in targets_of(path):
            text = render_for(path.stem, target, prefixes[target])
            handler = _Unsupported()
            logger.addHandler(handler)
            errors: list[str] = []
            try:
                statements = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
            except ParseError as exc:
                statements = []
                for error in exc.errors:
                    errors.append(f"line {error.get('line')}, column {error.get('col')}: {error.get('description')}")
            finally:
                logger.removeHandler(handler)
            # sqlglot keeps statements it cannot model (e.g. CREATE TABLE ... LIKE) as raw
            # commands: not errors, but not checked either; PostgreSQL tests cover them.
            unchecked = [m.split("' contains")[0].strip("'")[:80] for m in handler.messages]
            results.append(LintResult(path.as_posix(), target, len(statements), errors, unchecked))
    return results
