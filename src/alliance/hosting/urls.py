"""Reported URLs in one canonical form, so that the same page reported twice is one item.

:func:`normalise_url` refuses what a hotline must never fetch or store as a location
(other schemes, credentials, localhost, private IP literals) and rewrites the rest:
lowercase scheme and host, IDN as punycode, no default port, dot segments resolved,
percent-encoding in one form, no fragment, no tracking parameters, query parameters
sorted by name. IPv4 hosts in the shorthand forms browsers accept (``2130706433``,
``0x7f.1``) are rewritten as dotted quads, so they cannot hide a private address.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

import idna

from alliance.errors import InvalidInput
from alliance.hosting.addresses import forbidden_reason

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that only say where a click came from; they make one page look like many.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "yclid",
        "twclid",
        "si",
    }
)
TRACKING_PREFIXES = ("utm_",)

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# "example.test:8080/a" has a port, not a scheme called "example.test".
_HOST_PORT_RE = re.compile(r"^[^/?#@:]+:\d+(?:[/?#]|$)")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX = frozenset(string.hexdigits)
# Characters left as they are in a path or query; everything else is percent-encoded.
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMBER_RE = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


@dataclass(frozen=True)
class NormalisedUrl:
    """A URL in canonical form. ``host`` is bare (an IPv6 address without brackets);
    ``port`` is None for the scheme's default port."""

    url: str
    scheme: str
    host: str
    port: int | None
    path: str

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    @property
    def netloc(self) -> str:
        """Host (bracketed when IPv6) and non-default port, as in the URL and Host header."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def request_target(self) -> str:
        """Path and query: what follows the host in the URL."""
        return self.url[len(self.scheme) + 3 + len(self.netloc) :]


def normalise_url(raw: str) -> NormalisedUrl:
    """``raw`` in canonical form; InvalidInput (one line) when it cannot be accepted."""
    text = raw.strip()
    if not text:
        raise InvalidInput("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise InvalidInput("the URL contains control characters")
    scheme, rest = _split_scheme(text)
    authority, path, query = _split_rest(rest)
    host, port = _split_authority(authority, scheme)
    path = _remove_dot_segments(_normalise_percent(path, _PATH_SAFE)) or "/"
    query = _normalise_query(query)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    return NormalisedUrl(url=url, scheme=scheme, host=host, port=port, path=path)


def normalise_domain(raw: str) -> str:
    """A domain (or IP address) for a domain-wide hold, by the same rules as a URL's host."""
    text = raw.strip()
    if not text:
        raise InvalidInput("the domain is empty")
    if any(c in text for c in "/?#@") or "://" in text:
        raise InvalidInput(f"{raw!r} is not a domain name (give e.g. example.test, not a URL)")
    if text.startswith("[") and text.endswith("]"):
        return _normalise_host(text[1:-1], bracketed=True)
    return _normalise_host(text, bracketed=False)


def host_in_domain(host: str, domain: str) -> bool:
    """Whether ``host`` is ``domain`` or one of its subdomains (IP addresses: only equal)."""
    host = host.lower().rstrip(".")
    domain = domain.lower().rstrip(".")
    if not host or not domain:
        return False
    if host == domain:
        return True
    if ":" in domain or _looks_like_ipv4(domain):
        return False
    return host.endswith("." + domain)


# --- parts ---------------------------------------------------------------------------


def _split_scheme(text: str) -> tuple[str, str]:
    """The lowercase scheme (http when none is given) and what follows ``scheme:``."""
    if text.startswith("//"):
        return "http", text
    match = _SCHEME_RE.match(text)
    if match is None or _HOST_PORT_RE.match(text):
        return "http", "//" + text
    scheme = match.group(1).lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidInput(f"only http and https URLs are accepted, not {scheme}:")
    rest = text[match.end() :].replace("\\", "/")  # as browsers read http URLs
    if not rest.startswith("//"):
        raise InvalidInput(f"malformed URL: {scheme}: must be followed by //")
    return scheme, rest


def _split_rest(rest: str) -> tuple[str, str, str | None]:
    """Authority, path and query (None when there is no ``?``) of ``//authority/path?query``;
    the fragment is dropped."""
    rest = rest[2:].split("#", 1)[0]
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, remainder = rest[:end], rest[end:]
    path, question, query = remainder.partition("?")
    return authority, path, query if question else None


def _split_authority(authority: str, scheme: str) -> tuple[str, int | None]:
    if "@" in authority:
        raise InvalidInput("URLs with a user name or password are not accepted")
    if not authority:
        raise InvalidInput("the URL has no host")
    port_text = ""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise InvalidInput("malformed URL: unclosed [ in the host")
        host_text, after = authority[1:close], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise InvalidInput("malformed URL: text after the IPv6 address")
        port_text = after[1:]
        host = _normalise_host(host_text, bracketed=True)
    else:
        host_text, colon, port_text = authority.rpartition(":")
        if not colon:
            host_text, port_text = authority, ""
        host = _normalise_host(host_text, bracketed=False)
    return host, _port(port_text, scheme)


