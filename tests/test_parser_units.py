"""Parser behaviours that need no whole fixture page."""
from __future__ import annotations

from bbn_scraper.parsers import parse_article, parse_page
from bbn_scraper.parsers.blocks import iter_blocks, strip_chrome
from bbn_scraper.parsers.document import load_tree, page_text

STORY = (
    "<p>First paragraph of the story, long enough to count as the story of this page.</p>{gap}"
    "<p>Second paragraph, which must survive whatever stands before it in the markup.</p>"
    "<p>Third paragraph, closing the story with a few more words for good measure.</p>"
)


def page(content: str) -> str:
    return f'<html><body class="single"><h1>Headline</h1><div class="entry-content">{content}</div></body></html>'


def test_an_unclosed_void_element_does_not_swallow_the_story():
    # The blocks of the container, before trafilatura's second opinion (which drops "loose words").
    root, _ = load_tree(page(STORY.format(gap='<embed src="x.swf">loose words')))
    content = root.find(".//div[@class='entry-content']")
    strip_chrome(content)
    assert [block.text for block in iter_blocks(content)] == [
        "First paragraph of the story, long enough to count as the story of this page.",
        "loose words",
        "Second paragraph, which must survive whatever stands before it in the markup.",
        "Third paragraph, closing the story with a few more words for good measure.",
    ]


def test_page_text_trusts_valid_utf8_over_a_wrong_header():
    body = "Café – “quoted”".encode("utf-8")
    assert page_text(body, "text/html; charset=ISO-8859-1") == "Café – “quoted”"


def test_page_text_uses_the_header_charset_for_other_bytes():
    body = "Café – “quoted” €".encode("cp1252")
    assert page_text(body, "text/html; charset=windows-1252") == "Café – “quoted” €"
    assert page_text(body, "text/html; charset=iso-8859-1") == "Café – “quoted” €"  # WHATWG: latin-1 is cp1252


def test_page_text_leaves_undeclared_or_mislabelled_bytes_to_the_parser():
    body = "Café".encode("cp1252")
    assert page_text(body, "text/html") == body
    assert page_text(body, "text/html; charset=utf-8") == body


def test_a_charset_that_names_a_transform_not_a_text_encoding_is_ignored():
    body = ("<html><head><meta charset=\"rot13\"></head>" + page(STORY.format(gap="")) + "</html>").encode("cp1252")
    assert page_text(body + "é".encode("cp1252"), "text/html; charset=base64") == body + "é".encode("cp1252")
    article = parse_article(body, "https://example.com/a/")
    assert article.headline == "Headline" and article.body.startswith("First paragraph")


def test_parse_page_gives_every_link_target_once_from_the_same_parse():
    html = page(STORY.format(gap="")).replace(
        "<h1>", '<a href="/category/world/">World</a><a href="/category/world/#top">again</a>'
        '<a href="javascript:void(0)">js</a><a href="#respond">reply</a>'
        '<a href="https://other.example/x?a=1#f">elsewhere</a><h1>', 1)
    article, links = parse_page(html, "https://example.com/2023/09/14/a/")
    assert article is not None and article.headline == "Headline"
    assert links == ["https://example.com/category/world/", "https://other.example/x?a=1"]


def test_parse_page_drops_link_targets_urllib_cannot_split():
    html = page('<a href="http://[broken-host/x">bad</a><a href="https://example.com/ok/">ok</a>' + STORY.format(gap=""))
    _, links = parse_page(html, "https://example.com/a/")
    assert links == ["https://example.com/ok/"]


def test_parse_page_gives_links_of_pages_that_are_not_articles():
    html = '<html><head><base href="https://cdn.example.com/site/"></head><body class="home"><a href="p/2/">next</a></body></html>'
    assert parse_page(html, "https://example.com/") == (None, ["https://cdn.example.com/site/p/2/"])


