"""HTTP conventions that clients and caches rely on, as one pure ASGI middleware around every route.

- Every answer names the store version it was read from (``Certbridge-Data-Version``): a read pinned to a
  release (``?release=TAG``, ``state.pinned``) names the release's version, and its ETag is made of it.
- A read (GET, HEAD) answered 200 carries a validator: the store version as a weak ``ETag`` (with the code
  version, the media type and the day mixed in, since answers that default ``as_of`` to today (``date.today()``)
  change at midnight), the time the version's build began (its name says) as ``Last-Modified``, and
  ``Cache-Control`` with the setting ``CERTBRIDGE_CACHE_MAX_AGE_S``; ``If-None-Match`` (or, without it,
  ``If-Modified-Since``) turns it into a 304. A route that sets its own validators (a file's) keeps them.
- HEAD is answered for every GET resource: the GET answer's status and headers, without its body.
- A 406 carries ``Vary: Accept`` like the answers it stands for.
- OPTIONS answers 204 with ``Allow`` (a CORS preflight never gets here: CORSMiddleware answers it outside this
  one), and every 405 carries ``Allow``, the methods of every route of that path.

Bodies are passed through as they come (a 304 or a HEAD drops them), so a streamed download is never buffered.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certbridge.graph.errors import CertbridgeError

from .state import PINNED, state_of

DATA_VERSION = "Certbridge-Data-Version"
#: headers a browser script may read across origins, beyond the CORS-safelisted ones
EXPOSED = ["ETag", DATA_VERSION]
#: a version name holds the time its build began: ``v-20261204T213757123456Z-4242``
#: the methods a route here may answer, tried one by one to build ``Allow``
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
_VERSION_TIME = re.compile(r"(\d{8}T\d{12})Z")
#: an entity tag of ``entity_tag``, or a bare version name, in quotes
_VERSION_TAG = re.compile(r'"(v-\d{8}T\d{12}Z-\d+)(?:-[0-9a-f]{12})?"')


@functools.lru_cache(maxsize=64)
def built_at(version: Path) -> datetime | None:
    """When the build of *version* began (UTC, from its name); None for a name that does not say."""
    found = _VERSION_TIME.search(version.name)
    return datetime.strptime(found[1], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC) if found else None


@functools.lru_cache(maxsize=256)
def entity_tag(version: Path, code_version: str, media_type: str, day: date) -> str:
    """A weak ETag: the store version, plus what else the answer depends on."""
    digest = hashlib.sha256(f"{code_version}\n{media_type}\n{day.isoformat()}".encode()).hexdigest()[:12]
    return f'W/"{version.name}-{digest}"'


def version_named_by(if_match: str) -> str | None:
    """The store version an ``If-Match`` header names: the first of its entity tags made by :func:`entity_tag` (of
    any representation: the version is what a write is based on); None when none is (``*`` included: it asks for
    no particular version, which a write treats as no If-Match at all).

    >>> version_named_by('W/"v-20261207T101500123456Z-4242-0123456789ab"')
    'v-20261207T101500123456Z-4242'
    """
    for tag in if_match.split(","):
        found = _VERSION_TAG.fullmatch(_opaque(tag))
        if found:
            return found[1]
    return None


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def not_modified(request: Headers, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 13.1.2 and 13.1.3: If-None-Match (weak comparison) decides, else If-Modified-Since."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}
    since = request.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        client_time = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored, as RFC 9110 says
    if client_time.tzinfo is None:
        return False
    return modified.replace(microsecond=0) <= client_time


def allowed_methods(scope: Scope) -> list[str]:
    """The methods some route of this path answers, with HEAD beside GET and OPTIONS; empty for an unknown path.

    Each method is tried against the routes' own matching (a route matches fully only with a method it answers),
    which also sees into the routers FastAPI keeps nested.
    """
    routes = scope["app"].router.routes
    methods = {
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    }
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"})


def _validators(headers: MutableHeaders, version: Path, code_version: str) -> tuple[str, datetime | None, str | None]:
    """The answer's own ETag and Last-Modified when the route set them (a file's), else the store version's; with
    the time as the ``Last-Modified`` header writes it."""
    etag = headers.get("etag") or entity_tag(version, code_version, headers.get("content-type", ""), date.today())
    own_time = headers.get("last-modified")
    if own_time is not None:
        with contextlib.suppress(TypeError, ValueError):
            own = parsedate_to_datetime(own_time)
            return etag, own, http_date(own)
    modified = built_at(version)
    return etag, modified, http_date(modified) if modified is not None else None


@functools.lru_cache(maxsize=64)
def http_date(moment: datetime) -> str:
    """*moment* as HTTP writes dates (RFC 9110 5.6.7); cached, as most answers carry their version's build time."""
    return format_datetime(moment, usegmt=True)


def _version(scope: Scope) -> Path | None:
    try:
        return state_of(scope["app"]).store.current_version()
    except (CertbridgeError, OSError):  # a server store that cannot be reached: the route itself will say so
        return None


class HttpConventions:
    """The middleware; install it inside CORSMiddleware (added before it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            allowed = allowed_methods(scope)
            if allowed:
                headers = [(b"allow", ", ".join(allowed).encode()), (b"content-length", b"0")]
                await send({"type": "http.response.start", "status": 204, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        settings = scope["app"].state.certbridge.settings
        location = settings.store
        version = _version(scope) if isinstance(location, Path) else await run_in_threadpool(_version, scope)
        drop_body = head
        request = Headers(scope=scope)
        # the pinning dependency (state.pinned) puts the release's version here, read when the answer starts
        shared: dict[str, object] = scope.setdefault("state", {})

        async def send_with_conventions(message: Message) -> None:
            nonlocal drop_body
            if message["type"] == "http.response.start":
                status = message["status"]
                pinned = shared.get(PINNED)
                answered_from = pinned if isinstance(pinned, Path) else version
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                if status == 405:
                    headers["Allow"] = ", ".join(allowed_methods(scope))
                if status == 406:  # the answer was negotiated, though the route raised before it could say so
                    headers.add_vary_header("Accept")
                if answered_from is not None:
                    headers[DATA_VERSION] = answered_from.name
                    # an answer that must not be reused (the health check's live state) gets no validators either
                    reusable = "no-store" not in headers.get("cache-control", "")
                    if status == 200 and method in ("GET", "HEAD") and reusable:
                        etag, modified, written = _validators(headers, answered_from, scope["app"].version)
                        headers["ETag"] = etag
                        if written is not None:
                            headers["Last-Modified"] = written
                        if "cache-control" not in headers:
                            headers["Cache-Control"] = f"public, max-age={settings.cache_max_age_s}"
                        if not_modified(request, etag, modified):
                            status, drop_body = 304, True
                            for name in ("content-length", "content-type", "content-disposition"):
                                del headers[name]
                message = {**message, "status": status, "headers": headers.raw}
            elif message["type"] == "http.response.body" and drop_body:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_with_conventions)
