"""GET /api/v1/sources: every source and policy document, and how many records of each table rest on it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from certbridge.graph.sources import source_report

from .state import store_of

router = APIRouter(prefix="/api/v1", tags=["sources"])

_EXAMPLE = {
    "sources": [
        {
            "id": "SRC-FJ-ZZGOV2022",
            "iri": "https://w3id.org/certbridge/id/source/SRC-FJ-ZZGOV2022",
            "kind": "official page",
            "title": "Zhangzhou municipal government site: text of 闽人社文〔2021〕71号",
            "url": "http://www.zhangzhou.gov.cn/cms/html/zzsrmzf/2022-03-31/1947464673.html",
            "date": "2022-03-31",
            "precision": "day",
            "date_as_stated": None,
            "trust": "high",
            "records": 3,
            "by_table": {"agreements": 1, "documents": 1, "organisations": 1},
        }
    ],
    "by_table": {"agreements": 21, "occupations": 2176},
}


class SourceOut(BaseModel):
    """One source (sources.csv) or policy document (documents.csv)."""

    id: str
    iri: str
    kind: str = Field(description="kind as recorded, or 'policy document'")
    title: str | None
    url: str | None = Field(description="address; null when none is known (the source's note says why)")
    date: str | None = Field(description="as precise as the source gives it")
    precision: str | None = Field(description="year, month or day (of the typed date); null without one")
    date_as_stated: str | None
    trust: str | None
    records: int = Field(description="records citing it, over all tables")
    by_table: dict[str, int] = Field(description="records citing it, per table")


class SourcesOut(BaseModel):
    sources: list[SourceOut]
    by_table: dict[str, int] = Field(description="per table: records citing at least one source")


@router.get(
    "/sources",
    summary="Every source and policy document, with kind, address, date, trust and the records resting on it",
    response_model=SourcesOut,
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
    name="source_list",  # "sources" names the page of data/SOURCES.md (downloads), which VoID links to
    operation_id="listSources",
)
def source_list(request: Request) -> SourcesOut:
    """Same content as `certbridge sources --json`, for the version served."""
    return SourcesOut.model_validate(source_report(store_of(request)).to_json())
