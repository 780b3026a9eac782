"""`certbridge build`: tables -> RDF -> SHACL -> a new store version, swapped in only on success."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from certbridge.ontology import CB, ONTOLOGY_FILES, PREFIXES

from . import store as stores
from .convert import TABLES, convert_tables
from .convert.sink import TripleSink, validation_data
from .errors import MissingInput, ShapeViolations
from .iris import BUILD_ACTIVITY, BUILD_GRAPH, named_graph
from .load_queue import LoadQueue, bulk_load
from .reasoning import INFERRED_GRAPH, ONTOLOGY_GRAPH, ReasoningReport, materialise
from .remote.load import put_graphs
from .remote.location import RemoteLocation
from .routing.cache import forget_cache, write_cache
from .routing.load import load_index
from .store import Location
from .validate import validate_graphs

#: A progress reporter: ``with progress("step name"): ...``. The CLI passes a rich one.
Progress = Callable[[str], contextlib.AbstractContextManager[object]]


@contextlib.contextmanager
def silent(_step: str) -> Iterator[None]:
    yield


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


#: what the embedded build's in-memory store (which reasoning and the routing index read) leaves to the on-disk
#: store, by table ("*": every table): skos:prefLabel, a copy of rdfs:label for SKOS clients, and the sources of
#: certificate types, which routing never cites (together 1.8 million triples at national scale; neither
#: reads them, and tests/test_reasoning.py checks both give the same without them)
NOT_IN_MEMORY: dict[str, frozenset[str]] = {
    "*": frozenset({SKOS.prefLabel.n3()}),
    "certificate_types": frozenset({DCTERMS.source.n3()}),
}


def build(data_dir: Path, location: Location, *, progress: Progress = silent) -> BuildResult:
    """Build the store at *location* from the tables in *data_dir*.

    Raises MissingInput (no folder at *data_dir*, before anything is written), DataError (every table
    defect), ShapeViolations or StoreError; in each case the store readers see at *location* is left
    exactly as it was.
    """
    if not data_dir.is_dir():
        raise MissingInput(f"no folder of tables at {data_dir}", hint="give --data the folder of the CSV tables")
    if isinstance(location, RemoteLocation):
        with progress("reading and checking tables"):
            sinks = convert_tables(data_dir)
        with _closing(sinks):
            checked = _validate(data_dir, sinks, progress)
            reasoning = _build_on_server(checked, location, progress)
    else:
        checked, reasoning = _build_embedded(data_dir, location, progress)
    version = stores.current_version(location)
    assert version is not None
    return BuildResult(location, version, checked.counts, reasoning, checked.sampled)


@contextlib.contextmanager
def _closing(sinks: dict[str, TripleSink]) -> Iterator[None]:
    """Delete the sinks' files on leaving, however it is left."""
    try:
        yield
    finally:
        for sink in sinks.values():
            sink.close()


def _validate(data_dir: Path, sinks: dict[str, TripleSink], progress: Progress) -> _Checked:
    """SHACL over the converted tables (whole, or samples of the large ones) with the ontology."""
    with progress("loading the ontology"):
        ontology = load_ontology()
    sampled = sorted(name for name, sink in sinks.items() if not sink.complete)
    with progress("validating with SHACL" + (f" (a sample of {', '.join(sampled)})" if sampled else "")):
        graphs, focus = validation_data(list(sinks.values()))
        report = validate_graphs([ontology, *graphs], focus_nodes=focus)
    if not report.conforms:
        raise ShapeViolations(report.text, report.violations)
    del graphs, focus
    for sink in sinks.values():
        sink.forget_validation_data()
    counts = {
        str(ONTOLOGY_GRAPH): len(ontology),
        **{str(sink.identifier): len(sink) for sink in sinks.values()},
    }
    return _Checked(data_dir, ontology, list(sinks.values()), counts, sampled)


@dataclass
class _Checked:
    """What a build has read and validated, to be stored on either backend; ``counts`` grows as it is stored."""

    data_dir: Path
    ontology: Graph
    sinks: list[TripleSink]
    counts: dict[str, int]
    sampled: list[str]

    def record(self, reasoning: ReasoningReport, name: str | None = None) -> tuple[str, Graph]:
        """The version name (*name*, or a new one) and the build record naming it, with the inferred and
        record graphs counted."""
        self.counts[str(INFERRED_GRAPH)] = reasoning.total
        name = name or stores.new_version_name()
        record = _build_record(self.data_dir, self.counts, reasoning, self.sampled, name)
        self.counts[str(BUILD_GRAPH)] = len(record)
        return name, record

    def ontology_nt(self) -> bytes:
        return self.ontology.serialize(format="nt", encoding="utf-8")


