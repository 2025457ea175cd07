"""The dead-letter list: each entry taken from Redis that is none of our records (a pickle, junk,
another version's record, a wrong object), kept as it was found (base64) with where it came from,
why and when; only the newest `KEPT`, `DEAD_LETTERS_COUNT` counting them all, and of each entry
its first `KEPT_BYTES` with its whole size (the list stays under about 90 MB, whatever was pushed
to Redis). Nothing in an entry is run. Each is an error row too: the writer records the ones it finds, a worker pushes an error
item for the ones it finds."""
from __future__ import annotations

import base64
from datetime import datetime, timezone

from archive.wire import NotARecord, dumps, loads
from bbn_scraper.crawler.distributed import DEAD_LETTERS, DEAD_LETTERS_COUNT

KEPT = 1000
KEPT_BYTES = 64 * 1024  # of each entry: enough to see what it was
SHOWN_REASON = 500  # characters of why an entry was refused (it may quote the entry's values)


def dead_letter(pipe, source: str, data: bytes, reason: str) -> None:
    """Add to `pipe` (a Redis pipeline) the dead letter of `data`, taken from the key `source`."""
    letter = {"source": source, "reason": reason, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "entry": base64.b64encode(data[:KEPT_BYTES]).decode("ascii"), "entry_bytes": len(data)}
    pipe.lpush(DEAD_LETTERS, dumps("DeadLetter", letter))
    pipe.ltrim(DEAD_LETTERS, 0, KEPT - 1)
    pipe.incr(DEAD_LETTERS_COUNT)


def shortened(exc: Exception) -> str:
    """Why an entry was refused, at most SHOWN_REASON characters of it: a reason may quote a
    value of the entry (a 20 MB URL), and is kept in the dead letter, an error row and the log."""
    text = str(exc)
    return text if len(text) <= SHOWN_REASON else f"{text[:SHOWN_REASON]}... ({len(text) - SHOWN_REASON} more characters)"


def summary(client) -> dict:
    """How many dead letters there have been, how many are kept, and the newest one's source,
    reason and time (None when there is none)."""
    newest = client.lindex(DEAD_LETTERS, 0)
    try:
        letter = loads(newest, {"DeadLetter"}) if newest is not None else None
    except NotARecord as exc:
        letter = {"source": DEAD_LETTERS, "reason": f"not a dead letter of this version: {exc}"}
    count = client.get(DEAD_LETTERS_COUNT)
    return {"count": int(count) if count and count.isdigit() else client.llen(DEAD_LETTERS),
            "kept": client.llen(DEAD_LETTERS),
            "newest": {k: letter.get(k) for k in ("source", "reason", "at")} if letter else None}
