"""`bbn-archive`: crawl news sites into the archive and query it. Archive errors become one
clear line here, at the edge."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from archive.db import Archive
from archive.errors import ArchiveError
from archive.report import crawl_summary

DEFAULT_DB = "archive.db"
DEMO_PORT = 8765


def db_option(must_exist: bool = True):
    """--db: the archive file; commands that only read it need it to exist."""
    return click.option(
        "--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False, exists=must_exist),
        help="The archive database file.",
    )


def clear_errors(fn):
    """Typed archive errors end the command with one line on stderr and exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper


@click.group()
@click.version_option(package_name="bbn-archive")
def cli():
    """Archive BBN-style news sites in SQLite, and search what you archived."""


@cli.command()
@click.argument("urls", nargs=-1)
@db_option(must_exist=False)
@click.option("--delay", type=float, help="Seconds between requests to one site (default 0.5, AutoThrottle on).")
@click.option("--concurrency", type=int, help="Requests in flight per site (default 4).")
@click.option("--max-articles", type=int, default=0, help="Stop after this many articles (0: no cap).")
@click.option("--refresh", is_flag=True, help="Download archived articles again, even when unchanged.")
@click.option("--resume", "jobdir", type=click.Path(file_okay=False), help="Job directory: an interrupted crawl resumes from it.")
@click.option("--local", is_flag=True, help="No politeness delays: for sites served on 127.0.0.1.")
@click.option("-s", "--set", "extra", multiple=True, metavar="NAME=VALUE", help="Any Scrapy setting.")
@clear_errors
def crawl(urls, db, delay, concurrency, max_articles, refresh, jobdir, local, extra):
    """Crawl URLS (default https://bigbignews.net/) into the archive.

    \b
    Example:
        bbn-archive crawl https://bigbignews.net/ --db news.db --max-articles 100
    """
    from bbn_scraper.run import LOCAL_SETTINGS, run_crawl
    from bbn_scraper.spiders.bbn import DEFAULT_START_URL

    overrides = dict(LOCAL_SETTINGS) if local else {}
    if delay is not None:
        overrides.update(DOWNLOAD_DELAY=delay, AUTOTHROTTLE_START_DELAY=max(delay, 0.1))
    if concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    if max_articles:
        overrides["ARCHIVE_MAX_ARTICLES"] = max_articles
    if jobdir:
        overrides["JOBDIR"] = jobdir
    for pair in extra:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        overrides[name] = value
    _check_not_locked(db)
    run_crawl(list(urls) or [DEFAULT_START_URL], db, overrides, refresh=refresh)
    _print_summary(db)


@cli.command()
@db_option(must_exist=False)
@click.option("--port", type=int, default=DEMO_PORT, show_default=True, help="Port of the sample site (0: any free port).")
@clear_errors
def demo(db, port):
    """Serve the bundled sample site on 127.0.0.1, crawl it into the archive, stop it,
    and print what was archived.

    \b
    Example:
        bbn-archive demo --db demo.db
    """
    from bbn_scraper.run import LOCAL_SETTINGS, run_crawl
    from bbn_scraper.sample_site import SampleSite

    _check_not_locked(db)
    try:
        site = SampleSite(port=port)
    except OSError:
        click.echo(f"port {port} is busy; serving the sample site on a free port", err=True)
        site = SampleSite(port=0)
    with site:
        click.echo(f"sample site: {site.base_url}")
        run_crawl([site.base_url], db, LOCAL_SETTINGS)
    _print_summary(db)


def _check_not_locked(db: str) -> None:
    with Archive(db) as archive, archive.crawl_lock():
        pass


def _print_summary(db: str) -> None:
    with Archive(db) as archive:
        click.echo(crawl_summary(archive))
    click.echo(f"Browse it:  bbn-archive serve --db {db}    (or: datasette {db})")


def main() -> None:  # pragma: no cover - console entry point
    cli(prog_name=Path(sys.argv[0]).name)
