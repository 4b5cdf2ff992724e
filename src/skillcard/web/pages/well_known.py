"""Where any verifier finds the issuers' keys (see
:mod:`skillcard.services.credentials.open_credentials`):
the JWKS, the ``did:web`` documents and the SD-JWT VC issuer metadata. Public and cacheable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from skillcard.services.credentials import open_credentials
from skillcard.web.api.trust import _cached_json
from skillcard.web.deps import Uows

router = APIRouter()


def _public_url(request: Request) -> str:
    return request.app.state.settings.public_url


@router.get("/.well-known/jwks.json", response_class=Response)
def jwks(request: Request, uows: Uows):
    return _cached_json(request, open_credentials.jwks(uow=uows()))


@router.get("/.well-known/did.json", response_class=Response)
def hub_did_document(request: Request, uows: Uows):
    return _cached_json(
        request, open_credentials.did_document(uow=uows(), public_url=_public_url(request))
    )


@router.get("/schemes/{scheme}/did.json", response_class=Response)
def scheme_did_document(scheme: str, request: Request, uows: Uows):
    document = open_credentials.did_document(
        uow=uows(), public_url=_public_url(request), scheme_code=scheme
    )
    return _cached_json(request, document)


@router.get("/.well-known/jwt-vc-issuer/schemes/{scheme}", response_class=Response)
def scheme_issuer_metadata(scheme: str, request: Request, uows: Uows):
    metadata = open_credentials.issuer_metadata(
        uow=uows(), public_url=_public_url(request), scheme_code=scheme
    )
    return _cached_json(request, metadata)
