"""Imports run down the layers only: extract <- loaders <- sync <- api, sandbox <- cli.

Read from the source (every import statement, also those inside functions), so a lazy import
that climbs a layer fails here as surely as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Package -> its layer; a module may import its own layer's package and any lower layer's.
LAYERS = {"extract": 0, "loaders": 1, "sync": 2, "api": 3, "sandbox": 3, "cli": 4}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level project package, line) of every absolute import in `path`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in LAYERS}
    return found


def upward_imports(package: str) -> list[str]:
    rank = LAYERS[package]
    return [
        f"{path.relative_to(ROOT)}:{line} imports {target} (layer {LAYERS[target]} > {rank})"
        for path in sorted((ROOT / package).rglob("*.py"))
        for target, line in sorted(imported_packages(path))
        if target != package and LAYERS[target] >= rank
    ]


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_no_import_climbs_a_layer(package):
    assert (ROOT / package).is_dir()
    assert upward_imports(package) == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from api import create_app\n    import sync.logs\n")
    assert imported_packages(module) == {("api", 2), ("sync", 3)}
