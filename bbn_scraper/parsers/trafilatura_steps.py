"""trafilatura.extract on a tree of ours, as the steps it takes, with its XPath rules as Python.

Why: trafilatura's rules (which element is the article body, which are boilerplate) are XPath
expressions with EXSLT regular expressions, and lxml evaluates each `re:test` by calling back
into Python, for every element and every expression: on our pages that was about half of
trafilatura's time, and trafilatura (our second opinion on the body) about a third of
parse_article's. Here each rule is a Python test over the elements of the rule's tags, with
trafilatura's own regular expressions (its token lists, trafilatura.xpaths); everything else
is trafilatura's functions, called in its order. Only the functions that reach those rules are
copied from trafilatura.main_extractor (extract_content, _extract, recover_wild_text,
prune_unwanted_sections; trafilatura 2.3.1, its debug logging left out), each with the rules
below in place of the XPaths.

For the options agreement uses only (fast, so no fallback extractor; recall, so no recall
escalation; no comments, no metadata, text output) and for trees without <script>
(trafilatura reads JSON-LD to tell forum threads). tests/test_parser_units.py holds
`extract_text` to trafilatura.extract on every fixture page, and each rule to its XPath; when
requirements.lock moves trafilatura on, compare the copied functions and the token lists'
use with its new main_extractor.py and xpaths.py as well (pyproject.toml holds trafilatura below
2.4 for that reason).

The four functions are adapted from trafilatura 2.3.1 (trafilatura/main_extractor.py, copyright
Adrien Barbaresi and contributors), licensed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0); the changes are the ones said above.
"""
from __future__ import annotations

import re
from copy import copy, deepcopy

from lxml import etree
from lxml.etree import Element, strip_elements, strip_tags
from trafilatura import xpaths
from trafilatura.baseline import baseline
from trafilatura.htmlprocessing import (
    convert_tags,
    delete_by_link_density,
    link_density_test_tables,
    process_node,
    prune_unwanted_nodes,
    tree_cleaning,
)
from trafilatura.main_extractor import NOT_AT_THE_END, REBUILT_BLOCKS, _elem_text, handle_textelem
from trafilatura.settings import DEDUPE_SCAN_CAP, INLINE_FORMATTABLE, MIN_DUPLICATE_LENGTH, TAG_CATALOG, Extractor
from trafilatura.utils import SPACING_PROTECTED, normalize_unicode, text_chars_test, trim
from trafilatura.xml import delete_element, xmltotxt


def extract_text(scope: etree._Element, options: Extractor) -> str:
    """`trafilatura.extract(scope, options=options) or ""`, `scope` left as it is. Of its three
    copies of the tree one is made (the backup for the fallback extractors is not, and the raw
    tree is copied again only for its baseline rescue, rare)."""
    try:  # what bare_extraction turns into None, as trafilatura.extract does
        tree = copy(scope)
        prune_raw(tree)
        cleaned = convert_tags(tree_cleaning(tree, options), options, None)  # `tree` is the cleaned tree now
        body, text = _extract_content(cleaned, options)
        if len(text) < options.min_extracted_size:  # its rescue: the baseline extraction on the raw tree
            raw = copy(scope)
            prune_raw(raw)
            baseline_body, baseline_text, baseline_length = baseline(raw)
            if baseline_length > len(text):
                body, text = baseline_body, baseline_text
    except (TypeError, ValueError):
        return ""
    if len(text) < options.min_output_size:
        return ""
    # its text output: the body's text and that of the (empty) comments, joined and stripped
    return normalize_unicode(xmltotxt(body, options.formatting).strip())


def _first_of(items: list[tuple[str, str]], names: tuple[str, ...]) -> str:
    """The value of the first of `names` among an element's attributes in source order ("" if
    none): what an XPath string function reads of `@id|@class`, the first node of the set."""
    for name, value in items:
        if name in names:
            return value
    return ""


def _search(pattern: str, flags: int = 0):
    """`re:test(@attr, pattern)` of an attribute value (None for a missing attribute)."""
    compiled = re.compile(pattern, flags)
    return lambda value: compiled.search(value or "") is not None


