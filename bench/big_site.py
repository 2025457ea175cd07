"""A generated BBN-style site of N articles on 127.0.0.1, for the crawl benchmarks.

    python bench/big_site.py --articles 5000 [--port 0] [--new 20] [--newest ISO] [--change I[:lastmod],...]

prints `ready http://127.0.0.1:PORT/ pages=P` on stdout once every page is rendered, then
serves until killed (or until its stdin closes, so it never outlives the benchmark runner).
With `--new N`, a line `day2` on stdin publishes N newer articles (the next day's news, on the
first listing pages) and changes the articles `--change` numbers (0: the newest of day 2; with
`:lastmod` their modified date, hence sitemap <lastmod> and Last-Modified, moves to `--newest`;
without, only their text changes): the site re-renders and answers `day2 pages=P`.
`--newest` dates the newest article (default 2023-09-30 18:00 UTC); posts are 3 h 17 min apart.
Every 200 carries an ETag, an article's a hash of the article itself (as a CMS computes it from
the post's revision: the page's sidebar of newest posts changes every day), any other page's a
hash of its bytes; a matching If-None-Match, or without one an If-Modified-Since not older than
Last-Modified, is answered 304 without a body.

Pages are rendered by the bundled sample site's own code (`Renderer`, `resolve`), imported and
not modified: N posts cycling through its 36 topics (three themes, eight FAQ shapes, "More
about" and "You may also like" lists, comments, an AMP copy every 500 articles), home, category,
tag and author listings with pagination (10 posts a page, as WordPress), robots.txt, a Yoast
sitemap index and post sitemap with <lastmod>, and the RSS feed. Every page is rendered once at
start-up and served from memory by a stdlib ThreadingHTTPServer, so that the server costs the
same for every crawler measured against it.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bbn_scraper.sample_site.content import (  # noqa: E402
    AUTHORS, CATEGORIES, COMMENT_TEXTS, COMMENTERS, FAQ_SHAPES, THEMES, A, Comment, Post, SiteContent, Term,
)
from bbn_scraper.sample_site.render import Renderer  # noqa: E402
from bbn_scraper.sample_site.routes import Response, resolve  # noqa: E402
from bbn_scraper.sample_site.topics import TOPICS  # noqa: E402

UTC = timezone.utc
NEWEST = datetime(2023, 9, 30, 18, 0, tzinfo=UTC)
AMP_EVERY = 500


class BigContent(SiteContent):
    """The sample site's content model with `n` generated posts (the sample site has 36).
    Post i takes topic i % 36 with its slug and headline numbered, is published 3 h 17 min
    after post i + 1, and links to its neighbours in its category."""

    def __init__(self, n: int, first: int = 0, newest: datetime = NEWEST,
                 changed: dict[int, bool] | None = None) -> None:  # noqa: super().__init__ builds the 36 sample posts
        """Posts first .. first + n - 1: with `first` = N, the site before its N newest posts.
        `changed`: post index -> whether its change comes with a newer modified date."""
        self.newest = newest
        self.posts = [self._make_big_post(i) for i in range(first, first + n)]
        self.by_slug = {p.slug: p for p in self.posts}
        self.newest_first = sorted(self.posts, key=lambda p: p.published, reverse=True)
        self._link_neighbours()
        by_index = {p.index: p for p in self.posts}
        for i, newer in (changed or {}).items():
            if i in by_index:
                self._change(by_index[i], newer)
        self._index_terms_and_paths()
        self._listings: dict[tuple[str, str], list[Post]] = {("home", ""): self.newest_first}
        for p in self.newest_first:
            for key in [("category", p.category.slug)] + [("tag", t.slug) for t in p.tags] + \
                       [("author", a.slug) for a in p.authors]:
                self._listings.setdefault(key, []).append(p)

    def _make_big_post(self, i: int) -> Post:
        base = TOPICS[i % len(TOPICS)]
        round_ = i // len(TOPICS) + 1
        topic = dataclasses.replace(
            base, slug=f"{base.slug}-{i + 1}",
            headline=base.headline if round_ == 1 else f"{base.headline}, Report {round_}",
            unique=f"{base.unique}{i + 1}", unique_phrase=base.unique_phrase.replace(base.unique, f"{base.unique}{i + 1}"),
        )
        published = self.newest - timedelta(minutes=197 * i, seconds=(i * 29) % 60)
        modified = published if i % 5 == 0 else published + timedelta(hours=1 + i % 7, minutes=(i * 11) % 60)
        theme = THEMES[i % 3]
        authors = [AUTHORS[i % 6]] + ([AUTHORS[(i + 2) % 6]] if i % 37 == 5 else [])
        n_comments = (i * 7) % 6 or (1 if theme == "gutenberg" else 0)
        comments = [Comment(COMMENTERS[(i + k) % 6], published + timedelta(hours=3 + 5 * k),
                            COMMENT_TEXTS[(i + 2 * k) % 6], 900000 + 10 * i + k) for k in range(n_comments)]
        rng = random.Random(f"bbn-big-{i}")
        slots = _slots(topic, rng)
        body = self._make_body(i, topic, rng, slots)
        shape = FAQ_SHAPES[i % 8]
        return Post(
            index=i, topic=topic, post_id=100000 + i, theme=theme, faq_shape=shape,
            category=Term("category", CATEGORIES[topic.category]),
            tags=[Term("tag", base.topic), Term("tag", base.tag2)], authors=authors,
            published=published, modified={1: modified, 2: modified}, comments=comments,
            body={1: body, 2: list(body)}, faqs=self._make_faqs(i, topic, shape, slots),
            amp=i % AMP_EVERY == 7,
        )

    def _change(self, p: Post, newer: bool) -> None:
        """A correction appended to the post's text; `newer`: its modified date moves too."""
        update = (f"Correction: an earlier version of this article misstated a figure in {p.topic.subject}.",)
        p.body[1] = p.body[1] + [update]
        p.body[2] = list(p.body[1])
        if newer:
            p.modified = {1: self.newest, 2: self.newest}

    def _link_neighbours(self) -> None:
        """"Earlier reporting" links, "More about" and "You may also like": the nearest posts
        of the same category by date (O(n), unlike the sample site's all-pairs sort)."""
        by_category: dict[str, list[Post]] = {}
        for p in self.newest_first:
            by_category.setdefault(p.category.slug, []).append(p)
        for posts in by_category.values():
            for j, p in enumerate(posts):
                same = [posts[k] for k in (j + 1, j - 1, j + 2, j - 2, j + 3) if 0 <= k < len(posts)]
                if not same:
                    continue
                if p.index % 4 == 1:
                    p.body[1].append(("The developments follow ", A("earlier reporting by BBN", same[0].path),
                                      " on related pressures, which prompted questions from several officials."))
                    p.body[2] = list(p.body[1])
                links = [A(q.headline, q.path) for q in same[:3]]
                links.insert(min(2, len(links)), A(f"More coverage tagged {p.tags[1].name}", p.tags[1].path))
                p.more_about = links[: 2 + p.index % 3]
                p.also_like = same[: 4 if p.index % 4 == 0 else 3]

    @cached_property
    def editors_picks(self) -> list[Post]:
        return self.newest_first[10:13]

    @property
    def faq_word_post(self) -> Post:  # not used by the renderer; the sample site's manifest only
        return self.posts[0]

    def posts_in(self, kind: str, slug: str) -> list[Post] | None:
        return self._listings.get((kind, slug if kind != "home" else ""))

    def term_name(self, kind: str, slug: str) -> str:
        if kind == "tag":
            return self._tag_names[slug]
        return super().term_name(kind, slug)

    @cached_property
    def _tag_names(self) -> dict[str, str]:
        return {t.slug: t.name for t in self.tags}


