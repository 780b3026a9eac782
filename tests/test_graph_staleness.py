"""Which routing graphs a change makes stale, decided per cached graph from what it reads (graph/routing/carry.py
``Staleness``, graphs.py ``certificate_reads``, ``issuer_reads``, ``agreement_reads``), against graphs built
afresh (differential); and the graph cache's running total of what it holds (graphs.py ``GraphCache``).

The world is the mini world's routing index, one issuer twinned (another IRI, its certificate types copied), its
certificate types copied into three more occupations (one in the scope of the 6-04 agreements, one in MR11's, one
in no agreement's list), with graphs of every kind for many
options (days, hop kinds, exclusions, quality bars, a credential) cached on it. A change is made on the records
directly (``dataclasses.replace``): an index after it is made from the records, what changed listed as update.py
lists it, and ``kept_graphs`` asked which graphs stay.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import networkx as nx
import pytest
from helpers.data import MINI_DATA
from helpers.graph_shapes import shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.graph.build import build
from certbridge.graph.choices import HopKind
from certbridge.graph.dates import PartialDate
from certbridge.graph.routing import graphs
from certbridge.graph.routing.carry import kept_graphs
from certbridge.graph.routing.graphs import (
    ClassGraph,
    GraphCache,
    GraphKey,
    GraphOptions,
    _build_certificate_graph,
    _build_class_graph,
    certificate_graph,
    class_graph,
)
from certbridge.graph.routing.index import load_index
from certbridge.graph.routing.model import Condition
from certbridge.graph.routing.records import (
    Agreement,
    Authorisation,
    Certificate,
    Issuer,
    QualityCheck,
    Retired,
    RoutingIndex,
    Sanction,
)
from certbridge.graph.routing.rules import QualityBar, issuer_standing
from certbridge.graph.routing.search import search_index
from certbridge.graph.routing.update import Changed
from certbridge.graph.store import EmbeddedStore

ID = "https://w3id.org/certbridge/id/"
DAY = date(2026, 12, 7)
DAYS = (DAY, date(2024, 7, 1), date(2019, 1, 1))
#: the mini world's occupation, and those its certificate types are copied into
OCCUPATIONS = ("6-04-02-01", "6-04-01-01", "6-18-02-04", "2-02-01-01")
CREDENTIAL = f"{ID}credential/assistant-engineer"
#: the options graphs are cached for, on each day and occupation
VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"exclude_sanctioned": False},
    {"quality": QualityBar(national_question_bank=True)},
    {"quality": QualityBar(no_failed_check_years=3)},
    {"unconditional": True},
    {"allowed": (HopKind.FORMAL_RECOGNITION,)},
    {"allowed": (HopKind.SAME_QUALIFICATION, HopKind.GRADE_DOMINANCE)},
    {"credential": CREDENTIAL},
)
KINDS = ("certificates", "classes")
#: an issuer copied under another IRI, with its certificate types
TWINNED = f"{ID}organisation/il-sd-textile-school"
AGREEMENT = f"{ID}agreement/IL-AG01"  # mutual, 6-04, in force 2023-03-01 to 2027-12-31
NUMBERS = st.integers(min_value=0, max_value=1_000_000)
CHANGES = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def every_key() -> list[GraphKey]:
    keys: list[GraphKey] = []
    for code in OCCUPATIONS:
        for day in DAYS:
            for variant in VARIANTS:
                options = GraphOptions(code, day, variant.get("allowed", tuple(HopKind)))
                options = replace(options, **{k: v for k, v in variant.items() if k != "allowed"})
                keys += [(kind, options) for kind in KINDS]
    return keys


def made(
    base: RoutingIndex,
    *,
    certificates: dict[str, Certificate] | None = None,
    issuers: dict[str, Issuer] | None = None,
    agreements: dict[str, Agreement] | None = None,
) -> RoutingIndex:
    """An index of *base*'s records with these tables in their place (its lists of certificate types by occupation
    in IRI order, as load.py and update.py keep them)."""
    index = RoutingIndex(
        certificates=dict(base.certificates if certificates is None else certificates),
        issuers=dict(base.issuers if issuers is None else issuers),
        agreements=dict(base.agreements if agreements is None else agreements),
        grades=base.grades,
        qualifications=base.qualifications,
        bridges=base.bridges,
        credentials=base.credentials,
        occupation_labels=base.occupation_labels,
        region_labels=base.region_labels,
        region_parents=base.region_parents,
        party_labels=base.party_labels,
    )
    by_occupation: defaultdict[str, list[str]] = defaultdict(list)
    for iri in sorted(index.certificates):
        by_occupation[index.certificates[iri].occupation].append(iri)
    index.by_occupation = by_occupation
    return index


def changed_between(previous: RoutingIndex, after: RoutingIndex) -> Changed:
    """What update.py would list as changed: the keys of the records added, replaced or removed."""
    tables: dict[str, frozenset[str]] = {}
    for name in ("certificates", "issuers", "agreements"):
        before, now = getattr(previous, name), getattr(after, name)
        keys = frozenset(key for key in before.keys() | now.keys() if before.get(key) != now.get(key))
        if keys:
            tables[name] = keys
    return Changed(tables=tables)


def fresh(index: RoutingIndex, key: GraphKey) -> tuple[str, Any]:
    """The graph (or the profiles) under *key* built afresh on *index*, nothing cached on it read, or the error its
    build raises."""
    which, options = key
    index = made(index)  # the same records, no graph nor profiles cached
    build = {"classes": _build_class_graph, "certificates": _build_certificate_graph, "profiles": graphs._group}[which]
    try:
        built = build(index, options)
    except Exception as exc:
        return "error", repr(exc)
    return "graph", shape(built)


def warmed(index: RoutingIndex) -> RoutingIndex:
    """*index* with a graph under every key cached (and its search index built), but those a random change left
    unbuildable (a certificate type's issuer removed, say: routing answers an error then)."""
    search_index(index)
    for which, options in every_key():
        try:
            (class_graph if which == "classes" else certificate_graph)(index, options)
        except KeyError:
            continue
    return index


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> RoutingIndex:
    """The mini world's index, its certificate types copied into the other occupations, every graph cached."""
    location = tmp_path_factory.mktemp("graph-staleness") / "store"
    build(MINI_DATA, location)
    mini = load_index(EmbeddedStore(location).open())
    issuers = dict(mini.issuers)
    twin = replace(issuers[TWINNED], iri=f"{TWINNED}-twin")  # same kind and region: their profiles differ by party
    issuers[twin.iri] = twin
    certificates = dict(mini.certificates)
    for cert in [cert for cert in mini.certificates.values() if cert.issuer == TWINNED]:
        certificates[f"{cert.iri}-twin"] = replace(cert, iri=f"{cert.iri}-twin", issuer=twin.iri)
    for code in OCCUPATIONS[1:]:
        for cert in list(certificates.values()):
            if cert.occupation == OCCUPATIONS[0]:
                copy = replace(cert, iri=f"{cert.iri}-in-{code}", occupation=code)
                certificates[copy.iri] = copy
    index = warmed(made(mini, certificates=certificates, issuers=issuers))
    assert len(index.derived.graphs) == len(every_key())
    return index


def carried(previous: RoutingIndex, after: RoutingIndex) -> GraphCache:
    """The graphs of *previous* kept for *after*, each checked against a fresh build on *after*; the profiles kept
    likewise, and given to *after* (the graphs built on it next are built from them)."""
    kept, profiles = kept_graphs(previous, after, changed_between(previous, after))
    for cache, held in ((kept, previous.derived.graphs), (profiles, previous.derived.profiles)):
        for key, graph in cache.items():
            assert graph is held[key], "a kept graph is the same object"
            assert fresh(after, key) == ("graph", shape(graph)), f"kept but stale: {key}"
        assert cache.held == sum(graphs._size(graph) for graph in cache.values())
    after.derived.profiles = profiles
    return kept


# -- random changes --------------------------------------------------------------------------------------------


def a_date(data: st.DataObject, label: str) -> PartialDate:
    """A date around one of the days graphs are cached for (the day before, the day, the day after), or far off."""
    day = DAYS[data.draw(NUMBERS, label=f"{label} day") % len(DAYS)]
    moved = data.draw(st.sampled_from([-1, 0, 1, -4000, 30000]), label=f"{label} offset")
    when = day + timedelta(days=moved)
    precision = data.draw(st.sampled_from(["day", "day", "month", "year"]), label=f"{label} precision")
    return PartialDate(when.year, None if precision == "year" else when.month, when.day if precision == "day" else None)


def a_retirement(data: st.DataObject, label: str) -> Retired | None:
    if data.draw(st.booleans(), label=f"{label} retired"):
        return Retired(on=a_date(data, label), reason="terminated", by=f"{ID}retirement/RT-{label}")
    return None


def pick(data: st.DataObject, items: list[Any], label: str) -> Any:
    return items[data.draw(NUMBERS, label=label) % len(items)]


def changed_agreement(data: st.DataObject, index: RoutingIndex, agreement: Agreement) -> Agreement:
    field = data.draw(
        st.sampled_from(
            [
                "valid_to",
                "valid_from",
                "retired",
                "label",
                "scope",
                "parties",
                "conditions",
                "direction",
                "kinds",
                "min_grade",
                "max_grade",
            ]
        ),
        label="agreement field",
    )
    if field == "kinds":
        kinds = data.draw(
            st.sampled_from([(), ("vocational-school",), ("authorised-enterprise", "government-hr-authority")]),
            label="issuer kinds",
        )
        return replace(agreement, issuer_kinds=frozenset(kinds))
    if field in ("min_grade", "max_grade"):  # one bound at a time: each is read
        return replace(agreement, **{field: data.draw(st.sampled_from([None, *sorted(index.grades)]), label=field)})
    if field == "valid_to":
        end = a_date(data, "valid_to") if data.draw(st.booleans(), label="ends") else None
        return replace(agreement, valid_to=end)
    if field == "valid_from":
        return replace(agreement, valid_from=a_date(data, "valid_from"))
    if field == "retired":
        return replace(agreement, retired=a_retirement(data, "agreement"))
    if field == "label":
        return replace(agreement, label_zh=f"{agreement.label_zh}（更正）", label_en=None)
    if field == "scope":
        scope = data.draw(st.sampled_from([(), ("6-04",), ("6-04-02-01",), ("6-18",), ("2-02", "6-04-01")]))
        return replace(agreement, scope_codes=scope, scope_known=data.draw(st.booleans(), label="scope known"))
    if field == "parties":
        candidates = sorted({*index.issuers, f"{ID}region/320000", f"{ID}region/370000", f"{ID}region/440000"})
        party = pick(data, candidates, "party")
        parties = agreement.parties ^ {party}
        if agreement.recognising or agreement.recognised:
            side = data.draw(st.sampled_from(["recognising", "recognised"]), label="side")
            return replace(agreement, parties=parties, **{side: getattr(agreement, side) ^ {party}})
        return replace(agreement, parties=parties)
    if field == "conditions":
        conditions = (
            () if agreement.conditions else (Condition(kind="examination", text=None, agreement=agreement.iri),)
        )
        return replace(agreement, conditions=conditions)
    return replace(agreement, direction=data.draw(st.sampled_from(["mutual", "one-way", "not-stated"])))


def changed_issuer(data: st.DataObject, issuer: Issuer) -> Issuer:
    field = data.draw(
        st.sampled_from(["label", "sanction", "lifted", "authorisation", "check", "bank", "kind", "region", "retired"]),
        label="issuer field",
    )
    if field == "label":
        return replace(issuer, label_zh=f"{issuer.label_zh}（新名）", label_en=f"{issuer.label_en} (renamed)")
    if field == "sanction":
        sanction = Sanction(a_date(data, "sanction"), "excessive-issuance", "suspended")
        return replace(issuer, sanctions=(*issuer.sanctions, sanction))
    if field == "lifted":
        lifted = a_retirement(data, "lifted")
        return replace(issuer, sanctions=tuple(s._replace(retired=lifted) for s in issuer.sanctions))
    if field == "authorisation":
        if data.draw(st.booleans(), label="drop authorisations"):
            return replace(issuer, authorisations=())
        start = a_date(data, "authorised from")
        end = a_date(data, "authorised to") if data.draw(st.booleans(), label="authorisation ends") else None
        status = data.draw(st.sampled_from(["valid", "suspended", "revoked"]), label="status")
        authorisation = Authorisation(start, end, status, a_retirement(data, "authorisation"))
        return replace(issuer, authorisations=(authorisation,))
    if field == "check":
        check = QualityCheck(a_date(data, "check"), data.draw(st.sampled_from(["pass", "fail"]), label="result"))
        return replace(issuer, checks=(*issuer.checks, check))
    if field == "bank":
        return replace(issuer, question_bank=data.draw(st.sampled_from(["national", "own", None]), label="bank"))
    if field == "kind":
        return replace(issuer, kind=data.draw(st.sampled_from(["vocational-school", "government-hr-authority"])))
    if field == "region":
        return replace(issuer, region=data.draw(st.sampled_from([f"{ID}region/320000", f"{ID}region/440400", None])))
    return replace(issuer, retired=a_retirement(data, "issuer"))


def changed_certificate(data: st.DataObject, index: RoutingIndex, cert: Certificate) -> Certificate:
    field = data.draw(
        st.sampled_from(["label", "occupation", "grade", "issuer", "qualification", "retired"]), label="cert field"
    )
    if field == "label":
        return replace(cert, label_zh=f"{cert.label_zh}（更正）")
    if field == "occupation":
        return replace(cert, occupation=data.draw(st.sampled_from(OCCUPATIONS), label="occupation"))
    if field == "grade":
        return replace(cert, grade=pick(data, sorted(index.grades), "grade"))
    if field == "issuer":
        return replace(cert, issuer=pick(data, sorted(index.issuers), "issuer"))
    if field == "qualification":
        qualifications = sorted({c.qualification for c in index.certificates.values() if c.qualification})
        return replace(cert, qualification=data.draw(st.sampled_from([None, *qualifications]), label="qualification"))
    return replace(cert, retired=a_retirement(data, "certificate"))


def a_change(data: st.DataObject, index: RoutingIndex) -> RoutingIndex:
    """The index after one to three random changes of its agreements, issuers and certificate types (a record
    corrected, added or removed)."""
    certificates, issuers, agreements = dict(index.certificates), dict(index.issuers), dict(index.agreements)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="changes")):
        table = data.draw(st.sampled_from(["agreements", "issuers", "certificates"]), label="table")
        how = data.draw(st.sampled_from(["correct"] * 6 + ["add", "remove"]), label="how")
        if table == "agreements":
            agreement = pick(data, list(agreements.values()), "agreement")
            if how == "remove":
                del agreements[agreement.iri]
            elif how == "add":
                copy = replace(agreement, iri=f"{agreement.iri}-copy")
                agreements[copy.iri] = changed_agreement(data, index, copy)
            else:
                agreements[agreement.iri] = changed_agreement(data, index, agreement)
        elif table == "issuers":
            issuer = pick(data, list(issuers.values()), "issuer")
            if how == "remove":
                del issuers[issuer.iri]
            else:  # an issuer added with no certificate type reads nothing: corrected instead
                issuers[issuer.iri] = changed_issuer(data, issuer)
        else:
            cert = pick(data, list(certificates.values()), "certificate")
            if how == "remove":
                del certificates[cert.iri]
            elif how == "add":
                copy = replace(cert, iri=f"{cert.iri}-copy")
                certificates[copy.iri] = changed_certificate(data, index, copy)
            else:
                certificates[cert.iri] = changed_certificate(data, index, cert)
    return made(index, certificates=certificates, issuers=issuers, agreements=agreements)