def test_text_after_a_nested_inline_element_stays_after_it():
    story = STORY.format(gap="<p>Read <a href='/r/'>the <em>full</em> report</a> here, <b>then <i>decide</i></b> later.</p>")
    article = parse_article(page(story), "https://example.com/a/")
    assert "Read the full report here, then decide later." in article.body.split("\n\n")


def test_byline_names_in_nested_links_keep_their_order():
    html = page(STORY.format(gap="")).replace(
        "<h1>Headline</h1>", '<h1>Headline</h1><div class="byline">By <a><span>Ann Lee</span></a> and <a><span>Bo Chan</span></a></div>')
    assert parse_article(html, "https://example.com/a/").authors == ["Ann Lee", "Bo Chan"]


def test_utf8_bytes_parse_as_their_decoded_text():
    text = page(STORY.format(gap="<p>Café – “quoted” \U0001F600 \u2028 \ufffd</p>"))
    for head in ("", '<meta charset="utf-8">', '<?xml version="1.0"?>', "\ufeff"):
        assert parse_page((head + text).encode("utf-8"), "https://example.com/a/") == parse_page(head + text, "https://example.com/a/")
    invalid = ('<meta charset="utf-8">' + text).encode("utf-8").replace("Café".encode("utf-8"), b"Caf\xe9")
    assert "Caf\ufffd" in parse_article(invalid, "https://example.com/a/").body


def test_every_field_function_fills_a_field_of_the_model():
    from dataclasses import fields

    from archive.model import Article
    from bbn_scraper.parsers.fields import FIELD_FUNCTIONS

    assert FIELD_FUNCTIONS and set(FIELD_FUNCTIONS) <= {f.name for f in fields(Article)}


def test_field_functions_run_in_model_order_and_see_the_fields_before_theirs():
    html = ("<html><head><title>T</title></head><body><article><h1>A headline</h1>"
            "<p class='byline'>By Ann Lee and Bo Chan</p><p>" + "word " * 60 + "</p></article></body></html>")
    article = parse_article(html, "https://example.com/2023/09/14/a/")
    assert article.byline == "Ann Lee and Bo Chan"
    assert article.authors == ["Ann Lee", "Bo Chan"]  # authors() reads the byline filled before it


def test_related_articles_keep_only_other_articles_of_the_same_site():
    box = (
        '<div class="related-posts"><h3>Related</h3><ul>'
        '<li><a href="/2024/01/02/other-story-of-the-site/"><img src="t.jpg" alt="Other story of the site"></a>'
        '<a href="/2024/01/02/other-story-of-the-site/#more-7">Other story of the site</a></li>'
        '<li><a href="https://www.example.com/a/">This article itself, linked</a></li>'
        '<li><a href="/tag/weather/">All weather stories here</a></li>'
        '<li><a href="/author/kim/">Stories by Kim Lee</a></li>'
        '<li><a href="/2024/01/">January 2024 archive page</a></li>'
        '<li><a href="https://elsewhere.org/2024/01/03/story/">A story on another site</a></li>'
        '<li><a href="/2024/01/03/short/">Short</a></li>'
        '<li><a href="/2024/01/04/%E6%A1%9C/">桜の開花が早まる見込み</a></li>'
        "</ul></div>"
    )
    article = parse_article(page(STORY.format(gap=box)), "https://example.com/a/")
    assert [(link.text, link.url) for link in article.related_articles] == [
        ("Other story of the site", "https://example.com/2024/01/02/other-story-of-the-site/"),
        ("桜の開花が早まる見込み", "https://example.com/2024/01/04/%E6%A1%9C/"),
    ]
    assert "Other story" not in article.body


def test_a_question_in_an_accordion_button_is_kept():
    pane = (
        '<div class="wp-block-kadence-pane kt-accordion-pane kt-accordion-pane-1"><div class="kt-accordion-header-wrap">'
        '<button class="kt-blocks-accordion-header" type="button"><span class="kt-blocks-accordion-title-wrap">'
        '<span class="kt-blocks-accordion-title">Is the ferry running?</span></span></button></div>'
        '<div class="kt-accordion-panel"><div class="kt-accordion-panel-inner"><p>Yes, every hour.</p></div></div></div>'
    )
    article = parse_article(page(STORY.format(gap="") + pane), "https://example.com/a/")
    assert [(f.question, f.answer) for f in article.faqs] == [("Is the ferry running?", "Yes, every hour.")]
    assert "ferry" not in article.body


