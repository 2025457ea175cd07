"""A million-article archive: how search, Datasette, the reading room (front page, story page,
filtered search: issue 25), export, stats, verify and the store path behave when the archive
is that large (issue 17, item 2).

    python bench/million_bench.py [--articles 1000000] [--rebuild] [--build-only]

Synthesis (`Synth`, seeded, so every build of a size is the same archive): 80,000 pseudo-words
(syllable strings, shorter ones more frequent, as in real text), drawn with a Zipf law
(exponent 1.0) for headlines, summaries, bodies and FAQ pairs; body lengths log-normal
(median 300 words, 60 to 2,500); 6,000 authors (1-3 per article), 25,000 tags (0-6 per article)
and 60 sections, each Zipf-distributed (a long tail); 8 sites; publication dates over 2012-2026,
more in later years; FAQ pairs (3-6) on 30% of articles; 3 related and 4 "you may also like"
links each; one raw page (a page template around the body, zlib) for 1 article in 20: pages
dominate the file (a crawl's ~20 kB per article) and a million of them would need ~20 GB of a
shared disk, while the search, facets, verify and export measured here never read them; bytes
per article are given as measured and with every page extrapolated.

Build: the archive is created by `Archive` (migrations applied), then filled with plain
INSERTs in its own schema, 10,000 articles per transaction (synthesised meanwhile by two worker
processes), its FTS triggers keeping the indexes in step (`verify` checks the result), and
every article put in its story as store_article does it (`Stories.assign`, the MinHash
signatures computed by the same workers), so that the store rate is measured against a full
LSH index. Cached
as bench/results/million-<N>.db (and .json), rebuilt when SYNTH_VERSION changes; a build
stopped by --minutes (or killed) is continued by the next run, and the figures are then those
of the part built, said so in the table.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import multiprocessing
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import Archive  # noqa: E402
from archive.columns import article_columns  # noqa: E402
from archive.stories import Stories, StorySettings, signature  # noqa: E402
from archive.model import Article, Faq, Link, content_hash, url_key  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SYNTH_VERSION = 2  # bump when the synthesis changes: cached archives are rebuilt
BATCH = 10_000
WORKERS = 2
VOCAB, AUTHORS, TAGS, SECTIONS, SITES = 80_000, 6_000, 25_000, 60, 8
STOPWORDS = 100  # the most frequent words: queries are drawn from the words after them
COMMON = 10  # the rank of the word (`diw`) in ~89% of the articles: the most hits a date order sorts
START = datetime(2012, 1, 1, tzinfo=timezone.utc)
SPAN_DAYS = 365 * 14 + 180
FETCHED = datetime(2026, 7, 1, tzinfo=timezone.utc)
_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"
_CHROME = ("<header><nav>" + "".join(f'<a href="/category/section-{i}/">Section {i}</a>' for i in range(40))
           + "</nav></header>")
_FOOTER = "<footer>" + "".join(f'<a href="/page-{i}/">About page {i}</a>' for i in range(30)) + "</footer>"


def _pseudo_words(count: int, rng: random.Random) -> list[str]:
    """`count` distinct lower-case pseudo-words, shorter ones first (the frequent ranks)."""
    words, seen = [], set()
    syllables = 1
    while len(words) < count:
        for _ in range(count * 3):
            w = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))
            w += rng.choice(_CONSONANTS) if rng.random() < 0.5 else ""
            if w not in seen:
                seen.add(w)
                words.append(w)
                if len(words) == count or len(words) >= 40 * 5 ** syllables:
                    break
        syllables += 1
    return words[:count]


class Zipf:
    """Ranks 0..n-1 drawn with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float = 1.0):
        weights = 1.0 / np.arange(1, n + 1) ** s
        self.cdf = np.cumsum(weights) / weights.sum()

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, rng.random(size)), len(self.cdf) - 1)


