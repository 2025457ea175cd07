"""The shared queue's requests as JSON records (scrapy-redis's SCHEDULER_SERIALIZER): a request of
the bbn spider crosses whole; anything else is refused, nothing in it run or imported."""
from __future__ import annotations

import json
import pickle
import re

import pytest
from scrapy.utils.request import request_from_dict

from archive.wire import NotARecord, VERSION
from bbn_scraper.crawler.distributed.request_codec import CALLBACKS, ERRBACKS, dumps, loads
from bbn_scraper.crawler.spiders.bbn import BbnSpider
from bbn_scraper.crawler.warc import WARC_META
from tests.helpers import BASE


@pytest.fixture
def spider():
    return BbnSpider(start_urls=[f"{BASE}/"])


def test_a_request_of_the_spider_crosses_whole(spider):
    request = spider._request(f"{BASE}/news/one", spider.parse_sitemap, priority=5)
    request.headers[b"If-None-Match"] = b'"\xff-etag"'
    request.meta.update(sitemap_depth=2, redirect_urls=[f"{BASE}/old"], **{WARC_META: object()},
                        download_timeout=180, download_slot="127.0.0.1", proxy="http://127.0.0.1:3128")
    data = dumps(request.to_dict(spider=spider))
    assert json.loads(data)["version"] == VERSION
    again = request_from_dict(loads(data), spider=spider)
    assert (again.url, again.callback, again.errback, again.priority) == (request.url, spider.parse_sitemap, spider.errback, 5)
    assert again.headers[b"If-None-Match"] == b'"\xff-etag"' and again.body == request.body
    # the WARC future stays here; the download controls are set again by the worker that fetches it
    assert again.meta == {"sitemap_depth": 2, "redirect_urls": [f"{BASE}/old"]}


def test_the_callbacks_read_back_are_the_spiders():
    assert all(callable(getattr(BbnSpider, name)) for name in CALLBACKS | ERRBACKS)


def record(**changes) -> bytes:
    message = json.loads(dumps({"url": f"{BASE}/", "callback": None, "errback": None, "headers": {}, "body": b"",
                                "cookies": {}, "meta": {}, "encoding": "utf-8", "flags": [], "cb_kwargs": {},
                                "dont_filter": False, "method": "GET", "priority": 0}))
    return json.dumps({**message, **changes}).encode()


@pytest.mark.parametrize("data, why", [
    (pickle.dumps({"url": f"{BASE}/"}), "not JSON"),
    (b"garbage", "not JSON"),
    (b'["Request"]', "not a record"),
    (record(version=VERSION + 1), f"a record of version {VERSION + 1}"),
    (record(version=None), "without a version field"),
    (record(type="FetchedPage"), "a record of type 'FetchedPage'"),
    (record(_class="os.system"), "a field '_class'"),
    (record(callback="close"), "callback is 'close', no callback of the bbn spider"),
    (record(errback="__class__"), "errback is '__class__'"),
    (record(priority=True), "priority is True"),
    (record(meta=[]), "meta is []"),
    (record(meta={"proxy": "http://attacker.example:8080"}), "meta sets 'proxy'"),
    (record(meta={"depth": 1, "download_maxsize": 0}), "meta sets 'download_maxsize'"),
    (record(body="not base64!"), "not base64"),
    (record(headers={"X": "eQ=="}), "not base64"),
])
def test_anything_else_is_refused(data, why):
    with pytest.raises(NotARecord, match=re.escape(why)):
        loads(data)


def test_a_request_subclass_is_not_sent():
    with pytest.raises(TypeError, match="only scrapy.Request crosses Redis"):
        dumps({"_class": "scrapy.http.request.form.FormRequest", "meta": {}, "headers": {}, "body": b""})
