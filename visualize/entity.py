"""The body of an entity page (the HTML side of /id/...): the title and marks, the facts as a table with every
property and value named in the page's language, the agreements that involve the record, its sources, and a small
drawing of its neighbourhood in which reified statements are the relations they state.

Pure: built from graph/'s answers (:class:`EntityFacts`, the routing index's agreements, a neighbourhood) and the
catalogue (visualize/messages/entity.yaml); the API puts it in the shared shell.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from certbridge.graph.changes import Changeset
from certbridge.graph.entity import EntityFacts, Fact, SourceFacts, Value
from certbridge.graph.routing.records import Agreement, RoutingIndex
from certbridge.graph.vocabulary import concept_names
from certbridge.ontology import ID

from .catalogue import Language, catalogue, text
from .render import render_drawing
from .views import node_view

#: at most this many values of one property are listed (a major group has hundreds of narrower groups)
MAX_VALUES = 40
#: the drawing's node limit (beyond it, grouped by kind as in the node view)
DRAWING_NODES = 40


def _pick(zh: str | None, en: str | None, /, language: Language) -> str | None:
    first, second = (zh, en) if language is Language.ZH else (en, zh)
    return first or second


def title_of(facts: EntityFacts, language: Language) -> str:
    """The record's name in *language* (the other language's when it has none; its key when it has neither)."""
    return _pick(facts.label_zh, facts.label_en, language) or facts.iri.rsplit("/", 1)[-1]


def page_href(iri: str, language: Language) -> str:
    """The entity page of a record under /id/, in *language*."""
    return f"/id/{quote(iri.removeprefix(str(ID)))}?lang={language.value}"


def _property_name(fact: Fact, language: Language) -> str:
    named = _pick(fact.name_zh, fact.name_en, language)
    if named:
        return named
    key = "property." + fact.predicate.replace(":", ".", 1)
    return text(key, language) if key in catalogue() else fact.predicate


def _value_html(value: Value, language: Language) -> str:
    if value.iri is None:
        if value.text in ("true", "false") and value.language is None:
            return html.escape(text(f"entity.{value.text}", language))
        shown = html.escape(value.text)
        if value.language and value.language != language.value:
            return f'<span lang="{html.escape(value.language)}">{shown}</span>'
        return shown
    name = _pick(value.label_zh, value.label_en, language) or value.iri.rsplit("/", 1)[-1]
    if value.linkable:
        return f'<a href="{html.escape(page_href(value.iri, language))}">{html.escape(name)}</a>'
    return html.escape(name)


def _values(fact: Fact, language: Language) -> str:
    # a text stated in both languages is shown in the page's language only
    languages = {value.language for value in fact.values}
    values = (
        [v for v in fact.values if v.language in (None, language.value)] if language.value in languages else fact.values
    )
    shown = "".join(f"<li>{_value_html(value, language)}</li>" for value in values[:MAX_VALUES])
    more = len(values) - MAX_VALUES
    if more > 0:
        shown += f'<li class="more">{html.escape(text("entity.more", language, count=more))}</li>'
    return f'<ul class="values">{shown}</ul>'


def _marks(facts: EntityFacts, language: Language) -> str:
    marks = [
        f'<span class="mark {name}">{html.escape(text(f"entity.mark.{name}", language))}</span>'
        for name, flagged in (
            ("illustrative", facts.illustrative),
            ("synthetic", facts.synthetic),
            ("retired", facts.retired),
        )
        if flagged
    ]
    return f'<p class="marks">{"".join(marks)}</p>' if marks else ""


def _facts_table(facts: EntityFacts, language: Language) -> str:
    rows = []
    if facts.classes:
        names = ", ".join(html.escape(_pick(zh, en, language) or "") for zh, en in facts.classes)
        rows.append(f'<tr><th scope="row">{html.escape(text("entity.classes", language))}</th><td>{names}</td></tr>')
    rows += [
        f'<tr><th scope="row">{html.escape(_property_name(fact, language))}</th><td>{_values(fact, language)}</td></tr>'
        for fact in sorted(facts.facts, key=lambda f: _property_name(f, language))
    ]
    return (
        f'<section class="facts"><h2>{html.escape(text("entity.facts", language))}</h2>'
        f'<table class="facts"><thead><tr><th scope="col">{html.escape(text("entity.facts.property", language))}</th>'
        f'<th scope="col">{html.escape(text("entity.facts.value", language))}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _sources(sources: list[SourceFacts], language: Language) -> str:
    heading = f"<h2>{html.escape(text('entity.sources', language))}</h2>"
    if not sources:
        return (
            f'<section class="sources">{heading}<p>{html.escape(text("entity.sources.none", language))}</p></section>'
        )
    items = []
    for source in sources:
        title = html.escape(source.title or source.iri.rsplit("/", 1)[-1])
        rows = [("entity.source.document", f"<cite>{title}</cite>")]
        if source.publisher:
            rows.append(("entity.source.publisher", html.escape(source.publisher)))
        if source.date:
            rows.append(("entity.source.date", f"<time>{html.escape(source.date)}</time>"))
        trust = _pick(source.trust_zh, source.trust_en, language)
        if trust:
            note = (
                f" ({html.escape(source.trust_note)})"
                if source.trust_note and source.trust_note != source.trust_en
                else ""
            )
            rows.append(("entity.source.trust", html.escape(trust) + note))
        if source.url:
            url = html.escape(source.url)
            rows.append(("entity.source.page", f'<a href="{url}" rel="external noreferrer">{url}</a>'))
        cells = "".join(f"<dt>{html.escape(text(key, language))}</dt><dd>{value}</dd>" for key, value in rows)
        items.append(f"<li><dl>{cells}</dl></li>")
    return f'<section class="sources">{heading}<ul class="sources">{"".join(items)}</ul></section>'


def agreements_involving(index: RoutingIndex, iri: str) -> list[tuple[Agreement, str | None]]:
    """The agreements that involve a record, each with the party it comes through (None: the record itself).

    An issuer: those it or a region it lies in is a party to. A certificate type: its issuer's, where the scope
    covers its occupation and issuer kind. An occupation: those whose stated scope names it or a group above it.
    Any other record (a region, a party that does not issue): those it is a party to."""
    found: dict[str, tuple[Agreement, str | None]] = {}
    certificate = index.certificates.get(iri)
    issuer = index.issuers.get(certificate.issuer if certificate else iri)
    occupation = certificate.occupation if certificate else None
    if issuer is not None:
        for party in (issuer.iri, *index.enclosing_regions(issuer.region)):
            for agreement in _party_to(index, party):
                if certificate is not None and (
                    not agreement.covers_occupation(occupation or "")
                    or (agreement.issuer_kinds and issuer.kind not in agreement.issuer_kinds)
                ):
                    continue
                found.setdefault(agreement.iri, (agreement, None if party == iri else party))
    elif iri.startswith(f"{ID}occupation/"):
        code = iri.rsplit("/", 1)[-1]
        for agreement in index.agreements.values():
            if any(code == scope or code.startswith(scope + "-") for scope in agreement.scope_codes):
                found.setdefault(agreement.iri, (agreement, None))
    else:  # a region, or an organisation that is a party without issuing (a government, a ministry)
        for agreement in _party_to(index, iri):
            found.setdefault(agreement.iri, (agreement, None))
    return sorted(found.values(), key=lambda pair: pair[0].iri)


def _party_to(index: RoutingIndex, party: str) -> Iterable[Agreement]:
    return (
        a for a in index.agreements.values() if party in a.parties or party in a.recognising or party in a.recognised
    )


def _party_name(index: RoutingIndex, party: str, language: Language) -> str:
    issuer = index.issuers.get(party)
    if issuer is not None:
        return _pick(issuer.label_zh, issuer.label_en, language) or party
    zh, en = index.region_labels.get(party) or index.party_labels.get(party) or (None, None)
    return _pick(zh, en, language) or party.rsplit("/", 1)[-1]


def _agreements(index: RoutingIndex, involved: list[tuple[Agreement, str | None]], language: Language) -> str:
    heading = f"<h2>{html.escape(text('entity.agreements', language))}</h2>"
    if not involved:
        none = html.escape(text("entity.agreements.none", language))
        return f'<section class="agreements">{heading}<p>{none}</p></section>'
    directions, statuses = concept_names("direction"), concept_names("status")
    items = []
    for agreement, through in involved:
        name = _pick(agreement.label_zh, agreement.label_en, language) or agreement.iri.rsplit("/", 1)[-1]
        direction = directions.get(agreement.direction)
        status = statuses.get(agreement.status)
        facts = [
            _pick(*direction, language=language) if direction else None,
            _pick(*status, language=language) if status else None,
            agreement.document_number,
            str(agreement.date) if agreement.date else None,
        ]
        if through is not None:
            facts.append(text("entity.agreements.through", language, party=_party_name(index, through, language)))
        marks = "".join(
            f' <span class="mark {n}">{html.escape(text(f"entity.mark.{n}", language))}</span>'
            for n, flagged in (("illustrative", agreement.illustrative), ("synthetic", agreement.synthetic))
            if flagged
        )
        said = " · ".join(html.escape(f) for f in facts if f)
        items.append(
            f'<li><a href="{html.escape(page_href(agreement.iri, language))}">{html.escape(name)}</a>{marks}'
            f"<br><small>{said}</small></li>"
        )
    return f'<section class="agreements">{heading}<ul>{"".join(items)}</ul></section>'


def _drawing(neighbourhood: dict[str, Any] | None, iri: str, language: Language) -> str:
    heading = f"<h2>{html.escape(text('entity.drawing', language))}</h2>"
    if neighbourhood is None or len(neighbourhood.get("nodes", ())) < 2:
        return ""  # nothing linked to draw (a reified statement's relation is its name)
    view = node_view(neighbourhood, max_nodes=DRAWING_NODES)
    drawing = render_drawing(
        view, language=language.value, element_id="entity-drawing", label=text("entity.drawing.label", language)
    )
    truncated = (
        f'<p class="note">{html.escape(text("entity.truncated", language))}</p>'
        if neighbourhood.get("truncated") or view.aggregated
        else ""
    )
    href = "/viz/node?" + urlencode({"id": iri, "lang": language.value})
    return (
        f'<section class="neighbourhood">{heading}<p>{html.escape(text("entity.drawing.explained", language))}</p>'
        f'{truncated}{drawing}<p><a href="{html.escape(href)}">{html.escape(text("entity.drawing.open", language))}'
        "</a></p>"
        "</section>"
    )


def _retirement(facts: EntityFacts, language: Language) -> str:
    """A retired record (retirements.csv) says first when it stopped counting and why."""
    if facts.retired_on is None:
        return ""
    words = text("changes.retired.banner", language, retired_on=facts.retired_on, reason=facts.retirement_reason or "—")
    return f'<p class="retired"><strong>{html.escape(words)}</strong></p>'


def _history(history: Sequence[Changeset], language: Language) -> str:
    """The writes that added, corrected or retired the record: when, what, who and why."""
    if not history:
        return ""
    items = "".join(
        f"<li><time>{html.escape(c.at)}</time> {html.escape(text(f'changes.kind.{c.kind}', language))}: "
        f"{html.escape(c.writer)}: {html.escape(c.note)} <code>{html.escape(c.id)}</code></li>"
        for c in history
    )
    return (
        f'<section class="history"><h2>{html.escape(text("changes.history", language))}</h2><ul>{items}</ul></section>'
    )


def entity_body(
    facts: EntityFacts,
    *,
    language: Language,
    index: RoutingIndex | None,
    neighbourhood: dict[str, Any] | None,
    history: Sequence[Changeset] = (),
) -> str:
    """The HTML of an entity page's body (escaped here), in *language*."""
    kind_key = f"entity.kind.{facts.kind}"
    kind = text(kind_key if kind_key in catalogue() else "entity.kind.other", language)
    title = title_of(facts, language)
    other = _pick(facts.label_en, facts.label_zh, language.other)
    subtitle = (
        f'<p class="other-name" lang="{language.other.value}">{html.escape(other)}</p>'
        if other and other != title
        else ""
    )
    involved = agreements_involving(index, facts.iri) if index is not None else []
    # a reified statement's IRI is a hash: its page names the relation instead
    iri_line = "" if facts.kind == "statement" else f'<p class="iri"><code>{html.escape(facts.iri)}</code></p>'
    return (
        f'<article class="entity entity-{html.escape(facts.kind)}">'
        f'<p class="kind">{html.escape(kind)}</p><h1>{html.escape(title)}</h1>{subtitle}'
        f"{iri_line}"
        f"{_marks(facts, language)}{_retirement(facts, language)}{_facts_table(facts, language)}"
        f"{_agreements(index, involved, language) if index is not None else ''}"
        f"{_sources(facts.sources, language)}{_history(history, language)}"
        f"{_drawing(neighbourhood, facts.iri, language)}"
        "</article>"
    )
