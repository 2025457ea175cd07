"""`bbn-archive`: crawl news sites into the archive and query it. Archive errors become one
clear line here, at the edge."""
from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import click

from archive.db import Archive
from bbn_scraper.app.oneline import OneLineGroup, json_safe, terminal_safe
from bbn_scraper.app.options import article_filters, clear_errors, db_option, named, output_named, settings_option
from bbn_scraper.app.output import open_output
from bbn_scraper.app.report import crawl_summary

DEMO_PORT = 8765
BOLD_MARKERS = ("\ue000", "\ue001")  # a search's match markers, made bold after the text is made terminal-safe


@click.group(cls=OneLineGroup)
@click.version_option(package_name="bbn-archive")
def cli():
    """Archive BBN-style news sites in SQLite, and search what you archived."""


@cli.command()
@click.argument("urls", nargs=-1)
@db_option()
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests to one site (default 0.5, AutoThrottle on).")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight per site (default 4).")
@click.option("--max-articles", type=click.IntRange(min=0), default=0, help="Store at most this many new articles, then stop (0: no cap).")
@click.option("--refresh", is_flag=True, help="Download archived articles again, even when unchanged.")
@click.option("--full", is_flag=True, help="Walk every listing page again (a re-crawl stops at pages with nothing new).")
@click.option("--resume", "jobdir", type=click.Path(file_okay=False), help="Job directory: an interrupted crawl resumes from it.")
@click.option("--local", is_flag=True, help="No politeness delays: for sites served on 127.0.0.1.")
@settings_option()
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False), metavar="FILE.toml",
              help="Crawl every site of this file in one run (README: Many sites, one config).")
@click.option("--contact", metavar="EMAIL|URL", help="Your contact, put in the User-Agent for site owners.")
@click.option("--warc", "warc_dir", type=click.Path(file_okay=False), help="Record every exchange as WARC files in this folder.")
@click.option("-v", "--verbose", is_flag=True, help="Scrapy's INFO log (also with --local), not the progress line of a terminal.")
@clear_errors
def crawl(urls, db, delay, concurrency, max_articles, refresh, full, jobdir, local, extra, sites_file, contact, verbose, warc_dir):
    """Crawl URLS (default https://bigbignews.net/) into the archive.

    \b
    Example:
        bbn-archive crawl https://bigbignews.net/ --db news.db --max-articles 100
    """
    from bbn_scraper.crawler.run import LOCAL_SETTINGS, bad_start_url, run_crawl
    from bbn_scraper.crawler.spiders.bbn import DEFAULT_START_URL

    overrides = dict(LOCAL_SETTINGS) if local else {}
    if delay is not None:
        overrides.update(DOWNLOAD_DELAY=delay, AUTOTHROTTLE_START_DELAY=max(delay, 0.1))
    if concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    if max_articles:
        overrides["ARCHIVE_MAX_ARTICLES"] = max_articles
    if jobdir:
        overrides["JOBDIR"] = jobdir
    if warc_dir:
        from bbn_scraper.crawler.warc import folder_problem

        if folder_problem(warc_dir):
            raise click.BadParameter(folder_problem(warc_dir), param_hint="--warc")
        overrides["WARC_DIR"] = warc_dir
    if verbose:
        overrides["LOG_LEVEL"] = "INFO"
    elif sys.stderr.isatty():
        overrides.update(PROGRESS_LINE=True, LOG_LEVEL="WARNING")
    overrides.update(extra)
    if sites_file:
        from bbn_scraper.crawler.sites import SitesError, load, overrides as site_overrides

        if urls:
            raise click.BadParameter("give either URLS or --sites, not both", param_hint="--sites")
        try:
            sites = load(sites_file)
        except SitesError as exc:
            raise click.BadParameter(str(exc), param_hint="--sites") from None
        overrides.update(site_overrides(sites))
        urls = sites.start_urls
    if contact is not None:
        if not contact.strip():
            raise click.BadParameter("an empty contact", param_hint="--contact")
        overrides["BBN_CONTACT"] = contact.strip()
    for url in urls:
        if bad_start_url(url):
            raise click.BadParameter(bad_start_url(url), param_hint="URLS")
    _check_not_locked(db)
    if jobdir:
        from bbn_scraper.crawler.jobdir import JobDirBusy, check_free

        try:
            check_free(jobdir)
        except JobDirBusy as exc:
            raise click.ClickException(str(exc)) from None
    stats = run_crawl(list(urls) or [DEFAULT_START_URL], db, overrides, refresh=refresh, full=full)
    _check_outcome(stats)
    _print_summary(db)
    _check_fetched(stats)


@cli.command()
@db_option()
@click.option("--port", type=click.IntRange(0, 65535), default=DEMO_PORT, show_default=True,
              help="Port of the sample site (0: any free port). An archive that holds the demo already is served its port again.")
