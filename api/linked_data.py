"""The documents a JSON-LD consumer needs beside the answers: the context at /ns/context.jsonld (the file the
package ships, so its IRI resolves on any certbridge server) and a JSON Schema of each framed kind at
/schemas/{kind}.json, published beside /openapi.json."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import orjson
from fastapi import APIRouter
from fastapi import Path as PathParameter
from fastapi.responses import Response

from certbridge.graph.formats.jsonld import KINDS, schema
from certbridge.ontology import CONTEXT_FILE

from .problems import responses

router = APIRouter(tags=["linked data"])

JSON_LD = "application/ld+json"
JSON_SCHEMA = "application/schema+json"


class FramedKind(StrEnum):
    """The kinds of entity with a frame and a schema of their own (the value is their IRIs' first path segment)."""

    CERTIFICATE_TYPE = "certificate-type"
    OCCUPATION = "occupation"
    ORGANISATION = "organisation"
    AGREEMENT = "agreement"
    STANDARD = "standard"
    SOURCE = "source"


assert {kind.value for kind in FramedKind} == set(KINDS), "FramedKind must name the kinds of graph/formats/jsonld.py"


@router.get(
    "/ns/context.jsonld",
    operation_id="getJsonLdContext",
    response_class=Response,
    summary="The JSON-LD context of certbridge's compact JSON-LD (its terms are the ontology's)",
    responses={
        200: {
            "content": {
                JSON_LD: {
                    "schema": {"type": "object", "required": ["@context"]},
                    "example": {
                        "@context": {
                            "type": "@type",
                            "cb": "https://w3id.org/certbridge/ontology#",
                            "name": {"@id": "skos:prefLabel", "@container": "@language"},
                            "issuedBy": {"@id": "cb:issuedBy", "@type": "@id"},
                        }
                    },
                }
            }
        }
    },
)
def json_ld_context() -> Response:
    return Response(CONTEXT_FILE.read_bytes(), media_type=JSON_LD)


@router.get(
    "/schemas/{kind}.json",
    operation_id="getFramedSchema",
    response_class=Response,
    summary="The JSON Schema of one kind of entity's framed JSON-LD (what /id/… answers for application/ld+json)",
    responses={200: {"content": {JSON_SCHEMA: {"schema": {"type": "object"}}}}, **responses(422)},
)
def framed_schema(kind: Annotated[FramedKind, PathParameter(examples=["certificate-type"])]) -> Response:
    return Response(orjson.dumps(schema(KINDS[kind.value]), option=orjson.OPT_INDENT_2), media_type=JSON_SCHEMA)
