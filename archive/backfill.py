"""What a Common Crawl backfill has read (`bbn-archive import-commoncrawl`): per WARC file (its
URL), the offset just past the last record fully handled and whether the file is done. A run
that was stopped continues a half-read file at that offset (an HTTP Range request: every record
starts a gzip member of its own, so a record boundary is a valid place to start reading), and
never reads a file that is done again.

A position is saved in the archive writer's transaction after every item of the records before
it was stored, so a saved position never runs ahead of what the archive holds; it may lag
behind (a killed run reads those records again, and the import skips pages already archived)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .db import Archive


@dataclass(frozen=True)
class FilePosition:
    url: str
    offset: int  # where reading continues: the start of the first record not yet fully handled
    done: bool
    records: int  # records read before `offset`, over every run
    kept: int  # of them, the ones the filter kept



class BackfillFiles:
    """The `backfill_files` table of `archive` (m011)."""

    def __init__(self, archive: Archive):
        self.db = archive.db

    def position(self, url: str) -> FilePosition:
        row = self.db.execute("SELECT offset, done, records, kept FROM backfill_files WHERE url = ?", [url]).fetchone()
        if row is None:
            return FilePosition(url, 0, False, 0, 0)
        return FilePosition(url, row[0], bool(row[1]), row[2], row[3])

    def save(self, position: FilePosition, crawl_id: int | None) -> None:
        """Record `position` (called inside the writer's transaction)."""
        self.db.execute(
            """INSERT INTO backfill_files (url, offset, done, records, kept, crawl_id, updated)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (url) DO UPDATE SET offset = excluded.offset, done = excluded.done,
                 records = excluded.records, kept = excluded.kept, crawl_id = excluded.crawl_id,
                 updated = excluded.updated""",
            [position.url, position.offset, int(position.done), position.records, position.kept, crawl_id,
             datetime.now(timezone.utc).isoformat(timespec="seconds")])

    def done_count(self, urls: list[str]) -> int:
        """How many of `urls` are done."""
        done = {row[0] for row in self.db.execute("SELECT url FROM backfill_files WHERE done")}
        return sum(url in done for url in urls)
