"""The article's content as a flat stream of blocks (headings, paragraphs, list items, FAQ
widgets), in page order, with site chrome removed. Iterative: deep markup cannot overflow."""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from lxml import etree

from bbn_scraper.parsers.page import Matcher
from bbn_scraper.parsers.text import clean, element_text
from bbn_scraper.parsers.themes import THEMES, selector

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCK_TAGS = HEADINGS | frozenset({
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "ul", "ol", "li",
    "dl", "dt", "dd", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "figure", "details", "summary", "form", "fieldset", "address", "center", "hr",
})
# Removed from the content before reading it: never story text (one walk over the content).
CHROME = Matcher(selector("chrome"))
FAQ_WIDGETS = [
    (Matcher(w.box), Matcher(w.question), w.answer and Matcher(w.answer))
    for theme in THEMES for w in theme.faq_widgets
]
IS_FAQ_WIDGET = Matcher(", ".join(w.box for theme in THEMES for w in theme.faq_widgets))
# Void elements: libxml2's HTML parser nests what follows an unclosed one inside it.
VOID_TAGS = frozenset({"embed", "img", "input", "source", "param", "track", "area", "wbr"})
_BOLD = ("strong", "b")


@dataclass
class Block:
    """One unit of content: kind is "heading", "para", "item" (list item), "faq" (a details
    accordion or Yoast FAQ section: `question` and `answer` set)."""

    kind: str
    text: str
    element: etree._Element | None = None  # None for loose text between blocks
    level: int = 0  # heading level
    strong: bool = False  # a paragraph set entirely in bold
    question: str = ""
    answer: list[str] = field(default_factory=list)
    inline: list = field(default_factory=list)  # loose text: the strings and inline elements

    def links(self) -> list[etree._Element]:
        """The <a href> elements inside the block."""
        if self.element is not None:
            return [a for a in self.element.iter("a") if a.get("href")]
        return [a for n in self.inline if isinstance(n, etree._Element) for a in n.iter("a") if a.get("href")]

    def html(self) -> str:
        """The block as (unsanitised) HTML."""
        if self.kind == "heading":
            return f"<h{self.level}>{_inner_html(self.element)}</h{self.level}>"
        if self.element is None:
            return f"<p>{escape(self.text)}</p>"
        tag = self.element.tag if self.element.tag in ("li", "blockquote", "pre") else "p"
        return f"<{tag}>{_inner_html(self.element)}</{tag}>"


def strip_chrome(content: etree._Element) -> None:
    """Drop ads, share buttons, meta lines, related posts and the like from the content (not
    the <button> that holds an accordion's question). Linear in the content's size: the text
    after each dropped element is gathered and set once per receiving node."""
    tails = _Tails()
    for el in [el for el in content.iterdescendants(etree.Element) if CHROME(el)]:
        if el.tag == "button" and any(IS_FAQ_WIDGET(a) for a in el.iterancestors(etree.Element)):
            continue
        if el.tag in VOID_TAGS:
            _hoist_children(el)  # an unclosed <embed> or <img> swallows what follows it
        tails.drop(el)
    tails.flush()
    for menu in [el for el in content.iter("ul", "ol") if _is_menu(el)]:
        label = menu.getprevious()
        if label is not None and label.tag in _LABEL_TAGS and _is_label(element_text(label)):
            tails.drop(label)  # "More in News", "Sections": the menu's title
        tails.drop(menu)
    tails.flush()
    for card in [el for el in content.iterdescendants(*_CARD_TAGS) if _is_teaser_card(el)]:
        tails.drop(card)
    tails.flush()


TEASER_WORDS = 80
_CARD_TAGS = ("div", "section", "article", "aside", "li")
_CARD_HEADINGS = frozenset({"h2", "h3", "h4", "h5"})


