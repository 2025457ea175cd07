"""`bbn-archive import-commoncrawl`: backfill the archive from Common Crawl's news collection,
or any Common Crawl WARC collection (see bbn_scraper.crawler.commoncrawl). Registered by
bbn_scraper/app/cli.py; its one-line errors are bbn_scraper.app.options' `clear_errors`."""
from __future__ import annotations

import sys
from datetime import date, datetime, timedelta

import click

from archive import Archive
from bbn_scraper.app.options import DEFAULT_DB, clear_errors, workers_option
from bbn_scraper.app.report import crawl_summary

MONTH = "%Y-%m"


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


@click.command("import-commoncrawl")
@click.option("--month", metavar="YYYY-MM", help="The CC-NEWS files of this month.")
@click.option("--since", metavar="YYYY-MM-DD", help="The CC-NEWS files written on or after this day...")
@click.option("--until", metavar="YYYY-MM-DD", help="...and on or before this day (default: --since's day).")
@click.option("--paths", "paths", metavar="FILE|URL",
              help="A path list of any Common Crawl collection instead (warc.paths.gz: a local file, or a path or URL under --base-url).")
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="Keep the pages of this host (exactly; repeatable).")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN",
              help="Keep the pages of every host under this registrable domain, e.g. bbc.co.uk (repeatable).")
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), metavar="FILE.toml",
              help="Keep the pages of the hosts of this sites file (its contact is used too).")
@click.option("--url-pattern", metavar="REGEX", help="Keep only pages whose URL this regular expression matches.")
@click.option("--language", "languages", multiple=True, metavar="CODE",
              help="Keep only pages in this language, e.g. en (from <html lang>; repeatable).")
@click.option("--base-url", default="https://data.commoncrawl.org/", show_default=True,
              help="Where the collection is served from; nothing is requested outside it.")
@click.option("--contact", metavar="EMAIL|URL", help="Your contact, put in the User-Agent (required, or `contact` in --sites).")
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True,
              help="Attempts after the first, per file, on 5xx, 429 and network failures.")
@click.option("--backoff", type=click.FloatRange(min=0), default=2.0, show_default=True, metavar="SECONDS",
              help="Wait before the first retry, doubled on each next one.")
@click.option("--max-wait", type=click.FloatRange(min=0), default=120.0, show_default=True, metavar="SECONDS",
              help="The longest wait before a retry, the server's Retry-After included.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, metavar="SECONDS",
              help="Give up an attempt after this long without a byte.")
@click.option("--checkpoint-mb", type=click.FloatRange(min=0, min_open=True), default=32.0, show_default=True,
              metavar="MB", help="Save the position in a file after reading this much of it (and every 30 s).")
@click.option("--max-minutes", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="MINUTES",
              help="Stop after this many minutes, as Ctrl-C does (what was read is stored; the same command goes"
                   " on where it stopped); 0: no limit. Bounds a run, a server sending bytes slowly included.")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive database file (created if missing).")
