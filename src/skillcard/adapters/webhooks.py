"""Posting a signed JSON body to a business's webhook, safely.

The host is resolved here, every address it resolves to must pass the address policy
(domain/webhooks.py: public addresses only), and the connection goes to the address that was
checked, with the name kept for the Host header, SNI and the certificate's check: a DNS
answer that changes between the check and the connection (a rebind) cannot send the call
elsewhere. ``https`` only, short timeouts, and a redirect is a failure, never followed.

Tests pass their own ``policy`` and ``context`` (a policy that allows 127.0.0.1, a context
that trusts their own certificate); production uses ``PUBLIC_ONLY`` and the system's CAs.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from skillcard.domain.business import webhook_signature
from skillcard.domain.webhooks import IP, is_public_address, parse_webhook_url
from skillcard.errors import InvalidInput

SIGNATURE_HEADER = "X-Skillcard-Signature"
AddressPolicy = Callable[[IP], bool]
PUBLIC_ONLY: AddressPolicy = is_public_address
Resolver = Callable[..., list]


_NOT_PUBLIC = "is not a public internet address: a webhook must be reachable from the internet"


class WebhookFailed(OSError):
    """A delivery that did not get a 2xx answer; ``status`` is the answer's, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 5.0


def checked_addresses(
    url: str,
    *,
    policy: AddressPolicy = PUBLIC_ONLY,
    resolve: Resolver = socket.getaddrinfo,
) -> tuple[str, int, str, list[IP]]:
    """(host, port, target, addresses) of a webhook address whose every address the policy
    allows; InvalidInput otherwise, saying why (shown when the business saves it)."""
    address = parse_webhook_url(url)
    if address.ip is not None:
        if not policy(address.ip):
            raise InvalidInput(f"{address.ip} {_NOT_PUBLIC}")
        return address.host, address.port, address.target, [address.ip]
    # A name that is not found and one that leads inside get the same answer, and the address
    # it leads to is never said: saving a webhook must not map the hub's own network.
    refused = InvalidInput(f"{address.host} could not be found, or {_NOT_PUBLIC}")
    try:
        answers = resolve(address.host, address.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise refused from None
    found: list[IP] = []
    for *_rest, sockaddr in answers:
        ip = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if ip not in found:
            found.append(ip)
    if not found or not all(policy(ip) for ip in found):
        raise refused
    return address.host, address.port, address.target, found


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to one IP address already checked, speaking to it as ``host``."""

    def __init__(self, host, port, *, ip, connect_timeout, read_timeout, context):
        super().__init__(host, port, timeout=read_timeout, context=context)
        self._ip, self._connect_timeout, self._tls = str(ip), connect_timeout, context

    def connect(self) -> None:
        raw = socket.create_connection((self._ip, self.port), timeout=self._connect_timeout)
        raw.settimeout(self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def post_signed(
    url: str,
    secret: str,
    body: bytes,
    *,
    policy: AddressPolicy = PUBLIC_ONLY,
    context: ssl.SSLContext | None = None,
    timeouts: Timeouts = Timeouts(),
    resolve: Resolver = socket.getaddrinfo,
) -> int:
    """POST ``body`` with its HMAC-SHA256 signature; the receiver's 2xx status. Raises
    InvalidInput if the address is not allowed (now), WebhookFailed (an OSError) if it was
    not delivered: refused, timed out, a TLS failure, a redirect or any non-2xx answer."""
    host, port, target, found = checked_addresses(url, policy=policy, resolve=resolve)
    connection = _PinnedHTTPS(
        host,
        port,
        ip=found[0],
        connect_timeout=timeouts.connect,
        read_timeout=timeouts.read,
        context=context or ssl.create_default_context(),
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "skillcard-alerts",
        SIGNATURE_HEADER: webhook_signature(secret, body),
    }
    try:
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        status = answer.status
        answer.read(1024)  # a little of the body, never all of it
    except (OSError, http.client.HTTPException) as error:
        raise WebhookFailed(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
    if 300 <= status < 400:
        raise WebhookFailed(f"HTTP {status} is a redirect, which is not followed", status)
    if not 200 <= status < 300:
        raise WebhookFailed(f"HTTP {status} is not a success (2xx)", status)
    return status
