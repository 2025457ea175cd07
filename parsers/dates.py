"""Dates from ISO strings, meta values and visible text, through python-dateutil."""
from __future__ import annotations

import re
import warnings
from datetime import datetime

from dateutil import parser as dateparser
from dateutil import tz

# US zone abbreviations news sites print next to times; dateutil does not know them by itself.
_TZINFOS = {
    "UTC": tz.UTC, "GMT": tz.UTC, "Z": tz.UTC,
    "EST": tz.tzoffset("EST", -5 * 3600), "EDT": tz.tzoffset("EDT", -4 * 3600),
    "CST": tz.tzoffset("CST", -6 * 3600), "CDT": tz.tzoffset("CDT", -5 * 3600),
    "MST": tz.tzoffset("MST", -7 * 3600), "MDT": tz.tzoffset("MDT", -6 * 3600),
    "PST": tz.tzoffset("PST", -8 * 3600), "PDT": tz.tzoffset("PDT", -7 * 3600),
    "BST": tz.tzoffset("BST", 3600), "CET": tz.tzoffset("CET", 3600), "CEST": tz.tzoffset("CEST", 7200),
}
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_TIME = r"(?:\s*(?:at|,|-|–)?\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,4}|[+-]\d{2}:?\d{2}))?)?"
# Visible dates: "September 14, 2023", "Sep 14, 2023 at 8:15 am", "14 September 2023", "2023-09-14".
_TEXT_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?){_TIME}",
    re.IGNORECASE,
)
_EARLIEST, _LATEST = 1900, 2200


def parse_date(value: str | None) -> datetime | None:
    """A datetime from an ISO 8601 or free-form date string; aware when it names a zone,
    naive otherwise; None when nothing plausible is there."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 200:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        match = _TEXT_DATE.search(value)
        if not match:
            return None
        parsed = _parse_free(match.group(0))
    if parsed is None or not _EARLIEST <= parsed.year <= _LATEST:
        return None
    return parsed


def find_text_date(text: str) -> datetime | None:
    """The first date written out in visible text, e.g. "Posted on September 14, 2023"."""
    match = _TEXT_DATE.search(text or "")
    return parse_date(match.group(0)) if match else None


def _parse_free(text: str) -> datetime | None:
    text = re.sub(r"\bat\b", " ", text, flags=re.IGNORECASE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dateparser.parse(text, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError):
        return None
