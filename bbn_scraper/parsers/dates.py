"""Dates from ISO strings, meta values, visible text (eight languages), URLs, and htmldate's
search of the page as the last resort."""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta

from dateutil import parser as dateparser
from dateutil import tz
from htmldate import find_date

# Month names and their usual abbreviations, one table for every language read: lang -> the
# twelve months, each "name|abbreviation|...". Polish has its genitive ("14 września") too.
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("january|jan", "february|feb", "march|mar", "april|apr", "may", "june|jun", "july|jul",
           "august|aug", "september|sept|sep", "october|oct", "november|nov", "december|dec"),
    "de": ("januar|jänner|jan", "februar|feb", "märz|maerz|mär|mrz", "april|apr", "mai", "juni|jun",
           "juli|jul", "august|aug", "september|sept|sep", "oktober|okt", "november|nov", "dezember|dez"),
    "fr": ("janvier|janv", "février|fevrier|févr|fevr|fév", "mars", "avril|avr", "mai", "juin",
           "juillet|juil", "août|aout", "septembre|sept", "octobre|oct", "novembre|nov", "décembre|decembre|déc"),
    "es": ("enero|ene", "febrero|feb", "marzo|mar", "abril|abr", "mayo|may", "junio|jun", "julio|jul",
           "agosto|ago", "septiembre|setiembre|sept|sep", "octubre|oct", "noviembre|nov", "diciembre|dic"),
    "it": ("gennaio|gen", "febbraio|feb", "marzo|mar", "aprile|apr", "maggio|mag", "giugno|giu",
           "luglio|lug", "agosto|ago", "settembre|set", "ottobre|ott", "novembre|nov", "dicembre|dic"),
    "pt": ("janeiro|jan", "fevereiro|fev", "março|marco|mar", "abril|abr", "maio|mai", "junho|jun",
           "julho|jul", "agosto|ago", "setembro|set", "outubro|out", "novembro|nov", "dezembro|dez"),
    "nl": ("januari|jan", "februari|feb", "maart|mrt", "april|apr", "mei", "juni|jun", "juli|jul",
           "augustus|aug", "september|sept|sep", "oktober|okt", "november|nov", "december|dec"),
    "pl": ("styczeń|stycznia|sty", "luty|lutego|lut", "marzec|marca|mar", "kwiecień|kwietnia|kwi",
           "maj|maja", "czerwiec|czerwca|cze", "lipiec|lipca|lip", "sierpień|sierpnia|sie",
           "wrzesień|września|wrz", "październik|października|paź", "listopad|listopada|lis",
           "grudzień|grudnia|gru"),
}
MONTH_NUMBER: dict[str, int] = {
    name: number for months in MONTHS.values() for number, names in enumerate(months, 1) for name in names.split("|")
}

# US zone abbreviations news sites print next to times; dateutil does not know them by itself.
_TZINFOS = {
    "UTC": tz.UTC, "GMT": tz.UTC, "Z": tz.UTC,
    "EST": tz.tzoffset("EST", -5 * 3600), "EDT": tz.tzoffset("EDT", -4 * 3600),
    "CST": tz.tzoffset("CST", -6 * 3600), "CDT": tz.tzoffset("CDT", -5 * 3600),
    "MST": tz.tzoffset("MST", -7 * 3600), "MDT": tz.tzoffset("MDT", -6 * 3600),
    "PST": tz.tzoffset("PST", -8 * 3600), "PDT": tz.tzoffset("PDT", -7 * 3600),
    "BST": tz.tzoffset("BST", 3600), "CET": tz.tzoffset("CET", 3600), "CEST": tz.tzoffset("CEST", 7200),
}
_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, MONTH_NUMBER), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)"
_YEAR = r"(?P<year>(?:19|20|21)\d\d)"
# An optional time after the date: "at 8:15 am", ", 14:05", "um 14.05 Uhr", "à 9 h 30", "- 10:00 EST".
_TIME = (r"(?:\s*(?:,|-|–|\||at|um|à|a las|alle|às|om|o|godz\.)?\s*"
         r"(?P<hour>[0-2]?\d)\s?(?::|h|\.)\s?(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
         r"(?:\s*(?P<ampm>[ap]\.?m\.?))?(?:\s*(?P<zone>[A-Z]{2,4}\b|[+-]\d\d:?\d\d))?)?")