def _is_teaser_card(el: etree._Element) -> bool:
    """Whether an element inside the story is another story's teaser: it opens with a heading
    that is one link and nothing else, and holds at most two more elements (an excerpt, a date)
    of TEASER_WORDS words at most in all."""
    children = [c for c in el if isinstance(c.tag, str)]
    if not 2 <= len(children) <= 3 or (el.text or "").strip():
        return False
    heading = children[0]
    if heading.tag == "a" and len(heading) == 1 and heading[0].tag in _CARD_HEADINGS:  # <a><h3>…</h3></a>
        link, heading = heading, heading[0]
    elif heading.tag in _CARD_HEADINGS:
        links = heading.findall(".//a")
        link = links[0] if len(links) == 1 else None
    else:
        return False
    text = element_text(heading)
    if link is None or not (link.get("href") or "#").strip()[1:] or not text or element_text(link) != text:
        return False
    return len(element_text(el).split()) <= TEASER_WORDS

MENU_ITEMS, MENU_ITEM_WORDS = 5, 4
_LABEL_TAGS = HEADINGS | frozenset({"p", "div", "span", "strong"})


def _is_menu(el: etree._Element) -> bool:
    """Whether a list is navigation: MENU_ITEMS items or more, each one link of a few words
    and nothing else ("Local news", "Schools", "City hall"...), not story text."""
    items = [li for li in el if li.tag == "li"]
    if len(items) < MENU_ITEMS or len(items) != len(el):
        return False
    for li in items:
        links = li.findall(".//a")
        text = element_text(li)
        if len(links) != 1 or not text or element_text(links[0]) != text or len(text.split()) > MENU_ITEM_WORDS:
            return False
    return True


def _is_label(text: str) -> bool:
    """A title of a few words that does not end like a sentence."""
    return 0 < len(text.split()) <= MENU_ITEM_WORDS and not text.endswith((".", "!", "?", '"', "”"))


def _hoist_children(el: etree._Element) -> None:
    """Move an element's children (and its text) out, just after it."""
    if el.getparent() is None:
        return
    children, text, tail = list(el), el.text or "", el.tail or ""
    el.text = None
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
        el.tail = text
    else:
        el.tail = text + tail
    for child in reversed(children):
        el.addnext(child)  # after el and its tail; the child's tail moves with it


def drop(el: etree._Element) -> None:
    """Remove an element and its subtree, keeping the text that follows it."""
    tails = _Tails()
    tails.drop(el)
    tails.flush()


class _Tails:
    """Removes elements and keeps the text after each: appended to the previous sibling's tail
    (or the parent's text), gathered in lists and joined once by `flush`, not concatenated at
    each removal (quadratic when thousands of siblings are dropped)."""

    def __init__(self) -> None:
        self._pending: dict[tuple, list[str]] = {}  # (element, "tail" or "text") -> its text, then the tails

    def drop(self, el: etree._Element) -> None:
        parent = el.getparent()
        if parent is None:
            return
        if el.tail:
            previous = el.getprevious()
            key = (previous, "tail") if previous is not None else (parent, "text")
            parts = self._pending.get(key)
            if parts is None:
                parts = self._pending[key] = [getattr(key[0], key[1]) or ""]
            parts.append(el.tail)
        parent.remove(el)

    def flush(self) -> None:
        for (node, attribute), parts in self._pending.items():
            setattr(node, attribute, "".join(parts))
        self._pending.clear()


def iter_blocks(content: etree._Element) -> list[Block]:
    """The content's blocks in page order."""
    has_blocks = _containers(content)
    blocks: list[Block] = []
    stack: list = [content]
    while stack:
        node = stack.pop()
        if isinstance(node, Block):
            blocks.append(node)
            continue
        tag = node.tag if isinstance(node.tag, str) else ""
        if node is not content and IS_FAQ_WIDGET(node):
            faq = _faq_widget(node)
            if faq:
                blocks.append(faq)
            continue
        if tag in HEADINGS:
            text = element_text(node)
            if text:
                blocks.append(Block("heading", text, node, level=int(tag[1])))
            continue
        if node is not content and node not in has_blocks:
            text = element_text(node)
            if text:
                blocks.append(Block("item" if tag == "li" else "para", text, node, strong=_all_bold(node, text)))
            continue
        stack.extend(reversed(_children_and_runs(node, has_blocks)))
    return blocks


