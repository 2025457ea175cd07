"""What the parser knows of each theme's and CMS family's article markup, one declaration each
(WordPress themes, Ghost, Substack, Arc XP, WordPress VIP's Newspack, Drupal).

A field function asks for one kind of element (`selector("headline")`) and gets the selectors
of every theme in THEMES order, the generic ones last, as one selector list that `Page.select`
reads in that order. Selectors are the `bbn_scraper.parsers.page` subset of CSS. Adding a theme = one
declaration in THEMES (before GENERIC) and fixture pages that show it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class FaqWidget:
    """A box that holds one question and its answer: the question is the box's first element
    matching `question`; the answer is its `answer` elements, or, with `answer` None, the rest
    of the box."""

    box: str
    question: str
    answer: str | None = None


@dataclass(frozen=True)
class Theme:
    """One theme's selectors for each kind of element, best first."""

    name: str
    headline: tuple[str, ...] = ()  # the article's <h1>
    byline: tuple[str, ...] = ()  # the box with "By Name and Name"
    author_links: tuple[str, ...] = ()  # links to author pages; the first selector that matches wins
    published: tuple[str, ...] = ()  # <time datetime> of publication
    modified: tuple[str, ...] = ()  # <time datetime> of the last update
    date_text: tuple[str, ...] = ()  # boxes whose visible text gives the date
    section: tuple[str, ...] = ()  # category links; the first selector that matches wins
    tags: tuple[str, ...] = ()  # tag links; the first selector that matches wins
    comments: tuple[str, ...] = ()  # what shows the comment count
    comment_thread: tuple[str, ...] = ()  # the comments (their dates and names are not the article's)
    content: tuple[str, ...] = ()  # the story's container
    guessed_content: tuple[str, ...] = ()  # where the story may be when no `content` matches
    chrome: tuple[str, ...] = ()  # removed from the content: `tag`, `.class`, `#id`, `[class*=part]` or `[id^=prefix]`
    related: tuple[str, ...] = ()  # related-posts boxes ("You may also like")
    faq_widgets: tuple[FaqWidget, ...] = ()
    listing_body_classes: frozenset[str] = frozenset()  # <body> classes of pages that are not one article
    article_body_classes: frozenset[str] = frozenset()  # <body> classes of a single article


SOLEDAD = Theme(
    "Soledad (PenciDesign)",
    headline=("h1.single-post-title",),
    byline=(".post-box-meta-single .author-italic",),
    author_links=("a.author-url",),
    published=(".post-box-meta-single time.entry-date",),
    date_text=(".post-box-meta-single",),
    section=(".penci-standard-cat a",),
    tags=(".post-tags a",),
    comments=(".post-box-meta-single .comment-count",),
    content=("#penci-post-entry-inner",),
    chrome=(
        ".penci-google-adsense", ".penci-social-buttons", ".post-tags", ".post-related", ".penci-author-box",
        ".post-box-meta-single", ".penci-standard-cat", ".penci-single-link-pages",
    ),
    related=(".post-related",),
)

NEWSPAPER = Theme(
    "Newspaper (tagDiv)",
    headline=(".td-post-title h1",),
    byline=(".td-post-author-name",),
    date_text=(".td-post-date",),
    section=(".td-category a",),
    tags=(".td-tags a",),
    comments=(".td-post-comments",),
    content=(".td-post-content",),
    chrome=(".td-post-tags", ".td-tags", ".td_block_related_posts", ".td-author-box", ".td-post-header", ".td-post-featured-image"),
    related=(".td_block_related_posts",),
)

GUTENBERG = Theme(
    "Gutenberg block themes (Twenty Twenty-Four and the like)",
    headline=("h1.wp-block-post-title",),
    byline=(".wp-block-post-author-name", ".wp-block-co-authors-plus-coauthors"),
    published=(".wp-block-post-date time",),
    modified=(".wp-block-post-date.updated time",),
    section=(".wp-block-post-terms.taxonomy-category a",),
    tags=(".wp-block-post-terms.taxonomy-post_tag a",),
    comments=(".wp-block-comments-title",),
    content=(".wp-block-post-content",),
    chrome=(
        ".wp-block-post-terms", ".wp-block-post-title", ".wp-block-post-date", ".wp-block-post-author-name",
        ".wp-block-post-author", ".wp-block-comments", ".wp-block-post-comments-form", ".wp-block-image",
    ),
)

AMP = Theme(
    "AMP (the AMP plugin's reader mode)",
    byline=(".amp-wp-byline",),
    content=(".amp-wp-article-content",),
    chrome=("amp-ad", "amp-img", "amp-embed", "amp-analytics"),
)

