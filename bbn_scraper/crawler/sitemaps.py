"""Sitemaps as Scrapy's Sitemap reads them (lxml: no entity expansion, no network), and whether
libxml2 read each one to its end: it gives up, and recovers nothing after, on an entity past its
amplification limit (billion laughs), which would otherwise lose the rest of the entries unsaid.

When libxml2 halts on such an error, or the document ends with elements open (a download cut
short), the lxml lines this project has met differ in what follows: lxml before 6.2 emits no
more events, so the entry being read is never seen and the root element never ends; lxml 6.2
(libxml2 2.14) closes the open elements, so the cut entry arrives whole-looking (a `loc` cut
where the document stopped) and the root ends. The stop is read from libxml2's error log and the
cut entry held back under both, so a sitemap is recorded alike whichever lxml reads it."""
from __future__ import annotations

import re

from scrapy.utils.sitemap import Sitemap

# libxml2 errors after which it reads no further (xmlHaltParser), whatever recover= says.
HALTING_ERRORS = frozenset({"ERR_RESOURCE_LIMIT", "ERR_ENTITY_LOOP", "ERR_NO_MEMORY", "ERR_INTERNAL_ERROR",
                            "ERR_USER_STOP", "ERR_ENTITY_AMPLIFICATION"})
# The document ended inside an element ("Premature end of data in tag loc line 1"): the innermost one.
CUT_SHORT = "ERR_TAG_NOT_FINISHED"
OPEN_TAG = re.compile(r"in tag (\S+)")


class CheckedSitemap(Sitemap):
    """Scrapy's Sitemap; once iterated, `stopped` is None if the document was read to its
    end, else why the parser stopped before it. An entry the parser stopped inside is not
    yielded."""

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

    def __iter__(self):
        held = None
        for entry in super().__iter__():
            if held is not None:
                yield held
            held = entry
        if held is not None and not (self._ended and self._stopped_inside_an_entry()):
            yield held

    def _stop(self):
        """The error after which libxml2 read no further, if any."""
        return next((e for e in self._events.error_log if e.type_name in HALTING_ERRORS or e.type_name == CUT_SHORT),
                    None)

    def _stopped_inside_an_entry(self) -> bool:
        """Whether the parser stopped with an entry open (a halt is taken to be inside one:
        entities stand in text). Asked only once the root has ended, that is, when lxml
        closed the open elements itself and yielded that entry."""
        if not (stop := self._stop()):
            return False
        open_tag = OPEN_TAG.search(stop.message) if stop.type_name == CUT_SHORT else None
        return not open_tag or open_tag.group(1).split(":")[-1] != self.type

    @property
    def stopped(self) -> str | None:
        if stop := self._stop():
            return stop.message
        if self._ended:
            return None
        errors = self._events.error_log
        return errors[-1].message if errors else "the XML parser stopped"
