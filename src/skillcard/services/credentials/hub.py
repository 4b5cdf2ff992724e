"""The hub admin's view of the hub: the schemes and their cards, the signing keys, the trust
list, and the audit chain with its checkpoints (``GET /hub``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skillcard.domain.accounts import Principal, require
from skillcard.domain.audit_checkpoints import Checkpoint
from skillcard.services.audit import audit_checkpoints
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import signing, trust
from skillcard.services.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class SchemeLine:
    code: str
    name: str
    cards: int


@dataclass(frozen=True)
class HubOverview:
    schemes: list[SchemeLine]
    keys: list[signing.KeyView]
    trust_list_issued: dt.datetime
    trusted_keys: int
    audit_length: int
    audit_head: str
    last_checkpoint: Checkpoint | None


def overview(
    *, uow: AbstractUnitOfWork, who: Principal, now: dt.datetime | None = None
) -> HubOverview:
    """What the hub holds now. Keys missing for any scheme are made first (as the trust list
    would), so the page shows the keys a verifier is given."""
    require(who.is_hub_admin, "see the hub's overview")
    now = now or utcnow()
    document = trust.trust_list(uow=uow, now=now)
    keys = signing.list_keys(uow=uow, now=now)
    with uow:
        counts = uow.cards.counts_by_scheme()
        schemes = [SchemeLine(s.code, s.name, counts.get(s.id, 0)) for s in uow.schemes.list()]
        seq, head = uow.audit.head()
        last = uow.audit.last_checkpoint()
    return HubOverview(
        schemes=sorted(schemes, key=lambda s: s.code),
        keys=sorted(keys, key=lambda k: (k.scheme, k.valid_from)),
        trust_list_issued=dt.datetime.fromisoformat(document["issued"]),  # written zoned
        trusted_keys=len(document["keys"]),
        audit_length=seq,
        audit_head=head,
        last_checkpoint=last,
    )


def verify_audit(*, uow: AbstractUnitOfWork, who: Principal) -> audit_checkpoints.AuditCheck:
    """Every link of the audit chain and every stored checkpoint, checked now."""
    return audit_checkpoints.check_audit_log(uow=uow, who=who)
