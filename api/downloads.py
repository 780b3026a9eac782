"""Bulk downloads of the whole graph and of the certificate types, streamed from a temporary file."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi import Path as PathParameter
from fastapi.responses import Response, StreamingResponse

from certbridge.data import DATA_DIR
from certbridge.graph.export import EXPORT_FORMATS, RDF_FORMATS, export
from certbridge.graph.query import keep_carriage_returns
from certbridge.ontology import PREFIXES

from .negotiation import Format, media_type
from .problems import Problem
from .state import store_of

router = APIRouter(prefix="/api/v1/download", tags=["downloads"])

#: the media type of each export format, from pyoxigraph's table
MEDIA = {name: media_type(fmt) for name, fmt in RDF_FORMATS.items()}
CSV = media_type(ox.QueryResultsFormat.CSV)
CHUNK = 1 << 16
CERTIFICATE_TYPES = """SELECT ?certificate ?label_zh ?label_en ?issuer ?occupation ?grade ?standard
  ?illustrative ?synthetic WHERE {
  ?certificate a cb:CertificateType ; cb:issuedBy ?issuer ; cb:certifiesOccupation/skos:notation ?occupation ;
               cb:atGrade ?grade .
  OPTIONAL { ?certificate rdfs:label ?label_zh FILTER (LANG(?label_zh) = "zh") }
  OPTIONAL { ?certificate rdfs:label ?label_en FILTER (LANG(?label_en) = "en") }
  OPTIONAL { ?certificate cb:followsStandard ?standard }
  BIND (EXISTS { ?certificate cb:illustrative true } AS ?illustrative)
  BIND (EXISTS { ?certificate cb:synthetic true } AS ?synthetic) }"""


def _stream(path: Path, fmt: Format | None) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk if fmt is None else keep_carriage_returns(chunk, fmt)
    finally:
        path.unlink(missing_ok=True)


def _spool() -> Path:
    with tempfile.NamedTemporaryFile(prefix="certbridge-", delete=False) as handle:
        return Path(handle.name)


def spooled(
    write: Callable[[BinaryIO], None], *, media: str, fmt: Format | None = None, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """Write the answer to a temporary file, then stream it: a failure while writing is still a clean error.

    *fmt* names the RDF or results format written, so that an XML one keeps its carriage returns.
    """
    path = _spool()
    try:
        with path.open("wb") as handle:
            write(handle)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StreamingResponse(_stream(path, fmt), media_type=media, headers=headers)


@router.get("/graph.{format}", summary="The whole graph: ttl, nt, jsonld (union of graphs) or trig, nq (named graphs)")
def graph(request: Request, format: Annotated[str, PathParameter(examples=["ttl"])]) -> StreamingResponse:
    if format not in EXPORT_FORMATS:
        raise Problem(404, f"unknown format {format!r}; use {', '.join(EXPORT_FORMATS)}")
    store = store_of(request)
    return spooled(
        lambda handle: export(store, handle, format),
        media=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="certbridge.{format}"'},
    )


@router.get(
    "/certificate-types.csv",
    summary="Every certificate type as CSV (illustrative and synthetic flagged)",
    responses={
        200: {
            "content": {
                "text/csv": {
                    "example": "certificate,label_zh,label_en,issuer,occupation,grade,standard,illustrative,synthetic\n"
                    "https://w3id.org/certbridge/id/certificate-type/IL-CT-js-hrss-spinner-senior-technician,"
                    "江苏省人力资源和社会保障厅 纺纱工 高级技师（示例）,…,"
                    "https://w3id.org/certbridge/id/organisation/js-hrss,6-04-02-01,"
                    "https://w3id.org/certbridge/id/grade/senior-technician,,true,false\n"
                }
            }
        }
    },
)
def certificate_types(request: Request) -> StreamingResponse:
    store = store_of(request)

    def write(handle: BinaryIO) -> None:
        answer = store.query(CERTIFICATE_TYPES, prefixes=PREFIXES, use_default_graph_as_union=True)
        assert isinstance(answer, ox.QuerySolutions)  # a SELECT
        answer.serialize(handle, ox.QueryResultsFormat.CSV)

    return spooled(write, media=CSV, headers={"Content-Disposition": 'attachment; filename="certificate-types.csv"'})


@router.get(
    "/SOURCES.md",
    name="sources",
    response_class=Response,
    summary="Where each table comes from and under which terms its content may be reused (the dataset's licence)",
    responses={200: {"content": {"text/markdown": {"example": "# Where the tables come from\n…"}}}},
)
def sources() -> Response:
    return Response((DATA_DIR / "SOURCES.md").read_bytes(), media_type="text/markdown; charset=utf-8")
