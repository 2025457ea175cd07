"""The time zone a page is published in, for showing a time its metadata gives in UTC as the
publisher's own day ("2020-05-02T02:54Z" from a New York newsroom is the evening of May 1).

Evidence, strongest first: an offset other than UTC that the page's own times carry (another
meta or JSON-LD time, a <time datetime>); the country of the host's country-code domain; the
region of og:locale or <html lang> ("fr-CA", "en_GB"); a language spoken in one zone above all
("de", "ja"). Only the zone's name is guessed: the instant is never changed.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from urllib.parse import urlsplit

from dateutil import tz

# Country (ISO 3166 code, which is also its domain but for GB/.uk) -> the zone most of its
# newsrooms keep: the capital's, or the largest newsroom city's where a country spans zones.
COUNTRY_ZONES = {
    "us": "America/New_York", "ca": "America/Toronto", "mx": "America/Mexico_City", "br": "America/Sao_Paulo",
    "ar": "America/Argentina/Buenos_Aires", "cl": "America/Santiago", "co": "America/Bogota", "pe": "America/Lima",
    "ve": "America/Caracas", "ec": "America/Guayaquil", "uy": "America/Montevideo", "py": "America/Asuncion",
    "bo": "America/La_Paz", "cu": "America/Havana", "do": "America/Santo_Domingo", "gt": "America/Guatemala",
    "cr": "America/Costa_Rica", "pa": "America/Panama", "pr": "America/Puerto_Rico", "jm": "America/Jamaica",
    "gb": "Europe/London", "uk": "Europe/London", "ie": "Europe/Dublin", "pt": "Europe/Lisbon", "es": "Europe/Madrid",
    "fr": "Europe/Paris", "be": "Europe/Brussels", "nl": "Europe/Amsterdam", "lu": "Europe/Luxembourg",
    "de": "Europe/Berlin", "at": "Europe/Vienna", "ch": "Europe/Zurich", "it": "Europe/Rome", "mt": "Europe/Malta",
    "dk": "Europe/Copenhagen", "no": "Europe/Oslo", "se": "Europe/Stockholm", "fi": "Europe/Helsinki",
    "is": "Atlantic/Reykjavik", "pl": "Europe/Warsaw", "cz": "Europe/Prague", "sk": "Europe/Bratislava",
    "hu": "Europe/Budapest", "si": "Europe/Ljubljana", "hr": "Europe/Zagreb", "rs": "Europe/Belgrade",
    "ba": "Europe/Sarajevo", "me": "Europe/Podgorica", "mk": "Europe/Skopje", "al": "Europe/Tirane",
    "ro": "Europe/Bucharest", "md": "Europe/Chisinau", "bg": "Europe/Sofia", "gr": "Europe/Athens",
    "cy": "Asia/Nicosia", "tr": "Europe/Istanbul", "ua": "Europe/Kiev", "by": "Europe/Minsk", "ru": "Europe/Moscow",
    "lt": "Europe/Vilnius", "lv": "Europe/Riga", "ee": "Europe/Tallinn", "ge": "Asia/Tbilisi", "am": "Asia/Yerevan",
    "az": "Asia/Baku", "kz": "Asia/Almaty", "uz": "Asia/Tashkent", "il": "Asia/Jerusalem", "lb": "Asia/Beirut",
    "jo": "Asia/Amman", "sa": "Asia/Riyadh", "ae": "Asia/Dubai", "qa": "Asia/Qatar", "kw": "Asia/Kuwait",
    "bh": "Asia/Bahrain", "om": "Asia/Muscat", "ir": "Asia/Tehran", "iq": "Asia/Baghdad", "eg": "Africa/Cairo",
    "ma": "Africa/Casablanca", "dz": "Africa/Algiers", "tn": "Africa/Tunis", "ng": "Africa/Lagos",
    "gh": "Africa/Accra", "ke": "Africa/Nairobi", "ug": "Africa/Kampala", "tz": "Africa/Dar_es_Salaam",
    "et": "Africa/Addis_Ababa", "za": "Africa/Johannesburg", "pk": "Asia/Karachi", "in": "Asia/Kolkata",
    "bd": "Asia/Dhaka", "lk": "Asia/Colombo", "np": "Asia/Kathmandu", "th": "Asia/Bangkok", "vn": "Asia/Ho_Chi_Minh",
    "my": "Asia/Kuala_Lumpur", "sg": "Asia/Singapore", "id": "Asia/Jakarta", "ph": "Asia/Manila",
    "cn": "Asia/Shanghai", "hk": "Asia/Hong_Kong", "tw": "Asia/Taipei", "kr": "Asia/Seoul", "jp": "Asia/Tokyo",
    "au": "Australia/Sydney", "nz": "Pacific/Auckland",
}
# Languages whose pages come from one zone above all (not English, Spanish, Portuguese, Arabic:
# spoken across oceans). French pages are mostly France's; Russian ones mostly Moscow's.
LANGUAGE_COUNTRIES = {
    "de": "de", "it": "it", "fr": "fr", "nl": "nl", "pl": "pl", "cs": "cz", "sk": "sk", "hu": "hu", "ro": "ro",
    "bg": "bg", "el": "gr", "tr": "tr", "uk": "ua", "ru": "ru", "da": "dk", "sv": "se", "nb": "no", "nn": "no",
    "no": "no", "fi": "fi", "et": "ee", "lv": "lv", "lt": "lt", "sl": "si", "hr": "hr", "sr": "rs", "he": "il",
    "fa": "ir", "hi": "in", "bn": "bd", "th": "th", "vi": "vn", "id": "id", "ms": "my", "zh": "cn", "ja": "jp",
    "ko": "kr", "ka": "ge", "hy": "am", "az": "az",
}
_REGION = re.compile(r"^[a-z]{2,3}[-_]([a-z]{2})\b", re.IGNORECASE)
_OFFSET = re.compile(r"T\d\d:\d\d(?::\d\d(?:\.\d+)?)?([+-])(\d\d):?(\d\d)$")


def page_zone(url: str, lang: str | None, locale: str | None, times: list[str]) -> tzinfo | None:
    """The zone the page is published in, from its own times' offsets (`times`: the ISO
    strings the page states), its host's country domain, the region of `locale`/`lang`, or
    the language; None when none of them says."""
    for value in times:
        match = _OFFSET.search(value.strip()) if isinstance(value, str) else None
        if match and match.group(2, 3) != ("00", "00"):
            sign = 1 if match.group(1) == "+" else -1
            return tz.tzoffset(None, sign * (int(match.group(2)) * 3600 + int(match.group(3)) * 60))
    host = (urlsplit(url).hostname or "").rstrip(".")
    country = host.rsplit(".", 1)[-1] if "." in host else ""
    if country not in COUNTRY_ZONES:
        country = next((m.group(1).lower() for m in map(_REGION.match, (locale or "", lang or "")) if m), "")
    if country not in COUNTRY_ZONES:
        country = LANGUAGE_COUNTRIES.get((lang or locale or "")[:2].lower(), "")
    return _zone(COUNTRY_ZONES[country]) if country in COUNTRY_ZONES else None


def in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """A UTC `moment` shown in `zone` (the same instant); any other moment as it is."""
    if zone is None or moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        return moment
    return moment.astimezone(zone)


@lru_cache(maxsize=None)
def _zone(name: str) -> tzinfo | None:
    return tz.gettz(name)  # the system's zone files, else dateutil's own copy
