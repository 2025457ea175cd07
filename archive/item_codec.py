"""The crawl's items (`archive.items`) as JSON records (`archive.wire`), for a queue between
machines (a distributed crawl's Redis lists): a type tag, the version and the dataclass's fields,
datetimes in ISO 8601, bytes in base64. Where a WARC record is (`FetchedPage.warc`) is the
recording machine's and is not sent. A page whose parse worker packed its body
(`FetchedPage.packed`) crosses as the pack alone, a quarter of the body's base64 for a typical
HTML page: the body is its zlib stream undone on reading, at most MAX_BODY bytes, as a crawl
takes of a page. An entry over MAX_ENTRY bytes is refused before it is parsed."""
from __future__ import annotations

import base64
import dataclasses
import types
import typing
import zlib
from collections.abc import Callable
from datetime import datetime
from functools import cache

from . import items
from .decoding import MAX_BODY
from .wire import NotARecord, dumps, loads
from .model import Article, Faq, Link

TYPES = {cls.__name__: cls for cls in (items.FetchedPage, items.FetchedArticle, items.Claim, items.Alias,
                                       items.Seen, items.CrawlError, items.SitemapLastmods, items.SitemapRead)}
NOT_SENT = {"warc"}
MAX_ENTRY = 4 * MAX_BODY  # the largest item: a page of MAX_BODY bytes not packed, in base64, and its JSON
_NAMES = {"Article": Article, "BodySignature": items.BodySignature, "Faq": Faq, "Link": Link,
          "PackedBody": items.PackedBody, "WarcRef": object}


class UndecodableItem(NotARecord):
    """Bytes that are not an item this version writes (another version's, a pickle, junk)."""


def encode(item) -> bytes:
    name = type(item).__name__
    if TYPES.get(name) is not type(item):
        raise TypeError(f"not a crawl item: {name}")
    fields = {f.name: _plain(getattr(item, f.name)) for f in dataclasses.fields(item) if f.name not in NOT_SENT}
    if isinstance(item, items.FetchedPage) and item.packed is not None:
        fields["body"] = None  # the pack carries it
    return dumps(name, {"fields": fields})


def decode(data: bytes):
    """The item `encode` made; `UndecodableItem` saying why for anything else."""
    if len(data) > MAX_ENTRY:
        raise UndecodableItem(f"an entry of {len(data)} bytes, over the {MAX_ENTRY} an item can take")
    try:
        message = loads(data, TYPES)
        cls, fields = TYPES[message["type"]], message["fields"]
        if cls is items.FetchedPage and isinstance(fields, dict) and fields.get("body", b"") is None:
            return _unpacked_page(fields)
        return _build(cls, fields)
    except NotARecord as exc:
        raise UndecodableItem(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise UndecodableItem(f"not an item of this version ({type(exc).__name__}: {exc})") from exc


def _unpacked_page(fields: dict) -> items.FetchedPage:
    """A FetchedPage sent as its pack: the body is the pack's zlib stream undone, whole and at
    most MAX_BODY bytes (the store checks it against the pack's SHA-256)."""
    page = _build(items.FetchedPage, {**fields, "body": ""})
    if page.packed is None:
        raise ValueError("a FetchedPage without its body nor a pack of it")
    decoder = zlib.decompressobj()
    try:
        page.body = decoder.decompress(page.packed.zlib, MAX_BODY + 1)
    except zlib.error as exc:
        raise ValueError(f"its packed body is no zlib stream ({exc})") from None
    if len(page.body) > MAX_BODY:
        raise ValueError(f"its packed body is over {MAX_BODY} bytes once unpacked")
    if not decoder.eof or decoder.unused_data:
        raise ValueError("its packed body is not one whole zlib stream")
    return page


def plain(value):
    """`value` (a dataclass such as an Article, and what it holds) as JSON-safe data."""
    return _plain(value)


def build(cls, data):
    """The `cls` instance `plain` made `data` of; TypeError or ValueError when it is not one."""
    return _build(cls, data)


def _plain(value):
    if value is None or isinstance(value, (str, int, float)):  # most values: nothing to do
        return value
    if dataclasses.is_dataclass(value):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
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
def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _fields(cls) -> dict[str, Callable]:
    """The converter of each field of `cls` from its JSON value, made once a class: working out
    a type hint's shape for every value read cost more than the rest of decoding."""
    return {name: _converter(hint) for name, hint in typing.get_type_hints(cls, localns=_NAMES).items()}


def _build(cls, data: dict):
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} is not an object")
    fields = _fields(cls)
    try:
        return cls(**{name: fields[name](value) for name, value in data.items()})
    except KeyError:
        unknown = sorted(set(data) - set(fields))
        if not unknown:
            raise
        raise ValueError(f"{cls.__name__} has no field {unknown[0]}") from None


@cache
def _converter(hint) -> Callable:
    """A function taking a JSON value to the type `hint` says, TypeError or ValueError when it
    is not one: optional and nested types, lists, dicts, dataclasses, datetimes and bytes."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in args if a is not type(None)))
        if type(None) not in args:
            return inner
        return lambda value: None if value is None else inner(value)
    if origin is list:
        item = _converter(args[0])

        def to_list(value):
            if not isinstance(value, list):
                raise TypeError(f"{value!r} is not a list")
            return [item(v) for v in value]
        return to_list
    if origin is dict:
        item = _converter(args[1])

        def to_dict(value):
            if not isinstance(value, dict):
                raise TypeError(f"{value!r} is not an object")
            return {k: item(v) for k, v in value.items()}
        return to_dict
    if dataclasses.is_dataclass(hint):
        return lambda value: _build(hint, value)
    if hint is datetime:
        return datetime.fromisoformat
    if hint is bytes:
        return lambda value: base64.b64decode(value, validate=True)
    if hint in (str, int, bool):
        def checked(value):
            if value is not None and not (isinstance(value, hint) and (hint is bool or not isinstance(value, bool))):
                raise TypeError(f"{value!r} is not of type {hint.__name__}")
            return value
        return checked
    return lambda value: value
