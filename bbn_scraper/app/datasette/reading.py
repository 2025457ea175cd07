"""What the reading room shows, read with archive's queries over one of Datasette's read-only
connections: an article with everything archived about it (`article_page`), the diff between
consecutive versions (`version_diffs`), a story's copies against its earliest (`story_page`,
`compare_with`)
and a stored page (`stored_page`); the snippets' highlighting and dates for humans
(`human_date`, `time_tag`). No SQL here; the routes are in reading_room.py."""
from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from markupsafe import Markup

from archive.browse import Story, StoryArticle, story, story_of
from archive.errors import NotFound
from archive.query import ArchiveReader
from archive.reading import StoredPage, archived_ids, seen_urls, stored_page as page_info, stored_pages, version_contents

# Snippet markers: private-use characters no page text contains, split out by `highlight`.
OPEN, CLOSE = "\ue000", "\ue001"


def highlight(snippet: str | None) -> list[tuple[bool, str]]:
    """A snippet made with OPEN/CLOSE markers as (is_match, text) pieces, for a template to
    wrap the matches in <mark> while escaping every piece."""
    pieces, matched = [], False
    for part in (snippet or "").replace(CLOSE, OPEN).split(OPEN):
        if part:
            pieces.append((matched, part))
        matched = not matched
    return pieces


def human_date(value: str | None) -> str:
    """An ISO 8601 date as a reader writes it: "6 Dec 2026, 17:02" (in the time zone it was
    recorded in), "21 Sep 2023" for a date alone; other text as it is."""
    if not value:
        return ""
    try:
        if len(value) == 10:
            return f"{date.fromisoformat(value):%-d %b %Y}"
        return f"{datetime.fromisoformat(value):%-d %b %Y, %H:%M}"
    except ValueError:
        return value


def time_tag(value: str | None) -> Markup:
    """A <time> element showing `human_date(value)`, the exact timestamp in its datetime and
    title (on hover); escaped."""
    if not value:
        return Markup("")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value, value, human_date(value))


MAX_SHOWN_BODY = 2_000_000  # characters of a body the article page shows; the row's page has it whole


def paragraphs(text: str | None) -> list[str]:
    """A stored body's paragraphs (they are separated by a blank line)."""
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


@dataclass
class Change:
    """One changed stretch between two versions of a field: the paragraphs removed and added,
    and for a one-to-one rewrite the words as (op, text) with op "=", "-" or "+"."""

    removed: list[str]
    added: list[str]
    words: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class VersionDiff:
    """What changed from version `old` to version `new`: per field, its changes."""

    old: int
    new: int
    seen: str  # when `new` was first archived (when `old` was superseded)
    fields: dict[str, list[Change]]