# RAW_TREE_PRUNE_XPATH and REMOVE_COMMENTS_AND_LISTS_XPATH: its first prunings of the raw tree.
_SCROLL_TAGS = ("div", "section", "aside")
_scroll = _search(r"mvp-post-add-(?:box|wrap)|infinite-?scroll")
_added_posts = _search(r"mvp-post-add-(?:box|wrap)")
_COMMENT_TAGS = ("div", "list", "section", "details", "ol", "ul")
_comments_id = _search(f"^(?:{xpaths._COMMENTS_ID}|disqus_thread|dsq-comments)")
_comment_list_id = _search(f"^(?:{xpaths._COMMENTS_ID})")
_comments_class = _search(xpaths._COMMENTS_CLASS)


def prune_raw(tree: etree._Element) -> None:
    """Delete, as trafilatura does first (each rule's matches found, then deleted, their tails
    kept): infinite-scroll containers of appended stories (unless they hold the <h1>, for the
    Zox News theme's own names), Elementor share-button boxes, then comment sections (lists
    only by a comment name in their id or class)."""
    def scroll(el):
        ident, names = el.get("id"), el.get("class")
        if not (_scroll(ident) or _scroll(names)):
            return False
        return el.find(".//h1") is None or _added_posts(ident) or _added_posts(names)

    def comments(el):
        ident, names = el.get("id"), el.get("class")
        if not (_comments_id(ident) or _comments_class(names)):
            return False
        return el.tag not in ("ol", "ul") or _comment_list_id(ident) or _comments_class(names)

    for el in [el for el in tree.iterdescendants(_SCROLL_TAGS) if scroll(el)]:
        delete_element(el)
    for el in [el for el in tree.iterdescendants(_SCROLL_TAGS) if "elementor-share-buttons" in (el.get("class") or "")]:
        delete_element(el)
    for el in [el for el in tree.iterdescendants(_COMMENT_TAGS) if comments(el)]:
        delete_element(el)


# BODY_XPATH: where the article body is, five rules tried in turn; each gives the first match
# in document order (what trafilatura's `next(...)` takes of the XPath's node-set).
_BODY_TAGS = ("article", "div", "main", "section")
_content_id = _search(xpaths._alt(xpaths._ARTICLE_CONTENT_ID_TOKENS))
_content_class = _search(xpaths._alt(xpaths._ARTICLE_CONTENT_CLASS_TOKENS))
_story_id = _search(xpaths._alt(xpaths._STORY_ID_TOKENS))
_fulltext_class = _search("fulltext", re.IGNORECASE)
_story_class = _search(xpaths._alt(xpaths._STORY_CLASS_TOKENS))
_main_id = _search(xpaths._alt(xpaths._MAIN_CONTENT_ID_TOKENS))
_main_class = _search(xpaths._alt(xpaths._MAIN_CONTENT_CLASS_TOKENS))


def _article_content(el: etree._Element) -> bool:
    ident, names = el.get("id"), el.get("class")
    return (names in ("post", "entry") or el.get("itemprop") == "articleBody" or ident == "articleContent"
            or _content_id(ident) or _content_class(names))


def _story(el: etree._Element) -> bool:
    ident, names = el.get("id"), el.get("class")
    return (el.get("role") == "article" or ident in ("article", "story")
            or names in ("postarea", "art-postcontent", "text", "cell", "story")
            or _story_id(ident) or _fulltext_class(names) or _story_class(names))


def _main_content(el: etree._Element) -> bool:
    ident, names = el.get("id") or "", el.get("class") or ""
    return (ident == "content" or names == "content" or _main_id(ident) or _main_class(names)
            or "main-content" in ident.replace("C", "c").replace("M", "m")
            or "main-content" in names.replace("C", "c").replace("M", "m")
            or "page-content" in names.replace("C", "c").replace("P", "p"))


def _main(el: etree._Element) -> bool:
    return el.tag == "main" or any((el.get(name) or "").startswith("main") for name in ("class", "id", "role"))


def _first_match(test, tags):
    return lambda tree: [next((el for el in tree.iterdescendants(tags) if test(el)), None)]


_BODY_RULES = [
    _first_match(_article_content, _BODY_TAGS),
    lambda tree: [next(tree.iterdescendants("article"), None)],
    _first_match(_story, _BODY_TAGS),
    _first_match(_main_content, _BODY_TAGS),
    _first_match(_main, ("article", "div", "section", "main")),  # the first of both alternatives
]