class Synth:
    """The synthetic articles: article k is the same for every build (seeded by k's batch)."""

    def __init__(self) -> None:
        rng = random.Random(17)
        self.words = np.array(_pseudo_words(VOCAB, rng), dtype=object)
        self.word_zipf = Zipf(VOCAB)
        self.authors = [f"{w1.capitalize()} {w2.capitalize()}" for w1, w2 in
                        zip(_pseudo_words(AUTHORS * 2, random.Random(1))[::2], _pseudo_words(AUTHORS * 2, random.Random(1))[1::2])]
        self.tags = [f"{w}" for w in _pseudo_words(TAGS, random.Random(2))]
        self.sections = [w.capitalize() for w in _pseudo_words(SECTIONS, random.Random(3))]
        self.author_zipf, self.tag_zipf, self.section_zipf = Zipf(AUTHORS, 1.1), Zipf(TAGS), Zipf(SECTIONS, 1.2)
        self.sites = [f"news{i}.example" for i in range(SITES)]

    def batch(self, start: int, count: int) -> list[Article]:
        """Articles start..start+count-1 as `archive.model.Article`s (every random draw of the batch
        made at once: numpy calls per article would cost more than the archive's inserts)."""
        rng = np.random.default_rng([SYNTH_VERSION, start])
        body = np.clip(rng.lognormal(math.log(300), 0.6, count), 60, 2500).astype(int)
        head, summary = rng.integers(6, 13, count), rng.integers(20, 36, count)
        n_faqs = rng.integers(3, 7, count) * (rng.random(count) < 0.3)
        questions, answers = rng.integers(6, 11, n_faqs.sum()), rng.integers(20, 51, n_faqs.sum())
        total = int(body.sum() + head.sum() + summary.sum() + questions.sum() + answers.sum())
        words = self.words[self.word_zipf.sample(rng, total)].tolist()
        n_authors, n_tags = rng.integers(1, 4, count), rng.integers(0, 7, count)
        authors = iter(self.author_zipf.sample(rng, n_authors.sum()).tolist())
        tags = iter(self.tag_zipf.sample(rng, n_tags.sum()).tolist())
        sections = self.section_zipf.sample(rng, count).tolist()
        sites = np.minimum(rng.zipf(1.6, count) - 1, SITES - 1).tolist()
        days = ((rng.random(count) ** 0.7) * SPAN_DAYS).tolist()  # more articles in later years
        hours, comments = rng.integers(0, 48, count).tolist(), rng.integers(0, 200, count).tolist()
        others = (rng.random((count, 7)) * np.maximum(np.arange(start, start + count), 1)[:, None]).astype(int).tolist()
        lengths = iter(zip(questions.tolist(), answers.tolist()))

        at = 0

        def take(n: int) -> list[str]:
            nonlocal at
            at += n
            return words[at - n:at]

        out = []
        for i in range(count):
            k, site = start + i, self.sites[sites[i]]
            body_words = take(body[i])
            paragraphs = [" ".join(body_words[j:j + 60]).capitalize() + "." for j in range(0, len(body_words), 60)]
            headline = " ".join(take(head[i])).capitalize()
            published = START + timedelta(days=days[i])
            url = f"https://{site}/{published:%Y/%m}/{'-'.join(headline.lower().split()[:5])}-{k}/"
            names = list(dict.fromkeys(self.authors[next(authors)] for _ in range(n_authors[i])))
            labels = list(dict.fromkeys(self.tags[next(tags)] for _ in range(n_tags[i])))
            faqs = []
            for _ in range(n_faqs[i]):
                q, a = next(lengths)
                faqs.append(Faq(" ".join(take(q)).capitalize() + "?", " ".join(take(a)).capitalize() + "."))
            links = [Link(f"Story {o}", f"https://{site}/story-{o}/") for o in others[i]]
            out.append(Article(
                url=url, canonical_url=url, canonical_source="canonical", headline=headline,
                byline="By " + " and ".join(names), authors=names, published=published,
                modified=published + timedelta(hours=hours[i]), section=self.sections[sections[i]], tags=labels,
                summary=" ".join(take(summary[i])).capitalize() + ".", language="en", word_count=len(body_words),
                body="\n\n".join(paragraphs), body_html="".join(f"<p>{p}</p>" for p in paragraphs), faqs=faqs,
                related_links=links[:3], related_articles=links[3:], comment_count=comments[i],
                topic=labels[0] if labels else None, image_url=f"https://{site}/images/{k}.jpg",
            ))
        return out

    def page(self, article: Article) -> bytes:
        """The raw page of `article`: a site template around its headline and body."""
        return (f'<!doctype html><html lang="en"><head><title>{article.headline}</title>'
                f'<link rel="canonical" href="{article.canonical_url}"></head><body>{_CHROME}'
                f'<article><h1>{article.headline}</h1><p class="byline">{article.byline}</p>'
                f'{article.body_html}</article>{_FOOTER}</body></html>').encode()

    def queries(self, count: int = 50) -> list[str]:
        """`count` searches: 3 in 5 of one word, the rest of two, each word drawn with the
        corpus's Zipf law from the words after the STOPWORDS most frequent."""
        rng = np.random.default_rng(99)
        content = Zipf(VOCAB - STOPWORDS)
        out = []
        for i in range(count):
            ranks = content.sample(rng, 1 if i % 5 < 3 else 2) + STOPWORDS
            out.append(" ".join(self.words[r] for r in ranks))
        return out


