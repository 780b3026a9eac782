"""Shared state of one conversion run: the tables read so far, the ids they define, the graphs built."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from certbridge.ontology import CB

from .. import iris
from ..tables import ErrorLog, Row, Table, read_table
from .sink import ChunkTaker, TripleSink

TRUST_LEVELS = ("high", "medium-high", "medium", "medium-low", "low")

#: The one ``true`` literal (made once; the synthetic flag is on every synthetic row).
TRUE = Literal(True)

# terms every row uses, looked up once: an rdflib namespace attribute builds a new URIRef on each lookup
SOURCE, SYNTHETIC, ILLUSTRATIVE, TRUST = DCTERMS.source, CB.synthetic, CB.illustrative, CB.trust
NOTE_COLUMNS = (("trust_note", CB.trustNote), ("note", CB.note), ("notes", CB.note))
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel)
LANGUAGES = ("zh", "en")
#: What a label adds when certbridge wrote the name in that language (a translation, not the source's words).
TRANSLATED_MARKS = {"zh": "（本项目译名）", "en": " (translated by certbridge)"}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass
class Context:
    data_dir: Path
    log: ErrorLog = field(default_factory=ErrorLog)
    graphs: dict[str, TripleSink] = field(default_factory=dict)
    #: labels of organisations, occupations and grades, by IRI: (zh, en)
    labels: dict[URIRef, tuple[str | None, str | None]] = field(default_factory=dict)
    #: ids defined so far, by kind ("source", "occupation", "organisation", ...)
    known: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: extra facts later converters need (e.g. the kind of each organisation)
    facts: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    #: table (or "*") -> predicates (N-Triples) whose triples go to chunks of their own (see ``TripleSink``)
    split_predicates: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: takes each table's N-Triples in chunks while the table is converted (see ``TripleSink``), if anything
    chunks: ChunkTaker | None = None
    _citable_ids: tuple[tuple[int, int], set[str]] = ((-1, -1), set())
    _references: dict[tuple[str, str], URIRef] = field(default_factory=dict)

    def table(self, name: str, columns: Iterable[str]) -> Table:
        return read_table(self.data_dir / f"{name}.csv", columns, self.log)

    def graph(self, name: str) -> TripleSink:
        if name not in self.graphs:
            split = self.split_predicates.get("*", frozenset()) | self.split_predicates.get(name, frozenset())
            self.graphs[name] = TripleSink(iris.named_graph(name), split_predicates=split, chunks=self.chunks)
        return self.graphs[name]

    def label(
        self, graph: TripleSink, subject: URIRef, zh: str | None, en: str | None, *, translated: Iterable[str] = ()
    ) -> None:
        """Add bilingual labels and remember them, for records whose labels others are named after (the plain
        names: a certificate type's label is composed by certbridge anyway)."""
        add_labels(graph, subject, zh, en, translated=translated)
        self.labels[subject] = (zh, en)

    def reference(self, kind: str, key: str) -> URIRef:
        """The IRI of a record that rows point at (an issuer, a source ...), made once per conversion run: a
        national-scale table points at the same few thousand records from half a million rows."""
        iri = self._references.get((kind, key))
        if iri is None:
            iri = self._references[kind, key] = iris.record(kind, key)
        return iri

    def known_references(self, *kinds: str) -> set[str]:
        """Typed references (``region:440000``) valid for the given kinds."""
        prefix = {"organisation": "org"}
        return {f"{prefix.get(kind, kind)}:{key}" for kind in kinds for key in self.known[kind]}

    def _citable(self) -> set[str]:
        """The ids a row may cite as its source: sources and documents. Made once per table rather than per
        row (the sets only grow, so equal sizes mean equal sets)."""
        sizes = (len(self.known["source"]), len(self.known["document"]))
        if self._citable_ids[0] != sizes:
            self._citable_ids = (sizes, self.known["source"] | self.known["document"])
        return self._citable_ids[1]

    def provenance(self, graph: TripleSink, subject: URIRef, row: Row, *, sources_column: str = "source_ids") -> None:
        """Link *subject* to its sources, trust and note; keep illustrative flags and sources consistent."""
        sources = row.refs(sources_column, self._citable(), what="source", required=True)
        for key in sources:
            kind = "document" if key in self.known["document"] else "source"
            graph.add((subject, SOURCE, self.reference(kind, key)))
        if any(key in self.known["synthetic-source"] for key in sources):
            graph.add((subject, SYNTHETIC, TRUE))
        cites_illustrative = any(key in self.known["illustrative-source"] for key in sources)
        if "illustrative" in row.values:
            illustrative = row.boolean("illustrative")
            if illustrative and not cites_illustrative:
                row.error("illustrative", "an illustrative record must cite an illustrative source")
            if cites_illustrative and not illustrative:
                row.error("illustrative", "cites an illustrative source, so it must be marked illustrative=yes")
            if illustrative:
                graph.add((subject, ILLUSTRATIVE, TRUE))
        elif cites_illustrative:
            row.error(sources_column, "this table holds real facts only; it cannot cite an illustrative source")
        add_trust_and_notes(graph, subject, row)


def add_trust_and_notes(graph: TripleSink, subject: URIRef, row: Row, *, trust_required: bool = False) -> None:
    """The row's trust rating (a controlled value), its wording, and the maintainer's note."""
    trust = row.choice("trust", TRUST_LEVELS, required=trust_required) if "trust" in row.values else None
    if trust:
        graph.add((subject, TRUST, iris.vocab("trust", trust)))
    for column, prop in NOTE_COLUMNS:
        value = row.text(column) if column in row.values else None
        if value:
            graph.add_text(subject, prop, value)


def add_labels(
    graph: TripleSink, subject: URIRef, zh: str | None, en: str | None, *, translated: Iterable[str] = ()
) -> None:
    """Bilingual rdfs:label and skos:prefLabel; a language the source lacks is left out, not invented.

    A name certbridge wrote itself (*translated* names its languages) says so in the label, and the record
    says which (``cb:nameTranslatedInto``), so no one reads it as the source's own wording."""
    marked = set(translated)
    for text, lang in ((zh, "zh"), (en, "en")):
        if text:
            label = text + TRANSLATED_MARKS[lang] if lang in marked else text
            for prop in LABEL_PROPERTIES:
                graph.add_text(subject, prop, label, lang=lang)
    for lang in LANGUAGES:
        if lang in marked:
            graph.add_text(subject, CB.nameTranslatedInto, lang)


def translated_names(row: Row, column: str = "name_translated") -> list[str]:
    """The languages (zh, en) in which the row's name was written by certbridge, not taken from a source."""
    return row.refs(column, LANGUAGES, what="language (zh or en)") if column in row.values else []


def text_language(text: str) -> str:
    """The language tag of free text: "zh" when its Han characters outnumber its Latin letters, else "en".

    Source excerpts mix Chinese names into English framing; the tag follows what most of the text is, the
    rule ontology/checks/han-text-tagged-en-violation.rq holds every @en literal to."""
    return "zh" if len(_HAN.findall(text)) > len(_LATIN.findall(text)) else "en"


def add_date(graph: TripleSink, subject: URIRef, prop: URIRef, row: Row, column: str) -> None:
    """A partial date as a typed literal; a date missing its year is kept only as stated."""
    value = row.date(column)
    if value is None:
        return
    literal = value.to_literal()
    if literal is not None:
        graph.add((subject, prop, literal))
    else:
        graph.add((subject, CB.dateAsStated, Literal(str(value))))
