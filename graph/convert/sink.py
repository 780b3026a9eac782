"""Where converted triples go: streamed to N-Triples files for the stores, with a sample kept for SHACL.

A national-scale build converts millions of triples; holding them in rdflib graphs would take gigabytes
and minutes. A sink writes each triple once, as an N-Triples line, to a temporary file that Oxigraph
bulk-loads. Given *chunks*, it hands over its file every CHUNK_TRIPLES triples and starts a new one, and the
last one on ``finish()``, so that the stores can load a table while the rest of it, and the tables after
it, are converted. The triples of the predicates *split_predicates* names go to files of their own, handed
over marked as such (the embedded store's in-memory copy does without them: graph/store/embedded.py). It keeps in an
rdflib graph the triples of the first ``sample_subjects`` subjects. Tables smaller than that are validated
whole by SHACL; of a larger one, its first LARGE_TABLE_SAMPLE subjects are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

#: Subjects per table whose triples are kept for SHACL validation: above the largest real table
#: (3,317 cities and counties of subregions.csv), so real data is always validated whole. pyshacl runs one
#: SPARQL query per focus node for the SPARQL-based constraints (about 8 ms each), hence the bound.
SAMPLE_SUBJECTS = 4_000
#: Subjects kept for SHACL of a table that turned out larger than SAMPLE_SUBJECTS.
LARGE_TABLE_SAMPLE = 500
#: Triples per chunk a sink hands over: about 5 s of loading on disk, so that an error waits for no more.
CHUNK_TRIPLES = 500_000

#: Takes a finished chunk: the sink's graph, the N-Triples file (the sink deletes it on ``close()``) and
#: whether it is a main chunk (False: the chunk holds only triples of the *split_predicates*).
ChunkTaker = Callable[[URIRef, Path, bool], None]


@lru_cache(maxsize=65_536)
def _n3(term: Node) -> str:
    """An IRI (or blank node) in N-Triples; cached, as predicates, classes and the records rows point at repeat
    on every row."""
    return term.n3()


def literal_nt(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal in N-Triples: its text escaped, then its language tag or datatype IRI.

    N-Triples requires a quote, a backslash and line breaks escaped. (A CSV cell may span lines, and rdflib's
    ``n3()`` writes such a literal between triple quotes, which N-Triples does not allow.)
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{escaped}"@{lang}'
    return f'"{escaped}"^^<{datatype}>' if datatype else f'"{escaped}"'


_TYPE = _n3(RDF.type)


def _object_nt(term: Node) -> str:
    if isinstance(term, Literal):
        return literal_nt(str(term), term.language, term.datatype)
    return _n3(term)


class _ChunkedFile:
    """N-Triples lines into temporary files, handed over every CHUNK_TRIPLES lines (if anything takes them)."""

    def __init__(self, identifier: URIRef, folder: Path | None, chunks: ChunkTaker | None, main: bool):
        self._identifier, self._folder, self._chunks, self._main = identifier, folder, chunks, main
        self.files: list[Path] = []  # every file written, the chunks handed over and the one being written
        self.lines = 0
        self._open()

    def _open(self) -> None:
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish()/close()
            "w", encoding="utf-8", suffix=".nt", dir=self._folder, delete=False
        )
        self.files.append(Path(self._file.name))
        #: the write method itself (a NamedTemporaryFile's attribute lookup costs a call per triple)
        self._write_line = self._file.file.write

    def write(self, line: str) -> None:
        self._write_line(line)
        self.lines += 1
        if self._chunks is not None and self.lines % CHUNK_TRIPLES == 0:
            self._file.close()
            self._chunks(self._identifier, self.files[-1], self._main)
            self._open()

    def finish(self) -> None:
        """Close the file being written and hand it over, unless it is empty."""
        if not self._file.closed:
            self._file.close()
            if self._chunks is not None and self.lines % CHUNK_TRIPLES:
                self._chunks(self._identifier, self.files[-1], self._main)

    def close(self) -> None:
        """Close the file being written, handing nothing over (the build is being given up), and delete them all."""
        self._file.close()
        for path in self.files:
            path.unlink(missing_ok=True)


class TripleSink:
    def __init__(
        self,
        identifier: URIRef,
        *,
        folder: Path | None = None,
        sample_subjects: int = SAMPLE_SUBJECTS,
        split_predicates: frozenset[str] = frozenset(),
        chunks: ChunkTaker | None = None,
    ):
        self.identifier = identifier
        self._split = split_predicates  # predicates (as N-Triples) whose triples go to chunks of their own
        self._lines = _ChunkedFile(identifier, folder, chunks, main=True)
        self._apart = _ChunkedFile(identifier, folder, chunks, main=False) if split_predicates else self._lines
        self.sample = Graph(identifier=identifier)
        self.sample_subjects = sample_subjects
        #: the sampled subjects by their N-Triples text (a str hashes faster than an rdflib term), in order
        self._sampled: dict[str, Node] = {}
        self._subject: tuple[Node | None, str] = (None, "")  # a row's triples share their subject
        self.complete = True  # False once a subject was left out of the sample
        self.count = 0
        #: the rdf:type triples of every subject, sampled or not, so that a sample's references can be typed
        self.types: dict[Node, list[Node]] = {}

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        s, p, o = triple
        predicate = _n3(p)
        if self._write(s, predicate, _object_nt(o)):
            self.sample.add(triple)
        if predicate == _TYPE:
            self.types.setdefault(s, []).append(o)

    def add_text(self, subject: URIRef, predicate: URIRef, text: str, *, lang: str | None = None) -> None:
        """Add a string literal (language-tagged if *lang*, a lower-case tag) without building an rdflib Literal
        unless its subject is sampled: the labels of half a million certificate types are unique, and making a
        Literal for each cost a few seconds of a national-scale build."""
        if self._write(subject, _n3(predicate), literal_nt(text, lang)):
            self.sample.add((subject, predicate, Literal(text, lang=lang)))

    def _write(self, s: Node, predicate: str, obj: str) -> bool:
        """Write one triple (subject, predicate and object in N-Triples but the subject); True if its subject is
        in the SHACL sample."""
        last, subject = self._subject
        if s is not last:
            subject = s.n3()
            self._subject = (s, subject)
        line = f"{subject} {predicate} {obj} .\n"
        if predicate in self._split:
            self._apart.write(line)
        else:
            self._lines.write(line)
        self.count += 1
        if subject in self._sampled:
            return True
        if len(self._sampled) < self.sample_subjects:
            self._sampled[subject] = s
            return True
        self.complete = False
        return False

    def validation_graph(self) -> Graph:
        """The triples SHACL checks: the whole table, or the first LARGE_TABLE_SAMPLE subjects of a large one."""
        if self.complete:
            return self.sample
        keep = set(list(self._sampled.values())[:LARGE_TABLE_SAMPLE])
        trimmed = Graph(identifier=self.identifier)
        for triple in self.sample:
            if triple[0] in keep:
                trimmed.add(triple)
        return trimmed

    def forget_validation_data(self) -> None:
        """Drop the sample and the types once SHACL has run (at national scale, hundreds of megabytes that the
        rest of the build can use)."""
        self.sample = Graph(identifier=self.identifier)
        self._sampled.clear()
        self.types.clear()

    def __len__(self) -> int:
        return self.count

    def finish(self) -> None:
        """The table is complete: close its files, and hand them over if the sink hands over chunks."""
        self._lines.finish()
        self._apart.finish()

    def path(self) -> Path:
        """The finished N-Triples file of the whole table, for a sink that hands over no chunks and skips nothing
        for memory (closes the sink for writing)."""
        assert self._apart is self._lines, "the table is in two sets of files"
        self._lines.finish()
        return self._lines.files[-1]

    def close(self) -> None:
        """Delete the temporary files."""
        self._lines.close()
        self._apart.close()


def validation_data(sinks: list[TripleSink]) -> tuple[list[Graph], list[Node] | None]:
    """The graphs SHACL validates, and the focus nodes when some table was sampled (None: validate all).

    A sampled record may point at records left out of the sample; their rdf:type triples are added so
    that ``sh:class`` constraints see them, and only the sampled subjects are validated.
    """
    graphs = [sink.validation_graph() for sink in sinks]
    if all(sink.complete for sink in sinks):
        return graphs, None
    focus = sorted({s for graph in graphs for s in graph.subjects()}, key=str)
    referenced = Graph()
    subjects = set(focus)
    for graph in graphs:
        for o in set(graph.objects()):
            if isinstance(o, URIRef) and o not in subjects:
                for sink in sinks:
                    for kind in sink.types.get(o, ()):
                        referenced.add((o, RDF.type, kind))
    return [*graphs, referenced], focus
