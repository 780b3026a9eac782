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


#: Fujian's cook certificate and Taiwan's class-C cuisine certificate: in the real data Fujian recognises Taiwan's
#: (MR17), not the other way round; FUJIAN_TAIWAN, a mutual agreement, adds the other way
COOK, CUISINE = "CT-fj-chinese-cook-senior", "CT-tw-chinese-cuisine-class-c"
FUJIAN_TAIWAN = {
    **AGREEMENT,
    "id": "IL-AG-FJ-TW",
    "name_zh": "示例：闽台厨师证书互认",
    "name_en": "ILLUSTRATIVE: Fujian-Taiwan mutual recognition of cook certificates",
    "party_refs": "region:350000;region:710000",
    "scope_occupation_codes": "4-03",
}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