# ----------------------------------------------------------------------------- build

def _rows(columns, articles: list[Article], first_id: int, ids: dict, crawl_id: int, synth: Synth):
    """The INSERT parameters of `articles` (ids from first_id) in the archive's own tables."""
    now = FETCHED.isoformat()
    art, authors, tags, faqs, links, urls, sightings, pages, signatures = [], [], [], [], [], [], [], [], []
    settings = StorySettings()
    for i, a in enumerate(articles):
        aid = first_id + i
        row = columns.row(a)
        art.append((aid, url_key(a.canonical_url), *row.values(), content_hash(a), "synth", now, now, crawl_id))
        authors += [(aid, ids["authors"][n], p) for p, n in enumerate(a.authors, 1)]
        tags += [(aid, ids["tags"][n], p) for p, n in enumerate(a.tags, 1)]
        faqs += [(aid, p, f.question, f.answer) for p, f in enumerate(a.faqs, 1)]
        links += [(aid, kind, p, x.text, x.url) for kind, xs in (("related", a.related_links),
                  ("also_like", a.related_articles)) for p, x in enumerate(xs, 1)]
        urls.append((a.canonical_url, url_key(a.canonical_url), aid, now))
        sightings.append((crawl_id, aid, a.url, "new", now))
        minhash = signature(a.body, settings)  # the story clustering's CPU share, in the pool
        if minhash is not None:
            signatures.append((aid, minhash.hashvalues))
        if aid % 20 == 0:
            raw = synth.page(a)
            pages.append((a.url, crawl_id, now, 200, "text/html; charset=UTF-8", len(raw),
                          hashlib.sha256(raw).hexdigest(), "zlib", zlib.compress(raw)))
    return art, authors, tags, faqs, links, urls, sightings, pages, signatures


_SYNTH: Synth | None = None


def _batch_rows(job: tuple[int, int, int]) -> tuple[list, ...]:
    """A pool worker's share of the build: the INSERT parameters of one batch."""
    global _SYNTH
    start, count, crawl_id = job
    _SYNTH = _SYNTH or Synth()
    ids = {"authors": {n: i for i, n in enumerate(_SYNTH.authors, 1)}, "tags": {n: i for i, n in enumerate(_SYNTH.tags, 1)}}
    return _rows(article_columns(), _SYNTH.batch(start, count), start + 1, ids, crawl_id, _SYNTH)


def _bounded(pool, jobs: list, ahead: int):
    """pool.imap(_batch_rows, jobs) with at most `ahead` batches waiting in memory."""
    pending: list = []
    for job in jobs:
        pending.append(pool.apply_async(_batch_rows, (job,)))
        if len(pending) > ahead:
            yield pending.pop(0).get()
    for result in pending:
        yield result.get()


