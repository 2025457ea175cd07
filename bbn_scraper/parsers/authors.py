"""Authors as a first-class extraction: candidate names from every source a page offers, each
cleaned by rules that hold on any site, people kept apart from organisations, one source chosen.

Sources, most trusted first: the article's JSON-LD `author` (a Person, or a string of names;
an Organization is an organisation; the site's own name, the publisher, is never its author), the author metas
(author, article:author, Dublin Core dc.creator "Family, Given", Parse.ly, Sailthru, Cxense),
and the byline as printed. Organisations (an agency, a desk) are kept apart from people: never
in the authors, named in a warning when no person is.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from bbn_scraper.parsers.metadata import Metadata, ld_text, ld_types
from bbn_scraper.parsers.names import ORGANIZATION_TYPES, key
from bbn_scraper.parsers.text import clean, split_authors, strip_byline_prefix
from bbn_scraper.parsers.words import NOT_AUTHORS

# Author metas, most specific first; values that are URLs or handles are not names.
AUTHOR_METAS = ("author", "article:author", "parsely-author", "sailthru.author", "cxenseparse:author", "dc.creator",
                "dcterms.creator", "byl")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE_OR_URL = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)@\w+")
_PARENTHESISED = re.compile(r"\s*[(\[][^()\[\]]{0,40}[)\]]")
# "ByEmma Mackenzie": a byline word glued to the name.
_GLUED_PREFIX = re.compile(r"(?:^|(?<=[a-z\s]))(?:By|Von|Por|Par|Door|Av|Af)(?=[A-ZÀ-Þ])")
# "MitchellAssistant", "Mackenzie14:00": a name glued to what follows (not "McCarthy", "DeWitt").
_GLUED_WORD = re.compile(r"(?<=[a-zà-ÿ]{4})(?=[A-ZÀ-Þ][a-zà-ÿ])|(?<=[^\W\d_])(?=\d)")
_DIGIT = re.compile(r"\d")
_DIGIT_WORD = re.compile(r"(?<!\w)\d")  # a word that opens with a digit: a date, a time, an id
_DOMAIN = re.compile(r"\b[\w-]+\.(?:[a-z]{2,6})\b", re.IGNORECASE)
_PART_SEPARATORS = re.compile(r"\s*(?:[|/·•–—、，・]|\s-\s|:\s)\s*")
_ORG_WORDS = re.compile(
    r"\b(?:news|nachrichten|redaktion|redaction|rédaction|redacción|redazione|staff|desk|agency|agencies|agentur\w*|agencia|"
    r"press|presse|online|newsroom|team|media|wire|reuters|afp|dpa|apa|ap|epa|ansa|efe)\b", re.IGNORECASE)


# A job title printed after the name and split from it at a comma ("Laura Chen, Senior
# Political Correspondent"): a part holding one of these words is a role, not a person.
_ROLE_WORDS = re.compile(
    r"\b(?:correspondents?|reporters?|writers?|editors?|columnists?|contributors?|contributing|journalists?|"
    r"photographers?|producers?|analysts?|interns?|senior|chief|bureau|staff|freelance|"
    r"korrespondent(?:in)?|redakteur(?:in)?|reporter(?:in)?|autor(?:in)?|volontär(?:in)?|"
    r"corresponsal|redactor[a]?|periodista|enviad[oa]|correspondant[e]?|journaliste|rédact(?:eur|rice)|envoyée?|"
    r"redattore|redattrice|inviat[oa]|giornalista|correspondente|repórter|jornalista|verslaggever|redacteur|"
    r"korrespondent|journalist)\b", re.IGNORECASE)


# Yoast's twitter:labelN / twitter:dataN pairs ("Written by" / the name), in the languages it speaks.
_WRITTEN_BY = re.compile(r"^(?:written by|verfasst von|geschrieben von|écrit par|escrito por|scritto da|geschreven door|"
                         r"napisane przez|skrevet av|skrevet af|skriven av)$", re.IGNORECASE)
# A label printed before the author's name, in its own element: "<strong>Autorin/Autor</strong> Name".
_AUTHOR_LABEL = re.compile(r"^(?:authors?|autor(?:in)?(?:/autor(?:in)?)?|autorin/autor|auteur(?:e|s)?|autore|autori|"
                           r"redakteur(?:in)?|author\(s\)|written by|text|texte|texto|tekst|forfatter|författare)\s*:?$",
                           re.IGNORECASE)
_LABEL_TAGS = ("strong", "b", "dt", "th")
# A credit line of a Chinese, Japanese or Korean page in one element: "(责编：牛镛、岳弘彬)",
# "记者 张三", "작성자: 홍길동"; or a Korean "홍길동 기자" (reporter) line.
_CJK_CREDIT = re.compile(r"^[(（\[【]?\s*(?:作者|记者|記者|撰文|文|责编|责任编辑|責任編輯|编辑|編集|筆者|글|작성자)(?:\s*[：:|｜]\s*|\s+)"
                         r"(?P<names>[^()（）\[\]【】:：]{1,40}?)\s*[)）\]】]?$")
_KOREAN_REPORTER = re.compile(r"^(?P<names>[가-힣]{2,4}(?:\s*[,·]\s*[가-힣]{2,4})*)\s*(?:기자|특파원)(?:\s+\S+@\S+)?$")
_CREDIT_OPENERS = tuple("(（[【作记記撰文责責编編筆글작")


class Candidates(NamedTuple):
    people: list[str]
    organisations: list[str]


def json_ld_candidates(md: Metadata, site_keys: frozenset[str], resolve) -> Candidates:
    """The article node's `author`: Persons (name, or givenName + familyName) and strings of
    names are people; Organizations, and a Person named after the site, are organisations."""
    value = resolve(md, md.article_node.get("author"))
    people: list[str] = []
    organisations: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            name = ld_text(item.get("name")) or clean(f"{ld_text(item.get('givenName')) or ''} {ld_text(item.get('familyName')) or ''}")
            if not name:
                continue
            if key(name) in site_keys:
                continue  # the publisher: never its own article's author
            if ld_types(item) & ORGANIZATION_TYPES:
                organisations.append(clean(name))
            else:  # declared a Person: an agency so declared stays ("Reuters")
                people += person_names(name, site_keys, organisations, declared=True)
        elif isinstance(item, str) and item.strip():
            people += person_names(item, site_keys, organisations)
    return Candidates(_unique(people), _unique(organisations))


def meta_candidates(md: Metadata, site_keys: frozenset[str]) -> Candidates:
    """The first author meta that names someone: people, else the organisation it names."""
    organisations: list[str] = []
    for name in (*AUTHOR_METAS, "twitter:misc:written by", "yoast"):
        if name == "yoast":
            values = [md.first(f"twitter:data{n}") or "" for n in range(1, 5)
                      if _WRITTEN_BY.match(md.first(f"twitter:label{n}") or "")]
        else:
            values = md.meta.get(name, ())
        values = [v.strip() for v in values if v and v.strip()]
        if not values:
            continue
        if name.startswith(("dc.", "dcterms.")):
            values = [_given_first(v) for v in values]
        people = [p for v in values for p in person_names(v, site_keys, organisations)]
        if people:
            return Candidates(_unique(people), _unique(organisations))
    return Candidates([], _unique(organisations))


def labelled_author(root) -> str | None:
    """The name printed after an author label in its own element ("<strong>Autor</strong> Jane
    Doe", "<dt>Author</dt><dd>Jane Doe</dd>"), the first such on the page."""
    for el in root.iter(_LABEL_TAGS):
        text = (el.text or "").strip()
        if not text or len(text) > 24 or len(el) or not _AUTHOR_LABEL.match(text):
            continue
        value = clean(el.tail)
        if not value:
            nxt = el.getnext()
            value = clean("".join(nxt.itertext())) if nxt is not None else ""
        if value and len(value) <= 100:
            return value
    return None


def cjk_credit(root) -> str | None:
    """The names of the first credit line of a Chinese, Japanese or Korean page (an element
    of its own, 60 characters at most): "牛镛、岳弘彬" of "(责编：牛镛、岳弘彬)"."""
    for el in root.iter("div", "p", "span", "em", "address"):
        text = (el.text or "").strip()
        if not text or len(el) or len(text) > 60:
            continue
        m = (_CJK_CREDIT.match(text) if text.startswith(_CREDIT_OPENERS) else None) or (
            _KOREAN_REPORTER.match(text) if "\uac00" <= text[0] <= "\ud7af" else None)
        if m and _unspaced_script(m.group("names")):
            return m.group("names").strip()
    return None


def byline_candidates(byline: str | None, site_keys: frozenset[str]) -> list[str]:
    """The people named in a printed byline, without what is glued to them."""
    if not byline:
        return []
    return person_names(byline, site_keys, [], printed=True)


def person_names(text: str, site_keys: frozenset[str], organisations: list[str], printed: bool = False,
                 declared: bool = False) -> list[str]:
    """The people named in `text`, cleaned: e-mails, handles, links, parenthesised initials,
    roles and times glued on, dates, a name said twice. What is not a person's name is dropped;
    an organisation's name is added to `organisations`."""
    text = _HANDLE_OR_URL.sub(" ", _EMAIL.sub(" ", text))
    text = _PARENTHESISED.sub("", text)
    if printed:
        glued = list(_GLUED_PREFIX.finditer(text))
        if glued:
            text = text[glued[-1].end():]
        text = _GLUED_WORD.split(text, maxsplit=1)[0] if _GLUED_WORD.search(text) else text
    parts = [p for chunk in _PART_SEPARATORS.split(text) for p in split_authors(strip_byline_prefix(chunk))]
    names: list[str] = []
    for part in parts:
        part = _cut_at_digits(clean(part)).strip(" ,.;:-")
        if printed:
            part = _cut_at_chrome(part).strip(" ,.;:-")
        part = _said_twice(part)
        if not part:
            continue
        k = key(part)
        if not k or k in NOT_AUTHORS:
            continue
        if k in site_keys:
            continue
        if _DOMAIN.search(part) or (_ORG_WORDS.search(part) and len(part.split()) <= (1 if printed else 4) and not declared):
            organisations.append(part)
            continue
        if (_DIGIT.search(part) and not declared) or not _name_like(part) or _ROLE_WORDS.search(part):
            continue
        names.append(part)
    if printed and any(not n.isupper() for n in names):
        names = [n for n in names if not n.isupper() or _unspaced_script(n)]  # a dateline: "NEW YORK"
    if printed and any(len(n.split()) >= 2 for n in names):
        names = [n for n in names if len(n.split()) >= 2 or _unspaced_script(n)]  # "Volontär" beside "Robin Amberg"
    return _unique(names)


def choose(ld: Candidates, meta: Candidates, printed: list[str]) -> tuple[list[str], str | None]:
    """The authors and their source. JSON-LD people win (a theme's byline box may hold another
    story's author); a printed byline next; the author metas then. Organisations are never
    authors: the caller notes them apart."""
    if ld.people:
        return ld.people, "json-ld"
    if printed:
        return printed, "byline"
    if meta.people:
        return meta.people, "meta"
    return [], None


def _cut_at_chrome(part: str) -> str:
    """"Dana Whitfield Biography", "Jane Doe See full bio", "Jane Doe on Deadspin": the name
    before the first word of the byline's chrome (a profile link, a comment count, a follow
    button, "on"/"for"/"at" and the outlet after it)."""
    words = part.split()
    for i, word in enumerate(words):
        w = word.lower().strip(".,:;|")
        if i and w in _CHROME_WORDS:
            return " ".join(words[:i])
    return part


def _cut_at_digits(part: str) -> str:
    """"Amanda Krause 2024-02-14" -> "Amanda Krause": cut at the first word that opens with a
    digit, with the month names and "Posted"/"Updated" words before it; a part that opens with
    one is dropped."""
    m = _DIGIT_WORD.search(part)
    if not m:
        return part
    words = part[: m.start()].split()
    while words and (words[-1].rstrip(".,").lower() in _MONTHS or not words[-1].strip(".,|:-")):
        words.pop()
    return " ".join(words)


def _said_twice(part: str) -> str:
    """"Jane Doe Jane Doe" -> "Jane Doe"."""
    words = part.split()
    half = len(words) // 2
    if len(words) >= 2 and len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])
    return part


