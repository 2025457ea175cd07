"""The crawl's items (`archive.items`) as JSON records (`archive.wire`), for a queue between
machines (a distributed crawl's Redis lists): a type tag, the version and the dataclass's fields,
datetimes in ISO 8601, bytes in base64. Where a WARC record is (`FetchedPage.warc`) is the
recording machine's and is not sent."""
from __future__ import annotations

import base64
import dataclasses
import types
import typing
from datetime import datetime
from functools import cache

from . import items
from .wire import NotARecord, dumps, loads
from .model import Article, Faq, Link

TYPES = {cls.__name__: cls for cls in (items.FetchedPage, items.FetchedArticle, items.Claim, items.Alias,
                                       items.Seen, items.CrawlError, items.SitemapLastmods, items.SitemapRead)}
NOT_SENT = {"warc"}
_NAMES = {"Article": Article, "BodySignature": items.BodySignature, "Faq": Faq, "Link": Link,
          "PackedBody": items.PackedBody, "WarcRef": object}


class UndecodableItem(NotARecord):
    """Bytes that are not an item this version writes (another version's, a pickle, junk)."""


def encode(item) -> bytes:
    name = type(item).__name__
    if TYPES.get(name) is not type(item):
        raise TypeError(f"not a crawl item: {name}")
    fields = {f.name: _plain(getattr(item, f.name)) for f in dataclasses.fields(item) if f.name not in NOT_SENT}
    return dumps(name, {"fields": fields})


def decode(data: bytes):
    """The item `encode` made; `UndecodableItem` saying why for anything else."""
    try:
        message = loads(data, TYPES)
        return _build(TYPES[message["type"]], message["fields"])
    except NotARecord as exc:
        raise UndecodableItem(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise UndecodableItem(f"not an item of this version ({type(exc).__name__}: {exc})") from exc


def plain(value):
    """`value` (a dataclass such as an Article, and what it holds) as JSON-safe data."""
    return _plain(value)


def build(cls, data):
    """The `cls` instance `plain` made `data` of; TypeError or ValueError when it is not one."""
    return _build(cls, data)


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls, localns=_NAMES)


def _build(cls, data: dict):
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} is not an object")
    hints = _hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {sorted(unknown)[0]}")
    return cls(**{name: _value(hints[name], value) for name, value in data.items()})


def _value(hint, value):
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _value(next(a for a in args if a is not type(None)), value)
    if origin is list:
        if not isinstance(value, list):
            raise TypeError(f"{value!r} is not a list")
        return [_value(args[0], v) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"{value!r} is not an object")
        return {k: _value(args[1], v) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is bytes:
        return base64.b64decode(value, validate=True)
    if hint in (str, int, bool) and value is not None and not (
            isinstance(value, hint) and (hint is bool or not isinstance(value, bool))):
        raise TypeError(f"{value!r} is not of type {hint.__name__}")
    return value
