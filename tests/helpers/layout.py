"""The package laid out as installed, for the tools that walk it (import-linter, mypy): the folders of the
repository are mapped onto ``certbridge.*`` by ``[tool.setuptools.package-dir]``."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = ("ontology", "data", "graph", "api", "visualize", "examples")


def package_tree(target: Path, *, copy: bool = False) -> Path:
    """Lay the folders out as the installed ``certbridge`` package under *target* (symlinks, or copies to edit)."""
    package = target / "certbridge"
    package.mkdir(parents=True)
    for name in SUBPACKAGES:
        if copy:
            shutil.copytree(ROOT / name, package / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (package / name).symlink_to(ROOT / name)
    return target
