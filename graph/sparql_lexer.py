"""A lexer for SPARQL 1.1 queries, so that what a query may do is decided on its tokens, not on text patterns.

The public endpoint refuses SERVICE (it would make the server fetch a URL) and deep nesting (it crashes the
engine's recursive parser). Deciding either with regular expressions over the text is fooled by the escapes the
grammar allows (``occ:a\\#b``, ``cb:a\\'``, ``\\u0053ERVICE``); this lexer follows the terminals of the SPARQL 1.1
grammar (Query §19.8: IRIREF, PNAME_NS, PNAME_LN with PLX, BLANK_NODE_LABEL, VAR1/VAR2, LANGTAG, the numbers signed
and unsigned, the four string forms with ECHAR, NIL, ANON, comments), longest match first, and fails closed: text it
cannot read raises :class:`LexError`.

Two readings of a query matter, and :func:`analyse` checks SERVICE under both:

* the specification's: the codepoint escapes ``\\uXXXX`` / ``\\UXXXXXXXX`` are replaced on the whole text before
  parsing (§19.2), so ``\\u0053ERVICE`` is the keyword SERVICE;
* Oxigraph's (0.5, the engine here): it does not pre-process them (it reads them inside strings and IRIs only, as
  this lexer does), decides by context whether ``<`` opens an IRI or compares (``FILTER(?a<?b)SERVICE#>`` is a
  comparison, SERVICE and a comment to it), reads keywords without a word boundary (``SERVICEx:y`` is SERVICE
  ``x:y``) and ends a local name after its first group of dots (``a:b.c.SERVICE``).

So a query is refused when, under any of these readings, a keyword-like token (a bare word or a prefixed name)
contains SERVICE in any letter case. Strings, IRIs, variables and comments may contain the word.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .errors import QueryError


class LexError(QueryError):
    """The query text has a character sequence that no SPARQL 1.1 terminal matches."""


class Kind(enum.Enum):
    IRI = "IRIREF"
    PNAME_NS = "PNAME_NS"
    PNAME_LN = "PNAME_LN"
    BLANK_NODE = "BLANK_NODE_LABEL"
    VAR = "VAR"
    LANGTAG = "LANGTAG"
    STRING = "STRING"
    NUMBER = "NUMBER"
    NIL = "NIL"
    ANON = "ANON"
    WORD = "WORD"  # keywords, function names, ``a``, ``true``/``false`` (case-insensitive except ``a``)
    PUNCTUATION = "PUNCTUATION"
    COMMENT = "COMMENT"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    start: int


_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ESCAPE = rf"\\[tbnrf\\\"']|{_UCHAR}"
_PREFIX = rf"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
#: Oxigraph's PN_LOCAL: one group of dots at most, matched greedily without backtracking
_OXIGRAPH_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX})*+(?:\.++(?:[{_CHARS}:]|{_PLX})++)?"

_PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.IRI: re.compile(rf'<(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>'),
    Kind.PNAME_LN: re.compile(rf"(?:{_PREFIX})?:{_LOCAL}"),
    Kind.PNAME_NS: re.compile(rf"(?:{_PREFIX})?:"),
    Kind.BLANK_NODE: re.compile(rf"_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?"),
    Kind.VAR: re.compile(rf"[?$][{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"),
    Kind.LANGTAG: re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*"),
    Kind.STRING: re.compile(
        rf"'''(?:(?:'|'')?(?:[^'\\]|{_ESCAPE}))*'''"
        rf'|"""(?:(?:"|"")?(?:[^"\\]|{_ESCAPE}))*"""'
        rf"|'(?:[^'\\\n\r]|{_ESCAPE})*'"
        rf'|"(?:[^"\\\n\r]|{_ESCAPE})*"'
    ),
    Kind.NUMBER: re.compile(
        r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)"
    ),
    Kind.NIL: re.compile(r"\([ \t\r\n]*\)"),
    Kind.ANON: re.compile(r"\[[ \t\r\n]*\]"),
    Kind.WORD: re.compile(r"[A-Za-z][A-Za-z0-9_]*"),
    Kind.PUNCTUATION: re.compile(r"\|\||&&|!=|<=|>=|\^\^|[{}()\[\].,;*+\-/!=<>?^|]"),
    Kind.COMMENT: re.compile(r"#[^\r\n]*"),
}
_SPACE = re.compile(r"[ \t\r\n]+")
_OXIGRAPH_PNAME = re.compile(rf"(?:{_PREFIX})?:{_OXIGRAPH_LOCAL}")
_LESS_THAN = re.compile(r"<=?")
#: the kinds worth trying, by the first character (longest match among them wins; ties go to the first listed)
_CANDIDATES: dict[str, tuple[Kind, ...]] = {
    "<": (Kind.IRI, Kind.PUNCTUATION),
    '"': (Kind.STRING,),
    "'": (Kind.STRING,),
    "?": (Kind.VAR, Kind.PUNCTUATION),
    "$": (Kind.VAR,),
    "_": (Kind.BLANK_NODE,),
    "@": (Kind.LANGTAG,),
    ".": (Kind.NUMBER, Kind.PUNCTUATION),
    "+": (Kind.NUMBER, Kind.PUNCTUATION),  # INTEGER_POSITIVE, DECIMAL_NEGATIVE, ... are terminals of their own
    "-": (Kind.NUMBER, Kind.PUNCTUATION),
    "(": (Kind.NIL, Kind.PUNCTUATION),
    "[": (Kind.ANON, Kind.PUNCTUATION),
    "#": (Kind.COMMENT,),
    ":": (Kind.PNAME_LN, Kind.PNAME_NS),
}
_NAME_START = re.compile(f"[{_BASE}]")
_NAMES = (Kind.PNAME_LN, Kind.PNAME_NS, Kind.WORD)
_OPENING, _CLOSING = "{([", "})]"
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape_codepoints(text: str) -> str:
    r"""The text with its ``\uXXXX`` / ``\UXXXXXXXX`` escapes replaced, once, as SPARQL 1.1 does before parsing.

    An escape that names no character (a surrogate, or beyond U+10FFFF) is left as it is.

    >>> unescape_codepoints(r"\u0053ERVICE")
    'SERVICE'
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match[1] or match[2], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match[0]
        return chr(code)

    return _CODEPOINT.sub(replace, text)


