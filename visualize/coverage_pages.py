"""The coverage page and the what-if page for policy staff: the heat map as a table in the page's language (regions,
occupation groups and issuer kinds by their names in the data), one sentence on what a percentage means, how many
illustrative or synthetic records the figures rest on, and the form that tries a hypothetical agreement.

Pure: built from graph/'s :class:`Coverage` answers and the names of the groups; the API puts the bodies in the
shared shell (whose banner says when the figures rest on illustrative or synthetic records).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from certbridge.graph.choices import GROUPINGS
from certbridge.graph.routing.coverage import CROSS, Cell, Coverage

from .catalogue import Language, text

#: names of the groups: key (as the coverage table has it) -> (Chinese, English)
GroupNames = Mapping[str, tuple[str | None, str | None]]

#: the CSV the what-if form starts with: Fujian and Taiwan recognising each other in every occupation (today one way)
WHAT_IF_EXAMPLE = (
    "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
    "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\n"
    "H1,mutual,region:350000;region:710000,,,,,,,2024-01-01,\n"
)


def _e(value: object) -> str:
    return html.escape(str(value))


def group_name(key: str, names: GroupNames, language: Language) -> str:
    """A group's name in *language* (the other language's when the data has only that one, then its key)."""
    if key == "national":
        return text("coverage.national", language)
    zh, en = names.get(key, (None, None))
    first, second = (zh, en) if language is Language.ZH else (en, zh)
    return first or second or key


def _share(cell: Cell) -> str:
    return f"{cell.share:.0%}"


def _colour(share: float) -> tuple[str, str]:
    low, high = (247, 251, 255), (8, 48, 107)
    rgb = ",".join(str(round(a + (b - a) * share)) for a, b in zip(low, high, strict=True))
    return f"rgb({rgb})", "#fff" if share > 0.5 else "#000"


def grouping_form(action: str, by: str, as_of: str, language: Language) -> str:
    """The grouping and date controls (a GET to *action*)."""
    options = "".join(
        f'<option value="{_e(g)}"{" selected" if g == by else ""}>{_e(text(f"coverage.by.{g}", language))}</option>'
        for g in GROUPINGS
    )
    return (
        f'<form class="controls" action="{_e(action)}" method="get">'
        f'<label>{_e(text("coverage.grouping", language))} <select name="by">{options}</select></label> '
        f'<label>{_e(text("coverage.as_of", language))} <input type="date" name="as_of" value="{_e(as_of)}"></label>'
        f'<input type="hidden" name="lang" value="{language.value}"> '
        f'<button type="submit">{_e(text("coverage.update", language))}</button></form>'
    )


def heat_table(table: Coverage, names: GroupNames, language: Language, *, links: bool = True) -> str:
    """The heat map: a row per held group, a column per required group (or issuer kind), each cell its share."""
    rows = sorted({a for a, _ in table.cells}, key=lambda k: group_name(k, names, language))
    columns = sorted({b for _, b in table.cells}, key=lambda k: group_name(k, names, language))
    corner = text("coverage.corner.cross" if table.by == CROSS else "coverage.corner", language)
    head = "".join(f'<th scope="col">{_e(group_name(c, names, language))}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            cell = table.cells.get((row, column))
            if cell is None:
                cells.append("<td></td>")
                continue
            background, ink = _colour(cell.share)
            shown = (
                f"{_share(cell)}<br><small>"
                f"{_e(text('coverage.cell', language, covered=f'{cell.covered:,}', pairs=f'{cell.pairs:,}'))}</small>"
            )
            if links:
                query = urlencode({"by": table.by, "from": row, "to": column, "as_of": table.as_of})
                hover = text(
                    "coverage.cell.title",
                    language,
                    row=group_name(row, names, language),
                    column=group_name(column, names, language),
                )
                shown = f'<a href="/viz/coverage/cell?{_e(query)}" title="{_e(hover)}">{shown}</a>'
            cells.append(f'<td style="background:{background};color:{ink}">{shown}</td>')
        body.append(f'<tr><th scope="row">{_e(group_name(row, names, language))}</th>{"".join(cells)}</tr>')
    return (
        f'<div class="table-scroll"><table class="heat"><thead><tr><th scope="col">{_e(corner)}</th>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _facts(table: Coverage, language: Language) -> str:
    total = table.total
    said = [
        text(
            "coverage.total",
            language,
            covered=f"{total.covered:,}",
            pairs=f"{total.pairs:,}",
            share=_share(total),
            as_of=table.as_of,
        )
    ]
    if table.sampled_occupations:
        said.append(text("coverage.sampled", language, count=table.sampled_occupations))
    facts = "".join(f"<p>{_e(sentence)}</p>" for sentence in said)
    if table.illustrative:
        flagged = text("coverage.flagged", language, count=len(table.flagged))
        facts += f'<p class="flagged"><strong>{_e(flagged)}</strong></p>'
    return facts


def coverage_body(table: Coverage, names: GroupNames, language: Language) -> str:
    """The coverage page's body."""
    explained = text("coverage.explained.cross" if table.by == CROSS else "coverage.explained", language)
    what_if = "/viz/what-if?" + urlencode({"by": table.by, "as_of": table.as_of, "lang": language.value})
    heat = heat_table(table, names, language) if table.cells else f"<p>{_e(text('coverage.empty', language))}</p>"
    return (
        f"<h1>{_e(text('coverage.title', language))} "
        f"<small>{_e(text(f'coverage.by.{table.by}', language))}</small></h1>"
        f'<p class="explained">{_e(explained)}</p>'
        f"{grouping_form('/viz/coverage', table.by, table.as_of, language)}{heat}{_facts(table, language)}"
        f'<p><a class="what-if" href="{_e(what_if)}">{_e(text("coverage.what_if.link", language))}</a> · '
        f'<a href="/viz/agreements?lang={language.value}">{_e(text("coverage.map.link", language))}</a></p>'
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatIfResult:
    """What the what-if page shows after a run: coverage before and after, and the newly connected pairs as
    (held label, required label, route href)."""

    before: Coverage
    after: Coverage
    connected: list[tuple[str, str, str]]


def _change_table(result: WhatIfResult, names: GroupNames, language: Language) -> str:
    keys: list[tuple[str, str] | None] = [*sorted(set(result.before.cells) | set(result.after.cells)), None]
    rows = []
    for key in keys:  # None: the total row
        before = result.before.total if key is None else result.before.cells.get(key, Cell())
        after = result.after.total if key is None else result.after.cells.get(key, Cell())
        change = after.share - before.share
        name = (
            text("whatif.total", language)
            if key is None
            else f"{group_name(key[0], names, language)} → {group_name(key[1], names, language)}"
        )
        mark = ' class="change up"' if change > 0 else ""
        rows.append(
            f'<tr><th scope="row">{_e(name)}</th><td>{_share(before)} <small>({before.covered:,}/{before.pairs:,})'
            f"</small></td><td>{_share(after)} <small>({after.covered:,}/{after.pairs:,})</small></td>"
            f"<td{mark}>{_e(text('whatif.points', language, value=f'{change * 100:+.1f}'))}</td></tr>"
        )
    header = "".join(
        f'<th scope="col">{_e(text(key, language))}</th>'
        for key in ("whatif.group", "whatif.before", "whatif.after", "whatif.change")
    )
    return (
        f'<div class="table-scroll"><table class="change"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def what_if_body(
    *,
    language: Language,
    by: str,
    as_of: str,
    csv: str,
    result: WhatIfResult | None = None,
    names: GroupNames | None = None,
    defects: list[str] | None = None,
) -> str:
    """The what-if page's body: the form (with *csv* in it), then the defects, or the change a run found."""
    options = "".join(
        f'<option value="{_e(g)}"{" selected" if g == by else ""}>{_e(text(f"coverage.by.{g}", language))}</option>'
        for g in GROUPINGS
    )
    form = (
        f'<form class="stacked" action="/viz/what-if?lang={language.value}" method="post"'
        ' enctype="multipart/form-data">'
        f'<label for="what-if-csv">{_e(text("whatif.csv", language))}</label>'
        f'<p class="hint">{_e(text("whatif.csv.hint", language))}</p>'
        f'<textarea id="what-if-csv" name="csv" spellcheck="false">{_e(csv)}</textarea>'
        f'<label for="what-if-upload">{_e(text("whatif.upload", language))}</label>'
        f'<input id="what-if-upload" type="file" name="upload" accept=".csv,text/csv">'
        f'<label for="what-if-by">{_e(text("coverage.grouping", language))}</label>'
        f'<select id="what-if-by" name="by">{options}</select>'
        f'<label for="what-if-date">{_e(text("coverage.as_of", language))}</label>'
        f'<input id="what-if-date" type="date" name="as_of" value="{_e(as_of)}">'
        f'<div><button type="submit">{_e(text("whatif.run", language))}</button></div></form>'
    )
    parts = [
        f"<h1>{_e(text('whatif.title', language))}</h1>",
        f"<p class='lede'>{_e(text('whatif.intro', language))}</p>",
    ]
    if defects:
        listed = "".join(f"<li><code>{_e(defect)}</code></li>" for defect in defects)
        parts.append(
            f'<section class="defects" role="alert"><p>{_e(text("whatif.defects", language))}</p>'
            f"<ul>{listed}</ul></section>"
        )
    parts.append(form)
    if result is not None:
        names = names or {}
        parts.append(f'<section class="result"><h2>{_e(text("whatif.result", language))}</h2>')
        parts.append(f'<p class="explained">{_e(text("whatif.hypothetical", language))}</p>')
        parts.append(_change_table(result, names, language))
        if result.before.illustrative:
            parts.append(f"<p>{_e(text('coverage.flagged', language, count=len(result.before.flagged)))}</p>")
        parts.append(f"<h3>{_e(text('whatif.connected', language, count=len(result.connected)))}</h3>")
        if result.connected:
            items = "".join(
                f'<li>{_e(held)} → {_e(required)} · <a href="{_e(href)}">{_e(text("whatif.route", language))}</a></li>'
                for held, required, href in result.connected
            )
            parts.append(f"<ul class='connected'>{items}</ul>")
        else:
            parts.append(f"<p>{_e(text('whatif.connected.none', language))}</p>")
        parts.append("</section>")
    return "".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class CellPair:
    """One pair behind a coverage cell: the two certificate types' names (with their marks), and whether a formal
    recognition route connects them."""

    held: str
    required: str
    covered: bool
    flagged: bool
    route_href: str


def cell_body(
    *, by: str, row: str, column: str, as_of: str, pairs: list[CellPair], names: GroupNames, language: Language
) -> str:
    """The page of one coverage cell: the pairs behind it, each linking to its route view."""
    heading = text(
        "cell.title", language, row=group_name(row, names, language), column=group_name(column, names, language)
    )
    intro = text("cell.intro", language, as_of=as_of, grouping=text(f"coverage.by.{by}", language))
    back = "/viz/coverage?" + urlencode({"by": by, "as_of": as_of, "lang": language.value})
    parts = [f"<h1>{_e(heading)}</h1>", f"<p>{_e(intro)}</p>"]
    if not pairs:
        parts.append(f"<p>{_e(text('cell.none', language))}</p>")
    else:
        header = "".join(
            f'<th scope="col">{_e(text(key, language))}</th>' for key in ("cell.held", "cell.required", "cell.covered")
        )
        rows = "".join(
            f"<tr><td>{_e(pair.held)}</td><td>{_e(pair.required)}</td>"
            f"<td>{_e(text('cell.yes' if pair.covered else 'cell.no', language))}</td>"
            f'<td><a href="{_e(pair.route_href)}">{_e(text("cell.route", language))}</a></td></tr>'
            for pair in pairs
        )
        parts.append(
            f'<div class="table-scroll"><table class="pairs"><thead><tr>{header}<th></th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    parts.append(f'<p><a href="{_e(back)}">{_e(text("cell.back", language))}</a></p>')
    return "".join(parts)
