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
SPARQL_TIMEOUT_ENV = "CERTBRIDGE_SPARQL_TIMEOUT_S"
SPARQL_WORKERS_ENV = "CERTBRIDGE_SPARQL_WORKERS"
WRITE_TOKEN_ENV = "CERTBRIDGE_WRITE_TOKEN"
VIZ_MAX_NODES_ENV = "CERTBRIDGE_VIZ_MAX_NODES"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the web service needs; every field can come from the environment (``CERTBRIDGE_…``)."""

    store: Path
    sparql_max_rows: int = 10_000
    sparql_timeout_s: float = 10.0
    sparql_workers: int = 2
    #: the bearer token writes must present; None disables writes
    write_token: str | None = None
    #: the most nodes a graph view ships to the browser; beyond it, nodes are aggregated
    viz_max_nodes: int = 500

    @classmethod
    def from_environment(cls, store: Path | None = None) -> Settings:
        return cls(
            resolve_store(store),
            _number(SPARQL_MAX_ROWS_ENV, "10000", int),
            _number(SPARQL_TIMEOUT_ENV, "10", float),
            _number(SPARQL_WORKERS_ENV, "2", int),
            os.environ.get(WRITE_TOKEN_ENV) or None,
            _number(VIZ_MAX_NODES_ENV, "500", int),
        )


def _number(name: str, default: str, cast: type) -> int | float:
    text = os.environ.get(name, default)
    try:
        value = cast(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name}={text!r} must be positive")
    return value
