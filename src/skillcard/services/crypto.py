"""The signing the services use, bound once to its adapters and seen through its ports
(:mod:`skillcard.services.ports.signing`): mypy checks that the adapters keep the promise."""

from __future__ import annotations

from skillcard.adapters import keys as _keys
from skillcard.adapters import signed_json as _signed_json
from skillcard.services.ports.signing import DocumentSigning, KeyCrypto

keys: KeyCrypto = _keys
documents: DocumentSigning = _signed_json
