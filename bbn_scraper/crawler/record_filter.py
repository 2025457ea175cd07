"""Which records of a Common Crawl WARC file a backfill keeps: told first by the record's
WARC-Target-URI alone (hosts, registrable domains, the hosts of a sites.toml, a URL pattern),
so a record of another site is skipped without its payload being decoded; then, for a kept
record only, by its language when one is asked for (the WARC-Identified-Content-Language
header when the record has it, else the `lang` attribute of the page's <html> element)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bbn_scraper.crawler.scope import BUNDLED_SUFFIXES
from bbn_scraper.crawler.sites import SiteMap

LANG_BYTES = 64 * 1024  # of a page's start searched for <html lang>
HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*", re.IGNORECASE)


class FilterError(ValueError):
    """A filter that cannot be used (one line: what, and why)."""


def registrable_domain(host: str) -> str | None:
    """The registrable domain of `host` (bbc.co.uk for news.bbc.co.uk), by the public suffix
    list bundled with tldextract; None for a public suffix or an address."""
    return BUNDLED_SUFFIXES(host).top_domain_under_public_suffix or None


@dataclass(frozen=True)
class RecordFilter:
    hosts: frozenset[str] = frozenset()  # exact host names, lower case
    domains: frozenset[str] = frozenset()  # registrable domains: any host under them
    sites: SiteMap | None = None  # a sites.toml: its hosts and their subdomains
    url_pattern: re.Pattern | None = None  # searched in the URL
    languages: frozenset[str] = field(default_factory=frozenset)  # primary language subtags, lower case

    @classmethod
    def build(cls, hosts=(), domains=(), sites: SiteMap | None = None, url_pattern: str | None = None,
              languages=()) -> RecordFilter:
        """A filter from the command's options; FilterError when one is unusable or none is given."""
        clean_hosts = frozenset(h.strip().lower().rstrip(".") for h in hosts)
        for host in clean_hosts:
            if not host or "/" in host or ":" in host:
                raise FilterError(f"--host {host!r}: give a host name, such as www.example.com")
        clean_domains = set()
        for domain in domains:
            domain = domain.strip().lower().rstrip(".")
            if registrable_domain(domain) != domain:
                raise FilterError(f"--domain {domain!r} is not a registrable domain"
                                  f" (that of this name is {registrable_domain(domain)!r})")
            clean_domains.add(domain)
        pattern = None
        if url_pattern is not None:
            try:
                pattern = re.compile(url_pattern)
            except re.error as exc:
                raise FilterError(f"--url-pattern {url_pattern!r} is not a regular expression: {exc}") from None
        if not (clean_hosts or clean_domains or sites or pattern):
            raise FilterError("say what to keep: --host, --domain, --sites or --url-pattern")
        langs = frozenset(lang.strip().lower().replace("_", "-").split("-")[0] for lang in languages)
        return cls(clean_hosts, frozenset(clean_domains), sites, pattern, langs)

    def wants_url(self, url: str) -> bool:
        """Whether a record of `url` is kept, from its URL alone."""
        if self.hosts or self.domains or self.sites:
            try:
                host = (urlsplit(url).hostname or "").rstrip(".")
            except ValueError:
                return False
            if not (host in self.hosts or self._in_domains(host) or self.sites and self.sites.site(url)):
                return False
        return self.url_pattern is None or self.url_pattern.search(url) is not None

    def _in_domains(self, host: str) -> bool:
        if not self.domains:
            return False
        parts = host.split(".")
        return any(".".join(parts[i:]) in self.domains for i in range(len(parts) - 1))

    def wants_language_header(self, header: str | None) -> bool | None:
        """From WARC-Identified-Content-Language (codes separated by commas): whether the
        record is in a wanted language; None when it cannot tell (no header, or no language asked)."""
        if not self.languages or not header:
            return None
        codes = {code.strip().lower().split("-")[0] for code in header.split(",")}
        return bool(codes & self.languages)

    def wants_page(self, body: bytes) -> bool:
        """From the page's <html lang>: a page whose language is not said is not kept."""
        if not self.languages:
            return True
        found = HTML_LANG.search(body[:LANG_BYTES])
        return found is not None and found.group(1).decode("ascii").lower() in self.languages
