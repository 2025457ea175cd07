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


def workers_option():
    """--workers N (alias --processes): the parse processes of an import; None: the default,
    one per CPU."""
    return click.option("--workers", "--processes", "workers", type=click.IntRange(min=0), metavar="N",
                        help="Worker processes that parse the pages and compute their story signatures"
                             " (default: one per CPU; 0: none, this process parses).")


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


def settings_option():
    """-s/--set NAME=VALUE, repeatable: Scrapy settings, handed to the command as a dict. A pair
    that is not NAME=VALUE, a NAME that neither Scrapy nor the project declares (with the
    nearest names: "did you mean ...") or a value that does not read as the setting's type is
    a usage error in one line, before anything starts. Every command that takes -s uses it."""
    return click.option("-s", "--set", "extra", multiple=True, metavar="NAME=VALUE", callback=_settings,
                        help="Any Scrapy or bbn-archive setting (README: Settings).")


def _settings(ctx, param, pairs: tuple[str, ...]) -> dict:
    from bbn_scraper.crawler.run import bad_setting

    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE")
        if bad_setting(name, value):
            raise click.BadParameter(bad_setting(name, value))
        settings[name] = value
    return settings


def output_named(path: str, suffixes, what: str, hint: str | None = "'-o' / '--output'", or_else: str = "") -> str:
    """The suffix of `suffixes` the output file name `path` ends with (any case); else a usage
    error in one line naming the suffixes (exit status 2), before anything is read or written.
    Every command that writes a file of a given kind checks its name here (`named`)."""
    found = next((suffix for suffix in suffixes if path.lower().endswith(suffix)), None)
    if found is None:
        raise click.BadParameter(f"{path}: an extension that names no {what} (end the name with"
                                 f" {', '.join(suffixes)}{or_else})", param_hint=hint)
    return found


def named(suffixes, what: str):
    """A click callback: the option's file name checked by `output_named`."""
    def check(ctx, param, path: str | None) -> str | None:
        if path is not None:
            output_named(path, suffixes, what, hint=None)
        return path
    return check
