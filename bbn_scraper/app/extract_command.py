"""`bbn-archive extract FILE|-`: one saved page's article as the parser reads it
(`bbn_scraper.parsers.parse_article`), as text or JSON, without an archive (like trafilatura's CLI)."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from archive.model import Article

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
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="FILE|-")
@click.option("--url", help="The page's address, for its links and canonical URL (default: the file's file:// URL).")
@click.option("--json/--text", "as_json", default=False, help="The article as a JSON object with every field, or as readable text (the default).")
def extract(file, url, as_json):
    """Print the article of one saved HTML page (FILE, or - for standard input), as the
    crawler would archive it, without an archive. A page that is not an article, or that has
    no headline or body, is one line on stderr and exit status 4.

    \b
    Example:
        curl -s https://bigbignews.net/2023/09/20/harbor-accord-talks/ | bbn-archive extract - --url https://bigbignews.net/2023/09/20/harbor-accord-talks/ --json
    """
    from bbn_scraper.parsers import parse_article  # imported here: the parsers take seconds to import
    from bbn_scraper.parsers.document import page_text

    logging.getLogger().addHandler(logging.NullHandler())  # libraries' log lines (bs4's decoding notes) not on stderr
    body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    url = url or (Path(file).resolve().as_uri() if file != "-" else "file:///dev/stdin")
    article = parse_article(page_text(body, None), url)
    name = "standard input" if file == "-" else file
    if article is None:
        click.echo(f"Error: {name} is not an article page (home, listing, search or error page, or no HTML)", err=True)
        sys.exit(NOT_AN_ARTICLE)
    if article.missing_fields():
        click.echo(f"Error: {name}: an article with no {' and no '.join(article.missing_fields())}", err=True)
        sys.exit(NOT_AN_ARTICLE)
    click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2) if as_json else format_text(article))
