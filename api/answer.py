"""The answer page at /answer (a permalink: ``/answer?from=&to=&as_of=``) and its downloads /answer.json (the
API's JSON) and /answer.csv (one row per hop).

``from`` and ``to`` are resolved as the REST API resolves them (an id, an IRI, or search text). The page never
shows a raw error: a name that matches nothing, several things (listed as links to choose from) or a bad date is
said in the page's language beside the question form, with a 4xx status. The downloads are for programs, and
keep the API's problem+json errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from certbridge.graph.errors import Ambiguous, NotFound
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.explain import missing_agreement
from certbridge.graph.routing.model import RouteAnswer
from certbridge.graph.routing.records import Grade, RoutingIndex
from certbridge.graph.routing.resolve import HELD_KINDS, TARGET_KINDS, resolve
from certbridge.graph.routing.table import to_csv
from certbridge.ontology import ID
from certbridge.visualize.answer import AgreementFacts, Grades, answer_body, answer_page, share_links
from certbridge.visualize.catalogue import Language, text
from certbridge.visualize.question import Box, Question, question_form

from .models import Day, RouteAnswerOut, answered
from .pages import language_of, page
from .problems import responses
from .state import index_of, state_of

router = APIRouter(tags=["views"])

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: the documented form of ``as_of`` on the page (checked by the page itself, so a bad one is said in words)
#: (empty is today: the form without its script sends the empty field)
_DAY_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        {"type": "string", "maxLength": 0},
    ]
}
_HTML = {"content": {"text/html": {"example": "<!doctype html>… 是：依据… …"}}}

Source = Annotated[
    str | None,
    Query(
        alias="from",
        description="the certificate held: an id, an IRI, or search text (empty: the question form alone)",
        examples=["IL-CT-hengfeng-spinner-senior-technician"],
    ),
]
Target = Annotated[
    str | None,
    Query(
        alias="to",
        description="the certificate (or title or level) required: an id, an IRI, or search text",
        examples=["IL-CT-js-hrss-spinner-senior-technician"],
    ),
]


class QuestionError(Exception):
    """What the page says instead of an answer: a catalogue message, its status, and the candidates to choose
    from when a name was ambiguous (the permalinks of each choice, with their labels)."""

    def __init__(self, status: int, key: str, *, candidates: tuple[tuple[str, str], ...] = (), **values: str) -> None:
        super().__init__(key)
        self.status, self.key, self.values, self.candidates = status, key, values, candidates


@dataclass(frozen=True, slots=True, kw_only=True)
class Asked:
    """The question as the request put it: the texts of both boxes and the day's text (each may be empty)."""

    source: str
    target: str
    as_of: str

    @classmethod
    def of(cls, request: Request) -> Asked:
        """The first non-empty value of each parameter: the form sends a box's picked id and its text under one
        name, and its script disables the one not meant (without a script both come, the id empty)."""

        def first(name: str) -> str:
            return next((v.strip() for v in request.query_params.getlist(name) if v.strip()), "")

        day = next((v for v in request.query_params.getlist("as_of") if v), "")  # a day is never padded
        return cls(source=first("from"), target=first("to"), as_of=day)

    def day(self) -> date | None:
        """The day asked about (None: today); QuestionError when it is not a YYYY-MM-DD calendar day."""
        if not self.as_of:
            return None
        try:
            if not _DAY.fullmatch(self.as_of):
                raise ValueError(self.as_of)
            return date.fromisoformat(self.as_of)
        except ValueError:
            raise QuestionError(400, "answer.error.date", text=self.as_of) from None

    def query(self, **changed: str) -> dict[str, str]:
        """The permalink's parameters, with *changed* ones replaced."""
        asked = {"from": self.source, "to": self.target, "as_of": self.as_of, **changed}
        return {name: value for name, value in asked.items() if value}


def _resolve(index: RoutingIndex, asked: Asked, which: str) -> str:
    """The IRI a box names, or the QuestionError the page shows (a held title or level, nothing, or several)."""
    typed = asked.source if which == "from" else asked.target
    try:
        return resolve(index, typed, kinds=HELD_KINDS if which == "from" else TARGET_KINDS)
    except Ambiguous as error:
        candidates = tuple(
            (f"/answer?{urlencode(asked.query(**{which: _short(iri)}))}", label) for iri, label in error.candidates
        )
        raise QuestionError(409, "answer.error.ambiguous", candidates=candidates, text=typed) from None
    except NotFound:
        if which == "from" and typed and resolve_quietly(index, typed):
            raise QuestionError(400, "answer.error.held-credential", text=typed) from None
        raise QuestionError(404, "answer.error.not-found", text=typed) from None