def build(articles: int, rebuild: bool = False, minutes: float | None = None, log=print) -> tuple[Path, dict]:
    """The cached archive of `articles` synthetic articles. An unfinished build (stopped by
    `minutes`, or killed: each batch is one transaction) is continued where it stopped, the
    batches being the same whenever they are made; `meta["articles"]` is what it holds."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path, meta_path = RESULTS / f"million-{articles}.db", RESULTS / f"million-{articles}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and not rebuild else {}
    if meta.get("synth_version") != SYNTH_VERSION or not path.exists():
        for stale in list(RESULTS.glob(f"million-{articles}.db*")) + [meta_path]:
            stale.unlink(missing_ok=True)
        meta = {"target": articles, "synth_version": SYNTH_VERSION, "seconds": 0.0, "complete": False}
        meta_path.write_text(json.dumps(meta, indent=1))
    if meta.get("complete"):
        return path, {**meta, "cached": True}
    started = time.perf_counter()
    synth = Synth()
    with Archive(path, create=True) as archive:
        columns = archive.columns
        crawl = archive.db.execute("SELECT id FROM crawls ORDER BY id LIMIT 1").fetchone()
        crawl_id = crawl[0] if crawl else archive.start_crawl(["https://news0.example/"], {"synthesised": True})
    names = ["id", "url_key", *columns.names, "content_hash", "parser_version", "first_seen", "last_seen", "crawl_id"]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")  # one big transaction at a time: no WAL to grow
    conn.execute("PRAGMA synchronous = OFF")  # an OS crash mid-build would need --rebuild
    conn.execute("PRAGMA cache_size = -500000")
    stories = Stories(conn)
    done = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    log(f"  building a {articles:,}-article archive in {path.relative_to(ROOT)} (kept for later runs)"
        f"{f', from {done:,}' if done else ''} ...")
    if not done:
        with conn:
            for table, values in (("authors", synth.authors), ("tags", synth.tags)):
                conn.executemany(f"INSERT OR IGNORE INTO {table} (id, name) VALUES (?, ?)", enumerate(values, 1))
    sql = {
        "articles": f"INSERT INTO articles ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        "article_authors": "INSERT INTO article_authors (article_id, author_id, position) VALUES (?, ?, ?)",
        "article_tags": "INSERT INTO article_tags (article_id, tag_id, position) VALUES (?, ?, ?)",
        "faqs": "INSERT INTO faqs (article_id, position, question, answer) VALUES (?, ?, ?, ?)",
        "links": "INSERT INTO links (article_id, kind, position, text, url) VALUES (?, ?, ?, ?, ?)",
        "article_urls": "INSERT INTO article_urls (url, url_key, article_id, first_seen) VALUES (?, ?, ?, ?)",
        "article_sightings": "INSERT INTO article_sightings (crawl_id, article_id, url, outcome, at) VALUES (?, ?, ?, ?, ?)",
        "pages": "INSERT INTO pages (url, crawl_id, fetched_at, status, content_type, size, sha256, compression, body)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    }
    batches = [] if minutes is not None and minutes <= 0 else [
        (start, min(BATCH, articles - start), crawl_id) for start in range(done, articles, BATCH)]
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:  # synthesis beside the inserts
        for rows in _bounded(pool, batches, ahead=2 * WORKERS):
            with conn:
                for statement, params in zip(sql.values(), rows):
                    conn.executemany(statement, params)
                for article_id, hashvalues in rows[-1]:  # clustered as store_article does it
                    stories.assign(article_id, hashvalues)
            done += len(rows[0])
            if done % 100_000 == 0 or done == articles:
                log(f"    {done:,} articles, {meta['seconds'] + time.perf_counter() - started:,.0f} s")
            if minutes is not None and time.perf_counter() - started > 60 * minutes:
                pool.terminate()
                break
    with conn:
        conn.execute("UPDATE crawls SET status = 'finished', finished = ? WHERE id = ?", [FETCHED.isoformat(), crawl_id])
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    with Archive(path):  # migrations (none pending) and the WAL mode, as any command opens it
        pass
    meta.update(articles=done, seconds=meta["seconds"] + time.perf_counter() - started, complete=done >= articles,
                built=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    meta_path.write_text(json.dumps(meta, indent=1))
    if not meta["complete"]:
        log(f"  the build stopped at {done:,} of {articles:,} articles (--million-minutes): the next run continues it")
    return path, {**meta, "cached": False}


# ----------------------------------------------------------------------------- measures

def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank


def search_latency(path: Path, synth: Synth, repeats: int = 3) -> dict:
    """Median and p95 (ms) over `Synth.queries` of each query's median of `repeats` timings of
    `Archive.search(q, limit=20)`, warm (one untimed run first)."""
    per_query = {}
    with Archive(path) as archive:
        for q in synth.queries():
            found = len(archive.search(q, limit=20))
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                archive.search(q, limit=20)
                times.append((time.perf_counter() - t) * 1000)
            per_query[q] = (statistics.median(times), found)
        matches = {q: archive.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                                         [" ".join(f'"{w}"' for w in q.split())]).fetchone()[0]
                   for q in list(per_query)[:10]}
    ms = [v[0] for v in per_query.values()]
    slowest = max(per_query, key=lambda q: per_query[q][0])
    return {"queries": len(ms), "median_ms": statistics.median(ms), "p95_ms": _p95(ms), "max_ms": per_query[slowest][0],
            "slowest_query": slowest, "per_query_ms": {q: v[0] for q, v in per_query.items()},
            "matches_first_10": matches, "empty": sum(v[1] == 0 for v in per_query.values())}


def datasette_pages(path: Path, repeats: int = 3) -> dict:
    """Seconds for Datasette's articles table page, its facet pages and an article's row
    page (the project's build_datasette, in process), the best of `repeats` after one warm-up;
    which facets timed out."""
    from bbn_scraper.app.serve import build_datasette

    ds = build_datasette(path)
    db = path.stem
    article_id = max(1, _count(path) // 2)
    pages = {
        "articles table": f"/{db}/articles",
        "facet section": f"/{db}/articles?_facet=section",
        "facets of the metadata (default page), JSON": f"/{db}/articles.json",
        "the page of the 11th section (facets of a filtered table), JSON": f"/{db}/articles.json?section={Synth().sections[10]}",
        "article row": f"/{db}/articles/{article_id}",
    }

    def timed_out(url: str, response) -> list[str]:
        if url.split("?")[0].endswith(".json"):  # a facet that timed out is left out of the JSON
            return sorted(METADATA_FACETS - set(response.json()["facet_results"]))
        return re.findall(r"These facets timed out: ([^<]*)", response.text)

    return _timed_pages(ds, pages, repeats, lambda url, response: {"facets_timed_out": timed_out(url, response)})


def _timed_pages(ds, pages: dict[str, str], repeats: int, describe) -> dict:
    """Each page of `pages` (name -> URL) got from Datasette `ds` in process: the best of
    `repeats` seconds after one warm-up, and of the process's CPU seconds (Datasette's query
    threads included: what a loaded machine changes least), its status, and what
    `describe(url, response)` adds."""
    async def go() -> dict:
        out = {}
        for name, url in pages.items():
            response = await ds.client.get(url)
            times, cpu = [], []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                response = await ds.client.get(url)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            out[name] = {"url": url, "seconds": min(times), "cpu_seconds": min(cpu), "status": response.status_code,
                         **describe(url, response)}
        return out

    return asyncio.run(go())


def reading_room(path: Path, synth: Synth, repeats: int = 3) -> dict:
    """Seconds for the reading room's front page, a story page, the stories list and filtered
    searches (HTML, JSON, CSV), in process, the best of `repeats` after one warm-up (issue 25)."""
    from urllib.parse import urlencode

    from bbn_scraper.app.serve import build_datasette

    ds = build_datasette(path)
    db = path.stem
    conn = sqlite3.connect(path)
    try:  # the largest story, and a story in the middle of the archive
        largest = conn.execute("SELECT id FROM stories ORDER BY size DESC, id LIMIT 1").fetchone()[0]
        middle = conn.execute("SELECT story_id FROM article_story WHERE article_id >= ? ORDER BY article_id LIMIT 1",
                              [max(1, _count(path) // 2)]).fetchone()[0]
    finally:
        conn.close()
    query = synth.queries()[0]
    filtered = {"q": query, "section": synth.sections[0], "since": "2020-01-01"}
    common = {**filtered, "q": synth.words[COMMON], "order": "date"}
    pages = {
        "front page": "/",
        "largest story": f"/{db}/-/story/{largest}",
        "a story": f"/{db}/-/story/{middle}",
        "stories list, by size": f"/{db}/-/stories",
        "filtered search (section, since)": f"/{db}/-/search?{urlencode(filtered)}",
        "filtered search, page 3": f"/{db}/-/search?{urlencode({**filtered, 'offset': 100})}",
        "filtered search (site, author), by date": f"/{db}/-/search?" + urlencode(
            {"q": query, "site": synth.sites[1], "author": synth.authors[0], "order": "date"}),
        "filtered search, OR and -word": f"/{db}/-/search?" + urlencode(
            {"q": f"{query} OR {synth.queries()[1]} -{synth.words[STOPWORDS]}", "section": synth.sections[1]}),
        "filtered search as JSON (100 rows)": f"/{db}/-/search.json?{urlencode(filtered)}",
        "filtered search as CSV (100 rows)": f"/{db}/-/search.csv?{urlencode(filtered)}",
        "common word, by date (section, since)": f"/{db}/-/search?{urlencode(common)}",
        "common word, by date, page 3": f"/{db}/-/search?{urlencode({**common, 'offset': 100})}",
        "common word, by date, no filter": f"/{db}/-/search?{urlencode({'q': common['q'], 'order': 'date'})}",
        "common word, oldest first (section, since)": f"/{db}/-/search?{urlencode({**common, 'order': 'oldest'})}",
    }

    return _timed_pages(ds, pages, repeats, lambda url, response: {"bytes": len(response.content)})


def search_before(commit: str):
    """`archive.query.search` as it was at `commit` (git), for a before/after in the same run."""
    import importlib.util

    source = subprocess.run(["git", "show", f"{commit}:archive/query.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "query_before.py"
        target.write_text(source)
        spec = importlib.util.spec_from_file_location("archive.query_before", target)
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # its relative imports are today's archive package's
    return module.search


def date_order(path: Path, synth: Synth, rounds: int = 3, before: str | None = None) -> dict:
    """CPU seconds of `search(q, order=..., limit=50 or 150)` with every hit sorted by date
    (`walk=False`), as it chooses now, and (`before`: a commit) as search was at that commit,
    rounds interleaved, the best of `rounds` each; on a read-only connection (nothing migrated
    or written); and whether each plan found the same articles in the same order."""
    from archive.query import ArchiveReader

    common, query = synth.words[COMMON], synth.queries()[0]
    section = {"section": synth.sections[0], "since": "2020-01-01"}
    cases = {
        f"`{common}` newest first, no filter": (common, "date", 50, {}),
        f"`{common}` newest first, section and since": (common, "date", 50, section),
        f"`{common}` newest first, section and since, 150 (page 3)": (common, "date", 150, section),
        f"`{common}` oldest first, section and since": (common, "oldest", 50, section),
        f"`{query}` newest first, site and author": (query, "date", 50, {"site": synth.sites[1], "author": synth.authors[0]}),
    }
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    reader = ArchiveReader(conn)
    plans = {"sort": lambda q, **kw: reader.search(q, walk=False, **kw), "now": reader.search}
    if before:
        old = search_before(before)
        plans["before"] = lambda q, **kw: old(reader, q, **kw)
    times: dict = {name: {plan: math.inf for plan in plans} for name in cases}
    found: dict = {name: {} for name in cases}
    try:
        hits = {name: reader.search_total(q, **filters)[0] for name, (q, _, _, filters) in cases.items()}
        for _ in range(rounds):
            for name, (q, order, limit, filters) in cases.items():
                for plan, search in plans.items():
                    if plan == "before" and order not in ("date", "rank"):
                        continue  # no oldest-first order before
                    started = time.process_time()
                    results = search(q, order=order, limit=limit, **filters)
                    times[name][plan] = min(times[name][plan], time.process_time() - started)
                    found[name][plan] = [r.id for r in results]
    finally:
        conn.close()
    return {name: {**{f"{plan}_s": t for plan, t in times[name].items() if t < math.inf},
                   "same": all(ids == found[name]["now"] for ids in found[name].values()),
                   "results": len(found[name]["now"]), "hits_counted": hits[name]} for name in cases}


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 0
    finally:
        conn.close()


def cli(path: Path, *args: str) -> dict:
    """Run `bbn-archive ARGS --db PATH`: seconds, exit status, last output line."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", *args, "--db", str(path)], cwd=ROOT,
                            capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip().splitlines()
    return {"command": "bbn-archive " + " ".join(args).replace(str(RESULTS) + "/", ""), "seconds": time.perf_counter() - started,
            "returncode": result.returncode, "last_line": output[-1] if output else "", "output": output[-12:]}