def _port(text: str, scheme: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 5 or not 0 < int(text) <= 65535:
        raise InvalidInput(f"invalid port {text!r}")
    port = int(text)
    return None if port == DEFAULT_PORTS[scheme] else port


def _normalise_host(text: str, *, bracketed: bool) -> str:
    """The host in canonical form: lowercase punycode name, dotted quad or compressed IPv6."""
    text = _percent_decode_host(text)
    if not text:
        raise InvalidInput("the URL has no host")
    if bracketed:
        if "%" in text:
            raise InvalidInput("IPv6 zone identifiers are not accepted")
        try:
            ip6 = IPv6Address(text)
        except ValueError:
            raise InvalidInput(f"invalid IPv6 address {text!r}") from None
        _refuse_forbidden(ip6)
        return ip6.compressed
    name = text.lower()
    name = name.removesuffix(".")
    if ":" in name:
        raise InvalidInput("malformed URL: IPv6 addresses must be in brackets")
    if _looks_like_ipv4(name):
        ip4 = _parse_ipv4(name)
        _refuse_forbidden(ip4)
        return str(ip4)
    name = _to_ascii(name)
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise InvalidInput(f"invalid host name {text!r}")
    if name == "localhost" or name.endswith(".localhost"):
        raise InvalidInput("localhost URLs are not accepted")
    if len(labels) < 2:
        raise InvalidInput(f"single-label host names such as {name!r} are not accepted")
    return name


def _percent_decode_host(text: str) -> str:
    if "%" not in text:
        return text
    try:
        return _percent_decode(text).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("invalid percent-encoding in the host") from None


def _percent_decode(text: str) -> bytes:
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw) and _is_hex_pair(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def _is_hex_pair(pair: bytes) -> bool:
    return len(pair) == 2 and all(chr(b) in _HEX for b in pair)


def _to_ascii(name: str) -> str:
    """IDN labels as punycode (UTS #46, non-transitional: what browsers resolve)."""
    if name.isascii():
        return name
    try:
        return idna.encode(name, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidInput(f"invalid international host name {name!r}: {exc}") from None


def _looks_like_ipv4(name: str) -> bool:
    """WHATWG: a host whose last label is a number is an IPv4 address, or an error."""
    last = name.rstrip(".").rsplit(".", 1)[-1]
    return bool(_NUMBER_RE.match(last))


def _parse_ipv4(name: str) -> IPv4Address:
    """An IPv4 host in any form browsers accept: ``192.0.2.1``, ``3221225985``, ``0xc0.0.2.1``."""
    parts = name.split(".")
    if len(parts) > 4:
        raise InvalidInput(f"invalid IPv4 address {name!r}")
    numbers: list[int] = []
    for part in parts:
        if not _NUMBER_RE.match(part):
            raise InvalidInput(f"invalid IPv4 address {name!r}")
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if any(c not in "01234567" for c in part):
                raise InvalidInput(f"invalid IPv4 address {name!r}")
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise InvalidInput(f"invalid IPv4 address {name!r}")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return IPv4Address(value)


def _refuse_forbidden(ip: IPv4Address | IPv6Address) -> None:
    reason = forbidden_reason(ip)
    if reason is not None:
        raise InvalidInput(f"the URL points to a {reason} address ({ip}), not a public host")


def _normalise_percent(text: str, safe: frozenset[str]) -> str:
    """One spelling per character: unreserved characters decoded, other escapes in
    uppercase hex, unsafe and non-ASCII characters encoded as UTF-8."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and len(text) >= i + 3 and all(c in _HEX for c in text[i + 1 : i + 3]):
            byte = int(text[i + 1 : i + 3], 16)
            decoded = chr(byte)
            out.append(decoded if decoded in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: ``/a/./b/../c`` becomes ``/a/c``."""
    if not path:
        return path
    segments = path.split("/")
    output: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _normalise_query(query: str | None) -> str:
    """Tracking parameters removed, the rest sorted by name (stable for repeated names)."""
    if not query:
        return ""
    params: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        name, equals, value = item.partition("=")
        name = _normalise_percent(name, _QUERY_SAFE - {"=", "&"})
        if _is_tracking(name):
            continue
        value = _normalise_percent(value, _QUERY_SAFE - {"&"})
        params.append((name, f"{name}{equals}{value}"))
    params.sort(key=lambda pair: pair[0])
    return "&".join(text for _, text in params)


def _is_tracking(name: str) -> bool:
    lowered = _percent_decode(name).decode("utf-8", "replace").lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)
