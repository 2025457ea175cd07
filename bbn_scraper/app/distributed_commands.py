"""The distributed crawl's commands (README: Distributed crawling): `worker`, `enqueue`,
`ingest`, `status`. Redis unreachable, a bad URL or a bad file: one line, exit status 1 (2 for
usage). Not importing bbn_scraper.app.cli (it registers these): no import cycle."""
from __future__ import annotations

import functools
import json
import sqlite3
from urllib.parse import urlsplit

import click

from archive.errors import ArchiveError
from archive.extras import require
from bbn_scraper.app.options import settings_option

REDIS_HELP = "The Redis of the crawl: redis://HOST:PORT/DB."


def redis_option():
    return click.option("--redis", "redis_url", required=True, metavar="URL", help=REDIS_HELP, callback=_redis_url)


def _redis_url(ctx, param, value: str) -> str:
    """A URL redis-py can connect with, or a usage error naming the schemes it takes."""
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise click.BadParameter(f"{value!r} is not a redis://, rediss:// or unix:// URL")
    try:
        from redis.connection import parse_url  # imported here: redis is an extra
    except ImportError:
        return value  # the command says which extra to install
    try:
        parsed = parse_url(value)
    except ValueError as exc:  # a port out of range, an unclosed IPv6 bracket...
        raise click.BadParameter(f"{value!r}: {exc}") from None
    database = urlsplit(value).path.strip("/")
    if not value.startswith("unix://") and "db" not in parsed and database:  # redis-py takes it as DB 0
        raise click.BadParameter(f"{value!r}: the database after the port is a number (redis://HOST:PORT/0)")
    return value


def _seconds(value: float) -> float:
    """`value`, unless it is NaN (which FloatRange lets through, and with which no wait ends)."""
    if value != value:
        raise click.BadParameter("nan is not a number of seconds")
    return value + 0.0  # -0 as 0