GHOST = Theme(
    "Ghost (Casper, Source and the themes built like them)",
    headline=("h1.gh-article-title", "h1.article-title", "h1.post-full-title"),
    byline=(".gh-article-author-name", ".byline-meta-content .author-name"),
    published=("time.gh-article-meta-date", "time.byline-meta-date", "time.post-full-meta-date"),
    section=("a.gh-article-tag", "a.article-tag", ".post-full-meta a"),
    content=(".gh-content", ".post-full-content"),
    # Koenig editor cards inside the story that are no part of it: a preview of another page
    # (bookmark), a sign-up or call-to-action box, buttons, products, media, the members' upgrade box.
    chrome=(
        ".kg-bookmark-card", ".kg-signup-card", ".kg-cta-card", ".kg-button-card", ".kg-product-card",
        ".kg-image-card", ".kg-gallery-card", ".kg-embed-card", ".kg-video-card", ".kg-audio-card",
        ".kg-file-card", ".gh-post-upgrade-cta", ".gh-article-excerpt",
    ),
    related=(".gh-read-next", ".read-next-feed"),
)

SUBSTACK = Theme(
    "Substack",
    headline=("h1.post-title",),
    content=(".available-content .body.markup", ".body.markup"),
    # The subscribe box and buttons the editor puts between paragraphs, image containers,
    # footnote anchors, the like/comment/share bar.
    chrome=(
        ".subscription-widget-wrap", ".subscription-widget", ".subscribe-widget", ".captioned-button-wrap",
        ".button-wrapper", ".captioned-image-container", ".image-link-expand", ".footnote-anchor", ".post-ufi",
        ".paywall-jump",
    ),
)

ARC_XP = Theme(
    "Arc XP (the Washington Post's publishing platform, licensed to many newspapers)",
    headline=("h1[data-testid=headline]", "h1[data-qa=headline]", "h1.b-headline"),
    byline=("[data-testid=byline]", "[data-qa=author-name]", ".b-byline"),
    published=("time[data-testid=display-date]", "[data-qa=display-date] time", "time.b-date"),
    date_text=("[data-testid=display-date]", "[data-qa=display-date]", ".b-date"),
    content=("[data-testid=article-body]", "[data-qa=article-body]", ".b-article-body", ".article-body-wrapper"),
    # Links to other stories printed between the paragraphs, subscription promos, ad slots.
    chrome=(".interstitial-link", ".b-interstitial-link", ".subscribe-promo", ".arcad", "[class*=arc_ad]"),
    related=("[data-testid=related-stories]", ".b-related-stories"),
)

NEWSPACK = Theme(
    "WordPress VIP newsrooms (Newspack theme and its blocks, Co-Authors Plus bylines)",
    byline=(".entry-meta .byline .author", ".coauthors"),
    author_links=(".byline .author a", "a.coauthor"),
    # Newspack's "homepage posts" block inside a story lists other stories (headline, excerpt);
    # the newsletter sign-up, campaign pop-ups and the donation box are no part of it.
    chrome=(
        ".wpnbha", ".wp-block-newspack-blocks-homepage-articles", ".newspack-newsletters-subscribe",
        ".newspack-popup-container", ".newspack-inline-popup", ".wp-block-newspack-blocks-donate",
        ".newspack-post-subtitle",
    ),
    related=(".wpnbha", ".wp-block-newspack-blocks-homepage-articles"),
)

DRUPAL = Theme(
    "Drupal (7 to 11: node templates and field classes)",
    headline=("h1.page-title", "h1.node__title", "h1.title"),
    byline=(".node__meta .field--name-uid", ".field--name-field-author", ".field-name-field-author", ".submitted .username"),
    published=(".node__meta time", ".field--name-created time"),
    date_text=(".node__meta", ".submitted"),
    section=(".field--name-field-category a", ".field--name-field-section a"),
    tags=(".field--name-field-tags a", ".field-name-field-tags a"),
    content=(".field--name-body", ".field-name-body"),
    chrome=(".field--label", ".field-label", ".node__links"),
    listing_body_classes=frozenset({"path-taxonomy", "page-taxonomy-term", "path-frontpage", "path-search"}),
    article_body_classes=frozenset({"page-node-type-article", "node-type-article", "page-node-type-news"}),
)

