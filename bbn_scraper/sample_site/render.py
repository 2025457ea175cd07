"""Page rendering: WordPress-style HTML (Soledad chrome; Soledad, tagDiv Newspaper and Gutenberg
article markup), an AMP reader page, RSS, Yoast sitemaps and robots.txt.

Every function takes a `Renderer`, which knows the base URL of the running server and the
edition, so internal links are absolute to wherever the site is served.
"""
from __future__ import annotations

import html
import json
from datetime import datetime
from email.utils import format_datetime

from .content import (
    A, BROKEN_ARCHIVE_PATH, CONTENT, DISALLOWED_PATH, FEED_COUNT, FEED_TRACKING, FEATURED_COUNT,
    HOME_TRACKING, LANGUAGE, PER_PAGE, SITE_NAME, Post, SiteContent,
)

GENERATOR = "WordPress 6.3.1"
_TEXTURIZE = {"‘": "&#8216;", "’": "&#8217;", "“": "&#8220;", "”": "&#8221;",
              "–": "&#8211;", "—": "&#8212;", "…": "&#8230;"}
ABOUT_TEXT = ("BNB – Big Big News is a news portal that offers the latest news from around the world. "
              "BNB – Big Big News focuses on providing readers with the most up-to-date information from "
              "the U.S. and abroad, covering a wide range of topics, including politics, sports, "
              "entertainment, business, health, and more.")
CSS = ("body{font-family:Georgia,serif;margin:0;color:#313131}.container{max-width:1100px;margin:0 auto;padding:0 16px}"
       "#navigation .menu{list-style:none;display:flex;gap:18px;padding:0}#navigation a{color:#111;text-decoration:none}"
       ".penci-hide-tagupdated{display:none!important}.penci-google-adsense,.td-a-rec{color:#aaa;font-size:11px}"
       "#widget-area{background:#f5f5f5;margin-top:40px;padding:20px 0}#footer-copyright{text-align:center;padding:16px}"
       ".page-numbers{display:inline-flex;gap:8px;list-style:none}")


def esc(s: str) -> str:
    return html.escape(s, quote=False)


def attr(s: str) -> str:
    return html.escape(s, quote=True)


def texturize(s: str, entities: bool, title: bool = False) -> str:
    """HTML-escaped text; with `entities`, curly quotes and dashes as numeric entities like
    WordPress' wptexturize (and "&" as "&#038;" in titles)."""
    out = esc(s)
    if entities:
        for ch, ent in _TEXTURIZE.items():
            out = out.replace(ch, ent)
        if title:
            out = out.replace("&amp;", "&#038;")
    return out


def plain_title(s: str) -> str:
    """The headline as Yoast puts it in <title> and og:title: straight quotes, escaped."""
    s = s.replace("‘", "'").replace("’", "'").replace("“", '"').replace("”", '"')
    return html.escape(s, quote=True).replace("&#x27;", "&#039;")


def iso(d: datetime) -> str:
    return d.isoformat()


def human_date(d: datetime) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def human_time(d: datetime) -> str:
    hour = d.hour % 12 or 12
    return f"{hour}:{d:%M} {'am' if d.hour < 12 else 'pm'}"


def jsonld(obj, css_class: str | None = "yoast-schema-graph") -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    cls = f' class="{css_class}"' if css_class else ""
    return f'<script type="application/ld+json"{cls}>{text}</script>'


