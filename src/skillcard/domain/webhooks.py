"""Where a business's webhook may point, and how a failed delivery is tried again.

A webhook makes the hub call an address the business typed: pointed at ``127.0.0.1``, a
private network or a cloud's metadata service, it would turn the hub into the attacker's
proxy (server-side request forgery). So an address is allowed only if it is ``https`` and
every IP address its host stands for is public. Hosts are read the way resolvers read them:
``2130706433``, ``0x7f000001``, ``127.1`` and ``0177.0.0.1`` all mean 127.0.0.1, and an
IPv6 address may carry an IPv4 one inside it (``::ffff:127.0.0.1``, 6to4, NAT64), which is
judged in its own right.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import urllib.parse
from dataclasses import dataclass

from skillcard.domain.stored import UNSAVED
from skillcard.errors import InvalidInput

MAX_URL = 500
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges that ipaddress's own flags do not all catch on every Python 3.11 release.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "169.254.0.0/16",  # link-local, with the cloud metadata service at 169.254.169.254
        "192.0.0.0/24",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "fd00:ec2::/32",  # AWS's IPv6 metadata service (fd00:ec2::254)
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo: the IPv4 end inside is obfuscated, so never trusted
        "2002::/16",  # 6to4: judged by its embedded IPv4 below, never as itself
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_NAME = re.compile(r"^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$")


def embedded_ipv4(address: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4 or NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IP) -> bool:
    """True only for an address anyone on the internet reaches the same way."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public_address(inner)
    if any(address in network for network in _NOT_PUBLIC if network.version == address.version):
        return False
    flags = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(flags)


def _ipv4_part(text: str) -> int:
    if text.startswith("0x"):
        return int(text[2:] or "0", 16)
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8)
    return int(text)


def ipv4_spelling(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host names in any of the spellings resolvers accept (the URL
    standard's: one to four parts, each decimal, octal or hex), or None if it is a name."""
    parts = host.split(".")
    if not _NUMBER.match(parts[-1]):
        return None  # a name: its last label is not a number
    try:
        numbers = [_ipv4_part(p) for p in parts]
    except ValueError:
        raise InvalidInput(f"{host!r} is neither a name nor an IP address") from None
    if len(numbers) > 4 or any(n > 255 for n in numbers[:-1]):
        raise InvalidInput(f"{host!r} is neither a name nor an IP address")
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidInput(f"{host!r} is neither a name nor an IP address")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


@dataclass(frozen=True)
class WebhookAddress:
    """An ``https`` address taken apart: ``host`` lower-case, without trailing dots, in
    ASCII; ``ip`` when the host is an IP address."""

    url: str
    host: str
    port: int
    target: str  # path and query, sent in the request line
    ip: IP | None


def parse_webhook_url(url: str) -> WebhookAddress:
    """Read a typed webhook address; InvalidInput says what is wrong with it."""
    url = (url or "").strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"a webhook address is at most {MAX_URL} characters")
    if any(ord(c) < 33 or c == "\\" for c in url):
        raise InvalidInput("a webhook address has no spaces, control characters or backslashes")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # e.g. an unclosed [ around an IPv6 address
        raise InvalidInput("the webhook address could not be read") from None
    if parts.scheme.lower() != "https":
        raise InvalidInput("a webhook address must start with https:// (calls are encrypted)")
    if "@" in parts.netloc:
        raise InvalidInput("a webhook address carries no user name or password")
    try:
        port = 443 if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise InvalidInput("the webhook address's port is not a number from 1 to 65535")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidInput("the webhook address has no host name")
    ip: IP | None
    if ":" in host or "[" in parts.netloc:
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidInput(f"{host!r} is not an IPv6 address") from None
        if ip.scope_id:
            raise InvalidInput("a webhook address names no network interface")
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise InvalidInput(f"{host!r} is not a valid host name") from None
        if not _NAME.match(host):
            raise InvalidInput(f"{host!r} is not a valid host name")
        ip = ipv4_spelling(host)
    if ip is not None:
        host = str(ip)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookAddress(url=url, host=host, port=port, target=target, ip=ip)


# --- deliveries ------------------------------------------------------------------------------

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(eq=False)
class WebhookDelivery:
    """One signed body to post to a business's webhook (or, with ``scheme_id`` and no
    business, to a scheme's), tried until it is delivered or the attempts run out; what
    happened last is kept for the business to see."""

    business_id: int | None
    event: str
    body: str
    created_at: dt.datetime
    state: str = PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: dt.datetime | None = None
    scheme_id: int | None = None
    id: int = UNSAVED

    def delivered(self, now: dt.datetime, status: int) -> None:
        self.attempts += 1
        self.state, self.delivered_at, self.next_attempt_at = DELIVERED, now, None
        self.last_attempt_at, self.last_status, self.last_error = now, status, None

    def failed(
        self,
        now: dt.datetime,
        error: str,
        *,
        status: int | None,
        max_attempts: int,
        first_wait: dt.timedelta,
    ) -> None:
        """Record a failed attempt: tried again after ``first_wait``, doubling each time,
        until ``max_attempts`` have failed, then given up."""
        self.attempts += 1
        self.last_attempt_at, self.last_status, self.last_error = now, status, error[:500]
        if self.attempts >= max_attempts:
            self.state, self.next_attempt_at = FAILED, None
        else:
            self.next_attempt_at = now + first_wait * 2 ** (self.attempts - 1)
