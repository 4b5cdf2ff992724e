"""The SD-JWT and JWS decoders (adapters/sd_jwt.py, adapters/jose.py) on hostile text: whatever
comes in, the answer is a refusal with an outcome word, never another exception (issue 18)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcard.adapters import jose, sd_jwt
from skillcard.adapters.jose import JoseRefused

KEY = ec.generate_private_key(ec.SECP256R1())
NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
ISSUED = sd_jwt.issue({"kid": "k"}, {"iss": "x"}, {"a": 1, "b": [2]}, KEY)
OUTCOMES = {"malformed", "bad_signature", "unknown_issuer"}


def _key_for(header, payload):
    return KEY.public_key()


def _refused(text: str) -> str:
    with pytest.raises(JoseRefused) as refused:
        sd_jwt.verify(text, _key_for, NOW)
    assert refused.value.outcome in OUTCOMES
    return refused.value.outcome


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_refused_with_an_outcome_word(text):
    try:
        sd_jwt.verify(text, _key_for, NOW)
    except JoseRefused as refused:
        assert refused.outcome in OUTCOMES


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["~", ".", "e30", "W10", "eyJhbGciOiJFUzI1NiJ9", "=", "x"]),
                max_size=12))  # fmt: skip
def test_pieces_of_tokens_are_refused_with_an_outcome_word(parts):
    text = "".join(parts)
    try:
        sd_jwt.verify(text, _key_for, NOW)
    except JoseRefused as refused:
        assert refused.outcome in OUTCOMES


def test_what_is_issued_reads_back_and_only_chosen_claims_show():
    shown = sd_jwt.verify(ISSUED.present(["b"]), _key_for, NOW)
    assert shown.claims == {"iss": "x", "b": [2]} and not shown.key_bound
    assert sd_jwt.verify(ISSUED.whole, _key_for, NOW).claims["a"] == 1


def test_another_key_or_a_bare_jwt_is_refused():
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(JoseRefused) as refused:
        sd_jwt.verify(ISSUED.whole, lambda h, p: other.public_key(), NOW)
    assert refused.value.outcome == "bad_signature"
    assert _refused(ISSUED.jwt) == "malformed"  # no '~': not an SD-JWT
    assert _refused(ISSUED.whole + "é") == "malformed"


def test_a_key_binding_older_than_the_window_is_refused():
    holder = ec.generate_private_key(ec.SECP256R1())
    bound = sd_jwt.issue(
        {"kid": "k"}, {"iss": "x", "cnf": {"jwk": jose_jwk(holder)}}, {"a": 1}, KEY
    )
    shown = sd_jwt.key_binding(bound.whole, holder, NOW, "gate")
    assert sd_jwt.verify(shown, _key_for, NOW, audience="gate").key_bound
    later = NOW + dt.timedelta(minutes=6)
    with pytest.raises(JoseRefused) as refused:
        sd_jwt.verify(shown, _key_for, later, audience="gate")
    assert refused.value.outcome == "bad_signature"


def jose_jwk(private) -> dict:
    from skillcard.adapters.keys import public_key_jwk

    return {k: v for k, v in public_key_jwk(private).items() if k in ("kty", "crv", "x", "y")}


def test_the_header_decides_nothing_but_es256():
    for alg in ("none", "HS256", "RS256", "ES384", None):
        header = jose.b64(("{" + (f'"alg":"{alg}"' if alg else "") + "}").encode())
        with pytest.raises(JoseRefused) as refused:
            jose.unverified_header(f"{header}.e30.")
        assert refused.value.outcome == "bad_signature"
