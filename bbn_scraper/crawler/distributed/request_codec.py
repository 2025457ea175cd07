"""The shared queue's requests as JSON records (`archive.wire`): scrapy-redis's serializer
(setting SCHEDULER_SERIALIZER), given and giving the dict of Scrapy's `Request.to_dict` /
`request_from_dict`. Header values and the body are bytes, sent in base64 (header names in
Latin-1, which maps every byte); callbacks go by name, as Scrapy's own queues keep them, and
only the bbn spider's callbacks are read back. Where a WARC record will be (meta[WARC_META],
a future of the recording machine) is not sent, as it is not pickled for a JOBDIR queue.
Meta keys that say where or how much to download (a proxy, a size or time limit, a bind
address, robots.txt or status handling) are not sent either: each worker's own settings and
middlewares set them again, and a record that carries one (written by someone else, who could
otherwise route or unbound the workers' downloads) is refused."""
from __future__ import annotations

import base64

from archive.wire import NotARecord, dumps as record, loads as read
from bbn_scraper.crawler.warc import WARC_META

KIND = "Request"
CALLBACKS = frozenset({"parse_html_page", "parse_robots", "parse_feed", "parse_sitemap"})  # BbnSpider's
ERRBACKS = frozenset({"errback"})
# Set again at each download from the worker's own settings and environment.
DOWNLOAD_CONTROLS = frozenset({
    "proxy", "_auth_proxy", "_scheme_proxy", "bindaddress", "download_timeout", "download_maxsize",
    "download_warnsize", "download_fail_on_dataloss", "download_slot", "download_latency",
    "dont_obey_robotstxt", "handle_httpstatus_all", "max_retry_times", "dont_proxy", "ftp_user", "ftp_password",
})
NOT_SENT = {WARC_META, *DOWNLOAD_CONTROLS}
# Every field of `Request.to_dict` but the callbacks, with the JSON type it crosses as.
FIELDS = {"url": str, "method": str, "headers": dict, "body": str, "cookies": (dict, list), "meta": dict,
          "encoding": str, "flags": list, "cb_kwargs": dict, "dont_filter": bool, "priority": int}


def dumps(request: dict) -> bytes:
    """The record of a plain `scrapy.Request`'s dict (a subclass has no record: TypeError)."""
    if "_class" in request:
        raise TypeError(f"only scrapy.Request crosses Redis, not {request['_class']}")
    fields = {**request, "meta": {k: v for k, v in request["meta"].items() if k not in NOT_SENT},
              "headers": {name.decode("latin-1"): [_b64(v) for v in values] for name, values in request["headers"].items()},
              "body": _b64(request["body"])}
    return record(KIND, fields)


def loads(data: bytes) -> dict:
    """The dict `request_from_dict` takes; `NotARecord` saying why for anything else."""
    message = read(data, {KIND})
    del message["type"], message["version"]
    for name, kind in FIELDS.items():
        if not isinstance(message.get(name), kind) or (kind is int and isinstance(message[name], bool)):
            raise NotARecord(f"a request whose {name} is {message.get(name)!r}")
    for name, allowed in (("callback", CALLBACKS), ("errback", ERRBACKS)):
        if message.get(name) is not None and message[name] not in allowed:
            raise NotARecord(f"a request whose {name} is {message[name]!r}, no callback of the bbn spider")
    controls = sorted(DOWNLOAD_CONTROLS & set(message["meta"]))
    if controls:
        raise NotARecord(f"a request whose meta sets {controls[0]!r}, which only a worker's own settings set")
    unknown = set(message) - set(FIELDS) - {"callback", "errback"}
    if unknown:
        raise NotARecord(f"a request with a field {sorted(unknown)[0]!r}")
    try:
        message["headers"] = {name.encode("latin-1"): [base64.b64decode(v, validate=True) for v in _list(values)]
                              for name, values in message["headers"].items()}
        message["body"] = base64.b64decode(message["body"], validate=True)
    except (TypeError, ValueError) as exc:
        raise NotARecord(f"a request whose headers or body are not base64 ({exc})") from exc
    return message


def _list(values) -> list:
    if not isinstance(values, list):
        raise TypeError(f"{values!r} is not a list")
    return values


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