_ISO = r"(?P<iso>(?:19|20|21)\d\d-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?)"
# Visible dates: "September 14, 2023", "14. September 2023", "14 de septiembre de 2023",
# "14.09.2023", "09/14/2023", "2023/09/14", "2023-09-14T08:15", "2023年9月14日".
_TEXT_DATE = re.compile(
    r"(?<![\w.])(?:"
    rf"{_ISO}"
    rf"|{_DAY}(?:st|nd|rd|th|er|º)?\.?\s*(?:de\s+)?{_MONTH},?\s*(?:de\s+|del\s+)?{_YEAR}"
    rf"|{_MONTH.replace('month', 'month2')}\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year2>(?:19|20|21)\d\d)"
    r"|(?P<ny>(?:19|20|21)\d\d)(?P<nsep>[./])(?P<nm>[01]?\d)(?P=nsep)(?P<nd>[0-3]?\d)(?!\w)"
    r"|(?P<a>[0-3]?\d)(?P<sep>[./-])(?P<b>[01]?\d)(?P=sep)(?P<y>(?:19|20|21)\d\d)(?!\w)"
    r"|(?P<cy>(?:19|20|21)\d\d)\s*[年년]\s*(?P<cm>[01]?\d)\s*[月월]\s*(?P<cd>[0-3]?\d)\s*[日일]?"
    rf"){_TIME}",
    re.IGNORECASE,
)
# A date in the URL's path: /2019/11/18/, /2019-11-18-, /20191118/.
_URL_DATE = re.compile(r"/((?:19|20)\d\d)([/_-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)")
_EARLIEST, _LATEST = 1900, 2200
_ONE_DIGIT_SECONDS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:)(\d)(?=Z|[+-]\d|$)")  # "T23:15:0Z"


def parse_date(value: str | None) -> datetime | None:
    """A datetime from an ISO 8601 or free-form date string; aware when it names a zone,
    naive otherwise; None when nothing plausible is there."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 200:
        return None
    value = _ONE_DIGIT_SECONDS.sub(r"\g<1>0\2", value)
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        parsed = find_text_date(value)
    if parsed is None or not _EARLIEST <= parsed.year <= _LATEST:
        return None
    return parsed


def find_text_date(text: str, month_first: bool = False) -> datetime | None:
    """The first date written out in `text`, e.g. "Posted on September 14, 2023", "14.09.2023",
    "14 septembre 2023 à 9 h 30". Numeric dates are day-first unless `month_first` (US English
    pages) or only the other reading is a date."""
    for match in _TEXT_DATE.finditer(text or ""):
        parsed = _from_match(match, month_first)
        if parsed is not None:
            return parsed
    return None


def url_date(url: str | None) -> datetime | None:
    """The date a URL's path spells as year, month and day (/2019/11/18/), at midnight."""
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    try:
        return datetime(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    except ValueError:
        return None


def local_day(exact: datetime, local: datetime | None) -> datetime | None:
    """`local` (a date the page spells in its own zone, e.g. in its URL) when `exact` is a UTC
    time before 08:00 of the next day: the same evening in the Americas (UTC-4 to UTC-8)."""
    if local is None or exact.tzinfo is None or exact.utcoffset() != timedelta(0):
        return None
    return local if exact.date() - local.date() == timedelta(days=1) and exact.hour < 8 else None


def _from_match(match: re.Match, month_first: bool) -> datetime | None:
    g = match.groupdict()
    try:
        if g["iso"]:
            return dateparser.isoparse(g["iso"].replace(" ", "T"))
        if g["month"]:
            year, month, day = int(g["year"]), MONTH_NUMBER[g["month"].lower()], int(g["day"])
        elif g["month2"]:
            year, month, day = int(g["year2"]), MONTH_NUMBER[g["month2"].lower()], int(g["day2"])
        elif g["ny"]:
            year, month, day = int(g["ny"]), int(g["nm"]), int(g["nd"])
        elif g["cy"]:
            year, month, day = int(g["cy"]), int(g["cm"]), int(g["cd"])
        else:
            a, b = int(g["a"]), int(g["b"])
            first_is_month = (month_first and g["sep"] == "/" and b <= 31) or b > 12
            year, month, day = int(g["y"]), *((a, b) if first_is_month else (b, a))
        return _with_time(datetime(year, month, day), g)
    except (ValueError, OverflowError, KeyError):
        return None


def _with_time(day: datetime, g: dict) -> datetime:
    """The date at the time the match also gave (none: midnight), in its zone when it names one."""
    if g["hour"] is None:
        return day
    hour = int(g["hour"])
    if hour > 23:
        return day
    ampm = (g["ampm"] or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    moment = day.replace(hour=hour, minute=int(g["minute"]), second=int(g["second"] or 0))
    zone = g["zone"]
    if zone and zone.upper() in _TZINFOS:
        return moment.replace(tzinfo=_TZINFOS[zone.upper()])
    if zone and zone[0] in "+-":
        return _parse_offset(moment, zone)
    return moment


def _parse_offset(moment: datetime, zone: str) -> datetime:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        offset = dateparser.isoparse("2000-01-01T00:00" + zone).tzinfo
    return moment.replace(tzinfo=offset)


def htmldate_published(root, url: str | None) -> datetime | None:
    """htmldate's publication date of the page (its extensive search: markup, then dates in the
    text), at midnight. None when it finds none, or a first of the month: htmldate gives that
    for a month or a year alone (an archive link /2023/09/, a copyright line)."""
    with warnings.catch_warnings():  # our tree is lxml.html's (bbn_scraper.parsers.document): htmldate reads a copy of it
        warnings.simplefilter("ignore")
        found = find_date(root, url=url, extensive_search=True, original_date=True)
    if not found or found.endswith("-01"):
        return None
    return datetime.strptime(found, "%Y-%m-%d")
