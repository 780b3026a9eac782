"""mypy over the package as installed: graph/ strict, the rest with the default settings ([tool.mypy]), no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers.layout import ROOT, package_tree


def mypy(tree: Path, package: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """mypy with the project's settings over *package* of the laid-out *tree*, with a fresh cache."""
    command = [str(Path(sys.executable).with_name("mypy")), "--config-file", str(ROOT / "pyproject.toml")]
    command += ["--cache-dir", str(cache), "-p", package]
    return subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)


def test_mypy_finds_no_error(tmp_path: Path) -> None:
    result = mypy(package_tree(tmp_path / "tree"), "certbridge", tmp_path / "cache")
    assert "error: " not in result.stderr, result.stderr
    assert result.returncode == 0 and "Success: no issues found" in result.stdout, result.stdout


def test_a_type_error_is_found(tmp_path: Path) -> None:
    """The check can fail: a function of graph/ (strict) without annotations is reported."""
    tree = package_tree(tmp_path / "tree", copy=True)
    (tree / "certbridge" / "graph" / "untyped.py").write_text(
        '"""An untyped function."""\n\n\ndef f(x):\n    return x\n'
    )
    result = mypy(tree, "certbridge.graph.untyped", tmp_path / "cache")
    assert result.returncode != 0 and "untyped.py:4: error" in result.stdout, result.stdout
