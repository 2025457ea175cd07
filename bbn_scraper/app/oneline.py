"""Every failure of every command as one line on stderr with a documented exit status
(README: Exit statuses): usage errors (2) without click's "Usage: ... Try --help" lines,
and a file that cannot be read or written (1) without a traceback."""
from __future__ import annotations

import errno
import os
import re

import click

USAGE = 2  # a bad option or argument (click's UsageError)


class OneLineUsageError(click.ClickException):
    """A click usage error shown as one `Error:` line naming the command's --help."""

    exit_code = USAGE

    def __init__(self, error: click.UsageError):
        hint = f" (see: {error.ctx.command_path} --help)" if error.ctx is not None else ""
        super().__init__(error.format_message().replace("\n", " ") + hint)


class OneLineGroup(click.Group):
    """A click group whose usage errors, at any level, are one line (`OneLineUsageError`), and
    whose commands' OSErrors (a folder that does not exist, a file that cannot be written) are
    one `Error:` line with exit status 1; so is, as a last resort, any other exception (a bug),
    unless BBN_ARCHIVE_TRACEBACK is set."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError:
            raise  # the help, exit status 2
        except click.UsageError as exc:
            raise OneLineUsageError(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise OneLineUsageError(exc) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise click.ClickException(os_error_line(exc)) from None
        except click.ClickException as exc:
            exc.message = terminal_safe(exc.message)  # it may quote the archive (an SQLite error, a URL)
            raise
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: a bug is one line too
            if os.environ.get("BBN_ARCHIVE_TRACEBACK"):
                raise
            raise click.ClickException(f"internal error, {type(exc).__name__}: {exc}"
                                       " (BBN_ARCHIVE_TRACEBACK=1 shows the traceback)") from None


# What a terminal would act on rather than show, in text that came from an archive (or a site):
# C0 controls but tab and line feed, DEL, C1 controls (U+009B is a CSI) and the bidirectional
# overrides and isolates. Each is shown escaped, as Python writes it ("\x1b", "\u202e").
UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` with every character of UNSHOWN escaped: archived text printed to a terminal
    cannot move the cursor, retitle the window, write a link or reorder the line."""
    return UNSHOWN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def json_safe(text: str) -> str:
    """JSON text (json.dumps' with ensure_ascii=False) with every character of UNSHOWN written
    as a \\uXXXX escape: the same JSON to a parser, nothing a terminal acts on (json.dumps
    escapes C0 controls only)."""
    return UNSHOWN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def os_error_line(exc: OSError) -> str:
    """"PATH: reason" for an OSError about a file, else its message."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename else reason
