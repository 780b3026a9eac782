"""The data audit's defects (issue 20), each pinned by a check that fails if it comes back.

Most checks read the tables themselves (a rule a policy officer's edit could break); the rest read the
store built from them (what the conversion makes of a rule)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certbridge.api.route_text import render
from certbridge.data import DATA_DIR
from certbridge.graph.convert.context import TRANSLATED_MARKS, text_language
from certbridge.graph.convert.issuers import ISSUER_KINDS, NON_ISSUER_KINDS
from certbridge.graph.dates import PartialDate
from certbridge.graph.errors import DataError
from certbridge.graph.query import select
from certbridge.graph.routing.engine import find_routes
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.records import Agreement
from certbridge.graph.routing.rules import agreement_in_force
from certbridge.graph.store import open_store
from certbridge.graph.tables import ErrorLog, read_table

TRUST_ORDER = ("low", "medium-low", "medium", "medium-high", "high")
PARTIAL_DATE = r"(\d{4}|\?\?\?\?)(-\d{2}(-\d{2})?)?"


def table(name: str, data_dir: Path = DATA_DIR) -> list[dict[str, str]]:
    with (data_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def tables() -> Iterator[tuple[str, list[dict[str, str]]]]:
    for path in sorted(DATA_DIR.glob("*.csv")):
        yield path.stem, table(path.stem)


def by_id(name: str) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in table(name)}


def real(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in rows if row.get("illustrative") != "yes"]


# --- dates keep the precision their source gives -------------------------------------------------------


def test_a_year_the_source_does_not_print_is_not_filled_in() -> None:
    """MR15's source prints 12月27日 without a year; a year inferred from context stays out of the date."""
    for row in table("agreements"):
        precision = row["date_precision"]
        if re.search(r"inferred|not printed|not stated", precision) and row["date"]:
            assert row["date"].startswith("????"), f"{row['id']}: {precision!r} but date {row['date']}"
    mr15 = by_id("agreements")["MR15"]
    assert mr15["date"] == "????-12-27" and not mr15["valid_from"]
    assert "2024" in mr15["notes"] and "inference" in mr15["notes"]


def test_mr15_keeps_only_the_stated_date_in_the_store(real_store: Path) -> None:
    rows = list(
        select(
            open_store(real_store),
            """SELECT ?stated ?d ?from WHERE { agreement:MR15 cb:dateAsStated ?stated
               OPTIONAL { agreement:MR15 dcterms:date ?d } OPTIONAL { agreement:MR15 cb:validFrom ?from } }""",
        )
    )
    assert rows == [{"stated": "????-12-27", "d": "", "from": ""}]


def test_validity_is_not_copied_from_the_date() -> None:
    """No source of a real arrangement states a start of validity; a valid_from equal to the event's date is the
    date copied, unless the notes say the source states it."""
    for row in real(table("agreements")):
        if row["valid_from"] and row["valid_from"] == row["date"]:
            assert "validity stated" in row["notes"], f"{row['id']}: valid_from copies the date {row['date']}"


def test_a_date_as_stated_that_is_a_plain_date_is_also_typed() -> None:
    """A date the source gives plainly goes into `date` (typed, with its precision), not only into
    `date_as_stated`: a row whose stated date is or starts with a date has that date typed (B1, B7, S3-S15)."""
    for name, rows in tables():
        if not rows or "date_as_stated" not in rows[0] or "date" not in rows[0]:
            continue
        for row in rows:
            stated = row["date_as_stated"].strip()
            leading = re.match(PARTIAL_DATE + r"(?=\s|$)", stated)
            if leading and not stated.startswith("????"):
                assert row["date"] == leading.group(0), f"{name} {row['id']}: {stated!r} but date {row['date']!r}"


def test_sources_with_plain_dates_have_typed_dates_in_the_store(real_store: Path) -> None:
    rows = list(select(open_store(real_store), "SELECT ?d (DATATYPE(?d) AS ?t) WHERE { src:S4 dcterms:issued ?d }"))
    assert rows == [{"d": "2023-12-06", "t": "xsd:date"}]


