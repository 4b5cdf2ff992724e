"""Outbound calls (issue 14): a business's webhook reaches only the public internet, over
https, at the address that was checked, never by a redirect; deliveries are retried with
backoff and the business sees how the last one went.

Deliveries go to a real HTTPS server on 127.0.0.1 (tests/webhook_receiver.py) through a
test-only policy that allows that one address; the production policy is proved to refuse it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcard.adapters.webhooks import (
    PUBLIC_ONLY,
    Timeouts,
    WebhookFailed,
    checked_addresses,
    post_signed,
)
from skillcard.config import Settings
from skillcard.domain.business import webhook_signature
from skillcard.domain.webhooks import DELIVERED, FAILED, PENDING, is_public_address
from skillcard.errors import InvalidInput
from skillcard.services.business import webhooks
from tests.e2e import conftest as e2e
from tests.e2e.conftest import bearer, page_csrf, sign_in
from tests.factories import PASSWORD
from tests.integration.test_business import register
from tests.webhook_receiver import Receiver

# The HTTP fixtures of tests/e2e (the real app on the parametrised database).
app, client, files_dir = e2e.app, e2e.client, e2e.files_dir

HOSTILE = [
    "https://2130706433/",
    "https://0x7f000001/",
    "https://127.1/",
    "https://0177.0.0.1/",
    "https://127.0.0.1./",
    "https://[::ffff:127.0.0.1]/",
    "https://[::1]/",
    "https://[::]/",
    "https://0.0.0.0/",
    "https://localhost./",
    "https://localhost/",
    "https://LOCALHOST:8443/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/",
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 around 169.254.169.254
]
NOT_HTTPS = ["http://example.com/", "ftp://example.com/", "example.com", "//example.com/"]


@pytest.fixture
def receiver(tmp_path):
    found = Receiver(tmp_path)
    yield found
    found.close()


@pytest.mark.parametrize("url", HOSTILE)
def test_every_spelling_of_a_private_address_is_refused(url):
    with pytest.raises(InvalidInput, match="not a public internet address"):
        checked_addresses(url)


@pytest.mark.parametrize("url", [*NOT_HTTPS, "https://user:pw@example.com/", "https://a b/"])
def test_only_plain_https_addresses_are_read(url):
    with pytest.raises(InvalidInput):
        checked_addresses(url, resolve=lambda *a, **k: pytest.fail("must not resolve"))


_NOT_PUBLIC_V4 = [
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "192.168.0.0/16")
]


def _spellings(address: ipaddress.IPv4Address) -> list[str]:
    """The ways resolvers accept to write one IPv4 address."""
    n, octets = int(address), address.packed
    return [
        str(n),
        hex(n),
        "0" + oct(n)[2:],
        f"{octets[0]}.{int.from_bytes(octets[1:])}",
        f"{octets[0]}.{octets[1]}.{int.from_bytes(octets[2:])}",
        ".".join(hex(o) for o in octets),
        ".".join("0" + oct(o)[2:] for o in octets),
        f"{address}.",
        f"[::ffff:{address}]",
        f"[64:ff9b::{address}]",
    ]


@settings(max_examples=60, deadline=None)
@given(network=st.sampled_from(_NOT_PUBLIC_V4), offset=st.integers(0, 2**22 - 1))
def test_no_spelling_of_a_private_ipv4_address_gets_through(network, offset):
    address = network[offset % network.num_addresses]
    for spelling in _spellings(address):
        with pytest.raises(InvalidInput, match="not a public internet address"):
            checked_addresses(f"https://{spelling}/hook", resolve=_no_dns)


def _no_dns(*_args, **_kw):
    raise AssertionError("an IP address is never looked up")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_any_typed_address_is_read_or_refused_with_a_message(text):
    for url in (text, f"https://{text}", f"https://[{text}]/"):
        with contextlib.suppress(InvalidInput):  # anything else (a crash) fails the test
            checked_addresses(url, resolve=_no_dns_allowed)


def _no_dns_allowed(*_args, **_kw):
    raise OSError("no DNS in this test")


def test_public_addresses_pass_the_rule_in_any_spelling():
    for text in ("8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"):
        assert is_public_address(ipaddress.ip_address(text)), text
    host, port, target, found = checked_addresses(
        "https://134744072:8443/a?b=1"  # 8.8.8.8 written as one number
    )
    assert (host, port, target, found) == ("8.8.8.8", 8443, "/a?b=1", [ip("8.8.8.8")])


def ip(text):
    return ipaddress.ip_address(text)


def _answers(*addresses):
    def resolve(host, port, **_):
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(family[ip(a).version], socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def test_a_name_is_refused_if_any_of_its_addresses_is_private():
    with pytest.raises(InvalidInput, match="not a public internet address") as refused:
        checked_addresses("https://hooks.example/", resolve=_answers("8.8.8.8", "10.1.2.3"))
    assert "10.1.2.3" not in refused.value.message  # the hub's own network is not mapped
    with pytest.raises(InvalidInput) as missing:
        checked_addresses("https://nowhere.example/", resolve=_no_dns_allowed)
    assert missing.value.message.replace("nowhere", "hooks") == refused.value.message
    assert checked_addresses("https://hooks.example./", resolve=_answers("8.8.8.8"))[0] == (
        "hooks.example"
    )


def test_the_strict_policy_refuses_the_local_receiver_and_sends_it_nothing(receiver):
    with pytest.raises(InvalidInput, match="not a public internet address"):
        post_signed(receiver.url(), "s", b"{}", context=receiver.client_context)
    with pytest.raises(InvalidInput):
        post_signed(receiver.url("localhost"), "s", b"{}", context=receiver.client_context)
    assert receiver.received == []
    assert PUBLIC_ONLY(ip("127.0.0.1")) is False


def test_a_delivery_is_signed_and_goes_to_the_address_that_was_checked(receiver):
    """The name is resolved once and the connection made to that address: a second answer
    (a DNS rebind) is never asked for. Host and SNI carry the name."""
    asked = []

    def rebinding(host, port, **kw):
        asked.append(host)
        first = len(asked) == 1
        return _answers("127.0.0.1" if first else "10.9.9.9")(host, port, **kw)

    body = b'{"alerts": []}'
    status = receiver.poster(resolve=rebinding)(receiver.url("hooks.example"), "s3cret", body)
    assert status == 204 and asked == ["hooks.example"]
    path, headers, received = receiver.received[0]
    assert (path, received) == ("/hook", body)
    assert headers["Host"] == f"hooks.example:{receiver.port}"
    assert headers["X-Skillcard-Signature"] == webhook_signature("s3cret", body)


def test_a_redirect_is_a_failure_and_is_not_followed(receiver):
    receiver.status = 302
    with pytest.raises(WebhookFailed, match="redirect") as failure:
        receiver.poster()(receiver.url(), "s", b"{}")
    assert failure.value.status == 302
    assert [path for path, _h, _b in receiver.received] == ["/hook"]  # /elsewhere never


def test_a_silent_receiver_times_out(receiver):
    receiver.silent = True
    with pytest.raises(WebhookFailed, match="timed out"):
        receiver.poster(timeouts=Timeouts(1.0, 0.3))(receiver.url(), "s", b"{}")


def test_a_certificate_not_for_the_name_is_refused(receiver):
    with pytest.raises(WebhookFailed, match=r"(?i)certificate|hostname"):
        receiver.poster(resolve=_answers("127.0.0.1"))(receiver.url("other.example"), "s", b"{}")
    assert receiver.received == []


# --- saving, and delivering with retries, on both databases ---------------------------------


@pytest.mark.parametrize("url", ["https://127.1/", "https://localhost./", "http://example.com/"])
def test_saving_refuses_a_private_or_plain_http_address(uow_factory, registry, url):
    business_id, admin = register(uow_factory)
    with pytest.raises(InvalidInput):
        webhooks.set_webhook(uow=uow_factory(), who=admin, url=url)
    with uow_factory() as uow:
        assert uow.businesses.get(business_id).webhook_url is None


def _queue(uow_factory, business_id, now):
    with uow_factory() as uow:
        webhooks.queue_delivery(
            uow, business_id=business_id, event="alerts.digest", payload={"n": 1}, now=now
        )
        uow.commit()


def test_failed_deliveries_back_off_then_give_up_and_the_business_sees_why(
    uow_factory, registry, receiver
):
    business_id, admin = register(uow_factory)
    webhooks.set_webhook(uow=uow_factory(), who=admin, url=receiver.url(), vet=receiver.vetter())
    retries = webhooks.Retries(max_attempts=3, first_wait=dt.timedelta(minutes=1))
    start = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    _queue(uow_factory, business_id, start)
    receiver.status = 500

    def deliver(at):
        return webhooks.deliver_due(uow_factory, receiver.poster(), retries=retries, now=at)

    first = deliver(start)
    assert first.delivered == 0 and "HTTP 500 is not a success" in first.failures[0]
    last = webhooks.webhook_status(uow=uow_factory(), who=admin).last
    assert (last.state, last.attempts, last.last_status) == (PENDING, 1, 500)
    assert last.next_attempt_at == start + dt.timedelta(minutes=1)
    assert deliver(start + dt.timedelta(seconds=30)).failures == []  # not due yet: not tried
    receiver.status = 301
    deliver(start + dt.timedelta(minutes=1))
    last = webhooks.webhook_status(uow=uow_factory(), who=admin).last
    assert (last.attempts, last.last_status) == (2, 301) and "redirect" in last.last_error
    assert last.next_attempt_at == start + dt.timedelta(minutes=3)  # twice the wait
    deliver(start + dt.timedelta(minutes=3))
    last = webhooks.webhook_status(uow=uow_factory(), who=admin).last
    assert (last.state, last.attempts, last.next_attempt_at) == (FAILED, 3, None)
    assert deliver(start + dt.timedelta(days=1)).failures == []  # given up: left alone
    assert len(receiver.received) == 3

    receiver.status = 200
    _queue(uow_factory, business_id, start)
    assert deliver(start + dt.timedelta(days=1)).delivered == 1
    last = webhooks.webhook_status(uow=uow_factory(), who=admin).last
    assert (last.state, last.last_status, last.last_error) == (DELIVERED, 200, None)
    assert json.loads(receiver.received[-1][2]) == {"n": 1}


def test_the_address_is_checked_again_at_delivery(uow_factory, registry, receiver):
    """Saved while it was allowed, then refused at delivery: nothing is sent, and the
    business is told why."""
    business_id, admin = register(uow_factory)
    webhooks.set_webhook(uow=uow_factory(), who=admin, url=receiver.url(), vet=receiver.vetter())
    now = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    _queue(uow_factory, business_id, now)
    strict = webhooks.default_poster(Settings(environment="test"))  # production's own
    run = webhooks.deliver_due(uow_factory, strict, now=now)
    assert run.delivered == 0 and "not a public internet address" in run.failures[0]
    assert receiver.received == []
    last = webhooks.webhook_status(uow=uow_factory(), who=admin).last
    assert last.state == PENDING and "127.0.0.1" in last.last_error


# --- the doors: API and page ------------------------------------------------------------


def test_the_api_refuses_private_addresses_and_shows_the_last_delivery(
    client, uow_factory, registry, receiver
):
    business_id, _admin = register(uow_factory)
    token = client.post(
        "/api/v1/tokens", json={"email": "boss@acme.test", "password": PASSWORD}
    ).json()["token"]
    for url in ("https://0x7f000001/", "https://[::ffff:127.0.0.1]/", "http://example.com/"):
        answer = client.put("/api/v1/business/webhook", json={"url": url}, headers=bearer(token))
        assert answer.status_code == 422, url
        assert answer.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/v1/business/webhook", headers=bearer(token)).json() == {
        "url": None,
        "last_delivery": None,
    }
    _admin_sets_receiver(uow_factory, receiver)
    receiver.status = 503
    now = dt.datetime.now(dt.UTC)
    _queue(uow_factory, business_id, now)
    webhooks.deliver_due(uow_factory, receiver.poster(), now=now)
    shown = client.get("/api/v1/business/webhook", headers=bearer(token)).json()
    assert shown["url"] == receiver.url()
    last = shown["last_delivery"]
    assert (last["state"], last["attempts"], last["last_status"]) == ("pending", 1, 503)
    assert last["last_error"] == "HTTP 503 is not a success (2xx)" and last["next_attempt_at"]


def _admin_sets_receiver(uow_factory, receiver):
    from skillcard.services.accounts import accounts

    admin = accounts.authenticate(uow=uow_factory(), email="boss@acme.test", password=PASSWORD)
    webhooks.set_webhook(uow=uow_factory(), who=admin, url=receiver.url(), vet=receiver.vetter())


def test_the_page_refuses_a_private_address_and_shows_delivery_failures(
    client, uow_factory, registry, receiver
):
    business_id, _admin = register(uow_factory)
    sign_in(client, "boss@acme.test")
    page = client.get("/business/webhook")
    assert page.status_code == 200 and "No address is set" in page.text
    refused = client.post(
        "/business/webhook",
        data={"url": "https://169.254.169.254/", "csrf_token": page_csrf(page.text)},
    )
    assert refused.status_code == 422
    assert "not a public internet address" in refused.text and "There is a problem" in refused.text
    _admin_sets_receiver(uow_factory, receiver)
    receiver.status = 404
    now = dt.datetime.now(dt.UTC)
    _queue(uow_factory, business_id, now)
    webhooks.deliver_due(uow_factory, receiver.poster(), now=now)
    shown = client.get("/business/webhook").text
    assert "HTTP 404 is not a success" in shown and "Next try" in shown
    cleared = client.post("/business/webhook", data={"url": "", "csrf_token": page_csrf(shown)})
    assert cleared.status_code == 200 and "no longer sent" in cleared.text
