"""Turning page bytes or text into an lxml tree, with the charset found and a size cap."""
from __future__ import annotations

import codecs
import re

from bs4 import UnicodeDammit
import lxml.html
from lxml import etree
from w3lib.encoding import http_content_type_encoding

MAX_DOCUMENT_CHARS = 8_000_000
# Tags ("<"s) a document is read to: the tree, trafilatura's and htmldate's copies of it take a
# few hundred bytes an element, so 8 million characters of `<li>a` took 1.9 GB. The largest of
# 500 real news pages (bench's corpora) has 12,000; a flat page of 250,000 <input>s is read whole.
MAX_TAGS = 300_000
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# The parser keeps going on broken markup and accepts trees deeper than libxml2's default limit.
# Every element is an lxml.html HtmlElement, so trafilatura reads the same tree instead of parsing
# the page again; the class is set by lxml's C lookup, not lxml.html's per-tag Python lookup
# (which cost about 2 ms a page on real pages). No table of ids: nothing looks elements up by id().
_OPTIONS = dict(recover=True, huge_tree=True, remove_comments=True, remove_pis=True, no_network=True, collect_ids=False)
_HTML_ELEMENTS = etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement)


def _parser(**options) -> etree.HTMLParser:
    parser = etree.HTMLParser(**options)
    parser.set_element_class_lookup(_HTML_ELEMENTS)
    return parser


PARSER = _parser(**_OPTIONS)
# For bytes known to be UTF-8: parsing them saves lxml re-encoding the decoded text.
_UTF8_PARSER = _parser(encoding="utf-8", **_OPTIONS)


def page_text(body: bytes, content_type: str | None) -> str | bytes:
    """A fetched page for the parser, given its HTTP Content-Type. Bytes that are valid UTF-8
    are UTF-8 whatever the header says (servers that label everything ISO-8859-1 are common).
    Otherwise a charset in the header wins, unless it claims UTF-8, which these bytes are not:
    then the bytes go to the parser, which reads <meta charset> or guesses, and says so."""
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = http_content_type_encoding(content_type or "")
    if declared and declared not in ("utf-8", "utf8") and _is_text_encoding(declared):
        return body.decode(declared, errors="replace")
    return body


def _is_text_encoding(name: str) -> bool:
    """Whether bytes decode to text by `name`: not for unknown names, nor for the transforms
    that codecs also knows (rot13, base64, zlib...)."""
    try:
        b"a".decode(name, errors="replace")  # not b"": an empty input skips the codec's check
    except Exception:  # noqa: BLE001 - LookupError, or a codec that fails even on one letter
        return False
    return True


def decode_html(html: str | bytes) -> tuple[str, bool, list[str]]:
    """The page as text; whether that text is the strict UTF-8 decoding of the bytes (which
    have no BOM); warnings about how its charset was chosen.

    Bytes are decoded by, in order: a byte-order mark, the page's own <meta charset> or
    http-equiv Content-Type, strict UTF-8, then beautifulsoup4's UnicodeDammit detection."""
    if isinstance(html, str):
        return html, False, []
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if html.startswith(bom):
            return html.decode(encoding, errors="replace"), False, []
    match = _META_CHARSET.search(html[:4096])
    if match:
        name = match.group(1).decode("ascii", "ignore").lower()
        if _is_text_encoding(name):
            if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                name = "windows-1252"  # what browsers do (WHATWG encoding standard)
            text = html.decode(name, errors="replace")
            return text, name in ("utf-8", "utf8") and "\ufffd" not in text, []
    try:
        return html.decode("utf-8"), True, []
    except UnicodeDecodeError:
        pass
    dammit = UnicodeDammit(html[:200_000], ["utf-8", "windows-1252"], is_html=True)
    encoding = dammit.original_encoding or "windows-1252"
    return html.decode(encoding, errors="replace"), False, [f"charset not declared; detected {encoding}"]


def load_tree(html: str | bytes) -> tuple[etree._Element | None, list[str]]:
    """The document's root element (None for an empty document) and warnings."""
    text, utf8, warnings = decode_html(html)
    if len(text) > MAX_DOCUMENT_CHARS:
        text = text[:MAX_DOCUMENT_CHARS]
        warnings.append(f"document truncated to its first {MAX_DOCUMENT_CHARS} characters")
        utf8 = False
    if len(text) > MAX_TAGS and text.count("<") > MAX_TAGS:  # a shorter text cannot hold more
        text = text[:_position_of(text, "<", MAX_TAGS + 1)]
        warnings.append(f"document truncated to its first {MAX_TAGS} tags")
        utf8 = False
    if _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub("", text, count=1)
        utf8 = False
    if "\x00" in text:
        text = text.replace("\x00", "")
        utf8 = False
    if not text or text.isspace():
        return None, warnings
    try:
        root = etree.fromstring(html, parser=_UTF8_PARSER) if utf8 else etree.fromstring(text, parser=PARSER)
    except (etree.ParserError, ValueError):
        return None, warnings
    if root is None or root.find("body") is None:
        return None, warnings
    warnings += _limits_hit(_UTF8_PARSER if utf8 else PARSER)
    return root, warnings


def _position_of(text: str, char: str, n: int) -> int:
    """Where the `n`th `char` of `text` is (it has at least `n`)."""
    at = -1
    for _ in range(n):
        at = text.find(char, at + 1)
    return at


def _limits_hit(parser: etree.HTMLParser) -> list[str]:
    """Warnings for the parse's resource limits hit: markup nested deeper than libxml2's 2,048
    levels ends the tree there, and the rest of the page is not read."""
    return [f"document truncated at the HTML parser's limit ({e.message.split(',')[0]}); the rest of the page was not read"
            for e in parser.error_log
            if e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT]