def _name_like(part: str) -> bool:
    """At most five words, each opening with a capital or a name particle, letters only."""
    words = part.split()
    if not words or len(words) > 5 or any(c in "*$€£%#!?=+<>{}[]\"" for c in part):
        return False
    if _unspaced_script(part):
        return len(part) <= 12
    return all(w[0].isupper() or w.lower() in _PARTICLES or not w[0].isalpha() for w in words) and any(
        c.isalpha() for c in part)


def _unspaced_script(text: str) -> bool:
    """Whether `text` is written in a script without spaces between words (Han, kana, Hangul, Thai)."""
    return any("\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" or "\u0e00" <= c <= "\u0e7f" for c in text)


def _given_first(value: str) -> str:
    """Dublin Core's "Family, Given" -> "Given Family" (one comma, a few words each side)."""
    family, sep, given = value.partition(",")
    if sep and "," not in given and 0 < len(family.split()) <= 3 and 0 < len(given.split()) <= 3:
        return f"{given.strip()} {family.strip()}"
    return value


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(key(name), name)
    return [n for k, n in seen.items() if k]


_CHROME_WORDS = frozenset({
    "biography", "bio", "profile", "comments", "comment", "follow", "email", "e-mail", "contact", "twitter", "facebook",
    "instagram", "linkedin", "see", "more", "share", "posted", "updated", "published", "read", "view", "all",
    "articles", "stories", "kommentare", "profil", "folgen", "mehr", "on", "for", "at",
})
_PARTICLES = frozenset({
    "von", "van", "der", "den", "dem", "de", "del", "della", "di", "da", "do", "dos", "das", "du", "la", "le",
    "ten", "ter", "bin", "al", "el", "zu", "af", "av", "ibn", "ben", "y", "e",
})
_MONTHS = frozenset({
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january", "february",
    "march", "april", "june", "july", "august", "september", "october", "november", "december", "januar", "februar",
    "märz", "mai", "juni", "juli", "oktober", "dezember", "posted", "updated", "published", "am", "on", "at", "le",
    "el", "am", "um", "vom", "stand", "aktualisiert", "veröffentlicht",
})
