"""Rows the write tests add: a real agreement between the demo's two regions, and a CSV writer."""

from __future__ import annotations

import csv
from pathlib import Path

SOURCE, TARGET = "IL-CT-hengfeng-spinner-senior-technician", "IL-CT-js-hrss-spinner-senior-technician"


AGREEMENT = {
    "id": "IL-AG-ZJ-SD",
    "name_zh": "示例：浙鲁纺织类证书互认",
    "name_en": "ILLUSTRATIVE: Zhejiang-Shandong mutual recognition of textile certificates",
    "date": "2025-01-01",
    "date_precision": "day",
    "party_refs": "region:330000;region:370000",
    "direction": "mutual",
    "mechanism": "equivalence",
    "recognises_certificates": "yes",
    "scope_occupation_codes": "6-04",
    "valid_from": "2025-01-01",
    "status": "issued",
    "source_ids": "SRC-ILLUSTRATIVE",
    "trust": "low",
    "illustrative": "yes",
}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
