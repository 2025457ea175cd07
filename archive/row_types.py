"""Rows read back as the read API's dataclasses, their values checked against the fields'
types: a row changed outside bbn-archive (a BLOB where text belongs, a JSON column that does
not parse or holds an object where a list belongs) is a `DamagedRow` naming the row and the
column, not a TypeError in whatever prints it."""
from __future__ import annotations

import json
from dataclasses import is_dataclass
from functools import lru_cache
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from .errors import DamagedRow

T = TypeVar("T")
JSON_ERRORS = (ValueError, TypeError, RecursionError)  # what json.loads raises on what it cannot read


def checked(cls: type[T], where: str, **values: Any) -> T:
    """`cls(**values)`, each value first checked against its field's type; `where` names the
    row in the error ("article 12")."""
    hints = _hints(cls)
    for name, value in values.items():
        if not _fits(value, hints[name]):
            raise DamagedRow(f"{where} is damaged: its {name} is {_kind(value)}, which bbn-archive never writes there"
                             " (changed outside it?)")
    return cls(**values)


def stored_json(text: str | bytes | None, where: str, name: str, default: str = "null") -> Any:
    """The JSON column `name` of the row `where` decoded (`default` for NULL or ''); `DamagedRow`
    when it does not parse."""
    try:
        return json.loads(text or default)
    except JSON_ERRORS:
        raise DamagedRow(f"{where} is damaged: its {name} is not JSON (changed outside bbn-archive?)") from None


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _fits(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        return any(_fits(value, arm) for arm in get_args(hint))
    if origin is list:
        return isinstance(value, list) and all(_fits(item, get_args(hint)[0]) for item in value)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if hint is type(None):
        return value is None
    if hint in (int, float):
        return isinstance(value, (int, float) if hint is float else int) and not isinstance(value, bool)
    if hint is Any:
        return True
    return isinstance(value, hint) if isinstance(hint, type) or is_dataclass(hint) else True


def _kind(value: Any) -> str:
    if isinstance(value, bytes):
        return "a BLOB"
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "a list holding something else" if value else "an empty list"
    return {str: "text", int: "a number", float: "a number", dict: "a JSON object", bool: "true or false"}.get(
        type(value), type(value).__name__)
