"""Every private name of Scrapy, Twisted and scrapy-redis that the crawler uses, in one place.

Each is needed because Scrapy has no public way to do the same thing (noted per name); each
sits in `PRIVATE_NAMES`, which `missing_names()` checks against the installed versions and
tests/test_compat.py asserts is empty, naming what a new release renamed. pyproject.toml bounds
Scrapy and Twisted above the versions checked. Nothing else in the project touches a name that
starts with an underscore in these libraries; the rest of the crawler imports them from here.
"""
from __future__ import annotations

import importlib

from scrapy.core.downloader.handlers import http11
from scrapy.downloadermiddlewares import cookies
from twisted.web import _newclient

# (module, attribute path): what this module reaches for, each checked by missing_names().
PRIVATE_NAMES = (
    # The bounded-headers download handler (download_handler.py) subclasses Scrapy's HTTP/1.1
    # client: the download-handler API lets a handler replace the whole client, not its parser.
    ("scrapy.core.downloader.handlers.http11", "_LenientHTTP11ClientFactory"),
    ("twisted.web.client", "_HTTP11ClientFactory.__init__:_quiescentCallback"),
    ("scrapy.core.downloader.handlers.http11", "_LenientHTTP11ClientProtocol"),
    ("scrapy.core.downloader.handlers.http11", "_LenientHTTPClientParser"),
    ("scrapy.core.downloader.handlers.http11", "HTTP11DownloadHandler.__init__:_pool"),
    ("twisted.web._newclient", "HEADER"),
    ("twisted.web._newclient", "HTTP11ClientProtocol.request:_parser"),
    ("twisted.web.client", "HTTPConnectionPool._factory"),
    # The cookie middleware's public suffix list (scope.py): Scrapy's downloads a fresh one from
    # publicsuffix.org, outside the crawl's hosts; no setting names another.
    ("scrapy.downloadermiddlewares.cookies", "_split_domain"),
    # The distributed scheduler's leases (distributed/scheduler.py): which requests the engine
    # still works on, and a prompt wake-up; Scrapy's scheduler API has neither.
    ("scrapy.core.engine", "ExecutionEngine.__init__:_slot"),
    ("scrapy.core.engine", "_Slot.__init__:inprogress"),
    ("scrapy.core.engine", "_Slot.__init__:nextcall"),
    # The robots.txt answer a host's waiting requests share (middlewares.QuietRobotsTxtMiddleware):
    # Scrapy's middleware awaits one Deferred per host from every request that came while its
    # robots.txt was on the way, and a Deferred gives its result to the first awaiter only.
    ("scrapy.downloadermiddlewares.robotstxt", "RobotsTxtMiddleware.__init__:_parsers"),
    # scrapy-redis's queue codec (distributed/scheduler.py), pinned exactly in pyproject.toml;
    # checked where the distributed extra is installed.
    ("scrapy_redis.queue", "Base._encode_request"),
    ("scrapy_redis.queue", "Base._decode_request"),
)

LenientClientFactory = http11._LenientHTTP11ClientFactory
LenientClientProtocol = http11._LenientHTTP11ClientProtocol
LenientResponseParser = http11._LenientHTTPClientParser
PARSING_HEADERS = _newclient.HEADER  # the response parser's state while header lines arrive
OPTIONAL = ("scrapy_redis",)  # the distributed extra


def quiescent_callback(factory):
    """What Scrapy's client factory hands each protocol it builds."""
    return factory._quiescentCallback


def set_client_factory(handler, factory_class) -> None:
    """Make `handler` (an HTTP11DownloadHandler) build its connections' protocols with `factory_class`."""
    handler._pool._factory = factory_class


def response_parser(protocol):
    """The parser of the response a Twisted HTTP/1.1 client protocol is reading."""
    return protocol._parser


def use_public_suffixes(extractor) -> None:
    """Make Scrapy's cookie middleware tell public suffixes with `extractor` (a TLDExtract)."""
    cookies._split_domain = extractor


def engine_in_progress(engine) -> set:
    """The requests the engine has taken from the scheduler and not yet finished with
    (downloaded, and the callback's output processed)."""
    slot = engine._slot
    return slot.inprogress if slot is not None else set()


def wake_engine(engine) -> None:
    """Ask the engine for its next requests now, not at its next 5-second heartbeat."""
    if engine._slot is not None:
        engine._slot.nextcall.schedule()


def settled_robots(middleware, netloc: str):
    """What a RobotsTxtMiddleware holds for `netloc`: its robots.txt parser, None (no robots.txt
    could be had: every URL allowed), or the Deferred of the robots.txt still on the way."""
    return middleware._parsers.get(netloc)


def encode_request(queue, request) -> bytes:
    return queue._encode_request(request)


def decode_request(queue, data: bytes):
    return queue._decode_request(data)


def missing_names() -> list[str]:
    """The names of PRIVATE_NAMES the installed libraries lack, as "module:attribute". An
    attribute written "Class.method:_name" is one the method's code assigns (an instance
    attribute, found in its bytecode's names)."""
    missing = []
    for module_name, path in PRIVATE_NAMES:
        try:
            target = importlib.import_module(module_name)
        except ImportError:
            if module_name.partition(".")[0] not in OPTIONAL:
                missing.append(f"{module_name}:{path}")
            continue
        path, _, assigned = path.partition(":")
        try:
            for part in path.split("."):
                target = getattr(target, part)
            if assigned and assigned not in getattr(target, "__code__", None).co_names:
                raise AttributeError(assigned)
        except AttributeError:
            missing.append(f"{module_name}:{path}{':' + assigned if assigned else ''}")
    return missing
