"""Template lookup by stem reads the sql folder's listing once, and again when it changes."""

from __future__ import annotations

import os
import time

import pytest

import sql as sql_package
from loaders import render as render_mod
from loaders.render import RenderError, render


@pytest.fixture
def sql_root(tmp_path, monkeypatch):
    """An sql folder of its own (models/ with a subfolder, queries/), rendered through the real
    render(); the listing cache starts empty and is emptied again afterwards."""
    for folder in ("models/merge", "queries", "migrations"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "queries" / "first.sql").write_text("SELECT 1 FROM {{ table('a') }}\n")
    settled = time.time() - 60  # as a checked-out tree's folders: changed a while ago
    for folder in (tmp_path, *(p for p in tmp_path.rglob("*") if p.is_dir())):
        os.utime(folder, (settled, settled))

    def resource(relative: str):
        node = tmp_path
        for part in relative.split("/"):
            if part:
                node = node / part
        return node

    monkeypatch.setattr(sql_package, "resource", resource)
    monkeypatch.setattr(render_mod, "_listed", {})
    return tmp_path


def test_a_template_added_removed_or_renamed_is_seen_at_the_next_render(sql_root):
    assert render("first", "staging", "p_") == 'SELECT 1 FROM "p_a"\n'
    with pytest.raises(RenderError, match="no SQL model or migration named 'second'"):
        render("second", "staging", "p_")

    (sql_root / "models" / "merge" / "second.sql").write_text("SELECT 2\n")  # a subfolder changes
    assert render("second", "staging", "p_") == "SELECT 2\n"

    (sql_root / "queries" / "first.sql").rename(sql_root / "queries" / "renamed.sql")
    assert render("renamed", "staging", "p_") == 'SELECT 1 FROM "p_a"\n'
    with pytest.raises(RenderError, match="no SQL model or migration named 'first'"):
        render("first", "staging", "p_")

    (sql_root / "models" / "merge" / "second.sql").unlink()
    with pytest.raises(RenderError, match="known: renamed$"):
        render("second", "staging", "p_")


def test_an_unchanged_folder_is_not_listed_again(sql_root, monkeypatch):
    render("first", "staging", "p_")
    scans: list[str] = []
    real_scan = render_mod._scan
    monkeypatch.setattr(render_mod, "_scan", lambda folder: scans.append(folder) or real_scan(folder))
    for _ in range(3):
        render("first", "staging", "p_")
    assert scans == []
    (sql_root / "queries" / "other.sql").write_text("SELECT 3\n")
    assert render("first", "staging", "p_") == 'SELECT 1 FROM "p_a"\n'
    assert scans == ["queries"]  # models/ (searched first, unchanged) still from the cache


def test_a_folder_changed_just_now_is_listed_again_until_it_settles(sql_root, monkeypatch):
    """Its mtime may not move at a second change within the same clock tick: no listing is kept."""
    (sql_root / "queries" / "other.sql").write_text("SELECT 3\n")
    render("first", "staging", "p_")
    scans: list[str] = []
    real_scan = render_mod._scan
    monkeypatch.setattr(render_mod, "_scan", lambda folder: scans.append(folder) or real_scan(folder))
    render("first", "staging", "p_")
    render("other", "staging", "p_")
    assert scans == ["queries", "queries"]
