"""`bbn-archive import-warc`: build or extend the archive from WARC files (see bbn_scraper.crawler.warc_import).
Registered by bbn_scraper/app/cli.py; its one-line errors are bbn_scraper.app.options' `clear_errors`."""
from __future__ import annotations

import click

from archive import Archive
from bbn_scraper.app.options import DEFAULT_DB, clear_errors, workers_option
from bbn_scraper.app.report import crawl_summary


@click.command("import-warc")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The archive database file (created if missing).")
@workers_option()
@clear_errors
def import_warc(files, db, workers):
    """Archive the articles in WARC FILES (.warc or .warc.gz, from wget --warc-file, Heritrix,
    Browsertrix, Common Crawl...) without fetching anything: the pages go the crawl's way
    (parse, deduplicate, store) and the import is recorded as a crawl. Records that hold no
    HTML page are counted and skipped; unreadable ones are fetch errors naming their file and
    offset. Importing a file again adds nothing. Holds the crawl lock; exit status 1 with one
    line when the archive cannot be used.

    \b
    Example:
        bbn-archive import-warc CC-NEWS-20240101000000-00000.warc.gz --db news.db --workers 4
    """
    from archive.warc import not_a_warc
    from bbn_scraper.crawler.warc_import import run_import

    for path in files:  # before the archive is opened: a file that is no WARC creates nothing
        if not_a_warc(path):
            raise click.BadParameter(not_a_warc(path), param_hint="FILES")
    with Archive(db, create=True) as archive, archive.crawl_lock():
        pass
    stats = run_import(list(files), db, {} if workers is None else {"PARSE_PROCESSES": workers})
    if "bbn/crawl_id" not in stats:
        raise click.ClickException("the import did not start: see the log above")
    if stats.get("bbn/store_failure"):
        raise click.ClickException(f"import (crawl {stats['bbn/crawl_id']}): {stats['bbn/store_failure']}")
    warc = {k.removeprefix("bbn/warc/"): v for k, v in sorted(stats.items()) if k.startswith("bbn/warc/")}
    click.echo("WARC records: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in warc.items()))
    with Archive(db) as archive:
        click.echo(crawl_summary(archive))