def test_trafilatura_sees_no_textless_subtree_outside_the_story():
    # Ad slots and icon rows hold no text: they go before trafilatura walks the tree (the text
    # after one stays); line breaks and everything inside our container stay as they are.
    from lxml import etree

    from bbn_scraper.parsers.agreement import _drop_textless

    root, _ = load_tree(
        '<html><body><div id="ad"><div><span> </span><img src="a.png"></div></div>after the slot'
        '<p>Lead<br></p><div id="breaks"><br></div>'
        '<div id="story"><p>Story text.</p><figure><img src="b.png"></figure></div></body></html>'
    )
    story = root.find(".//div[@id='story']")
    _drop_textless(root, story)
    body = etree.tostring(root.find("body"), encoding=str, method="html")
    assert body == (
        '<body>after the slot<p>Lead<br></p><div id="breaks"><br></div>'
        '<div id="story"><p>Story text.</p><figure><img src="b.png"></figure></div></body>'
    )


# A page for trafilatura's first prunings: an infinite-scroll box of appended stories (pruned),
# one holding the page's <h1> (kept), a Zox News added-post box with an <h1> (pruned all the
# same), Elementor share buttons, comment sections by id and by class, a commentary (kept), an
# ordered list of comments by id (pruned) and an <ol> with Disqus's id (kept: a list goes by a
# comment name in its id or class only).
RAW_PRUNINGS = (
    "<html><body><div class='infinite-scroll'><p>Next story, appended.</p></div>"
    "<section id='infinitescroll-1'><h1>The headline</h1><p>Lead.</p></section>"
    "<div class='mvp-post-add-box'><h1>Another headline</h1><p>Another story.</p></div>"
    "<aside class='x elementor-share-buttons'><p>Share</p></aside>tail after the buttons"
    "<div id='comments'><p>First!</p></div><div class='post-comments'><p>Nice.</p></div>"
    "<div class='commentary'><p>Analysis stays.</p></div><ol id='comment-list'><li>A reply</li></ol>"
    "<ol id='disqus_thread'><li>Kept item</li></ol><p>Closing paragraph of the story.</p></body></html>"
)


def test_trafilatura_first_prunings_in_python_match_its_xpaths():
    # trafilatura_steps.prune_raw stands in for trafilatura's RAW_TREE_PRUNE_XPATH and
    # REMOVE_COMMENTS_AND_LISTS_XPATH: on this page and every fixture page, the same tree.
    from copy import copy

    from lxml import etree
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

    from bbn_scraper.parsers.trafilatura_steps import prune_raw
    from tests.fixture_pages import fixture_pages

    roots = [load_tree(RAW_PRUNINGS)[0]] + [load_tree(p.html)[0] for p in fixture_pages()]
    for root in roots:
        theirs, ours = copy(root), copy(root)
        prune_unwanted_nodes(theirs, RAW_TREE_PRUNE_XPATH)
        prune_unwanted_nodes(theirs, REMOVE_COMMENTS_AND_LISTS_XPATH)
        prune_raw(ours)
        assert etree.tostring(ours) == etree.tostring(theirs)
    pruned = etree.tostring(roots[0], encoding=str)
    prune_raw(roots[0])
    assert etree.tostring(roots[0], encoding=str) != pruned
    text = roots[0].find("body").text_content()
    assert "appended" not in text and "Another story" not in text and "First!" not in text and "Nice." not in text
    assert "A reply" not in text and "Share" not in text
    assert "The headline" in text and "Analysis stays" in text and "Kept item" in text and "tail after the buttons" in text


