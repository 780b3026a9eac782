"""The built store holds what the sources hold: counts, unknowns kept unknown, labels, provenance."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from certbridge.data import DATA_DIR
from certbridge.graph.query import run_query, select
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.rules import agreement_in_force
from certbridge.graph.store import open_store
from certbridge.ontology import ID

pytestmark = pytest.mark.slow


def count(store_path: Path, where: str) -> int:
    rows = list(select(open_store(store_path), f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0]["n"])


def table(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("cls", "expected"),
    [("cb:MajorGroup", 8), ("cb:MediumGroup", 79), ("cb:MinorGroup", 450), ("cb:Occupation", 1639)],
)
def test_classification_2022_counts(real_store: Path, cls: str, expected: int) -> None:
    """The published counts of the 2022 classification (职业分类大典 2022: 8, 79, 450, 1,639)."""
    assert count(real_store, f"?x a {cls}") == expected


def test_every_occupation_reaches_a_major_group(real_store: Path) -> None:
    assert (
        count(real_store, "?x a cb:Occupation ; skos:broader/skos:broader/skos:broader ?m . ?m a cb:MajorGroup") == 1639
    )


def test_occupation_marks_match_official_numbers(real_store: Path) -> None:
    assert count(real_store, "?x cb:digitalOccupation true") == 97
    assert count(real_store, "?x cb:greenOccupation true") == 134


def test_all_34_province_level_divisions_with_both_labels(real_store: Path) -> None:
    assert count(real_store, "?x a cb:ProvinceLevelDivision") == 34
    both = '?x a cb:ProvinceLevelDivision ; rdfs:label ?zh, ?en FILTER (LANG(?zh) = "zh" && LANG(?en) = "en")'
    assert count(real_store, both) == 34
    assert count(real_store, "?x a cb:Region") == 34 + len(table("subregions"))


def test_isco08_groups(real_store: Path) -> None:
    assert count(real_store, "?x a cb:IscoGroup") == 619
    assert count(real_store, "?x a cb:IscoGroup ; cb:classificationLevel 4") == 436


def test_all_705_standard_records(real_store: Path) -> None:
    assert count(real_store, "?x a cb:SkillStandard") == 705


def test_unknown_standard_fields_stay_unknown(real_store: Path) -> None:
    rows = table("standards")
    assert (
        count(real_store, "?x a cb:SkillStandard FILTER NOT EXISTS { ?x cb:editionYear ?y }")
        == sum(not r["edition_year"] for r in rows)
        == 186
    )
    assert (
        count(real_store, "?x cb:gradesCoveredKnown false FILTER NOT EXISTS { ?x cb:coversGrade ?g }")
        == sum(not r["grades_covered"] for r in rows)
        == 339
    )
    # 19: the 20th (燃气储运工, 人社厅发〔2021〕88号) rested on a test fixture of a code file only
    assert count(real_store, "?x a cb:SkillStandard ; cb:documentNumber ?d") == 19
    assert count(real_store, "?x a cb:SkillStandard ; cb:forOccupation ?o") == 662


def test_both_grade_ladders_with_order_and_labels(real_store: Path) -> None:
    store = open_store(real_store)
    for scheme, size in (("scheme:grade-ladder-five", 5), ("scheme:grade-ladder-eight", 8)):
        rows = list(
            select(
                store,
                f"""
            SELECT ?g ?rank ?zh ?en WHERE {{
              ?g skos:inScheme {scheme} ; cb:rank ?rank ;
                 rdfs:label ?zh, ?en FILTER (LANG(?zh) = "zh" && LANG(?en) = "en") }} ORDER BY ?rank""",
            )
        )
        assert len(rows) == size
        assert all(row["zh"] and row["en"] for row in rows)


def test_eight_level_ladder_is_ordered_apprentice_to_chief(real_store: Path) -> None:
    rows = list(
        select(
            open_store(real_store),
            """
        SELECT ?zh WHERE { ?g a cb:GradeLevel ; cb:rank ?r ; skos:notation ?n ; rdfs:label ?zh
        FILTER (LANG(?zh) = "zh" && !STRSTARTS(?n, "technical")) } ORDER BY ?r""",
        )
    )
    assert [r["zh"].removesuffix("@zh") for r in rows] == [
        "学徒工",
        "初级工",
        "中级工",
        "高级工",
        "技师",
        "高级技师",
        "特级技师",
        "首席技师",
    ]


def test_every_arrangement_has_its_source_with_url_or_a_stated_reason(real_store: Path) -> None:
    rows = list(
        select(
            open_store(real_store),
            """
        SELECT ?a ?url ?note WHERE { ?a a cb:RecognitionAgreement ; dcterms:source ?s .
          OPTIONAL { ?s schema:url ?url } OPTIONAL { ?s cb:note ?note }
          FILTER NOT EXISTS { ?a cb:illustrative true } }""",
        )
    )
    real = {r["id"] for r in table("agreements") if r["illustrative"] != "yes"}
    assert {row["a"].removeprefix("agreement:") for row in rows} == real == {f"MR{i:02d}" for i in range(1, 22)}
    # a policy document cited beside its source has no address of its own: an agreement needs one source with one
    with_url = {row["a"] for row in rows if row["url"]}
    without_url = {row["a"] for row in rows} - with_url
    assert without_url == {"agreement:MR15"}, "only MR15's source gave no address"
    assert all("no URL" in row["note"] for row in rows if row["a"] in without_url)


def test_cooperation_only_arrangements_are_not_recognition(real_store: Path) -> None:
    rows = list(select(open_store(real_store), """SELECT ?a WHERE { ?a cb:recognisesCertificates false }"""))
    assert {row["a"].removeprefix("agreement:") for row in rows} == {"MR09", "MR10", "MR12", "MR13", "MR14"}


def test_partial_dates_keep_their_precision(real_store: Path) -> None:
    store = open_store(real_store)
    answer = run_query(store, "SELECT ?d WHERE { authorisation:AU-hengfeng-2021 cb:validFrom ?d }")
    [solution] = list(answer)
    assert solution["d"].value == "2021-07"
    assert solution["d"].datatype.value.endswith("#gYearMonth")
    stated = list(
        select(
            store,
            "SELECT ?s ?d WHERE { agreement:MR05 cb:dateAsStated ?s OPTIONAL { agreement:MR05 cb:validFrom ?d } }",
        )
    )
    assert stated == [{"s": "????-09-01", "d": ""}]


def test_illustrative_records_are_marked_and_cite_the_illustrative_source(real_store: Path) -> None:
    store = open_store(real_store)
    marked = {r["x"] for r in select(store, "SELECT ?x WHERE { ?x cb:illustrative true ; dcterms:source ?s }")}
    citing = {r["x"] for r in select(store, "SELECT ?x WHERE { ?x dcterms:source ?s . ?s cb:illustrative true }")}
    assert marked == citing
    assert "organisation:hengfeng" not in marked, "Hengfeng is a real, sourced enterprise"
    assert "cert:IL-CT-hengfeng-spinner-senior-technician" in marked
    labels = {
        (r["c"] in marked, r["l"])
        for r in select(store, "SELECT ?c ?l WHERE { ?c a cb:CertificateType ; rdfs:label ?l }")
    }
    assert all(("示例" in label or "illustrative" in label) == ill for ill, label in labels)
    real = {r["c"] for r in select(store, "SELECT ?c WHERE { ?c a cb:CertificateType }")} - marked
    assert real == {  # the Fujian–Taiwan demonstration on real records (README)
        "cert:CT-tw-chinese-cuisine-class-c",
        "cert:CT-fj-chinese-cook-senior",
        "cert:CT-tw-care-worker-single",
        "cert:CT-fj-elderly-carer-intermediate",
    }


def test_the_demo_question_is_in_the_data(real_store: Path) -> None:
    rows = list(
        select(
            open_store(real_store),
            """
        SELECT ?c ?issuerKind WHERE { ?c cb:certifiesOccupation occ:6-04-02-01 ; cb:atGrade grade:senior-technician ;
          cb:issuedBy ?i . ?i a ?issuerKind .
          FILTER (?issuerKind IN (cb:AuthorisedEnterprise, cb:GovernmentHRAuthority)) }""",
        )
    )
    kinds = {row["issuerKind"] for row in rows}
    assert kinds == {"cb:AuthorisedEnterprise", "cb:GovernmentHRAuthority"}


def test_every_fact_record_names_a_source(real_store: Path) -> None:
    assert (
        count(
            real_store,
            """?x a ?c FILTER (?c IN (cb:Occupation, cb:OccupationGroup, cb:Region, cb:SkillStandard,
        cb:Issuer, cb:CertificateType, cb:RecognitionAgreement, cb:GradeLevel, cb:Authorisation, cb:Sanction))
        FILTER NOT EXISTS { ?x dcterms:source ?s }""",
        )
        == 0
    )


def test_esco_acknowledgement_is_kept(real_store: Path) -> None:
    rows = list(select(open_store(real_store), "SELECT ?l WHERE { src:SRC-ISCO-ESCO cb:licenceNote ?l }"))
    assert "This service uses the ESCO classification of the European Commission." in rows[0]["l"]


def test_fujian_taiwan_recognition_records_what_the_documents_state(real_store: Path) -> None:
    """闽人社文〔2021〕71号's catalogue was not seen: its count is stated, its list is not filled in; the Taiwan
    技术士 levels are aligned only as the Zhangzhou report and the fifth batch's first row state."""
    agreements = {row["id"]: row for row in table("agreements")}
    notice = agreements["MR18"]
    assert notice["document_number"] == "闽人社文〔2021〕71号" and notice["trust"] == "high"
    assert notice["scope_occupation_codes"] == "" and "20个职业" in notice["scope_as_stated"]
    assert "attachment not seen" in notice["scope_as_stated"]
    assert agreements["MR19"]["scope_occupation_codes"].split(";") == ["4-10-01-05", "4-10-04-01"]
    for key in ("MR16", "MR17", "MR18", "MR19"):
        assert agreements[key]["direction"] == "one-way" and agreements[key]["recognised_refs"] == "region:710000"
    store = open_store(real_store)
    pairs = {
        (row["grade"], row["level"], row["relation"])
        for row in select(
            store,
            """SELECT ?grade ?level ?relation WHERE { ?x a cb:CrossSystemBridge ; cb:bridgeFrom ?level ;
               cb:bridgeTo ?grade ; cb:bridgeRelation ?relation . ?level a cb:TaiwanTechnicianLevel }""",
        )
    }
    assert pairs == {
        ("grade:technician", "credential:tw-ts-class-b", "closeMatch"),
        ("grade:senior", "credential:tw-ts-class-c", "closeMatch"),
        ("grade:intermediate", "credential:tw-ts-single", "relatedMatch"),
    }
    levels = {row["id"] for row in table("credentials") if row["kind"] == "taiwan-technician-level"}
    assert levels == {"tw-ts-class-c", "tw-ts-class-b", "tw-ts-single"}  # 甲级: no source read names it