def _build_embedded(data_dir: Path, location: Path, progress: Progress) -> tuple[_Checked, ReasoningReport]:
    """Reason and index in memory (about 4x faster than on RocksDB) while a thread bulk-loads the new on-disk
    version: each table in chunks while it is converted and the rest of it after, the ontology, then (while
    the routing index is computed) the inferred graph and build record.

    The in-memory store is loaded from the same chunks by a thread of its own (but for ``NOT_IN_MEMORY``, whose
    triples the sinks write to chunks of their own). Oxigraph releases the GIL while it loads, so on two cores both
    loads run beside the conversion instead of after it. The version becomes current only when everything is in it.
    Both stores read the same converted triples: the tables convert to IRIs and literals only, so the inferred
    triples copied from memory name the same nodes on disk (only the ontology's own lists have blank nodes, and no
    rule reads the ontology graph's triples as premises). The OWL rules' conclusions (4 million triples at national
    scale) go from their file to disk only: the routing index does not read them, and the memory store would need
    gigabytes more to hold them.
    """
    name = stores.new_version_name()
    try:
        with (
            stores.new_version(location, tables=data_dir, name=name) as ox_store,
            # leniently: every triple it loads is also parsed strictly by the memory store, whose loading fails
            # the build (but skos:prefLabel, the same literal as rdfs:label, and the sources' IRIs it mints)
            LoadQueue(ox_store, lenient=True) as disk,  # left (done, or its work dropped) before the version is kept
            LoadQueue(ox.Store()) as in_memory,
        ):

            def load(identifier: URIRef, chunk: Path, for_memory: bool) -> None:
                disk.load(identifier, chunk)
                if for_memory:
                    in_memory.load(identifier, chunk)

            with progress("reading and checking tables, loading them into memory and to disk"):
                sinks = convert_tables(data_dir, chunks=load, memory_skips=NOT_IN_MEMORY)
            with _closing(sinks):
                try:
                    checked = _validate(data_dir, sinks, progress)
                    reasoning = _reason_and_store(checked, location, progress, in_memory, disk, name)
                except BaseException:
                    in_memory.cancel()  # both before the sinks' files go
                    disk.cancel()
                    raise
    except BaseException:
        forget_cache(location, name)  # written before the version was complete, which it never became
        raise
    return checked, reasoning


def _reason_and_store(
    checked: _Checked, location: Path, progress: Progress, in_memory: LoadQueue, disk: LoadQueue, name: str
) -> ReasoningReport:
    """Reason and index from the in-memory store; queue the ontology and the inferences to *disk* and wait for
    it (the caller cancels it on an error)."""
    ontology = checked.ontology_nt()
    disk.load(ONTOLOGY_GRAPH, ontology)
    with tempfile.TemporaryDirectory(prefix="certbridge-inferred-") as folder:
        try:
            conclusions = Path(folder) / "owl-conclusions.nt"
            with progress("loading the graphs into memory (what reading left)"):
                memory = in_memory.finish()
                assert memory is not None
                bulk_load(memory, [(ONTOLOGY_GRAPH, ontology)])  # the tables are in already
            with progress("reasoning"):
                reasoning = materialise(memory, conclusions=conclusions)
            _, record = checked.record(reasoning, name)
            _write(memory, [(BUILD_GRAPH, record)])
            # the inferred graph goes to disk while the routing index is computed from the memory store
            for identifier in INFERENCES:
                disk.load(identifier, _dump(memory, identifier, Path(folder)))
            disk.load(INFERRED_GRAPH, conclusions)
            with progress("indexing for routes"):
                index = load_index(memory)  # from the in-memory store: far faster than from RocksDB later
            del memory  # gigabytes, freed while the disk load goes on
            with progress("saving the routing index (the disk load going on)"):
                write_cache(location, index, version_name=name)
            with progress("writing the store (what indexing left)"):
                disk.finish()
        except BaseException:
            disk.cancel()  # before the conclusions file goes
            raise
    return reasoning


def _dump(memory: ox.Store, identifier: URIRef, folder: Path) -> Path:
    """One graph of the in-memory store as an N-Triples file in *folder*."""
    path = folder / f"{identifier.rsplit('/', 1)[-1]}.nt"
    memory.dump(str(path), ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(identifier)))
    return path


