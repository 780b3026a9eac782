"""retirements.csv: records that stop counting from a day (an agreement terminated, a sanction lifted, an
authorisation ended), each with its date, reason and source. Nothing is deleted: the retired record keeps its
row and its triples, and gains ``cb:retiredOn``, ``cb:retirementReason`` and ``cb:retiredBy`` (the retirement,
which names its source); routing stops counting it from that day (graph/routing/rules.py).

The table is optional (a folder of tables without it retires nothing), and is read last: a retirement names a
record of any table that may be retired.
"""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF

from certbridge.ontology import CB

from .. import iris
from .context import Context, add_date, add_labels, text_language

COLUMNS = (
    "id",
    "record_table",
    "record_id",
    "retired_on",
    "date_precision",
    "reason",
    "illustrative",
    "source_ids",
    "note",
)
#: the tables whose records may be retired -> the kind of record (its IRIs' path, and its ids' kind in the
#: conversion's ``known``): the records routing counts by date, whose retirement it honours
RETIRABLE: dict[str, str] = {
    "agreements": "agreement",
    "authorisations": "authorisation",
    "sanctions": "sanction",
    "quality_checks": "quality-check",
    "organisations": "organisation",
    "certificate_types": "certificate-type",
    "grade_bridges": "bridge",
}
TABLE = "retirements"
#: the context's facts of which record each retirement retires ("table:id" -> the retirement's id)
RETIRED = "retired-record"


def convert_retirements(ctx: Context) -> None:
    if not (ctx.data_dir / f"{TABLE}.csv").is_file():
        return  # optional: nothing is retired
    table = ctx.table(TABLE, COLUMNS)
    graph = ctx.graph(TABLE)
    #: "table:id" of each record retired -> the retirement's id (a record is retired once); in the context, so that
    #: a write's retirement is checked against those stored (convert/rows.py)
    retired = ctx.facts[RETIRED]
    for key, row in table.unique_ids().items():
        ctx.known["retirement"].add(key)
        subject = iris.record("retirement", key)
        graph.add((subject, RDF.type, CB.Retirement))
        add_labels(graph, subject, f"退出记录 {key}", f"retirement {key}")
        record_table = row.choice("record_table", RETIRABLE, required=True)
        record_id = row.text("record_id", required=True)
        record = None
        if record_table and record_id:
            kind = RETIRABLE[record_table]
            if record_id not in ctx.known[kind]:
                row.error("record_id", f"no record {record_id!r} in {record_table}")
            elif f"{record_table}:{record_id}" in retired:
                first = retired[f"{record_table}:{record_id}"]
                row.error("record_id", f"{record_table} {record_id} is already retired (by {first})")
            else:
                retired[f"{record_table}:{record_id}"] = key
                record = iris.record(kind, record_id)
                graph.add((subject, CB.retiredRecord, record))
                graph.add((record, CB.retiredBy, subject))
        retired_on = row.date("retired_on", required=True)
        if retired_on is None:
            pass
        elif not retired_on.known:
            row.error("retired_on", "needs its year: a retirement counts from a day that can be placed in time")
        else:
            add_date(graph, subject, CB.retiredOn, row, "retired_on")
            if record is not None:
                add_date(graph, record, CB.retiredOn, row, "retired_on")
        precision = row.text("date_precision")
        if precision:
            graph.add((subject, CB.datePrecision, Literal(precision)))
        reason = row.text("reason", required=True)
        if reason:
            for node in (subject, record):
                if node is not None:
                    graph.add_text(node, CB.retirementReason, reason, lang=text_language(reason))
        ctx.provenance(graph, subject, row)
