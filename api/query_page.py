"""The researchers' query page: an editor with the prefixes filled in and the documented examples, offline."""

from __future__ import annotations

import html
import json

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from certbridge.examples import examples
from certbridge.graph.query import prologue

router = APIRouter(tags=["sparql"])

_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>certbridge SPARQL 查询 / query</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:80rem}
textarea{width:100%;height:18rem;font-family:monospace;font-size:.9rem}
table{border-collapse:collapse;margin-top:1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;font-size:.85rem}
#examples li{cursor:pointer;margin:.2rem 0}#examples li:hover{text-decoration:underline}
.error{color:#a00;white-space:pre-wrap}
</style></head><body>
<h1>certbridge SPARQL 查询 / query</h1>
<p>默认图为所有命名图之并集 / The default graph is the union of all named graphs. Endpoint: <code>/sparql</code>.</p>
<h2>示例 / Examples</h2><ul id="examples">__EXAMPLES__</ul>
<textarea id="query">__PROLOGUE__
SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10</textarea>
<p><button id="run">运行 / Run</button> <span id="downloads"></span></p>
<div id="status"></div><div id="results"></div>
<script>
const EXAMPLES = __DATA__;
const PROLOGUE = __PROLOGUE_JSON__;
document.querySelectorAll('#examples li').forEach((li) => li.addEventListener('click', () => {
  document.getElementById('query').value = PROLOGUE + EXAMPLES[li.dataset.i].query; }));
document.getElementById('run').addEventListener('click', async () => {
  const query = document.getElementById('query').value;
  const status = document.getElementById('status'), results = document.getElementById('results');
  status.textContent = '…'; results.innerHTML = '';
  const response = await fetch('/sparql', {method: 'POST', body: new URLSearchParams({query}),
    headers: {'Accept': 'application/sparql-results+json, text/turtle;q=0.9'}});
  if (!response.ok) { const p = await response.json(); status.innerHTML = '<div class="error"></div>';
    status.firstChild.textContent = p.detail; return; }
  const type = response.headers.get('content-type') || '';
  if (!type.startsWith('application/sparql-results+json')) { const pre = document.createElement('pre');
    pre.textContent = await response.text(); results.appendChild(pre); status.textContent = ''; return; }
  const data = await response.json();
  if (data.boolean !== undefined) { status.textContent = String(data.boolean); return; }
  const vars = data.head.vars, rows = data.results.bindings;
  status.textContent = rows.length + ' row(s)';
  const table = document.createElement('table'), head = table.insertRow();
  vars.forEach((v) => { const th = document.createElement('th'); th.textContent = v; head.appendChild(th); });
  rows.forEach((row) => { const tr = table.insertRow(); vars.forEach((v) => {
    tr.insertCell().textContent = row[v] ? row[v].value : ''; }); });
  results.appendChild(table);
  const q = encodeURIComponent(query);
  document.getElementById('downloads').innerHTML = ['csv', 'tsv', 'json', 'xml'].map((f) =>
    '<a download="results.' + f + '" href="/sparql?query=' + q + '&accept=' + f + '">' + f.toUpperCase() + '</a>'
  ).join(' ');
});
</script></body></html>
"""


def page() -> str:
    items = examples()
    listing = "".join(
        f'<li data-i="{i}"><b>{html.escape(e["name"])}</b>: {html.escape(e["description"])}</li>'
        for i, e in enumerate(items)
    )
    return (
        _PAGE.replace("__EXAMPLES__", listing)
        .replace("__PROLOGUE_JSON__", json.dumps(prologue()))
        .replace("__PROLOGUE__", html.escape(prologue()))
        .replace("__DATA__", json.dumps(items).replace("</", "<\\\\/"))
    )


@router.get(
    "/query",
    response_class=HTMLResponse,
    summary="The query page for researchers (works offline)",
    responses={200: {"content": {"text/html": {"example": "<!doctype html><html lang='zh'>… certbridge SPARQL …"}}}},
)
def query_page() -> HTMLResponse:
    return HTMLResponse(page())


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
def example_queries() -> dict:
    return {"examples": examples()}
