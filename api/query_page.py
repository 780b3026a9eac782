"""The researchers' query page: YASGUI, vendored, with this project's prefixes and examples; it loads nothing else."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi import Path as FastAPIPath
from fastapi.responses import FileResponse, HTMLResponse

from certbridge.examples import examples
from certbridge.graph.query import prologue
from certbridge.ontology import PREFIXES

from .problems import Problem

router = APIRouter(tags=["sparql"])

#: The page's files: YASGUI's prebuilt bundle (see static/yasgui/README.md) and certbridge's set-up of it.
STATIC_DIR = Path(__file__).resolve().parent / "static" / "yasgui"
ASSETS = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
    "query.js": "text/javascript; charset=utf-8",
    "query.css": "text/css; charset=utf-8",
}
ASSET_PATH = "/query/static"
STARTER = "SELECT ?occupation ?label WHERE {\n  ?occupation a cb:Occupation ; rdfs:label ?label .\n} LIMIT 10\n"
#: What the editors complete as classes and properties: the ontology's own terms, from this server.
COMPLETION = {
    "class": "SELECT DISTINCT ?term WHERE { ?term a owl:Class FILTER isIRI(?term) }",
    "property": "SELECT DISTINCT ?term WHERE { VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty "
    "owl:AnnotationProperty rdf:Property } ?term a ?kind FILTER isIRI(?term) }",
}
_DECLARED = re.compile(r"\bPREFIX\s+([\w.-]*):", re.IGNORECASE)
_LEADING_COMMENT = re.compile(r"(?:[ \t]*#[^\n]*\n)*")

#: Chinese has no spaces between sentences, so this paragraph is one line of HTML.
_INTRO_ZH = (
    "用 SPARQL 1.1 查询职业技能等级证书知识图谱。默认图为所有命名图之并集；下列前缀已预先声明。"
    "每个示例是一个标签页；“分享”按钮生成的链接会在新页面中重现当前查询。"
)
_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>certbridge SPARQL 查询 / query</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="__ASSETS__/yasgui.min.css"><link rel="stylesheet" href="__ASSETS__/query.css">
</head><body>
<header>
<h1>certbridge SPARQL 查询 / query</h1>
<p lang="zh">__INTRO_ZH__</p>
<p lang="en">Query the knowledge graph of vocational skill certificates with SPARQL 1.1. The default graph is the union
of all named graphs; the prefixes below are predeclared. Each example is a tab; the share button makes a link that
reopens the current query in a fresh page.</p>
<p>端点 / Endpoint: <code>__ENDPOINT__</code></p>
</header>
<main>
<div id="yasgui"></div>
<noscript><p>编辑器需要 JavaScript；示例与前缀见下文。</p>
<p lang="en">The editor needs JavaScript; the examples and prefixes are below.</p></noscript>
<section><h2>示例 / Examples</h2><ol id="examples">__EXAMPLES__</ol></section>
<section><h2>前缀 / Prefixes</h2><pre id="prefixes">__PROLOGUE__</pre></section>
</main>
<script type="application/json" id="certbridge-query-config">__CONFIG__</script>
<script src="__ASSETS__/yasgui.min.js"></script><script src="__ASSETS__/query.js"></script>
</body></html>
"""


def with_prefixes(query: str) -> str:
    """*query* with PREFIX lines for the predeclared prefixes it uses (after its leading comment): the editor
    then knows them, and the query runs on other endpoints too."""
    declared = set(_DECLARED.findall(query))  # prefix names are case-sensitive; the keyword is not

    def needed(line: str) -> bool:
        name = line.removeprefix("PREFIX ").partition(":")[0]
        return name not in declared and re.search(rf"(?<![\w.:/-]){re.escape(name)}:", query) is not None

    comment = match[0] if (match := _LEADING_COMMENT.match(query)) else ""
    return comment + "".join(filter(needed, prologue().splitlines(keepends=True))) + query[len(comment) :]


def _share(query: str) -> str:
    """The fragment of a YASGUI share link opening *query* (works on this page without the share button)."""
    return urlencode({"query": query}, quote_via=quote)


def _script_json(value: object) -> str:
    """JSON that cannot end the <script> element holding it."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(*, endpoint: str = "/sparql", assets: str = ASSET_PATH) -> str:
    """The query page, its editor pointed at *endpoint*; *assets* is where its files are served (another origin may)."""
    items = [{**e, "query": with_prefixes(e["query"])} for e in examples()]
    listing = "".join(
        f'<li><a data-example="{html.escape(e["name"])}" href="#{html.escape(_share(e["query"]))}">'
        f"{html.escape(e['name'])}</a>: {html.escape(e['description'])}"
        f"<details><summary>SPARQL</summary><pre>{html.escape(e['query'])}</pre></details></li>"
        for e in items
    )
    config = {
        "endpoint": endpoint,
        "prefixes": PREFIXES,
        "examples": items,
        "starter": with_prefixes(STARTER),
        "tab_name": "查询 / Query",
        "completion": COMPLETION,
    }
    return (
        _PAGE.replace("__ASSETS__", html.escape(assets))
        .replace("__INTRO_ZH__", _INTRO_ZH)
        .replace("__ENDPOINT__", html.escape(endpoint))
        .replace("__EXAMPLES__", listing)
        .replace("__PROLOGUE__", html.escape(prologue()))
        .replace("__CONFIG__", _script_json(config))
    )


@router.get(
    "/query",
    response_class=HTMLResponse,
    summary="The query page for researchers: YASGUI with the examples as tabs (works offline)",
    responses={200: {"content": {"text/html": {"example": "<!doctype html><html lang='zh'>… certbridge SPARQL …"}}}},
)
def query_page() -> HTMLResponse:
    return HTMLResponse(page())


@router.get(
    ASSET_PATH + "/{name}",
    response_class=FileResponse,
    summary="The query page's script and style files (YASGUI's bundle and its set-up)",
    responses={200: {"content": {"text/javascript": {}, "text/css": {}}}, 404: {"description": "no such file"}},
)
def query_asset(name: Annotated[str, FastAPIPath(examples=["query.js"])]) -> FileResponse:
    if name not in ASSETS:  # a fixed list: no path from the request reaches the file system
        raise Problem(404, f"no file {name!r} here; the query page's files are {', '.join(ASSETS)}")
    return FileResponse(STATIC_DIR / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/api/v1/examples",
    tags=["routes"],
    summary="The documented example SPARQL queries",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "examples": [
                            {
                                "name": "agreements-expiring-this-year",
                                "description": "Recognition agreements whose validity ends in the current year.",
                                "query": "SELECT ?agreement ?name ?validTo ?illustrative WHERE { … }",
                            }
                        ]
                    }
                }
            }
        }
    },
)
def example_queries() -> dict[str, object]:
    return {"examples": examples()}
