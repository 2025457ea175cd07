"""Files a command writes, whole or not at all: into a temporary file beside the target,
renamed to it when the command ends well and removed when it does not (an error, Ctrl-C,
SIGTERM), so that an export stopped halfway leaves no file that looks complete."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced_whole(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` (hidden: `.NAME.XXXX.part`) to write, renamed to `path`
    when the block ends well, removed otherwise; SIGTERM in the block ends it as Ctrl-C does."""
    target = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    temporary = Path(name)
    try:
        with _terminate_as_interrupt():
            yield temporary
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as open() would have made it
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


@contextlib.contextmanager
def open_output(path: str, binary: bool = False):
    """The file to write (text, UTF-8, newlines as written; or bytes), or standard output for
    "-"; a file is written whole or not at all (`replaced_whole`)."""
    if path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    with replaced_whole(path) as temporary:
        with open(temporary, "wb") if binary else open(temporary, "w", encoding="utf-8", newline="") as out:
            yield out


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the block (the main thread only), so that what is
    half-written is removed before the process ends."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: SIGTERM keeps its way
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
