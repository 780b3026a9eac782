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
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from certbridge.ontology import CB, GRAPH, ONTOLOGY_FILES, PREFIXES

from . import store as stores
from .convert import TABLES, convert_tables
from .convert.sink import validation_data
from .errors import ShapeViolations
from .reasoning import INFERRED_GRAPH, ONTOLOGY_GRAPH, ReasoningReport, materialise
from .routing.index import load_index, write_cache
from .validate import validate_graphs

BUILD_GRAPH = GRAPH["build"]
BUILD_ACTIVITY = GRAPH["build#activity"]

#: A progress reporter: ``with progress("step name"): ...``. The CLI passes a rich one.
Progress = Callable[[str], contextlib.AbstractContextManager[object]]


@contextlib.contextmanager
def silent(_step: str) -> Iterator[None]:
    yield


@dataclass
class BuildResult:
    location: Path
    version: Path
    triples_by_graph: dict[str, int] = field(default_factory=dict)
    reasoning: ReasoningReport = field(default_factory=ReasoningReport)
    #: tables too large to validate whole: SHACL checked a sample of their subjects (every row was checked as read)
    sampled_tables: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(self.triples_by_graph.values())


def load_ontology() -> Graph:
    graph = Graph(identifier=ONTOLOGY_GRAPH)
    for path in ONTOLOGY_FILES:
        graph.parse(path)
    return graph


def build(data_dir: Path, location: Path, *, progress: Progress = silent) -> BuildResult:
    """Build the store at *location* from the tables in *data_dir*.

    Raises DataError (every table defect), ShapeViolations or StoreError; in each case the store
    readers see at *location* is left exactly as it was.
    """
    with progress("reading and checking tables"):
        sinks = convert_tables(data_dir)
    try:
        with progress("loading the ontology"):
            ontology = load_ontology()
        sampled = sorted(name for name, sink in sinks.items() if not sink.complete)
        with progress("validating with SHACL" + (f" (a sample of {', '.join(sampled)})" if sampled else "")):
            graphs, focus = validation_data(list(sinks.values()))
            report = validate_graphs([ontology, *graphs], focus_nodes=focus)
        if not report.conforms:
            raise ShapeViolations(report.text, report.violations)
        counts = {str(ONTOLOGY_GRAPH): len(ontology), **{str(sink.identifier): len(sink) for sink in sinks.values()}}
        memory = ox.Store()  # reasoning runs in memory (about 4x faster than on RocksDB), then one bulk load
        with progress("loading the graphs"):
            _write(memory, [(ONTOLOGY_GRAPH, ontology)])
            for sink in sinks.values():
                memory.bulk_load(
                    path=sink.path(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(sink.identifier))
                )
        with progress("reasoning"):
            reasoning = materialise(memory)
        counts[str(INFERRED_GRAPH)] = reasoning.total
        record = _build_record(data_dir, counts, reasoning, sampled)
        _write(memory, [(BUILD_GRAPH, record)])
        counts[str(BUILD_GRAPH)] = len(record)
        with progress("indexing for routes"):
            index = load_index(memory)  # from the in-memory store: far faster than from RocksDB later
        with progress("writing the store"), stores.new_version(location, tables=data_dir) as ox_store:
            _copy(memory, ox_store)
        del memory
        write_cache(location, index)
    finally:
        for sink in sinks.values():
            sink.close()
    version = stores.current_version(location)
    assert version is not None
    return BuildResult(location, version, counts, reasoning, sampled)


def reason(location: Path, *, progress: Progress = silent) -> ReasoningReport:
    """Re-run reasoning alone: copy the current version without its inferred graph, reason, swap it in."""
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
    memory.update(
        f"DELETE WHERE {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_ACTIVITY}> cb:inferredTriples ?n }} }} ;"
        f"INSERT DATA {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_ACTIVITY}> cb:inferredTriples {report.total} }} }}",
        prefixes=PREFIXES,
    )
    kept = tables if tables is not None and tables.is_dir() else None
    with progress("indexing for routes"):
        index = load_index(memory)
    with progress("writing the store"), stores.new_version(location, tables=kept) as ox_store:
        _copy(memory, ox_store)
    write_cache(location, index)
    return report


def _copy(source: ox.Store, target: ox.Store) -> None:
    """Every quad of *source* into *target*, through an N-Quads file that Oxigraph bulk-loads."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "all.nq"
        source.dump(str(path), ox.RdfFormat.N_QUADS)
        target.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)


def _write(ox_store: ox.Store, graphs: Iterable[tuple[URIRef, Graph]]) -> None:
    dataset = Dataset(store=OxigraphStore(store=ox_store))
    for identifier, graph in graphs:
        dataset.addN((s, p, o, dataset.graph(identifier)) for s, p, o in graph)


def _build_record(data_dir: Path, counts: dict[str, int], report: ReasoningReport, sampled: list[str]) -> Graph:
    """PROV description of this build: when, from which files (with their SHA-256), into which graphs."""
    record = Graph(identifier=BUILD_GRAPH)
    record.add((BUILD_ACTIVITY, RDF.type, PROV.Activity))
    record.add((BUILD_ACTIVITY, RDFS.label, Literal("certbridge build", lang="en")))
    record.add((BUILD_ACTIVITY, PROV.endedAtTime, Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)))
    for table in TABLES:
        path = data_dir / f"{table}.csv"
        graph_iri = GRAPH[f"data/{table}"]
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
