"""Every module of the package says in its docstring why it exists (ARCHITECTURE.md points into them)."""

from __future__ import annotations

import ast

import pytest
from helpers.layout import ROOT, SUBPACKAGES

MODULES = sorted(
    path for name in SUBPACKAGES for path in (ROOT / name).rglob("*.py") if "__pycache__" not in path.parts
)


def test_the_package_has_modules() -> None:
    assert len(MODULES) > 80


@pytest.mark.parametrize("path", MODULES, ids=[str(path.relative_to(ROOT)) for path in MODULES])
def test_every_module_has_a_docstring(path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 3, f"{path.relative_to(ROOT)} says nothing of why it exists"
