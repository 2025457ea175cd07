"""FAQ pairs, from whichever shape the page uses: question headings, bold questions,
"Q:"/"A:" prefixes, accordions, Yoast FAQ blocks, or FAQPage JSON-LD alone."""
from __future__ import annotations

import re

from lxml import etree

from archive.model import Faq
from bbn_scraper.parsers.blocks import Block, iter_blocks
from bbn_scraper.parsers.document import PARSER
from bbn_scraper.parsers.metadata import Metadata
from bbn_scraper.parsers.text import clean, join_paragraphs

_Q_PREFIX = re.compile(r"^\s*(?:Q(?:uestion)?\s*\d*\s*[:.)-])\s*", re.IGNORECASE)
_A_PREFIX = re.compile(r"^\s*(?:A(?:nswer)?\s*\d*\s*[:.)-])\s*", re.IGNORECASE)
_INLINE_ANSWER = re.compile(r"\s+A(?:nswer)?\s*[:.)]\s+")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+")


def faqs_from_blocks(blocks: list[Block]) -> list[Faq]:
    """Question/answer pairs from the blocks of an FAQ section, in page order."""
    pairs: list[tuple[str, list[str]]] = []
    explicit = any(_is_question(b) for b in blocks)
    for block in blocks:
        if block.kind == "faq":
            pairs.append((block.question, [_A_PREFIX.sub("", a) for a in block.answer]))
            continue
        if _is_question(block) or not explicit and block.text.endswith("?"):
            question = _NUMBERED.sub("", _Q_PREFIX.sub("", block.text))
            answer: list[str] = []
            if _Q_PREFIX.match(block.text) and (m := _INLINE_ANSWER.search(question)):
                question, answer = question[: m.start()], [question[m.end():]]
            pairs.append((clean(question), answer))
        elif pairs:
            pairs[-1][1].append(clean(_A_PREFIX.sub("", block.text)))
    return [Faq(q, join_paragraphs(a)) for q, a in pairs if q]


def _is_question(block: Block) -> bool:
    return block.kind == "heading" or block.strong or bool(_Q_PREFIX.match(block.text))


def faqs_from_json_ld(md: Metadata) -> list[Faq]:
    """Pairs of FAQPage JSON-LD: each Question's name and acceptedAnswer text (HTML allowed)."""
    faqs = []
    for page in md.of_type(frozenset({"FAQPage"})):
        entities = page.get("mainEntity") or []
        for q in entities if isinstance(entities, list) else [entities]:
            if not isinstance(q, dict):
                continue
            answer = q.get("acceptedAnswer") or q.get("suggestedAnswer") or {}
            if isinstance(answer, list):
                answer = answer[0] if answer else {}
            question = _html_paragraphs(q.get("name") or "")
            text = _html_paragraphs(answer.get("text") or "" if isinstance(answer, dict) else "")
            if question:
                faqs.append(Faq(" ".join(question), join_paragraphs(text)))
    return faqs


def _html_paragraphs(value) -> list[str]:
    """Paragraphs of a JSON-LD string that may hold HTML."""
    if not isinstance(value, str) or not value.strip():
        return []
    if "<" not in value:
        return [p for p in (clean(x) for x in re.split(r"\n\s*\n", value)) if p]
    try:
        root = etree.fromstring(f"<html><body>{value}</body></html>", parser=PARSER)
    except (etree.ParserError, ValueError):
        root = None
    body = root.find("body") if root is not None else None
    if body is None:
        return [clean(value)]
    return [b.text for b in iter_blocks(body)]
