"""The answer page (/answer): a route answer as a person reads it, in one language, and the routes drawn.

:func:`answer_body` turns a :class:`RouteAnswer` into the page's body: a one-sentence verdict, one card per route
(strongest first) with each hop as a sentence and its evidence, the issuers' evaluation-quality facts, badges for
illustrative or synthetic records, and, beside the cards, the routes drawn by vis-network (the network built with
pyvis) in a left-to-right hierarchical layout that the same answer always draws the same way. A no-route answer
shows what each side reaches and the missing agreement, as ``certbridge route`` does.

Every word comes from the catalogue (visualize/messages/answer.yaml); vocabulary values (hop kinds, statuses,
trust levels, condition kinds, issuer kinds) are named by the ontology's labels in the page's language; names of
records are shown in the page's language when the data has them, else in the one it has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from certbridge.graph.choices import HopKind
from certbridge.graph.routing.explain import MissingAgreement
from certbridge.graph.routing.model import Absence, Endpoint, Evidence, Hop, IssuerQuality, Route, RouteAnswer
from certbridge.graph.vocabulary import concept_definitions, concept_names, hop_kind_name, issuer_kind_name
from certbridge.ontology import ID

from .answer_drawing import MISSING_COLOUR, NEAREST_COLOUR, Drawing, Slot, draw, slot
from .catalogue import Language, catalogue, text
from .model import HOP_COLOURS
from .render import VIS_DIR

HERE = Path(__file__).parent

#: what separates the items of a list written in a sentence, and a label from its value
_LIST = {Language.ZH: "、", Language.EN: "; "}
_COLON = {Language.ZH: "：", Language.EN: ": "}


@dataclass(frozen=True, slots=True, kw_only=True)
class Name:
    """A record's name in the page's language (or the one the data has), its language, and its link."""

    text: str
    lang: str
    href: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Detail:
    """One row of a hop's evidence: a label from the catalogue and a value (with its language and link)."""

    label: str
    value: str
    lang: str | None = None
    href: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceLine:
    title: str
    lang: str
    url: str | None
    trust: str | None
    document_number: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityLine:
    """An issuer's evaluation-quality facts, worded."""

    issuer: Name
    facts: tuple[str, ...]
    illustrative: bool
    synthetic: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class HopCard:
    number: int
    sentence: str
    kind: str
    kind_name: str
    definition: str
    colour: str
    evidence: Name
    details: tuple[Detail, ...]
    #: (text, its language) of each note
    notes: tuple[tuple[str, str], ...]
    conditions: tuple[tuple[str, str], ...]
    sources: tuple[SourceLine, ...]
    quality: tuple[QualityLine, ...]
    illustrative: bool
    synthetic: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteCard:
    number: int
    title: str
    strength: str
    illustrative: bool
    synthetic: bool
    conditions: tuple[tuple[str, str], ...]
    hops: tuple[HopCard, ...]
    #: the drawing's ids of this route's edges and nodes (hovering the card highlights them)
    edges: tuple[str, ...]
    nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NoRouteCard:
    #: why, and the particulars (what was searched, the grades compared), in the page's language
    why: str
    particulars: tuple[str, ...]
    #: the two certificates asked about, with their pages
    held: Name
    required: Name
    source_reaches: tuple[Name, ...]
    target_reached_from: tuple[Name, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerPage:
    """Everything the answer page shows, worded in one language."""

    language: Language
    question: str
    verdict: str
    #: the sentence after the verdict: the conditions still to meet, or the missing agreement (may be empty)
    verdict_more: str
    found: bool
    illustrative: bool
    synthetic: bool
    routes: tuple[RouteCard, ...]
    no_route: NoRouteCard | None
    drawing: Drawing
    #: the drawing's legend: (colour, name, dashed) of each kind of edge drawn
    legend: tuple[tuple[str, str, bool], ...] = ()


def local_href(iri: str) -> str | None:
    """Where this server shows the record *iri* (its page under /id/), or None for an IRI outside the id space."""
    return f"/id/{iri.removeprefix(str(ID))}" if iri.startswith(str(ID)) else None


def _name(language: Language, zh: str | None, en: str | None, iri: str) -> Name:
    """A record's name in *language*, else in the other one, else its IRI."""
    first, second = (zh, en) if language is Language.ZH else (en, zh)
    if first:
        return Name(text=first, lang=language.value, href=local_href(iri))
    if second:
        return Name(text=second, lang=language.other.value, href=local_href(iri))
    return Name(text=iri, lang="en", href=local_href(iri))


def _endpoint(language: Language, endpoint: Endpoint) -> Name:
    return _name(language, endpoint.label_zh, endpoint.label_en, endpoint.iri)


def _pick(language: Language, names: tuple[str, str]) -> str:
    return names[0] if language is Language.ZH else names[1]


def _concept(language: Language, scheme: str, notation: str | None) -> str:
    """The name of a vocabulary concept in *language*; the notation itself when the vocabulary lacks it."""
    if not notation:
        return ""
    names = concept_names(scheme).get(notation)
    return _pick(language, names) if names else notation


def _closed(language: Language, prefix: str, value: str) -> str:
    """A value of a closed set the catalogue names (``prefix.value``); the value itself when it does not."""
    key = f"{prefix}.{value}"
    return text(key, language) if key in catalogue() else value


def _kind(language: Language, kind: HopKind) -> str:
    return _pick(language, hop_kind_name(kind))


def _conditions(language: Language, evidence_conditions: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (_concept(language, "condition-kind", c.kind), c.text or text("answer.condition.no-text", language))
        for c in evidence_conditions
    )


def _since(language: Language, evidence: Evidence, document_date: str | None) -> str:
    if evidence.valid_from:
        return text("answer.since.known", language, date=evidence.valid_from)
    if document_date:
        return text("answer.since.document", language, date=document_date)
    return text("answer.since.unknown", language)


def verdict(
    answer: RouteAnswer,
    language: Language,
    missing: MissingAgreement | None = None,
    agreements: Agreements | None = None,
) -> tuple[str, str]:
    """The one-sentence verdict, and what follows it: the conditions the holder must still meet, or the missing
    agreement (empty when there is nothing to add)."""
    if not answer.routes:
        said = text("answer.verdict.none", language, as_of=answer.as_of)
        return said, missing_sentence(missing, language) if missing is not None else ""
    best = answer.routes[0]
    if best.strength is HopKind.FORMAL_RECOGNITION:
        hop = next(hop for hop in best.hops if hop.kind is HopKind.FORMAL_RECOGNITION)
        evidence = hop.evidence
        agreement = _name(language, evidence.label_zh, evidence.label_en, evidence.iri).text
        if evidence.document_number:
            agreement += (
                f"（{evidence.document_number}）" if language is Language.ZH else f" ({evidence.document_number})"
            )
        said = text(
            "answer.verdict.formal",
            language,
            as_of=answer.as_of,
            since=_since(language, evidence, (agreements or {}).get(evidence.iri, AgreementFacts()).document_date),
            agreement=agreement,
        )
    else:
        said = text("answer.verdict.weaker", language, kind=_kind(language, best.strength), hops=len(best.hops))
    more = text("answer.verdict.conditional", language, count=len(best.conditions)) if best.conditions else ""
    return said, more


def missing_sentence(missing: MissingAgreement, language: Language) -> str:
    """The missing agreement, worded in *language* from its parts."""
    occupation = f"{missing.occupation} {missing.occupation_label}".strip()
    return text(
        "answer.verdict.missing",
        language,
        day=missing.day,
        recognising=_pick(language, missing.recognising),
        recognised=_pick(language, missing.recognised),
        occupation=occupation,
        grade=_pick(language, missing.grade),
    )


def _details(language: Language, hop: Hop, facts: AgreementFacts) -> tuple[Detail, ...]:
    e = hop.evidence
    rows: list[Detail] = []
    if e.kind:
        kind = _closed(language, "answer.evidence-kind", e.kind)
        rows.append(Detail(label=text("answer.field.evidence-kind", language), value=kind))
    if facts.parties:
        names = [_name(language, zh, en, iri).text for zh, en, iri in facts.parties]
        rows.append(Detail(label=text("answer.field.parties", language), value=_LIST[language].join(names)))
    if e.document_number:
        rows.append(Detail(label=text("answer.field.document", language), value=e.document_number))
    if e.valid_from or e.valid_to or e.kind == "recognition-agreement":
        unknown = text("answer.field.valid.open", language)
        start = e.valid_from or (
            text("answer.field.valid.document", language, date=facts.document_date) if facts.document_date else unknown
        )
        rows.append(Detail(label=text("answer.field.valid", language), value=f"{start} – {e.valid_to or unknown}"))
    if e.status:
        rows.append(Detail(label=text("answer.field.status", language), value=_concept(language, "status", e.status)))
    if e.mechanism:
        mechanism = _concept(language, "mechanism", e.mechanism)
        rows.append(Detail(label=text("answer.field.mechanism", language), value=mechanism))
    if e.direction:
        rows.append(
            Detail(label=text("answer.field.direction", language), value=_concept(language, "direction", e.direction))
        )
    rows.append(
        Detail(
            label=text("answer.field.derivation", language), value=text(f"answer.derivation.{hop.derivation}", language)
        )
    )
    if e.rule:
        rule = _closed(language, "answer.rule", e.rule.rsplit("/", 1)[-1])
        rows.append(Detail(label=text("answer.field.rule", language), value=rule, href=local_href(e.rule)))
    return tuple(rows)


def _quality(language: Language, quality: IssuerQuality) -> QualityLine:
    def labelled(key: str, value: str) -> str:
        return f"{text(key, language)}{_COLON[language]}{value}"

    facts = [labelled("answer.quality.kind", _pick(language, issuer_kind_name(quality.kind)))]
    if quality.question_bank:
        facts.append(labelled("answer.quality.bank", _concept(language, "question-bank", quality.question_bank)))
    checks = _LIST[language].join(
        f"{day} {_closed(language, 'answer.check', result)}" for day, result in quality.checks
    )
    facts.append(labelled("answer.quality.checks", checks) if checks else text("answer.quality.checks.none", language))
    sanctions = _LIST[language].join(
        f"{day} {_concept(language, 'status', status)} ({_closed(language, 'answer.sanction-reason', reason)})"
        for day, reason, status in quality.sanctions
    )
    facts.append(
        labelled("answer.quality.sanctions", sanctions)
        if sanctions
        else text("answer.quality.sanctions.none", language)
    )
    if quality.last_confirmed:
        facts.append(text("answer.quality.confirmed", language, date=quality.last_confirmed))
    return QualityLine(
        issuer=_name(language, quality.label_zh, quality.label_en, quality.issuer),
        facts=tuple(facts),
        illustrative=quality.illustrative,
        synthetic=quality.synthetic,
    )


def _evidence_name(language: Language, evidence: Evidence) -> Name:
    """The evidence's name; a bridge's is its relation (``may_apply_for`` ...), worded by the catalogue."""
    if evidence.kind == "cross-system-bridge" and evidence.label_en:
        return Name(
            text=_closed(language, "answer.bridge", evidence.label_en),
            lang=language.value,
            href=local_href(evidence.iri),
        )
    return _name(language, evidence.label_zh, evidence.label_en, evidence.iri)


def _bridge_notes(language: Language, facts: AgreementFacts | None) -> tuple[tuple[str, str], ...]:
    """A bridge's notes, each (text, its language): its condition as the data has it, and the years to hold the
    grade in the page's language."""
    if facts is None:
        return ()
    notes = []
    if facts.condition:
        notes.append((facts.condition, "zh" if _mostly_chinese(facts.condition) else "en"))
    if facts.years_held:
        notes.append((text("answer.bridge.years", language, years=facts.years_held), language.value))
    return tuple(notes)


def _mostly_chinese(said: str) -> bool:
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in said)
    return chinese * 3 > len(said)