@given(data=st.data())
@CHANGES
def test_every_graph_kept_after_a_random_change_equals_one_built_afresh(
    world: RoutingIndex, data: st.DataObject
) -> None:
    after = a_change(data, world)
    carried(world, after)


@given(data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_graphs_carried_over_a_sequence_of_changes_equal_ones_built_afresh(
    world: RoutingIndex, data: st.DataObject
) -> None:
    """Each index after a change holds the graphs kept for it and those built again: the next change carries them."""
    previous = world
    for _ in range(3):
        after = a_change(data, previous)
        after.derived.graphs = carried(previous, after)
        previous = warmed(after) if data.draw(st.booleans(), label="warm again") else after


# -- targeted --------------------------------------------------------------------------------------------------


def agreement_in(graph: Any, iri: str) -> bool:
    """Whether an edge of *graph* (either kind) stands for the agreement *iri*."""
    edges = (graph.graph if isinstance(graph, ClassGraph) else graph).edges(data=True)
    return any(data[graphs.EDGE].evidence == iri for *_, data in edges)


def test_an_end_date_moved_within_the_future_keeps_every_graph(world: RoutingIndex) -> None:
    """valid_to from empty to 2099-12-31 on agreements covering every occupation, and a later end for one covering
    6-04: in force on every day graphs are cached for, before and after, so no graph reads a difference."""
    agreements = dict(world.agreements)
    unscoped = [a for a in agreements.values() if not a.scope_codes and a.valid_to is None]
    assert unscoped, "the mini world has agreements with no scope codes and no end"
    for agreement in unscoped:
        agreements[agreement.iri] = replace(agreement, valid_to=PartialDate(2099, 12, 31))
    agreements[AGREEMENT] = replace(agreements[AGREEMENT], valid_to=PartialDate(2030, 6, 30))
    after = made(world, agreements=agreements)
    assert changed_between(world, after)["agreements"] == {AGREEMENT, *(a.iri for a in unscoped)}
    assert list(carried(world, after)) == list(world.derived.graphs), "every graph kept, in its order"


def test_retiring_an_agreement_as_of_the_day_drops_exactly_the_graphs_it_acted_in(world: RoutingIndex) -> None:
    retired = Retired(on=PartialDate(DAY.year, DAY.month, DAY.day), reason="terminated", by=f"{ID}retirement/RT-1")
    after = made(
        world, agreements={**world.agreements, AGREEMENT: replace(world.agreements[AGREEMENT], retired=retired)}
    )
    kept = carried(world, after)
    assert world.derived.profiles and list(after.derived.profiles) == list(world.derived.profiles), (
        "the graphs dropped are built again from the profiles kept: an agreement acts on profiles"
    )
    dropped = {key for key in world.derived.graphs if key not in kept}
    acted = {key for key, graph in world.derived.graphs.items() if agreement_in(graph, AGREEMENT)}
    assert dropped == {key for key in acted if key[1].day == DAY}, "those it acted in on the day, no other"
    assert acted - dropped, "it still acts on the days before its retirement, in graphs kept"
    # and those are: the graphs of the occupations it covers, where formal recognition counts
    assert {options.occupation for _, options in dropped} == set(OCCUPATIONS[:2])
    assert all(HopKind.FORMAL_RECOGNITION in options.allowed for _, options in dropped)
    for key in dropped:
        assert fresh(after, key) != ("graph", shape(world.derived.graphs[key])), f"dropped, yet unchanged: {key}"


def test_an_issuer_label_change_keeps_every_graph(world: RoutingIndex) -> None:
    issuers = {iri: replace(issuer, label_zh="改名", label_en="Renamed") for iri, issuer in world.issuers.items()}
    after = made(world, issuers=issuers)
    assert changed_between(world, after)["issuers"] == set(world.issuers)
    assert list(carried(world, after)) == list(world.derived.graphs)


def test_a_sanction_drops_only_the_graphs_of_the_days_it_holds_on_and_that_exclude_sanctioned_issuers(
    world: RoutingIndex,
) -> None:
    """A sanction from 2025 on an issuer of every occupation: graphs of 2019 and 2024, and those that count
    sanctioned issuers, read nothing different."""
    issuer = next(
        world.issuers[cert.issuer]
        for cert in world.certificates.values()
        if issuer_standing(world.issuers[cert.issuer], DAY) is None
    )
    sanction = Sanction(PartialDate(2025, 1, 1), "excessive-issuance", "suspended")
    after = made(world, issuers={**world.issuers, issuer.iri: replace(issuer, sanctions=(*issuer.sanctions, sanction))})
    kept = carried(world, after)
    dropped = {key for key in world.derived.graphs if key not in kept}
    assert dropped, "the issuer's certificate types leave today's graphs"
    assert {options.day for _, options in dropped} == {DAY}
    assert all(options.exclude_sanctioned for _, options in dropped)


# -- the cache's running total ---------------------------------------------------------------------------------


def stand_in(size: int) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.graph["size"] = size
    return graph


def test_the_cache_keeps_its_total_through_every_change() -> None:
    keys = every_key()
    cache = GraphCache((key, stand_in(n)) for n, key in enumerate(keys[:5]))
    assert cache.held == 0 + 1 + 2 + 3 + 4
    cache[keys[0]] = stand_in(10)  # replaced in place
    assert cache.held == 20 and list(cache) == keys[:5]
    del cache[keys[1]]
    assert cache.pop(keys[2]).graph["size"] == 2 and cache.held == 17
    cache.move_to_end(keys[0])
    assert cache.popitem(last=False)[0] == keys[3] and cache.held == 14
    assert cache.kept(lambda key: key == keys[0]).held == 10
    cache.clear()
    assert cache.held == 0 and not cache


@pytest.mark.parametrize(("size", "items"), [(4, 10**9), (10**6, 60), (3, 40)])
def test_eviction_keeps_the_bounds_and_drops_the_least_recently_used(
    world: RoutingIndex, monkeypatch: pytest.MonkeyPatch, size: int, items: int
) -> None:
    """Against a reference LRU that sums what it holds each time (as ``_cached`` did before the running total)."""
    index = made(world)
    monkeypatch.setattr(graphs, "GRAPH_CACHE_SIZE", size)
    monkeypatch.setattr(graphs, "GRAPH_CACHE_ITEMS", items)
    keys = [key for key in every_key() if key[0] == "classes"]
    reference: OrderedDict[GraphKey, int] = OrderedDict()
    for number, key in enumerate(keys):
        for used in (key, keys[0]) if number % 2 else (key,):  # the first used again and again
            reference[used] = graphs._size(class_graph(index, used[1]))
            reference.move_to_end(used)
            while len(reference) > 1 and (len(reference) > size or sum(reference.values()) > items):
                reference.popitem(last=False)
            cache = index.derived.graphs
            assert list(cache) == list(reference)
            assert cache.held == sum(reference.values()) == sum(graphs._size(graph) for graph in cache.values())
            assert len(cache) <= size and (cache.held <= items or len(cache) == 1)
    assert len(index.derived.graphs) < len(keys), "graphs were evicted"
    assert keys[0] in index.derived.graphs, "the graph used again and again was kept"
