"""Share links (:mod:`skillcard.services.mycard.share_links`): the holder's page to make and revoke
them (``/my/shares``), and the public page of each (``/shared/{token}``) with its credential.
The same page lets the holder download their card as an SD-JWT VC showing only the claims they
tick, and each achievement as an Open Badge, for a wallet or a CV.

The public page is the one page of a holder anyone may open; it is not indexed, and its answer
is never cached by a shared cache, so a revoked link stops showing at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skillcard.adapters.qr import qr_svg
from skillcard.errors import InvalidInput, SkillcardError
from skillcard.services.audit.audit import utcnow
from skillcard.services.credentials import card_sd_jwt, open_badges
from skillcard.services.mycard import share_links
from skillcard.services.registry import cardholders
from skillcard.web.deps import OptionalPageSession, PageSession, Uows
from skillcard.web.pages.forms import check_csrf
from skillcard.web.pages.mycard_common import (
    Csrf,
    download,
    form_page,
    holder_id,
    raise_for_error_page,
)
from skillcard.web.pages.rendering import render

router = APIRouter()
# The words for each claim a card's SD-JWT VC may disclose (card_sd_jwt.DISCLOSABLE).
CLAIM_WORDS = {
    "given_name": "Given names",
    "family_name": "Surname",
    "card_number": "Card number",
    "card_type": "Card type",
    "occupation": "Occupation",
    "qualifications": "Qualifications",
    "issue_date": "Issue date",
    "expiry_date": "Expiry date",
    "scheme_name": "Scheme",
}
_NO_INDEX = {"X-Robots-Tag": "noindex", "Cache-Control": "private, no-store"}


def _shares_page(request, who, csrf, uows, *, problem=None, field="", done=""):
    record = cardholders.cardholder_record(
        uow=uows(read_only=True), who=who, cardholder_id=holder_id(who)
    )
    return form_page(
        request,
        "my_shares.html",
        who,
        csrf,
        problem,
        cards=record.cards,
        achievements=open_badges.holder_achievements(uow=uows(read_only=True), who=who),
        shares=share_links.my_shares(uow=uows(read_only=True), who=who),
        public_url=request.app.state.settings.public_url.rstrip("/"),
        field=field,
        done=done,
        now=utcnow(),
        claims=CLAIM_WORDS,
        default_days=share_links.DEFAULT_DAYS,
        max_days=share_links.MAX_DAYS,
    )


@router.get("/my/shares")
def shares_page(request: Request, session: PageSession, uows: Uows, done: str = ""):
    who, csrf = session
    words = {"made": "Your share link was made.", "revoked": "The link was revoked."}
    return _shares_page(request, who, csrf, uows, done=words.get(done, ""))


@router.post("/my/shares")
def make_share(
    request: Request,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    what: Annotated[str, Form(max_length=80)] = "",
    days: Annotated[str, Form(max_length=6)] = "",
):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    kind, _, subject = what.partition(":")
    try:
        if not subject:
            raise InvalidInput("choose a card or an achievement to share", field="share-what")
        if not days.strip().isdigit():
            raise InvalidInput("give the number of days, like 90", field="share-days")
        share_links.create_share(
            uow=uows(), who=who, kind=kind, subject=subject, days=int(days.strip())
        )
    except SkillcardError as problem:
        raise_for_error_page(problem, (401, 403))
        field = "share-days" if problem.field == "days" or "days" in problem.message else ""
        return _shares_page(request, who, csrf, uows, problem=problem, field=field or "share-what")
    return RedirectResponse("/my/shares?done=made", status_code=303)


@router.post("/my/shares/{share_id}/revoke")
def revoke_share(share_id: int, session: PageSession, uows: Uows, csrf_token: Csrf = ""):
    who, csrf = session
    check_csrf(csrf, csrf_token)
    share_links.revoke_share(uow=uows(), who=who, share_id=share_id)
    return RedirectResponse("/my/shares?done=revoked", status_code=303)


@router.post("/my/cards/{number}/sd-jwt")
def download_card_sd_jwt(
    number: str,
    request: Request,
    session: PageSession,
    uows: Uows,
    csrf_token: Csrf = "",
    claim: Annotated[list[str] | None, Form(max_length=len(CLAIM_WORDS))] = None,
):
    """The holder's card as an SD-JWT VC disclosing the claims they ticked (none: none)."""
    who, csrf = session
    check_csrf(csrf, csrf_token)
    found = card_sd_jwt.export_card(
        uow=uows(),
        who=who,
        number=number[:40],
        public_url=request.app.state.settings.public_url,
        disclose=[c[:40] for c in claim or []],
    )
    return download(found.text, "application/dc+sd-jwt", f"card-{number[:40]}.sd-jwt")


@router.post("/my/achievements/{key}/badge")
def download_badge(
    key: str, request: Request, session: PageSession, uows: Uows, csrf_token: Csrf = ""
):
    """One of the holder's achievements as an Open Badge (VC-JWT)."""
    who, csrf = session
    check_csrf(csrf, csrf_token)
    found = open_badges.export_badge(
        uow=uows(), who=who, key=key[:40], public_url=request.app.state.settings.public_url
    )
    return download(found.credential, "application/vc+jwt", f"{found.achievement.key}.jwt")


@router.get("/shared/{token}")
def shared_page(token: str, request: Request, uows: Uows, session: OptionalPageSession):
    page = share_links.view_shared(
        uow=uows(), token=token[:64], public_url=request.app.state.settings.public_url
    )
    who, csrf = session if session else (None, "")
    answer = render(
        request,
        "shared.html",
        {"who": who, "csrf_token": csrf, "page": page, "qr": qr_svg(page.url, error="M")},
    )
    answer.headers.update(_NO_INDEX)
    return answer


@router.get("/shared/{token}/credential")
def shared_credential(token: str, request: Request, uows: Uows):
    text, media_type, filename = share_links.shared_credential(
        uow=uows(), token=token[:64], public_url=request.app.state.settings.public_url
    )
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **_NO_INDEX},
    )