# OVERALL_DISCARD_XPATH and DISCARD_IMAGE_ELEMENTS: boilerplate inside the body, and captions.
_DISCARD_TAGS = ("div", "item", "list", "p", "section", "span")
_CONSENT = re.compile(xpaths._alt(xpaths._CONSENT_ID_CLASS_TOKENS))
_DISCARD_ID = re.compile(xpaths._alt(xpaths._OVERALL_DISCARD_BOTH_TOKENS + xpaths._OVERALL_DISCARD_ID_TOKENS))
_DISCARD_CLASS = re.compile(xpaths._alt(xpaths._OVERALL_DISCARD_BOTH_TOKENS + xpaths._OVERALL_DISCARD_CLASS_TOKENS))
_HIDDEN_ID = re.compile("reader-comments|akismet")
_HIDDEN_CLASS = re.compile("^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print"
                           "| hidden| hide|noprint|notloaded")


# The two rules below run on every element of the body: an element without attributes, most
# of them, fails every test (none of the regular expressions matches "").
def _boilerplate(el: etree._Element) -> bool:
    items = el.items()
    if not items:
        return False
    attrs = dict(items)
    return ("data-lp-replacement-content" in attrs
            or "nav" in attrs.get("role", "").replace("N", "n")
            or "MostPopularStories" in attrs.get("data-component", "")
            or _CONSENT.search(_first_of(items, ("id", "class"))) is not None
            or _DISCARD_ID.search(attrs.get("id", "")) is not None
            or _DISCARD_CLASS.search(attrs.get("class", "")) is not None)


def _hidden_or_reply(el: etree._Element) -> bool:
    items = el.items()
    if not items:
        return False
    attrs = dict(items)
    style = attrs.get("style", "")
    return (attrs.get("class") == "comments-title" or _first_of(items, ("id", "class")).startswith("reply-")
            or "hidden" in _first_of(items, ("id", "style")) or "display:none" in style or "display: none" in style
            or _HIDDEN_ID.search(attrs.get("id", "")) is not None
            or _HIDDEN_CLASS.search(attrs.get("class", "")) is not None or attrs.get("aria-hidden") == "true")


_OVERALL_DISCARD_RULES = [
    lambda tree: [el for el in tree.iterdescendants(_DISCARD_TAGS) if _boilerplate(el)],
    lambda tree: [el for el in tree.iterdescendants(etree.Element) if _hidden_or_reply(el)],
]
_DISCARD_IMAGE_RULES = [
    lambda tree: [el for el in tree.iterdescendants(_DISCARD_TAGS)
                  if "caption" in (el.get("id") or "") or "caption" in (el.get("class") or "")],
]


# From here: trafilatura.main_extractor's functions, with the rules above in place of its XPaths.

def _prune_unwanted_sections(tree, potential_tags: set[str], options: Extractor, keep_teasers: bool = False):
    "Rule-based deletion of targeted document sections"
    favor_precision = options.focus == "precision"
    # prune the rest
    tree = prune_unwanted_nodes(tree, _OVERALL_DISCARD_RULES, with_backup=True)
    # decide if images are preserved
    if "graphic" not in potential_tags:
        tree = prune_unwanted_nodes(tree, _DISCARD_IMAGE_RULES)
    # balance precision/recall
    if options.focus != "recall":
        if not keep_teasers:
            tree = prune_unwanted_nodes(tree, xpaths.TEASER_DISCARD_XPATH)
        if favor_precision:
            tree = prune_unwanted_nodes(tree, xpaths.PRECISION_DISCARD_XPATH)
    # remove elements by link density, several passes
    for _ in range(2):
        tree = delete_by_link_density(tree, "div", backtracking=True, favor_precision=favor_precision)
        tree = delete_by_link_density(tree, "list", backtracking=False, favor_precision=favor_precision)
        tree = delete_by_link_density(tree, "p", backtracking=False, favor_precision=favor_precision)
    # tables
    if "table" in potential_tags or favor_precision:
        # collect before deleting: removing a table mid-iteration can make tree.iter() skip a table
        boilerplate_tables = [elem for elem in tree.iter("table") if link_density_test_tables(elem) is True]
        for elem in boilerplate_tables:
            delete_element(elem, keep_tail=False)
    if favor_precision:
        # delete trailing titles
        while len(tree) > 0 and (tree[-1].tag == "head"):
            delete_element(tree[-1], keep_tail=False)
        tree = delete_by_link_density(tree, "head", backtracking=False, favor_precision=True)
        tree = delete_by_link_density(tree, "quote", backtracking=False, favor_precision=True)
    # after the link density tests, which need the refs
    strip_tags(tree, "span", *(() if "ref" in potential_tags else ("ref",)))
    return tree