def test_guangdong_hong_kong_and_the_documents_without_recognition(real_store: Path) -> None:
    """一试三证 from 2013 with its first trades; the construction follow-up undated (so never counted); the campaign,
    blacklist and Sichuan–Chongqing cooperation recorded as documents, not as recognition."""
    agreements = {row["id"]: row for row in table("agreements")}
    assert agreements["MR20"]["date"] == "2013-03" and agreements["MR20"]["scope_occupation_codes"] == (
        "4-10-03-01;4-10-03-02"
    )
    assert "3,743" in agreements["MR20"]["conditions"]
    assert agreements["MR21"]["date"] == "" and agreements["MR21"]["status"] == "announced"
    documents = {row["id"]: row for row in table("documents")}
    assert documents["P-SZZS2022"]["document_number"] == "人社部函〔2022〕25号"
    assert documents["P-SZZS2022"]["date"] == "2022"  # 3月16日 has no year in its source: kept as stated
    store = open_store(real_store)
    cited = {
        row["a"]
        for row in select(
            store,
            """SELECT ?a WHERE { ?a a cb:RecognitionAgreement ; dcterms:source ?d .
               VALUES ?d { doc:P-SZZS2022 doc:P-YN-BLACKLIST2022 doc:P-CQSC2021 } }""",
        )
    }
    assert not cited, "no recognition rests on these documents"
    index = index_for(real_store)
    assert not agreement_in_force(index.agreements[str(ID["agreement/MR21"])], date(2026, 12, 1))[0]


def test_no_table_converts_to_the_same_triple_twice() -> None:
    """The build record counts each table's triples as converted; the store holds each triple once, so a table that
    wrote one twice (a source cited by two columns of a row, say) would make the record disagree with the store."""
    from collections import Counter

    from certbridge.graph.convert import convert_tables

    sinks = convert_tables(DATA_DIR)
    try:
        for name, sink in sinks.items():
            lines = Counter(Path(sink.path()).read_text(encoding="utf-8").splitlines())
            assert not [line for line, n in lines.items() if n > 1], name
    finally:
        for sink in sinks.values():
            sink.close()
