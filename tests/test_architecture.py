"""Layering (import-linter) and lint (ruff) as tests, so the README's test command checks them too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.layout import ROOT, package_tree


def lint_imports(path: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(executable), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_layers_are_kept(tmp_path: Path) -> None:
    result = lint_imports(package_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source"),
    [("graph/leak.py", "import fastapi\n"), ("ontology/leak.py", "from certbridge.graph import store\n")],
)
def test_a_layer_violation_is_caught(tmp_path: Path, module: str, source: str) -> None:
    tree = package_tree(tmp_path, copy=True)
    (tree / "certbridge" / module).write_text(source)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("graph/build.py", "from certbridge.graph.routing import index", "derived data is registered"),
        ("graph/store/base.py", "import certbridge.graph.routing.index", "derived data is registered"),
        ("api/rest.py", "from certbridge.graph.remote.location import RemoteLocation", "what a server location is"),
        ("graph/routing/engine.py", "from ..remote.location import RemoteLocation", "what a server location is"),
    ],
)
def test_the_store_and_build_contracts_are_enforced(tmp_path: Path, module: str, line: str, contract: str) -> None:
    """The build imports nothing of routing; only the store implementations know server locations."""
    tree = package_tree(tmp_path, copy=True)
    path = tree / "certbridge" / module
    path.write_text(path.read_text() + "\n" + line + "  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    broken = [text for text in result.stdout.splitlines() if "BROKEN" in text]
    assert any(contract in text for text in broken), result.stdout


def test_ruff_is_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", str(ROOT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
