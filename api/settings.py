"""Where settings come from: command-line options, then the environment, then documented defaults.

This module is the only place the environment is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STORE_ENV = "CERTBRIDGE_STORE"


def default_store() -> Path:
    """``$XDG_DATA_HOME/certbridge/store``, else ``~/.local/share/certbridge/store``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "certbridge" / "store"


def resolve_store(option: Path | None) -> Path:
    """The store location: ``--store``, else ``$CERTBRIDGE_STORE``, else :func:`default_store`."""
    if option is not None:
        return option
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else default_store()


SPARQL_MAX_ROWS_ENV = "CERTBRIDGE_SPARQL_MAX_ROWS"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the web service needs; every field can come from the environment (``CERTBRIDGE_…``)."""

    store: Path
    sparql_max_rows: int = 10_000

    @classmethod
    def from_environment(cls, store: Path | None = None) -> Settings:
        rows = os.environ.get(SPARQL_MAX_ROWS_ENV, "10000")
        try:
            max_rows = int(rows)
        except ValueError:
            raise ValueError(f"{SPARQL_MAX_ROWS_ENV}={rows!r} is not a whole number") from None
        return cls(resolve_store(store), max_rows)