@click.option("--sister", is_flag=True,
              help="Also serve and crawl the sister site, The Daily Courier (rewritten copies of every second story,"
                   " and stories of its own): stories carried by two sites, for `stories` and the reading room.")
@click.option("--sister-port", type=click.IntRange(0, 65535), default=DEMO_PORT + 1, show_default=True,
              help="Port of the sister site (0: any free port); as --port, an archive's earlier one wins.")
@clear_errors
def demo(db, port, sister, sister_port):
    """Serve the bundled sample site on 127.0.0.1 (with --sister, its sister site too), crawl
    it into the archive, stop it, and print what was archived. Into a new archive, ids follow
    the articles' publication (the same every run); run again, the demo re-crawls the same
    addresses and adds nothing.

    \b
    Examples:
        bbn-archive demo --db demo.db
        bbn-archive demo --sister --db demo.db && bbn-archive stories --db demo.db
    """
    from archive.stable_ids import renumber
    from bbn_scraper.crawler.run import LOCAL_SETTINGS, run_crawl
    from bbn_scraper.sample_site import SampleSite
    from bbn_scraper.sample_site.sister import SisterSite

    _check_not_locked(db)
    with Archive(db) as archive:
        fresh = not archive.counts()["articles"]
        earlier = _demo_ports(archive) + [None, None]
    with contextlib.ExitStack() as sites:
        urls = [sites.enter_context(_demo_site(SampleSite, "sample site", port, earlier[0], db)).base_url]
        if sister:
            urls.append(sites.enter_context(_demo_site(SisterSite, "sister site", sister_port, earlier[1], db)).base_url)
        stats = run_crawl(urls, db, LOCAL_SETTINGS)
    _check_outcome(stats)
    if fresh:
        with Archive(db) as archive:
            renumber(archive)
    _print_summary(db)
    if sister:
        click.echo(f"Stories:    bbn-archive stories --db {db}")
    _check_fetched(stats)


def _demo_site(make, name: str, port: int, earlier: int | None, db: str):
    """The demo's site `make(port=...)` (SampleSite or SisterSite) on the port it had when this
    archive was first crawled, else on `port`, else, busy, on a free one; its URL printed."""
    if earlier is not None and earlier != port:
        click.echo(f"serving the {name} on port {earlier}, as when {db} was first crawled", err=True)
    try:
        site = make(port=port if earlier is None else earlier)
    except OSError:
        if earlier is not None:
            raise click.ClickException(f"port {earlier}, where {db}'s {name} was served, is busy: free it"
                                       " (a demo on another port would archive every article again)") from None
        click.echo(f"port {port} is busy; serving the {name} on a free port", err=True)
        site = make(port=0)
    click.echo(f"{name}: {site.base_url}")
    return site


def _demo_ports(archive: Archive) -> list[int]:
    """The ports of the sites earlier demos crawled into this archive (the sample site's, then
    the sister site's), in the order they were first crawled."""
    ports = []
    for start_urls in archive.crawl_start_urls():
        for url in start_urls:
            host, _, port = urlsplit(url).netloc.partition(":")
            if host == "127.0.0.1" and port.isdigit() and int(port) not in ports:
                ports.append(int(port))
    return ports


@cli.command()
@db_option()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on (0.0.0.0: every interface).")
@clear_errors
def serve(db, port, host):
    """Browse the archive in Datasette, with the project's descriptions, searches, facets
    and canned queries. Safe while a crawl is writing to the archive.

    \b
    Example:
        bbn-archive serve --db news.db --port 8001
    """
    import socket

    from bbn_scraper.app.serve import check_servable, serve as run_server

    check_servable(db)
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --host or --port") from None
    run_server(db, host=host, port=port, echo=click.echo)


def _to_json(value) -> str:
    return json_safe(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@cli.command()
@click.argument("query")
@db_option()
@article_filters
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=20, show_default=True, help="At most this many results (up to 10,000).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of results (snippet matches in [...]).")
@clear_errors
def search(query, db, author, tag, section, since, until, limit, as_json):
    """Full-text search of the articles and their FAQ pairs, best match first.

    Every word must appear (stemmed: "floods" finds "flood"); "a phrase" in double quotes
    must appear as written; word* finds words starting with word.

    \b
    Example:
        bbn-archive search "harbor accord" --section World --since 2023-09-01 --db news.db
    """
    from bbn_scraper.app.report import format_results

    bold = sys.stdout.isatty() and not as_json
    with Archive(db) as archive:
        results = archive.search(query, author=author, tag=tag, section=section, since=since, until=until,
                                 limit=limit, markers=BOLD_MARKERS if bold else ("[", "]"))
    if as_json:
        click.echo(_to_json([asdict(r) for r in results]))
        return
    shown = terminal_safe(format_results(results))  # then the markers become the terminal's bold
    for marker, style in zip(BOLD_MARKERS, (click.style("", bold=True, reset=False), click.style("", reset=True))):
        shown = shown.replace(marker, style)
    click.echo(shown)


