"""The README's worked question on real records (Taiwan 技术士 certificates in Fujian), run as the README writes it."""

from __future__ import annotations

import html
import json
import re
import shlex
from datetime import date
from pathlib import Path

import httpx
from helpers.data import Cli
from helpers.serving import serving

from certbridge.api.landing import EXAMPLES
from certbridge.api.settings import Settings
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.resolve import resolve
from certbridge.graph.vocabulary import concept_names

README = Path(__file__).resolve().parents[1] / "README.md"
ILLUSTRATIVE_SOURCE = "SRC-ILLUSTRATIVE"


def _commands() -> list[list[str]]:
    """The commands of the README block marked ``demo:fujian-taiwan``, without the program name."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- demo:fujian-taiwan -->\n```sh\n(.*?)```", text, re.S)
    assert block, "the README's Fujian–Taiwan demo block is missing"
    return [shlex.split(line)[1:] for line in block.group(1).splitlines() if line.strip()]


def _run(cli: Cli, store: Path, args: list[str], *extra: str):
    args = [str(store) if previous == "--store" else arg for previous, arg in zip(["", *args[:-1]], args, strict=True)]
    return cli(*args[:1], *extra, *args[1:])


def test_the_readme_question_is_answered_from_real_records_with_its_condition(real_store: Path, cli: Cli) -> None:
    conditional, unconditional, care = _commands()
    assert conditional[0] == "route" and "--unconditional" in unconditional
    text = _run(cli, real_store, conditional)
    assert text.exit_code == 0, text.output
    assert "condition / 条件: 考试 / examination: 参加法律法规及相关知识考试" in text.stdout
    assert "agreement/MR17" in text.stdout and "ILLUSTRATIVE" not in text.stdout and "SYNTHETIC" not in text.stdout
    answer = json.loads(_run(cli, real_store, conditional, "--json").stdout)
    [route] = answer["routes"]
    assert not route["illustrative"] and not route["synthetic"]
    assert [c["kind"] for c in route["conditions"]] == ["examination"]
    for step in route["steps"]:
        assert not step["source"]["illustrative"] and not step["target"]["illustrative"]
        assert not any(q["illustrative"] for q in step["quality"])
        sources = step["evidence"]["sources"]
        assert sources and all(not s["iri"].endswith(ILLUSTRATIVE_SOURCE) for s in sources)
        assert all(s["url"] for s in sources), "each source of the pilot has an address"
    strict = _run(cli, real_store, unconditional)
    assert strict.exit_code == 1 and "no route found" in strict.stdout
    third = json.loads(_run(cli, real_store, care, "--json").stdout)
    [hop] = third["routes"][0]["steps"]
    assert hop["evidence"]["document_number"] == "闽人社办〔2025〕141号" and not third["routes"][0]["illustrative"]
    assert third["routes"][0]["conditions"] == []
    assert "闽人社办〔2025〕141号" in _run(cli, real_store, care).stdout


def test_no_record_on_the_real_routes_is_illustrative_or_synthetic(real_store: Path) -> None:
    """Below the JSON: the records themselves (agreements, certificate types, issuers) are real."""
    index = index_for(real_store)
    for source, target in (
        ("CT-tw-chinese-cuisine-class-c", "CT-fj-chinese-cook-senior"),
        ("CT-tw-care-worker-single", "CT-fj-elderly-carer-intermediate"),
    ):
        answer = find_routes(index, resolve(index, source), resolve(index, target), as_of=date(2026, 12, 1))
        assert answer.routes
        for hop in answer.routes[0].hops:
            agreement = index.agreements[hop.evidence.iri]
            assert not agreement.illustrative and not agreement.synthetic
            for cert in (hop.source.iri, hop.target.iri):
                record = index.certificates[cert]
                assert not record.illustrative and not index.issuers[record.issuer].illustrative


def test_the_landing_page_s_worked_questions_answer_on_the_shipped_data(real_store: Path) -> None:
    """The landing page links both README questions to answer pages that answer them: the real one by MR17 with its
    condition, the illustrative one by IL-AG01 (marked illustrative)."""
    answers = {}
    with serving(Settings(real_store)) as url, httpx.Client(base_url=url, timeout=60) as http:
        assert all(html.escape(href) in http.get("/").text for _, href in EXAMPLES)
        for key, href in EXAMPLES:
            response = http.get(href)
            assert response.status_code == 200, (href, response.text[:300])
            answers[key] = response.text
    examination = concept_names("condition-kind")["examination"][0]  # the page is in Chinese by default
    assert "agreement/MR17" in answers["landing.real"] and examination in answers["landing.real"]
    assert "IL-AG01" in answers["landing.illustrative"]