def resolve_quietly(index: RoutingIndex, typed: str) -> str | None:
    """What *typed* names among every kind a route may end at, or None (nothing, or several things)."""
    try:
        return resolve(index, typed)
    except (NotFound, Ambiguous):
        return None


def _short(iri: str) -> str:
    """A certificate type's or credential's id, as a permalink names it (else the whole IRI)."""
    for kind in ("certificate-type/", "credential/"):  # the id spaces resolve.direct reads an id in
        if iri.startswith(f"{ID}{kind}"):
            return iri.removeprefix(f"{ID}{kind}")
    return iri


def _answer(request: Request, asked: Asked) -> tuple[RouteAnswer, RoutingIndex]:
    """The route answer to a complete question (QuestionError for what cannot be answered)."""
    day = asked.day()
    index = index_of(request)
    source, target = _resolve(index, asked, "from"), _resolve(index, asked, "to")
    return find_routes(index, source, target, as_of=day), index


def _version(request: Request) -> str | None:
    version = state_of(request.app).store.current_version()
    return version.name if version is not None else None


def _form(asked: Asked, language: Language, labels: tuple[str, str] = ("", ""), ids: tuple[str, str] = ("", "")) -> str:
    """The question form filled with what was asked (a resolved box shows the record's name, and keeps its id)."""
    held = Box(text=labels[0] or asked.source, id=ids[0])
    required = Box(text=labels[1] or asked.target, id=ids[1])
    question = Question(held=held, required=required, as_of=asked.as_of)
    return question_form(question, language, today=date.today().isoformat())


def _problem_body(error: QuestionError, asked: Asked, language: Language) -> str:
    said = text(error.key, language, **error.values)
    items = "".join(f"<li><a href='{escape(href)}'>{escape(label)}</a></li>" for href, label in error.candidates)
    choices = f"<ul class='candidates'>{items}</ul>" if items else ""
    return (
        f"<h1>{escape(text('answer.error.title', language))}</h1>"
        f"<p class='problem' id='question-problem' role='alert'>{escape(said)}</p>{choices}"
        f"{_form(asked, language)}"
    )


@router.get(
    "/answer",
    name="answer",
    operation_id="showAnswerPage",
    response_class=HTMLResponse,
    summary="The answer page: is FROM accepted where TO is required, the routes as cards with their evidence, drawn",
    responses={
        200: _HTML,
        400: {**_HTML, "description": "A bad date, or a title or level given as the certificate held"},
        404: {**_HTML, "description": "A name that matches nothing"},
        409: {**_HTML, "description": "A name that matches several things: the page lists them as links"},
        **responses(503),
    },
)
def show_answer(
    request: Request,
    source: Source = None,
    target: Target = None,
    as_of: Annotated[
        str | None,
        Query(
            description="the day the routes must hold on (YYYY-MM-DD); today if absent", json_schema_extra=_DAY_SCHEMA
        ),
    ] = None,
) -> HTMLResponse:
    """The answer as a page for people, in the visitor's language (``lang``, then the remembered choice, then
    Chinese); without ``from`` and ``to``, the question form."""
    language = language_of(request)
    asked = Asked.of(request)
    title = text("answer.title", language)
    version = _version(request)
    try:
        asked.day()
        if not asked.source or not asked.target:  # the question half asked (a search result's "ask"): the form
            said = escape(text("answer.error.missing", language))
            note = f"<p class='note'>{said}</p>" if asked.source or asked.target else ""
            return page(request, title=title, body=note + _form(asked, language), version=version)
        answer, index = _answer(request, asked)
    except QuestionError as error:
        body = _problem_body(error, asked, language)
        return page(
            request, title=text("answer.error.title", language), body=body, version=version, status_code=error.status
        )
    missing = None
    if answer.no_route is not None and answer.no_route.missing_agreement:
        missing = missing_agreement(index, answer.source.iri, answer.target.iri, date.fromisoformat(answer.as_of))
    shown = answer_page(answer, language, missing, agreements_of(index, answer), grades_of(index, answer))
    ids = (_short(answer.source.iri), _short(answer.target.iri))
    share = share_links("/answer", {"from": ids[0], "to": ids[1], "as_of": answer.as_of}, version)
    labels = (shown_label(answer.source, language), shown_label(answer.target, language))
    body = answer_body(shown, share, _form(asked, language, labels, ids))
    return page(
        request,
        title=f"{labels[0]} → {labels[1]} · {title}",
        body=body,
        illustrative=shown.illustrative or shown.synthetic,
        version=version,
    )


