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


def test_iso_time_with_one_digit_seconds():
    assert parse_date("2020-12-05T23:15:0Z") == datetime(2020, 12, 5, 23, 15, tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- the page's zone

def _published(head: str, url: str, lang: str = "", body: str = "") -> datetime:
    from bbn_scraper.parsers import parse_article

    html = (f'<html lang="{lang}"><head><meta property="og:type" content="article">{head}</head><body>'
            f"<h1>Ferry timetable changes for the winter season</h1>{body}<p>{'Words of the story. ' * 30}</p>"
            "</body></html>")
    return parse_article(html, url).published


UTC_NIGHT = '<meta property="article:published_time" content="2020-05-02T02:54:29Z">'


@pytest.mark.parametrize("url, lang, head, day", [
    ("https://news.example.ca/story-of-the-day", "fr", "", "2020-05-01"),  # the domain's country
    ("https://news.example/story-of-the-day", "en", '<meta property="og:locale" content="en_US">', "2020-05-01"),
    ("https://news.example/story-of-the-day", "es-MX", "", "2020-05-01"),  # the region of <html lang>
    # another time of the page carries the zone's offset
    ("https://news.example/story-of-the-day", "", '<meta property="article:modified_time" content="2020-05-01T23:10:00-04:00">', "2020-05-01"),
    ("https://news.example/story-of-the-day", "", "", "2020-05-02"),  # nothing says: UTC's day
    ("https://news.example.co.uk/story-of-the-day", "en-GB", "", "2020-05-02"),  # a UTC+1 country: the same day
])
def test_a_utc_time_is_shown_in_the_page_zone(url, lang, head, day):
    published = _published(UTC_NIGHT + head, url, lang)
    assert published.strftime("%Y-%m-%d") == day
    assert published == datetime(2020, 5, 2, 2, 54, 29, tzinfo=timezone.utc)  # the same instant


def test_the_day_the_page_shows_wins_over_the_zone_guess():
    """WordPress left at UTC prints lang en-US on sites anywhere: the URL's day, or the day its
    <time> prints, is the page's own."""
    assert _published(UTC_NIGHT, "https://news.example/2020/05/02/story/", "en-US").strftime("%Y-%m-%d") == "2020-05-02"
    shown = '<time datetime="2020-05-02T02:54:29Z" itemprop="datePublished">2 May 2020</time>'
    assert _published(UTC_NIGHT, "https://news.example/story-of-the-day", "en-US", shown).strftime("%Y-%m-%d") == "2020-05-02"


def test_a_trackback_rdf_block_in_a_comment_gives_the_date():
    rdf = ('<!--\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">'
           '<rdf:Description rdf:about="https://blog.example.jp/e/1234" dc:title="T" dc:date="2020-07-12T22:00:00+09:00" />'
           "</rdf:RDF>\n-->")
    footer = "<div class='footer'>© 2015-07-21 Blog Service</div>"
    published = _published("", "https://blog.example.jp/e/1234", "ja", rdf + footer)
    assert published == datetime(2020, 7, 12, 22, tzinfo=timezone(timedelta(hours=9)))
