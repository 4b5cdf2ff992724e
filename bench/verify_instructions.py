"""Instructions per offline verification, counted by valgrind: skillcard's full path against
the bare P-256 verification inside it.

    .venv/bin/python bench/verify_instructions.py [--runs 500]

``bench/verify.py`` times the two; this counts the machine instructions each executes
(``valgrind --tool=callgrind``), which do not depend on what else the machine is doing or on
how fast it is. Each side runs ``--runs`` and three times ``--runs`` verifications of
``verify.py``'s credential in a child process under valgrind; the difference, divided by the
extra runs, is one verification's count without the interpreter's start-up.

The ratio of the two counts is the most ``verify.py``'s ratio could be if every instruction
took the same time. It does not: the signature's arithmetic runs several instructions per
cycle, the interpreter's stages fewer, so the timed ratio comes out lower. A third count is
the domain's part alone (``claims_from_map`` and ``decide`` on decoded claims: the rules,
pure Python by design: docs/architecture.md), with the ratio there would be if nothing
else cost anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys

VALGRIND = shutil.which("valgrind")


def child(side: str, runs: int) -> None:
    """Verify ``runs`` times (the process valgrind counts)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from verify import NOW, realistic_claims  # bench/verify.py, beside this file

    from skillcard.adapters import cose, keys
    from skillcard.domain.credentials import claims_from_map, decide
    from skillcard.domain.trust import StatusList, TrustedKey
    from skillcard.services.credentials.verification import (
        VerifierBundle,
        cose_from_text,
        issue_credential,
        verify,
    )

    signing_key = keys.generate_private_key()
    kid = keys.key_id(signing_key)
    trusted = TrustedKey(kid, "ECS", keys.public_key_bytes(signing_key), NOW - dt.timedelta(700))
    statuses = StatusList.build(scheme="ECS", issued=NOW - dt.timedelta(hours=2), revoked=[7])
    bundle = VerifierBundle([trusted], [statuses])
    text = issue_credential(realistic_claims(), signing_key, kid, now=NOW - dt.timedelta(days=9))
    message = cose.decode(cose_from_text(text))
    der = cose.der_signature(message.signature)
    signed = cose.sig_structure(message.protected, message.payload)
    public_key, algorithm = keys.load_public_key(trusted.public_key), ec.ECDSA(hashes.SHA256())
    if side == "bare":
        for _ in range(runs):
            public_key.verify(der, signed, algorithm)
    elif side == "domain":
        claims_map = cose.loads(message.payload)
        for _ in range(runs):
            decide(claims_from_map(claims_map), trusted, statuses, NOW)
    else:
        for _ in range(runs):
            verify(text, bundle, NOW)


def count(side: str, runs: int) -> int:
    """The instructions valgrind counted in a child that verified ``runs`` times."""
    command = [VALGRIND, "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--child", side, "--runs", str(runs)]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--child", choices=("bare", "full", "domain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return
    if VALGRIND is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    per = {}
    for side in ("bare", "full", "domain"):
        extra = count(side, 3 * args.runs) - count(side, args.runs)
        per[side] = extra / (2 * args.runs)
    bare, full, domain = per["bare"], per["full"], per["domain"]
    print(f"skillcard verification instructions, {dt.date.today()}, Python "
          f"{sys.version.split()[0]}, {args.runs:,} and {3 * args.runs:,} runs a side")  # fmt: skip
    print(f"bare P-256 verify:                 {bare:10,.0f} instructions")
    print(f"skillcard verify (text -> result): {full:10,.0f} instructions")
    print(f"beyond the signature check:        {full - bare:10,.0f} instructions")
    print(f"  of which the domain's rules:     {domain:10,.0f} instructions")
    print(f"ratio of the counts: {bare / full:.3f}; with only the domain's rules beyond the "
          f"signature: {bare / (bare + domain):.3f}")  # fmt: skip
    print("  verify.py's timed ratio reaches this only if the interpreter ran as many")
    print("  instructions a cycle as the signature's arithmetic")


if __name__ == "__main__":
    main()
