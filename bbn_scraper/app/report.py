"""Readable reports on the archive: the summary a crawl prints, search results, one article,
statistics and their chart."""
from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

from archive.db import Archive
from archive.query import ArchiveStats, ArticleDetail, SearchResult


def crawl_summary(archive: Archive, crawl_id: int | None = None) -> str:
    """What the crawl (the latest by default) did, and what the archive now holds."""
    crawl = archive.crawl_row(crawl_id)
    if crawl is None:
        return "no crawl recorded yet"
    stats = json.loads(crawl.get("stats") or "{}")
    counts = archive.counts()
    seconds = stats.get("seconds", "?")
    # What only the fetching process counts (a distributed round's writer and an import have
    # no requests): left out rather than shown as 0.
    fetching = [f"{stats[key]} {what}" for key, what in (("downloader/request_count", "requests"),
                ("bbn/known_article_skipped", "archived articles not downloaded again")) if key in stats]
    lines = [
        f"crawl {crawl['id']} {crawl['status']} in {seconds} s: "
        + ", ".join([f"{crawl['pages'] or 0} pages fetched", *fetching]),
        f"  articles: {crawl['articles_new'] or 0} new, {crawl['articles_updated'] or 0} updated,"
        f" {stats.get('bbn/article_unchanged', 0)} unchanged, {crawl['duplicates'] or 0} duplicates",
        f"  errors:   {crawl['errors'] or 0} (stage, URL and reason in the errors table)",
        f"archive: {counts['articles']} articles, {counts['faqs']} FAQ pairs, {counts['links']} links,"
        f" {counts['article_urls']} URLs, {counts['versions']} earlier versions, {counts['crawls']} crawls",
    ]
    return "\n".join(lines)


def format_results(results: list[SearchResult]) -> str:
    """Search results, best first: headline, what and where, URL, snippet."""
    if not results:
        return "no article matches"
    blocks = []
    for i, r in enumerate(results, 1):
        about = [(r.published or "")[:10], r.section, ", ".join(r.authors), f"id {r.id}",
                 f"matched in {' and '.join(r.matched)}"]
        blocks.append(f"{i}. {r.headline}\n   {' · '.join(x for x in about if x)}\n   {r.url}\n   {r.snippet}")
    return "\n\n".join(blocks)


# The fields of ArticleDetail that format_article lays out in places of their own, and those it
# leaves out (the byline names the authors; body_html repeats the body). Every other field
# with a value, a new model field among them, is listed as "Name: value" above the body.
LAID_OUT = ("id", "headline", "byline", "published", "modified", "section", "tags", "canonical_url", "urls",
            "version", "versions", "parser_version", "first_seen", "last_seen", "body", "faqs", "topic",
            "related_links", "related_articles")
LEFT_OUT = ("url", "canonical_source", "authors", "body_html", "content_hash", "warnings")


def format_article(d: ArticleDetail) -> str:
    """One article as readable text: headline, byline, dates, section, tags, URLs, its other
    fields, body, FAQ pairs, both kinds of links and its versions."""
    headline = d.headline or "(no headline)"
    dates = " · ".join(x for x in (d.published and f"published {d.published}", d.modified and f"modified {d.modified}") if x)
    earlier = len(d.versions)
    header = [headline, "=" * min(len(headline), 80), d.byline and f"By {d.byline}", dates,
              f"Section: {d.section or '-'}    Tags: {', '.join(d.tags) or '-'}", f"URL: {d.canonical_url}",
              *(f"Also seen at: {url}" for url in d.urls if url != d.canonical_url),
              f"Version {d.version} ({earlier} earlier version{'' if earlier == 1 else 's'}) · id {d.id}"
              f" · parser {d.parser_version or '?'} · first seen {d.first_seen} · last seen {d.last_seen}"]
    lines = [line for line in header if line] + _other_fields(d) + ["", d.body]
    if d.faqs:
        lines += ["", "FAQs"]
        for faq in d.faqs:
            lines += ["", f"Q: {faq.question}", f"A: {faq.answer}"]
    for title, links in ((f"More about {d.topic}" if d.topic else "More about", d.related_links),
                         ("You may also like", d.related_articles)):
        if links:
            lines += ["", title] + [f"  - {link.text} <{link.url}>" for link in links]
    return "\n".join(lines)


