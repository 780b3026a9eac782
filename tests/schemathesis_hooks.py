"""Schemathesis hooks for tests/test_schemathesis.py (loaded by ``st`` through SCHEMATHESIS_HOOKS).

``POST /sparql`` documents the SPARQL 1.1 Protocol's ``application/sparql-query`` body (the query text, UTF-8),
a media type schemathesis has no serializer for: without one, the operation's body form goes untested.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("application/sparql-query")
def sparql_query(_context: Any, value: Any) -> bytes:
    """The generated value as the query text: a string as UTF-8, anything else by its text."""
    if isinstance(value, bytes):
        return value
    return ("" if value is None else str(value)).encode("utf-8", "surrogatepass")
