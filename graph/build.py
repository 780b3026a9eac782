"""`certbridge build`: tables -> RDF -> SHACL -> a new store version, swapped in only on success."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from oxrdflib import OxigraphStore
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from certbridge.ontology import GRAPH, ONTOLOGY_FILES

from . import store as stores
from .convert import TABLES, convert_tables
from .errors import ShapeViolations
from .validate import validate_graphs

ONTOLOGY_GRAPH = GRAPH["ontology"]
BUILD_GRAPH = GRAPH["build"]
BUILD_ACTIVITY = GRAPH["build#activity"]

#: A progress reporter: ``with progress("step name"): ...``. The CLI passes a rich one.
Progress = Callable[[str], contextlib.AbstractContextManager[object]]


@contextlib.contextmanager
def _silent(_step: str) -> Iterator[None]:
    yield


@dataclass
class BuildResult:
    location: Path
    version: Path
    triples_by_graph: dict[str, int] = field(default_factory=dict)

    @property
    def triples(self) -> int:
        return sum(self.triples_by_graph.values())


def load_ontology() -> Graph:
    graph = Graph(identifier=ONTOLOGY_GRAPH)
    for path in ONTOLOGY_FILES:
        graph.parse(path)
    return graph


def build(data_dir: Path, location: Path, *, progress: Progress = _silent) -> BuildResult:
    """Build the store at *location* from the tables in *data_dir*.

    Raises DataError (every table defect), ShapeViolations or StoreError; in each case the store
    readers see at *location* is left exactly as it was.
    """
    with progress("reading and checking tables"):
        graphs = convert_tables(data_dir)
    with progress("loading the ontology"):
        ontology = load_ontology()
    with progress("validating with SHACL"):
        report = validate_graphs([ontology, *graphs.values()])
    if not report.conforms:
        raise ShapeViolations(report.text, report.violations)
    named = {ONTOLOGY_GRAPH: ontology, **{graph.identifier: graph for graph in graphs.values()}}
    named[BUILD_GRAPH] = _build_record(data_dir, named)
    with progress("writing the store"), stores.new_version(location) as ox_store:
        dataset = Dataset(store=OxigraphStore(store=ox_store))
        for identifier, graph in named.items():
            dataset.addN((s, p, o, dataset.graph(identifier)) for s, p, o in graph)
        del dataset
    version = stores.current_version(location)
    assert version is not None
    return BuildResult(location, version, {str(k): len(g) for k, g in named.items()})


def _build_record(data_dir: Path, named: dict[URIRef, Graph]) -> Graph:
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
    for identifier, graph in named.items():
        record.add((identifier, RDF.type, PROV.Entity))
        record.add((identifier, DCTERMS.extent, Literal(len(graph))))
    return record
