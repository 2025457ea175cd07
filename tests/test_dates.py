"""bbn_scraper.parsers.dates: visible dates in the eight languages of the MONTHS table, numeric orders,
URL dates and the UTC-next-morning rule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bbn_scraper.parsers.dates import MONTHS, find_text_date, local_day, parse_date, url_date

SEPT_14 = datetime(2023, 9, 14)


@pytest.mark.parametrize("lang, text", [
    ("en", "Posted on September 14, 2023"),
    ("en", "14th Sept 2023"),
    ("de", "Veröffentlicht am 14. September 2023"),
    ("fr", "Publié le 14 septembre 2023"),
    ("es", "Publicado el jueves 14 de septiembre de 2023"),
    ("it", "Pubblicato il 14 settembre 2023"),
    ("pt", "Publicado em 14 de setembro de 2023"),
    ("nl", "Gepubliceerd op 14 september 2023"),
    ("pl", "Opublikowano 14 września 2023"),
])
def test_month_names_of_each_language(lang, text):
    assert find_text_date(text) == SEPT_14


@pytest.mark.parametrize("lang, month", [(lang, m) for lang in MONTHS for m in range(1, 13)])
def test_every_month_name_of_the_table_reads(lang, month):
    for name in MONTHS[lang][month - 1].split("|"):
        assert find_text_date(f"3 {name} 2021") == datetime(2021, month, 3), name


def test_no_month_name_means_two_months():
    seen: dict[str, int] = {}
    for months in MONTHS.values():
        for number, names in enumerate(months, 1):
            for name in names.split("|"):
                assert seen.setdefault(name, number) == number, name


@pytest.mark.parametrize("text, month_first, expected", [
    ("14.09.2023", False, SEPT_14),
    ("14/09/2023", False, SEPT_14),
    ("09/14/2023", False, SEPT_14),  # only the month-first reading is a date
    ("09/10/2023", True, datetime(2023, 9, 10)),
    ("09/10/2023", False, datetime(2023, 10, 9)),
    ("09.10.2023", True, datetime(2023, 10, 9)),  # dots are day first even on US pages
    ("2023/09/14", False, SEPT_14),
    ("2023.09.14", False, SEPT_14),
    ("2023年9月14日", False, SEPT_14),
])
def test_numeric_dates(text, month_first, expected):
    assert find_text_date(text, month_first) == expected


@pytest.mark.parametrize("text, expected", [
    ("Sep 14, 2023 at 8:15 am", datetime(2023, 9, 14, 8, 15)),
    ("Sep 14, 2023 at 8:15 pm EDT", datetime(2023, 9, 14, 20, 15, tzinfo=timezone(timedelta(hours=-4)))),
    ("14. September 2023, 14:05 Uhr", datetime(2023, 9, 14, 14, 5)),
    ("14 septembre 2023 à 9 h 30", datetime(2023, 9, 14, 9, 30)),
    ("14.09.2023 - 04:30", datetime(2023, 9, 14, 4, 30)),
    ("2023-09-14T08:15:37+00:00", datetime(2023, 9, 14, 8, 15, 37, tzinfo=timezone.utc)),
])
def test_times_after_the_date(text, expected):
    assert find_text_date(text) == expected


@pytest.mark.parametrize("text", ["", "no date here", "Version 2.3.2023b", "31.02.2023", "1.5 million in 2023", "September 2023"])
def test_no_date(text):
    assert find_text_date(text) is None


def test_parse_date_takes_iso_then_text():
    assert parse_date("2023-09-14T08:15:37Z") == datetime(2023, 9, 14, 8, 15, 37, tzinfo=timezone.utc)
    assert parse_date("14 de septiembre de 2023") == SEPT_14
    assert parse_date("garbage") is None
    assert parse_date(None) is None


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/2019/11/18/slug/", datetime(2019, 11, 18)),
    ("https://example.com/news/20191118/slug", datetime(2019, 11, 18)),
    ("https://example.com/2019-11-18-slug.html", datetime(2019, 11, 18)),
    ("https://example.com/2019/11/slug/", None),  # a month is not a day
    ("https://example.com/article/120191118120908039/", None),  # digits of an id
    ("https://example.com/2019/13/40/slug/", None),
    (None, None),
])
def test_url_date(url, expected):
    assert url_date(url) == expected


def test_local_day_takes_the_url_day_over_a_utc_next_morning():
    url_day = datetime(2020, 2, 17)
    assert local_day(datetime(2020, 2, 18, 2, 18, tzinfo=timezone.utc), url_day) == url_day
    assert local_day(datetime(2020, 2, 18, 10, 4, tzinfo=timezone.utc), url_day) is None  # too late in the day
    assert local_day(datetime(2020, 2, 17, 2, 18, tzinfo=timezone.utc), url_day) is None  # same day
    assert local_day(datetime(2020, 2, 18, 2, 18, tzinfo=timezone(timedelta(hours=-5))), url_day) is None  # not UTC
    assert local_day(datetime(2020, 2, 18, 2, 18), url_day) is None  # naive
    assert local_day(datetime(2020, 2, 18, 2, 18, tzinfo=timezone.utc), None) is None
