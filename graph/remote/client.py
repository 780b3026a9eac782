"""HTTP to a SPARQL 1.1 server: the Protocol for queries and updates, the Graph Store Protocol for loads.

Every failure becomes a StoreError or QueryError that names the setting to check; no traceback of
the HTTP library reaches a user. Server quirks handled here (each reproduced with Virtuoso 7.2):

* a result cap (Virtuoso's ``ResultSetMaxRows``) cuts a SELECT silently and says so only in an
  ``X-SPARQL-MaxRows`` header: the answer is refused as truncated, never returned as complete;
* its time limit (``MaxQueryExecutionTime``) answers HTTP 500: reported as a time limit;
* its write endpoints accept HTTP digest authentication only;
* its JSON results write ``xsd:boolean`` values as ``1``/``0`` (legal, but not the canonical
  ``true``/``false`` that every other server and the embedded store return) and blank nodes as
  ``nodeID://b10000`` (not a valid label): both made canonical here.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TypedDict, Unpack

import httpx

from ..errors import QueryError, StoreError
from .location import RemoteLocation

#: bytes of a streamed answer kept in memory before it spills to a temporary file
SPOOL_BYTES = 32 * 1024 * 1024
#: an answer body: in memory, or a temporary file the reader deletes once it has opened it
Body = bytes | Path
_TIME_LIMIT_MARKERS = ("SR171", "timed out", "Timeout", "timeout")


_BOOLEAN_TERM = re.compile(
    rb'("datatype"\s*:\s*"http://www\.w3\.org/2001/XMLSchema#boolean"\s*,\s*"value"\s*:\s*")([01])"'
)
#: Virtuoso names blank nodes ``nodeID://b10000`` in JSON results, not a valid blank node label
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')


def _canonical(text: bytes) -> bytes:
    text = _BOOLEAN_TERM.sub(lambda m: m.group(1) + (b'true"' if m.group(2) == b"1" else b'false"'), text)
    return _VIRTUOSO_BNODE.sub(rb"\1", text)


def canonical_booleans(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """JSON results with ``xsd:boolean`` values ``1``/``0`` rewritten as ``true``/``false`` (and Virtuoso's
    ``nodeID://`` blank node names as plain labels), streamed.

    Each chunk is rewritten up to its last ``}``: a JSON term object that is not closed yet is carried
    to the next chunk whole, so a match never straddles two chunks.
    """
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        cut = buffer.rfind(b"}") + 1
        carry = buffer[cut:]
        yield _canonical(buffer[:cut])
    yield carry


class _Request(TypedDict, total=False):
    """The keyword arguments of an httpx request that the client sends."""

    params: dict[str, str]
    data: dict[str, str] | dict[str, list[str]]
    content: IO[bytes] | bytes
    headers: dict[str, str]
    auth: httpx.Auth | None


class TruncatedAnswer(QueryError):
    """The server returned only part of the answer (a row cap): using it as complete would mislead."""


class SparqlClient:
    """One connection pool to one server; thread-safe (httpx.Client is)."""

    def __init__(self, location: RemoteLocation, *, transport: httpx.BaseTransport | None = None) -> None:
        self.location = location
        auth: httpx.Auth | None = None
        if location.user is not None:
            password = location.password or ""
            auth = (
                httpx.BasicAuth(location.user, password)
                if location.auth == "basic"
                else httpx.DigestAuth(location.user, password)
            )
        self._write_auth = auth
        #: the server's ``Server`` header, once it answered (tells Virtuoso apart)
        self.server_software: str | None = None
        timeout = httpx.Timeout(location.timeout_s, connect=10.0)
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def close(self) -> None:
        self._http.close()

    def query(self, text: str, accept: str, dataset: Sequence[tuple[str, str]] = ()) -> Body:
        """POST a query; the answer body (see :func:`_stream`; the caller removes a temporary file)."""
        form: dict[str, list[str]] = {"query": [text]}
        for key, value in dataset:
            form.setdefault(key, []).append(value)
        url, headers = self.location.query_url, {"Accept": accept}
        return self._stream("POST", url, "store", json_results="json" in accept, data=form, headers=headers)

    def update(self, text: str) -> None:
        self._send("POST", self.location.update_url, "update_url", data={"update": text}, auth=self._write_auth)

    def put_graph(self, graph: str, body: IO[bytes] | bytes, media_type: str) -> None:
        """Replace one named graph with the given RDF (Graph Store Protocol PUT): atomic per graph."""
        self._send(
            "PUT",
            self.location.gsp_url,
            "gsp_url",
            params={"graph": graph},
            content=body,
            headers={"Content-Type": media_type},
            auth=self._write_auth,
        )

    def _send(self, method: str, url: str, setting: str, **request: Unpack[_Request]) -> httpx.Response:
        with self._errors(url, setting):
            response = self._http.request(method, url, **request)
            if response.status_code == 401 and isinstance(request.get("auth"), httpx.DigestAuth):
                # Virtuoso has, rarely, refused a correct digest answer to a fresh challenge (seen three times
                # in many runs, right after a start; not reproduced in 1,000 requests): ask once more, with a
                # new challenge, before reporting the credentials as refused (scripts/virtuoso-start.sh also
                # waits until the new password is accepted).
                self._write_auth = request["auth"] = httpx.DigestAuth(
                    self.location.user or "", self.location.password or ""
                )
                body = request.get("content")
                # a streamed body (a file, not bytes) is sent once: learn the new challenge first
                if body is not None and not isinstance(body, bytes):
                    probe = self.location.update_url  # (the authenticated SPARQL endpoint; never a graph)
                    self._http.get(probe, params={"query": "ASK {}"}, auth=self._write_auth)
                    body.seek(0)
                response = self._http.request(method, url, **request)
            self._check(response, url, setting)
            return response

    def _stream(self, method: str, url: str, setting: str, *, json_results: bool, **request: Unpack[_Request]) -> Body:
        """The answer body: bytes when small, else spilled to a temporary file as it arrives."""
        memory = bytearray()
        spill: IO[bytes] | None = None
        try:
            with self._errors(url, setting), self._http.stream(method, url, **request) as response:
                if response.status_code >= 400:
                    response.read()
                self._check(response, url, setting)
                chunks = response.iter_bytes()
                for chunk in canonical_booleans(chunks) if json_results else chunks:
                    if spill is None and len(memory) + len(chunk) <= SPOOL_BYTES:
                        memory += chunk
                        continue
                    if spill is None:
                        spill = tempfile.NamedTemporaryFile(prefix="certbridge-answer-", delete=False)  # noqa: SIM115
                        spill.write(memory)
                    spill.write(chunk)
        except BaseException:
            if spill is not None:
                spill.close()
                Path(spill.name).unlink(missing_ok=True)
            raise
        if spill is None:
            return bytes(memory)
        spill.close()
        return Path(spill.name)

    @contextlib.contextmanager
    def _errors(self, url: str, setting: str) -> Iterator[None]:
        name = self.location.setting(setting)
        try:
            yield
        except httpx.TimeoutException as exc:
            raise QueryError(
                f"the SPARQL server at {url} did not answer within {self.location.timeout_s:g} s ({exc})",
                hint=f"raise {self.location.setting('timeout_s')} or check the server",
            ) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.UnsupportedProtocol) as exc:
            raise StoreError(
                f"cannot reach the SPARQL server at {url}: {exc}",
                hint=f"check {name} and that the server is running",
            ) from exc
        except httpx.HTTPError as exc:
            raise StoreError(f"HTTP error talking to {url}: {exc}", hint=f"check {name}") from exc

    @property
    def is_virtuoso(self) -> bool:
        if self.server_software is None:
            with self._errors(self.location.query_url, "store"):
                self.server_software = self._http.get(self.location.query_url, params={"query": "ASK {}"}).headers.get(
                    "Server", ""
                )
        return "virtuoso" in (self.server_software or "").lower()

    def _check(self, response: httpx.Response, url: str, setting: str) -> None:
        if self.server_software is None:
            self.server_software = response.headers.get("Server", "")
        cap = response.headers.get("X-SPARQL-MaxRows")
        if cap is not None:
            raise TruncatedAnswer(
                f"the SPARQL server at {url} cut the answer at {cap} rows (its result cap)",
                hint="raise the server's row cap (Virtuoso: ResultSetMaxRows in virtuoso.ini) or page the query",
            )
        status = response.status_code
        if status < 400:
            return
        body = response.text.strip()[:800]
        if status in (401, 403):
            raise StoreError(
                f"the SPARQL server at {url} refused the request (HTTP {status})",
                hint=f"check {self.location.setting('user')} and {self.location.setting('password')}",
            )
        if status == 404:
            raise StoreError(f"no SPARQL endpoint at {url} (HTTP 404)", hint=f"check {self.location.setting(setting)}")
        if status >= 500 and any(marker in body for marker in _TIME_LIMIT_MARKERS):
            raise QueryError(f"the SPARQL server stopped the query at its time limit: {body}")
        raise QueryError(f"the SPARQL server at {url} answered HTTP {status}: {body}")
