"""The revisit policy (bbn_scraper.crawler.revisit): which archived articles are due, by age and last fetch."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bbn_scraper.crawler.revisit import DEFAULT_POLICY, RevisitPolicy, bad_policy

NOW = datetime(2026, 1, 31, 2, 0, tzinfo=timezone.utc)


def ago(**delta) -> str:
    return (NOW - timedelta(**delta)).isoformat()


@pytest.mark.parametrize("published, fetched, due", [
    (ago(days=1), ago(minutes=5), True),  # under 2 days: every crawl
    (ago(days=10), ago(days=1), False),  # under 30 days: weekly
    (ago(days=10), ago(days=7), True),
    (ago(days=10), ago(days=6, hours=13), True),  # half a day early still counts
    (ago(days=10), ago(days=6, hours=11), False),
    (ago(days=10), None, True),  # never fetched (an archive from before validators): due
    (ago(days=31), ago(days=300), False),  # older: only a newer lastmod
    (None, None, False),  # no date to tell the age by
    ("2026-01-30", ago(hours=1), True),  # a date without a time or zone
])
def test_default_policy(published, fetched, due):
    assert RevisitPolicy.parse(DEFAULT_POLICY).is_due(published, fetched, NOW) is due


def test_never_and_hours():
    assert not RevisitPolicy.parse("never").is_due(ago(minutes=1), None, NOW)
    policy = RevisitPolicy.parse(" 12h : 1h , 1w:1d ")
    assert policy.is_due(ago(hours=2), ago(hours=1), NOW) and not policy.is_due(ago(hours=2), ago(minutes=20), NOW)
    assert policy.is_due(ago(days=3), ago(days=1), NOW) and not policy.is_due(ago(days=8), ago(days=9), NOW)


@pytest.mark.parametrize("text", ["", "2d", "always", "2d:sometimes", "2x:always", "30d:7d,2d:always",
                                  "2d:always,2d:7d", "0d:always", "2d:always;30d:7d", 7])
def test_bad_policies_say_why_in_one_line(text):
    reason = bad_policy(text)
    assert reason and "\n" not in reason and "revisit policy" in reason