def one_line_errors(fn):
    """Redis unreachable, an archive error or an SQLite error: one line on stderr, exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            redis = require("redis", "distributed", "The distributed mode")
            require("scrapy_redis", "distributed", "The distributed mode")
            return fn(*args, **kwargs)
        except ArchiveError as exc:  # first: `redis` is unbound when its import failed
            raise click.ClickException(str(exc)) from None
        except redis.exceptions.RedisError as exc:
            raise click.ClickException(f"Redis at {kwargs.get('redis_url')}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"{kwargs.get('db', 'the archive')}: {exc}") from None
    return wrapper


def _client(redis_url: str, patient: bool = False):
    from bbn_scraper.crawler.distributed import connect

    return connect(redis_url, patient)


@click.command()
@redis_option()
@click.option("--local", is_flag=True, help="No politeness delays: for sites served on 127.0.0.1.")
@click.option("--wait", type=click.FloatRange(min=0, max=7 * 86400), default=0, show_default=True,
              callback=lambda ctx, param, value: _seconds(value),
              help="Seconds to wait for a round to open (start URLs enqueued, the writer running).")
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), metavar="FILE.toml",
              help="The sites' hosts, delays, concurrency and contact (the file given to enqueue).")
@settings_option()
@one_line_errors
def worker(redis_url, local, wait, sites_file, extra):
    """Crawl the current round's frontier until it is empty, with any number of other workers.

    \b
    Example:
        bbn-archive worker --redis redis://crawl-db:6379/0 --wait 3600
    """
    from bbn_scraper.crawler.distributed.worker import RoundRefused, run_worker
    from bbn_scraper.crawler.run import LOCAL_SETTINGS

    _client(redis_url)
    overrides = dict(LOCAL_SETTINGS) if local else {}
    overrides.update(extra)
    if sites_file:
        from bbn_scraper.crawler.sites import SitesError, load, overrides as site_overrides

        try:
            overrides.update(site_overrides(load(sites_file)))
        except SitesError as exc:
            raise click.BadParameter(str(exc), param_hint="--sites") from None
    try:
        stats = run_worker(redis_url, overrides, wait)
    except RoundRefused as exc:
        raise click.ClickException(f"{exc} (a dead letter now: bbn-archive status)") from None
    if stats is None:
        raise click.ClickException(f"no round opened within {wait:g} s: enqueue start URLs and run ingest")
    click.echo(f"worker done: {stats.get('downloader/response_count', 0)} pages fetched", err=True)


@click.command()
@redis_option()
@click.argument("urls", nargs=-1)
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), metavar="FILE.toml",
              help="The start URLs of every site of this file.")
@one_line_errors
def enqueue(redis_url, urls, sites_file):
    """Add start URLs to the crawl's round.

    \b
    Example:
        bbn-archive enqueue --redis redis://crawl-db:6379/0 https://bigbignews.net/
    """
    from bbn_scraper.crawler.distributed.control import enqueue as add
    from bbn_scraper.crawler.run import bad_start_url

    if sites_file:
        from bbn_scraper.crawler.sites import SitesError, load

        if urls:
            raise click.BadParameter("give either URLS or --sites, not both", param_hint="--sites")
        try:
            urls = load(sites_file).start_urls
        except SitesError as exc:
            raise click.BadParameter(str(exc), param_hint="--sites") from None
    if not urls:
        raise click.BadParameter("give start URLs or --sites FILE", param_hint="URLS")
    for url in urls:
        if bad_start_url(url):
            raise click.BadParameter(bad_start_url(url), param_hint="URLS")
    from archive.model import normalize_url

    added = add(_client(redis_url), [normalize_url(url) for url in urls])
    click.echo(f"{added} start URLs added ({len(urls) - added} were in the round already)")


@click.command()
@redis_option()
@click.option("--db", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive database file (created if missing).")
@click.option("--once", is_flag=True, help="Exit when the current round is over (default: wait for the next).")
@one_line_errors
def ingest(redis_url, db, once):
    """Store the workers' items in the archive: the crawl's one writer.

    \b
    Example:
        bbn-archive ingest --redis redis://crawl-db:6379/0 --db news.db
    """
    from bbn_scraper.crawler.distributed.ingest import Ingest, IngestFailed

    from archive.db import Archive
    from bbn_scraper.app.report import crawl_summary

    try:
        _client(redis_url)  # unreachable: one line at once
        stored = Ingest(_client(redis_url, patient=True), db, once=once).run()
    except IngestFailed as exc:
        raise click.ClickException(f"{db}: {exc}") from None
    click.echo(f"{stored} items stored in {db}", err=True)
    with Archive(db) as archive:  # the summary a crawl prints, of the round stored last
        click.echo(crawl_summary(archive))


@click.command()
@redis_option()
@click.option("--json", "as_json", is_flag=True, help="Print the status as a JSON object.")
@one_line_errors
def status(redis_url, as_json):
    """Queue lengths, workers seen, items waiting, dead letters and requests per minute by host.

    \b
    Example:
        bbn-archive status --redis redis://crawl-db:6379/0
    """
    from bbn_scraper.crawler.distributed import DEAD_LETTERS
    from bbn_scraper.crawler.distributed.control import status as read

    state = read(_client(redis_url))
    if as_json:
        click.echo(json.dumps(state, indent=2))
        return
    alive = sum(state["workers"].values())
    click.echo(f"round: crawl {state['round']['crawl_id'] or '-'}, {len(state['round']['start_urls'])} start URLs")
    click.echo(f"requests: {state['requests_queued']} queued, {state['requests_leased']} leased,"
               f" {state['fingerprints']} fingerprints")
    click.echo(f"workers: {alive} alive of {len(state['workers'])} seen this round")
    click.echo(f"items: {state['items_waiting']} waiting, {state['items_in_batch']} in the writer's batch,"
               f" {state['items_deferred']} deferred to the round's end")
    dead = state["dead_letters"]
    click.echo(f"dead letters: {dead['count']} ({dead['kept']} kept in {DEAD_LETTERS})"
               + (f", the newest from {dead['newest']['source']}: {dead['newest']['reason']}" if dead["newest"] else ""))
    for host, rate in sorted(state["requests_per_minute"].items()):
        click.echo(f"  {host}: {rate} requests in the last minute")


COMMANDS = (worker, enqueue, ingest, status)
