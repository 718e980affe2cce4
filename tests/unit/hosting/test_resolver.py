"""Resolvers: hosts file, system resolver (with getaddrinfo replaced: no real DNS), chain."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from alliance.errors import ConfigurationError, NotFound
from alliance.hosting.resolver import (
    ChainResolver,
    HostNotFound,
    ResolutionFailed,
    StaticHosts,
    SystemResolver,
    resolver_from_settings,
)
from alliance.settings import load_settings

HOSTS = """\
# demo sites
192.0.2.10   shop.example.test  www.shop.example.test   # two names
2001:db8::10 shop.example.test
198.51.100.5 Files.Example.TEST.

203.0.113.7  cdn.example.test
203.0.113.7  cdn.example.test
"""


@pytest.fixture
def hosts_file(tmp_path: Path) -> Path:
    path = tmp_path / "pinned-hosts"
    path.write_text(HOSTS)
    return path


def test_hosts_file(hosts_file: Path) -> None:
    hosts = StaticHosts.from_file(hosts_file)
    assert hosts.resolve("shop.example.test") == ["192.0.2.10", "2001:db8::10"]
    assert hosts.resolve("www.shop.example.test") == ["192.0.2.10"]
    assert hosts.resolve("files.example.test") == ["198.51.100.5"]
    assert hosts.resolve("SHOP.example.test.") == ["192.0.2.10", "2001:db8::10"]
    assert hosts.resolve("cdn.example.test") == ["203.0.113.7"]
    assert "files.example.test" in hosts
    with pytest.raises(HostNotFound):
        hosts.resolve("other.example.test")


def test_host_not_found_is_not_found() -> None:
    assert issubclass(HostNotFound, NotFound)
    with pytest.raises(NotFound, match=r"gone\.example\.test"):
        StaticHosts().resolve("gone.example.test")


def test_ip_literals_resolve_to_themselves() -> None:
    hosts = StaticHosts()
    assert hosts.resolve("192.0.2.1") == ["192.0.2.1"]
    assert hosts.resolve("[2001:DB8::1]") == ["2001:db8::1"]
    assert SystemResolver().resolve("198.51.100.1") == ["198.51.100.1"]


def test_from_mapping() -> None:
    hosts = StaticHosts({"a.example.test": ["2001:db8::1", "192.0.2.1", "192.0.2.1"]})
    assert hosts.resolve("a.example.test") == ["192.0.2.1", "2001:db8::1"]
    with pytest.raises(ConfigurationError):
        StaticHosts({"a.example.test": ["not-an-ip"]})


@pytest.mark.parametrize("line", ["example.test 192.0.2.1", "192.0.2.1", "999.1.1.1 a.test"])
def test_bad_hosts_lines(tmp_path: Path, line: str) -> None:
    path = tmp_path / "hosts"
    path.write_text(f"# ok\n{line}\n")
    with pytest.raises(ConfigurationError, match=r"hosts:2"):
        StaticHosts.from_file(path)


def test_missing_hosts_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="missing"):
        StaticHosts.from_file(tmp_path / "missing")


def _fake_getaddrinfo(answers: dict[str, Any]) -> Any:
    def getaddrinfo(host: str, *_args: object, **_kwargs: object) -> list[Any]:
        answer = answers[host]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer()  # type: ignore[no-any-return]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0))
            for a in answer
        ]

    return getaddrinfo


def test_system_resolver_dedupes_and_puts_ipv4_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        _fake_getaddrinfo(
            {"dual.example.test": ["2001:db8::1", "192.0.2.1", "2001:db8::1", "192.0.2.2"]}
        ),
    )
    assert SystemResolver().resolve("Dual.Example.Test.") == [
        "192.0.2.1",
        "192.0.2.2",
        "2001:db8::1",
    ]


def test_system_resolver_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow() -> list[Any]:
        release.wait(5)
        return []

    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        _fake_getaddrinfo(
            {
                "gone.example.test": socket.gaierror(
                    socket.EAI_NONAME, "Name or service not known"
                ),
                "flaky.example.test": socket.gaierror(socket.EAI_AGAIN, "Temporary failure"),
                "slow.example.test": slow,
            }
        ),
    )
    resolver = SystemResolver(timeout=0.2)
    with pytest.raises(HostNotFound):
        resolver.resolve("gone.example.test")
    with pytest.raises(ResolutionFailed, match="Temporary failure"):
        resolver.resolve("flaky.example.test")
    with pytest.raises(ResolutionFailed, match="timed out"):
        resolver.resolve("slow.example.test")
    release.set()


def test_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        _fake_getaddrinfo(
            {
                "dns.example.test": ["203.0.113.9"],
                "both.example.test": ["203.0.113.10"],
                "none.example.test": socket.gaierror(socket.EAI_NONAME, "unknown"),
            }
        ),
    )
    chain = ChainResolver(StaticHosts({"both.example.test": ["192.0.2.3"]}), SystemResolver())
    assert chain.resolve("both.example.test") == ["192.0.2.3"]  # the hosts file wins
    assert chain.resolve("dns.example.test") == ["203.0.113.9"]
    with pytest.raises(HostNotFound):
        chain.resolve("none.example.test")


def test_resolver_from_settings(tmp_path: Path, hosts_file: Path) -> None:
    plain = resolver_from_settings(load_settings(data_dir=tmp_path))
    assert isinstance(plain, SystemResolver)
    chained = resolver_from_settings(load_settings(data_dir=tmp_path, static_hosts_file=hosts_file))
    assert isinstance(chained, ChainResolver)
    assert chained.resolve("shop.example.test")[0] == "192.0.2.10"
    (tmp_path / "hosts").write_text("192.0.2.44 demo.example.test\n")
    default = resolver_from_settings(load_settings(data_dir=tmp_path))
    assert default.resolve("demo.example.test") == ["192.0.2.44"]
