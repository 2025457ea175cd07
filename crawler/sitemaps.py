"""Sitemaps as Scrapy's Sitemap reads them (lxml: no entity expansion, no network), and whether
libxml2 read each one to its end: it gives up, and recovers nothing after, on an entity past its
amplification limit (billion laughs), which would otherwise lose the rest of the entries unsaid."""
from __future__ import annotations

from scrapy.utils.sitemap import Sitemap


class CheckedSitemap(Sitemap):
    """Scrapy's Sitemap; once iterated, `stopped` is None if the document was read to its
    end, else why the parser stopped before it."""

    __slots__ = ("_events", "_ended")

    def __init__(self, xmltext: bytes):
        super().__init__(xmltext)
        self._events, self._ended = self.xmliter, False
        self.xmliter = self._watched()

    def _watched(self):
        for event, elem in self._events:
            if event == "end" and elem.getparent() is None:
                self._ended = True
            yield event, elem

    @property
    def stopped(self) -> str | None:
        if self._ended:
            return None
        errors = self._events.error_log
        return errors[-1].message if errors else "the XML parser stopped"
