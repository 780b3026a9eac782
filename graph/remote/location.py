"""Where a remote store lives: its SPARQL endpoints, its credentials, and a local working directory.

``CERTBRIDGE_STORE=sparql+http://127.0.0.1:8890/sparql`` names the query endpoint. The update and
Graph Store endpoints are derived from it the way the two tested servers lay them out (Virtuoso:
``/sparql`` -> ``/sparql-auth`` and ``/sparql-graph-crud-auth``; Oxigraph: ``/query`` -> ``/update``
and ``/store``) unless set. The working directory holds what the embedded store keeps beside its
versions (the tables a version was built from, the routing index cache, the write lock).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

from ..errors import InvalidValue

SCHEME_PREFIX = "sparql+"

#: (suffix of the query URL, update URL suffix, Graph Store URL suffix)
_LAYOUTS = (("/sparql", "/sparql-auth", "/sparql-graph-crud-auth"), ("/query", "/update", "/store"))
T = TypeVar("T")
DEFAULT_AUTH = "digest"
DEFAULT_TIMEOUT_S = 600.0


def is_remote(text: str) -> bool:
    return text.startswith((SCHEME_PREFIX + "http://", SCHEME_PREFIX + "https://"))


@dataclass(frozen=True)
class RemoteLocation:
    """Connection settings of a SPARQL server store; ``setting`` names where each came from, for errors."""

    query_url: str
    update_url: str
    gsp_url: str
    workdir: Path
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    #: "digest" (Virtuoso's write endpoints accept nothing else) or "basic"
    auth: str = DEFAULT_AUTH
    #: seconds an HTTP request may take before the client gives up
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: the names of the settings, for error messages (filled by the settings layer)
    settings: dict[str, str] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return SCHEME_PREFIX + self.query_url

    def setting(self, key: str) -> str:
        """The name of the setting that configures *key* (``store`` or a field name: ``update_url``, ``user``, ...)."""
        return self.settings.get(key, key)


def derived_endpoints(query_url: str) -> tuple[str, str]:
    """The update and Graph Store URLs a server of a known layout has beside *query_url*."""
    for query_suffix, update_suffix, gsp_suffix in _LAYOUTS:
        if query_url.endswith(query_suffix):
            base = query_url[: -len(query_suffix)]
            return base + update_suffix, base + gsp_suffix
    return query_url, query_url.rsplit("/", 1)[0] + "/store"


def default_workdir(query_url: str, base: Path) -> Path:
    """One local working directory per server and endpoint, under *base*."""
    parts = urlsplit(query_url)
    digest = hashlib.sha256(query_url.encode()).hexdigest()[:12]
    return base / f"{parts.hostname}-{parts.port or 80}-{digest}"


class LocationOptions(TypedDict, total=False):
    """What settings may give beside the URL; None (as an unset environment variable gives) keeps the default."""

    update_url: str | None
    gsp_url: str | None
    workdir: str | Path | None
    user: str | None
    password: str | None
    auth: str | None
    timeout_s: float | None
    settings: dict[str, str] | None


def parse_location(text: str, *, workdir_base: Path, **options: Unpack[LocationOptions]) -> RemoteLocation:
    """A RemoteLocation from ``sparql+http(s)://...``; *options* override the derived endpoints."""
    query_url = text.removeprefix(SCHEME_PREFIX)
    parts = urlsplit(query_url)
    if not parts.hostname:
        raise InvalidValue(f"{text!r} names no host")
    unknown = options.keys() - LocationOptions.__optional_keys__
    if unknown:  # the check a dataclass makes of its keywords, which the typed options no longer reach
        raise TypeError(f"parse_location() got unexpected options: {', '.join(sorted(unknown))}")
    update_url, gsp_url = derived_endpoints(query_url)
    workdir = options.get("workdir")
    return RemoteLocation(
        query_url=query_url,
        update_url=_given(options.get("update_url"), update_url),
        gsp_url=_given(options.get("gsp_url"), gsp_url),
        workdir=Path(workdir) if workdir is not None else default_workdir(query_url, workdir_base),
        user=options.get("user"),
        password=options.get("password"),
        auth=_given(options.get("auth"), DEFAULT_AUTH),
        timeout_s=_given(options.get("timeout_s"), DEFAULT_TIMEOUT_S),
        settings=_given(options.get("settings"), {}),
    )


def _given(value: T | None, default: T) -> T:
    """*value* unless it is None (an unset setting), else *default*."""
    return value if value is not None else default
