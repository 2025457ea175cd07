"""A parsed page with its elements indexed by class and id, and a small CSS subset run
against that index. lxml's CSSSelector scans the whole tree once per comma-separated
alternative; the parser asks ~100 such questions per page, so one indexing pass is far cheaper.

The subset: compounds of a tag, `.class`, `#id` and `[attr]`, `[attr=v]`, `[attr~=v]`,
`[attr*=v]`, `[attr^=v]` tests (values bare or quoted), joined by the descendant combinator;
alternatives separated by commas. Anything else raises ValueError when compiled.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

_COMPOUND = re.compile(
    r"(?P<tag>[a-z][a-z0-9-]*)?(?P<rest>(?:\.[\w-]+|#[\w-]+|\[[\w:-]+(?:[~*^]?=[^\]]+)?\])*)$", re.IGNORECASE
)
_PART = re.compile(r"\.([\w-]+)|#([\w-]+)|\[([\w:-]+)(?:([~*^]?=)([^\]]+))?\]")


INDEXED_ATTRS = ("itemprop", "role", "rel", "data-testid", "data-qa")
_INDEXED = frozenset(("id",) + INDEXED_ATTRS)


@dataclass(frozen=True)
class Compound:
    """One compound selector: tag, classes, id and attribute tests, all required."""

    tag: str | None = None
    classes: tuple[str, ...] = ()
    id: str | None = None
    attrs: tuple[tuple[str, str | None, str | None], ...] = ()
    indexed: bool = field(init=False)  # whether the index holds its candidates

    def __post_init__(self) -> None:
        indexed = bool(self.id or self.classes or self.attrs and self.attrs[0][0] in INDEXED_ATTRS)
        object.__setattr__(self, "indexed", indexed)

    def matches(self, el: etree._Element) -> bool:
        if self.tag and el.tag != self.tag:
            return False
        if self.id and el.get("id") != self.id:
            return False
        if self.classes:
            have = (el.get("class") or "").split()
            for c in self.classes:
                if c not in have:
                    return False
        for name, op, value in self.attrs:
            actual = el.get(name)
            if actual is None:
                return False
            if op == "=" and actual != value:
                return False
            if op == "~=" and value not in actual.split():
                return False
            if op == "*=" and value not in actual:
                return False
            if op == "^=" and not actual.startswith(value):
                return False
        return True


@lru_cache(maxsize=None)
def compile_selector(selector: str) -> tuple[tuple[Compound, ...], ...]:
    """"a.b c, #d" -> alternatives, each a chain of compounds (descendant combinator only)."""
    alternatives = []
    for alternative in selector.split(","):
        chain = []
        for token in alternative.split():
            m = _COMPOUND.match(token)
            if not m:
                raise ValueError(f"unsupported selector: {token!r}")
            classes, ident, attrs = [], None, []
            for cls, idv, name, op, value in _PART.findall(m.group("rest")):
                if cls:
                    classes.append(cls)
                elif idv:
                    ident = idv
                else:
                    attrs.append((name, op or None, value.strip("\"'") if op else None))
            chain.append(Compound((m.group("tag") or "").lower() or None, tuple(classes), ident, tuple(attrs)))
        alternatives.append(tuple(chain))
    return tuple(alternatives)


@dataclass
class Page:
    """The root element, with the elements of its <body> indexed by class, id and
    INDEXED_ATTRS words: the head's meta, link, script and title are Metadata's business."""

    root: etree._Element
    classes: dict[str, list] = field(default_factory=dict)
    _attrs: dict[str, dict[str, list]] = field(default_factory=dict)  # attribute -> word -> elements
    # tag -> elements, filled when a tag is first asked for; like the index, it is of the tree as
    # it was then (the parser selects before it strips the story's container)
    _by_tag: dict[str, list] = field(default_factory=dict)

    @classmethod
    def index(cls, root: etree._Element) -> Page:
        page = cls(root)
        classes, attrs = page.classes, page._attrs
        for el in root.find("body").iter(etree.Element):
            for name, value in el.items():
                if name == "class":
                    for word in value.split():
                        classes.setdefault(word, []).append(el)
                elif name in _INDEXED:
                    index = attrs.setdefault(name, {})
                    for word in [value] if name == "id" else value.split():
                        index.setdefault(word, []).append(el)
        return page

    def attrs(self, name: str) -> dict[str, list]:
        """Elements by each word of their `name` attribute (the whole value for "id")."""
        return self._attrs.get(name, {})

    def select(self, selector: str) -> list[etree._Element]:
        """Elements matching the selector, alternative by alternative in the order written (so
        a list of selectors is a list of priorities): each alternative's matches in document
        order, an element already matched by an earlier alternative left out. That is lxml's
        CSSSelector run on each alternative in turn, the results concatenated without repeats
        (tests/test_selector_engine.py checks it on every fixture page), but for one thing:
        compounds with a class, id or INDEXED_ATTRS test only find elements in <body>."""
        return list(self.iselect(selector))

    def iselect(self, selector: str) -> Iterator[etree._Element]:
        """`select`, lazily: later alternatives are only looked at if the caller reads on."""
        seen: set = set()
        for chain in compile_selector(selector):
            for c in chain:
                if c.indexed and not self._candidates(c):
                    break  # a compound that nothing on the page can match
            else:
                if len(chain) > 1 and not chain[-1].indexed and chain[0].indexed:
                    matches = self._top_down(chain)
                else:
                    tests = [c.matches for c in chain[:-1]]
                    matches = (
                        el for el in self._candidates(chain[-1])
                        if chain[-1].matches(el) and _ancestors_match(el, tests)
                    )
                for el in matches:
                    if el not in seen:
                        seen.add(el)
                        yield el

    def _top_down(self, chain: tuple[Compound, ...]):
        """Matches found from the first compound down, for chains like ".post-tags a"."""
        level = [el for el in self._candidates(chain[0]) if chain[0].matches(el)]
        for compound in chain[1:]:
            level = [
                el for base in level
                for el in base.iterdescendants(compound.tag or etree.Element)
                if compound.matches(el)
            ]
        return level

    def first_group(self, selector: str) -> list[etree._Element]:
        """The matches of the first alternative that has any (for "the theme's tag links,
        else the generic ones" questions)."""
        for alternative in selector.split(","):
            found = self.select(alternative)
            if found:
                return found
        return []

    def _candidates(self, compound: Compound):
        if compound.id:
            candidates = self.attrs("id").get(compound.id, [])
        elif compound.classes:
            candidates = self.classes.get(compound.classes[0], [])
        elif compound.attrs and compound.attrs[0][0] in INDEXED_ATTRS and compound.attrs[0][1] in ("=", "~="):
            name, _, value = compound.attrs[0]
            candidates = self.attrs(name).get(value.split()[0] if value.split() else value, [])
        elif compound.tag:
            candidates = self._by_tag.get(compound.tag)
            if candidates is None:  # one walk of the tree per tag, not one per selector ("time", "a", "h1")
                candidates = self._by_tag[compound.tag] = list(self.root.iter(compound.tag))
        else:
            return self.root.iter(etree.Element)
        return candidates


def _ancestors_match(el: etree._Element, tests: list) -> bool:
    """Right-to-left descendant matching of the rest of a selector chain, one test per compound."""
    node = el.getparent()
    for test in reversed(tests):
        while node is not None and not test(node):
            node = node.getparent()
        if node is None:
            return False
        node = node.getparent()
    return True


class Matcher:
    """Whether one element matches a selector list, for walks that test every element they
    pass (chrome, the comment thread, FAQ widgets). Each alternative is one compound of a
    single part: a tag, `.class`, `#id`, `[class*=part]` or `[id^=prefix]`, so that a test
    is a set lookup or a substring check on the attributes read once."""

    def __init__(self, selector: str) -> None:
        self.tags: set[str] = set()
        self.classes: set[str] = set()
        self.ids: set[str] = set()
        class_parts: list[str] = []
        id_prefixes: list[str] = []
        for chain in compile_selector(selector):
            c = chain[0]
            parts = [c.tag] + list(c.classes) + [c.id] + list(c.attrs)
            if len(chain) > 1 or sum(1 for p in parts if p) != 1:
                raise ValueError(f"Matcher takes single-part compounds: {selector!r}")
            if c.tag:
                self.tags.add(c.tag)
            elif c.classes:
                self.classes.add(c.classes[0])
            elif c.id:
                self.ids.add(c.id)
            elif c.attrs[0][:2] == ("class", "*="):
                class_parts.append(c.attrs[0][2])
            elif c.attrs[0][:2] == ("id", "^="):
                id_prefixes.append(c.attrs[0][2])
            else:
                raise ValueError(f"Matcher takes [class*=…] and [id^=…] tests only: {selector!r}")
        self.class_parts = tuple(class_parts)
        self.id_prefixes = tuple(id_prefixes)
        self._by_id = bool(self.ids or id_prefixes)
        self._by_class = bool(self.classes or class_parts)

    def __call__(self, el: etree._Element) -> bool:
        if self.tags and el.tag in self.tags:
            return True
        if self._by_id:
            ident = el.get("id")
            if ident and (ident in self.ids or ident.startswith(self.id_prefixes)):
                return True
        if self._by_class:
            names = el.get("class")
            if names:
                if self.classes and not self.classes.isdisjoint(names.split()):
                    return True
                for part in self.class_parts:
                    if part in names:
                        return True
        return False