# --- facts rest on real sources --------------------------------------------------------------------------


def test_no_document_number_rests_on_a_test_fixture() -> None:
    """燃气储运工's 人社厅发〔2021〕88号 came only from a test fixture of a code file: not a source."""
    for row in table("standards"):
        if row["document_number"]:
            assert "fixture" not in row["notes"].lower() or row["trust"] == "low", row["id"]
    gas = by_id("standards")["6-28-02-01-2021"]
    assert gas["document_number"] == "" and gas["issuing_authorities"] == ""
    assert "test fixture" in gas["notes"]


def test_every_public_dataset_has_its_address() -> None:
    sources = by_id("sources")
    for key in ("SRC-OCC-2022", "SRC-GBT2260", "SRC-STD-VOCED", "S9"):
        assert sources[key]["url"].startswith("https://github.com/"), key
    for key, row in sources.items():
        if row["kind"] == "dataset" and not row["url"]:
            assert "no URL" in row["notes"], f"{key}: a dataset without an address must say why"


def test_hkqf_level_titles_cite_the_page_they_were_read_from() -> None:
    sources = by_id("sources")
    levels = [row for row in table("framework_levels") if row["framework"] == "HKQF"]
    assert levels
    for row in levels:
        assert (
            sources[row["source_id"]]["url"]
            == "https://www.hkqr.gov.hk/HKQR/qrLevelExplanation.jsp?enable_credit_ind=Y"
        )


def test_no_placeholder_is_left_in_a_cell() -> None:
    for name, rows in tables():
        for row in rows:
            for column, value in row.items():
                assert not re.search(r"\(not looked up\)|\bTODO\b|\bTBD\b", value or ""), f"{name}: {column}={value!r}"


def test_a_rating_above_its_sources_says_what_corroborates_it() -> None:
    """A row may be rated above every source it cites only when its trust_note says which sources agree."""
    rating = {row["id"]: row["trust"] for name in ("sources", "documents") for row in table(name)}
    checked = 0
    for name, rows in tables():
        if not rows or "trust_note" not in rows[0]:
            continue
        for row in rows:
            cited = [rating[key.strip()] for key in row.get("source_ids", "").split(";") if rating.get(key.strip())]
            if row["trust"] and cited:
                checked += 1
                if TRUST_ORDER.index(row["trust"]) > max(TRUST_ORDER.index(c) for c in cited):
                    assert "agree" in row["trust_note"], f"{name} {row['id']}: {row['trust']} over {cited}"
    assert checked > 20


def test_every_rated_grade_explains_its_rating() -> None:
    for row in table("grade_levels"):
        assert row["trust"] and row["trust_note"], row["id"]


# --- names the project wrote say so ----------------------------------------------------------------------


def test_translated_names_are_marked_in_the_tables() -> None:
    agreements, organisations = by_id("agreements"), by_id("organisations")
    assert agreements["MR06"]["name_translated"] == "zh"
    for key in ("gd-skills-centre", "zhuhai-vtc", "mo-dsal", "mo-ift"):
        assert organisations[key]["name_translated"] == "en", key
    assert organisations["gd-osta"]["name_translated"] == "zh", "its English name is the HKQF site's"
    for name in ("agreements", "organisations"):
        for row in table(name):
            assert set(filter(None, row["name_translated"].split(";"))) <= {"zh", "en"}, row["id"]
            if re.search(r"translat", row.get("notes", "") + row.get("note", ""), re.IGNORECASE):
                assert row["name_translated"], f"{name} {row['id']}: a note says the name is translated"


