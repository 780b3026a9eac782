"""The entity pages for people: the HTML side of /id/... (certificate types, issuers, agreements, occupations,
standards and every other record), in the shared shell and the request's language, with the record's schema.org
JSON-LD kept in the head for search engines. The words and layout are visualize/entity.py's."""

from __future__ import annotations

import html
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse

from certbridge.graph.changes import Changeset, read_log
from certbridge.graph.describe import history
from certbridge.graph.entity import entity_facts
from certbridge.graph.errors import CertbridgeError, StoreError
from certbridge.graph.formats import schemaorg
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.ontology import ID
from certbridge.visualize.entity import DRAWING_NODES, entity_body, title_of
from certbridge.visualize.pagestyle import page_head

from .landing import json_ld_script
from .negotiation import VARY
from .pages import language_of, page
from .problems import Problem
from .state import graph_store_of, pinned_version, state_of, store_of


def version_name(request: Request) -> str | None:
    """The name of the store version read (the footer of a page names it: a pinned release's, else the current
    one), None when there is none."""
    pinned = pinned_version(request)
    if pinned is not None:
        return pinned.name
    try:
        version = state_of(request.app).store.current_version()
    except (CertbridgeError, OSError):
        return None
    return version.name if version else None


def changes_log(request: Request) -> list[Changeset]:
    """The changes log of the version read (a pinned release's, else the current one; empty for a store that keeps
    no tables, built before writes)."""
    try:
        store, version = graph_store_of(request), pinned_version(request)
        return read_log(store.tables() if version is None else store.kept_tables(version))
    except StoreError:
        return []


def entity_page(request: Request, iri: str) -> HTMLResponse:
    """The page of the record *iri* (404 problem when the store says nothing about it)."""
    store = store_of(request)
    facts = entity_facts(store, iri)
    if facts is None:
        raise Problem(404, f"nothing is known about <{iri}>")
    language = language_of(request)
    described = schemaorg.describe(store, iri)
    alternate = html.escape("/id/" + quote(iri.removeprefix(str(ID))))
    head = (
        page_head()
        + (json_ld_script(described) if described is not None else "")
        + (f'<link rel="alternate" type="application/ld+json" href="{alternate}">')
    )
    around = neighbourhood(store, iri, depth=1, limit=DRAWING_NODES * 2)
    body = entity_body(
        facts,
        language=language,
        index=state_of(request.app).index(),
        neighbourhood=around.to_json() if around is not None else None,
        history=history(iri, changes_log(request)),
    )
    response = page(
        request,
        title=title_of(facts, language),
        body=body,
        illustrative=facts.illustrative or facts.synthetic,
        version=version_name(request),
        head=head,
    )
    response.headers.update(VARY)
    return response
