"""Where the test data sets live, and the type of the in-process CLI runner the `cli` fixture gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MINI_DATA = FIXTURES / "mini"

Cli = Callable[..., Result]