@cli.command()
@click.argument("article", metavar="ID|URL")
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print the article as a JSON object.")
@clear_errors
def show(article, db, as_json):
    """Show one article, by its id, its URL or any URL it was seen under: headline, byline,
    dates, section, tags, URLs, body, FAQ pairs, links and versions.

    \b
    Example:
        bbn-archive show https://bigbignews.net/2023/09/20/harbor-accord-talks/ --db news.db
    """
    from bbn_scraper.app.report import format_article

    with Archive(db) as archive:
        detail = archive.article(article)
    click.echo(_to_json(asdict(detail)) if as_json else terminal_safe(format_article(detail)))


@cli.command()
@db_option()
@article_filters
@click.option("--query", help="Only articles matching this search (as in the search command).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Default from the file name: .jsonl or .ndjson, .csv, .parquet (jsonl for '-').")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="The file to write ('-': standard output).")
@clear_errors
def export(db, author, tag, section, since, until, query, fmt, output):
    """Export articles with every archived field, their authors, tags, FAQ pairs and links, as
    JSON lines, CSV (lists as JSON text in CSV cells) or Parquet (typed), oldest published first.

    \b
    Example:
        bbn-archive export --section Politics --since 2023-01-01 --format csv -o politics.csv --db news.db
    """
    from archive.export import BINARY, FORMATS, SUFFIXES, columns, count, rows
    from archive.extras import require

    if fmt is None:  # from the file name: JSON lines on standard output
        fmt = "jsonl" if output == "-" else SUFFIXES[output_named(output, SUFFIXES, "format", or_else="; or give --format")]
    if fmt == "parquet":
        require("pyarrow", "parquet", "Parquet export")
    selection = dict(query=query, author=author, tag=tag, section=section, since=since, until=until)
    with Archive(db) as archive:
        total = count(archive, **selection)  # also checks the selection before the file is created
        records = rows(archive, **selection)
        progress = (click.progressbar(records, length=total, label="exporting", file=sys.stderr)
                    if sys.stderr.isatty() else contextlib.nullcontext(records))
        counted = _Counted()
        try:
            with open_output(output, fmt in BINARY) as out, progress as shown:
                written = FORMATS[fmt](counted.each(shown), out, columns(archive))
        except (ValueError, TypeError, UnicodeError, OverflowError) as exc:  # a row holding what its column cannot
            raise click.ClickException(f"export stopped after {counted.n} articles, at a row it cannot write"
                                       f" ({type(exc).__name__}: {str(exc)[:200]})"
                                       + ("; the output stops there" if output == "-" else "; no file written")) from None
    click.echo(f"exported {written} articles as {fmt} to {output}", err=True)


class _Counted:
    """How many records an export has taken so far."""

    n = 0

    def each(self, records):
        for record in records:
            yield record
            self.n += 1


@cli.command()
@db_option()
@click.option("--plot", type=click.Path(dir_okay=False), metavar="FILE.png", callback=named((".png",), "PNG chart"), help="Also write a bar chart of articles per month (PNG).")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as a JSON object.")
@clear_errors
def stats(db, plot, as_json):
    """Articles per section, per author and per month published; the crawl history; errors
    by stage.

    \b
    Example:
        bbn-archive stats --plot months.png --db news.db
    """
    from archive.extras import require
    from bbn_scraper.app.report import format_stats, plot_months

    if plot:
        require("matplotlib", "plots", "stats --plot")
    with Archive(db) as archive:
        numbers = archive.stats()
    click.echo(_to_json(asdict(numbers)) if as_json else terminal_safe(format_stats(numbers)))
    if plot:
        per = plot_months(numbers, plot)
        click.echo(f"chart of articles per {per} written to {plot}", err=True)


@cli.command()
@db_option()
@click.option("--crawl", "crawl_id", type=click.IntRange(1, 2**63 - 1), metavar="N", help="This crawl (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the errors.")
@clear_errors
def errors(db, crawl_id, as_json):
    """List a crawl's errors, in the order they happened: stage (fetch, parse, store), URL
    and reason. The latest crawl by default.

    \b
    Example:
        bbn-archive errors --crawl 3 --db news.db
    """
    with Archive(db) as archive:
        crawl_id, count, found = archive.error_rows(crawl_id)
        if as_json:  # a JSON array, written an error at a time
            click.echo("[", nl=False)
            for n, error in enumerate(found):
                line = json_safe(json.dumps(asdict(error), ensure_ascii=False, default=str))
                click.echo(("," if n else "") + "\n  " + line, nl=False)
            click.echo("\n]")
            return
        click.echo(f"crawl {crawl_id}: {count} errors")
        for error in found:
            click.echo(terminal_safe(f"{error.stage}\t{error.url or '-'}\t{error.reason}").replace("\n", "\\n"))


