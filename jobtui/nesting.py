"""How deep operator-given data may nest: the one bound of JSON parameters and TOML files.

Parsers recurse, so a text nested tens of thousands of levels deep ends in a
``RecursionError``; a few hundred levels parse but are no parameter or setting
anyone means, and a script decoding them might hit its own stack limit. Both are
refused with the same line, by :func:`check_depth` after a parse and by
:func:`too_deep` when the parser itself gave up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobtui.errors import UserError

MAX_DEPTH = 32  # levels of tables, arrays and objects inside one another ({"a": [1]} is two)


def too_deep(what: str, field: str | None = None) -> UserError:
    """The one line for data nested past :data:`MAX_DEPTH` (``what``: the file or the field it is)."""
    return UserError(f"{what}: nested too deeply (at most {MAX_DEPTH} levels)", field)


def check_depth(value: Any, what: str, field: str | None = None) -> Any:
    """``value`` itself, if its tables/arrays nest at most :data:`MAX_DEPTH` levels.

    Walks without recursion, so it is safe on whatever a parser returned.

    Raises:
        UserError: :func:`too_deep`.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if level > MAX_DEPTH:
            raise too_deep(what, field)
        stack.extend((child, level + 1) for child in children)
    return value


__all__ = ["MAX_DEPTH", "check_depth", "too_deep"]
