"""A user's own SQL on the archive (`bbn-archive query`): a read-only connection that no
statement can write through or ATTACH another file to, with a time limit and a cap on the size
of any one value, so that a runaway statement (an endless recursive CTE, a gigabyte built by
group_concat) ends with an error instead of holding the machine."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import ArchiveError
from .schema import connect_read_only

MAX_VALUE_BYTES = 64 * 1024**2  # any one string or blob of a reader's SQL (query, serve), while SQLite builds it
PROGRESS_STEPS = 10_000  # SQLite virtual machine steps between looks at the clock (well under a millisecond)


class QueryTooLong(ArchiveError):
    """The statement ran past its time limit and was interrupted."""


class ReadOnlyQueries:
    """The archive at `path` over a read-only connection (URI mode=ro and `PRAGMA query_only`,
    ATTACH denied) on which a statement is interrupted `timeout` seconds after it starts (0: no
    limit) and no string or blob may grow past `max_value_bytes`. `close()` when done."""

    def __init__(self, path: str | Path, timeout: float, max_value_bytes: int):
        self.timeout = timeout
        self.conn = connect_read_only(path)
        self.conn.execute("PRAGMA query_only = 1")
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max_value_bytes)
        self.conn.set_authorizer(_no_attach)

    def execute(self, sql: str, params: dict) -> tuple[list[str], Iterator[tuple]]:
        """The column names and the rows of `sql`; the time limit counts from now and covers
        reading the rows. `QueryTooLong` once it is past; SQLite's errors as they come."""
        if self.timeout:
            deadline = time.monotonic() + self.timeout
            self.conn.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        cursor = self._step(lambda: self.conn.execute(sql, params))
        return [d[0] for d in cursor.description or ()], self._rows(cursor)

    def _rows(self, cursor: sqlite3.Cursor) -> Iterator[tuple]:
        while (row := self._step(cursor.fetchone)) is not None:
            yield row

    def _step(self, step):
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if str(exc) == "interrupted" and self.timeout:
                raise QueryTooLong(f"the statement ran past its time limit of {self.timeout:g} s"
                                   " (--timeout S to allow more)") from None
            raise

    def close(self) -> None:
        self.conn.close()


def _no_attach(action: int, *_) -> int:
    """ATTACH would open (and could create) another file: denied."""
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK
