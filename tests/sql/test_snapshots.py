"""Every SQL model and query rendered for each of its targets, compared exactly with the files
under tests/snapshots/, so a change to a template shows up as a readable diff in review.

UPDATE_SNAPSHOTS=1 rewrites the snapshots (and removes those of deleted templates); review the
diff before committing it."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
import sqlglot

from loaders.lint import render_for, targets_of
from loaders.merge import PRODUCT_INPUT, SALES_INPUT
from loaders.render import list_templates
from tests.helpers import check_snapshot_mode

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
# Fixed prefixes, as the Go service's example configuration names them.
PREFIXES = {"staging": "dev_az_", "production": "prod_az_"}
UPDATE = check_snapshot_mode(os.environ)  # refused under CI=true


def _cases() -> list[tuple[PurePosixPath, str]]:
    return [
        (path, target)
        for path in list_templates()
        if path.parts[0] in ("models", "queries")
        for target in targets_of(path)
    ]


def snapshot_path(template: PurePosixPath, target: str) -> Path:
    return SNAPSHOTS / f"{template.stem}.{target}.sql"


@pytest.mark.parametrize(("template", "target"), _cases(), ids=[f"{p.parent.name}/{p.stem}[{t}]" for p, t in _cases()])
def test_rendered_sql_matches_snapshot(template: PurePosixPath, target: str) -> None:
    rendered = render_for(template.stem, target, PREFIXES[target])
    path = snapshot_path(template, target)
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(rendered)
    assert path.is_file(), f"no snapshot {path.name}: run `make snapshots` and review it"
    assert rendered == path.read_text(), (
        f"sql/{template} [{target}] renders differently from "
        f"tests/snapshots/{path.name}; if the change is intended, run `make snapshots`"
    )


def test_no_snapshot_without_a_template() -> None:
    expected = {snapshot_path(p, t).name for p, t in _cases()}
    orphans = sorted(p.name for p in SNAPSHOTS.glob("*.sql") if p.name not in expected)
    if UPDATE:
        for name in orphans:
            (SNAPSHOTS / name).unlink()
        orphans = []
    assert orphans == [], f"snapshots of templates that no longer exist: {orphans}"


def test_snapshots_use_only_their_target_prefix() -> None:
    # A model spells no prefix: table() applies the target's, so the other never shows up.
    for template, target in _cases():
        text = snapshot_path(template, target).read_text()
        other = PREFIXES["production" if target == "staging" else "staging"]
        assert other not in text, f"{template.name} [{target}] mentions {other}"


@pytest.mark.parametrize(
    ("model", "publish", "copied", "extra"),
    [
        ("product_data", "publish_product_data", PRODUCT_INPUT, ["created_at"]),
        ("sales_estimate_data", "publish_sales_estimate_data", SALES_INPUT, ["updated_at", "created_at"]),
    ],
)
def test_models_spell_out_the_columns_the_code_copies(
    model: str, publish: str, copied: list[str], extra: list[str]
) -> None:
    """The column lists written in the model files are the ones loaders/merge.py COPYs, in order."""
    for target in ("staging", "production"):
        parsed = sqlglot.parse_one(render_for(model, target, PREFIXES[target]), read="postgres")
        # On production the upsert is a CTE whose RETURNING tells the rows kept as newer.
        insert = parsed if isinstance(parsed, sqlglot.exp.Insert) else parsed.find(sqlglot.exp.Insert)
        assert [c.name for c in insert.this.expressions] == [*copied, *extra]
    select = sqlglot.parse_one(render_for(publish, "staging", PREFIXES["staging"]), read="postgres")
    assert [c.alias_or_name for c in select.expressions] == [*copied, *extra]
