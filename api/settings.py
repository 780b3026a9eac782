"""Where settings come from: command-line options, then the environment, then documented defaults.

This module is the only place the environment is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from certbridge.graph.errors import InvalidValue
from certbridge.graph.remote.location import LocationOptions, RemoteLocation, is_remote, parse_location

if TYPE_CHECKING:  # the store module loads rdflib and httpx: too slow for `certbridge --help`
    from certbridge.graph.store import Location

STORE_ENV = "CERTBRIDGE_STORE"
#: settings of a SPARQL server store (``CERTBRIDGE_STORE=sparql+http://...``)
SERVER_ENV = {
    "update_url": "CERTBRIDGE_SERVER_UPDATE_URL",
    "gsp_url": "CERTBRIDGE_SERVER_GSP_URL",
    "user": "CERTBRIDGE_SERVER_USER",
    "password": "CERTBRIDGE_SERVER_PASSWORD",
    "auth": "CERTBRIDGE_SERVER_AUTH",
    "timeout_s": "CERTBRIDGE_SERVER_TIMEOUT_S",
    "workdir": "CERTBRIDGE_SERVER_WORKDIR",
}
SERVER_PASSWORD_FILE_ENV = "CERTBRIDGE_SERVER_PASSWORD_FILE"


def default_store() -> Path:
    """``$XDG_DATA_HOME/certbridge/store``, else ``~/.local/share/certbridge/store``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "certbridge" / "store"


def resolve_store(option: str | Path | None) -> Location:
    """The store location: ``--store``, else ``$CERTBRIDGE_STORE``, else :func:`default_store`.

    ``sparql+http(s)://HOST/PATH`` names a SPARQL server's query endpoint; anything else is a directory.
    """
    text = str(option) if option is not None else os.environ.get(STORE_ENV)
    if not text:
        return default_store()
    if not is_remote(text):
        return Path(text)
    return server_location(text, "--store" if option is not None else STORE_ENV)


def server_location(text: str, store_setting: str) -> RemoteLocation:
    """A server store's connection settings, from the environment; a bad value raises naming its setting."""
    given = {key: os.environ.get(name) or None for key, name in SERVER_ENV.items()}
    options = LocationOptions(
        update_url=given["update_url"],
        gsp_url=given["gsp_url"],
        user=given["user"],
        password=given["password"],
        auth=given["auth"],
        workdir=given["workdir"],
    )
    password_file = os.environ.get(SERVER_PASSWORD_FILE_ENV)
    if options["password"] is None and password_file:
        try:
            options["password"] = Path(password_file).read_text().strip()
        except OSError as exc:
            raise InvalidValue(f"{SERVER_PASSWORD_FILE_ENV}={password_file!r}: {exc.strerror}") from None
    if options["auth"] not in (None, "digest", "basic"):
        raise InvalidValue(f"{SERVER_ENV['auth']}={options['auth']!r} must be digest or basic")
    if given["timeout_s"] is not None:
        options["timeout_s"] = _number(SERVER_ENV["timeout_s"], "600", float)
    names = {"store": store_setting, **SERVER_ENV}
    if password_file:
        names["password"] = f"{SERVER_ENV['password']} / {SERVER_PASSWORD_FILE_ENV}"
    options["settings"] = names
    try:
        return parse_location(text, workdir_base=default_store().parent / "servers", **options)
    except ValueError as exc:
        raise InvalidValue(f"{store_setting}={text!r}: {exc}") from None