def _hop_card(language: Language, number: int, hop: Hop, agreements: Agreements) -> HopCard:
    e = hop.evidence
    kind_name = _kind(language, hop.kind)
    definition = concept_definitions("hop-kind").get(hop.kind)
    return HopCard(
        number=number,
        sentence=text(
            "answer.hop.sentence",
            language,
            number=number,
            source=_endpoint(language, hop.source).text,
            target=_endpoint(language, hop.target).text,
            kind=kind_name,
        ),
        kind=str(hop.kind),
        kind_name=kind_name,
        definition=_pick(language, definition) if definition else "",
        colour=HOP_COLOURS[hop.kind],
        evidence=_evidence_name(language, e),
        details=_details(language, hop, agreements.get(hop.evidence.iri, AgreementFacts())),
        # what the engine notes (in English) the card says in its own words: a bridge's condition as the source
        # states it (data), and the years to hold the grade (the catalogue's words)
        notes=_bridge_notes(language, agreements.get(e.iri)) if e.kind == "cross-system-bridge" else (),
        conditions=_conditions(language, e.conditions),
        sources=tuple(
            SourceLine(
                title=source.title or source.iri,
                lang="zh" if any("\u4e00" <= ch <= "\u9fff" for ch in (source.title or "")[:12]) else "en",
                url=source.url,
                trust=_concept(language, "trust", source.trust) if source.trust else None,
                document_number=source.document_number,
            )
            for source in e.sources
        ),
        quality=tuple(_quality(language, q) for q in hop.quality),
        illustrative=e.illustrative or hop.source.illustrative or hop.target.illustrative,
        synthetic=e.synthetic or hop.source.synthetic or hop.target.synthetic,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementFacts:
    """What the page says of an agreement (or a grade bridge) that the route answer does not carry: who issued or
    agreed it (the recognising side first), and the document's date, which stands for its start when the source
    states none; of a bridge, its condition and the years to hold the grade (the engine says them in one English
    note)."""

    #: (Chinese, English, IRI) of each party
    parties: tuple[tuple[str | None, str | None, str], ...] = ()
    document_date: str | None = None
    #: when the evidence is a grade bridge (a cross-system hop) rather than an agreement: its condition as the
    #: source states it (a data value, in the language the data has it), and the years the grade must be held
    condition: str | None = None
    years_held: int | None = None


#: the facts of each agreement the routes cite, by its IRI
Agreements = Mapping[str, AgreementFacts]


@dataclass(frozen=True, slots=True, kw_only=True)
class Grades:
    """The grades of the certificate held and of the one required, each (Chinese, English), and whether they are on
    one ladder: the particulars of an answer that the required grade is too high."""

    held: tuple[str, str]
    required: tuple[str, str]
    same_ladder: bool


def no_route_why(answer: RouteAnswer, language: Language) -> str:
    """Why a no-route answer has no route, by its kind of absence, in *language*."""
    kind = answer.no_route.kind if answer.no_route is not None else "not-connected"
    return text(f"answer.why.{kind}", language, as_of=answer.as_of, max_hops=answer.max_hops)


def particulars(answer: RouteAnswer, language: Language, grades: Grades | None = None) -> tuple[str, ...]:
    """The particulars of a no-route answer in *language*, worded from the parts the engine answers with (the day,
    the hop limit, the hop kinds allowed; the grades compared when the required grade is too high), not from its
    English reason."""
    kinds = _LIST[language].join(_kind(language, kind) for kind in answer.kinds)
    lines = [text("answer.particulars.search", language, as_of=answer.as_of, max_hops=answer.max_hops, kinds=kinds)]
    if grades is not None and answer.no_route is not None and answer.no_route.kind is Absence.GRADE_TOO_HIGH:
        key = "answer.particulars.grades" if grades.same_ladder else "answer.particulars.ladders"
        lines.insert(
            0, text(key, language, held=_pick(language, grades.held), required=_pick(language, grades.required))
        )
    return tuple(lines)


def answer_page(
    answer: RouteAnswer,
    language: Language,
    missing: MissingAgreement | None = None,
    agreements: Agreements | None = None,
    grades: Grades | None = None,
) -> AnswerPage:
    """The answer page's content in *language* (*missing*: the parts of the missing agreement, when known;
    *agreements*: what the answer does not carry of the agreements its routes cite; *grades*: the grades of the
    two certificates, for the particulars of a no-route answer)."""
    drawing, edge_ids = draw(answer, language)
    routes = tuple(
        _route_card(language, number, route, edge_ids, agreements or {})
        for number, route in enumerate(answer.routes, 1)
    )
    no_route = None
    if answer.no_route is not None:
        no = answer.no_route
        no_route = NoRouteCard(
            why=no_route_why(answer, language),
            particulars=particulars(answer, language, grades),
            held=_endpoint(language, answer.source),
            required=_endpoint(language, answer.target),
            source_reaches=tuple(_endpoint(language, e) for e in no.source_reaches),
            target_reached_from=tuple(_endpoint(language, e) for e in no.target_reached_from),
        )
    nearest = (*answer.no_route.source_reaches, *answer.no_route.target_reached_from) if answer.no_route else ()
    ends = (answer.source, answer.target, *nearest)
    said, more = verdict(answer, language, missing, agreements or {})
    return AnswerPage(
        language=language,
        question=text(
            "answer.question",
            language,
            as_of=answer.as_of,
            source=_endpoint(language, answer.source).text,
            target=_endpoint(language, answer.target).text,
        ),
        verdict=said,
        verdict_more=more,
        found=bool(answer.routes),
        illustrative=any(r.illustrative for r in answer.routes) or any(e.illustrative for e in ends),
        synthetic=any(r.synthetic for r in answer.routes) or any(e.synthetic for e in ends),
        routes=routes,
        no_route=no_route,
        drawing=drawing,
        legend=_legend(answer, language),
    )


def _legend(answer: RouteAnswer, language: Language) -> tuple[tuple[str, str, bool], ...]:
    drawn = {hop.kind for route in answer.routes for hop in route.hops}
    legend = [(HOP_COLOURS[kind], _kind(language, kind), False) for kind in HopKind if kind in drawn]
    if answer.no_route is not None:
        legend.append((NEAREST_COLOUR, text("answer.drawing.nearest", language), True))
        if answer.no_route.missing_agreement:
            legend.append((MISSING_COLOUR, text("answer.drawing.missing", language), True))
    return tuple(legend)


def _route_card(
    language: Language, number: int, route: Route, edge_ids: dict[Slot, str], agreements: Agreements
) -> RouteCard:
    return RouteCard(
        number=number,
        title=text("answer.route", language, number=number, kind=_kind(language, route.strength), hops=len(route.hops)),
        strength=str(route.strength),
        illustrative=route.illustrative,
        synthetic=route.synthetic,
        conditions=_conditions(language, route.conditions),
        hops=tuple(_hop_card(language, position, hop, agreements) for position, hop in enumerate(route.hops, 1)),
        edges=tuple(dict.fromkeys(edge_ids[slot(hop)] for hop in route.hops)),
        nodes=tuple(dict.fromkeys(end.iri for hop in route.hops for end in (hop.source, hop.target))),
    )


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


@cache
def _asset(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _script_json(value: object) -> Markup:
    """JSON for a ``<script type="application/json">`` element: no ``</`` can end the element early."""
    return Markup(json.dumps(value, ensure_ascii=False).replace("</", "<\\/"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Share:
    """The page's own addresses: the permalink, and the downloads of the same answer."""

    permalink: str
    json_href: str
    csv_href: str
    version: str | None


def share_links(path: str, query: dict[str, str], version: str | None) -> Share:
    """The permalink of an answer (``/answer?...``) and its JSON and CSV downloads, from the question's parameters."""
    encoded = urlencode(query)
    return Share(
        permalink=f"{path}?{encoded}",
        json_href=f"{path}.json?{encoded}",
        csv_href=f"{path}.csv?{encoded}",
        version=version,
    )


def answer_body(page: AnswerPage, share: Share, form: str) -> str:
    """The HTML body of the answer page (*form*: the question form, made by the caller, shown to ask again)."""
    words = {key: message.in_language(page.language) for key, message in catalogue().items()}
    return (
        _environment()
        .get_template("answer.html")
        .render(
            page=page,
            share=share,
            words=words,
            form=Markup(form),
            drawing_json=_script_json({"nodes": page.drawing.nodes, "edges": page.drawing.edges}),
            options_json=_script_json(page.drawing.options),
            routes_json=_script_json(
                [{"number": r.number, "edges": list(r.edges), "nodes": list(r.nodes)} for r in page.routes]
            ),
            words_json=_script_json({"copied": words["answer.copied"]}),
            vis_js=Markup(_asset(VIS_DIR / "vis-network.min.js")),  # the package's own files
            answer_js=Markup(_asset(HERE / "static" / "answer.js")),
            answer_css=Markup(_asset(HERE / "static" / "answer.css")),
        )
    )
