"""The crawl ceiling: a bare Scrapy spider that downloads a list of URLs and does nothing with
the responses, under the project's settings (with `--local`'s LOCAL_SETTINGS and the same
`-s` overrides as the crawl it is compared with), item pipelines off.

    python bench/bare_spider.py URLS_FILE [-s NAME=VALUE ...]

URLS_FILE holds one URL a line (the pages of bench/big_site.py). Prints Scrapy's stats as one
JSON line on stdout when the crawl is over.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scrapy  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402

from bbn_scraper.crawler.run import LOCAL_SETTINGS, crawl_settings  # noqa: E402


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls_file: str, **kwargs):
        super().__init__(**kwargs)
        self.urls = [u for u in Path(urls_file).read_text().split() if u]
        hosts = sorted({urlsplit(u).hostname for u in self.urls})
        self.allowed_domains = hosts
        try:  # the project's downloader middlewares ask the spider for its scope
            from bbn_scraper.crawler.scope import Scope
        except ImportError:
            pass
        else:
            self.scope = Scope(self.urls[:1])

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, self.parse, errback=self.failed)

    def parse(self, response):
        return None

    def failed(self, failure):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls_file")
    parser.add_argument("-s", "--set", dest="extra", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = dict(LOCAL_SETTINGS, ITEM_PIPELINES={})
    for pair in args.extra:
        name, _, value = pair.partition("=")
        overrides[name] = value
    settings = crawl_settings(":memory:", overrides)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls_file=args.urls_file)
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
    print(json.dumps(stats, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
