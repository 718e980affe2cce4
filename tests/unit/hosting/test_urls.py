"""URL normalisation: one spelling per page, and no URL we must never fetch."""

from __future__ import annotations

import pytest

from alliance.errors import InvalidInput
from alliance.hosting.urls import host_in_domain, normalise_domain, normalise_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://example.test/a", "http://example.test/a"),
        ("  HTTP://Example.TEST/Path  ", "http://example.test/Path"),
        ("example.test/a", "http://example.test/a"),
        ("example.test", "http://example.test/"),
        ("example.test:8080/a", "http://example.test:8080/a"),
        ("//example.test/a", "http://example.test/a"),
        ("http://example.test", "http://example.test/"),
        ("http://example.test./a", "http://example.test/a"),
        ("http://example.test:80/a", "http://example.test/a"),
        ("https://example.test:443/a", "https://example.test/a"),
        ("http://example.test:443/a", "http://example.test:443/a"),
        ("https://example.test:80/a", "https://example.test:80/a"),
        ("http://example.test:/a", "http://example.test/a"),
        # dot segments
        ("http://example.test/a/./b/../c", "http://example.test/a/c"),
        ("http://example.test/../../a", "http://example.test/a"),
        ("http://example.test/a/b/..", "http://example.test/a/"),
        ("http://example.test/a/%2e%2E/b", "http://example.test/b"),
        # percent-encoding
        ("http://example.test/%7euser/%41", "http://example.test/~user/A"),
        ("http://example.test/a%2fb", "http://example.test/a%2Fb"),
        ("http://example.test/a b", "http://example.test/a%20b"),
        ("http://example.test/é", "http://example.test/%C3%A9"),
        ("http://example.test/100%", "http://example.test/100%25"),
        # fragment
        ("http://example.test/a#section", "http://example.test/a"),
        ("http://example.test/a?b=1#x", "http://example.test/a?b=1"),
        # query: tracking parameters removed, the rest sorted by name
        (
            "http://example.test/?utm_source=x&b=2&a=1&fbclid=z&UTM_Medium=y",
            "http://example.test/?a=1&b=2",
        ),
        (
            "http://example.test/p?gclid=1&dclid=1&gbraid=1&wbraid=1&msclkid=1&mc_cid=1"
            "&mc_eid=1&_ga=1&_gl=1&igshid=1&yclid=1&twclid=1&si=1&id=7",
            "http://example.test/p?id=7",
        ),
        ("http://example.test/?utm_source=x", "http://example.test/"),
        ("http://example.test/?b=2&a=9&b=1", "http://example.test/?a=9&b=2&b=1"),
        ("http://example.test/?flag&a=", "http://example.test/?a=&flag"),
        ("http://example.test/?q=a%2bb&r=%7E", "http://example.test/?q=a%2Bb&r=~"),
        ("http://example.test/?a=1&&b=2", "http://example.test/?a=1&b=2"),
        # IDN
        ("http://Bücher.Example.TEST/", "http://xn--bcher-kva.example.test/"),
        ("http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/"),
        ("http://xn--bcher-kva.example.test/", "http://xn--bcher-kva.example.test/"),
        # IP literals
        ("http://192.0.2.1/", "http://192.0.2.1/"),
        ("http://3221225985/", "http://192.0.2.1/"),
        ("http://0xc0.0.2.1/", "http://192.0.2.1/"),
        ("http://0300.0.2.1/", "http://192.0.2.1/"),
        ("http://198.51.100.7:8080/x", "http://198.51.100.7:8080/x"),
        ("http://[2001:DB8:0:0::1]/", "http://[2001:db8::1]/"),
        ("https://[2001:db8::1]:443/", "https://[2001:db8::1]/"),
        ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/"),
        ("http://%65xample.test/", "http://example.test/"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise_url(raw).url == expected


def test_parts() -> None:
    url = normalise_url("HTTPS://Shop.Example.TEST:8443/a/../b?z=1&a=2#frag")
    assert url.scheme == "https"
    assert url.host == "shop.example.test"
    assert url.port == 8443
    assert url.path == "/b"
    assert url.url == "https://shop.example.test:8443/b?a=2&z=1"
    assert url.netloc == "shop.example.test:8443"
    assert url.request_target == "/b?a=2&z=1"
    assert url.effective_port == 8443


def test_ipv6_host_is_bare_and_url_bracketed() -> None:
    url = normalise_url("http://[2001:db8::5]/x")
    assert url.host == "2001:db8::5"
    assert url.port is None
    assert url.netloc == "[2001:db8::5]"
    assert url.effective_port == 80


def test_same_page_deduplicates() -> None:
    spellings = [
        "https://Example.test/gallery/./img.jpg?b=2&a=1&utm_campaign=x",
        "https://example.test:443/gallery/img.jpg?a=1&b=2#top",
        "https://example.test/gallery/sub/../%69mg.jpg?fbclid=abc&a=1&b=2",
    ]
    assert len({normalise_url(s).url for s in spellings}) == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("http://example.test/" + "a" * 2000, "longer than 2000"),
        ("javascript:alert(1)", "only http and https"),
        ("JavaScript:alert(1)", "only http and https"),
        ("ftp://example.test/file", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("data:text/html,<b>x</b>", "only http and https"),
        ("mailto:abuse@example.test", "only http and https"),
        ("http:example.test", "malformed"),
        ("http://", "no host"),
        ("http:///path", "no host"),
        ("http://user:pw@example.test/", "user name or password"),
        ("http://user@example.test/", "user name or password"),
        ("http://example.test:99999/", "invalid port"),
        ("http://example.test:0/", "invalid port"),
        ("http://example.test:8o/", "invalid port"),
        ("http://localhost/", "localhost"),
        ("http://LOCALHOST:8000/", "localhost"),
        ("http://app.localhost/", "localhost"),
        ("http://intranet/", "single-label"),
        ("http://127.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[::1]/", "loopback"),
        ("http://[::]/", "unspecified"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fd00::1]/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://[2001:db8::1/", "unclosed"),
        ("http://[not-v6]/", "invalid IPv6"),
        ("http://::1/", "brackets"),
        ("http://256.1.1.1/", "invalid IPv4"),
        ("http://1.2.3.4.5/", "invalid IPv4"),
        ("http://example.123/", "invalid IPv4"),
        ("http://exa mple.test/", "invalid host name"),
        ("http://-bad-.example.test/", "invalid host name"),
        ("http://a..b.example.test/", "invalid host name"),
        ("http://example.test/a\x00b", "control characters"),
    ],
)
def test_refused(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalise_url(raw)
    assert message in info.value.message
    assert "\n" not in info.value.message


def test_documentation_ranges_are_accepted() -> None:
    for raw in (
        "http://192.0.2.10/",
        "http://198.51.100.10/",
        "http://203.0.113.10/",
        "http://[2001:db8:1::10]/",
    ):
        assert normalise_url(raw).url == raw


def test_backslash_reads_as_slash() -> None:
    # As browsers read it: the host is example.test, not evil.test.
    assert normalise_url("http:\\\\example.test\\a").url == "http://example.test/a"
    assert normalise_url("http://example.test\\@evil.test/").url == (
        "http://example.test/@evil.test/"
    )


def test_normalise_domain() -> None:
    assert normalise_domain(" Example.TEST. ") == "example.test"
    assert normalise_domain("Bücher.example.test") == "xn--bcher-kva.example.test"
    assert normalise_domain("192.0.2.1") == "192.0.2.1"
    assert normalise_domain("[2001:DB8::1]") == "2001:db8::1"
    for bad in ("", "http://example.test/", "example.test/a", "localhost", "intranet", "10.0.0.1"):
        with pytest.raises(InvalidInput):
            normalise_domain(bad)


@pytest.mark.parametrize(
    ("host", "domain", "inside"),
    [
        ("example.test", "example.test", True),
        ("www.example.test", "example.test", True),
        ("a.b.example.test", "example.test", True),
        ("Example.TEST.", "example.test", True),
        ("notexample.test", "example.test", False),
        ("example.test.evil.test", "example.test", False),
        ("example.test", "www.example.test", False),
        ("192.0.2.1", "192.0.2.1", True),
        ("1.192.0.2.1", "192.0.2.1", False),
        ("", "example.test", False),
    ],
)
def test_host_in_domain(host: str, domain: str, inside: bool) -> None:
    assert host_in_domain(host, domain) is inside
