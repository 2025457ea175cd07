"""`bbn-archive export-warc` and `export-wacz`: the archive's pages as WARC 1.1 (archive.warc),
and as WACZ (py-wacz, whose CDXJ index is cdxj-indexer's) with a pages.jsonl listing each
article's URL, headline and dates, so that ReplayWeb.page opens on the article list."""
from __future__ import annotations

import functools
import io
import json
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from importlib.metadata import version
from pathlib import Path

import click

from archive.db import Archive
from archive.warc import article_pages, selected_page_ids, write_warc
from bbn_scraper.app.options import article_filters, clear_errors, db_option, named
from bbn_scraper.app.output import replaced_whole

TOOL = f"bbn-archive/{version('bbn-archive')} (warcio {version('warcio')})"


def _selection(author, tag, section, since, until, query) -> dict | None:
    picked = dict(query=query, author=author, tag=tag, section=section, since=since, until=until)
    return picked if any(v is not None for v in picked.values()) else None


def _export(db: str, selection: dict | None, path: Path, name: str):
    """Write the selected pages to the WARC file at `path`, named `name` in its records."""
    with Archive(db) as archive:
        page_ids = selected_page_ids(archive, selection)
        info = {"software": TOOL, "format": "WARC File Format 1.1", "description": f"exported from {Path(db).name}"}
        with open(path, "wb") as out:
            result = write_warc(archive, out, name, info, page_ids)
        pages = list(article_pages(archive, selection))
    return result, pages


# The names each command writes: its records are gzip members (a recorded crawl's are copied as
# they are), so a WARC is a .warc.gz.
WARC_NAMES, WACZ_NAMES = (".warc.gz",), (".wacz",)


def _options(fn, output_help: str, names: tuple[str, ...], what: str):
    """export-warc's and export-wacz's options: --db, the article filters, --query, -o (its
    name checked: one of `names`)."""
    fn = clear_errors(_output_errors(fn))
    fn = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help=output_help,
                      callback=named(names, what))(fn)
    fn = click.option("--query", help="Only articles matching this search (as in the search command).")(fn)
    return db_option()(article_filters(fn))


def _output_errors(fn):
    """A file that cannot be written (no such folder, a full disk) ends the command in one line."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except OSError as exc:
            raise click.ClickException(f"cannot write {exc.filename or kwargs['output']}: {exc.strerror or exc}") from None
    return wrapper


def export_warc(db, author, tag, section, since, until, query, output):
    """Write the archived pages as WARC 1.1 (gzip per record): every page, or with filters only
    the selected articles' pages. Repeated identical fetches are revisit records.

    \b
    Example:
        bbn-archive export-warc --section Politics -o politics.warc.gz --db news.db
    """
    with replaced_whole(output) as written:
        result, pages = _export(db, _selection(author, tag, section, since, until, query), written, Path(output).name)
    click.echo(f"exported {result.pages} pages ({result.responses} responses, {result.revisits} revisits)"
               f" of {len(pages)} articles to {output}", err=True)


def export_wacz(db, author, tag, section, since, until, query, output, title):
    """Write the archived pages as a WACZ: the WARC, its CDXJ index and a pages.jsonl of the
    articles (URL, headline, capture time, publication date), which ReplayWeb.page lists.

    \b
    Example:
        bbn-archive export-wacz -o news.wacz --db news.db
    """
    from wacz.main import main as wacz_main

    with replaced_whole(output) as written, tempfile.TemporaryDirectory(prefix="bbn-wacz-") as tmp:  # SIGTERM: both removed
        warc = Path(tmp) / f"{Path(output).stem}.warc.gz"
        result, pages = _export(db, _selection(author, tag, section, since, until, query), warc, warc.name)
        listing = Path(tmp) / "pages.jsonl"
        with open(listing, "w", encoding="utf-8") as out:
            out.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n")
            out.writelines(json.dumps(page, ensure_ascii=False) + "\n" for page in pages)
        chatter = io.StringIO()  # py-wacz prints its progress: kept, and shown only as the reason of a failure
        with redirect_stdout(chatter), redirect_stderr(chatter):
            status = wacz_main(["create", "-o", str(written), "--pages", str(listing), "--copy-pages",
                                "--title", title, str(warc)])
        if status:
            said = (chatter.getvalue().strip().splitlines() or [""])[-1][:300]
            raise click.ClickException(f"could not write {output}: wacz create exited with {status}"
                                       + (f" ({said})" if said else ""))
    click.echo(f"exported {result.pages} pages of {len(pages)} articles to {output}", err=True)


COMMANDS = [
    click.command("export-warc")(_options(export_warc, "The .warc.gz file to write.", WARC_NAMES, "WARC file")),
    click.command("export-wacz")(_options(
        click.option("--title", default="bbn-archive", show_default=True,
                     help="The collection's title in ReplayWeb.page.")(export_wacz), "The .wacz file to write.",
        WACZ_NAMES, "WACZ file")),
]