class BigRenderer(Renderer):
    """The sample site's renderer with WordPress' own pagination (`paginate_links`, end_size 1,
    mid_size 2: "« 1 … 4 5 [6] 7 8 … 500 »"): the sample site lists every page number, which
    is right for its 4 pages and not for 500."""

    def pagination(self, kind: str, slug: str, page: int, pages: int) -> str:
        if pages <= 1:
            return ""
        link = lambda n: self.u(self.c.listing_path(kind, slug, n))  # noqa: E731
        shown = sorted({1, pages} | {n for n in range(page - 2, page + 3) if 1 <= n <= pages})
        items = []
        if page > 1:
            items.append(f'<li><a class="prev page-numbers" href="{link(page - 1)}">&laquo; Previous</a></li>')
        previous = 0
        for n in shown:
            if n > previous + 1:
                items.append('<li><span class="page-numbers dots">&hellip;</span></li>')
            items.append(f'<li><span aria-current="page" class="page-numbers current">{n}</span></li>' if n == page
                         else f'<li><a class="page-numbers" href="{link(n)}">{n}</a></li>')
            previous = n
        if page < pages:
            items.append(f'<li><a class="next page-numbers" href="{link(page + 1)}">Next &raquo;</a></li>')
        return '<div class="penci-pagination"><ul class="page-numbers">' + "".join(items) + "</ul></div>"


