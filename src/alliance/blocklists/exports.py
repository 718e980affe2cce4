"""The synced lists as the files filters read: a plain list, a DNS response policy zone
(RPZ) for resolvers, and an ACL for a Squid proxy.

The URL list is page-level: a listed page is one URL, and the other pages of its host may
be lawful (an image host, a forum). What each format can do with that:

- **plain**: one URL a line, for filters that match whole URLs.
- **squid**: an ``url_regex`` ACL, one anchored pattern per URL. A proxy sees the whole
  URL of plain HTTP only; HTTPS shows it the host (``CONNECT``) unless it inspects TLS.
- **rpz**: DNS acts on host names, never on pages, so a page-level list cannot become a
  host-wide block without blocking the lawful pages beside it. A resolver operator
  expects the RPZ to be safe to load as is, so by default a host is answered NXDOMAIN
  (``host CNAME .``) only when the listed page is the host's root (``https://host/``):
  the analyst confirmed the site itself. With a proxy name (``--proxy``), every host with
  a listed page is diverted to that proxy (``host CNAME proxy.``), which then blocks the
  exact pages with the Squid ACL and passes the rest: the two-stage design ISPs use for
  the IWF's list (BT's Cleanfeed). Hosts that are IP addresses are left to the proxy (no
  DNS lookup happens). Each record is preceded by comments naming its listed pages.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from alliance.errors import InvalidInput

#: DNS names: labels of letters, digits, hyphens (and underscores, seen in the wild).
_NAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                      r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")  # fmt: skip
#: What POSIX extended regular expressions (Squid's url_regex) treat as special.
_ERE_SPECIAL = re.compile(r"([.\[\]{}()\\*+?^$|])")
RPZ_TTL = 300


class ExportFormat(StrEnum):
    plain = "plain"
    rpz = "rpz"
    squid = "squid"
    csv = "csv"  # keywords only: term, category, language


def _header(lines: Iterable[str], comment: str) -> str:
    return "".join(f"{comment} {line}".rstrip() + "\n" for line in lines)


def plain(entries: list[dict[str, Any]], key: str = "url") -> str:
    """One URL (or term) a line, sorted; nothing else, for filters that read no comments."""
    return "".join(f"{value}\n" for value in sorted(e[key] for e in entries))


def _host_and_path(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    authority, _, path = rest.partition("/")
    host = authority[1:].split("]")[0] if authority.startswith("[") else authority.split(":")[0]
    return host, "/" + path


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_proxy(name: str) -> str:
    """The proxy's host name as an RPZ target: a DNS name, not an address or a URL."""
    proxy = name.strip().rstrip(".").lower()
    if not _NAME_RE.match(proxy) or _is_address(proxy):
        raise InvalidInput(f"--proxy must be a DNS name such as proxy.example.net, not {name!r}")
    return proxy


def rpz(
    entries: list[dict[str, Any]],
    *,
    sequence: int,
    generated_at: datetime,
    proxy: str | None = None,
    origin: str = "alliance-urls.rpz",
) -> str:
    """The URL list as an RPZ zone file (RFC 1035 master file syntax, RPZ conventions)."""
    target = f"{check_proxy(proxy)}." if proxy else "."
    pages: dict[str, list[str]] = defaultdict(list)
    whole_sites: set[str] = set()
    addresses = 0
    for entry in entries:
        host, path = _host_and_path(entry["url"])
        if _is_address(host) or not _NAME_RE.match(host):
            addresses += 1
            continue
        pages[host].append(entry["url"])
        if path == "/":
            whole_sites.add(host)
    hosts = sorted(pages) if proxy else sorted(whole_sites)
    left_out = len(pages) - len(hosts)
    mode = (
        f"every host with a listed page is diverted to the proxy {target} (which blocks "
        "the exact pages with the Squid ACL)"
        if proxy
        else "a host is answered NXDOMAIN only where its root page is listed (the whole "
        f"site confirmed); {left_out} host(s) with listed pages only are not in this zone: "
        "block them at a proxy (--format squid) or divert them to one (--proxy NAME)"
    )
    lines = _header(
        [
            f"Alliance URL list as a DNS response policy zone, list sequence {sequence},",
            f"generated {generated_at.isoformat()}. The list is page-level; DNS blocks hosts:",
            mode + ".",
            f"{addresses} page(s) on IP-address hosts are left to the proxy.",
            "Do not publish this zone: it names pages confirmed as child sexual abuse material.",
        ],
        ";",
    )
    lines += f"$ORIGIN {origin}.\n$TTL {RPZ_TTL}\n"
    lines += (
        f"@ IN SOA localhost. hostmaster.localhost. {sequence % 2**32} 3600 600 86400 {RPZ_TTL}\n"
    )
    lines += "@ IN NS localhost.\n"
    for host in hosts:
        lines += "".join(f"; {url}\n" for url in sorted(pages[host]))
        lines += f"{host} CNAME {target}\n"
    return lines


def _ere(url: str) -> str:
    return "^" + _ERE_SPECIAL.sub(r"\\\1", url) + "$"


def squid(entries: list[dict[str, Any]], *, sequence: int, generated_at: datetime) -> str:
    """An ACL file of anchored ``url_regex`` patterns, one per listed URL."""
    text = _header(
        [
            f"Alliance URL list for Squid, list sequence {sequence}, generated "
            f"{generated_at.isoformat()}.",
            'acl alliance_urls url_regex "/etc/squid/alliance-urls.acl"',
            "http_access deny alliance_urls",
            "Whole URLs are seen for plain HTTP only; HTTPS needs TLS inspection.",
        ],
        "#",
    )
    return text + "".join(f"{_ere(url)}\n" for url in sorted(e["url"] for e in entries))


def keywords_csv(entries: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["term", "category", "language"])
    for entry in sorted(entries, key=lambda e: str(e["term"])):
        writer.writerow([entry["term"], entry["category"], entry.get("language") or ""])
    return out.getvalue()


def export(
    name: str,
    entries: list[dict[str, Any]],
    fmt: ExportFormat,
    *,
    sequence: int,
    generated_at: datetime,
    proxy: str | None = None,
) -> str:
    """The ``name`` list's ``entries`` in ``fmt``; a format the list has not is refused."""
    if proxy is not None and fmt is not ExportFormat.rpz:
        raise InvalidInput("--proxy is for the rpz format")
    if name == "keywords":
        if fmt is ExportFormat.plain:
            return plain(entries, "term")
        if fmt is ExportFormat.csv:
            return keywords_csv(entries)
        raise InvalidInput("the keyword list exports as plain or csv")
    if fmt is ExportFormat.plain:
        return plain(entries)
    if fmt is ExportFormat.rpz:
        return rpz(entries, sequence=sequence, generated_at=generated_at, proxy=proxy)
    if fmt is ExportFormat.squid:
        return squid(entries, sequence=sequence, generated_at=generated_at)
    raise InvalidInput("the URL list exports as plain, rpz or squid")
