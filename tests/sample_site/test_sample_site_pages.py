"""The HTML of the sample site: article markup per theme and FAQ shape, site chrome,
listings and pagination, AMP copies, and the words that identify exactly one article."""
from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urlsplit

import lxml.html
import pytest

from bbn_scraper.sample_site.content import FAQ_SHAPES, THEMES

PERMALINK = re.compile(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$")
CONTENT_XPATH = {
    "soledad": '//*[@id="penci-post-entry-inner"]',
    "newspaper": '//*[contains(@class,"td-post-content")]',
    "gutenberg": '//*[contains(@class,"wp-block-post-content") and contains(@class,"entry-content")]',
}
HEADLINE_XPATH = {
    "soledad": '//h1[contains(@class,"single-post-title") and contains(@class,"entry-title")]',
    "newspaper": '//*[contains(@class,"td-post-title")]//h1[contains(@class,"entry-title")]',
    "gutenberg": '//h1[contains(@class,"wp-block-post-title")]',
}
AUTHOR_XPATH = {
    "soledad": '//*[contains(@class,"post-box-meta-single")]//a[contains(@class,"author-url")]',
    "newspaper": '//*[contains(@class,"td-post-author-name")]/a',
    "gutenberg": '//*[contains(@class,"wp-block-post-author-name")]/a',
}
DATE_XPATH = {
    "soledad": '//*[contains(@class,"post-box-meta-single")]//time[contains(@class,"entry-date")]/@datetime',
    "newspaper": '//time[contains(@class,"entry-date") and contains(@class,"td-module-date")]/@datetime',
    "gutenberg": '//*[contains(@class,"wp-block-post-date")]/time/@datetime',
}
TAGS_XPATH = {
    "soledad": '//*[contains(@class,"post-tags")]/a[@rel="tag"]',
    "newspaper": '//ul[contains(@class,"td-tags")]//a',
    "gutenberg": '//*[contains(@class,"taxonomy-post_tag") and contains(@class,"wp-block-post-terms")]/a',
}
SECTION_XPATH = {
    "soledad": '//*[contains(@class,"penci-standard-cat")]//a',
    "newspaper": '//ul[contains(@class,"td-category")]//a',
    "gutenberg": '//*[contains(@class,"taxonomy-category") and contains(@class,"wp-block-post-terms")]/a',
}
RELATED_XPATH = {
    "soledad": '//*[contains(@class,"post-related")]//h3/a',
    "newspaper": '//*[contains(@class,"td_block_related_posts")]//h3/a',
    "gutenberg": '//*[contains(@class,"related-posts")]//li/a',
}


def doc(got):
    return lxml.html.fromstring(got.text)


def texts(nodes) -> list[str]:
    return [n.text_content().strip() for n in nodes]


def graph_of(tree) -> list[dict]:
    nodes = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        data = json.loads(script.text)
        nodes += data.get("@graph", [data])
    return nodes


@pytest.fixture(scope="module")
def pages(site_client, site_manifest):
    return {a["path"]: doc(site_client.ok(a["path"])) for a in site_manifest["articles"]}


def test_manifest_covers_themes_and_faq_shapes(site_manifest):
    arts = site_manifest["articles"]
    assert len(arts) >= 30
    assert {a["theme"] for a in arts} == set(THEMES)
    assert {a["faq_shape"] for a in arts} == set(FAQ_SHAPES)
    assert {(a["theme"], a["faq_shape"]) for a in arts} == {(t, s) for t in THEMES for s in FAQ_SHAPES}
    assert all(PERMALINK.match(a["path"]) for a in arts)
    for key in ("path", "headline", "topic", "unique_word", "post_id"):
        assert len({a[key] for a in arts}) == len(arts), key
    assert sum(a["changes_in_edition_2"] for a in arts) == 4
    assert sum(1 for a in arts if a["faq_count"]) >= len(arts) * 0.7
    assert sum(1 for a in arts if a["related_link_count"]) >= len(arts) * 0.7
    assert sum(1 for a in arts if a["also_like_count"]) >= len(arts) * 0.7
    assert all(a["url"] == a["canonical_url"] == site_manifest["base_url"] + a["path"].lstrip("/") for a in arts)
    assert [a["published"] for a in arts] == sorted((a["published"] for a in arts), reverse=True)


def test_article_head_meta_and_json_ld(pages, site_manifest):
    for a in site_manifest["articles"]:
        tree = pages[a["path"]]
        assert tree.xpath('//link[@rel="canonical"]/@href') == [a["canonical_url"]]
        meta = {m.get("property") or m.get("name"): m.get("content") for m in tree.xpath("//meta[@content]")}
        assert meta["og:url"] == a["canonical_url"]
        assert meta["og:type"] == "article"
        assert meta["article:published_time"] == a["published"]
        assert meta.get("article:modified_time", a["published"]) == a["modified"]
        assert meta["description"] == a["summary"]
        assert meta["og:image"] == a["image_url"]
        assert meta["author"] == a["byline"]
        nodes = graph_of(tree)
        article = next(n for n in nodes if n.get("@type") == "NewsArticle")
        assert lxml.html.fromstring(article["headline"]).text_content() == a["headline"]
        assert article["datePublished"] == a["published"] and article["dateModified"] == a["modified"]
        assert article["commentCount"] == a["comment_count"]
        assert article["articleSection"] == [a["section"]]
        authors = article["author"] if isinstance(article["author"], list) else [article["author"]]
        assert [x["name"] for x in authors] == a["authors"]


def test_article_visible_fields_per_theme(pages, site_manifest):
    for a in site_manifest["articles"]:
        tree, theme = pages[a["path"]], a["theme"]
        assert texts(tree.xpath(HEADLINE_XPATH[theme])) == [a["headline"]], a["path"]
        assert texts(tree.xpath("//h1")) == [a["headline"]]
        assert texts(tree.xpath(AUTHOR_XPATH[theme])) == a["authors"]
        assert set(tree.xpath(DATE_XPATH[theme])) == {a["published"]}
        assert texts(tree.xpath(TAGS_XPATH[theme])) == a["tags"]
        assert texts(tree.xpath(SECTION_XPATH[theme])) == [a["section"]]
        assert texts(tree.xpath(RELATED_XPATH[theme])) == [r["text"] for r in a["related_articles"]]
        assert tree.xpath(RELATED_XPATH[theme] + "/@href") == [r["url"] for r in a["related_articles"]]
        text = tree.text_content().replace("\xa0", " ")
        cc = a["comment_count"]
        if theme == "soledad":
            assert texts(tree.xpath('//*[contains(@class,"comment-count")]')) == [f"{cc} comment" + ("s" if cc > 1 else "")]
            assert len(tree.xpath('//*[@id="penci-post-entry-inner"]//*[contains(@class,"penci-google-adsense")]')) >= 1
            assert tree.xpath('//*[contains(@class,"post-entry")]//*[@id="penci-post-entry-inner"]')
        elif theme == "newspaper":
            assert texts(tree.xpath('//*[contains(@class,"td-post-comments")]/a')) == [str(cc)]
        else:
            title = "One response to" if cc == 1 else f"{cc} responses to"
            assert texts(tree.xpath('//*[contains(@class,"wp-block-comments-title")]')) == [f"{title} “{a['headline']}”"]
        for chrome in ("Leave a Comment", "Editors' Picks", "Latest News", "© 2023 BBN – Big Big News"):
            assert chrome in text
        assert tree.xpath('//*[@id="respond"]')
        nav = tree.xpath('//*[@id="menu-main-menu"]//a/@href')
        assert site_manifest["base_url"] + "category/world/" in nav


def test_article_body_paragraphs(pages, site_manifest):
    for a in site_manifest["articles"]:
        container = pages[a["path"]].xpath(CONTENT_XPATH[a["theme"]])
        assert len(container) == 1, a["path"]
        paras = texts(container[0].xpath("./p"))
        n = len(a["body_paragraphs"])
        assert paras[:n] == a["body_paragraphs"], a["path"]
        assert a["body"] == "\n\n".join(a["body_paragraphs"])
        assert not any(p.startswith("Advertisement") for p in paras)


def _faq_from_page(tree, container, shape):
    """(questions, answers) as the markup of `shape` presents them."""
    if shape in ("h3", "h4"):
        heads = container.xpath(f"./{shape}")
        qs, ans = [], []
        for h in heads:
            qs.append(h.text_content().strip())
            paras, sib = [], h.getnext()
            while sib is not None and sib.tag == "p":
                paras.append(sib.text_content().strip())
                sib = sib.getnext()
            ans.append("\n\n".join(paras))
        return qs, ans
    if shape == "bold":
        qs, ans, cur = [], [], None
        for p in container.xpath("./p | ./h2"):
            if p.tag == "h2":
                cur = None if "Frequently" not in p.text_content() else cur
                continue
            strong = p.xpath("./strong")
            if strong and strong[0].text_content().strip() == p.text_content().strip() and p.text_content().strip().endswith("?"):
                qs.append(p.text_content().strip())
                ans.append([])
                cur = ans[-1]
            elif cur is not None:
                cur.append(p.text_content().strip())
        return qs, ["\n\n".join(x) for x in ans]
    if shape == "qa":
        qs, ans = [], []
        for p in container.xpath("./p"):
            t = p.text_content().strip()
            if t.startswith("Q:"):
                qs.append(t[2:].strip())
                ans.append([])
            elif t.startswith("A:"):
                ans[-1].append(t[2:].strip())
            elif ans and ans[-1]:
                ans[-1].append(t)
        return qs, ["\n\n".join(x) for x in ans]
    if shape == "yoast":
        sections = container.xpath('.//*[contains(@class,"schema-faq-section")]')
        return (texts([s.xpath('.//*[contains(@class,"schema-faq-question")]')[0] for s in sections]),
                texts([s.xpath('.//*[contains(@class,"schema-faq-answer")]')[0] for s in sections]))
    if shape == "details":
        det = container.xpath(".//details")
        return (texts([d.xpath("./summary")[0] for d in det]),
                ["\n\n".join(texts(d.xpath("./p"))) for d in det])
    raise AssertionError(shape)


def test_faq_sections_match_the_manifest(pages, site_manifest):
    for a in site_manifest["articles"]:
        tree = pages[a["path"]]
        container = tree.xpath(CONTENT_XPATH[a["theme"]])[0]
        heading = f"Frequently Asked Questions (FAQs) about {a['topic']}"
        headings = [h for h in texts(container.xpath(".//h2 | .//h3")) if h.startswith("Frequently Asked")]
        faq_ld = [n for n in graph_of(tree) if n.get("@type") == "FAQPage"
                  or (isinstance(n.get("@type"), list) and "FAQPage" in n["@type"])]
        shape = a["faq_shape"]
        if shape == "none":
            assert a["faq_count"] == 0 and not headings and not faq_ld
            continue
        assert a["faq_count"] >= 3
        if shape == "jsonld":
            assert not headings
            (node,) = faq_ld
            got = [(q["name"], q["acceptedAnswer"]["text"]) for q in node["mainEntity"]]
            assert got == [(f["question"], f["answer"]) for f in a["faqs"]]
            continue
        assert headings == [heading], a["path"]
        qs, ans = _faq_from_page(tree, container, shape)
        assert qs == [f["question"] for f in a["faqs"]], (a["path"], shape)
        assert ans == [f["answer"] for f in a["faqs"]], (a["path"], shape)
        if shape == "yoast":
            (webpage,) = faq_ld
            questions = [n for n in graph_of(tree) if n.get("@type") == "Question"]
            assert len(webpage["mainEntity"]) == len(questions) == a["faq_count"]
        else:
            assert not faq_ld
    multi = [f for a in site_manifest["articles"] if a["faq_shape"] in ("h3", "h4", "bold", "qa", "details")
             for f in a["faqs"] if "\n\n" in f["answer"]]
    assert multi, "some FAQ answers have several paragraphs"


def test_more_about_lists(pages, site_manifest):
    for a in site_manifest["articles"]:
        container = pages[a["path"]].xpath(CONTENT_XPATH[a["theme"]])[0]
        heads = [h for h in container.xpath("./h2") if h.text_content().startswith("More about")]
        if not a["related_link_count"]:
            assert not heads
            continue
        (head,) = heads
        assert head.text_content() == f"More about {a['topic']}"
        ul = head.getnext()
        assert ul.tag == "ul"
        got = [{"text": x.text_content(), "url": x.get("href")} for x in ul.xpath(".//a")]
        assert got == a["related_links"]
        assert len(got) == a["related_link_count"]


def test_listings_paginate_and_link_every_article(site_client, site_manifest):
    base = site_manifest["base_url"]
    every = {a["path"] for a in site_manifest["articles"]}
    listings = site_manifest["listings"]
    assert listings["category"]["world"] == ["/category/world/", "/category/world/page/2/"]
    assert len(listings["home"]) >= 4
    assert site_manifest["listing_paths"][0] == "/"

    def article_links(path):
        tree = doc(site_client.ok(path))
        hrefs = [urlsplit(h) for h in tree.xpath('//ul[contains(@class,"penci-grid")]//h2/a/@href')]
        return tree, [h.path for h in hrefs if not h.query]

    for group in ("category", "tag", "author"):
        seen = set()
        for slug, paths in listings[group].items():
            for n, path in enumerate(paths, start=1):
                tree, links = article_links(path)
                assert 1 <= len(links) <= site_manifest["per_page"]
                assert not tree.xpath('//meta[@property="og:type"][@content="article"]')
                assert tree.xpath('//link[@rel="canonical"]/@href') == [base + path.lstrip("/")]
                if n < len(paths):
                    assert tree.xpath('//link[@rel="next"]/@href') == [base + paths[n].lstrip("/")]
                    assert base + paths[n].lstrip("/") in tree.xpath('//a[contains(@class,"page-numbers")]/@href')
                seen |= set(links)
        if group in ("category", "author"):
            assert seen == every, group
    home_seen = set()
    for path in listings["home"]:
        home_seen |= set(article_links(path)[1])
    assert home_seen == every
    # category listings are the ones served in the nav
    home = doc(site_client.ok("/"))
    nav = set(home.xpath('//*[@id="menu-main-menu"]//a/@href'))
    assert {base + p.lstrip("/") for p in (v[0] for v in listings["category"].values())} <= nav


def test_home_page_tracking_links_and_amp_link(site_client, site_manifest):
    home = site_client.ok("/").text
    for link in site_manifest["tracking_links"]:
        if "/" in link["linked_from"]:
            assert link["url"].replace("&", "&amp;") in home
            assert "utm_source=" in link["url"] and "utm_medium=" in link["url"]
    assert any(amp["url"] in home for amp in site_manifest["amp_pages"])


def test_amp_copies(site_client, site_manifest):
    assert site_manifest["amp_pages"]
    for amp in site_manifest["amp_pages"]:
        got = site_client.ok(amp["path"])
        assert re.search(r"<html amp[ >]", got.text)
        tree = doc(got)
        assert tree.xpath('//link[@rel="canonical"]/@href') == [amp["canonical_url"]]
        art = next(a for a in site_manifest["articles"] if a["path"] == amp["article_path"])
        assert amp["canonical_url"] == art["canonical_url"]
        assert "amp-copy-exists" in art["special"]
        article_page = doc(site_client.ok(art["path"]))
        assert article_page.xpath('//link[@rel="amphtml"]/@href') == [amp["url"]]
        assert amp["url"] in article_page.xpath("//a/@href")
        assert texts(tree.xpath("//h1")) == [art["headline"]]
        body = texts(tree.xpath('//*[contains(@class,"amp-wp-article-content")]/p'))
        assert body[: len(art["body_paragraphs"])] == art["body_paragraphs"]


def test_unique_words_identify_one_article(pages, site_manifest, site_client):
    listing_text = " ".join(doc(site_client.ok(p)).text_content() for p in site_manifest["listing_paths"])
    feed = site_client.ok("/feed/").text
    page_text = {path: tree.text_content() for path, tree in pages.items()}
    for a in site_manifest["articles"]:
        word = a["unique_word"]
        holders = [p for p, t in page_text.items() if word in t]
        assert holders == [a["path"]], word
        assert word in a["body"] and word not in a["headline"] and word not in a["summary"]
        assert all(word not in f["question"] + f["answer"] for f in a["faqs"])
        assert word not in listing_text and word not in feed


def test_faq_only_word(pages, site_manifest, site_client):
    info = site_manifest["faq_only_word"]
    word = info["word"]
    holders = [p for p, t in pages.items() if word in lxml.html.tostring(t, encoding="unicode")]
    assert holders == [info["article_path"]]
    art = next(a for a in site_manifest["articles"] if a["path"] == info["article_path"])
    assert art["faq_shape"] in ("h3", "h4", "bold", "qa", "details")
    assert word not in art["body"] and word not in art["headline"]
    answers = [f for f in art["faqs"] if word in f["answer"]]
    assert len(answers) == 1 and answers[0]["question"] == info["question"]
    assert all(word not in f["question"] for f in art["faqs"])
    assert all(word not in json.dumps(n) for n in graph_of(pages[art["path"]]))
    for path in site_manifest["listing_paths"] + ["/feed/", "/post-sitemap.xml"]:
        assert word not in site_client.ok(path).text
    for amp in site_manifest["amp_pages"]:
        assert word not in site_client.ok(amp["path"]).text


def test_multiple_authors_are_joined_with_and(site_manifest):
    multi = [a for a in site_manifest["articles"] if len(a["authors"]) > 1]
    assert multi
    for a in multi:
        assert a["byline"] == " and ".join(a["authors"])
    assert Counter(a["theme"] for a in multi).keys() >= {"soledad", "newspaper"}