def export_rate(path: Path, articles: int) -> dict:
    """`bbn-archive export` of everything, JSON lines (and Parquet when the option exists)."""
    out = {}
    help_text = subprocess.run([sys.executable, "-m", "bbn_scraper", "export", "--help"], cwd=ROOT,
                               capture_output=True, text=True).stdout
    for fmt in ("jsonl", "parquet"):
        if fmt not in help_text:
            continue
        target = RESULTS / f"export.{fmt}"
        run = cli(path, "export", "--format", fmt, "-o", str(target))
        run["bytes"] = target.stat().st_size if target.exists() else 0
        run["rate"] = articles / run["seconds"] if run["returncode"] == 0 else 0.0
        target.unlink(missing_ok=True)
        out[fmt] = run
    return out


def disk(path: Path) -> dict:
    """Bytes per article on disk; and with a raw page for every article (the pages measured
    are 1 in 20 of them) extrapolated."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
        tables = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    finally:
        conn.close()
    size = path.stat().st_size
    page_bytes = sum(v for k, v in tables.items() if k == "pages" or k.startswith(("idx_pages", "sqlite_autoindex_pages")))
    fts = sum(v for k, v in tables.items() if "_fts" in k)
    per_page = page_bytes / pages if pages else 0
    return {"articles": articles, "pages": pages, "file_bytes": size, "bytes_per_article": size / articles,
            "fts_per_article": fts / articles, "page_bytes_per_page": per_page,
            "with_every_page": (size - page_bytes) / articles + per_page}


def _store(archive: Archive, synth: Synth, new: list[Article]) -> tuple[float, list[int], int]:
    """Store `new` as a crawl does (record_page + store_article, one transaction each): the
    seconds, the article ids, the crawl id."""
    crawl_id = archive.start_crawl(["https://news0.example/"], {"bench": "store rate"})
    started = time.perf_counter()
    ids = []
    for a in new:
        archive.record_page(crawl_id, a.url, 200, "text/html; charset=UTF-8", synth.page(a), FETCHED)
        ids.append(archive.store_article(a, crawl_id=crawl_id, fetched_url=a.url, parser_version="synth",
                                         fetched_at=FETCHED).article_id)
    return time.perf_counter() - started, ids, crawl_id


def store_rate(path: Path, synth: Synth, articles: int, count: int = 300) -> dict:
    """Articles/s of `Archive.store_article` + `record_page`, one transaction each (the crawl's
    path), into the big archive, and of the same articles into a new empty archive in the same
    run (the ratio is what the archive's size costs); the articles are deleted from the big one
    afterwards, so the cached archive stays as built."""
    new = synth.batch(articles + 1_000_000, count)
    with tempfile.TemporaryDirectory(dir=RESULTS) as empty, Archive(Path(empty) / "empty.db", create=True) as archive:
        empty_seconds, _, _ = _store(archive, synth, new)
    with Archive(path) as archive:
        seconds, ids, crawl_id = _store(archive, synth, new)
        with archive.transaction():
            archive.db.conn.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in ids])
            for table in ("pages", "article_sightings", "errors"):
                archive.db.execute(f"DELETE FROM {table} WHERE crawl_id = ?", [crawl_id])
            archive.db.execute("DELETE FROM crawls WHERE id = ?", [crawl_id])
        archive.truncate_wal()
    return {"articles": count, "seconds": seconds, "rate": count / seconds,
            "empty_seconds": empty_seconds, "empty_rate": count / empty_seconds}


METADATA_FACETS = {"section", "authors", "tags", "published"}  # bbn_scraper/app/datasette/metadata.yml's, by result name
GOALS = {"search_p95_ms": 100, "page_s": 1.0, "verify_s": 30 * 60}


def run(articles: int, rebuild: bool = False, minutes: float | None = None, log=print,
        only: set[str] | None = None, before: str | None = None) -> dict:
    """Every measure (those named in `only`), on the archive of `articles` (on what is built of
    it within `minutes`); `before`: a commit whose search date_order times too."""
    path, meta = build(articles, rebuild, minutes, log)
    articles = meta["articles"]
    synth = Synth()
    result: dict = {"articles": articles, "target": meta["target"], "build": meta,
                    "archive_path": str(path.relative_to(ROOT))}
    steps = (
        ("search", lambda: search_latency(path, synth)),
        ("datasette", lambda: datasette_pages(path)),
        ("reading_room", lambda: reading_room(path, synth)),
        ("date_order", lambda: date_order(path, synth, before=before)),
        ("stats", lambda: cli(path, "stats")),
        ("export", lambda: export_rate(path, articles)),
        ("verify_quick", lambda: cli(path, "verify", "--quick")),
        ("verify", lambda: cli(path, "verify")),
        ("store", lambda: store_rate(path, synth, articles)),
        ("disk", lambda: disk(path)),
    )
    for name, step in steps:
        if only is not None and name not in only:
            continue
        started = time.perf_counter()
        result[name] = step()
        log(f"  {name}: {time.perf_counter() - started:,.1f} s")
    return result


def rows(m: dict) -> list[tuple[str, str, str, str]]:
    """bench/run.py's table rows: (measure, result, goal, met)."""
    def ok(passed: bool) -> str:
        return "✓" if passed else "✗"

    n = m["articles"]
    b = m["build"]
    partial = "" if b["complete"] else f" (the build's first {n:,} of {b['target']:,}: continued by the next run)"
    out = [(f"10. {n:,}-article synthetic archive{partial}, Zipf vocabulary of {VOCAB:,} words",
            f"built in {b['seconds'] / 60:,.1f} min{' (cached, ' + b['built'][:10] + ')' if b.get('cached') else ''}",
            f"{b['target']:,} articles", "✓" if b["complete"] else "✗")]
    if "search" in m:
        s = m["search"]
        out.append((f"   `Archive.search(q, limit=20)`, {s['queries']} Zipf-sampled queries",
                    f"median {s['median_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms (slowest: {s['slowest_query']} {s['max_ms']:.0f} ms)",
                    f"p95 < {GOALS['search_p95_ms']} ms", ok(s["p95_ms"] < GOALS["search_p95_ms"])))
    for name, page in m.get("datasette", {}).items():
        timed_out = page["facets_timed_out"]
        out.append((f"   Datasette: {name} `{page['url'].split('/', 2)[2]}`",
                    f"{page['seconds']:.2f} s (HTTP {page['status']}{', timed out: ' + ', '.join(timed_out) if timed_out else ''})",
                    "< 1 s, no facet timed out", ok(page["seconds"] < GOALS["page_s"] and not timed_out and page["status"] == 200)))
    for name, page in m.get("reading_room", {}).items():
        out.append((f"   reading room: {name} `{page['url'][:90]}`", f"{page['seconds'] * 1000:,.0f} ms, CPU {page['cpu_seconds'] * 1000:,.0f} ms (HTTP {page['status']})",
                    "< 1 s", ok(page["seconds"] < GOALS["page_s"] and page["status"] == 200)))
    for name, d in m.get("date_order", {}).items():
        out.append((f"   search by date, {name} ({d['hits_counted']:,} hits counted)",
                    f"{d['now_s'] * 1000:,.0f} ms CPU; sorting every hit {d['sort_s'] * 1000:,.0f} ms"
                    f"{'; before: ' + format(d['before_s'] * 1000, ',.0f') + ' ms' if 'before_s' in d else ''}, same run"
                    f"{'' if d['same'] else ' - RESULTS DIFFER'}", "< 1 s", ok(d["now_s"] < GOALS["page_s"] and d["same"])))
    for fmt, e in m.get("export", {}).items():
        out.append((f"   `{e['command']}`", f"{e['rate']:,.0f} articles/s ({e['seconds']:.0f} s, {e['bytes'] / 1e9:.1f} GB)", "", ""))
    if "stats" in m:
        out.append(("   `bbn-archive stats`", f"{m['stats']['seconds']:.1f} s", "", ""))
    for key in ("verify_quick", "verify"):
        if key in m:
            v = m[key]
            out.append((f"   `{v['command']}`", f"{v['seconds'] / 60:.1f} min, exit {v['returncode']} ({v['last_line']})",
                        "minutes, not hours; intact", ok(v["seconds"] < GOALS["verify_s"] and v["returncode"] == 0)))
    if "disk" in m:
        d = m["disk"]
        out.append(("   bytes per article on disk", f"{d['bytes_per_article']:,.0f} ({d['fts_per_article']:,.0f} FTS; raw pages for 1 in 20:"
                    f" {d['with_every_page']:,.0f} with one per article)", "", ""))
    if "store" in m:
        r = m["store"]
        out.append((f"   store_article + record_page into the {n:,}-article archive, one transaction each",
                    f"{r['rate']:,.0f} articles/s ({r['articles']} articles); into an empty archive in the same run"
                    f" {r['empty_rate']:,.0f}: {r['rate'] / r['empty_rate']:.2f} of it", "", ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="build the archive again even when cached")
    parser.add_argument("--minutes", type=float, help="build for at most this long (continued by the next run; 0: measure what is built)")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--before", help="a commit: date_order times its search too (before/after in one run)")
    parser.add_argument("--steps", help="comma-separated measures to run (all by default): search, datasette,"
                        " reading_room, date_order, stats, export, verify_quick, verify, store, disk")
    args = parser.parse_args()
    if args.build_only:
        print(json.dumps(build(args.articles, args.rebuild, args.minutes, log=lambda message: print(message, file=sys.stderr))[1], indent=1))
        return
    result = run(args.articles, args.rebuild, args.minutes, log=lambda message: print(message, file=sys.stderr),
                 only=set(args.steps.split(",")) if args.steps else None, before=args.before)
    print(json.dumps(result, indent=1, default=str))
    for row in rows(result):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
