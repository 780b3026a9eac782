"""A path parameter that takes the rest of the path whatever it holds, line breaks included.

Starlette's ``path`` convertor matches ``.*``, which stops at a line break: ``/api/v1/ctdl/a%0Ab`` then fell through
to ``/api/v1/{kind}/{key}`` and was refused for its *kind* (422) rather than answered for its id (404). Routes
that take an id or a path to the end of the URL use ``{name:text}`` instead.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

#: the convertor's name in a route's path: ``/ctdl/{id:text}``
TEXT = "text"


class TextConvertor(Convertor[str]):
    """The rest of the path, as ``path`` takes it, line breaks included."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(TEXT, TextConvertor())