#: the graphs a build adds after reasoning
INFERENCES = (INFERRED_GRAPH, BUILD_GRAPH)


def _build_on_server(checked: _Checked, location: RemoteLocation, progress: Progress) -> ReasoningReport:
    """Load each graph with the Graph Store Protocol, then let the server reason with SPARQL updates.

    Each graph is replaced atomically and its triple count checked. A server cannot swap many graphs
    at once, so the build record (which names the version readers follow) is removed first and
    written last: while the build runs, or after it failed, readers are told there is no complete
    build rather than shown a mix of old and new graphs as if it were one.
    """
    server = stores.open_server(location)
    ontology = checked.ontology
    graphs = [(str(ONTOLOGY_GRAPH), ontology.serialize(format="nt", encoding="utf-8"), len(ontology))]
    graphs += [(str(sink.identifier), sink.path(), len(sink)) for sink in checked.sinks]
    try:
        server.remove_graph(BUILD_GRAPH)  # until this build completes, no build is current
        put_graphs(server, graphs, progress)  # one progress step per graph
        with progress("reasoning on the server"):
            reasoning = materialise(server)
        name, record = checked.record(reasoning)
        with progress("indexing for routes"):
            index = load_index(server)
        stores.keep_tables(location, location.workdir / name, checked.data_dir)
        put_graphs(server, [(str(BUILD_GRAPH), record.serialize(format="nt", encoding="utf-8"), len(record))])
    finally:
        stores.forget_version(location)
    write_cache(location, index)
    stores.prune_workdir(location)
    return reasoning


def reason(location: Location, *, progress: Progress = silent) -> ReasoningReport:
    """Re-run reasoning alone: copy the current version without its inferred graph, reason, swap it in.

    On a server, the server re-runs it in place (the inferred graph is replaced).
    """
    if isinstance(location, RemoteLocation):
        return _reason_on_server(location, progress)
    current = stores.open_store(location)
    version = stores.current_version(location)
    tables = stores.kept_tables(location, version) if version is not None else None
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    memory = ox.Store()
    with progress("copying the asserted graphs"):
        memory.bulk_extend(q for q in current.quads_for_pattern(None, None, None) if q.graph_name != inferred)
    del current
    with progress("reasoning"):
        report = materialise(memory)
    memory.update(_record_inferred(report), prefixes=PREFIXES)
    kept = tables if tables is not None and tables.is_dir() else None
    with progress("indexing for routes"):
        index = load_index(memory)
    with progress("writing the store"), stores.new_version(location, tables=kept) as ox_store:
        _copy(memory, ox_store)
    write_cache(location, index)
    return report


def _reason_on_server(location: RemoteLocation, progress: Progress) -> ReasoningReport:
    """Reason again in place; the build record is set aside meanwhile, as during a build (see _build_on_server)."""
    server = stores.open_store(location)
    answer = server.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BUILD_GRAPH}> {{ ?s ?p ?o }} }}")
    assert isinstance(answer, ox.QueryTriples)
    record = answer.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
    size = sum(1 for line in record.splitlines() if line.strip())
    try:
        server.remove_graph(BUILD_GRAPH)
        with progress("reasoning on the server"):
            report = materialise(server)
        put_graphs(server, [(str(BUILD_GRAPH), record, size)])
        server.update(_record_inferred(report), prefixes=PREFIXES)
        with progress("indexing for routes"):
            index = load_index(server)
    finally:
        stores.forget_version(location)
    write_cache(location, index)
    return report


def _record_inferred(report: ReasoningReport) -> str:
    return (
        f"DELETE WHERE {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_ACTIVITY}> cb:inferredTriples ?n }} }} ;"
        f"INSERT DATA {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_ACTIVITY}> cb:inferredTriples {report.total} }} }}"
    )


def _copy(source: ox.Store, target: ox.Store) -> None:
    """Every quad of *source* into *target*, through a file that Oxigraph bulk-loads."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "all.nq"
        source.dump(str(path), ox.RdfFormat.N_QUADS)
        target.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)


def _write(ox_store: ox.Store, graphs: Iterable[tuple[URIRef, Graph]]) -> None:
    dataset = Dataset(store=OxigraphStore(store=ox_store))
    for identifier, graph in graphs:
        dataset.addN((s, p, o, dataset.graph(identifier)) for s, p, o in graph)


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