def _slots(topic, rng: random.Random) -> dict:
    from bbn_scraper.sample_site.content import _slots as sample_slots
    return sample_slots(topic, rng)


def site_paths(content: BigContent) -> list[str]:
    """Every path a crawler of the site can reach: robots, sitemaps, feed, listings, articles, AMP copies."""
    paths = ["/robots.txt", "/sitemap_index.xml", "/post-sitemap.xml", "/category-sitemap.xml", "/feed/"]
    for kind, slug in content._listings:
        paths += content.listing_pages(kind, slug)
    paths += [p.path for p in content.newest_first]
    paths += [p.amp_path for p in content.newest_first if p.amp]
    return paths


def article_paths(content: BigContent) -> list[str]:
    return [p.path for p in content.newest_first]


def render_all(content: BigContent, base_url: str) -> dict[str, Response]:
    renderer = BigRenderer(base_url, 1, content)
    pages = {path: resolve(renderer, path) for path in site_paths(content)}
    for path, resp in pages.items():
        post = content.by_path.get(path)
        if resp.status == 200:
            what = repr((post.headline, post.body[1], post.modified[1])).encode() if post else resp.body
            resp.headers["ETag"] = f'"{hashlib.sha256(what).hexdigest()[:20]}"'
    return pages


def not_modified(resp: Response, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """Whether a conditional GET of `resp` is answered 304 (RFC 9110 13.2.2: If-None-Match first)."""
    if resp.status != 200:
        return False
    if if_none_match is not None:
        return resp.headers.get("ETag") in [tag.strip() for tag in if_none_match.split(",")]
    try:
        return bool(if_modified_since and "Last-Modified" in resp.headers) and (
            parsedate_to_datetime(resp.headers["Last-Modified"]) <= parsedate_to_datetime(if_modified_since))
    except (TypeError, ValueError):
        return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bbn-big-site/1.0"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stalls
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        resp = self.server.pages.get(path) if not parts.query or path != "/" else None
        if resp is None:
            resp = resolve(self.server.renderer, path, parts.query)  # 404s, redirects, ?p= shortlinks
        self.server.count()
        if not_modified(resp, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")):
            self.send_response(304)
            for name in ("ETag", "Last-Modified"):
                if name in resp.headers:
                    self.send_header(name, resp.headers[name])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(resp.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, content: BigContent):
        super().__init__(address, _Handler)
        self.base_url = f"http://{address[0]}:{self.server_address[1]}/"
        self.publish(content)
        self._lock = threading.Lock()
        self.requests = 0

    def publish(self, content: BigContent) -> None:
        """Serve `content` from now on, every page rendered first."""
        pages = render_all(content, self.base_url)
        self.renderer, self.pages = BigRenderer(self.base_url, 1, content), pages

    def count(self) -> None:
        with self._lock:
            self.requests += 1


def serve(articles: int, port: int = 0, new: int = 0, newest: datetime = NEWEST) -> _Server:
    """A server bound to 127.0.0.1:port (0: a free port) with every page rendered; not yet
    serving. With `new`, the site as it was before its `new` newest articles."""
    return _Server(("127.0.0.1", port), BigContent(articles, first=new, newest=newest))


def parse_changes(text: str) -> dict[int, bool]:
    """`--change 250,1000:lastmod` -> {250: False, 1000: True}."""
    changes = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        index, _, how = part.partition(":")
        if not index.isdigit() or how not in ("", "lastmod"):
            raise SystemExit(f"--change: {part!r} is not INDEX or INDEX:lastmod")
        changes[int(index)] = how == "lastmod"
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--new", type=int, default=0, help="articles a `day2` line on stdin publishes")
    parser.add_argument("--newest", type=datetime.fromisoformat, default=NEWEST, help="the newest article's date (ISO 8601)")
    parser.add_argument("--change", default="", help="articles a `day2` line changes: INDEX[:lastmod],...")
    args = parser.parse_args()
    changes = parse_changes(args.change)
    started = time.perf_counter()
    server = serve(args.articles, args.port, args.new, args.newest)
    listing = sum(1 for p in server.pages if p.startswith(("/page/", "/category/", "/tag/", "/author/")) or p == "/")
    print(f"ready {server.base_url} pages={len(server.pages)} articles={args.articles} listings={listing} "
          f"rendered_in={time.perf_counter() - started:.1f}s", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for line in sys.stdin:  # the runner holds our stdin open; EOF (runner gone) stops us
            if line.strip() == "day2" and args.new:
                server.publish(BigContent(args.articles + args.new, newest=args.newest, changed=changes))
                print(f"day2 pages={len(server.pages)}", flush=True)
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