# A page for trafilatura's body and boilerplate rules: a body by class, inside it boilerplate by
# id, by class, by the first of id and class in source order (cookie: only where the id comes
# first), by role and by style, hidden by aria, a caption; other body candidates after it.
BODY_RULES = (
    "<html><body><div id='main-wrap'><div class='post article__content'><div id='related-box'><p>Rel</p></div>"
    "<section class='ad share-bar'><p>Share this</p></section><p id='cookie-note' class='x'>Cookies</p>"
    "<p class='x' id='cookie-two'>Not this one: its class comes first</p>"
    "<div role='Navigation'><p>Home</p></div><span style='display: none'>Hidden</span>"
    "<p aria-hidden='true'>Aria</p><div class='wp-caption'><p>Caption</p></div>"
    + "<p>The story goes on for a while, long enough to be the story of this page.</p>" * 12
    + "</div><article><p>Other</p></article><main><p>Main</p></main></div></body></html>"
)


def test_trafilatura_rules_in_python_match_its_xpaths():
    # trafilatura_steps' rules stand in for BODY_XPATH, OVERALL_DISCARD_XPATH and
    # DISCARD_IMAGE_ELEMENTS: the same elements on the cleaned tree of this page, of the
    # prunings page and of every fixture page, for the whole tree and for its containers.
    from copy import copy

    from trafilatura import xpaths
    from trafilatura.htmlprocessing import convert_tags, tree_cleaning

    from bbn_scraper.parsers import trafilatura_steps as steps
    from bbn_scraper.parsers.agreement import _OPTIONS
    from tests.fixture_pages import fixture_pages

    pairs = list(zip(xpaths.OVERALL_DISCARD_XPATH + xpaths.DISCARD_IMAGE_ELEMENTS,
                     steps._OVERALL_DISCARD_RULES + steps._DISCARD_IMAGE_RULES))
    found = 0
    for html in [BODY_RULES, RAW_PRUNINGS] + [p.html for p in fixture_pages()]:
        cleaned = convert_tags(tree_cleaning(copy(load_tree(html)[0]), _OPTIONS), _OPTIONS, None)
        for theirs, ours in zip(xpaths.BODY_XPATH, steps._BODY_RULES):
            first = next((s for s in theirs(cleaned) if s is not None), None)
            assert next((s for s in ours(cleaned) if s is not None), None) is first
            found += first is not None
        for tree in [cleaned] + list(cleaned.iter("div", "section", "article", "main")):
            for theirs, ours in pairs:
                assert ours(tree) == list(theirs(tree))
    body_rules = convert_tags(tree_cleaning(load_tree(BODY_RULES)[0], _OPTIONS), _OPTIONS, None)
    assert [len(rule(body_rules)) for rule in steps._OVERALL_DISCARD_RULES + steps._DISCARD_IMAGE_RULES] == [4, 2, 1]
    assert steps._BODY_RULES[0](body_rules)[0].get("class") == "post article__content"
    assert found > 0


def test_trafilatura_second_opinion_is_trafilatura_extract():
    # trafilatura_steps.extract_text takes fewer steps than trafilatura.extract, its rules in
    # Python: the same text on every fixture page (as the whole document and as its <body>) and
    # on the rules pages, and the tree it is given is left as it was.
    from copy import copy

    import trafilatura
    from lxml import etree

    from bbn_scraper.parsers.agreement import _NEVER_TEXT, _OPTIONS
    from bbn_scraper.parsers.trafilatura_steps import extract_text
    from tests.fixture_pages import fixture_pages

    for html in [RAW_PRUNINGS.encode(), BODY_RULES.encode()] + [p.html for p in fixture_pages()]:
        root, _ = load_tree(html)
        etree.strip_elements(root, *_NEVER_TEXT, with_tail=False)
        for scope in (root, root.find("body")):
            before = etree.tostring(scope)
            assert extract_text(scope, _OPTIONS) == (trafilatura.extract(copy(scope), options=_OPTIONS) or "")
            assert etree.tostring(scope) == before
