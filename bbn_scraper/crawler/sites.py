"""Many sites in one crawl: `sites.toml` read and checked (`load`), turned into Scrapy settings
(`overrides`: one download slot per host with the site's delay and concurrency), and the
per-site pieces of a crawl: which site a URL belongs to (`SiteMap`), the User-Agent with the
operator's contact (`ContactUserAgentMiddleware`). A bad file is a `SitesError`, one line."""
from __future__ import annotations

import ipaddress
import logging
import tomllib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware

from bbn_scraper.crawler.revisit import bad_policy

logger = logging.getLogger(__name__)
TOP_KEYS = {"contact", "site"}
SITE_KEYS = {"name", "start_urls", "allowed_hosts", "delay", "concurrency", "max_pages", "contact", "revisit"}
NO_CONTACT = ("no operator contact in the User-Agent for {hosts}: give one with --contact or `contact` in"
              " sites.toml (an e-mail or a URL site owners can reach you at)")


class SitesError(ValueError):
    """A sites file that cannot be used; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class Site:
    name: str
    start_urls: list[str]
    hosts: list[str]  # host or host:port, lower case; subdomains of a host name are in too
    delay: float | None = None
    concurrency: int | None = None
    max_pages: int = 0  # 0: SITE_MAX_PAGES applies
    contact: str | None = None
    revisit: str | None = None  # the site's revisit policy (bbn_scraper.crawler.revisit); None: REVISIT_POLICY


@dataclass
class Sites:
    sites: list[Site]
    contact: str | None = None
    start_urls: list[str] = field(init=False)

    def __post_init__(self):
        self.start_urls = [url for site in self.sites for url in site.start_urls]


def load(path: str) -> Sites:
    """The sites of a TOML file: `contact = "..."` and one `[[site]]` table per site."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise SitesError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SitesError(f"{path}: not valid TOML: {exc}") from None
    _no_unknown(path, data, TOP_KEYS, "")
    contact = _text(path, data, "contact", "")
    tables = data.get("site")
    if not isinstance(tables, list) or not tables:
        raise SitesError(f"{path}: no [[site]] tables: list each site as a [[site]] table")
    sites, names = [], set()
    for number, table in enumerate(tables, 1):
        where = f"site {number}"
        if not isinstance(table, dict):
            raise SitesError(f"{path}: {where}: not a table")
        site = _site(path, table, where)
        if site.name in names:
            raise SitesError(f"{path}: {where}: name {site.name!r} used twice")
        names.add(site.name)
        for other in sites:
            shared = sorted(set(site.hosts) & set(other.hosts))
            if shared:
                raise SitesError(f"{path}: {where}: host {shared[0]} is also in site {other.name!r}")
        sites.append(site)
    return Sites(sites, contact)