def _token_at(text: str, position: int) -> Token | None:
    """The longest terminal starting at *position* (None if none does)."""
    char = text[position]
    if char in _CANDIDATES:
        kinds = _CANDIDATES[char]
    elif char.isdigit() and char.isascii():
        kinds = (Kind.NUMBER,)
    elif _NAME_START.match(char):
        kinds = _NAMES
    else:
        kinds = (Kind.PUNCTUATION,)
    best: Token | None = None
    for kind in kinds:
        match = _PATTERNS[kind].match(text, position)
        if match and (best is None or len(match[0]) > len(best.text)):
            best = Token(kind, match[0], position)
    return best


def _skip_space(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    return match.end() if match else position


def tokenize(text: str, *, comments: bool = False) -> list[Token]:
    """The query's tokens in order (comments only if asked); raises :class:`LexError` on text no terminal matches.

    >>> [t.text for t in tokenize("SELECT ?x WHERE { ?x occ:a\\\\#b 'it''s' } # done")]
    ['SELECT', '?x', 'WHERE', '{', '?x', 'occ:a\\\\#b', "'it'", "'s'", '}']
    """
    tokens: list[Token] = []
    position = _skip_space(text, 0)
    while position < len(text):
        token = _token_at(text, position)
        if token is None:
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
            raise LexError(
                f"the query cannot be read at line {line}, column {column}: {text[position : position + 20]!r}",
                hint="no SPARQL 1.1 token starts there (an unclosed string or IRI, or a stray character?)",
            )
        if comments or token.kind is not Kind.COMMENT:
            tokens.append(token)
        position = _skip_space(text, position + len(token.text))
    return tokens


def _readings_at(text: str, position: int) -> list[Token]:
    """Every token a parser may read at *position*: the grammar's, and where Oxigraph's parser differs, its own."""
    token = _token_at(text, position)
    if token is None:
        return []
    found = [token]
    if token.kind is Kind.IRI:  # in an expression Oxigraph reads "<" as less-than
        match = _LESS_THAN.match(text, position)
        assert match is not None
        found.append(Token(Kind.PUNCTUATION, match[0], position))
    elif token.kind is Kind.PNAME_LN:
        match = _OXIGRAPH_PNAME.match(text, position)
        if match and match[0] != token.text:
            found.append(Token(Kind.PNAME_LN, match[0], position))
    return found


def _names_service(token: Token) -> bool:
    return token.kind in _NAMES and "service" in token.text.lower()


def _service_in_any_reading(text: str) -> bool:
    """Whether some reading of *text* (every choice :func:`_readings_at` offers) has a token naming SERVICE.

    When ``<`` is read as less-than, what follows up to the IRI's end is an expression: a keyword there can only be
    SERVICE once a ``)`` has closed it, so names before that are not counted (``<http://x/service>`` is fine);
    a comment or string that starts inside the IRI in that reading is followed beyond its end.
    """
    seen: set[tuple[int, bool]] = set()
    pending: list[tuple[int, int]] = [(_skip_space(text, 0), -1)]  # (position, end of the expression inside an IRI)
    while pending:
        position, guard = pending.pop()
        guarded = position < guard
        if (position, guarded) in seen or position >= len(text):
            continue
        seen.add((position, guarded))
        for token in _readings_at(text, position):
            if token.kind is Kind.PUNCTUATION and token.text == ")":
                guarded = False
            elif _names_service(token) and not guarded:
                return True
            after = _skip_space(text, position + len(token.text))
            iri = _PATTERNS[Kind.IRI].match(text, position) if token.kind is Kind.PUNCTUATION else None
            if iri and not guarded:
                pending.append((after, iri.end()))
            else:
                pending.append((after, guard if guarded else -1))
    return False


@dataclass(frozen=True, slots=True)
class Analysis:
    #: empty when SERVICE was found (the query is refused unread)
    tokens: list[Token]
    #: the deepest nesting of ``{``, ``(`` and ``[`` (NIL and ANON do not nest)
    depth: int
    #: SERVICE is a keyword-like token in some reading of the query (see the module docstring)
    service: bool


def analyse(text: str) -> Analysis:
    """Tokens, nesting depth and SERVICE of a query.

    SERVICE is looked for first, in every reading (so a query that names it is refused as such even where it cannot
    be read, e.g. ``\\u0053ERVICE`` outside a string); otherwise text that either reading cannot read raises
    :class:`LexError` (this includes a query that is only readable before its escapes are replaced, as in
    ``"\\u0022"``, which the specification reads as an unclosed long string).

    >>> analyse("SELECT * WHERE { OPTIONAL { ?s occ:a\\\\#b ?o } SERVICE <http://x/> { ?x ?y ?z } }").service
    True
    >>> analyse('SELECT ("SERVICE" AS ?service) WHERE { { } }').depth
    2
    """
    unescaped = unescape_codepoints(text)
    if _service_in_any_reading(text) or (unescaped != text and _service_in_any_reading(unescaped)):
        return Analysis([], 0, service=True)
    tokens = tokenize(text)
    if unescaped != text:
        tokenize(unescaped)
    depth = deepest = 0
    for token in tokens:
        if token.kind is Kind.PUNCTUATION and token.text in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind is Kind.PUNCTUATION and token.text in _CLOSING:
            depth -= 1
    return Analysis(tokens, deepest, service=False)