def grades_of(index: RoutingIndex, answer: RouteAnswer) -> Grades | None:
    """The grades of the two certificates asked about (the particulars of a no-route answer); None when either is
    not a certificate type (a credential has no grade of the ladders)."""
    held, required = (index.certificates.get(end.iri) for end in (answer.source, answer.target))
    if held is None or required is None or held.grade not in index.grades or required.grade not in index.grades:
        return None
    low, high = index.grades[held.grade], index.grades[required.grade]

    def named(grade: Grade) -> tuple[str, str]:
        return (grade.label_zh or grade.label_en or grade.iri, grade.label_en or grade.label_zh or grade.iri)

    return Grades(held=named(low), required=named(high), same_ladder=low.ladder == high.ladder)


def agreements_of(index: RoutingIndex, answer: RouteAnswer) -> dict[str, AgreementFacts]:
    """What the page says of each agreement the answer's routes cite and the answer does not carry: its parties
    (issuers, regions, or other parties such as ministries; the recognising side first) and its document's date;
    of each grade bridge, its condition and the years to hold the grade."""
    found: dict[str, AgreementFacts] = {}
    bridges = {bridge.iri: bridge for listed in index.bridges.values() for bridge in listed}
    for route in answer.routes:
        for hop in route.hops:
            bridge = bridges.get(hop.evidence.iri)
            if bridge is not None:  # a cross-system hop: the bridge's condition and years, which the page words
                found[bridge.iri] = AgreementFacts(condition=bridge.condition, years_held=bridge.years)
                continue
            agreement = index.agreements.get(hop.evidence.iri)
            if agreement is None or agreement.iri in found:
                continue
            ordered = sorted(agreement.parties, key=lambda iri: (iri not in agreement.recognising, iri))
            found[agreement.iri] = AgreementFacts(
                parties=tuple((*_party_labels(index, iri), iri) for iri in ordered),
                document_date=str(agreement.date) if agreement.date else None,
            )
    return found


def _party_labels(index: RoutingIndex, iri: str) -> tuple[str | None, str | None]:
    issuer = index.issuers.get(iri)
    if issuer is not None:
        return issuer.label_zh, issuer.label_en
    return index.region_labels.get(iri) or index.party_labels.get(iri) or (None, None)


def shown_label(endpoint: Any, language: Language) -> str:
    """An endpoint's name in *language* (else the other's, else its IRI), as the form shows a picked box."""
    first, second = (
        (endpoint.label_zh, endpoint.label_en) if language is Language.ZH else (endpoint.label_en, endpoint.label_zh)
    )
    return str(first or second or endpoint.iri)


def _download(request: Request, source: str, target: str, as_of: date | None) -> RouteAnswer:
    index = index_of(request)
    return find_routes(index, resolve(index, source, kinds=HELD_KINDS), resolve(index, target), as_of=as_of)


def _attachment(name: str, as_of: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="certbridge-answer-{as_of}.{name}"'}


@router.get(
    "/answer.json",
    operation_id="downloadAnswerJson",
    summary="The answer page's answer as JSON (the same as GET /api/v1/routes), as a download",
    response_model=None,
    responses={**answered(RouteAnswerOut), **responses(404, 409, 422, 503)},
)
def answer_json(
    request: Request,
    source: Annotated[str, Query(alias="from", min_length=1, examples=["IL-CT-hengfeng-spinner-senior-technician"])],
    target: Annotated[str, Query(alias="to", min_length=1, examples=["IL-CT-js-hrss-spinner-senior-technician"])],
    as_of: Annotated[Day | None, Query(description="the day; today if absent")] = None,
) -> Response:
    """The route answer's JSON, as ``GET /api/v1/routes`` gives it for the same question."""
    answer = _download(request, source, target, as_of)
    return Response(answer.to_json_bytes(), media_type="application/json", headers=_attachment("json", answer.as_of))


@router.get(
    "/answer.csv",
    operation_id="downloadAnswerCsv",
    summary="The answer page's routes as CSV: one row per hop (route, hop, from, to, kind, evidence, dates, trust …)",
    response_model=None,
    responses={
        200: {
            "description": "A header row, then one row per hop of every route (no rows when there is no route)",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": "route,route_strength,hop,from,…\r\n"}},
        },
        **responses(404, 409, 422, 503),
    },
)
def answer_csv(
    request: Request,
    source: Annotated[str, Query(alias="from", min_length=1, examples=["IL-CT-hengfeng-spinner-senior-technician"])],
    target: Annotated[str, Query(alias="to", min_length=1, examples=["IL-CT-js-hrss-spinner-senior-technician"])],
    as_of: Annotated[Day | None, Query(description="the day; today if absent")] = None,
) -> Response:
    """The columns are those of ``certbridge.graph.routing.table.COLUMNS``."""
    answer = _download(request, source, target, as_of)
    return Response(
        to_csv(answer).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("csv", answer.as_of),
    )
