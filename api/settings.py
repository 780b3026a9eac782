"""Where settings come from: command-line options, then the environment, then documented defaults.

This module is the only place the environment is read.
"""

from __future__ import annotations

import os
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