class Renderer:
    def __init__(self, base_url: str, edition: int, content: SiteContent = CONTENT) -> None:
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.edition = edition
        self.c = content

    def u(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base + path_or_url.lstrip("/")

    # ------------------------------------------------------------ chrome
    def head(self, title_html: str, canonical: str | None, extra: str = "", charset: str = "UTF-8",
             robots: str = "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1") -> str:
        canon = f'\t<link rel="canonical" href="{attr(canonical)}" />\n' if canonical else ""
        return (
            f'<!DOCTYPE html>\n<html lang="{LANGUAGE}">\n<head>\n'
            f'\t<meta charset="{charset}">\n'
            '\t<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
            '\t<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'\t<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} RSS Feed" href="{self.u("/feed/")}"/>\n'
            f"\t<meta name='robots' content='{robots}' />\n"
            f"\t<!-- This site is optimized with the Yoast SEO plugin v21.1 - https://yoast.com/wordpress/plugins/seo/ -->\n"
            f"\t<title>{title_html}</title>\n{canon}{extra}"
            f"\t<!-- / Yoast SEO plugin. -->\n"
            f'\t<meta name="generator" content="{GENERATOR}" />\n'
            f"\t<style>{CSS}</style>\n"
            f'\t<link rel="icon" href="{self.u("/wp-content/uploads/2023/01/cropped-bbn-icon-32x32.png")}" sizes="32x32" />\n'
            "</head>\n"
        )

    def header(self) -> str:
        items = [f'<li class="menu-item menu-item-home"><a href="{self.base}">Home</a></li>']
        for i, cat in enumerate(self.c.categories):
            items.append(f'<li id="menu-item-{12 + i}" class="menu-item menu-item-type-taxonomy menu-item-object-category">'
                         f'<a href="{self.u(cat.path)}">{esc(cat.name)}</a></li>')
        menu = "\n\t\t\t\t\t\t".join(items)
        return (
            '\t<div class="penci-header-wrap">\n'
            '\t\t<header id="header" class="header-header-6 has-bottom-line" itemscope="itemscope" itemtype="https://schema.org/WPHeader">\n'
            '\t\t\t<nav id="navigation" class="header-layout-bottom header-6 menu-style-1" role="navigation">\n'
            '\t\t\t\t<div class="container">\n'
            f'\t\t\t\t\t<div id="logo"><a href="{self.base}"><img class="penci-mainlogo" src="{self.u("/wp-content/uploads/2023/01/bbn-logo.png")}" alt="{SITE_NAME}" width="260" height="60"></a></div>\n'
            f'\t\t\t\t\t<ul id="menu-main-menu" class="menu">\n\t\t\t\t\t\t{menu}\n\t\t\t\t\t</ul>\n'
            '\t\t\t\t\t<div id="top-search" class="penci-top-search"><form role="search" method="get" class="pc-searchform" '
            f'action="{self.base}"><input type="text" class="search-input" placeholder="Type and hit enter..." name="s"/>'
            '<button type="submit" class="searchsubmit">Search</button></form></div>\n'
            '\t\t\t\t</div>\n\t\t\t</nav>\n\t\t</header>\n\t</div>\n'
        )

    def side_item(self, p: Post, thumb: bool) -> str:
        url = self.u(p.path)
        title = texturize(p.headline, True, title=True)
        img = (f'<div class="side-image"><a class="penci-image-holder small-fix-size" rel="bookmark" '
               f'data-bgset="{self.u(p.image_variant("263x175"))}" href="{url}" title="{title}"></a></div>') if thumb else ""
        return (f'<li class="penci-feed"><div class="side-item">{img}<div class="side-item-text">'
                f'<h4 class="side-title-post"><a href="{url}" rel="bookmark" title="{title}">{title}</a></h4>'
                f'<span class="side-item-meta side-wdate"><time class="entry-date published" datetime="{iso(p.published)}">'
                f'{human_date(p.published)}</time></span></div></div></li>')

    def footer(self) -> str:
        picks = "".join(self.side_item(p, True) for p in self.c.editors_picks)
        latest = "".join(self.side_item(p, False) for p in self.c.latest(5))
        return (
            '\t<div class="clear-footer"></div>\n'
            '\t<div id="widget-area">\n\t\t<div class="container">\n'
            '\t\t\t<div class="footer-widget-wrapper"><aside id="penci_about_widget-2" class="widget penci_about_widget">'
            f'<div class="about-widget pc_aligncenter"><div class="about-me-desc"><p>{texturize(ABOUT_TEXT, True)}</p></div></div></aside></div>\n'
            '\t\t\t<div class="footer-widget-wrapper"><aside id="penci_latest_news_widget-3" class="widget penci_latest_news_widget">'
            '<h3 class="widget-title penci-border-arrow"><span class="inner-arrow">Editors\' Picks</span></h3>'
            f'<ul class="side-newsfeed">{picks}</ul></aside></div>\n'
            '\t\t\t<div class="footer-widget-wrapper last"><aside id="penci_latest_news_widget-4" class="widget penci_latest_news_widget">'
            '<h3 class="widget-title penci-border-arrow"><span class="inner-arrow">Latest News</span></h3>'
            f'<ul class="side-newsfeed">{latest}</ul></aside></div>\n'
            '\t\t</div>\n\t</div>\n'
            '\t<footer id="footer-section" class="penci-footer-social-media" itemscope itemtype="https://schema.org/WPFooter">\n'
            '\t\t<div class="container"><div class="footer-logo-copyright"><div id="footer-copyright">'
            '<p>&copy;&nbsp;2023 BBN &#8211; Big Big News</p>'
            f'<p class="footer-links"><a href="{self.u("/feed/")}">RSS</a> | <a href="{self.u(DISALLOWED_PATH)}">Staff login</a></p>'
            '</div></div></div>\n\t</footer>\n'
        )

    def page(self, head: str, body_class: str, main: str) -> str:
        return (
            f'{head}\n<body class="{body_class}">\n'
            '<div class="wrapper-boxed header-style-header-6">\n'
            f'{self.header()}'
            '\t<div class="container container-single penci_sidebar">\n'
            '\t\t<div id="main" class="penci-main-single-page-default">\n'
            f'\t\t\t<div class="theiaStickySidebar">\n{main}\n\t\t\t</div>\n'
            '\t\t</div>\n\t</div>\n'
            f'{self.footer()}'
            '</div><!-- End .wrapper-boxed -->\n</body>\n</html>\n'
        )

    # ------------------------------------------------------------ article pieces
    def inline(self, p: tuple, entities: bool) -> str:
        out = []
        for seg in p:
            if isinstance(seg, A):
                out.append(f'<a href="{attr(self.u(seg.target))}">{texturize(seg.text, entities)}</a>')
            else:
                out.append(texturize(seg, entities))
        return "".join(out)

    def ad(self, post: Post, n: int) -> str:
        if post.theme == "soledad":
            return ('<div class="penci-google-adsense penci-google-adsense-inline"><p class="ad-label">Advertisement</p>'
                    f'<ins class="adsbygoogle" style="display:block; text-align:center;" data-ad-layout="in-article" '
                    f'data-ad-format="fluid" data-ad-client="ca-pub-0000000000000000" data-ad-slot="88712003{n:02d}"></ins>'
                    '<script>(adsbygoogle = window.adsbygoogle || []).push({});</script></div>')
        if post.theme == "newspaper":
            return (f'<div class="td-a-rec td-a-rec-id-content_inline tdi_{n}"><span class="td-adspot-title">- Advertisement -</span>'
                    '<ins class="adsbygoogle" data-ad-client="ca-pub-0000000000000000"></ins></div>')
        return ""

    def body_html(self, post: Post, ads: bool = True) -> str:
        paras = post.body[self.edition]
        out = []
        for k, p in enumerate(paras):
            out.append(f"<p>{self.inline(p, post.entities)}</p>")
            if ads and k in (2, 6) and k < len(paras) - 1:
                ad = self.ad(post, k)
                if ad:
                    out.append(ad)
        return "\n".join(out)

    def faq_heading(self, post: Post, level: int) -> str:
        cls = ' class="wp-block-heading"' if post.theme == "gutenberg" else ""
        text = texturize(f"Frequently Asked Questions (FAQs) about {post.topic.topic}", post.entities)
        return f"<h{level}{cls}>{text}</h{level}>"

    def faq_html(self, post: Post, shape: str | None = None) -> str:
        shape = shape or post.faq_shape
        if shape in ("none", "jsonld") or not post.faqs:
            return ""
        t = lambda s: texturize(s, post.entities)  # noqa: E731
        gb = post.theme == "gutenberg"
        out = [self.faq_heading(post, 3 if shape == "h4" else 2)]
        for n, f in enumerate(post.faqs):
            if shape in ("h3", "h4"):
                lvl = 4 if shape == "h4" else 3
                cls = ' class="wp-block-heading"' if gb else ""
                out.append(f"<h{lvl}{cls}>{t(f.question)}</h{lvl}>")
                out += [f"<p>{t(a)}</p>" for a in f.answers]
            elif shape == "bold":
                out.append(f"<p><strong>{t(f.question)}</strong></p>")
                out += [f"<p>{t(a)}</p>" for a in f.answers]
            elif shape == "qa":
                out.append(f"<p><strong>Q:</strong> {t(f.question)}</p>")
                out.append(f"<p><strong>A:</strong> {t(f.answers[0])}</p>")
                out += [f"<p>{t(a)}</p>" for a in f.answers[1:]]
            elif shape == "details":
                inner = "".join(f"<p>{t(a)}</p>" for a in f.answers)
                out.append(f'<details class="wp-block-details"><summary>{t(f.question)}</summary>{inner}</details>')
            elif shape == "yoast":
                if n == 0:
                    out.append('<div class="schema-faq wp-block-yoast-faq-block">')
                out.append(f'<div class="schema-faq-section" id="faq-question-{post.post_id}{n}">'
                           f'<strong class="schema-faq-question">{t(f.question)}</strong> '
                           f'<p class="schema-faq-answer">{t(f.answers[0])}</p> </div>')
                if n == len(post.faqs) - 1:
                    out.append("</div>")
        return "\n".join(out)

    def more_about_html(self, post: Post) -> str:
        if not post.more_about:
            return ""
        gb = post.theme == "gutenberg"
        h = ' class="wp-block-heading"' if gb else ""
        ul = ' class="wp-block-list"' if gb else ""
        items = "\n".join(f'<li><a href="{attr(self.u(a.target))}">{texturize(a.text, post.entities, title=True)}</a></li>'
                          for a in post.more_about)
        return f"<h2{h}>{texturize('More about ' + post.topic.topic, post.entities)}</h2>\n<ul{ul}>\n{items}\n</ul>"

    def content_html(self, post: Post, ads: bool = True) -> str:
        parts = [self.body_html(post, ads), self.faq_html(post), self.more_about_html(post)]
        return "\n".join(p for p in parts if p)

    def respond(self, post: Post) -> str:
        return (
            '<div id="respond" class="comment-respond">'
            '<h3 id="reply-title" class="comment-reply-title"><span>Leave a Comment</span></h3>'
            f'<form action="{self.u("/wp-comments-post.php")}" method="post" id="commentform" class="comment-form">'
            '<p class="comment-form-comment"><textarea id="comment" name="comment" cols="45" rows="8" placeholder="Your Comment"></textarea></p>'
            '<p class="comment-form-author"><input id="author" name="author" type="text" value="" placeholder="Name*" size="30" /></p>'
            '<p class="comment-form-email"><input id="email" name="email" type="text" value="" placeholder="Email*" size="30" /></p>'
            '<p class="comment-form-cookies-consent"><input id="wp-comment-cookies-consent" name="wp-comment-cookies-consent" type="checkbox" value="yes" />'
            '<span class="comment-form-cookies-text">Save my name, email, and website in this browser for the next time I comment.</span></p>'
            f'<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Submit" />'
            f"<input type='hidden' name='comment_post_ID' value='{post.post_id}' id='comment_post_ID' /></p>"
            '</form></div><!-- #respond -->'
        )

    def comment_list(self, post: Post) -> str:
        out = []
        for cm in post.comments:
            out.append(
                f'<li id="comment-{cm.comment_id}" class="comment even thread-even depth-1">'
                f'<article id="div-comment-{cm.comment_id}" class="comment-body"><footer class="comment-meta">'
                f'<div class="comment-author vcard"><b class="fn">{esc(cm.author)}</b> <span class="says">says:</span></div>'
                f'<div class="comment-metadata"><time datetime="{iso(cm.date)}">{human_date(cm.date)} at {human_time(cm.date)}</time></div>'
                f'</footer><div class="comment-content"><p>{esc(cm.text)}</p></div>'
                f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#respond">Reply</a></div></article></li>')
        return '<ol class="comment-list">' + "".join(out) + "</ol>"

    # ------------------------------------------------------------ themes
    def amp_link(self, post: Post) -> str:
        return f'<a class="amp-version-link" href="{self.u(post.amp_path)}">AMP version</a>' if post.amp else ""

    def soledad(self, post: Post) -> str:
        url = self.u(post.path)
        t = post.entities
        cc = post.comment_count
        cc_text = f"{cc} comment" if cc <= 1 else f"{cc} comments"
        cat = post.category
        authors = " and ".join(f'<a class="author-url url fn n" href="{self.u(a.path)}">{esc(a.name)}</a>' for a in post.authors)
        tags = "\n".join(f'<a href="{self.u(tg.path)}" rel="tag">{texturize(tg.name, t)}</a>' for tg in post.tags)
        amp_link = self.amp_link(post)
        related = ""
        if post.also_like:
            items = "".join(
                f'<div class="item-related"><a class="related-thumb penci-image-holder" data-bgset="{self.u(q.image_variant("585x390"))}" '
                f'href="{self.u(q.path)}" title="{texturize(q.headline, True, True)}"></a>'
                f'<h3><a href="{self.u(q.path)}">{texturize(q.headline, True, True)}</a></h3>'
                f'<span class="date"><time class="entry-date published" datetime="{iso(q.published)}">{human_date(q.published)}</time></span></div>'
                for q in post.also_like)
            related = ('<div class="post-related"><div class="post-title-box"><h4 class="post-box-title">You may also like</h4></div>'
                       f'<div class="penci-owl-carousel penci-related-carousel" data-item="3">{items}</div></div>')
        if cc:
            comments = (f'<div class="post-comments" id="comments"><div class="post-title-box"><h4 class="post-box-title">{cc_text}</h4></div>'
                        f'{self.comment_list(post)}{self.respond(post)}</div>')
        else:
            comments = f'<div class="post-comments no-comment-yet penci-comments-hide-0" id="comments">{self.respond(post)}</div>'
        author_box = "".join(
            f'<div class="post-author"><div class="author-content"><h5><a class="author-url" href="{self.u(a.path)}">{esc(a.name)}</a></h5>'
            f'<p>{esc(a.bio)}</p></div></div>' for a in post.authors)
        classes = f"post type-post status-publish format-standard has-post-thumbnail hentry category-{cat.slug} " + \
            " ".join(f"tag-{tg.slug}" for tg in post.tags)
        return f"""<article id="post-{post.post_id}" class="{classes}">
<div class="header-standard header-classic single-header">
<div class="penci-standard-cat"><span class="cat"><a class="penci-cat-name" href="{self.u(cat.path)}" rel="category tag"><span>{esc(cat.name)}</span></a></span></div>
<h1 class="post-title single-post-title entry-title">{texturize(post.headline, t, title=True)}</h1>
<div class="penci-hide-tagupdated"><span class="author-italic author vcard">by {authors}</span>
<time class="entry-date published" datetime="{iso(post.published)}">{human_date(post.published)}</time></div>
<div class="post-box-meta-single">
<span class="author-post byline"><span class="author vcard">by {authors}</span></span>
<span><time class="entry-date published" datetime="{iso(post.published)}">{human_date(post.published)}</time></span>
<span class="comment-count"><a class="comment-link" href="{url}#respond"><i class="penciicon-chat-bubble"></i>{cc_text}</a></span>
</div>
<div class="post-tags">
{tags}
</div>
</div>
<div class="post-image"><a href="{self.u(post.image_path)}"><img class="attachment-penci-full-thumb wp-post-image" width="1170" height="780" src="{self.u(post.image_variant('1170x780'))}" alt="{attr(post.topic.topic)}"></a></div>
<div class="post-entry blockquote-style-2">
<div class="inner-post-entry entry-content" id="penci-post-entry-inner">
<div class="penci-google-adsense-1"><!-- bbn-in-article-top --><ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-0000000000000000" data-ad-slot="5519023847"></ins></div>
{self.content_html(post)}
<div class="penci-single-link-pages"></div>
</div>
</div>
<div class="tags-share-box single-post-share tags-share-box-s1 hide-tags page-share">
<span class="single-comment-o"><i class="penciicon-comment"></i>{cc_text}</span>
<div class="post-share"><span class="post-share-item post-share-plike"><a href="#" class="penci-post-like" data-post_id="{post.post_id}" title="Like"><span class="dt-share">{(post.index * 13) % 40}</span></a></span>{amp_link}</div>
</div>
{author_box}
{related}
{comments}
</article>"""

    def newspaper(self, post: Post) -> str:
        t = post.entities
        cat = post.category
        authors = ", ".join(f'<a href="{self.u(a.path)}">{esc(a.name)}</a>' for a in post.authors)
        tags = "".join(f'<li><a href="{self.u(tg.path)}">{texturize(tg.name, t)}</a></li>' for tg in post.tags)
        related = ""
        if post.also_like:
            items = "".join(
                '<div class="td-related-span4"><div class="td_module_related_posts td-animation-stack td_mod_related_posts">'
                f'<div class="td-module-image"><div class="td-module-thumb"><a href="{self.u(q.path)}" rel="bookmark" class="td-image-wrap" title="{texturize(q.headline, True, True)}">'
                f'<img class="entry-thumb" src="{self.u(q.image_variant("218x150"))}" alt="" width="218" height="150"></a></div></div>'
                f'<div class="item-details"><h3 class="entry-title td-module-title"><a href="{self.u(q.path)}" rel="bookmark" title="{texturize(q.headline, True, True)}">{texturize(q.headline, True, True)}</a></h3></div>'
                '</div></div>' for q in post.also_like)
            related = ('<div class="td_block_wrap td_block_related_posts td_with_ajax_pagination td-pb-border-top td_block_template_1">'
                       '<h4 class="td-related-title td-block-title"><a class="td-related-left td-cur-simple-item" href="#">You may also like</a></h4>'
                       f'<div class="td_block_inner"><div class="td-related-row">{items}</div></div></div>')
        cc = post.comment_count
        comments = ""
        if cc:
            comments = (f'<div class="comments" id="comments"><div class="td-comments-title-wrap td_block_template_1">'
                        f'<h4 class="block-title"><span>{cc} COMMENT{"S" if cc > 1 else ""}</span></h4></div>{self.comment_list(post)}</div>')
        comments += f'<div class="comments" id="comments-form">{self.respond(post)}</div>'
        views = f"{(post.index * 137 + 911) % 5000 + 100:,}"
        return f"""<div class="td-main-content-wrap td-container-wrap"><div class="td-container td-post-template-default">
<article id="post-{post.post_id}" class="post-{post.post_id} post type-post status-publish format-standard has-post-thumbnail category-{cat.slug}" itemscope itemtype="https://schema.org/Article">
<div class="td-post-header">
<ul class="td-category"><li class="entry-category"><a href="{self.u(cat.path)}">{esc(cat.name)}</a></li></ul>
<header class="td-post-title">
<h1 class="entry-title">{texturize(post.headline, t, title=True)}</h1>
<div class="td-module-meta-info">
<div class="td-post-author-name"><div class="td-author-by">By</div> {authors}<div class="td-author-line"> - </div></div>
<span class="td-post-date"><time class="entry-date updated td-module-date" datetime="{iso(post.published)}">{human_date(post.published)}</time></span>
<div class="td-post-comments"><a href="{self.u(post.path)}#respond"><i class="td-icon-comments"></i>{cc}</a></div>
<div class="td-post-views"><i class="td-icon-views"></i><span class="td-nr-views-{post.post_id}">{views}</span></div>
</div>
</header>
</div>
<div class="td-post-featured-image"><a href="{self.u(post.image_path)}" class="td-modal-image"><img class="entry-thumb" src="{self.u(post.image_variant('696x464'))}" alt="" width="696" height="464"></a></div>
<div class="td-post-content tagdiv-type">
{self.content_html(post)}
</div>
<footer>
<div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix"><li><span>TAGS</span></li>{tags}</ul></div>
{self.amp_link(post)}
<div class="td-author-name vcard author" style="display:none"><span class="fn">{esc(post.authors[0].name)}</span></div>
</footer>
{related}
{comments}
</article>
</div></div>"""

    def gutenberg(self, post: Post) -> str:
        cat = post.category
        t = post.entities
        authors = " and ".join(f'<a href="{self.u(a.path)}" target="_self" class="wp-block-post-author-name__link">{esc(a.name)}</a>' for a in post.authors)
        tags = '<span class="wp-block-post-terms__separator">, </span>'.join(
            f'<a href="{self.u(tg.path)}" rel="tag">{texturize(tg.name, t)}</a>' for tg in post.tags)
        related = ""
        if post.also_like:
            items = "".join(f'<li><a class="wp-block-latest-posts__post-title" href="{self.u(q.path)}">{texturize(q.headline, t, True)}</a></li>'
                            for q in post.also_like)
            related = ('<div class="wp-block-group related-posts is-layout-constrained"><h2 class="wp-block-heading">You may also like</h2>'
                       f'<ul class="wp-block-latest-posts__list wp-block-latest-posts">{items}</ul></div>')
        cc = post.comment_count
        quoted = f"“{post.headline}”"
        ctitle = (f"One response to {quoted}" if cc == 1 else f"{cc} responses to {quoted}")
        return f"""<main class="wp-block-group is-layout-flow" id="wp--skip-link--target">
<div class="wp-block-group is-layout-constrained">
<div class="taxonomy-category wp-block-post-terms"><a href="{self.u(cat.path)}" rel="tag">{esc(cat.name)}</a></div>
<h1 class="wp-block-post-title">{texturize(post.headline, t, title=True)}</h1>
<div class="wp-block-group post-meta is-layout-flex">
<div class="wp-block-post-author-name">{authors}</div>
<div class="wp-block-post-date"><time datetime="{iso(post.published)}"><a href="{self.u(post.path)}">{human_date(post.published)}</a></time></div>
</div>
</div>
<figure class="wp-block-post-featured-image"><img width="1200" height="800" src="{self.u(post.image_path)}" class="attachment-post-thumbnail size-post-thumbnail wp-post-image" alt=""></figure>
<div class="entry-content wp-block-post-content is-layout-constrained">
{self.content_html(post, ads=False)}
</div>
<div class="wp-block-group is-layout-constrained">
<div class="taxonomy-post_tag wp-block-post-terms">{tags}</div>
{self.amp_link(post)}
</div>
{related}
<div class="wp-block-comments">
<h2 class="wp-block-comments-title">{texturize(ctitle, t)}</h2>
{self.comment_list(post)}
{self.respond(post)}
</div>
</main>"""

    # ------------------------------------------------------------ article page
    def article_graph(self, post: Post) -> dict:
        url = self.u(post.path)
        base = self.base
        modified = post.modified[self.edition]
        headline_ld = texturize(post.headline, True, title=True) if post.entities else post.headline
        people = [{"name": a.name, "@id": f"{base}#/schema/person/{a.schema_hash}"} for a in post.authors]
        article = {
            "@type": "NewsArticle", "@id": url + "#article", "isPartOf": {"@id": url},
            "author": people[0] if len(people) == 1 else people,
            "headline": headline_ld, "datePublished": iso(post.published), "dateModified": iso(modified),
            "mainEntityOfPage": {"@id": url}, "wordCount": post.word_count(self.edition),
            "commentCount": post.comment_count, "publisher": {"@id": base + "#organization"},
            "image": {"@id": url + "#primaryimage"}, "thumbnailUrl": self.u(post.image_path),
            "keywords": [tg.name for tg in post.tags], "articleSection": [post.category.name],
            "inLanguage": LANGUAGE,
            "potentialAction": [{"@type": "CommentAction", "name": "Comment", "target": [url + "#respond"]}],
        }
        webpage = {
            "@type": "WebPage", "@id": url, "url": url, "name": f"{post.headline} - {SITE_NAME}",
            "isPartOf": {"@id": base + "#website"}, "primaryImageOfPage": {"@id": url + "#primaryimage"},
            "image": {"@id": url + "#primaryimage"}, "thumbnailUrl": self.u(post.image_path),
            "datePublished": iso(post.published), "dateModified": iso(modified), "description": post.summary,
            "breadcrumb": {"@id": url + "#breadcrumb"}, "inLanguage": LANGUAGE,
            "potentialAction": [{"@type": "ReadAction", "target": [url]}],
        }
        graph = [article, webpage]
        if post.faq_shape == "yoast":
            webpage["@type"] = ["WebPage", "FAQPage"]
            webpage["mainEntity"] = [{"@id": f"{url}#faq-question-{post.post_id}{n}"} for n in range(len(post.faqs))]
        graph += [
            {"@type": "ImageObject", "inLanguage": LANGUAGE, "@id": url + "#primaryimage", "url": self.u(post.image_path),
             "contentUrl": self.u(post.image_path), "width": 1200, "height": 800, "caption": post.topic.topic},
            {"@type": "BreadcrumbList", "@id": url + "#breadcrumb", "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": base},
                {"@type": "ListItem", "position": 2, "name": headline_ld}]},
            {"@type": "WebSite", "@id": base + "#website", "url": base, "name": SITE_NAME, "description": "",
             "publisher": {"@id": base + "#organization"}, "inLanguage": LANGUAGE,
             "potentialAction": [{"@type": "SearchAction", "target": {"@type": "EntryPoint", "urlTemplate": base + "?s={search_term_string}"},
                                  "query-input": "required name=search_term_string"}]},
            {"@type": "Organization", "@id": base + "#organization", "name": SITE_NAME, "url": base,
             "logo": {"@type": "ImageObject", "inLanguage": LANGUAGE, "@id": base + "#/schema/logo/image/",
                      "url": self.u("/wp-content/uploads/2023/01/bbn-logo.png"), "width": 260, "height": 60, "caption": SITE_NAME}},
        ]
        for a, ref in zip(post.authors, people):
            graph.append({"@type": "Person", "@id": ref["@id"], "name": a.name, "url": self.u(a.path)})
        if post.faq_shape == "yoast":
            for n, f in enumerate(post.faqs):
                graph.append({"@type": "Question", "@id": f"{url}#faq-question-{post.post_id}{n}", "position": n + 1,
                              "url": f"{url}#faq-question-{post.post_id}{n}", "name": f.question, "answerCount": 1,
                              "acceptedAnswer": {"@type": "Answer", "text": f.answer, "inLanguage": LANGUAGE},
                              "inLanguage": LANGUAGE})
        return {"@context": "https://schema.org", "@graph": graph}

    def faqpage_ld(self, post: Post) -> str:
        """A standalone FAQPage block, as FAQ plugins other than Yoast emit it."""
        if post.faq_shape != "jsonld":
            return ""
        data = {"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": [
            {"@type": "Question", "name": f.question, "acceptedAnswer": {"@type": "Answer", "text": f.answer}}
            for f in post.faqs]}
        return "\t" + jsonld(data, css_class=None) + "\n"

    def article_page(self, post: Post) -> str:
        url = self.u(post.path)
        modified = post.modified[self.edition]
        title = plain_title(f"{post.headline} - {SITE_NAME}")
        minutes = max(1, round(post.word_count(self.edition) / 200))
        meta = [
            '<meta property="og:locale" content="en_US" />',
            '<meta property="og:type" content="article" />',
            f'<meta property="og:title" content="{title}" />',
            f'<meta name="description" content="{attr(post.summary)}" />',
            f'<meta property="og:description" content="{attr(post.summary)}" />',
            f'<meta property="og:url" content="{url}" />',
            f'<meta property="og:site_name" content="{SITE_NAME}" />',
            f'<meta property="article:published_time" content="{iso(post.published)}" />',
        ]
        if modified != post.published:
            meta.append(f'<meta property="article:modified_time" content="{iso(modified)}" />')
        meta += [f'<meta property="article:section" content="{attr(post.category.name)}" />']
        meta += [f'<meta property="article:tag" content="{attr(tg.name)}" />' for tg in post.tags]
        meta += [
            f'<meta property="og:image" content="{self.u(post.image_path)}" />',
            '<meta property="og:image:width" content="1200" />',
            '<meta property="og:image:height" content="800" />',
            '<meta property="og:image:type" content="image/jpeg" />',
            f'<meta name="author" content="{attr(post.byline)}" />',
            '<meta name="twitter:card" content="summary_large_image" />',
            '<meta name="twitter:label1" content="Written by" />',
            f'<meta name="twitter:data1" content="{attr(post.byline)}" />',
            '<meta name="twitter:label2" content="Est. reading time" />',
            f'<meta name="twitter:data2" content="{minutes} minute{"s" if minutes != 1 else ""}" />',
        ]
        extra = "".join(f"\t{m}\n" for m in meta) + "\t" + jsonld(self.article_graph(post)) + "\n"
        extra += self.faqpage_ld(post)
        extra += f"\t<link rel='shortlink' href='{self.base}?p={post.post_id}' />\n"
        if post.amp:
            extra += f'\t<link rel="amphtml" href="{self.u(post.amp_path)}" />\n'
        head = self.head(title, url, extra, charset="windows-1252" if post.charset != "utf-8" else "UTF-8")
        body_class = (f"post-template-default single single-post postid-{post.post_id} single-format-standard "
                      + {"soledad": "soledad-ver-8-4-1", "newspaper": "td-standard-pack global-block-template-1",
                         "gutenberg": "wp-embed-responsive is-block-theme"}[post.theme])
        main = getattr(self, post.theme)(post)
        return self.page(head, body_class, main)

    def amp_page(self, post: Post) -> str:
        url = self.u(post.path)
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "mainEntityOfPage": url,
              "headline": post.headline, "datePublished": iso(post.published),
              "dateModified": iso(post.modified[self.edition]),
              "author": [{"@type": "Person", "name": a.name} for a in post.authors],
              "publisher": {"@type": "Organization", "name": SITE_NAME}, "image": self.u(post.image_path)}
        cats = f'<a href="{self.u(post.category.path)}" rel="category tag">{esc(post.category.name)}</a>'
        tags = ", ".join(f'<a href="{self.u(tg.path)}" rel="tag">{esc(tg.name)}</a>' for tg in post.tags)
        content = "\n".join(x for x in (self.body_html(post, ads=False), self.faq_html(post), self.more_about_html(post)) if x)
        return f"""<!doctype html>
<html amp lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<title>{plain_title(post.headline)} &#8211; {SITE_NAME}</title>
<link rel="canonical" href="{url}">
<style amp-boilerplate>body{{-webkit-animation:none;animation:none}}</style>
<style amp-custom>body{{font-family:Georgia,serif;max-width:700px;margin:0 auto;padding:0 16px}}</style>
{jsonld(ld, css_class=None)}
</head>
<body class="">
<header id="top" class="amp-wp-header"><div><a href="{self.base}">{SITE_NAME}</a></div></header>
<article class="amp-wp-article">
<header class="amp-wp-article-header">
<h1 class="amp-wp-title">{texturize(post.headline, True, True)}</h1>
<div class="amp-wp-meta amp-wp-byline"><span class="amp-wp-author author vcard">{esc(post.byline)}</span></div>
<div class="amp-wp-meta amp-wp-posted-on"><time datetime="{iso(post.published)}">{human_date(post.published)}</time></div>
</header>
<figure class="amp-wp-article-featured-image wp-caption"><amp-img width="1200" height="800" src="{self.u(post.image_path)}" layout="intrinsic"></amp-img></figure>
<div class="amp-wp-article-content">
{content}
</div>
<footer class="amp-wp-article-footer">
<div class="amp-wp-meta amp-wp-tax-category">Categories: {cats}</div>
<div class="amp-wp-meta amp-wp-tax-tag">Tags: {tags}</div>
<div class="amp-wp-meta amp-wp-comments-link"><a href="{url}#respond">Leave a Comment</a></div>
</footer>
</article>
<footer class="amp-wp-footer"><div><h2>{SITE_NAME}</h2><a href="#top" class="back-to-top">Back to top</a></div></footer>
</body>
</html>
"""

    # ------------------------------------------------------------ listings
    def pagination(self, kind: str, slug: str, page: int, pages: int) -> str:
        if pages <= 1:
            return ""
        link = lambda n: self.u(self.c.listing_path(kind, slug, n))  # noqa: E731
        items = []
        if page > 1:
            items.append(f'<li><a class="prev page-numbers" href="{link(page - 1)}">&laquo; Previous</a></li>')
        for n in range(1, pages + 1):
            items.append(f'<li><span aria-current="page" class="page-numbers current">{n}</span></li>' if n == page
                         else f'<li><a class="page-numbers" href="{link(n)}">{n}</a></li>')
        if page < pages:
            items.append(f'<li><a class="next page-numbers" href="{link(page + 1)}">Next &raquo;</a></li>')
        return '<div class="penci-pagination"><ul class="page-numbers">' + "".join(items) + "</ul></div>"

    def grid_item(self, p: Post, tracking: str = "") -> str:
        url = self.u(p.path) + (f"?{tracking}" if tracking else "")
        href = attr(url)
        title = texturize(p.headline, True, True)
        authors = " and ".join(f'<a class="author-url url fn n" href="{self.u(a.path)}">{esc(a.name)}</a>' for a in p.authors)
        return (f'<li class="grid-style"><article id="post-{p.post_id}" class="item hentry">'
                f'<div class="thumbnail"><a class="penci-image-holder" data-bgset="{self.u(p.image_variant("585x390"))}" href="{href}" title="{title}"></a></div>'
                f'<div class="grid-header-box"><span class="cat"><a class="penci-cat-name" href="{self.u(p.category.path)}" rel="category tag">{esc(p.category.name)}</a></span>'
                f'<h2 class="penci-entry-title entry-title grid-title"><a href="{href}">{title}</a></h2>'
                f'<div class="grid-post-box-meta"><span class="otherl-date-author author-italic author vcard">by {authors}</span>'
                f'<span class="otherl-date"><time class="entry-date published" datetime="{iso(p.published)}">{human_date(p.published)}</time></span></div></div>'
                f'<div class="item-content entry-content"><p>{texturize(p.excerpt(), True)}</p></div>'
                f'<div class="penci-readmore-btn"><a class="penci-btn-readmore" href="{href}">Continue Reading</a></div>'
                '</article></li>')

    def listing_page(self, kind: str, slug: str, page: int) -> str | None:
        posts = self.c.posts_in(kind, slug)
        if posts is None:
            return None
        pages = max(1, -(-len(posts) // PER_PAGE))
        if not 1 <= page <= pages:
            return None
        chunk = posts[(page - 1) * PER_PAGE: page * PER_PAGE]
        name = self.c.term_name(kind, slug)
        url = self.u(self.c.listing_path(kind, slug, page))
        suffix = f" - Page {page} of {pages}" if page > 1 else ""
        if kind == "home":
            title = f"{SITE_NAME}{suffix} - Latest news from around the world"
            heading = ""
            body_class = "home blog" + (" paged" if page > 1 else "")
        elif kind == "author":
            title = f"{name}, Author at {SITE_NAME}{suffix}"
            heading = f'<div class="archive-box"><div class="title-bar"><span>Author: </span><h1 class="page-title">{esc(name)}</h1></div></div>'
            body_class = f"archive author author-{slug}"
        else:
            title = f"{name} Archives{suffix} - {SITE_NAME}"
            label = "Category" if kind == "category" else "Tag"
            heading = (f'<div class="archive-box"><div class="title-bar"><span>{label}: </span>'
                       f'<h1 class="page-title">{texturize(name, True)}</h1></div></div>')
            body_class = f"archive {kind} {kind}-{slug}"
        extra = ['<meta property="og:locale" content="en_US" />', '<meta property="og:type" content="website" />',
                 f'<meta property="og:title" content="{plain_title(title)}" />', f'<meta property="og:url" content="{url}" />',
                 f'<meta property="og:site_name" content="{SITE_NAME}" />']
        if page > 1:
            extra.append(f'<link rel="prev" href="{self.u(self.c.listing_path(kind, slug, page - 1))}" />')
        if page < pages:
            extra.append(f'<link rel="next" href="{self.u(self.c.listing_path(kind, slug, page + 1))}" />')
        ld_type = {"home": "CollectionPage", "author": "ProfilePage"}.get(kind, "CollectionPage")
        ld = {"@context": "https://schema.org", "@graph": [
            {"@type": ld_type, "@id": url, "url": url, "name": title, "isPartOf": {"@id": self.base + "#website"},
             "inLanguage": LANGUAGE},
            {"@type": "WebSite", "@id": self.base + "#website", "url": self.base, "name": SITE_NAME, "inLanguage": LANGUAGE}]}
        head = self.head(plain_title(title), url, "".join(f"\t{m}\n" for m in extra) + "\t" + jsonld(ld) + "\n")
        blocks = []
        if kind == "home" and page == 1:
            featured = "".join(
                f'<div class="item"><a class="penci-image-holder" data-bgset="{self.u(p.image_path)}" '
                f'href="{attr(self.u(p.path) + "?" + HOME_TRACKING)}"></a><div class="penci-featured-content"><h3>'
                f'<a href="{attr(self.u(p.path) + "?" + HOME_TRACKING)}">{texturize(p.headline, True, True)}</a></h3></div></div>'
                for p in self.c.newest_first[:FEATURED_COUNT])
            blocks.append(f'<div class="featured-area"><div class="penci-featured-slider">{featured}</div></div>')
            amp_post = next(p for p in self.c.newest_first if p.amp)
            blocks.append(f'<div class="penci-lite-edition"><a href="{self.u(amp_post.amp_path)}">Read &#8220;'
                          f'{texturize(amp_post.headline, True, True)}&#8221; in our lite edition</a></div>')
        blocks.append(heading)
        blocks.append('<ul class="penci-wrapper-data penci-grid">' + "".join(self.grid_item(p) for p in chunk) + "</ul>")
        blocks.append(self.pagination(kind, slug, page, pages))
        if kind in ("home", "category"):
            blocks.append(f'<div class="penci-archive-note"><a href="{self.u(BROKEN_ARCHIVE_PATH)}">Browse the 2019 archive</a></div>')
        return self.page(head, body_class, "\n".join(b for b in blocks if b))

    # ------------------------------------------------------------ other pages
    def simple_page(self, title: str, heading: str, text_html: str, robots: str = "noindex, follow") -> str:
        head = self.head(f"{esc(title)} - {SITE_NAME}", None, robots=robots)
        main = (f'<div class="archive-box"><div class="title-bar"><h1 class="page-title">{esc(heading)}</h1></div></div>'
                f'<div class="post-entry">{text_html}</div>')
        return self.page(head, "page", main)

    def not_found_page(self) -> str:
        return self.simple_page("Page not found", "Page not found",
                                "<p>It looks like nothing was found at this location. Maybe try a search?</p>")

    def private_page(self) -> str:
        return self.simple_page(
            "Staff Area", "Staff Area",
            "<p>This area is reserved for BBN staff.</p>"
            f'<ul><li><a href="{self.u(DISALLOWED_PATH + "drafts/")}">Drafts</a></li>'
            f'<li><a href="{self.u(DISALLOWED_PATH + "schedule/")}">Publishing schedule</a></li></ul>',
            robots="noindex, nofollow")

    def unavailable_page(self) -> str:
        return ("<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>"
                "<body><h1>Service Temporarily Unavailable</h1><p>The server is temporarily unable to service "
                "your request. Please try again later.</p></body></html>\n")

    # ------------------------------------------------------------ feeds, sitemaps, robots
    def robots(self) -> str:
        return ("User-agent: *\n"
                f"Disallow: {DISALLOWED_PATH}\n"
                "Disallow: /wp-admin/\n"
                "Allow: /wp-admin/admin-ajax.php\n"
                "\n"
                f"Sitemap: {self.u('/sitemap_index.xml')}\n")

    def sitemap_index(self) -> str:
        posts_lastmod = max(p.modified[self.edition] for p in self.c.posts)
        cats_lastmod = max(p.published for p in self.c.posts)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f'\t<sitemap>\n\t\t<loc>{self.u("/post-sitemap.xml")}</loc>\n\t\t<lastmod>{iso(posts_lastmod)}</lastmod>\n\t</sitemap>\n'
                f'\t<sitemap>\n\t\t<loc>{self.u("/category-sitemap.xml")}</loc>\n\t\t<lastmod>{iso(cats_lastmod)}</lastmod>\n\t</sitemap>\n'
                '</sitemapindex>\n<!-- XML Sitemap generated by Yoast SEO -->\n')

    def post_sitemap(self) -> str:
        rows = []
        for p in sorted(self.c.posts, key=lambda p: p.modified[self.edition]):
            rows.append(f'\t<url>\n\t\t<loc>{esc(self.u(p.path))}</loc>\n\t\t<lastmod>{iso(p.modified[self.edition])}</lastmod>\n'
                        f'\t\t<image:image>\n\t\t\t<image:loc>{esc(self.u(p.image_path))}</image:loc>\n\t\t</image:image>\n\t</url>\n')
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
                'xsi:schemaLocation="http://www.sitemaps.org/schemas/sitemap/0.9 http://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd '
                'http://www.google.com/schemas/sitemap-image/1.1 http://www.google.com/schemas/sitemap-image/1.1/sitemap-image.xsd" '
                'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "".join(rows) + '</urlset>\n<!-- XML Sitemap generated by Yoast SEO -->\n')

    def category_sitemap(self) -> str:
        rows = []
        for cat in self.c.categories:
            newest = self.c.posts_in("category", cat.slug)[0]
            rows.append(f'\t<url>\n\t\t<loc>{esc(self.u(cat.path))}</loc>\n\t\t<lastmod>{iso(newest.published)}</lastmod>\n\t</url>\n')
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "".join(rows) + '</urlset>\n<!-- XML Sitemap generated by Yoast SEO -->\n')

    def feed(self) -> str:
        posts = self.c.newest_first[:FEED_COUNT]
        items = []
        for p in posts:
            link = esc(self.u(p.path) + "?" + FEED_TRACKING.format(slug=p.slug))
            cats = "".join(f"\t\t<category><![CDATA[{x}]]></category>\n" for x in [p.category.name] + [t.name for t in p.tags])
            items.append(
                "\t<item>\n"
                f"\t\t<title>{texturize(p.headline, True, title=True)}</title>\n"
                f"\t\t<link>{link}</link>\n"
                f"\t\t<comments>{esc(self.u(p.path))}#respond</comments>\n"
                f"\t\t<dc:creator><![CDATA[{p.byline}]]></dc:creator>\n"
                f"\t\t<pubDate>{format_datetime(p.published, usegmt=False)}</pubDate>\n"
                f"{cats}"
                f'\t\t<guid isPermaLink="false">{esc(self.base)}?p={p.post_id}</guid>\n'
                f"\t\t<description><![CDATA[{p.excerpt(55)}]]></description>\n"
                f"\t\t<slash:comments>{p.comment_count}</slash:comments>\n"
                "\t</item>\n")
        build = max(p.published for p in self.c.posts)
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
                '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
                '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
                '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
                '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
                '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
                '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n'
                '<channel>\n'
                f"\t<title>{SITE_NAME}</title>\n"
                f'\t<atom:link href="{self.u("/feed/")}" rel="self" type="application/rss+xml" />\n'
                f"\t<link>{self.base}</link>\n"
                "\t<description>Latest news from around the world</description>\n"
                f"\t<lastBuildDate>{format_datetime(build, usegmt=False)}</lastBuildDate>\n"
                "\t<language>en-US</language>\n"
                "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n"
                "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
                f"\t<generator>https://wordpress.org/?v=6.3.1</generator>\n"
                + "".join(items) + "</channel>\n</rss>\n")


__all__ = ["Renderer", "texturize"]
