"""Pagination that stops early: a re-crawl follows a listing's next page (N + 1, not the
others a page links to: "1 2 3 ... 500") only from a page that lists something new, so its
cost follows the news, not the site's size. What a page lists are the links in its entries
(<article> elements, as WordPress and most themes mark them), else every link outside its
nav, header, footer and asides: a "recent posts" widget names the new articles on every
page, and would make every page look new."""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import TextResponse

from bbn_scraper.crawler.bounds import page_number

PAGE_PATH = re.compile(r"/page/\d+/?$", re.IGNORECASE)
PAGE_PARAM = re.compile(r"(?:page|paged|pg)=\d+$", re.IGNORECASE)
OUTSIDE_CHROME = "not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside)"
ENTRY_LINKS = f"//article[{OUTSIDE_CHROME}]//a/@href"
CONTENT_LINKS = f"//body//a[{OUTSIDE_CHROME}]/@href"


def listing_of(url: str) -> str:
    """The listing a page belongs to: its URL without the page number (/page/N/, ?page=N,
    ?paged=N, ?pg=N), so that /tag/x/page/3/ and /tag/x/ are one listing."""
    parts = urlsplit(url)
    path = PAGE_PATH.sub("/", parts.path)
    query = "&".join(q for q in parts.query.split("&") if q and not PAGE_PARAM.match(q))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def is_page_of(link: str, page_url: str) -> bool:
    """Whether `link` is another numbered page of the listing `page_url` is a page of."""
    return page_number(link) is not None and listing_of(link) == listing_of(page_url)


def listed(response: TextResponse) -> list[str]:
    """The absolute URLs a listing page lists (see the module's docstring)."""
    hrefs = response.xpath(ENTRY_LINKS).getall() or response.xpath(CONTENT_LINKS).getall()
    return [response.urljoin(href.strip()) for href in hrefs if href.strip()]


def next_pages(page_url: str, pages: list[str]) -> list[str]:
    """Those of `pages` (other pages of its listing) that are the one after `page_url`."""
    after = (page_number(page_url) or 1) + 1
    return [url for url in pages if page_number(url) == after]
