"""The library's Atom feed (RFC 4287): the newest published entries.

Built with :mod:`xml.etree.ElementTree`, which escapes every text and attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from alliance.countries.names import country_name
from alliance.library.models import LibraryEntry
from alliance.library.vocabulary import KIND_LABELS, TAG_LABELS, Tag

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def _iso(moment: datetime | None) -> str:
    value = moment or datetime(2012, 12, 5, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def atom_feed(entries: Sequence[LibraryEntry], *, base_url: str, platform: str) -> bytes:
    """The feed document; ``base_url`` is the site's root (``http://host``)."""
    ET.register_namespace("", ATOM)
    root = base_url.rstrip("/")
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{root}/library"
    ET.SubElement(
        feed, f"{{{ATOM}}}title"
    ).text = f"{platform}: awareness and best-practice library"
    newest = max((e.published_at or e.updated_at for e in entries), default=None)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _iso(newest)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"{root}/library/feed.atom")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{root}/library")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = platform
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}id").text = f"{root}/library/{entry.id}"
        ET.SubElement(item, f"{{{ATOM}}}title").text = entry.title
        ET.SubElement(item, f"{{{ATOM}}}updated").text = _iso(entry.updated_at)
        ET.SubElement(item, f"{{{ATOM}}}published").text = _iso(entry.published_at)
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=f"{root}/library/{entry.id}")
        who = ET.SubElement(item, f"{{{ATOM}}}author")
        ET.SubElement(who, f"{{{ATOM}}}name").text = entry.organisation.name
        country = country_name(entry.country_code, common=True) or entry.country_code
        ET.SubElement(
            item, f"{{{ATOM}}}summary", type="text"
        ).text = f"{KIND_LABELS[entry.kind]}, {country}. {entry.summary}"
        for tag in entry.tags:
            ET.SubElement(item, f"{{{ATOM}}}category", term=tag, label=TAG_LABELS[Tag(tag)])
    body: bytes = ET.tostring(feed, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