def _extract(tree, options: Extractor):
    # init
    potential_tags = set(TAG_CATALOG)
    if options.tables is True:
        potential_tags.update(["table", "td", "th", "tr"])
    if options.images is True:
        potential_tags.add("graphic")
    if options.links is True:
        potential_tags.add("ref")
    result_body = Element("body")
    # iterate
    for expr in _BODY_RULES:
        # select tree if the expression has been found
        subtree = next((s for s in expr(tree) if s is not None), None)
        if subtree is None:
            continue
        # prune the subtree
        subtree = _prune_unwanted_sections(subtree, potential_tags, options)
        # skip if empty tree
        if len(subtree) == 0:
            continue
        # no paragraphs containing text, or not enough
        ptest = subtree.xpath("//p//text()")
        factor = 1 if options.focus == "precision" else 3
        if not ptest or len("".join(ptest)) < options.min_extracted_size * factor:
            potential_tags.add("div")

        subelems = subtree.xpath(".//*")
        # a single text run (only lb or inline elements): process the frame itself
        # lb-only frames go there unconditionally, a failed main pass then hands them to the recovery
        tags = {e.tag for e in subelems}
        if tags == {"lb"} or (subtree.tag == "div" and "div" in potential_tags and tags <= INLINE_FORMATTABLE | {"lb"}):
            subelems = [subtree]
        # the frame's own text before its first child, kept if the frame is accepted
        lead, start = None, len(result_body)
        if subelems != [subtree] and text_chars_test(subtree.text):
            lead = Element("p")
            lead.text = subtree.text
            lead = process_node(lead, options)
        # extract content
        for elem in subelems:
            # handle_other_elements() emits a text-bearing div as-is, children and all, and
            # appending it MOVES it into result_body. Its descendants are still in the list
            # captured above, so revisiting one would emit its text twice -- an <lb> whose tail
            # carries a paragraph turned into a duplicate of that paragraph. handle_paragraphs()
            # marks the children it consumes "done"; this covers the elements it cannot retag.
            if elem.getroottree().getroot() is result_body:
                continue
            # handlers may rename the element to "done", so read these first
            tag, tail = elem.tag, elem.tail
            processed_elem = handle_textelem(elem, potential_tags, options)
            if processed_elem is not None:
                result_body.append(processed_elem)
                # a copy leaves its source behind for a later, wider subtree
                if elem.getroottree().getroot() is not result_body:
                    elem.tag = "done"
            # text right after a rebuilt block is a paragraph of its own, like an <lb> tail,
            # unless the handler already carried it over (a code block copied as a whole)
            if tag in REBUILT_BLOCKS and text_chars_test(tail) and (processed_elem is None or processed_elem.tail is None):
                tail_elem = Element("p")
                tail_elem.text = tail
                if process_node(tail_elem, options) is not None:
                    result_body.append(tail_elem)
        # remove trailing titles
        while len(result_body) > 0 and (result_body[-1].tag in NOT_AT_THE_END):
            delete_element(result_body[-1], keep_tail=False)
        # exit once there is real content, not just a lone image
        if sum(e.tag != "graphic" for e in result_body) > 1:
            if lead is not None:
                result_body.insert(start, lead)
            break
    temp_text = " ".join(result_body.itertext()).strip()
    return result_body, temp_text, potential_tags


