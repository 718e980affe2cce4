"""The exports filters read: plain, Squid ACL and RPZ (parsed back here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from alliance.blocklists import exports
from alliance.blocklists.exports import ExportFormat
from alliance.errors import InvalidInput

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
ENTRIES = [
    {"url": "http://photos.example.test/gallery/a.png?id=1", "host": "photos.example.test"},
    {"url": "https://whole.example.test/", "host": "whole.example.test"},
    {"url": "http://photos.example.test/b.png", "host": "photos.example.test"},
    {"url": "http://192.0.2.7/c.png", "host": "192.0.2.7"},
    {"url": "http://[2001:db8::1]:8080/d.png", "host": "2001:db8::1"},
]


def parse_zone(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]], list[str]]:
    """A small reader of the master-file lines the export writes: directives, records
    (name, type, data), and comments."""
    directives: dict[str, str] = {}
    records: list[tuple[str, str, str]] = []
    comments: list[str] = []
    for line in text.splitlines():
        if line.startswith(";"):
            comments.append(line[1:].strip())
        elif line.startswith("$"):
            key, value = line.split(None, 1)
            directives[key] = value
        elif line.strip():
            fields = line.split()
            if fields[1] == "IN":
                fields.pop(1)
            records.append((fields[0], fields[1], " ".join(fields[2:])))
    return directives, records, comments


def test_rpz_blocks_only_whole_sites_unless_diverted_to_a_proxy() -> None:
    zone = exports.rpz(ENTRIES, sequence=42, generated_at=NOW)
    directives, records, comments = parse_zone(zone)
    assert directives == {"$ORIGIN": "alliance-urls.rpz.", "$TTL": "300"}
    soa = next(r for r in records if r[1] == "SOA")
    assert soa[2].split()[2] == "42"  # the serial is the list's sequence
    assert ("@", "NS", "localhost.") in records
    assert [r for r in records if r[1] == "CNAME"] == [("whole.example.test", "CNAME", ".")]
    assert any("1 host(s) with listed pages only" in c for c in comments)
    assert any("2 page(s) on IP-address hosts" in c for c in comments)

    diverted = exports.rpz(ENTRIES, sequence=42, generated_at=NOW, proxy="Filter.ISP.example.test")
    _, records, comments = parse_zone(diverted)
    assert [r for r in records if r[1] == "CNAME"] == [
        ("photos.example.test", "CNAME", "filter.isp.example.test."),
        ("whole.example.test", "CNAME", "filter.isp.example.test."),
    ]
    assert "http://photos.example.test/b.png" in comments  # its pages, above its record
    with pytest.raises(InvalidInput, match="DNS name"):
        exports.rpz(ENTRIES, sequence=1, generated_at=NOW, proxy="http://proxy/")


def test_squid_patterns_match_exactly_the_listed_urls() -> None:
    acl = exports.squid(ENTRIES, sequence=3, generated_at=NOW)
    patterns = [line for line in acl.splitlines() if not line.startswith("#")]
    assert len(patterns) == len(ENTRIES)
    for entry in ENTRIES:
        assert sum(bool(re.search(p, entry["url"])) for p in patterns) == 1
    assert not any(re.search(p, "http://photos.example.test/gallery/aXpng?id=1") for p in patterns)
    assert not any(re.search(p, "http://photos.example.test/b.png/more") for p in patterns)


def test_plain_and_the_formats_each_list_has() -> None:
    text = exports.export("urls", ENTRIES, ExportFormat.plain, sequence=1, generated_at=NOW)
    assert text.splitlines() == sorted(e["url"] for e in ENTRIES)
    terms: list[dict[str, Any]] = [
        {"term": "placeholder-term-2", "category": "coded", "language": None},
        {"term": "placeholder-term-1", "category": "csam", "language": "en"},
    ]
    assert exports.export("keywords", terms, ExportFormat.csv, sequence=1, generated_at=NOW) == (
        "term,category,language\nplaceholder-term-1,csam,en\nplaceholder-term-2,coded,\n"
    )
    with pytest.raises(InvalidInput, match="plain or csv"):
        exports.export("keywords", terms, ExportFormat.rpz, sequence=1, generated_at=NOW)
    with pytest.raises(InvalidInput, match="plain, rpz or squid"):
        exports.export("urls", ENTRIES, ExportFormat.csv, sequence=1, generated_at=NOW)
