"""A second opinion on the story's text from trafilatura, and the agreement of the two.

Our extraction knows the page's structure (theme containers, FAQ, "More about", related boxes)
but on a site it has never seen it may take a container with chrome inside, or the wrong one.
trafilatura (the best open main-text extractor on the article-extraction benchmark) is run on
the same lxml tree and the two are combined paragraph by paragraph:

- our story paragraphs that trafilatura also kept stay, and so do our long prose paragraphs
  (LONG_PARAGRAPH words or more) that it dropped: it sometimes stops early in a long story;
- our paragraphs it did not keep (captions, galleries, sign-up boxes, "Photo: ..." lines) go;
- when what is left covers less than COVERAGE of trafilatura's text, our container was the
  wrong one or a fragment, and trafilatura's text is the body;
- so do our paragraphs in a container of the same kind (tag and class) as one that holds a
  paragraph it kept, when the story comes in several such containers (split around ad slots);
- unless trafilatura's text is a navigation menu (most of its text in lines of a few words):
  then it is no opinion, and our paragraphs stay.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from trafilatura.settings import Extractor

from bbn_scraper.parsers.blocks import Block, drop
from bbn_scraper.parsers.trafilatura_steps import extract_text

COVERAGE = 0.6  # share of trafilatura's text our kept paragraphs must hold to be the body
LONG_PARAGRAPH = 50  # words: a paragraph this long is story even where trafilatura dropped it
SHORT_PARAGRAPH = 12  # words: a shorter paragraph is kept when it occurs word for word
SUPPORT = 0.5  # share of a longer paragraph's 4-word runs that must occur in trafilatura's text
MENU_LINE, MENU_SHARE = 30, 0.5  # most characters in lines of 30 or fewer: a menu, not a story
MAIN_SHARE = 0.5  # share of the page's paragraph words a story must hold to be taken as it is
_SENTENCE_END = re.compile(r"[.!?:;\"”»)]$")
_WORD = re.compile(r"\w+")
# fast: no readability/jusText fallback; comments are never the story; recall: keep the story's
# edges (our paragraphs and the agreement rule take care of precision). Built once: building it
# reads trafilatura's settings file each time (about 0.2 ms a page); trafilatura never changes it.
_OPTIONS = Extractor(output_format="txt", fast=True, comments=False, recall=True, tables=True, dedup=False)


# Never story text: removed from our tree before trafilatura copies it (it removes them too,
# first thing), so that its copy and its XPath pruning walk a smaller tree.
_NEVER_TEXT = ("head", "script", "style", "noscript", "template", "svg", "iframe", "object", "embed",
               "select", "button", "input", "textarea", "video", "audio", "canvas", "link", "meta",
               "aside", "footer", "nav", "menu", "figure", "picture", "label", "fieldset", "map", "dialog")


def trafilatura_text(scope: etree._Element, story: etree._Element | None = None) -> str:
    """trafilatura's main text of the document or subtree `scope` (an lxml.html element), one
    paragraph per line; "" when it finds none. Script, style and the like are first removed
    from `scope`, and so is every element outside `story` (our container, left whole) that
    holds no text: call it when the rest of the parser is done with them."""
    etree.strip_elements(scope, *_NEVER_TEXT, with_tail=False)
    _drop_textless(scope, story)
    return extract_text(scope, _OPTIONS)


# What makes an element worth trafilatura's look: a text that is not blank, or a line break.
# The elements holding such a text (as their text or a child's tail: XPath's text() children),
# not the texts: lxml builds no string (with its parent) for each.
_TEXT_HOLDERS = etree.XPath("descendant::*[text()[normalize-space()]] | descendant::br")


def _drop_textless(scope: etree._Element, keep: etree._Element | None) -> None:
    """Remove the subtrees of `scope` that hold no text and no <br> (ad slots, icons, empty
    widgets: about half of a page's elements), but not inside `keep`. trafilatura keeps
    nothing of them, but walks each with a dozen XPath rules: its time follows the tree's size."""
    full = {scope}  # elements holding text, found from each holder up to the first one known
    for node in _TEXT_HOLDERS(scope):
        while node is not None and node not in full:
            full.add(node)
            node = node.getparent()
    kept = set(keep.iter()) if keep is not None else ()
    for parent in [el for el in full if el not in kept]:
        for child in [c for c in parent if c not in full and isinstance(c.tag, str)]:
            drop(child)


@dataclass
class Opinion:
    """trafilatura's text, indexed for the paragraph tests."""

    lines: list[str]
    runs: frozenset  # its 4-word runs
    words: str  # its words joined by single spaces, with a space at each end

    @classmethod
    def of(cls, text: str, leave_out: list[str] = ()) -> Opinion:
        """`text` without the lines that belong to `leave_out` (our FAQ and related boxes)."""
        lines = [line for line in text.splitlines() if line.strip()]
        if leave_out:
            ours = cls.of("\n".join(leave_out))
            line_words = [_WORD.findall(line) for line in lines]
            kept = [i for i, w in enumerate(line_words) if not ours.holds_words(w)]
            lines = [lines[i] for i in kept]
            words = [w for i in kept for w in line_words[i]]  # the words of the lines joined: none spans two
        else:
            words = _WORD.findall(text)  # the same: no word spans a line break, blank lines have none
        return cls(lines, frozenset(_runs(words)), " " + " ".join(words) + " ")

    def is_menu(self) -> bool:
        """Whether the text is a navigation menu rather than a story: most of its characters
        stand in lines of MENU_LINE characters or fewer ("News", "Business & Economy", ...;
        characters, not words, so that Chinese and Japanese count alike)."""
        sizes = [len(line.strip()) for line in self.lines]
        return sum(n for n in sizes if n <= MENU_LINE) > MENU_SHARE * sum(sizes)

    def holds(self, paragraph: str) -> bool:
        """Whether the paragraph is in this text: word for word when short, else by its 4-word runs."""
        return self.holds_words(_WORD.findall(paragraph))

    def holds_words(self, words: list[str]) -> bool:
        """`holds` for a paragraph's words."""
        if not words:
            return False
        if len(words) < SHORT_PARAGRAPH:
            return " " + " ".join(words) + " " in self.words
        # SHORT_PARAGRAPH words or more: len(words) - 3 runs
        return sum(map(self.runs.__contains__, _runs(words))) >= SUPPORT * (len(words) - 3)


def looks_clean(story: list[Block], root: etree._Element) -> bool:
    """Whether a generic container's story needs no second opinion: it holds at least
    MAIN_SHARE of the words of the page's paragraphs (it is not a fragment: an intro, one
    live-blog entry), and every short paragraph (under SHORT_PARAGRAPH words; not a heading or
    list item) ends like a sentence (captions, credits, gallery counters and sign-up prompts do not)."""
    if not story or not all(
        b.kind != "para" or len(b.text.split()) >= SHORT_PARAGRAPH or _SENTENCE_END.search(b.text) for b in story
    ):
        return False
    words = sum(len(b.text.split()) for b in story)
    page_words = sum(len(p.text_content().split()) for p in root.iter("p"))
    return words >= MAIN_SHARE * page_words


def agree(paragraphs: list[str], opinion: Opinion, containers: list | None = None) -> list[int] | None:
    """The indexes of our paragraphs to keep, or None when trafilatura's text should be the body.
    `containers`, when given, is each paragraph's parent element (see `_split_story`)."""
    if not opinion.lines or opinion.is_menu():
        return list(range(len(paragraphs)))
    words = [_WORD.findall(p) for p in paragraphs]
    held = [opinion.holds_words(w) for w in words]
    sizes = [len(p.split()) for p in paragraphs]
    split = _split_story(sizes, held, containers or [])
    kept = [i for i, n in enumerate(sizes) if held[i] or n >= LONG_PARAGRAPH or i in split]
    if opinion.runs:  # the runs of the kept text, across paragraphs, that trafilatura's text has
        shared = opinion.runs.intersection(_runs([w for i in kept for w in words[i]]))
        if len(shared) < COVERAGE * len(opinion.runs):
            return None
    return kept


def _split_story(sizes: list[int], held: list[bool], containers: list) -> set[int]:
    """A story split around ad slots into several containers of one kind (the same tag and
    class: "article__content", "article__content", ...): trafilatura often keeps the first
    only. Paragraphs of SHORT_PARAGRAPH words or more in any container of a kind it kept a
    paragraph of, when that kind comes as two containers or more, are story. `sizes` are the
    paragraphs' lengths in whitespace-separated words."""
    if len(containers) != len(sizes):
        return set()
    def kind(el):
        return (el.tag, el.get("class")) if el is not None and el.get("class") else None
    kinds = [kind(el) for el in containers]
    counts: dict = {}
    for el, k in zip(containers, kinds):
        if k is not None:
            counts.setdefault(k, set()).add(el)
    trusted = {k for k, h in zip(kinds, held) if h and k is not None and len(counts[k]) >= 2}
    return {i for i, (k, n) in enumerate(zip(kinds, sizes)) if k in trusted and n >= SHORT_PARAGRAPH}


def _runs(words: list[str]) -> Iterator[tuple]:
    """4-word runs, as the benchmark counts them (a text of 1-3 words is one shorter run). An
    iterator, for sets built of them and counts of them: zip reuses its tuple where the
    consumer keeps none."""
    if len(words) < 4:
        return iter([tuple(words)] if words else ())
    return zip(words, words[1:], words[2:], words[3:])