def _site(path: str, table: dict, where: str) -> Site:
    _no_unknown(path, table, SITE_KEYS, where + ": ")
    urls = table.get("start_urls")
    if isinstance(urls, str):
        urls = [urls]
    if not urls or not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise SitesError(f"{path}: {where}: start_urls must be a list of http or https URLs")
    for url in urls:
        if _host_port(url) is None:
            raise SitesError(f"{path}: {where}: start_urls: {url!r} is not an http or https URL")
    hosts = table.get("allowed_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
        raise SitesError(f"{path}: {where}: allowed_hosts must be a list of host names (host or host:port)")
    for host in hosts:
        if _host_port(f"http://{host.strip()}/") is None or "/" in host.strip():
            raise SitesError(f"{path}: {where}: allowed_hosts: {host!r} is not a host name or host:port")
    start_hosts = [_host_port(url) for url in urls]
    all_hosts = list(dict.fromkeys([*start_hosts, *(h.strip().lower() for h in hosts)]))
    name = table.get("name", urlsplit(urls[0]).netloc.lower())
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise SitesError(f"{path}: {where}: name must be a non-empty string without '/'")
    delay = _number(path, table, "delay", where, float, minimum=0)
    concurrency = _number(path, table, "concurrency", where, int, minimum=1)
    max_pages = _number(path, table, "max_pages", where, int, minimum=0) or 0
    revisit = table.get("revisit")
    if revisit is not None and bad_policy(revisit):
        raise SitesError(f"{path}: {where}: revisit: {bad_policy(revisit)}")
    return Site(name.strip(), [u.strip() for u in urls], all_hosts, delay, concurrency, max_pages,
                _text(path, table, "contact", where + ": "), revisit)


def _no_unknown(path: str, table: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise SitesError(f"{path}: {where}unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _text(path: str, table: dict, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise SitesError(f"{path}: {where}{key} must be a non-empty string")
    return value.strip() if value else None


def _number(path: str, table: dict, key: str, where: str, kind: type, minimum: float):
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or kind is int and not isinstance(value, int):
        raise SitesError(f"{path}: {where}: {key} must be {'an integer' if kind is int else 'a number'}, not {value!r}")
    if value < minimum:
        raise SitesError(f"{path}: {where}: {key} must be at least {minimum}, not {value!r}")
    return kind(value)


def _host_port(url: str) -> str | None:
    """host[:port] of an http(s) URL, lower case; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def is_loopback(host: str) -> bool:
    """Whether host (a name or an address, no port) is this machine: 127.0.0.0/8, ::1, localhost."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(host_port: str) -> str:
    """The host of host[:port], as Scrapy's download slots name it ("::1" for "[::1]:80")."""
    return urlsplit(f"http://{host_port}/").hostname or host_port


def overrides(sites: Sites) -> dict:
    """Scrapy settings for crawling `sites` at once: a download slot per host with the site's
    delay (not randomized) and concurrency, and the sites themselves for the middlewares."""
    slots = {}
    for site in sites.sites:
        slot = {}
        if site.delay is not None:
            slot.update(delay=site.delay, jitter=0)
        if site.concurrency is not None:
            slot["concurrency"] = site.concurrency
        if slot:
            for host in site.hosts:
                slots[_hostname(host)] = slot
    settings = {"BBN_SITES": [site.__dict__ for site in sites.sites], "DOWNLOAD_SLOTS": slots}
    if sites.contact:
        settings["BBN_CONTACT"] = sites.contact
    return settings


class SiteMap:
    """Which configured site a URL belongs to: its host:port, or its host (and subdomains)."""

    def __init__(self, sites: list[dict]):
        self.sites = [Site(**site) for site in sites]

    @classmethod
    def from_settings(cls, settings) -> SiteMap | None:
        sites = settings.getlist("BBN_SITES")
        return cls(sites) if sites else None

    def site(self, url: str) -> Site | None:
        host_port = _host_port(url)
        if host_port is None:
            return None
        host = _hostname(host_port)
        for site in self.sites:
            for allowed in site.hosts:
                if allowed == host_port or ":" not in allowed and (host == allowed or host.endswith("." + allowed)):
                    return site
        return None

    def host_urls(self) -> list[str]:
        """A URL per allowed host, for the crawl's `Scope`."""
        return [f"http://{host}/" for site in self.sites for host in site.hosts]

    def name(self, url: str) -> str | None:
        site = self.site(url)
        return site.name if site else None


def with_contact(user_agent: str, contact: str | None) -> str:
    """`user_agent` with `; contact: CONTACT` inside its closing parenthesis (or appended)."""
    if not contact:
        return user_agent
    if user_agent.endswith(")"):
        return f"{user_agent[:-1]}; contact: {contact})"
    return f"{user_agent} (contact: {contact})"


class SiteRequestsMiddleware(UserAgentMiddleware):
    """Scrapy's UserAgentMiddleware, the operator's contact added: a site's own `contact` from
    sites.toml, else BBN_CONTACT (`--contact`, or the file's top-level `contact`). When the
    crawl opens, one warning names the non-loopback start hosts that would go without one.
    A site with its own `delay` keeps it: AutoThrottle does not adjust its requests' slot."""

    def __init__(self, user_agent: str = "Scrapy", contact: str | None = None, sites: SiteMap | None = None):
        super().__init__(with_contact(user_agent, contact))
        self.base, self.contact, self.sites = user_agent, contact, sites

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        middleware = cls(settings["USER_AGENT"], settings.get("BBN_CONTACT") or None, SiteMap.from_settings(settings))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider):
        super().spider_opened(spider)
        self.base = getattr(spider, "user_agent", None) or self.base
        bare = [host for url in getattr(spider, "start_urls", []) if not self._contact(url)
                for host in [_host_port(url)] if host and not is_loopback(_hostname(host))]
        if bare:
            logger.warning(NO_CONTACT.format(hosts=", ".join(dict.fromkeys(bare))))

    def _contact(self, url: str) -> str | None:
        site = self.sites.site(url) if self.sites else None
        return site and site.contact or self.contact

    def process_request(self, request, spider=None):
        site = self.sites.site(request.url) if self.sites else None
        if site is not None and site.delay is not None:
            request.meta["autothrottle_dont_adjust_delay"] = True
        request.headers.setdefault(b"User-Agent", with_contact(self.base, site and site.contact or self.contact))