SPARQL_MAX_ROWS_ENV = "CERTBRIDGE_SPARQL_MAX_ROWS"
SPARQL_TIMEOUT_ENV = "CERTBRIDGE_SPARQL_TIMEOUT_S"
SPARQL_WORKERS_ENV = "CERTBRIDGE_SPARQL_WORKERS"
SPARQL_QUEUE_TIMEOUT_ENV = "CERTBRIDGE_SPARQL_QUEUE_TIMEOUT_S"
SPARQL_WORKER_MEMORY_ENV = "CERTBRIDGE_SPARQL_WORKER_MEMORY_MB"
SPARQL_MAX_QUERY_BYTES_ENV = "CERTBRIDGE_SPARQL_MAX_QUERY_BYTES"
SPARQL_MAX_DEPTH_ENV = "CERTBRIDGE_SPARQL_MAX_DEPTH"
WRITE_TOKEN_ENV = "CERTBRIDGE_WRITE_TOKEN"
#: named writers: ``name=token;name2=token2`` (a write is logged under the name its token maps to)
WRITERS_ENV = "CERTBRIDGE_WRITERS"
#: the writer a write with the single ``CERTBRIDGE_WRITE_TOKEN`` is logged under
DEFAULT_WRITER = "api"
#: on SIGTERM, requests still running after this many seconds are cancelled and their query workers stopped, so a
#: slow query cannot hold the server up (uvicorn's default waits for every request, however long)
GRACEFUL_SHUTDOWN_S = 3
VIZ_MAX_NODES_ENV = "CERTBRIDGE_VIZ_MAX_NODES"
#: how many data releases an embedded store keeps (graph/store/releases.py): a new one lets the oldest go
KEEP_RELEASES_ENV = "CERTBRIDGE_KEEP_RELEASES"
#: how many certificate-type pairs a route diff (or a what-if of a proposed change) compares at most
DIFF_MAX_PAIRS_ENV = "CERTBRIDGE_DIFF_MAX_PAIRS"
CACHE_MAX_AGE_ENV = "CERTBRIDGE_CACHE_MAX_AGE_S"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the web service needs; every field can come from the environment (``CERTBRIDGE_…``)."""

    store: Location
    sparql_max_rows: int = 10_000
    sparql_timeout_s: float = 10.0
    sparql_workers: int = 2
    #: the bearer token writes must present; None disables writes
    write_token: str | None = None
    #: the most nodes a graph view ships to the browser; beyond it, nodes are aggregated
    viz_max_nodes: int = 500
    #: how many seconds a client or cache may reuse a read answer before it asks again (``Cache-Control``)
    cache_max_age_s: int = 60
    #: how long a query may wait for a free worker before the answer is 503 with Retry-After
    sparql_queue_timeout_s: float = 5.0
    #: the address space of a query worker (RLIMIT_AS), in MiB
    sparql_worker_memory_mb: int = 4096
    #: the longest query text (UTF-8 bytes) accepted
    sparql_max_query_bytes: int = 100_000
    #: the deepest nesting of { ( [ accepted (the engine's parser recurses; deep nesting crashes it)
    sparql_max_depth: int = 40
    #: (writer name, token) pairs: each write is logged under the name of the token it presents
    writers: tuple[tuple[str, str], ...] = ()
    #: how many data releases are kept; a new release beyond it lets the oldest go (recorded in releases.json)
    keep_releases: int = 20
    #: how many certificate-type pairs a route diff compares at most (the answer says when it stopped there)
    diff_max_pairs: int = 20_000

    def tokens(self) -> tuple[tuple[str, str], ...]:
        """Every (writer, token) accepted: the named writers, and ``write_token`` as DEFAULT_WRITER."""
        single = ((DEFAULT_WRITER, self.write_token),) if self.write_token else ()
        return (*self.writers, *single)

    @classmethod
    def from_environment(cls, store: str | Path | None = None) -> Settings:
        return cls(
            resolve_store(store),
            _number(SPARQL_MAX_ROWS_ENV, "10000", int),
            _number(SPARQL_TIMEOUT_ENV, "10", float),
            _number(SPARQL_WORKERS_ENV, "2", int),
            os.environ.get(WRITE_TOKEN_ENV) or None,
            _number(VIZ_MAX_NODES_ENV, "500", int),
            _number(CACHE_MAX_AGE_ENV, "60", int),
            sparql_queue_timeout_s=_number(SPARQL_QUEUE_TIMEOUT_ENV, "5", float),
            sparql_worker_memory_mb=_number(SPARQL_WORKER_MEMORY_ENV, "4096", int),
            sparql_max_query_bytes=_number(SPARQL_MAX_QUERY_BYTES_ENV, "100000", int),
            sparql_max_depth=_number(SPARQL_MAX_DEPTH_ENV, "40", int),
            writers=_writers(os.environ.get(WRITERS_ENV, "")),
            keep_releases=_number(KEEP_RELEASES_ENV, "20", int),
            diff_max_pairs=_number(DIFF_MAX_PAIRS_ENV, "20000", int),
        )


def _writers(text: str) -> tuple[tuple[str, str], ...]:
    """``name=token;name2=token2`` as pairs; a pair without a name or a token is refused, naming the setting."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, _, token = item.partition("=")
        if not name.strip() or not token.strip():
            raise InvalidValue(f"{WRITERS_ENV}: {name.strip() or '?'!r} needs the form name=token")
        pairs.append((name.strip(), token.strip()))
    return tuple(pairs)


Number = TypeVar("Number", int, float)


def _number(name: str, default: str, cast: Callable[[str], Number]) -> Number:
    """The positive number *name* sets (else *default*), read by *cast* (``int`` or ``float``)."""
    text = os.environ.get(name, default)
    try:
        value = cast(text)
    except ValueError:
        raise InvalidValue(f"{name}={text!r} is not a number") from None
    if value <= 0:
        raise InvalidValue(f"{name}={text!r} must be positive")
    return value