GENERIC = Theme(
    "generic WordPress and HTML",
    headline=("h1.entry-title", "h1.post-title", "h1.article-title", "article h1", "h1"),
    byline=(".entry-meta .byline", ".post-meta .byline", ".byline", ".author-name", ".authorname", ".meta-author"),
    author_links=("a[rel~=author]", ".author.vcard a", "[itemprop=author] [itemprop=name]"),
    published=(
        "time.entry-date.published", "time.published", "time.entry-date", "time[itemprop=datePublished]",
        "time[datetime]", "abbr.published", "[itemprop=datePublished]",  # Blogger: <abbr class=published title=ISO>
    ),
    modified=("time.updated", "time[itemprop=dateModified]"),
    date_text=(
        ".posted-on", ".post-date", ".entry-date", ".meta-date", ".entry-meta", ".post-meta", ".date",
        ".published-date", ".publish-date", ".article-date", ".display-date", ".pubdate", "[itemprop=datePublished]",
    ),
    section=(".cat-links a", "a[rel~=category]"),
    tags=(
        ".tags-links a", "a[rel~=tag]", ".article-tags a", ".story-tags a", ".post-tags a", ".entry-tags a", ".tag-list a",
        ".tags-list a", ".article-topics a", ".story-topics a", "ul.tags a", "div.tags a",
    ),
    comments=(
        ".comment-count", ".comments-link", ".comment-link", ".comments-title", "#comments h2", 'a[href*="#comments"]',
        'a[href*="#respond"]',
    ),
    comment_thread=("#comments", "#respond", "[class*=comment-list]", "[class*=comment-body]"),
    content=(
        "[itemprop=articleBody]", ".entry-content", ".post-content", ".article-content", ".article-body",
        ".story-body", ".post-entry", ".single-content",
    ),
    guessed_content=("article", "main", "[role=main]"),
    chrome=(
        "script", "style", "noscript", "template", "iframe", "object", "embed", "form", "button", "input",
        "select", "textarea", "svg", "canvas", "video", "audio", "figure", "img", "picture", "nav", "aside", "ins",
        ".ads", ".ad", ".code-block", ".sharedaddy", ".addtoany_share_save_container", ".tags-links", ".tags",
        ".jp-relatedposts", ".jp-relatedposts-i2", ".yarpp", ".yarpp-related", ".crp_related", ".rp4wp-related-posts",
        ".related-posts", ".related-post", "#related-posts", ".wp-block-latest-posts", ".comments-area", ".author-box",
        ".post-author-box",
        ".newsletter", ".entry-header", ".post-header", ".entry-meta", ".post-meta", ".cat-links", ".byline",
        ".wp-caption-text", ".screen-reader-text", "[class*=adsense]", "[class*=advert]", "[class*=share]",
        "#respond", "#comments", "[id^=div-gpt]",
        # video players' controls, dialogs and playlists (Video.js, JW Player, Brightcove and the like)
        "[class*=video-js]", "[class*=vjs-]", "[class*=jwplayer]", "[class*=jw-player]", "[class*=video-player]",
        "[class*=video-playlist]", "[class*=brightcove]",
    ),
    related=(
        "#jp-relatedposts", ".jp-relatedposts-i2",  # Jetpack: the classic box, the block
        ".yarpp-related", ".crp_related", ".rp4wp-related-posts",  # YARPP, Contextual Related Posts, Related Posts for WP
        ".related-posts", "#related-posts", ".related-post", ".wp-block-related-posts",  # themes
        ".entry-content .wp-block-latest-posts", ".wp-block-post-content .wp-block-latest-posts",  # in the story only
    ),
    faq_widgets=(
        FaqWidget("details", "summary"),  # an accordion (core/details, Elementor's nested accordion): <summary>, then the rest
        FaqWidget("[class*=schema-faq-section]", ".schema-faq-question", ".schema-faq-answer"),  # Yoast FAQ block
        FaqWidget(".rank-math-list-item", ".rank-math-question", ".rank-math-answer"),  # Rank Math FAQ block
        FaqWidget(".elementor-accordion-item", ".elementor-tab-title", ".elementor-tab-content"),  # Elementor accordion
        FaqWidget(".elementor-toggle-item", ".elementor-tab-title", ".elementor-tab-content"),  # Elementor toggle
        FaqWidget(".uagb-faq-item", ".uagb-question", ".uagb-faq-content"),  # Spectra (UAGB) FAQ block
        FaqWidget(".kt-accordion-pane", ".kt-blocks-accordion-title", ".kt-accordion-panel-inner"),  # Kadence accordion
    ),
    listing_body_classes=frozenset({
        "home", "blog", "archive", "category", "tag", "author", "search", "search-results",
        "search-no-results", "error404", "paged", "date", "tax",
    }),
    article_body_classes=frozenset({"single", "single-post", "single-format-standard", "postid"}),
)

THEMES = (SOLEDAD, NEWSPAPER, GUTENBERG, AMP, GHOST, SUBSTACK, ARC_XP, NEWSPACK, DRUPAL, GENERIC)  # priority order; GENERIC last


@lru_cache(maxsize=None)
def selector(kind: str) -> str:
    """The `kind` selectors of every theme, in priority order, as one selector list."""
    return ", ".join(s for theme in THEMES for s in getattr(theme, kind))