def text_blocks(lines: list[str]) -> list[Block]:
    """Paragraphs of plain text (another extractor's output) as blocks; a "- " list marker is dropped."""
    blocks = []
    for line in lines:
        text = clean(line[2:] if line.startswith("- ") else line)
        if text:
            blocks.append(Block("para", text))
    return blocks


def blocks_html(blocks: list[Block]) -> str:
    """The blocks as one HTML fragment, consecutive list items inside their list again."""
    parts: list[str] = []
    open_list = None
    for block in blocks:
        parent = block.element.getparent() if block.kind == "item" else None
        if parent is not open_list:
            if open_list is not None:
                parts.append(f"</{_list_tag(open_list)}>")
            if parent is not None:
                parts.append(f"<{_list_tag(parent)}>")
            open_list = parent
        parts.append(block.html())
    if open_list is not None:
        parts.append(f"</{_list_tag(open_list)}>")
    return "".join(parts)


def _list_tag(el: etree._Element) -> str:
    return "ol" if el.tag == "ol" else "ul"


def _containers(content: etree._Element) -> set:
    """Elements that hold block-level descendants (everything else is read as one block)."""
    marked: set = set()
    for el in content.iter(*BLOCK_TAGS):
        parent = el.getparent()
        while parent is not None and parent not in marked:
            marked.add(parent)
            if parent is content:
                break
            parent = parent.getparent()
    marked.add(content)
    return marked


def _children_and_runs(node: etree._Element, has_blocks: set) -> list:
    """A container's block children, with the loose inline text between them as Blocks; two
    <br> in a row end a paragraph of loose text (Blogger's and old editors' paragraphs)."""
    out: list = []
    run: list = [node.text] if node.text else []
    after_br = False  # nothing but whitespace since the last <br>
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in BLOCK_TAGS or child in has_blocks:
            _flush(run, out)
            run = []
            out.append(child)
            after_br = False
        elif tag == "br" and after_br:
            _flush(run, out)
            run = []
        elif tag:
            run.append(child)
            after_br = tag == "br"
        if child.tail:
            run.append(child.tail)
            after_br = after_br and child.tail.isspace()
    _flush(run, out)
    return out


def _flush(run: list, out: list) -> None:
    text = clean("".join(p if isinstance(p, str) else element_text(p) + " " * (p.tag == "br") for p in run))
    if text:
        out.append(Block("para", text, None, inline=list(run)))


def _faq_widget(node: etree._Element) -> Block | None:
    """An FAQ widget (themes.FaqWidget) as one question with its answer."""
    _, is_question, is_answer = next(w for w in FAQ_WIDGETS if w[0](node))
    q = next((el for el in node.iterdescendants(etree.Element) if is_question(el)), None)
    question = element_text(q) if q is not None else ""
    if is_answer is None:
        if q is not None:
            drop(q)
        answer = [b.text for b in iter_blocks(node) if b.kind != "faq"]
    else:
        answer = [b.text for a in node.iterdescendants(etree.Element) if is_answer(a) for b in iter_blocks(a)]
    if not question:
        return None
    return Block("faq", question, node, question=question, answer=answer)


def _all_bold(el: etree._Element, text: str) -> bool:
    """Whether the element's <strong>/<b> children hold all of its text."""
    bold = "".join(element_text(b) for b in el if b.tag in _BOLD)
    return bool(bold) and clean(bold) == text


def _inner_html(el: etree._Element) -> str:
    parts = [escape(el.text)] if el.text else []
    parts.extend(etree.tostring(child, encoding=str, method="html", with_tail=True) for child in el)
    return "".join(parts)