# Diffs are bounded: difflib's time grows with the product of the lengths compared, and an
# archive's text is the sites'. Past these, a field's versions are shown without a diff, a
# paragraph without its words diffed, a story copy without reworded paragraphs sought.
MAX_DIFF_PARAGRAPHS = 1000  # paragraphs of either side of a field's diff
MAX_DIFF_WORDS = 1000  # words of either side of a word diff
MAX_COMPARISONS = 20_000  # paragraph pairs a story copy is compared by, after exact matches


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The words of `old` and `new` as (op, text): "=" kept, "-" removed, "+" added; none
    (the paragraphs shown whole) past MAX_DIFF_WORDS."""
    a, b = old.split(), new.split()
    if max(len(a), len(b)) > MAX_DIFF_WORDS:
        return []
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            ops.append(("+", " ".join(b[j1:j2])))
    return ops


def text_changes(old: list[str], new: list[str]) -> list[Change]:
    """The changed stretches between two lists of paragraphs (difflib's opcodes); an edited
    paragraph also word by word. Past MAX_DIFF_PARAGRAPHS a side, one Change saying so."""
    if max(len(old), len(new)) > MAX_DIFF_PARAGRAPHS:
        if old == new:
            return []
        return [Change([f"({len(old):,} paragraphs: too long to compare here)"], [f"({len(new):,} paragraphs)"])]
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:  # as many paragraphs rewritten: pair by pair
            changes += [Change([a], [b], word_diff(a, b) if _close(a, b) else [])
                        for a, b in zip(old[i1:i2], new[j1:j2])]
        else:
            changes.append(Change(old[i1:i2], new[j1:j2]))
    return changes


def _faq_lines(faqs: list[dict]) -> list[str]:
    return [f"Q: {f['question']}\nA: {f['answer']}" for f in faqs]


def version_diffs(versions: list[dict]) -> list[VersionDiff]:
    """The diff of each version (oldest first; dicts with version, seen, headline, byline,
    body, faqs) against the one before it, newest first; fields without change left out."""
    diffs = []
    for old, new in zip(versions, versions[1:]):
        fields = {
            "Headline": text_changes([old["headline"] or ""], [new["headline"] or ""]),
            "Byline": text_changes([old["byline"] or ""], [new["byline"] or ""]),
            "Body": text_changes(paragraphs(old["body"]), paragraphs(new["body"])),
            "FAQ": text_changes(_faq_lines(old["faqs"]), _faq_lines(new["faqs"])),
        }
        diffs.append(VersionDiff(old["version"], new["version"], new["seen"], {k: v for k, v in fields.items() if v}))
    return diffs[::-1]


def _links(links: list, archived: dict[str, int]) -> list[dict]:
    return [{"text": link.text, "url": link.url, "article_id": archived.get(link.url)} for link in links]


def article_page(conn: sqlite3.Connection, article_id: int) -> dict | None:
    """Everything the reading view shows of an article, None if there is no such article."""
    reader = ArchiveReader(conn)
    try:
        article = reader.article(article_id)
    except NotFound:
        return None
    archived = archived_ids(reader, [link.url for link in article.related_links + article.related_articles])
    earlier = version_contents(reader, article_id)
    versions = [{**asdict(v), "seen": before.superseded_at if before else article.first_seen}
                for before, v in zip([None, *earlier], earlier)]
    current = {"version": article.version, "fetched_at": article.last_seen, "headline": article.headline,
               "byline": article.byline, "body": article.body, "faqs": [asdict(f) for f in article.faqs],
               "seen": earlier[-1].superseded_at if earlier else article.first_seen}
    return {
        "article": article, "authors": article.authors, "tags": article.tags, "faqs": article.faqs,
        "paragraphs": paragraphs(article.body[:MAX_SHOWN_BODY]),
        "body_cut": max(0, len(article.body) - MAX_SHOWN_BODY),  # characters not shown
        "related": _links(article.related_links, archived), "also_like": _links(article.related_articles, archived),
        "seen_urls": seen_urls(reader, article_id), "pages": stored_pages(reader, article.urls or [article.url]),
        "versions": [*versions, current], "diffs": version_diffs([*versions, current]),
        "story": story_of(reader, article_id),
    }


@dataclass
class Copy:
    """One article of a story read against the earliest: its paragraphs in its own order,
    each (kind, Change) with kind "kept" (as in the earliest, wherever it stands there),
    "reworded" (similar to one of the earliest's: its words diffed) or "added"; and the
    earliest's paragraphs it does not carry (`dropped`)."""

    article: StoryArticle
    paragraphs: list[tuple[str, Change]]
    dropped: list[str]

    def count(self, kind: str) -> int:
        return sum(k == kind for k, _ in self.paragraphs)


def _close(old: str, new: str) -> bool:
    """Whether a paragraph was edited rather than replaced (half its words or more kept), with
    difflib's cheap upper bounds tried first; False past MAX_DIFF_WORDS."""
    a, b = old.split(), new.split()
    if max(len(a), len(b)) > MAX_DIFF_WORDS:
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= 0.5 and matcher.quick_ratio() >= 0.5 and matcher.ratio() >= 0.5


def compare_with(first: list[str], article: StoryArticle) -> Copy:
    """`article`'s paragraphs against the earliest copy's (`first`): each of the earliest's
    paragraphs is matched at most once, an identical one before a similar one."""
    ours = paragraphs(article.body)
    where: dict[str, list[int]] = {}
    for i, paragraph in enumerate(first):
        where.setdefault(paragraph, []).append(i)
    exact = {}
    for j, paragraph in enumerate(ours):
        if where.get(paragraph):
            exact[j] = where[paragraph].pop(0)
    used = set(exact.values())
    unused = [i for i in range(len(first)) if i not in used]
    budget = MAX_COMPARISONS
    shown = []
    for j, paragraph in enumerate(ours):
        if j in exact:
            shown.append(("kept", Change([paragraph], [paragraph])))
            continue
        i = None
        for candidate in unused:
            if budget <= 0:
                break
            budget -= 1
            if _close(first[candidate], paragraph):
                i = candidate
                break
        if i is None:
            shown.append(("added", Change([], [paragraph])))
        else:
            unused.remove(i)
            shown.append(("reworded", Change([first[i]], [paragraph], word_diff(first[i], paragraph))))
    return Copy(article, shown, [first[i] for i in unused])


def story_page(conn: sqlite3.Connection, story_id: int) -> tuple[Story, list[Copy], list[str]] | None:
    """A story, its articles compared with the earliest, the earliest's paragraphs; None if
    there is no such story."""
    found = story(ArchiveReader(conn), story_id)
    if found is None:
        return None
    first = paragraphs(found.articles[0].body if found.articles else "")
    return found, [compare_with(first, a) for a in found.articles[1:]], first


def stored_page(conn: sqlite3.Connection, page_id: int) -> tuple[StoredPage, Iterator[bytes]] | None:
    """A stored page and its body as fetched, in chunks (from its WARC record if it has one):
    the stored form is read now, over `conn`, decoded as the chunks are taken; None if there is
    no such page; `ArchiveError` for a WARC file missing or damaged."""
    reader = ArchiveReader(conn)
    page = page_info(reader, page_id)
    return None if page is None else (page, reader.page_chunks(page_id))