def test_translated_names_say_so_in_their_labels(real_store: Path) -> None:
    rows = list(
        select(
            open_store(real_store),
            """SELECT ?x ?lang ?label WHERE { ?x cb:nameTranslatedInto ?lang ; rdfs:label ?label
               FILTER (LANG(?label) = ?lang) }""",
        )
    )
    marked = {(row["x"], row["lang"]) for row in rows}
    assert ("agreement:MR06", "zh") in marked and ("organisation:mo-dsal", "en") in marked
    assert all(row["label"].removesuffix(f"@{row['lang']}").endswith(TRANSLATED_MARKS[row["lang"]]) for row in rows)
    plain = list(
        select(open_store(real_store), 'SELECT ?l WHERE { agreement:MR06 rdfs:label ?l FILTER (LANG(?l) = "en") }')
    )
    assert [row["l"] for row in plain] == [by_id("agreements")["MR06"]["name_en"] + "@en"], "the source's English"


# --- a kind states only what is sourced ------------------------------------------------------------------


def test_parties_not_shown_issuing_are_not_issuers(real_store: Path) -> None:
    organisations = by_id("organisations")
    parties = {"gd-osta", "gd-skills-centre", "zhuhai-vtc", "mo-dsal", "mo-ift", "hk-vtc"}
    assert {key for key, row in organisations.items() if row["kind"] == "arrangement-party"} == parties
    assert "arrangement-party" in NON_ISSUER_KINDS and "arrangement-party" not in ISSUER_KINDS
    issuers = {row["x"] for row in select(open_store(real_store), "SELECT ?x WHERE { ?x a cb:Issuer }")}
    assert not issuers & {f"organisation:{key}" for key in parties}
    assert "organisation:hengfeng" in issuers
    index = index_for(real_store)
    assert not {iri for iri in index.issuers if iri.rsplit("/", 1)[-1] in parties}
    assert {iri.rsplit("/", 1)[-1] for iri in index.party_labels} >= {"mo-dsal", "gd-osta"}


# --- a status is as of the day it was reported -----------------------------------------------------------


def test_real_active_authorisations_say_when_last_confirmed() -> None:
    for row in real(table("authorisations")):
        if row["status"] == "active" and not row["valid_to"]:
            assert PartialDate.parse(row["last_confirmed"]).known, row["id"]
    assert by_id("authorisations")["AU-hengfeng-2021"]["last_confirmed"] == "2022-03-17"


def test_the_build_refuses_an_active_authorisation_without_a_confirmation(mini_data: Path, tmp_path: Path) -> None:
    from certbridge.graph.build import build

    path = mini_data / "authorisations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",2022-03-17,", ",,"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build(mini_data, tmp_path / "store")
    assert any(e.column == "last_confirmed" and e.path.name == "authorisations.csv" for e in caught.value.errors)


def test_last_confirmed_is_typed_and_reaches_the_route_answer(real_store: Path) -> None:
    rows = list(
        select(open_store(real_store), "SELECT ?d WHERE { authorisation:AU-hengfeng-2021 cb:lastConfirmed ?d }")
    )
    assert len(rows) == 1 and "2022-03-17" in rows[0]["d"]
    index = index_for(real_store)
    hengfeng = next(issuer for iri, issuer in index.issuers.items() if iri.endswith("/hengfeng"))
    assert str(hengfeng.last_confirmed) == "2022-03-17"
    certs = {
        cert.grade.rsplit("/", 1)[-1]: iri for iri, cert in index.certificates.items() if cert.issuer == hengfeng.iri
    }
    answer = find_routes(index, certs["senior-technician"], certs["technician"], as_of=date(2026, 1, 1))
    qualities = [q for route in answer.routes for hop in route.hops for q in hop.quality if q.issuer == hengfeng.iri]
    assert qualities and all(q.last_confirmed == "2022-03-17" for q in qualities)
    assert "authorisation last confirmed on 2022-03-17" in render(answer), "the CLI's text answer says it"


# --- validity not stated: routing falls back to the date and says so -------------------------------------


