"""The search syntax people expect, parsed into an FTS5 query that is never a syntax error:

- words, each required: ``floods bridge``;
- ``"a quoted phrase"``;
- ``OR`` (upper case) between two terms: either will do (``floods OR bridges``);
- ``-word`` or ``-"a phrase"``: articles containing it are left out;
- a trailing ``*``: a prefix (``resign*``).

The text is split into tokens here and every term is written quoted, so nothing the user types
reaches FTS5 as syntax: ``NEAR(``, ``column:``, ``^``, ``AND``, ``NOT``, parentheses, a lone
``*`` and an unbalanced quote are text (an unbalanced quote is dropped, the words after it
searched), a NUL is a space. A term without a letter or digit is dropped; text left with no term to require is a
`BadQuery` (exclusions alone cannot be searched: FTS5 has no "everything but"), and so is a
search of more than MAX_WORDS words or with a one-character prefix (`ParsedQuery.check`)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadQuery

# A token: an optional "-", then a "quoted phrase" (only when its quote is closed) or a run of
# non-space characters; either may end with * (a prefix search).
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"(\*?)|(\S+))')
_WORD_CHAR = re.compile(r"\w")
MAX_WORDS = 64  # words a search may hold in all (a 3,000-word phrase took 29 s on 21,600 articles)


@dataclass(frozen=True)
class Term:
    """One searched word or phrase, as FTS5 will see it: quoted, maybe a prefix."""

    text: str
    prefix: bool = False

    def fts(self) -> str:
        return f'"{self.text}"' + ("*" if self.prefix else "")


@dataclass(frozen=True)
class ParsedQuery:
    """Terms to require, each a group of alternatives (OR), and terms to exclude."""

    required: list[list[Term]]
    excluded: list[Term]

    def check(self) -> ParsedQuery:
        """Itself; `BadQuery` when it has no term to require, or asks for more than an index
        answers in bounded time: past MAX_WORDS words in all, or a prefix of one character
        (each reads a doclist of most of the index: 400 of them took 31 s on 21,600 articles)."""
        if not self.required:
            raise BadQuery("empty query: give at least one word to search for"
                           + (" (a -word only leaves articles out)" if self.excluded else ""))
        terms = [t for group in self.required for t in group] + self.excluded
        words = sum(len(t.text.split()) for t in terms)
        if words > MAX_WORDS:
            raise BadQuery(f"a search of {words} words: at most {MAX_WORDS}, phrases and OR terms included")
        short = next((t for t in terms if t.prefix and len(t.text) < 2), None)
        if short is not None:
            raise BadQuery(f"{short.text}*: a prefix needs at least two characters")
        return self

    def fts(self) -> str:
        """The FTS5 query: every group required, any of a group's terms, none of the excluded."""
        parts = [" OR ".join(t.fts() for t in group) for group in self.required]
        parts = [f"({part})" if len(group) > 1 else part for part, group in zip(parts, self.required)]
        query = " AND ".join(parts)
        if self.excluded:
            query = f"{query if len(parts) == 1 else f'({query})'} NOT ({' OR '.join(t.fts() for t in self.excluded)})"
        return query


def _term(phrase: str | None, star: str, word: str | None) -> Term | None:
    """The term of one token (its quotes and stars removed), None if it has no letter or digit."""
    if phrase is not None and word is None:
        text, prefix = phrase, bool(star)
    else:
        text, prefix = word or "", (word or "").endswith("*")
    text = text.replace('"', " ").strip("*").strip()
    return Term(" ".join(text.split()), prefix) if _WORD_CHAR.search(text) else None


def parse(text: str) -> ParsedQuery:
    """The user's search text as terms (see the module's docstring), maybe none."""
    required: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False  # an OR was read: the next required term joins the last group
    for minus, phrase, star, word in _TOKEN.findall((text or "").replace("\x00", " ")):
        if not minus and word == "OR" and not phrase:
            join_next = bool(required)
            continue
        term = _term(phrase if word == "" else None, star, word or None)
        if term is None:
            continue
        if minus:
            excluded.append(term)
        elif join_next:
            required[-1].append(term)
        else:
            required.append([term])
        join_next = False
    return ParsedQuery(required, excluded)


def fts_query(text: str) -> str:
    """The user's search text as an FTS5 query (`parse`); `BadQuery` when no word is left."""
    return parse(text).check().fts()
