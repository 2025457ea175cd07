"""The content model of the sample site, built deterministically from `topics.TOPICS`.

Nothing here knows the base URL: internal links are stored as site paths ("/2023/09/14/slug/")
and made absolute when a page is rendered. Everything a test may want to compare a parser
against is here in plain form (headline, body paragraphs, FAQ, links, dates).
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property

from .topics import TOPICS, Topic

UTC = timezone.utc
SITE_NAME = "BBN - Big Big News"
SITE_TITLE = "BBN – Big Big News"          # as the footer spells it
LANGUAGE = "en-US"
PER_PAGE = 10
THEMES = ("soledad", "newspaper", "gutenberg")
FAQ_SHAPES = ("h3", "bold", "qa", "yoast", "details", "jsonld", "none", "h4")
CATEGORIES = {
    "world": "World", "politics": "Politics", "business": "Business",
    "science": "Science", "health": "Health", "sports": "Sports",
}
DISALLOWED_PATH = "/private/"
FAQ_ONLY_WORD = "quillmarrow"   # appears in exactly one FAQ answer of one article, nowhere else
FAQ_ONLY_SENTENCE = ("Some specialists also point to the so-called quillmarrow clause, "
                     "a detail rarely discussed outside technical briefings.")

# Special roles, by article slug.
AMP_SLUGS = ("harbor-accord-talks", "fusion-test-reactor")
FLAKY_SLUG = "measles-vaccination-drive"          # 503 twice, then 200
CP1252_SLUG = "coffee-price-surge"                # served as windows-1252
EDITION2_SLUGS = ("rail-corridor-agreement", "wildfire-evacuations",
                  "chipmaker-merger", "marathon-course-record")
MULTI_AUTHOR_SLUGS = ("embassy-relocation-plan", "mountain-pass-landslide", "airline-fuel-surcharge")
NO_MORE_ABOUT_SLUGS = ("fishing-quota-row", "airline-fuel-surcharge")
NO_ALSO_LIKE_SLUGS = ("budget-standoff", "heatwave-health-warning")
EXTERNAL_REFERENCE = "https://reference.example/topics/{slug}/"   # reserved TLD: never resolves

# Links that answer 404, and which page links them.
BROKEN_ARTICLE_PATH = "/2023/07/30/council-vote-postponed/"       # in "More about" of BROKEN_IN_MORE_ABOUT
BROKEN_IN_MORE_ABOUT = "mayoral-recall-vote"
BROKEN_TAG_PATH = "/tag/weather-alerts/"                          # inline in the body of BROKEN_IN_BODY
BROKEN_IN_BODY = "heatwave-health-warning"
BROKEN_ARCHIVE_PATH = "/category/archives-2019/"                  # from the home page and category listings

HOME_TRACKING = "utm_source=homepage&utm_medium=featured&utm_campaign=slider"
FEED_TRACKING = "utm_source=rss&utm_medium=rss&utm_campaign={slug}"
FEATURED_COUNT = 3
FEED_COUNT = 10


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Author:
    name: str
    bio: str

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def path(self) -> str:
        return f"/author/{self.slug}/"

    @property
    def schema_hash(self) -> str:
        return hashlib.md5(self.name.encode()).hexdigest()


AUTHORS = (
    Author("Andrew Wright", "Andrew Wright covers diplomacy and security from the international desk."),
    Author("Maria Chen", "Maria Chen reports on politics, elections and public policy."),
    Author("Daniel Okafor", "Daniel Okafor writes about business, labour and the economy."),
    Author("Sofia Lindqvist", "Sofia Lindqvist covers science, climate and the environment."),
    Author("Priya Raman", "Priya Raman reports on health and medicine."),
    Author("James Holloway", "James Holloway covers sport and the business of sport."),
)


@dataclass(frozen=True)
class Term:
    kind: str   # "category" or "tag"
    name: str

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def path(self) -> str:
        return f"/{self.kind}/{self.slug}/"


@dataclass(frozen=True)
class A:
    """An inline link inside a paragraph: `target` is a site path or an absolute URL."""
    text: str
    target: str


Paragraph = tuple  # of str | A


def para_text(p: Paragraph) -> str:
    return "".join(s if isinstance(s, str) else s.text for s in p)


@dataclass
class Faq:
    question: str
    answers: list[str]

    @property
    def answer(self) -> str:
        return "\n\n".join(self.answers)


@dataclass
class Comment:
    author: str
    date: datetime
    text: str
    comment_id: int


@dataclass
class Post:
    index: int
    topic: Topic
    post_id: int
    theme: str
    faq_shape: str
    category: Term
    tags: list[Term]
    authors: list[Author]
    published: datetime
    modified: dict[int, datetime]
    comments: list[Comment]
    body: dict[int, list[Paragraph]]
    faqs: list[Faq]
    more_about: list[A] = field(default_factory=list)
    also_like: list["Post"] = field(default_factory=list)
    specials: list[str] = field(default_factory=list)
    charset: str = "utf-8"
    amp: bool = False
    changes_in_edition_2: bool = False

    @property
    def slug(self) -> str:
        return self.topic.slug

    @property
    def headline(self) -> str:
        return self.topic.headline

    @property
    def path(self) -> str:
        d = self.published
        return f"/{d.year:04d}/{d.month:02d}/{d.day:02d}/{self.slug}/"

    @property
    def amp_path(self) -> str | None:
        return self.path + "amp/" if self.amp else None

    @property
    def comment_count(self) -> int:
        return len(self.comments)

    @property
    def byline(self) -> str:
        return " and ".join(a.name for a in self.authors)

    @property
    def summary(self) -> str:
        return self.topic.lede

    @property
    def faq_visible(self) -> bool:
        return self.faq_shape not in ("none", "jsonld")

    @property
    def entities(self) -> bool:
        """Whether the page spells curly quotes and dashes as numeric entities (wptexturize)."""
        return self.theme in ("soledad", "newspaper") and self.charset == "utf-8"

    @property
    def image_path(self) -> str:
        d = self.published
        return f"/wp-content/uploads/{d.year:04d}/{d.month:02d}/{self.slug}.jpg"

    def image_variant(self, size: str) -> str:
        return self.image_path[:-4] + f"-{size}.jpg"

    def body_text(self, edition: int) -> str:
        return "\n\n".join(para_text(p) for p in self.body[edition])

    def word_count(self, edition: int) -> int:
        return len(self.body_text(edition).split())

    def excerpt(self, words: int = 30) -> str:
        parts = self.topic.lede.split()
        return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


# ---------------------------------------------------------------- generation

GENERIC = (
    "The debate over {subject} has been building for months. Critics argue that {org} moved too quickly, while supporters say further delay would only add to the uncertainty facing {group}.",
    "According to figures released by {org}, about {n1:,} people have been directly affected so far, a number officials expect to change as more information comes in.",
    "In {place}, the mood was one of cautious uncertainty. Several {group} said they had learned about the latest developments from friends and social media rather than from official announcements.",
    "Analysts remain divided on what happens next. Some expect a resolution within weeks; others warn that {subject} could remain unsettled well into next year.",
    "{last} acknowledged that progress had been “slower than anyone wanted” but insisted that the core plan remained intact and that further details would be published shortly.",
    "Critics seized on the episode. In a sharply worded letter, a group of them accused {org} of withholding key documents and called for an independent review of how decisions about {subject} were made.",
    "The situation is being watched closely beyond {place}. At least two neighbouring authorities have asked for briefings, and one has quietly drawn up contingency plans of its own.",
    "Local business owners said the effects were already visible. One shopkeeper estimated that trade had fallen by about {pct} percent since the start of the month, while another said bookings had “simply dried up.”",
    "A spokesperson for {org} declined to comment on specific figures but said the organisation was “committed to transparency” and would answer questions at a public briefing on {weekday2}.",
    "Observers note that {place} has faced similar questions before. A comparable proposal in {year} was abandoned after a lengthy consultation and a change of leadership.",
    "For {group}, the practical consequences are immediate. Many said they had postponed plans, cancelled orders or rearranged their schedules while they waited for clarity.",
    "Independent experts consulted by BBN said the available data did not yet support firm conclusions, although most agreed that the trend over the past {n2} years pointed in the same direction.",
    "The next formal step is expected on {weekday2}. If it goes ahead as planned, the first changes could take effect within {n3} weeks, according to a timetable seen by BBN.",
    "Not everyone is pessimistic. “There is more common ground here than the headlines suggest,” said one person familiar with the discussions, who asked not to be named because they were not authorised to speak publicly.",
)
UNIQUE = (
    "Much of the attention has focused on {unique_phrase}, which officials describe as central to {subject} and which has drawn visitors and critics alike in recent weeks.",
    "At {unique_phrase}, the changes are already tangible. Staff there said they had been asked to prepare for “several possible outcomes” and to keep detailed records.",
    "Documents reviewed by BBN show that {unique_phrase} was discussed at least three times in private meetings, although its role was not mentioned in public statements.",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
CONTRIBUTORS = ("Elena Marsh", "Tunde Bakare", "Hiro Tanaka", "Claire Dubois", "Omar Haddad",
                "Ines Cardoso", "Piotr Nowak", "Aisha Mensah")
CITIES = ("Lisbon", "Nairobi", "Osaka", "Montreal", "Krakow", "Accra", "Valparaíso", "Tallinn")
COMMENTERS = ("Martha K.", "Joel P.", "R. Santos", "Anika", "Peter W.", "Lena M.")
COMMENT_TEXTS = (
    "Thanks for the clear summary, this helped me understand what is going on.",
    "I would like to see a follow-up once the official figures are published.",
    "Interesting piece. The local angle is often missing from coverage like this.",
    "Does anyone know when the next public meeting is scheduled?",
    "Good reporting, but I think the other side deserves more space.",
    "Shared this with my family, they have been following the story closely.",
)
FAQ_TEMPLATES = (
    ("What is happening with {subject}?",
     ["In short, {subject} has become a point of contention involving {org} and {group} in {place}. The main developments are described in the article above."]),
    ("Who is {person}?",
     ["{person} is {role} and has been one of the most prominent public voices on {subject} in recent weeks."]),
    ("Why does {subject} matter to {group}?",
     ["For {group}, the outcome affects everyday decisions about work, travel and spending. Many have said they need a clear timetable before they can plan ahead.",
      "Officials have promised more information but have not yet committed to a firm date."]),
    ("How has {org} responded to criticism?",
     ["{Org} has defended its approach, saying careful preparation matters more than speed, and has promised to publish further details."]),
    ("What happens next with {topic}?",
     ["The next formal step is expected in the coming weeks. Observers say the timing will depend on negotiations and on whether additional resources are approved."]),
    ("Has anything like this happened in {place} before?",
     ["Similar debates have arisen in {place} in the past, though officials say the current situation is different in scale.",
      "Previous efforts stalled after lengthy consultations, which is one reason critics are pressing for faster decisions this time."]),
    ("Where can readers follow developments on {topic}?",
     ["BBN will continue to report on {topic} as new information becomes available, with updates published in the {section} section."]),
)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _slots(t: Topic, rng: random.Random) -> dict:
    return dict(
        subject=t.subject, Subject=_cap(t.subject), org=t.org, Org=_cap(t.org), group=t.group,
        place=t.place, person=t.person, role=t.role, topic=t.topic, unique_phrase=t.unique_phrase,
        last=t.person.split()[-1], section=CATEGORIES[t.category],
        n1=rng.randrange(12, 95) * 100, pct=rng.randrange(8, 40), n2=rng.choice((3, 5, 10, 15)),
        n3=rng.randrange(3, 12), year=rng.randrange(1998, 2016),
        weekday=rng.choice(WEEKDAYS), weekday2=rng.choice(WEEKDAYS),
    )


class SiteContent:
    """All posts, terms and listings of the site; identical for both editions except for
    `Post.body[2]` and `Post.modified[2]` of the edition-2 articles."""

    def __init__(self) -> None:
        self.posts: list[Post] = [self._make_post(i, t) for i, t in enumerate(TOPICS)]
        self.by_slug = {p.slug: p for p in self.posts}
        self.newest_first = sorted(self.posts, key=lambda p: p.published, reverse=True)
        self._link_posts()
        self.faq_word_post = self._place_faq_word()
        self._index_terms_and_paths()
        for p in self.newest_first[:FEATURED_COUNT]:
            p.specials.append("home-tracking-link")
        for p in self.newest_first[:FEED_COUNT]:
            p.specials.append("feed-tracking-link")

    def _index_terms_and_paths(self) -> None:
        """Categories, tags, authors and the posts by path, AMP path and id."""
        self.categories = [Term("category", name) for name in CATEGORIES.values()]
        self.tags = sorted({t for p in self.posts for t in p.tags}, key=lambda t: t.slug)
        self.authors = list(AUTHORS)
        self.by_path = {p.path: p for p in self.posts}
        self.by_amp_path = {p.amp_path: p for p in self.posts if p.amp}
        self.by_id = {p.post_id: p for p in self.posts}

    # -- posts
    def _make_post(self, i: int, t: Topic) -> Post:
        rank = _DATE_ORDER.index(i)
        published = (datetime(2023, 9, 30, tzinfo=UTC) - timedelta(days=rank)
                     + timedelta(hours=6 + (i * 5) % 13, minutes=(i * 17) % 60, seconds=(i * 29) % 60))
        changes = t.slug in EDITION2_SLUGS
        # every fifth article was never edited (no article:modified_time), except edition-2 ones
        modified1 = published if i % 5 == 0 and not changes else published + timedelta(
            hours=1 + i % 7, minutes=(i * 11) % 60, seconds=(i * 7) % 60)
        modified2 = (datetime(2023, 10, 4, 15, 30, tzinfo=UTC) + timedelta(minutes=7 * i)
                     if changes else modified1)
        theme = THEMES[i % 3]
        shape = FAQ_SHAPES[i % 8]
        authors = [AUTHORS[i % 6]]
        if t.slug in MULTI_AUTHOR_SLUGS:
            authors.append(AUTHORS[(i + 2) % 6])
        n_comments = (i * 7) % 6
        if theme == "gutenberg" and n_comments == 0:
            n_comments = 1
        comments = [Comment(COMMENTERS[(i + k) % 6], published + timedelta(hours=3 + 5 * k),
                            COMMENT_TEXTS[(i + 2 * k) % 6], 9000 + 10 * i + k) for k in range(n_comments)]
        rng = random.Random(f"bbn-sample-{i}")
        slots = _slots(t, rng)
        body1 = self._make_body(i, t, rng, slots)
        body2 = list(body1)
        if changes:
            revised = (f"Revised figures published by {t.org} on Wednesday put the number of people "
                       f"directly affected at about {slots['n1'] * 2 + 700:,}, well above the initial estimate.",)
            update = (f"Update, October 4, 2023: {_cap(t.org)} said on Wednesday that it had revised its "
                      f"assessment of {t.subject} after new information came to light, and promised a full "
                      f"statement later in the week.",)
            body2[2] = revised
            at = len(body2) - 1 if para_text(body2[-1]).startswith("Contributions") else len(body2)
            body2.insert(at, update)
        faqs = self._make_faqs(i, t, shape, slots)
        post = Post(
            index=i, topic=t, post_id=48000 + 41 * (len(TOPICS) - rank) + i % 7, theme=theme,
            faq_shape=shape, category=Term("category", CATEGORIES[t.category]),
            tags=[Term("tag", t.topic), Term("tag", t.tag2)], authors=authors,
            published=published, modified={1: modified1, 2: modified2}, comments=comments,
            body={1: body1, 2: body2}, faqs=faqs, charset="windows-1252" if t.slug == CP1252_SLUG else "utf-8",
            amp=t.slug in AMP_SLUGS, changes_in_edition_2=changes,
        )
        specials = post.specials
        if post.amp:
            specials.append("amp-copy-exists")
        if t.slug == FLAKY_SLUG:
            specials.append("503-twice")
        if post.charset != "utf-8":
            specials.append("cp1252")
        if changes:
            specials.append("changes-in-edition-2")
        if len(authors) > 1:
            specials.append("multiple-authors")
        if t.slug in (BROKEN_IN_BODY, BROKEN_IN_MORE_ABOUT):
            specials.append("links-404")
        if "&" in t.headline:
            specials.append("ampersand-headline")
        return post

    def _make_body(self, i: int, t: Topic, rng: random.Random, slots: dict) -> list[Paragraph]:
        generic = list(GENERIC)
        rng.shuffle(generic)
        k = 4 + i % 4
        chosen = [g.format(**slots) for g in generic[:k]]
        quote = f"“{t.quote},” {t.person}, {t.role}, told reporters on {slots['weekday']}."
        unique = rng.choice(UNIQUE).format(**slots)
        paras: list[Paragraph] = [(t.lede,), (quote,)]
        paras += [(c,) for c in chosen[:2]]
        paras.append((unique,))
        paras += [(c,) for c in chosen[2:]]
        paras += [(e,) for e in t.extra]
        if t.slug == BROKEN_IN_BODY:
            paras.append(("Forecasters have published a list of ",
                          A("weather alerts", BROKEN_TAG_PATH),
                          " for the coming days and advised residents to check it each morning."))
        if i % 3 == 0:
            c1, c2 = CONTRIBUTORS[i % 8], CONTRIBUTORS[(i + 3) % 8]
            paras.append((f"Contributions were made by reporters {c1} in {CITIES[i % 8]} "
                          f"and {c2} in {CITIES[(i + 5) % 8]}.",))
        return paras

    def _make_faqs(self, i: int, t: Topic, shape: str, slots: dict) -> list[Faq]:
        if shape == "none":
            return []
        count = 3 + i % 5
        faqs = []
        for q, answers in FAQ_TEMPLATES[:count]:
            answers = [a.format(**slots) for a in answers]
            if shape in ("yoast", "jsonld") and len(answers) > 1:
                answers = [" ".join(answers)]
            faqs.append(Faq(q.format(**slots), answers))
        return faqs

    def _link_posts(self) -> None:
        """Inline "earlier reporting" links, "More about" lists and "You may also like"."""
        for p in self.posts:
            same = sorted((q for q in self.posts if q.category == p.category and q is not p),
                          key=lambda q: abs((q.published - p.published).total_seconds()))
            others = sorted((q for q in self.posts if q.category != p.category),
                            key=lambda q: abs((q.published - p.published).total_seconds()))
            if p.index % 4 == 1:
                prev = same[0]
                link_para = ("The developments follow ", A("earlier reporting by BBN", prev.path),
                             " on related pressures, which prompted questions from several officials.")
                for ed in (1, 2):
                    body = p.body[ed]
                    at = len(body) - 1 if para_text(body[-1]).startswith("Contributions") else len(body)
                    body.insert(at, link_para)
            if p.slug not in NO_MORE_ABOUT_SLUGS:
                n = 2 + p.index % 3
                links = [A(q.headline, q.path) for q in same[:3]]
                if p.index % 3 == 0:
                    links.insert(1, A(f"{p.topic.topic}: background and timeline",
                                      EXTERNAL_REFERENCE.format(slug=p.slug)))
                tag2 = p.tags[1]
                links.insert(2, A(f"More coverage tagged {tag2.name}", tag2.path))
                p.more_about = links[:n]
                if p.slug == BROKEN_IN_MORE_ABOUT:
                    p.more_about.append(A("Council Vote Postponed Amid Petition Challenge", BROKEN_ARTICLE_PATH))
            if p.slug not in NO_ALSO_LIKE_SLUGS:
                n = 4 if p.index % 4 == 0 else 3
                p.also_like = (same + others)[:n]

    def _place_faq_word(self) -> Post:
        for p in self.posts:
            if p.theme == "soledad" and p.faq_shape == "h3" and not p.specials and not p.amp:
                faq = p.faqs[4] if len(p.faqs) > 4 else p.faqs[-1]
                faq.answers[-1] = faq.answers[-1] + " " + FAQ_ONLY_SENTENCE
                p.specials.append("faq-only-word")
                return p
        raise AssertionError("no article can carry the FAQ-only word")

    # -- listings
    @cached_property
    def editors_picks(self) -> list[Post]:
        return [self.by_slug[s] for s in ("grain-shipment-deal", "deep-sea-coral-survey", "football-stadium-vote")]

    def latest(self, n: int = 5) -> list[Post]:
        return self.newest_first[:n]

    def posts_in(self, kind: str, slug: str) -> list[Post] | None:
        """Newest-first posts of a listing ("home", "category", "tag", "author"); None if unknown."""
        if kind == "home":
            return self.newest_first
        if kind == "category":
            return [p for p in self.newest_first if p.category.slug == slug] or None
        if kind == "tag":
            return [p for p in self.newest_first if any(t.slug == slug for t in p.tags)] or None
        if kind == "author":
            return [p for p in self.newest_first if any(a.slug == slug for a in p.authors)] or None
        return None

    def term_name(self, kind: str, slug: str) -> str:
        if kind == "category":
            return next(c.name for c in self.categories if c.slug == slug)
        if kind == "tag":
            return next(t.name for t in self.tags if t.slug == slug)
        if kind == "author":
            return next(a.name for a in self.authors if a.slug == slug)
        return SITE_NAME

    @staticmethod
    def listing_path(kind: str, slug: str, page: int) -> str:
        root = "/" if kind == "home" else f"/{kind}/{slug}/"
        return root if page == 1 else f"{root}page/{page}/"

    def listing_pages(self, kind: str, slug: str) -> list[str]:
        posts = self.posts_in(kind, slug) or []
        pages = max(1, -(-len(posts) // PER_PAGE))
        return [self.listing_path(kind, slug, n) for n in range(1, pages + 1)]

    def all_listings(self) -> dict:
        return {
            "home": self.listing_pages("home", ""),
            "category": {c.slug: self.listing_pages("category", c.slug) for c in self.categories},
            "tag": {t.slug: self.listing_pages("tag", t.slug) for t in self.tags},
            "author": {a.slug: self.listing_pages("author", a.slug) for a in self.authors},
        }


_DATE_ORDER = random.Random(20230930).sample(range(len(TOPICS)), len(TOPICS))

CONTENT = SiteContent()
