"""Bulk downloads of the whole graph and of the certificate types, streamed from a temporary file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi import Path as PathParameter
from fastapi.responses import StreamingResponse

from certbridge.graph.export import EXPORT_FORMATS, export
from certbridge.ontology import PREFIXES

from .problems import Problem
from .state import store_of

router = APIRouter(prefix="/api/v1/download", tags=["downloads"])

MEDIA = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "csv": "text/csv",
}
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


def _stream(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def _spool() -> Path:
    with tempfile.NamedTemporaryFile(prefix="certbridge-", delete=False) as handle:
        return Path(handle.name)


@router.get("/graph.{format}", summary="The whole graph: ttl, nt, jsonld (union of graphs) or trig, nq (named graphs)")
def graph(request: Request, format: Annotated[str, PathParameter(examples=["ttl"])]) -> StreamingResponse:
    if format not in EXPORT_FORMATS:
        raise Problem(404, f"unknown format {format!r}; use {', '.join(EXPORT_FORMATS)}")
    path = _spool()
    with path.open("wb") as handle:
        export(store_of(request), handle, format)
    return StreamingResponse(
        _stream(path),
        media_type=MEDIA[format],
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
    path = _spool()
    answer = store_of(request).query(CERTIFICATE_TYPES, prefixes=PREFIXES, use_default_graph_as_union=True)
    answer.serialize(str(path), ox.QueryResultsFormat.CSV)
    del answer
    return StreamingResponse(
        _stream(path),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="certificate-types.csv"'},
    )
