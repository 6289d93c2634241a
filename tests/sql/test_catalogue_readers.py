"""Every reader of the catalogue goes through one definition (sql/macros.sql), rendered with the
run's resolved catalogue: no template names the seed's product table or spells the catalogue's
columns itself, and each reader renders the owner's layout when given it."""

from __future__ import annotations

import re

import pytest

from loaders.catalogue import Catalogue
from loaders.lint import CONTEXT
from loaders.render import RenderError, list_templates, render
from sql import resource

PREFIX = "dev_az_"
OWNER = Catalogue("dev_az_asin_1", "asin", "asin_visibility", table_from="dev_az_frontend_asin")
# The steps and reads that take the site's ASIN list (the list: cleanup, add-new,
# freshness, the plan and its simulation, master, manual; the dashboard reads freshness).
READERS = {
    "cleanup_invisible",
    "add_new_visible",
    "freshness",
    "plan_due_by_day",
    "plan_sim_copy",
    "master_queue_fill",
    "master_queue_pending",
    "manual_asins",
    "plan_family_requests",  # the plan's requests per ASIN with family sharing, before any run measured it
}


def _queries_and_models():
    return [p for p in list_templates() if p.parts[0] in ("models", "queries")]


def _reads_catalogue(stem: str) -> bool:
    try:
        render(stem, "staging", PREFIX, **CONTEXT.get(stem, {}))
    except RenderError as exc:
        assert "reads the catalogue" in str(exc), exc
        return True
    return False


def test_the_readers_are_the_ones_expected():
    assert {p.stem for p in _queries_and_models() if _reads_catalogue(p.stem)} == READERS


@pytest.mark.parametrize("stem", sorted(READERS))
def test_each_reader_renders_the_owners_layout(stem):
    text = render(stem, "staging", PREFIX, catalogue=OWNER, **CONTEXT.get(stem, {}))
    assert '"dev_az_asin_1"' in text and '"asin_visibility"' in text
    assert "dev_az_product" not in text and "product_visibility" not in text


def test_only_the_macros_spell_the_catalogue():
    # Migrations are frozen (0003/0017 hold the old functions); fixtures build the seed's table.
    for path in _queries_and_models():
        source = resource(path.as_posix()).read_text()
        assert "table('product')" not in source, path
        assert not re.search(r"catalogue\.(table|asin|visible)\b", source), f"{path} names the catalogue itself"
    macros = resource("macros.sql").read_text()
    assert "catalogue.table" in macros and "table('product')" not in macros
