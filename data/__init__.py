"""The editable source tables (CSV, UTF-8), shipped as package data.

``DATA_DIR`` is the default input of ``certbridge build``; data/README.md describes every column
and data/SOURCES.md where each table comes from.
"""

from importlib.resources import files
from pathlib import Path

DATA_DIR = Path(str(files(__name__)))

__all__ = ["DATA_DIR"]
