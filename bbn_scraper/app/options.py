"""The options and error handling every command shares: a command module of its own (under
app/) imports them from here, and bbn_scraper/app/cli.py registers the command."""
from __future__ import annotations

import functools
import sqlite3

import click

from archive.errors import ArchiveError

DEFAULT_DB = "archive.db"


def db_option():
    """--db: the archive file. Only crawl and demo create it; elsewhere a missing file is
    `NotFound`, one line on stderr (`clear_errors`)."""
    return click.option(
        "--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
        help="The archive database file.",
    )


def clear_errors(fn):
    """Typed archive errors (a missing archive file among them: `NotFound`) end the command
    with one line on stderr and exit status 1; so does an SQLite error met after the archive
    was opened (a file damaged past its first pages, a disk that fills up)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"{kwargs.get('db', 'the archive')}: {exc}") from None
    return wrapper


def article_filters(fn):
    """--author, --tag, --section, --since, --until: which articles a command reads."""
    options = [
        click.option("--author", metavar="NAME", help="Only articles by this author (whole name, any case)."),
        click.option("--tag", metavar="NAME", help="Only articles with this tag (whole name, any case)."),
        click.option("--section", metavar="NAME", help="Only articles in this section (any case)."),
        click.option("--since", metavar="DATE", help="Only articles published on or after DATE (ISO date, or any date python-dateutil reads)."),
        click.option("--until", metavar="DATE", help="Only articles published on or before DATE (2023-09 means to the end of September)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn
