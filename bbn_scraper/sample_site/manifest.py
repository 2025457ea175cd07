"""The manifest: what the sample site contains, as plain JSON-ready data, so tests can compare
crawl and parse results against the truth without scraping the site themselves."""
from __future__ import annotations

from .content import (
    BROKEN_ARCHIVE_PATH, BROKEN_ARTICLE_PATH, BROKEN_IN_BODY, BROKEN_IN_MORE_ABOUT, BROKEN_TAG_PATH,
    CONTENT, DISALLOWED_PATH, FAQ_ONLY_WORD, FEED_COUNT, FEED_TRACKING, FEATURED_COUNT, HOME_TRACKING,
    LANGUAGE, PER_PAGE, SITE_NAME, Post, para_text,
)
from .render import iso

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"


def _article(p: Post, edition: int, u) -> dict:
    return {
        "index": p.index,
        "post_id": p.post_id,
        "slug": p.slug,
        "path": p.path,
        "url": u(p.path),
        "canonical_url": u(p.path),
        "amp_path": p.amp_path,
        "amp_url": u(p.amp_path) if p.amp else None,
        "headline": p.headline,
        "byline": p.byline,
        "authors": [a.name for a in p.authors],
        "author_paths": [a.path for a in p.authors],
        "published": iso(p.published),
        "modified": iso(p.modified[edition]),
        "section": p.category.name,
        "category_path": p.category.path,
        "tags": [t.name for t in p.tags],
        "tag_paths": [t.path for t in p.tags],
        "topic": p.topic.topic,
        "comment_count": p.comment_count,
        "summary": p.summary,
        "image_url": u(p.image_path),
        "language": LANGUAGE,
        "body": p.body_text(edition),
        "body_paragraphs": [para_text(x) for x in p.body[edition]],
        "word_count": p.word_count(edition),
        "theme": p.theme,
        "faq_shape": p.faq_shape,
        "faq_visible": p.faq_visible,
        "faq_count": len(p.faqs),
        "faqs": [{"question": f.question, "answer": f.answer} for f in p.faqs],
        "related_link_count": len(p.more_about),
        "related_links": [{"text": a.text, "url": u(a.target)} for a in p.more_about],
        "also_like_count": len(p.also_like),
        "related_articles": [{"text": q.headline, "url": u(q.path)} for q in p.also_like],
        "unique_word": p.topic.unique,
        "changes_in_edition_2": p.changes_in_edition_2,
        "charset": p.charset,
        "special": list(p.specials),
    }


def build_manifest(edition: int = 1, base_url: str = DEFAULT_BASE_URL) -> dict:
    """The manifest for `edition`, with absolute URLs under `base_url`."""
    base = base_url if base_url.endswith("/") else base_url + "/"

    def u(path: str) -> str:
        return path if path.startswith(("http://", "https://")) else base + path.lstrip("/")

    c = CONTENT
    articles = [_article(p, edition, u) for p in c.newest_first]
    listings = c.all_listings()
    listing_paths = (listings["home"] + [x for group in ("category", "tag", "author")
                                         for pages in listings[group].values() for x in pages])
    category_pages = [x for pages in listings["category"].values() for x in pages]
    fw = c.faq_word_post
    fw_faq = next(f for f in fw.faqs if FAQ_ONLY_WORD in f.answer)
    by_slug = c.by_slug
    tracking = (
        [{"url": u(p.path) + "?" + HOME_TRACKING, "target_path": p.path, "linked_from": ["/"]}
         for p in c.newest_first[:FEATURED_COUNT]]
        + [{"url": u(p.path) + "?" + FEED_TRACKING.format(slug=p.slug), "target_path": p.path, "linked_from": ["/feed/"]}
           for p in c.newest_first[:FEED_COUNT]])
    changed = [p.path for p in c.newest_first if p.changes_in_edition_2]
    return {
        "site_name": SITE_NAME,
        "base_url": base,
        "edition": edition,
        "per_page": PER_PAGE,
        "articles": articles,
        "article_paths": [a["path"] for a in articles],
        "listings": listings,
        "listing_paths": listing_paths,
        "home_path": "/",
        "robots_path": "/robots.txt",
        "sitemap_index_path": "/sitemap_index.xml",
        "sitemap_paths": ["/post-sitemap.xml", "/category-sitemap.xml"],
        "feed_path": "/feed/",
        "disallowed_path": DISALLOWED_PATH,
        "disallowed_links_from": ["every HTML page (footer 'Staff login')"],
        "amp_pages": [{"path": p.amp_path, "url": u(p.amp_path), "canonical_url": u(p.path), "article_path": p.path}
                      for p in c.newest_first if p.amp],
        "tracking_links": tracking,
        "faq_only_word": {"word": FAQ_ONLY_WORD, "article_path": fw.path, "question": fw_faq.question},
        "broken_links": [
            {"path": BROKEN_ARTICLE_PATH, "url": u(BROKEN_ARTICLE_PATH), "linked_from": [by_slug[BROKEN_IN_MORE_ABOUT].path],
             "where": "'More about' list"},
            {"path": BROKEN_TAG_PATH, "url": u(BROKEN_TAG_PATH), "linked_from": [by_slug[BROKEN_IN_BODY].path],
             "where": "inline link in the article body"},
            {"path": BROKEN_ARCHIVE_PATH, "url": u(BROKEN_ARCHIVE_PATH), "linked_from": listings["home"] + category_pages,
             "where": "home page and category listings"},
        ],
        "special_pages": {
            "503-twice": next(p.path for p in c.posts if "503-twice" in p.specials),
            "cp1252": next(p.path for p in c.posts if p.charset != "utf-8"),
            "amp": [p.amp_path for p in c.newest_first if p.amp],
            "faq-only-word": fw.path,
            "multiple-authors": [p.path for p in c.newest_first if len(p.authors) > 1],
            "edition-2-changes": changed,
            "private": DISALLOWED_PATH,
        },
        # Paths whose bytes differ between edition 1 and 2 (the post-sitemap's entry in the
        # sitemap index carries the newest lastmod, as Yoast does); every other page is identical.
        "edition_2_changed_paths": changed + ["/post-sitemap.xml", "/sitemap_index.xml"],
    }


def manifest(edition: int = 1, base_url: str = DEFAULT_BASE_URL) -> dict:
    return build_manifest(edition, base_url)