@workers_option()
@clear_errors
def import_commoncrawl(month, since, until, paths, hosts, domains, sites_file, url_pattern, languages, base_url,
                       contact, retries, backoff, max_wait, timeout, checkpoint_mb, max_minutes, db, workers):
    """Backfill the archive from Common Crawl: read the WARC files of a month or a date range
    of CC-NEWS (or of a path list) over HTTP, keep the pages of the hosts asked for (the
    others are skipped without being decoded), and archive them the way import-warc does
    (parse, deduplicate, store, stories), as a crawl of its own. Stopped or killed, a run is
    continued by the same command: files read are not read again, a file half-read goes on
    where it stopped. A download that fails after its retries is an error row, and the run
    goes on; the next run tries it again.

    \b
    Example:
        bbn-archive import-commoncrawl --month 2024-03 --domain apnews.com \\
            --contact you@example.org --db news.db
    """
    from bbn_scraper.crawler.commoncrawl import ListError, listed_files, news_files, run_backfill
    from bbn_scraper.crawler.http_files import DownloadFailed, FetchPolicy, HttpFiles
    from bbn_scraper.crawler.record_filter import FilterError, RecordFilter
    from bbn_scraper.crawler.parse_pool import usable_cpus
    from bbn_scraper.crawler.sites import SiteMap, SitesError, load, with_contact
    from bbn_scraper.settings import USER_AGENT

    window = _window(month, since, until, paths)
    sites = None
    if sites_file:
        try:
            sites = load(sites_file)
        except SitesError as exc:
            raise click.BadParameter(str(exc), param_hint="--sites") from None
    contact = (contact or "").strip() or (sites.contact if sites else None)
    if not contact:
        raise click.BadParameter("give your e-mail or URL: Common Crawl's servers see it in the User-Agent",
                                 param_hint="--contact")
    try:
        want = RecordFilter.build(hosts, domains, SiteMap([s.__dict__ for s in sites.sites]) if sites else None,
                                  url_pattern, languages)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{base_url!r} is not an http or https URL", param_hint="--base-url")
    files = HttpFiles(base_url, FetchPolicy(with_contact(USER_AGENT, contact), retries, backoff, max_wait, timeout))
    with Archive(db, create=True) as archive, archive.crawl_lock():
        pass
    try:
        if window is not None:
            lists, urls = news_files(files, *window)
        else:
            lists, urls = listed_files(files, paths)
    except (ListError, DownloadFailed, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(urls)} WARC files to read from {files.base_url}", err=True)
    overrides = {"PARSE_PROCESSES": usable_cpus() if workers is None else workers}
    overrides["USER_AGENT"] = files.policy.user_agent  # the crawl row records it
    if sites:
        overrides["BBN_SITES"] = [s.__dict__ for s in sites.sites]  # counts per site
    if sys.stderr.isatty():
        overrides["PROGRESS_LINE"] = True
    stats = run_backfill(urls, files, want, lists, db, overrides, int(checkpoint_mb * 1e6), max_minutes * 60)
    if "bbn/crawl_id" not in stats:
        raise click.ClickException("the import did not start: see the log above")
    if stats.get("bbn/store_failure"):
        raise click.ClickException(f"import (crawl {stats['bbn/crawl_id']}): {stats['bbn/store_failure']}")
    with Archive(db) as archive:
        click.echo(crawl_summary(archive))
    click.echo(backfill_summary(stats))


def backfill_summary(stats: dict) -> str:
    """The import's own lines: files, records, bytes and speed."""
    def n(key):
        return stats.get(f"bbn/commoncrawl/{key}", 0)

    seconds = max(float(stats.get("elapsed_time_seconds") or 0), 1e-6)
    megabytes = n("bytes") / 1e6
    return (f"  Common Crawl: {n('files_done')} files read to the end ({n('files_done_before')} done before,"
            f" {n('files_failed')} failed, {n('files_truncated')} truncated) of {n('files_listed')};"
            f" {n('records_read')} records read, {n('records_kept')} kept;"
            f" {megabytes:.1f} MB at {megabytes / seconds:.1f} MB/s, {n('retries')} retries")


def _window(month, since, until, paths) -> tuple[datetime, datetime] | None:
    """[start, end) of the CC-NEWS files to read, or None for --paths."""
    given = [name for name, value in (("--month", month), ("--since", since), ("--paths", paths)) if value]
    if len(given) != 1:
        raise click.UsageError("give one of --month, --since (with --until) or --paths")
    if until and not since:
        raise click.BadParameter("--until goes with --since", param_hint="--until")
    if paths:
        return None
    if month:
        try:
            first = datetime.strptime(month, MONTH)
        except ValueError:
            raise click.BadParameter(f"{month!r} is not a month (YYYY-MM)", param_hint="--month") from None
        following = datetime(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following
    start, end = _day(since, "--since"), _day(until, "--until") or _day(since, "--since")
    if end < start:
        raise click.BadParameter(f"{until} is before --since {since}", param_hint="--until")
    return datetime.combine(start, datetime.min.time()), datetime.combine(end + timedelta(days=1), datetime.min.time())

