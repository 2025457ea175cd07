"""Every failure of every command as one line on stderr with a documented exit status
(README: Exit statuses): usage errors (2) without click's "Usage: ... Try --help" lines,
and a file that cannot be read or written (1) without a traceback."""
from __future__ import annotations

import errno
import os

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
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: a bug is one line too
            if os.environ.get("BBN_ARCHIVE_TRACEBACK"):
                raise
            raise click.ClickException(f"internal error, {type(exc).__name__}: {exc}"
                                       " (BBN_ARCHIVE_TRACEBACK=1 shows the traceback)") from None


def os_error_line(exc: OSError) -> str:
    """"PATH: reason" for an OSError about a file, else its message."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename else reason