def _agreement(valid_from: str | None, date_text: str | None) -> Agreement:
    return Agreement(
        iri="urn:x",
        label_zh=None,
        label_en=None,
        direction="mutual",
        mechanism="equivalence",
        status="signed",
        recognises=True,
        parties=frozenset(),
        recognising=frozenset(),
        recognised=frozenset(),
        scope_codes=(),
        min_grade=None,
        max_grade=None,
        issuer_kinds=frozenset(),
        valid_from=PartialDate.parse(valid_from) if valid_from else None,
        valid_to=None,
        date=PartialDate.parse(date_text) if date_text else None,
        date_as_stated=None,
        document_number=None,
        sources=(),
        illustrative=False,
    )


def test_the_fallback_to_the_date_is_said_in_the_explanation() -> None:
    in_force, why = agreement_in_force(_agreement(None, "2020-03"), date(2021, 1, 1))
    assert in_force and "validity not stated" in why and "2020-03" in why
    in_force, why = agreement_in_force(_agreement("2020-03", "2020-01"), date(2021, 1, 1))
    assert in_force and "validity not stated" not in why


def test_the_route_evidence_says_the_date_stands_in_for_the_validity() -> None:
    from helpers.routing_world import World, region

    world = World()
    world.issuer("a", region_code="110000")
    world.issuer("b", region_code="120000")
    source, target = world.cert("ca", "a", "senior"), world.cert("cb", "b", "senior", qualification="other")
    iri = world.agreement("ag", parties=(region("110000"), region("120000")), valid_from=None)
    world.index.agreements[iri] = replace(world.index.agreements[iri], date=PartialDate.parse("2020-03-01"))
    answer = find_routes(world.index, source, target, as_of=date(2021, 1, 1), kinds=["formal-recognition"])
    [evidence] = {hop.evidence for route in answer.routes for hop in route.hops}
    assert evidence.valid_from is None, "the date is not presented as a stated validity"
    assert any("validity not stated" in note and "2020-03-01" in note for note in evidence.notes), evidence.notes


# --- language tags match the text ------------------------------------------------------------------------

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
LATIN = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
TEXT = st.lists(st.one_of(HAN, LATIN, st.sampled_from(" ;:,()-0123456789、")), max_size=40).map("".join)


@settings(max_examples=80, deadline=None)
@given(text=TEXT)
def test_the_tag_follows_what_most_of_the_text_is(text: str) -> None:
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    assert text_language(text) == ("zh" if han > latin else "en")


def test_the_translation_marks_are_in_their_labels_language() -> None:
    """A mark in the other script would tip a short label's tag (广东省教育厅 + a Latin mark reads as English)."""
    assert {lang: text_language(mark) for lang, mark in TRANSLATED_MARKS.items()} == {"zh": "zh", "en": "en"}
    assert text_language("广东省教育厅" + TRANSLATED_MARKS["zh"]) == "zh"


def test_chinese_scope_text_is_not_tagged_english(real_store: Path) -> None:
    rows = list(
        select(open_store(real_store), "SELECT ?t WHERE { agreement:IL-AG01 cb:scopeText ?t }"),
    )
    assert len(rows) == 1 and rows[0]["t"].endswith("@zh"), rows


# --- synthetic means cb:synthetic, never a word in a name ------------------------------------------------


def test_a_real_name_with_the_synthetic_word_is_still_badged_when_synthetic() -> None:
    from certbridge.visualize.model import marked_label

    assert marked_label("有机合成工 高级工", False, True, "zh").startswith("[合成]")
    assert marked_label("有机合成工 高级工", False, False, "zh") == "有机合成工 高级工"
    assert marked_label("合成：机构 000001", False, True, "zh") == "合成：机构 000001"


def test_build_time_check_reads_tables_with_the_new_columns(tmp_path: Path) -> None:
    """The documented columns are the converter's: a table missing one is refused, naming it."""
    path = tmp_path / "authorisations.csv"
    path.write_text("id,issuer_id,kind,granted_by_id,valid_from,valid_to,status,illustrative,source_ids,note\n")
    log = ErrorLog()
    from certbridge.graph.convert.issuers import AUTHORISATION_COLUMNS

    read_table(path, AUTHORISATION_COLUMNS, log)
    assert [e.column for e in log.errors] == ["last_confirmed"]
