"""``alliance providers`` and ``alliance hosting lookup`` on a real database of each back end.

DNS never leaves the machine: every looked-up name is in the test's hosts file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alliance.hosting.geo import GeoNetwork, write_geo_database
from tests.support.cli import Run


@pytest.fixture
def cli_data_dir(cli_data_dir: Path) -> Path:
    write_geo_database(
        cli_data_dir / "hosting.mmdb",
        [
            GeoNetwork("192.0.2.0/24", "NL", 64500, "Example Hosting NL"),
            GeoNetwork("2001:db8:1::/48", "DE", 64501, "Example Hosting DE"),
        ],
    )
    (cli_data_dir / "hosts").write_text(
        "192.0.2.10 shop.example.test\n"
        "2001:db8:1::10 v6.example.test\n"
        "10.0.0.1 internal.example.test\n"
        "203.0.113.5 unmapped.example.test\n"
    )
    return cli_data_dir


def _providers(run: Run) -> list[dict[str, object]]:
    result = run("providers", "list", "--format", "json")
    assert result.code == 0, result.err
    rows: list[dict[str, object]] = json.loads(result.out)
    return rows


def test_help_lists_the_groups(run: Run) -> None:
    out = run("--help").out
    assert "providers" in out and "hosting" in out


def test_add_and_list(run: Run) -> None:
    added = run(
        "providers",
        "add",
        "nl-host",
        "--name",
        "Example Hosting NL",
        "--country",
        "nl",
        "--asn",
        "64500",
        "--asn",
        "64510",
        "--abuse-email",
        "abuse@nl-host.example.test",
        "--batch",
    )
    assert added.code == 0, added.err
    assert "added provider nl-host" in added.out
    assert _providers(run) == [
        {
            "slug": "nl-host",
            "name": "Example Hosting NL",
            "country_code": "NL",
            "asns": "AS64500 AS64510",
            "abuse_email": "abuse@nl-host.example.test",
            "abuse_webhook_url": None,
            "batch_notices": True,
            "active": True,
            "member": None,
            "has_contact": True,
        }
    ]
    table = run("providers", "list")
    assert table.code == 0 and "Hosting providers" in table.out and "nl-" in table.out
    again = run("providers", "add", "nl-host", "--name", "x", "--country", "NL")
    assert again.code == 5
    assert "already exists" in again.err


def test_a_provider_that_is_a_member(run: Run) -> None:
    """A provider may be an industry member of the alliance (its notices count as notices
    to a participating company); another kind of member, or none, is refused by name."""
    assert run("jurisdictions", "add", "nl", "Netherlands").code == 0
    for slug, kind in (("nl-host-co", "industry"), ("nl-hotline", "hotline")):
        made = run("orgs", "add", slug, "--name", slug, "--kind", kind, "--country", "NL")
        assert made.code == 0, made.err
    refused = run("providers", "add", "nl-host", "--name", "x", "--country", "NL",
                  "--member", "nl-hotline")  # fmt: skip
    assert refused.code == 2 and "not a company" in refused.err
    unknown = run("providers", "add", "nl-host", "--name", "x", "--country", "NL",
                  "--member", "nobody")  # fmt: skip
    assert unknown.code == 2 and "no member organisation 'nobody'" in unknown.err
    assert _providers(run) == []
    added = run("providers", "add", "nl-host", "--name", "x", "--country", "NL",
                "--member", "nl-host-co")  # fmt: skip
    assert added.code == 0, added.err
    assert [p["member"] for p in _providers(run)] == ["nl-host-co"]


def test_add_rejects_bad_input(run: Run) -> None:
    result = run("providers", "add", "nl-host", "--name", "x", "--country", "NLD")
    assert result.code == 2
    assert "country_code" in result.err
    result = run(
        "providers", "add", "nl-host", "--name", "x", "--country", "NL", "--webhook", "ftp://x"
    )
    assert result.code == 2
    assert _providers(run) == []


def test_import_is_all_or_nothing(run: Run, tmp_path: Path) -> None:
    good = [
        {"slug": "nl-host", "name": "NL", "country_code": "NL", "asns": [64500]},
        {
            "slug": "de-host",
            "name": "DE",
            "country_code": "DE",
            "asns": [64501],
            "abuse_webhook_url": "https://abuse.de-host.example.test/notices",
        },
    ]
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(good))
    result = run("providers", "import", str(path))
    assert result.code == 0, result.err
    assert "2 added, 0 updated" in result.out
    assert [p["slug"] for p in _providers(run)] == ["de-host", "nl-host"]

    # Re-import with a change: updated in place.
    good[0]["name"] = "NL renamed"
    path.write_text(json.dumps(good))
    result = run("providers", "import", str(path))
    assert "0 added, 2 updated" in result.out
    assert {p["slug"]: p["name"] for p in _providers(run)}["nl-host"] == "NL renamed"

    # A bad entry: nothing changes.
    bad = [
        {"slug": "fr-host", "name": "FR", "country_code": "FR", "asns": [64502]},
        {"slug": "be-host", "name": "BE", "country_code": "BE", "asns": [0]},
    ]
    path.write_text(json.dumps(bad))
    result = run("providers", "import", str(path))
    assert result.code == 2
    assert "1.asns" in result.err
    # A conflict found in the database (an ASN already held): rolled back, too.
    clash = [
        {"slug": "fr-host", "name": "FR", "country_code": "FR", "asns": [64502]},
        {"slug": "be-host", "name": "BE", "country_code": "BE", "asns": [64500]},
    ]
    path.write_text(json.dumps(clash))
    result = run("providers", "import", str(path))
    assert result.code == 5
    assert "AS64500" in result.err
    assert [p["slug"] for p in _providers(run)] == ["de-host", "nl-host"]

    path.write_text("{not json")
    assert run("providers", "import", str(path)).code == 2


def test_lookup(run: Run) -> None:
    run("providers", "add", "nl-host", "--name", "NL", "--country", "NL", "--asn", "64500")
    result = run("hosting", "lookup", "Shop.Example.TEST/a?utm_source=x", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [
        {
            "url": "http://shop.example.test/a",
            "host": "shop.example.test",
            "addresses": ["192.0.2.10"],
            "ip_address": "192.0.2.10",
            "country_code": "NL",
            "asn": 64500,
            "as_org": "Example Hosting NL",
            "provider": "nl-host",
            "provider_contact": None,
            "error": None,
        }
    ]
    table = run("hosting", "lookup", "https://v6.example.test/")
    assert table.code == 0
    assert "2001:db8:1::10" in table.out and "DE" in table.out and "64501" in table.out


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://internal.example.test/", "resolves to a private address"),
        ("http://unmapped.example.test/", "address not in the geo database"),
    ],
)
def test_lookup_errors_are_reported_not_raised(run: Run, url: str, error: str) -> None:
    result = run("hosting", "lookup", url, "--format", "json")
    assert result.code == 0, result.err
    assert error in json.loads(result.out)[0]["error"]


def test_lookup_refuses_bad_urls(run: Run) -> None:
    result = run("hosting", "lookup", "http://10.0.0.1/")
    assert result.code == 2
    assert "private" in result.err
