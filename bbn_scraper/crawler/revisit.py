"""The revisit policy: which archived articles a re-crawl requests again although no newer
sitemap <lastmod> says they changed, by their age (published, else first archived) and the time
since their page was last fetched or revalidated.

A policy is a comma-separated list of tiers `AGE:EVERY`, ages increasing: an article at most
AGE old is due when EVERY has passed since its last fetch (`always`: every crawl). Past the last
tier, or with the policy `never`, only a newer <lastmod> brings an article back. Durations are a
number and a unit: h (hours), d (days), w (weeks). An interval counts as passed up to half a day
(at most half the interval) early, so that a nightly crawl at a fixed hour keeps its rhythm.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

DEFAULT_POLICY = "2d:always,30d:7d"
DURATION = re.compile(r"(\d+(?:\.\d+)?)([hdw])")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
SLACK = timedelta(hours=12)
FORMAT = "AGE:EVERY tiers, e.g. 2d:always,30d:7d (units h, d, w), or never"


class PolicyError(ValueError):
    """A policy that does not read; the message is one line."""


@dataclass(frozen=True)
class RevisitPolicy:
    tiers: tuple[tuple[timedelta, timedelta], ...]  # (up to this age, due after this long), ages increasing

    @classmethod
    def parse(cls, text: str) -> RevisitPolicy:
        """The policy written as `text` (see the module's docstring); `PolicyError` if it does not read."""
        if not isinstance(text, str):
            raise PolicyError(f"{text!r} is not a revisit policy: give {FORMAT}")
        spec = text.strip().lower()
        if spec == "never":
            return cls(())
        tiers = []
        for part in spec.split(","):
            age, sep, every = (s.strip() for s in part.partition(":"))
            if not sep or _duration(age) is None or every != "always" and _duration(every) is None:
                raise PolicyError(f"{text!r} is not a revisit policy: {part.strip()!r} is not AGE:EVERY; give {FORMAT}")
            tiers.append((_duration(age), timedelta(0) if every == "always" else _duration(every)))
        ages = [age for age, _ in tiers]
        if any(age <= timedelta(0) for age in ages) or ages != sorted(set(ages)):
            raise PolicyError(f"{text!r} is not a revisit policy: the ages must be above zero and increasing")
        return cls(tuple(tiers))

    def is_due(self, published: str | None, fetched: str | None, now: datetime) -> bool:
        """Whether an article published at `published` (ISO 8601), last fetched at `fetched`,
        is due at `now`. No date to tell its age by: not due."""
        born = _instant(published)
        if born is None:
            return False
        age = now - born
        for limit, every in self.tiers:
            if age <= limit:
                last = _instant(fetched)
                return not every or last is None or now - last >= every - min(SLACK, every / 2)
        return False


def bad_policy(text) -> str | None:
    """Why `text` is no revisit policy (one line), or None."""
    try:
        RevisitPolicy.parse(text)
    except PolicyError as exc:
        return str(exc)
    return None


def _duration(text: str) -> timedelta | None:
    match = DURATION.fullmatch(text.replace(" ", ""))
    return float(match[1]) * UNITS[match[2]] if match else None


def _instant(text: str | None) -> datetime | None:
    """An archived ISO 8601 date or date-time as an aware datetime (UTC when it names no zone)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
