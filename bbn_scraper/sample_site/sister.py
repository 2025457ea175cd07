"""The sister site: "The Daily Courier", a plain WordPress site (a Twenty Seventeen-like classic
theme) on its own loopback port, carrying rewritten copies of some of the sample site's
stories - new headline, light edits, paragraphs dropped or reordered - and stories of its own
that share a topic (subject, place, people, tags) with a sample-site story but not its text.

    with SisterSite(port=0) as sister:
        sister.manifest()   # every article: its URL, body, and `copy_of` (the original's path)

The labels make the story-clustering benchmark: a copy and its original are one story; every
other pair of articles across both sites is two.
"""
from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from .content import CONTENT, Post, _cap, para_text

SITE_NAME = "The Daily Courier"
COPY_EVERY = 2  # every second sample-site story (newest first) has a copy here
OWN_STORIES = 10  # stories of the sister's own, on the topic of a sample-site story
REWRITES = ("light-edits", "paragraphs-dropped", "paragraphs-reordered", "dropped-and-reordered", "lede-rewritten")

# Light edits: the wording a copy editor changes.
EDITS = (
    (r"\bsaid\b", "stated"), (r"\bofficials\b", "authorities"), (r"\babout\b", "roughly"),
    (r"\bBBN\b", "the Courier"), (r"\bon Monday\b", "earlier this week"), (r"\bon Thursday\b", "on Thursday evening"),
    (r"\bwarned\b", "cautioned"), (r"\bhowever\b", "though"), (r"\bpeople\b", "residents"),
    (r"\bcritics\b", "opponents"), (r"\bCritics\b", "Opponents"), (r"\bplan\b", "proposal"),
)
# The sister's own stories: its paragraphs, filled with a sample-site story's subject, place and people.
OWN = (
    "{Subject} was back on the agenda in {place} this week, as {org} prepared a fresh round of consultations with {group}.",
    "Speaking at a community hall on the edge of {place}, {person} told a small audience that {subject} would not be settled by statements alone.",
    "The Courier spoke to a dozen {group} over three days; most described months of waiting and very little direct contact with {org}.",
    "A retired teacher who has lived in {place} for forty years recalled that nothing comparable to {subject} had divided her neighbours before.",
    "Behind the scenes, advisers to {person} have sketched a compromise that would phase in any change over several seasons rather than all at once.",
    "Budget papers filed by {org} list {subject} under contingencies, with a provision that its auditors have twice asked to see explained.",
    "Volunteers have started a weekly newsletter on {subject}, printed in a church basement and handed out at the market in {place}.",
    "Two academics who study the region argue in a new paper that the dispute is as much about trust in {org} as about {subject} itself.",
    "At the market square on Saturday, stallholders taped handwritten notices about {subject} to their awnings, asking customers to sign a petition.",
    "The Courier will publish the full transcript of the meeting with {person} on its website later this month.",
)


@dataclass(frozen=True)
class SisterArticle:
    """One article of the sister site; `copy_of` is the sample-site post it rewrites (None: its own story)."""

    slug: str
    headline: str
    paragraphs: tuple[str, ...]
    post: Post  # the sample-site story it copies, or whose topic it shares
    copy_of: Post | None
    rewrite: str  # one of REWRITES, or "own-story"
    post_id: int

    @property
    def path(self) -> str:
        d = self.post.published + timedelta(hours=5)
        return f"/{d:%Y/%m/%d}/{self.slug}/"

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def _edit(text: str) -> str:
    for pattern, replacement in EDITS:
        text = re.sub(pattern, replacement, text)
    return text


def _copy(post: Post, n: int) -> SisterArticle:
    """A rewrite of `post`: the n-th copy takes REWRITES[n % len(REWRITES)]."""
    rng = random.Random(f"sister-copy-{post.slug}")
    kind = REWRITES[n % len(REWRITES)]
    paras = [para_text(p) for p in post.body[1]]
    lede, rest = paras[0], paras[1:]
    if kind in ("paragraphs-dropped", "dropped-and-reordered") and len(rest) > 3:
        for _ in range(2 if len(rest) > 5 else 1):
            rest.pop(rng.randrange(len(rest)))
    if kind in ("paragraphs-reordered", "dropped-and-reordered"):
        rng.shuffle(rest)
    if kind == "lede-rewritten":
        t = post.topic
        lede = f"{_cap(t.subject)} dominated the conversation in {t.place} on Tuesday, and {t.person} was at the centre of it."
    # a copy editor's light touch: every other paragraph reworded
    paras = [_edit(p) if k % 2 == 0 else p for k, p in enumerate([lede, *rest])]
    paras.append("This report draws on coverage by BBN – Big Big News.")
    topic = post.topic
    headline = f"{topic.topic}: What We Know About {_cap(topic.subject)} in {topic.place}"
    return SisterArticle(f"{post.slug}-courier", headline, tuple(paras), post, post, kind, 7000 + n)


def _own(post: Post, n: int) -> SisterArticle:
    """A story of the sister's own on `post`'s topic: the same names, other words."""
    t = post.topic
    rng = random.Random(f"sister-own-{post.slug}")
    slots = dict(subject=t.subject, Subject=_cap(t.subject), place=t.place, person=t.person, org=t.org, group=t.group)
    chosen = rng.sample(OWN, 6)
    paras = [p.format(**slots) for p in chosen]
    headline = f"In {t.place}, {t.group.title()} Weigh {t.topic}"
    return SisterArticle(f"{t.slug}-voices-from-{re.sub(r'[^a-z]+', '-', t.place.lower()).strip('-')}",
                         headline, tuple(paras), post, None, "own-story", 7500 + n)


