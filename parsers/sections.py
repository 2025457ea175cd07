"""Splitting the content's blocks into the story, the FAQ, "More about" and "You may also like"."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.blocks import Block

FAQ_HEADING = re.compile(
    r"^(?:frequently\s+asked\s+questions|faqs?\b)(?:\s*\(faqs?\))?(?:\s*(?:about|on|:|[-–—])\s*(?P<topic>.+?))?\s*[.:]?$",
    re.IGNORECASE,
)
MORE_HEADING = re.compile(r"^more\s+(?:about|on)\s+(?P<topic>.+?)\s*[.:]?$", re.IGNORECASE)
ALSO_LIKE_HEADING = re.compile(
    r"^(?:you\s+(?:may|might)\s+also\s+like|related\s+(?:posts|articles|stories|news)|related"
    r"|read\s+(?:more|next|also)|more\s+stories|recommended(?:\s+for\s+you)?)\s*:?$",
    re.IGNORECASE,
)
# Where the story ends for good: comment forms, share prompts.
END_HEADING = re.compile(
    r"^(?:leave\s+a\s+(?:comment|reply)|\d+\s+(?:comments?|responses?|replies)\b.*|comments?|share\s+this:?|like\s+this:?)$",
    re.IGNORECASE,
)
BOILERPLATE = re.compile(
    r"^[\W_]*(?:advertisements?|sponsored(?: content)?|share this|click to share.*|story continues below)[\W_]*$", re.IGNORECASE
)


@dataclass
class Sections:
    """The content split by section; `topic` from the FAQ or "More about" heading."""

    story: list[Block] = field(default_factory=list)
    faq: list[Block] = field(default_factory=list)
    more_about: list[Block] = field(default_factory=list)
    also_like: list[Block] = field(default_factory=list)
    faq_topic: str | None = None
    more_topic: str | None = None
    faq_heading_seen: bool = False


def split_sections(blocks: list[Block], headline: str | None = None) -> Sections:
    """Walk the blocks once; a heading (or a paragraph in bold) that names a section switches
    to it. FAQ widgets (accordions, Yoast FAQ sections) go to the FAQ wherever they stand, with
    the story heading right above them."""
    out = Sections()
    target = out.story
    for block in blocks:
        if block.kind == "faq":
            if target is out.story and out.story and out.story[-1].kind == "heading":
                out.story.pop()  # the heading the FAQ widgets stand under ("Your questions answered")
            out.faq.append(block)
            continue
        if headline and block.kind == "heading" and block.text == headline:
            continue
        if block.kind == "heading" or block.strong or block.element is not None and block.element.tag == "p" and len(block.text) < 90:
            if m := FAQ_HEADING.match(block.text):
                out.faq_heading_seen = True
                out.faq_topic = out.faq_topic or _topic(m)
                target = out.faq
                continue
            if m := MORE_HEADING.match(block.text):
                out.more_topic = out.more_topic or _topic(m)
                target = out.more_about
                continue
            if ALSO_LIKE_HEADING.match(block.text):
                target = out.also_like
                continue
            if block.kind == "heading" and END_HEADING.match(block.text):
                break
        if target is out.story and BOILERPLATE.match(block.text):
            continue
        target.append(block)
    return out


def _topic(match: re.Match) -> str | None:
    topic = match.group("topic")
    return topic.strip(" \t\"'“”‘’") or None if topic else None
