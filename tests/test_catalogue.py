"""The message catalogue: every message in both languages, each key defined once, placeholders that fill."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from certbridge.visualize import catalogue
from certbridge.visualize.catalogue import CatalogueError, Language, message, strings, text


def test_every_message_has_both_languages_and_the_same_placeholders() -> None:
    formatter = string.Formatter()
    assert catalogue.catalogue(), "the catalogue is empty"
    for key, words in catalogue.catalogue().items():
        assert words.zh.strip() and words.en.strip(), key
        names = [{name for _, name, _, _ in formatter.parse(side) if name} for side in (words.zh, words.en)]
        assert names[0] == names[1], f"{key}: the two languages fill different placeholders"
        if not key.startswith("language."):  # the switch names the other language in that language
            assert re.search(r"[\u4e00-\u9fff]", words.zh), f"{key}: the Chinese text has no Chinese"


def test_text_fills_placeholders_and_the_language_switch_defaults_to_chinese() -> None:
    assert Language.chosen(None) is Language.ZH and Language.chosen("fr") is Language.ZH
    assert Language.chosen("en") is Language.EN and Language.EN.other is Language.ZH
    assert text("landing.question", Language.EN) == message("landing.question").en
    assert message("landing.title").zh in strings(Language.ZH) and message("landing.title").en in strings(Language.EN)


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        (
            {"a.yaml": {"k": {"zh": "甲", "en": "a"}}, "b.yaml": {"k": {"zh": "乙", "en": "b"}}},
            "also defined in a.yaml",
        ),
        ({"a.yaml": {"k": {"zh": "甲"}}}, "needs a zh and an en text"),
    ],
)
def test_a_defective_catalogue_is_refused_naming_the_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, dict[str, object]], complaint: str
) -> None:
    for name, entries in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(catalogue, "FOLDER", tmp_path)
    catalogue.catalogue.cache_clear()
    try:
        with pytest.raises(CatalogueError, match=complaint):
            catalogue.catalogue()
    finally:
        catalogue.catalogue.cache_clear()
