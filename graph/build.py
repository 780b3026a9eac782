"""`certbridge build` and `certbridge reason`: an ordered list of named stages run against the store interface.

A build: convert (tables -> RDF, every defect at once) -> validate (SHACL) -> load -> reason -> record (the PROV
build record) -> derive (the data registered in graph/derived.py, e.g. the routing index) -> commit. Each
backend writes its new version its own way (graph/store/: in memory and on disk at once for the embedded store;
graph by graph for a server); whatever fails, readers keep the version that was current.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from certbridge.ontology import CB, ONTOLOGY_FILES

from . import derived
from .changes import check_nothing_lost, read_log
from .convert import TABLES, convert_context, rows
from .convert.sink import TripleSink, validation_data
from .errors import MissingInput, ShapeViolations
from .iris import BUILD_ACTIVITY, BUILD_GRAPH, named_graph
from .progress import Progress, silent
from .query import as_triples
from .reasoning import INFERRED_GRAPH, ONTOLOGY_GRAPH, ReasoningReport
from .store import GraphStore, Location, NewVersion, as_store
from .validate import validate_graphs

__all__ = ["BUILD_STAGES", "REASON_STAGES", "BuildResult", "Progress", "build", "load_ontology", "reason", "silent"]


@dataclass
class BuildResult:
    location: Location
    version: Path
    triples_by_graph: dict[str, int] = field(default_factory=dict)
    reasoning: ReasoningReport = field(default_factory=ReasoningReport)
    #: tables too large to validate whole: SHACL checked a sample of their subjects (every row was checked as read)
    sampled_tables: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(self.triples_by_graph.values())

    @property
    def graphs(self) -> int:
        """The named graphs stored: a table without rows is counted above but makes no graph."""
        return sum(1 for count in self.triples_by_graph.values() if count)


def load_ontology() -> Graph:
    graph = Graph(identifier=ONTOLOGY_GRAPH)
    for path in ONTOLOGY_FILES:
        graph.parse(path)
    return graph


@dataclass
class _Run:
    """What the stages of one build (or rebuild) pass along."""

    store: GraphStore
    version: NewVersion
    progress: Progress
    #: the tables read (None when reasoning again from the store)
    data_dir: Path | None = None
    #: the current build record, when reasoning again (only its count of inferred triples changes)
    previous_record: Graph | None = None
    sinks: dict[str, TripleSink] = field(default_factory=dict)
    ontology: Graph | None = None
    counts: dict[str, int] = field(default_factory=dict)
    sampled: list[str] = field(default_factory=list)
    reasoning: ReasoningReport = field(default_factory=ReasoningReport)

    def close(self) -> None:
        """Delete the converted tables' files (after the version's loads are done or cancelled)."""
        for sink in self.sinks.values():
            sink.close()


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    run: Callable[[_Run], None]


def _convert(run: _Run) -> None:
    """Every table to RDF, every defect of every table reported at once; chunks go to the store meanwhile."""
    assert run.data_dir is not None
    loading = " (the store loading them meanwhile)" if run.version.chunks is not None else ""
    with run.progress("reading and checking tables" + loading):
        ctx = convert_context(run.data_dir, chunks=run.version.chunks, split_predicates=run.version.split_predicates)
    run.sinks = ctx.graphs
    # what the tables defined, kept beside the version: a write converts its rows against it (convert/rows.py)
    rows.save(run.store.cache_path(run.version.name, rows.SUMMARY_KIND), rows.Summary.of(ctx))


def _validate(run: _Run) -> None:
    """SHACL over the converted tables (whole, or samples of the large ones) with the ontology."""
    with run.progress("loading the ontology"):
        run.ontology = load_ontology()
    sinks = run.sinks.values()
    run.sampled = sorted(name for name, sink in run.sinks.items() if not sink.complete)
    with run.progress("validating with SHACL" + (f" (a sample of {', '.join(run.sampled)})" if run.sampled else "")):
        graphs, focus = validation_data(list(sinks))
        report = validate_graphs([run.ontology, *graphs], focus_nodes=focus)
    if not report.conforms:
        raise ShapeViolations(report.text, report.violations)
    del graphs, focus
    for sink in sinks:
        sink.forget_validation_data()
    run.counts = {str(ONTOLOGY_GRAPH): len(run.ontology), **{str(sink.identifier): len(sink) for sink in sinks}}


def _load(run: _Run) -> None:
    run.version.load(run.ontology, list(run.sinks.values()), run.progress)


def _reason(run: _Run) -> None:
    run.reasoning = run.version.reason(run.progress)
    run.counts[str(INFERRED_GRAPH)] = run.reasoning.total


def _record(run: _Run) -> None:
    """The PROV record of this build, which names the version."""
    assert run.data_dir is not None
    record = _build_record(run.data_dir, run.counts, run.reasoning, run.sampled, run.version.name)
    run.counts[str(BUILD_GRAPH)] = len(record)
    run.version.record(record)


def _record_again(run: _Run) -> None:
    """The current build record, with the new count of inferred triples."""
    assert run.previous_record is not None
    record = run.previous_record
    record.remove((BUILD_ACTIVITY, CB.inferredTriples, None))
    record.add((BUILD_ACTIVITY, CB.inferredTriples, Literal(run.reasoning.total)))
    run.version.record(record)


def _derive(run: _Run) -> None:
    """Each registered kind of derived data, from the version's fastest store, saved under the version's name."""
    source = run.version.derived_source()
    for data in derived.registered():
        with run.progress(f"deriving {data.name}"):
            value = data.derive(source)
        with run.progress(f"saving {data.name}"):
            data.save(run.store.cache_path(run.version.name, data.kind), value)


def _commit(run: _Run) -> None:
    run.version.commit(run.progress)


BUILD_STAGES = (
    Stage("convert", _convert),
    Stage("validate", _validate),
    Stage("load", _load),
    Stage("reason", _reason),
    Stage("record", _record),
    Stage("derive", _derive),
    Stage("commit", _commit),
)
#: `certbridge reason`: from the current version's asserted graphs instead of the tables
REASON_STAGES = (
    Stage("load", _load),
    Stage("reason", _reason),
    Stage("record", _record_again),
    Stage("derive", _derive),
    Stage("commit", _commit),
)


def _run_stages(run: _Run, stages: tuple[Stage, ...]) -> None:
    try:
        for stage in stages:
            stage.run(run)
    except BaseException:
        run.version.cancel()  # before the converted tables' files go
        raise
    finally:
        run.close()


def build(
    data_dir: Path,
    store: GraphStore | Location,
    *,
    progress: Progress = silent,
    discard_changes: Iterable[str] = (),
    version_name: str | None = None,
    locked: bool = False,
) -> BuildResult:
    """Build a new version of *store* from the tables in *data_dir* and make it current.

    Raises MissingInput (no folder at *data_dir*, before anything is written), ChangesWouldBeLost (the store
    holds changesets that *data_dir*'s changes log lacks and *discard_changes* does not name), DataError (every
    table defect), ShapeViolations or StoreError; in each case the store readers see is left exactly as it was.
    *version_name* names the new version (a write logs it first); by default a new name. A build is a writer
    like any other: it holds the store's write lock (unless *locked*: a write that holds it already calls it), so
    that it cannot replace a version a write is building on, nor a write build on a version it replaces.
    """
    if not data_dir.is_dir():
        raise MissingInput(f"no folder of tables at {data_dir}", hint="give --data the folder of the CSV tables")
    graph_store = as_store(store)
    given = read_log(data_dir)  # a malformed log is refused like any other defect of the input
    # a store not there yet has no writer to wait for (and nothing is created before the input is found sound)
    waiting = not locked and graph_store.workdir.is_dir()
    with graph_store.write_lock() if waiting else contextlib.nullcontext():
        current = graph_store.current_version()
        if current is not None:
            check_nothing_lost(read_log(graph_store.kept_tables(current)), given, discard_changes)
        with graph_store.new_version(tables=data_dir, name=version_name) as version:
            run = _Run(graph_store, version, progress, data_dir=data_dir)
            _run_stages(run, BUILD_STAGES)
    current = graph_store.current_version()
    assert current is not None
    return BuildResult(graph_store.location, current, run.counts, run.reasoning, run.sampled)


def reason(store: GraphStore | Location, *, progress: Progress = silent) -> ReasoningReport:
    """Re-run reasoning alone: the inferred graph rebuilt from the current version's asserted graphs (a new version
    on the embedded store, swapped in on success; in place on a server)."""
    graph_store = as_store(store)
    graph_store.snapshot()  # no store there: say so before creating anything
    with graph_store.write_lock():  # a writer too (see build)
        previous = _current_record(graph_store)
        before = graph_store.current_version()
        with graph_store.reasoned_again() as version:
            run = _Run(graph_store, version, progress, previous_record=previous)
            _run_stages(run, REASON_STAGES)
        after = graph_store.current_version()
        if before is not None and after is not None and after != before:
            # the asserted graphs are the same: so is their conversion context, which a write converts against
            context = graph_store.cache_path(before.name, rows.SUMMARY_KIND)
            with contextlib.suppress(OSError):
                rows.copy(context, graph_store.cache_path(after.name, rows.SUMMARY_KIND))
    return run.reasoning


def _current_record(store: GraphStore) -> Graph:
    answer = as_triples(
        store.open().query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BUILD_GRAPH}> {{ ?s ?p ?o }} }}")
    )
    record = Graph(identifier=BUILD_GRAPH)
    record.parse(data=answer.serialize(format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    return record


def _build_record(
    data_dir: Path, counts: dict[str, int], report: ReasoningReport, sampled: list[str], version: str
) -> Graph:
    """PROV description of this build: when, from which files (with their SHA-256), into which graphs.

    Its identifier is the version name: on a server store, readers follow the version it names.
    """
    record = Graph(identifier=BUILD_GRAPH)
    record.add((BUILD_ACTIVITY, RDF.type, PROV.Activity))
    record.add((BUILD_ACTIVITY, DCTERMS.identifier, Literal(version)))
    record.add((BUILD_ACTIVITY, RDFS.label, Literal("certbridge build", lang="en")))
    record.add((BUILD_ACTIVITY, PROV.endedAtTime, Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)))
    for table in TABLES:
        path = data_dir / f"{table}.csv"
        if not path.is_file():
            continue  # an optional table (retirements) the folder lacks
        graph_iri = named_graph(table)
        file_node = URIRef(path.resolve().as_uri())
        record.add((BUILD_ACTIVITY, PROV.used, file_node))
        record.add((file_node, DCTERMS.identifier, Literal(f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}")))
        record.add((graph_iri, PROV.wasGeneratedBy, BUILD_ACTIVITY))
        record.add((graph_iri, PROV.wasDerivedFrom, file_node))
    for identifier, count in counts.items():
        record.add((URIRef(identifier), RDF.type, PROV.Entity))
        record.add((URIRef(identifier), DCTERMS.extent, Literal(count)))
    record.add((BUILD_ACTIVITY, CB.inferredTriples, Literal(report.total)))
    for table in sampled:
        record.add(
            (BUILD_ACTIVITY, CB.note, Literal(f"SHACL validated a sample of {table}; every row was checked as read"))
        )
    record.add((URIRef(str(INFERRED_GRAPH)), PROV.wasGeneratedBy, BUILD_ACTIVITY))
    return record
