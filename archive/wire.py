"""Records that cross a machine boundary (a distributed crawl's Redis): JSON objects with a type
tag and a version field, checked on read. Never pickle: what crosses is data, not code to run."""
from __future__ import annotations

import json

VERSION = 4  # of every record on the wire: a change to any record's fields is a new version
# (2: FetchedArticle.signature; 3: FetchedPage.packed, BodySignature.threshold and bands;
# 4: a FetchedPage with a pack is sent without its body)


class NotARecord(ValueError):
    """Bytes that are not a record of this version (another version's, a pickle, junk): why."""


def dumps(kind: str, record: dict) -> bytes:
    """`record` as a JSON object tagged with its `kind` and this version."""
    message = {"type": kind, "version": VERSION, **record}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes, kinds) -> dict:
    """The record `dumps` made of one of `kinds`; `NotARecord` saying why for anything else."""
    try:
        message = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotARecord(f"not JSON ({bytes(data[:2])!r}...: a pickle of an older bbn-archive?)") from exc
    except RecursionError:  # JSON nested deeper than Python's stack: no record of ours is
        raise NotARecord("JSON nested too deep to be a record") from None
    if not isinstance(message, dict):
        raise NotARecord(f"not a record: a JSON {type(message).__name__}")
    version = message.get("version")
    if version != VERSION:
        raise NotARecord(f"a record of version {version}, this bbn-archive reads version {VERSION}"
                         if version is not None else "a JSON object without a version field")
    if message.get("type") not in kinds:
        raise NotARecord(f"a record of type {message.get('type')!r}, not one of {', '.join(sorted(kinds))}")
    return message