def _articles() -> list[SisterArticle]:
    posts = CONTENT.newest_first
    copies = [_copy(p, n) for n, p in enumerate(posts[::COPY_EVERY])]
    # own stories on the topics of copied and of uncopied stories alike
    own = [_own(p, n) for n, p in enumerate(posts[1::3][:OWN_STORIES])]
    return copies + own


ARTICLES = _articles()
BY_PATH = {a.path: a for a in ARTICLES}


def _page(base: str, title: str, body_class: str, main: str, canonical: str | None = None, head: str = "") -> str:
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>{escape(title)} &#8211; {SITE_NAME}</title>{link}{head}</head>
<body class="{body_class}"><div id="page" class="site">
<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title"><a href="{base}" rel="home">{SITE_NAME}</a></p>
<p class="site-description">News from the coast and beyond</p></div>
<nav id="site-navigation" class="main-navigation"><ul><li><a href="{base}">Home</a></li></ul></nav></header>
<div id="content" class="site-content"><main id="main" class="site-main">{main}</main></div>
<footer id="colophon" class="site-footer"><p>&copy; 2023 {SITE_NAME}. Proudly powered by WordPress.</p></footer>
</div></body></html>"""


def article_page(base: str, a: SisterArticle) -> str:
    url = base + a.path.lstrip("/")
    when = a.post.published + timedelta(hours=5)
    author = a.post.authors[0].name
    topic = a.post.topic
    paras = "\n".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)
    head = (f'<meta property="og:type" content="article"><meta property="og:title" content="{escape(a.headline)}">'
            f'<meta property="article:published_time" content="{when.isoformat()}">')
    main = f"""<article id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish format-standard hentry">
<header class="entry-header"><div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{when.isoformat()}">{when:%B} {when.day}, {when:%Y}</time></span>
<span class="byline"> by <span class="author vcard"><a class="url fn n" href="{base}author/courier-staff/" rel="author">{escape(author)}</a></span></span></div>
<h1 class="entry-title">{escape(a.headline)}</h1></header>
<div class="entry-content">
{paras}
</div>
<footer class="entry-footer"><span class="cat-links"><a href="{base}category/{a.post.category.slug}/" rel="category tag">{escape(a.post.category.name)}</a></span>
<span class="tags-links"><a href="{base}tag/{a.post.tags[0].slug}/" rel="tag">{escape(topic.topic)}</a></span></footer>
</article>"""
    return _page(base, a.headline, f"post-template-default single single-post postid-{a.post_id} single-format-standard",
                 main, url, head)


def listing_page(base: str, path: str) -> str | None:
    """The home page, or a category, tag or author archive: its articles' links; None: no such page."""
    if path == "/":
        title, body_class, articles = "Latest", "home blog", ARTICLES
    else:
        kind, _, slug = path.strip("/").partition("/")
        articles = [a for a in ARTICLES if (kind, slug) in (
            ("category", a.post.category.slug), ("tag", a.post.tags[0].slug), ("author", "courier-staff"))]
        if not articles or slug.count("/"):
            return None
        title, body_class = slug.replace("-", " ").title(), f"archive {kind}"
    items = "\n".join(f'<li><a href="{base}{a.path.lstrip("/")}">{escape(a.headline)}</a></li>' for a in articles)
    return _page(base, title, body_class, f'<h2 class="page-title">{escape(title)}</h2><ul class="posts">{items}</ul>')


def manifest(base_url: str) -> dict:
    """The sister site's articles, URLs absolute under `base_url`, with their labels."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return {
        "site_name": SITE_NAME,
        "base_url": base,
        "articles": [{
            "path": a.path, "url": base + a.path.lstrip("/"), "headline": a.headline, "body": a.body,
            "copy_of": a.copy_of.path if a.copy_of else None, "rewrite": a.rewrite, "topic": a.post.topic.topic,
            "topic_of": a.post.path,
        } for a in ARTICLES],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802
        base = self.server.base_url
        path = unquote(urlsplit(self.path).path) or "/"
        listing = None if path in BY_PATH or not path.endswith("/") else listing_page(base, path)
        if path == "/robots.txt":
            status, ctype, text = 200, "text/plain; charset=utf-8", "User-agent: *\nAllow: /\n"
        elif path in BY_PATH:
            status, ctype, text = 200, "text/html; charset=UTF-8", article_page(base, BY_PATH[path])
        elif listing is not None:
            status, ctype, text = 200, "text/html; charset=UTF-8", listing
        else:  # /feed/ and /sitemap_index.xml among them: the Courier has neither
            status, ctype, text = 404, "text/html; charset=UTF-8", _page(base, "Page not found", "error404", "<h1>Not found</h1>")
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    base_url: str


class SisterSite:
    """The sister site served on loopback from a background thread (port 0: a free port)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        if not host.startswith("127."):
            raise ValueError(f"the sister site only listens on loopback, not {host!r}")
        self._server = _Server((host, port), _Handler)
        self.host, self.port = host, self._server.server_address[1]
        self._server.base_url = self.base_url
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def manifest(self) -> dict:
        return manifest(self.base_url)

    def start(self) -> SisterSite:
        self._thread = threading.Thread(target=self._server.serve_forever, name="bbn-sister-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SisterSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