def _extract_content(cleaned_tree, options: Extractor):
    """Find the main content of a page using a set of XPath expressions,
    then extract relevant elements, strip them of unwanted subparts and
    convert them"""
    # backup
    backup_tree = deepcopy(cleaned_tree)
    # source order before the main pass moves elements, the backup keeps it
    order = list(cleaned_tree.iter())

    result_body, temp_text, potential_tags = _extract(cleaned_tree, options)

    # try parsing wild <p> elements if nothing found or text too short
    # todo: test precision and recall settings here
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        # copies of what the main pass consumed are not recovered again
        consumed = {twin for elem, twin in zip(order, backup_tree.iter(), strict=True) if elem.tag == "done"}
        result_body = _recover_wild_text(backup_tree, result_body, options, potential_tags, consumed)
        temp_text = " ".join(result_body.itertext()).strip()
    # drop substantial elements repeating the previous one (overlapping-candidate / recovery artifact);
    # length-gated so short genuine repeats stay for the dedup (#778) and tree-size guards
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    # filter output
    strip_elements(result_body, "done")
    strip_tags(result_body, "div")
    # stripping the divs above merges their indentation into the preceding <lb>'s tail, so an
    # <lb> that only separated pruned blocks (ad slots, clearfix spacers) ends up carrying a
    # run of whitespace -- rendered verbatim as blank, space-filled lines in txt/markdown.
    # Inside code/pre that whitespace is the indentation itself, so leave those alone.
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text


def _recover_wild_text(tree, result_body, options: Extractor, potential_tags=None, consumed=None):
    """Look for all previously unconsidered wild elements, including outside of the determined
    frame and throughout the document to recover potentially missing text parts.

    Do not widen `search_expr` (e.g. headings, more div shapes) without benchmarking the
    full suite: extra recovered text increases the extracted length, which can suppress
    the stronger rescues that run after this one (compare_extraction, the baseline rescue,
    the recall escalation).
    """
    # copy: the recall branch below mutates potential_tags, must not leak back to the caller
    potential_tags = set(TAG_CATALOG if potential_tags is None else potential_tags)
    # blockquote/pre/q are already renamed to quote/code by convert_tags before this tree is built
    search_expr = ".//code|.//p|.//quote|.//table|.//div[contains(@class, 'w3-code')]"
    if options.focus == "recall":
        potential_tags.update(["div", "lb"])
        search_expr += "|.//div|.//lb|.//list"
    # prune; in fast mode (no external comparator to defer to) keep teaser-class blocks, some of
    # which are real content — this is the last-resort path after the confident extractor failed
    search_tree = _prune_unwanted_sections(tree, potential_tags, options, keep_teasers=options.fast)
    subelems = search_tree.xpath(search_expr)
    # dedup against the pre-main-pass snapshot: skip what the main pass already took -- exact
    # match (not length-gated, #634; accepted cost: identical-text elements collapse) or a
    # length-gated substring (a <p> folded into its <list> container)
    elem_texts = [_elem_text(el) for el in result_body]
    # newline-joined (trimmed element text has no newline) so no substring match spans two elements
    existing = "\n".join(filter(None, elem_texts))
    existing_elems = set(elem_texts)
    # elements emitted or deduped whole: their descendants are covered
    handled = set()
    for subelem in subelems:
        if (consumed and subelem in consumed) or any(a in handled for a in subelem.iterancestors()):
            continue
        processed = handle_textelem(subelem, potential_tags, options)
        if processed is None:
            continue
        if processed is subelem:
            handled.add(subelem)
        text = _elem_text(processed)
        # image-only blocks have no text to compare, check their sources against the live body
        images = {img.get("src") for img in processed.iter("graphic")}
        if not text and images and images <= {g.get("src") for g in result_body.iter("graphic")}:
            continue
        # past the cap, the substring scan is skipped and `existing` stops growing
        under_cap = len(existing) <= DEDUPE_SCAN_CAP
        # a copy carrying its source tail is a fragment of a text run: no length gate
        fragment = trim(text + (processed.tail or "")) if text_chars_test(processed.tail) else ""
        if text and (
            text in existing_elems
            or (under_cap and ((len(text) > MIN_DUPLICATE_LENGTH and text in existing) or (fragment and fragment in existing)))
        ):
            continue
        result_body.append(processed)
        if under_cap:
            existing += "\n" + (fragment or text)
        existing_elems.add(text)
    return result_body
