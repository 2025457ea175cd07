"""`python -m tests.hostile.audited LOG ARGS...`: the `bbn-archive` CLI with ARGS, under an audit
hook (PEP 578) that writes to LOG every name the process looks up in DNS and every address it
connects to, from any thread and any library, and refuses (OSError) each lookup of a name
and each connect to an address off loopback. `RecordingResolver` is Scrapy's resolver doing
the same for the names the crawl itself asks for (`-s TWISTED_DNS_RESOLVER=...`)."""
from __future__ import annotations

import ipaddress
import os
import runpy
import socket
import sys

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import fail, succeed
from twisted.internet.error import DNSLookupError

LOG_ENV = "HOSTILE_AUDIT_LOG"  # the children (Scrapy's resolver) find the log here
LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr")


def write(kind: str, what: str) -> None:
    with open(os.environ[LOG_ENV], "a") as log:
        log.write(f"{kind} {what}\n")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def hook(event: str, args: tuple) -> None:
    if event in LOOKUPS:
        host = args[0]
        host = host.decode() if isinstance(host, bytes) else str(host)
        if not is_address(host):  # numeric hosts are parsed, not looked up
            write("lookup", host)
            raise OSError(f"the test refuses to look up {host!r}")
    elif event == "socket.connect":
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            write("connect", f"{address[0]} {address[1]}")
            if not is_loopback(address[0]):
                raise OSError(f"the test refuses to connect to {address[0]}")


class RecordingResolver(CachingThreadedResolver):
    """Scrapy's resolver that records every host it is asked for (Twisted asks for IP
    addresses too) and resolves no name."""

    def getHostByName(self, name, timeout=()):  # noqa: N802 - Twisted's name
        write("resolve", name)
        if is_address(name):
            return succeed(name)
        return fail(DNSLookupError(f"the test resolves no name ({name})"))


if __name__ == "__main__":
    os.environ[LOG_ENV] = sys.argv[1]
    sys.addaudithook(hook)
    sys.argv = ["bbn-archive", *sys.argv[2:]]
    runpy.run_module("bbn_scraper", run_name="__main__", alter_sys=True)
