"""Materialise exactly the entailments the ontology's characteristics require.

owlrl is far too slow for national-scale data (minutes for 100k triples), so only the OWL 2 RL rules
the ontology actually uses are run, to a fixpoint:

=================  ==========================================  ============================
rule (OWL 2 RL)    axiom read from the ontology graph          entailment
=================  ==========================================  ============================
cax-sco            ``C rdfs:subClassOf D``                      ``x a C`` ⇒ ``x a D``
prp-dom            ``p rdfs:domain C``                          ``x p y`` ⇒ ``x a C``
prp-rng            ``p rdfs:range C`` (object properties)       ``x p y`` ⇒ ``y a C``
prp-spo1           ``p rdfs:subPropertyOf q``                   ``x p y`` ⇒ ``x q y``
prp-inv1/2         ``p owl:inverseOf q``                        ``x p y`` ⇔ ``y q x``
prp-symp           ``p a owl:SymmetricProperty``                ``x p y`` ⇒ ``y p x``
prp-trp            ``p a owl:TransitiveProperty``               ``x p y, y p z`` ⇒ ``x p z``
prp-spo2           ``p owl:propertyChainAxiom (p1 … pn)``       ``x p1 … pn y`` ⇒ ``x p y``
=================  ==========================================  ============================

Two domain rules come first: certificate types that certify the same occupation at the same grade
under the same national standard share one ``cb:Qualification`` node (O(K) triples for K types,
not the O(K²) of a symmetric, transitive property), and each agreement in force that recognises
certificates yields party-level recognition (mutual, or one-way from the recognising to the
recognised party), recorded with a reified statement saying which rule and which agreement produced it.
They are SPARQL updates (sparql.py) on every store. The OWL rules run as set operations in Python on
the embedded store (in_memory.py) and as SPARQL updates on a SPARQL server (sparql.py); the two give
the same closure.

A change of a few asserted triples need not re-run all this: incremental.py (``apply_change``) brings the
inferred graph of a store from the closure before to the closure after, with the same rules (delete-and-rederive
for what a change removes, semi-naive for what it adds, the domain rules for the agreements and certificate types
it touches).

Everything derived goes to the named graph ``cbg:inferred``; only ABox entailments are materialised
(the class and property hierarchy itself stays in the ontology graph). tests/test_reasoning.py checks
both engines against owlrl's closure on random graphs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from ..errors import InvalidOption
from ..iris import INFERRED_GRAPH, ONTOLOGY_GRAPH
from . import in_memory, sparql
from .report import ReasoningReport
from .sparql import Store

Engine = Literal["sets", "sparql"]

__all__ = ["INFERRED_GRAPH", "ONTOLOGY_GRAPH", "Engine", "ReasoningReport", "materialise"]


def materialise(
    store: Store, *, engine: Engine | None = None, max_iterations: int = 50, conclusions: Path | None = None
) -> ReasoningReport:
    """Replace the inferred graph of *store* with the closure of its asserted graphs under the rules above.

    *engine* picks how the OWL rules run: by default as sets in Python on the embedded store and as
    SPARQL updates on a server (which the sets engine cannot reach into). With *conclusions* (sets engine
    only), the OWL rules' conclusions are written to that N-Triples file for the caller to load into the
    inferred graph where it wants them, not into *store*; the domain rules' always go into *store*.
    """
    if engine is None:
        engine = "sets" if isinstance(store, ox.Store) else "sparql"
    if engine == "sets" and not isinstance(store, ox.Store):
        raise InvalidOption("the sets engine runs on the embedded store only")
    if conclusions is not None and engine != "sets":
        raise InvalidOption("only the sets engine writes its conclusions to a file")
    report = ReasoningReport()
    sparql.clear(store)
    sparql.domain_rules(store, report)
    if engine == "sets":
        assert isinstance(store, ox.Store)
        in_memory.owl_rules(store, report, max_iterations=max_iterations, conclusions=conclusions)
    else:
        sparql.owl_rules(store, report, max_iterations=max_iterations)
    sparql.count_rule_descriptions(store, report)
    return report
