"""Offline verification benchmark: skillcard's full path against a bare P-256 verification.

    .venv/bin/python bench/verify.py [--seconds 1] [--rounds 7]

For one realistic printed credential (a long accented name, three qualifications, a portrait
hash), prints verifications per second of ``verify(text, bundle, now)`` (QR text to result:
prefix, Base45, zlib, COSE, ES256, claims, status look-up, decision) and of a bare
``public_key.verify(der_signature, sig_structure, ECDSA(SHA256()))`` over the same signed bytes,
then their ratio (the figure to reach is 0.85 or more). The two are measured in alternating
rounds in the same process, and each rate is its best round, so a noisy neighbour on the
machine slows both rather than one. Last, each stage on its own, to show where the time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from skillcard.adapters import base45, cose, keys
from skillcard.domain.credentials import (
    CardClaims,
    claims_from_map,
    decide,
)
from skillcard.domain.trust import (
    StatusList,
    TrustedKey,
)
from skillcard.services.credentials.verification import (
    PREFIX,
    VerifierBundle,
    cose_from_text,
    issue_credential,
    verify,
)

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
GOAL = 0.85


def realistic_claims() -> CardClaims:
    return CardClaims(
        scheme="ECS",
        number="ECS12345678",
        card_type_code="GOLD-IE",
        card_type_title="Installation Electrician",
        holder_name="Siobhán Ní Bhriain-Ó Ceallaigh Müller",
        occupation="Installation Electrician",
        qualifications=(
            "Level 3 NVQ Diploma in Electrotechnical Services",
            "AM2 Assessment of Competence",
            "BS 7671:2018+A2:2022 Wiring Regulations",
        ),
        portrait_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        issued=dt.date(2024, 3, 1),
        expires=dt.date(2027, 2, 28),
        status_index=98_765,
    )


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second over about ``seconds``, in batches so the clock costs nothing."""
    batch, done, started = 200, 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(batch):
            call()
        done += batch
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per round and side")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    signing_key = keys.generate_private_key()
    kid = keys.key_id(signing_key)
    trusted = TrustedKey(kid, "ECS", keys.public_key_bytes(signing_key), NOW - dt.timedelta(700))
    statuses = StatusList.build(scheme="ECS", issued=NOW - dt.timedelta(hours=2), revoked=[7, 99])
    bundle = VerifierBundle([trusted], [statuses])
    text = issue_credential(realistic_claims(), signing_key, kid, now=NOW - dt.timedelta(days=9))
    assert verify(text, bundle, NOW).valid

    message = cose.decode(cose_from_text(text))
    der = cose.der_signature(message.signature)
    to_be_signed = cose.sig_structure(message.protected, message.payload)
    public_key, algorithm = keys.load_public_key(trusted.public_key), ec.ECDSA(hashes.SHA256())
    public_key.verify(der, to_be_signed, algorithm)

    deflated = base45.decode(text[len(PREFIX) :])[0] == 0x78
    print(f"skillcard offline verification benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, cryptography {cryptography.__version__}, "
          f"{platform.machine()}")  # fmt: skip
    print(f"credential: {len(text)} characters of QR text, {len(message.payload)} bytes of "
          f"claims, {'deflated' if deflated else 'not deflated'}")  # fmt: skip

    full_rates, bare_rates = [], []
    for _ in range(args.rounds):
        bare_rates.append(
            rate(lambda: public_key.verify(der, to_be_signed, algorithm), args.seconds)
        )
        full_rates.append(rate(lambda: verify(text, bundle, NOW), args.seconds))
    full, bare = max(full_rates), max(bare_rates)
    print(f"skillcard verify (text -> result): {full:10,.0f} /s   {1e6 / full:6.1f} µs each")
    print(f"bare P-256 verify:                 {bare:10,.0f} /s   {1e6 / bare:6.1f} µs each")
    verdict = "met" if full / bare >= GOAL else "NOT met"
    print(f"ratio: {full / bare:.3f}  (goal >= {GOAL}: {verdict})")
    print(f"cost beyond the signature check: {1e6 / full - 1e6 / bare:.1f} µs per verification")
    print_stages(text, message, trusted, statuses, args.seconds / 4)


def print_stages(text: str, message: cose.Sign1, trusted: TrustedKey, statuses, seconds) -> None:
    """Each stage on its own (warm caches, so they add up to less than the whole)."""
    cose_bytes = cose_from_text(text)
    claims_map = cose.loads(message.payload)
    claims = claims_from_map(claims_map)
    stages = {
        "prefix, Base45, inflate": lambda: cose_from_text(text),
        "COSE_Sign1 parse": lambda: cose.decode(cose_bytes),
        "Sig_structure + DER": lambda: (
            cose.sig_structure(message.protected, message.payload),
            cose.der_signature(message.signature),
        ),
        "claims CBOR (cbor2)": lambda: cose.loads(message.payload),
        "claims checks": lambda: claims_from_map(claims_map),
        "decision + status look-up": lambda: decide(claims, trusted, statuses, NOW),
    }
    print("stages alone:")
    for name, call in stages.items():
        print(f"  {name:28} {1e6 / rate(call, seconds):5.1f} µs")


if __name__ == "__main__":
    main()
