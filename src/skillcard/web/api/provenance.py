"""Where cards came from, and revocation by provenance (issue 17 item 4).

- ``GET  /cards/{number}/sources``: the sources of a card (its scheme's admins);
- ``POST /schemes/{scheme}/revocations/preview``: how many cards of a source, and whose;
- ``POST /schemes/{scheme}/revocations``: revoke them all, with a reason, in one step.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from skillcard.domain.provenance import Source
from skillcard.services.registry import provenance
from skillcard.web.api.schemas import ERRORS
from skillcard.web.deps import ApiWho, SettingsDep, Uows

router = APIRouter(tags=["provenance"], responses=ERRORS)
SchemePath = Annotated[str, Path(max_length=20, description="scheme code, e.g. ECS")]


class SourcePublic(BaseModel):
    kind: str = Field(
        max_length=40, description="assessment, test_centre, training_provider or import"
    )
    reference: str = Field(max_length=100, description="e.g. a test centre's code, TC-0042")
    name: str = Field("", max_length=200, description="the name people know it by")

    @classmethod
    def of(cls, source: Source) -> SourcePublic:
        return cls(kind=source.kind.value, reference=source.reference, name=source.name)


class SourceAsked(BaseModel):
    kind: str = Field(max_length=40)
    reference: str = Field(max_length=100)


class RevocationAsked(SourceAsked):
    reason: str = Field(max_length=500, description="why: it goes to the audit log and holders")


class SampleCard(BaseModel):
    number: str
    holder_name: str
    status: str


class PreviewPublic(BaseModel):
    scheme: str
    source: SourcePublic
    count: int = Field(description="active or suspended cards of the scheme from this source")
    sample: list[SampleCard] = Field(description="the first few, by card number")


class RevocationPublic(BaseModel):
    scheme: str
    source: SourcePublic
    revoked: int
    card_numbers_sha256: str = Field(description="SHA-256 of the sorted numbers, one a line")
    holders_told: int
    businesses_told: int


@router.get("/cards/{number}/sources", response_model=list[SourcePublic])
def sources(
    number: str,
    who: ApiWho,
    uows: Uows,
    scheme: Annotated[str | None, Query(max_length=20)] = None,
):
    """Where a card came from: the assessment, test centre, training provider or import."""
    found = provenance.card_sources(
        uow=uows(read_only=True), who=who, number=number, scheme_code=scheme
    )
    return [SourcePublic.of(s) for s in found]


@router.post("/schemes/{scheme}/revocations/preview", response_model=PreviewPublic)
def preview(scheme: SchemePath, body: SourceAsked, who: ApiWho, uows: Uows):
    """What revoking every card of a source would do; changes nothing."""
    seen = provenance.preview(
        uow=uows(read_only=True),
        who=who,
        scheme_code=scheme,
        kind=body.kind,
        reference=body.reference,
    )
    return PreviewPublic(
        scheme=seen.scheme_code,
        source=SourcePublic.of(seen.source),
        count=seen.count,
        sample=[
            SampleCard(number=c.number, holder_name=c.holder_name, status=c.status.value)
            for c in seen.sample
        ],
    )


@router.post("/schemes/{scheme}/revocations", response_model=RevocationPublic)
def revoke(
    scheme: SchemePath, body: RevocationAsked, who: ApiWho, uows: Uows, settings: SettingsDep
):
    """Revoke every active or suspended card of the scheme that came through the source, in
    one audited step; holders and the businesses holding the cards are e-mailed."""
    done = provenance.revoke_by_provenance(
        uow=uows(),
        who=who,
        scheme_code=scheme,
        kind=body.kind,
        reference=body.reference,
        reason=body.reason,
        public_url=settings.public_url,
    )
    return RevocationPublic(
        scheme=done.scheme_code,
        source=SourcePublic.of(done.source),
        revoked=done.count,
        card_numbers_sha256=done.digest,
        holders_told=done.holders_told,
        businesses_told=done.businesses_told,
    )
