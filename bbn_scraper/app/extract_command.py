"""`bbn-archive extract INPUT...`: saved pages' articles as the parser reads them
(`bbn_scraper.parsers.parse_article`), without an archive (like trafilatura's CLI): one page as
text or a JSON object; many (files, .gz, folders, URLs, standard input, --from lists; read by
bbn_scraper.app.extract_inputs) in one process, as JSON lines."""
from __future__ import annotations

import json
import logging
import os
import sys

import click

from archive.model import Article, not_an_article
from bbn_scraper.app.extract_inputs import FETCH_TIMEOUT, STDIN, Failure, Page, listed, pages
from bbn_scraper.app.oneline import json_safe, terminal_safe

UNREADABLE = 1  # the exit status when an input could not be read (a missing file, a failed fetch...)
NOT_AN_ARTICLE = 4  # the exit status of a page that is not one article, or lacks headline or body


def format_text(article: Article) -> str:
    """The article as readable text: headline, byline, dates, section, tags, body, FAQ pairs, links."""
    dates = " · ".join(f"{name} {value.isoformat()}" for name, value in
                       (("published", article.published), ("modified", article.modified)) if value)
    lines = [article.headline, "=" * min(len(article.headline), 80)]
    lines += [line for line in (article.byline and f"By {article.byline}", dates,
                                article.section and f"Section: {article.section}",
                                article.tags and f"Tags: {', '.join(article.tags)}",
                                f"URL: {article.canonical_url}") if line]
    lines += ["", article.body]
    if article.faqs:
        lines += ["", "FAQs"]
        for faq in article.faqs:
            lines += ["", f"Q: {faq.question}", f"A: {faq.answer}"]
    for title, links in (("More about", article.related_links), ("You may also like", article.related_articles)):
        if links:
            lines += ["", title] + [f"  - {link.text} <{link.url}>" for link in links]
    return "\n".join(lines)


@click.command()
@click.argument("inputs", nargs=-1, metavar="[FILE|DIR|URL|-]...")
@click.option("--from", "lists", multiple=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="LIST",
              help="A file naming inputs, one a line (files, folders, URLs; # comments); '-': standard input.")
@click.option("--url", help="One page's address, for its links and canonical URL (default: the file's file:// URL).")
@click.option("--json/--text", "as_json", default=None,
              help="One page: a JSON object with every field, or readable text (the default). Many: JSON lines.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=FETCH_TIMEOUT, show_default=True,
              metavar="SECONDS", help="Time a URL may take, all of its body included.")
def extract(inputs, lists, url, as_json, timeout):
    """Print the articles of saved HTML pages, as the crawler would archive them, without an
    archive. INPUT is a page file (.html, or gzip of one: .html.gz), a folder (its .html,
    .htm, .html.gz and .htm.gz pages at any depth), an http(s) URL, or - for standard input;
    --from LIST reads more inputs from a file (- for standard input), one a line. Every page is
    read at most 16 MiB once decoded, a URL in at most --timeout seconds.

    One page: its article as text (or --json); one line on stderr and exit status 1 when it
    cannot be read, 4 when it is not an article or lacks a headline or body. Several pages (more than one
    input, a folder or --from): one JSON line each, in order, with "input" (its name) and
    either the article's fields or "error" (why not); exit status 1 if any input could not be
    read, else 4 if any page is not an article, each said in one line on stderr at the end.

    \b
    Examples:
        bbn-archive extract saved/harbor-accord.html --json
        bbn-archive extract saved/ pages.html.gz https://bigbignews.net/2023/09/20/harbor-accord-talks/ > articles.jsonl
        find . -name '*.html' | bbn-archive extract --from - > articles.jsonl
    """
    if not inputs and not lists:
        raise click.UsageError("Missing argument: give pages (FILE, DIR, URL or -) or --from LIST")
    if STDIN in inputs and STDIN in lists:
        raise click.UsageError("standard input is either a page (-) or a list (--from -), not both")
    many = len(inputs) != 1 or bool(lists) or os.path.isdir(inputs[0])
    if many and url:
        raise click.UsageError("--url names one page's address: give one page")
    if many and as_json is False:
        raise click.UsageError("--text shows one page: many pages are JSON lines")
    logging.getLogger().addHandler(logging.NullHandler())  # libraries' log lines (bs4's decoding notes) not on stderr
    found = pages(_entries(inputs, lists), timeout=timeout)
    if many:
        sys.exit(_extract_many(found))
    _extract_one(next(found), url, as_json)


def _entries(inputs, lists):
    """The inputs given, then those of each list, read as they are needed."""
    yield from inputs
    for name in lists:
        with click.open_file(name, encoding="utf-8", errors="replace") as stream:
            yield from listed(stream)


def _parse(page: Page, url: str | None = None) -> tuple[Article | None, str | None]:
    """The page's article, or why it is none."""
    from bbn_scraper.parsers import parse_article  # imported here: the parsers take seconds to import
    from bbn_scraper.parsers.document import page_text

    article = parse_article(page_text(page.body, page.content_type), url or page.url)
    return article, not_an_article(article)


def _extract_one(page: Page | Failure, url: str | None, as_json: bool | None) -> None:
    name = "standard input" if page.name == STDIN else page.name
    if isinstance(page, Failure):
        click.echo(terminal_safe(f"Error: {name}: {page.reason}"), err=True)
        sys.exit(UNREADABLE)
    article, why = _parse(page, url)
    if article is None:
        click.echo(terminal_safe(f"Error: {name} is not an article page (home, listing, search or error page, or no HTML)"),
                   err=True)
        sys.exit(NOT_AN_ARTICLE)
    if why:
        click.echo(terminal_safe(f"Error: {name}: an article with {why}"), err=True)
        sys.exit(NOT_AN_ARTICLE)
    click.echo(json_safe(json.dumps(article.to_dict(), ensure_ascii=False, indent=2)) if as_json
               else terminal_safe(format_text(article)))


def _extract_many(found) -> int:
    """One JSON line a page; the exit status."""
    total, unreadable, not_articles = 0, 0, 0
    for page in found:
        total += 1
        if isinstance(page, Failure):
            unreadable += 1
            line = {"input": page.name, "error": page.reason}
        else:
            article, why = _parse(page)
            if why:
                not_articles += 1
                line = {"input": page.name, "error": f"an article with {why}" if article else
                        "not an article page (home, listing, search or error page, or no HTML)"}
            else:
                line = {"input": page.name, **article.to_dict()}
        click.echo(json_safe(json.dumps(line, ensure_ascii=False)))
    if unreadable:
        click.echo(f"Error: {unreadable} of {total} inputs could not be read (their lines say why)", err=True)
        return UNREADABLE
    if not_articles:
        click.echo(f"Error: {not_articles} of {total} pages are not articles (their lines say why)", err=True)
        return NOT_AN_ARTICLE
    return 0
