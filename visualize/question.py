"""The question form ("Is certificate A accepted where certificate B is required?") that the landing page and the
answer page share: two search boxes that suggest certificates from /api/v1/search as one types (an ARIA combobox
each, keyboard-navigable), a hidden id that a pick fills, and the day the answer must hold on (today by default).

Without a script the visible text is sent and the server resolves it as the API does; with one, a picked
certificate is sent by its id, so that the permalink names it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .catalogue import Language, catalogue

HERE = Path(__file__).parent

#: what each box may find (the search API's ``type``): a certificate is held; a title or level may be required too
HELD_KINDS = ("certificate-type",)
REQUIRED_KINDS = ("certificate-type", "credential")
#: how many suggestions a box shows
SUGGESTIONS = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Box:
    """One search box's state: the text shown, and the id a pick filled (empty until something is picked)."""

    text: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """What the form shows filled in."""

    held: Box = Box()
    required: Box = Box()
    as_of: str = ""


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


@cache
def _asset(name: str) -> str:
    return (HERE / "static" / name).read_text(encoding="utf-8")


def question_form(question: Question, language: Language, *, today: str) -> str:
    """The form's HTML in *language*, with its script; the date defaults to *today*."""
    words = {key: message.in_language(language) for key, message in catalogue().items()}
    return (
        _environment()
        .get_template("question.html")
        .render(
            question=question,
            words=words,
            language=language.value,
            as_of=question.as_of or today,
            boxes=(
                ("from", question.held, "landing.held", ",".join(HELD_KINDS)),
                ("to", question.required, "landing.required", ",".join(REQUIRED_KINDS)),
            ),
            suggestions=SUGGESTIONS,
            script=Markup(_asset("combobox.js")),  # the package's own files
            style=Markup(_asset("question.css")),
        )
    )
