"""What /sparql refuses before a query reaches a worker: text too long or too deep, SERVICE, bad graph IRIs, bodies.

Everything here is decided on the query's tokens (certbridge.graph.sparql_lexer), never on text patterns, and
each refusal is a 400 that names its setting, so the client knows what to change.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import Request

from certbridge.graph.sparql_lexer import LexError, analyse

from .problems import Problem
from .settings import SPARQL_MAX_DEPTH_ENV, SPARQL_MAX_QUERY_BYTES_ENV, Settings


def check(text: str, settings: Settings) -> None:
    """Refuse, on the query's tokens (graph/sparql_lexer.py), what could take the service down or fetch a URL."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > settings.sparql_max_query_bytes:
        raise Problem(
            400,
            f"the query is {size:,} bytes long; the limit is {settings.sparql_max_query_bytes:,} bytes, the setting "
            f"{SPARQL_MAX_QUERY_BYTES_ENV}",
        )
    try:
        analysis = analyse(text)
    except LexError as error:
        raise Problem(400, f"{error.message}; {error.hint}") from None
    if analysis.service:
        raise Problem(400, "federated queries (SERVICE) are refused: this public endpoint does not fetch other URLs")
    if analysis.depth > settings.sparql_max_depth:
        raise Problem(
            400,
            f"the query nests {{ ( [ {analysis.depth} deep; the limit is {settings.sparql_max_depth}, the setting "
            f"{SPARQL_MAX_DEPTH_ENV}",
        )


def absolute(iris: list[str], name: str) -> tuple[str, ...]:
    """The graph IRIs, if each is absolute (anything else made a worker fail before it was checked here)."""
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise Problem(400, f"{name} {iri!r} is not an absolute IRI: {error}") from None
    return tuple(iris)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read no further than *limit* bytes (then 400 naming the setting)."""
    declared = request.headers.get("content-length", "")
    too_long = Problem(
        400,
        f"the request body is longer than {limit:,} bytes; the limit follows the setting {SPARQL_MAX_QUERY_BYTES_ENV}",
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_long
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_long
        chunks.append(chunk)
    return b"".join(chunks)


def form_fields(body: bytes) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body, strictly UTF-8 (also once percent-decoded).

    Parsed here from the bounded body rather than by Starlette, which would read the body whole.
    """
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Problem(
            400, "the form is not UTF-8 (also once percent-decoded), as the SPARQL 1.1 Protocol requires"
        ) from None
    except ValueError as error:
        raise Problem(400, f"the form cannot be read: {error}") from None
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form