@cli.command()
@db_option()
@click.option("--since", metavar="DATE", help="Only pages fetched on or after DATE.")
@click.option("--processes", type=click.IntRange(min=0), metavar="N",
              help="Worker processes that parse (default: one per CPU, at most 4; 0: none).")
@click.option("--parse-timeout", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
              metavar="SECONDS", help="A page that takes a worker longer is a parse failure (no timeout with --processes 0).")
@clear_errors
def reparse(db, since, processes, parse_timeout):
    """Parse the archived pages again with the current parser, without fetching. Changed
    articles get a new version; failures are recorded in errors under a crawl of their own.
    Holds the crawl lock.

    \b
    Example:
        bbn-archive reparse --db news.db
    """
    from bbn_scraper.app.reparse import reparse as reparse_archive
    from bbn_scraper.parsers import PARSER_VERSION

    with Archive(db) as archive:
        result = reparse_archive(archive, since, processes, parse_timeout)
    click.echo(f"reparse (crawl {result.crawl_id}, parser {PARSER_VERSION}): {result.parsed} pages parsed,"
               f" {result.changed} articles changed, {result.unchanged} unchanged, {result.failed} failed")


@cli.command()
@db_option()
@click.option("--warc", "warcs", multiple=True, type=click.Path(), metavar="FILE|DIR",
              help="Also check these WARC files (a folder: its *.warc.gz): every record read, its digests checked.")
@click.option("--quick", is_flag=True, help="Nightly check of a large archive: quick_check, index row counts, a random sample of articles.")
@clear_errors
def verify(db, warcs, quick):
    """Check that the archive is intact: SQLite's integrity and foreign-key checks, the
    search indexes against their tables, every article's content hash against its text, and
    the WARC record of each page recorded with `crawl --warc` (whole, digests matching). Exit status 1, with what is wrong, when anything is off. Changes nothing.

    \b
    Example:
        bbn-archive verify --db news.db
        bbn-archive verify --quick --db news.db    # nightly: quick_check, counts, a sample
    """
    from archive.verify import report, verify_archive

    checks = verify_archive(db, quick=quick)
    if warcs:
        from archive.warc import check_warc, warc_paths

        checks += [check_warc(path) for path in warc_paths(warcs)]
    click.echo(report(checks))
    if not all(check.ok for check in checks):
        sys.exit(1)


def _check_not_locked(db: str) -> None:
    with Archive(db, create=True) as archive, archive.crawl_lock():
        pass


def _check_outcome(stats: dict) -> None:
    """A crawl that never started, or that the archive stopped, fails in one line."""
    if "bbn/crawl_id" not in stats:
        raise click.ClickException("the crawl did not start: see the log above")
    if stats.get("bbn/store_failure"):
        raise click.ClickException(f"crawl {stats['bbn/crawl_id']}: {stats['bbn/store_failure']}")


NOTHING_FETCHED = 3  # the exit status of a crawl that fetched nothing, or whose every start URL failed


def _check_fetched(stats: dict) -> None:
    """Exit status 3, with one line on stderr, when the crawl fetched no page at all or every
    start URL failed: cron and scripts notice a site that is down or a URL mistyped."""
    if not stats.get("downloader/response_count"):
        why = "fetched nothing"
    elif stats.get("bbn/start_urls") and stats.get("bbn/start_urls_failed", 0) >= stats["bbn/start_urls"]:
        why = "every start URL failed"
    else:
        return
    click.echo(f"Error: crawl {stats['bbn/crawl_id']} {why}: see `bbn-archive errors`", err=True)
    sys.exit(NOTHING_FETCHED)


def _print_summary(db: str) -> None:
    with Archive(db) as archive:
        click.echo(crawl_summary(archive))
    click.echo(f"Browse it:  bbn-archive serve --db {db}    (or: datasette {db})")


# Commands of their own modules, registered once the group exists.
from bbn_scraper.app import distributed_commands, stories_command  # noqa: E402
from bbn_scraper.app.extract_command import extract  # noqa: E402
from bbn_scraper.app import warc_commands  # noqa: E402
from bbn_scraper.app.query_command import query  # noqa: E402
from bbn_scraper.app.warc_import import import_warc  # noqa: E402
from bbn_scraper.app.commoncrawl_command import import_commoncrawl  # noqa: E402

for _command in (query, extract, import_warc, import_commoncrawl, *distributed_commands.COMMANDS,
                 *warc_commands.COMMANDS, stories_command.stories):
    cli.add_command(_command)


def main() -> None:  # pragma: no cover - console entry point
    cli(prog_name=Path(sys.argv[0]).name)
