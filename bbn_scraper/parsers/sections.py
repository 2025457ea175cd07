"""Splitting the content's blocks into the story, the FAQ, "More about" and "You may also like"."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bbn_scraper.parsers.blocks import Block
from bbn_scraper.parsers.text import element_text
from bbn_scraper.parsers.words import compile_words

FAQ_HEADING = compile_words(
    r"^(?:{faq})(?:\s*\(faqs?\))?(?:\s*(?:{about}\b|:|[-–—])\s*(?P<topic>.+?))?\s*[.:]?$", faq="faq", about="about"
)
MORE_HEADING = compile_words(r"^{more}\s+(?P<topic>.+?)\s*[.:]?$", more="more_about")
ALSO_LIKE_HEADING = compile_words(r"^{related}\s*[.:]?$", related="related")
# Where the story ends for good: the comments.
END_HEADING = compile_words(r"^{end}$", end="end")
# A share bar: the story ends there, unless story paragraphs follow the bar.
SHARE_HEADING = compile_words(r"^{share}$", share="share")
BOILERPLATE = compile_words(r"^[\W_]*{line}[\W_]*$", line="boilerplate")
# "Read also: <a>another story</a>", a line of its own inside the story.
READ_ALSO = compile_words(r"^[\W_]*{read_also}\b\s*[:：|»›>–—-]?\s*(?P<rest>.*)$", read_also="read_also")
# A related box in mid-story ends where story-like paragraphs come back (each this long and
# mostly not link text, followed by another or by the end) after at most BOX_BLOCKS blocks.
STORY_PARAGRAPH = 120
BOX_BLOCKS = 12
_ELLIPSES = ("…", "...", "[…]", "[...]")  # how a teaser's excerpt ends


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
    the story heading right above them. A related box ("Read also", "Lire aussi") or share bar
    followed by story paragraphs was a box in mid-story: the story goes on after it."""
    out = Sections()
    target = out.story
    dropped: list[Block] = []  # a share bar
    box = 0  # blocks in the related box so far; -1 once it is known to be a list of teasers
    for i, block in enumerate(blocks):
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
                target, box = out.also_like, 0
                continue
            if block.kind == "heading" and SHARE_HEADING.match(block.text):
                target, box = dropped, 0
                continue
            if block.kind == "heading" and END_HEADING.match(block.text):
                break
        if (target is out.also_like or target is dropped) and box >= 0:
            if not _story_like(block):
                box += 1
            elif box <= BOX_BLOCKS and not block.text.endswith(_ELLIPSES) and _story_goes_on(blocks, i + 1):
                target = out.story
            else:
                box = -1  # a teaser's excerpt: a list of posts, not a box in the story
        if target is out.story and (BOILERPLATE.match(block.text) or _read_also_line(block)):
            continue
        target.append(block)
    return out


def _story_like(block: Block) -> bool:
    """A paragraph long enough to be story, most of it not link text."""
    return block.kind == "para" and len(block.text) >= STORY_PARAGRAPH and _link_text(block) * 3 < len(block.text)


def _story_goes_on(blocks: list[Block], start: int) -> bool:
    """Whether the next block that is not boilerplate is story-like or a subheading (not a
    teaser's title link), or the content ends."""
    for block in blocks[start:]:
        if not (BOILERPLATE.match(block.text) or _read_also_line(block)):
            return _story_like(block) or block.kind == "heading" and _link_text(block) * 2 < len(block.text)
    return True


def _link_text(block: Block) -> int:
    return sum(len(element_text(a)) for a in block.links())


def _read_also_line(block: Block) -> bool:
    """"Read also: <a>Another story</a>": a short line whose words after the prefix are a link."""
    if len(block.text) > 250 or not (m := READ_ALSO.match(block.text)):
        return False
    rest = m.group("rest")
    return bool(rest) and _link_text(block) * 2 >= len(rest)


def _topic(match: re.Match) -> str | None:
    topic = match.group("topic")
    return topic.strip(" \t\"'“”‘’") or None if topic else None
