"""The words people read (pages, banners, the CLI's notices), in Chinese and English, from one catalogue.

The catalogue is the YAML files in ``visualize/messages/``, one per page or concern, read once into one mapping
of keys to a :class:`Message`; a key is defined in one file only, and every message has both languages (both
checked on reading, so a missing translation fails the first test that reads the catalogue, not a visitor).
Code names a message by its key and never spells user-facing words itself; data values (names of records) are
shown in the language the data has them in, and are not in the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml

FOLDER = Path(__file__).parent / "messages"


class Language(StrEnum):
    """The languages of the user-facing text; Chinese first (the default)."""

    ZH = "zh"
    EN = "en"

    @classmethod
    def chosen(cls, value: str | None) -> Language:
        """The language named by *value* (a ``lang`` parameter or cookie), Chinese when absent or unknown."""
        return cls.EN if value == cls.EN.value else cls.ZH

    @property
    def other(self) -> Language:
        return Language.EN if self is Language.ZH else Language.ZH


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One message in both languages; ``{name}`` placeholders are filled by :func:`text`."""

    zh: str
    en: str

    def in_language(self, language: Language) -> str:
        return self.zh if language is Language.ZH else self.en


class CatalogueError(ValueError):
    """A defect of the catalogue's files (a duplicate key, a message without one of its languages)."""


@cache
def catalogue() -> Mapping[str, Message]:
    """Every message, by key, read from the catalogue's files once."""
    found: dict[str, Message] = {}
    where: dict[str, str] = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, entry in entries.items():
            if key in found:
                raise CatalogueError(f"{path.name}: {key} is also defined in {where[key]}")
            if not isinstance(entry, dict) or not all(isinstance(entry.get(lang), str) for lang in ("zh", "en")):
                raise CatalogueError(f"{path.name}: {key} needs a zh and an en text")
            found[key], where[key] = Message(zh=entry["zh"], en=entry["en"]), path.name
    return found


def message(key: str) -> Message:
    """The message named *key* (KeyError names a key the catalogue lacks)."""
    return catalogue()[key]


def text(key: str, language: Language, **values: object) -> str:
    """The message *key* in *language*, its ``{name}`` placeholders filled from *values*."""
    words = message(key).in_language(language)
    return words.format(**values) if values else words


def strings(language: Language) -> frozenset[str]:
    """Every message's text in *language* (with placeholders' surroundings), for the tests that check that a
    page in one language shows nothing from the other's catalogue."""
    return frozenset(m.in_language(language) for m in catalogue().values())