def _other_fields(d: ArticleDetail) -> list[str]:
    """"Name: value" for each field with a value that format_article has no place of its own for."""
    lines = []
    for f in fields(d):
        value = getattr(d, f.name)
        if f.name not in LAID_OUT + LEFT_OUT and value not in (None, "", []):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            lines.append(f"{f.name.replace('_', ' ').capitalize()}: {shown}")
    return lines


def format_stats(s: ArchiveStats) -> str:
    """The statistics as aligned text tables."""
    t = s.totals
    parts = [
        f"archive: {t['articles']} articles, {t['faqs']} FAQ pairs, {t['links']} links, {t['authors']} authors,"
        f" {t['tags']} tags, {t['versions']} earlier versions, {t['pages']} pages, {t['crawls']} crawls",
        _table("Articles per section", ["section", "articles"], [(k or "(none)", v) for k, v in s.by_section.items()]),
        _table("Articles per author", ["author", "articles"], list(s.by_author.items())),
        _table("Articles per month published", ["month", "articles"],
               [(k or "(unknown)", v) for k, v in s.by_month.items()]),
        _table("Crawls", ["id", "started", "status", "pages", "new", "updated", "errors", "start URLs"],
               [(c.id, c.started, c.status, c.pages, c.articles_new, c.articles_updated, c.errors,
                 " ".join(c.start_urls)) for c in s.crawls]),
        _table("Errors by stage", ["stage", "errors"], list(s.errors_by_stage.items())),
    ]
    sites = [(c.id, name, n.get("pages", 0), n.get("article_new", 0), n.get("article_updated", 0),
              n.get("article_unchanged", 0), sum(v for k, v in n.items() if k.startswith("error_")))
             for c in s.crawls for name, n in sorted(c.sites.items())]
    if sites:
        parts.insert(-1, _table("Crawls per site (sites.toml)",
                                ["crawl", "site", "pages", "new", "updated", "unchanged", "errors"], sites))
    return "\n\n".join(parts)


MONTH = re.compile(r"\d{4}-\d{2}")
MAX_MONTH_BARS = 240  # twenty years of months; an archive with articles in more months is drawn by year
MAX_WIDTH_INCHES = 40.0  # the chart's width whatever the number of bars (0.6 inch a bar below that)
MAX_LABELS = 60  # bars labelled on the x axis; every n-th when there are more


def plot_months(s: ArchiveStats, path: str | Path) -> str:
    """A PNG bar chart of articles per month published (per year when articles were published
    in more than MAX_MONTH_BARS months), matplotlib's Agg backend. Its size is bounded whatever the
    dates hold: at most MAX_WIDTH_INCHES wide, MAX_LABELS labels; a published date that does
    not start with a year and a month counts as unknown. Returns what a bar is: "month" or "year"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    counts: dict[str, int] = {}
    for month, n in s.by_month.items():
        key = month if isinstance(month, str) and MONTH.fullmatch(month) else "unknown"
        counts[key] = counts.get(key, 0) + n
    per = "month"
    if len(counts) > MAX_MONTH_BARS + 1:
        per, by_year = "year", {}
        for month, n in counts.items():
            year = month if month == "unknown" else month[:4]
            by_year[year] = by_year.get(year, 0) + n
        counts = by_year
    labels = sorted(counts, key=lambda label: (label.startswith("u"), label))  # "unknown" last
    figure = Figure(figsize=(min(MAX_WIDTH_INCHES, max(6.0, 0.6 * len(labels))), 4), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(range(len(labels)), [counts[label] for label in labels], color="#3b6ea5")
    step = -(-len(labels) // MAX_LABELS)
    axes.set_xticks(range(0, len(labels), step), labels[::step])
    axes.set_title(f"Articles per {per} published")
    axes.set_ylabel("articles")
    axes.tick_params(axis="x", labelrotation=45)
    figure.savefig(path, format="png")
    return per


def _table(title: str, headers: list[str], rows: list[tuple]) -> str:
    """A titled table: numbers right-aligned, text left-aligned, "(none)" for no rows."""
    if not rows:
        return f"{title}\n  (none)"
    cells = [headers] + [[str(v) for v in row] for row in rows]
    numeric = [all(isinstance(row[i], int) for row in rows) for i in range(len(headers))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric)).rstrip()
             for r in cells]
    return "\n".join([title] + ["  " + line for line in lines])
