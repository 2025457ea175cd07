"""A deterministic BBN-style WordPress news site for the demo and the end-to-end tests.

Served by the standard library only (``http.server.ThreadingHTTPServer``) on 127.0.0.1:

    from bbn_scraper.sample_site import SampleSite
    with SampleSite(port=0, edition=1) as site:
        site.base_url          # "http://127.0.0.1:PORT/"
        site.manifest()        # what the site contains, URLs absolute to this server
        site.edition = 2       # switch edition at runtime
        site.requests          # Counter of paths served (without query string)

``python -m bbn_scraper.sample_site --port 8000 --edition 2`` serves it in the foreground.
"""
from .content import CONTENT, DISALLOWED_PATH, FAQ_ONLY_WORD
from .manifest import DEFAULT_BASE_URL, build_manifest, manifest
from .render import Renderer
from .routes import resolve
from .server import SampleSite

__all__ = [
    "CONTENT", "DEFAULT_BASE_URL", "DISALLOWED_PATH", "FAQ_ONLY_WORD", "Renderer", "SampleSite",
    "build_manifest", "manifest", "resolve",
]
