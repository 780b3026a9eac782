"""GET /api/v1/ctdl/{id}: one record in CTDL, the Credential Registry's language (graph/formats/ctdl.py), for a
registry or a tool that takes one credential, organisation or agreement at a time."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParameter
from fastapi.responses import Response

from certbridge.graph.formats.ctdl import CONTEXT, nodes_of
from certbridge.graph.iris import from_path
from certbridge.ontology import ID

from . import path_text  # noqa: F401 (registers the {name:text} convertor the routes below use)
from .problems import Problem, responses
from .state import Pinned, store_of

router = APIRouter(prefix="/api/v1", tags=["linked data"], dependencies=[Pinned])

JSON_LD = "application/ld+json"
_EXAMPLE = {
    "@context": CONTEXT,
    "@graph": [
        {
            "@id": f"{ID}certificate-type/IL-CT-hengfeng-spinner-senior-technician",
            "@type": "ceterms:Certificate",
            "ceterms:ctid": "ce-…",
            "ceterms:credentialType": "ceterms:Certificate",
            "ceterms:name": {"zh": "德州恒丰集团 纺纱工 高级技师（示例）"},
        }
    ],
}


@router.get(
    "/ctdl/{id:text}",
    operation_id="getCtdl",
    response_class=Response,
    summary="One record in CTDL JSON-LD: a certificate type, an organisation or region party, or an agreement",
    responses={
        200: {
            "content": {
                JSON_LD: {"schema": {"type": "object", "required": ["@context", "@graph"]}, "example": _EXAMPLE}
            }
        },
        **responses(404, 503),
    },
)
def ctdl(
    request: Request,
    id: Annotated[str, PathParameter(examples=["certificate-type/IL-CT-hengfeng-spinner-senior-technician"])],
) -> Response:
    """*id* is kind/key (``certificate-type/…``, ``organisation/…``, ``region/…``, ``agreement/…``) or the full IRI;
    an agreement gives one ceterms:RecognizeAction per recognising party."""
    iri = from_path(id)
    found = nodes_of(store_of(request), iri)
    if not found:
        raise Problem(
            404,
            f"没有此记录的 CTDL 形式 / no CTDL form of <{iri}>: it is not a certificate type, an organisation, "
            "a region party or an agreement that recognises certificates",
        )
    return Response(orjson.dumps({"@context": CONTEXT, "@graph": found}), media_type=JSON_LD)
