"""Pages of Business Check before anyone signs in: a business registers, its admin confirms
the address by the e-mailed link, and the people it invites accept their invitations.

Forms post back to their own page; a problem is shown above the form (an error summary
linking to the field), never as a bare error page, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from skillcard.services.business import business
from skillcard.web.abuse import limit_registrations
from skillcard.web.deps import AnonymousClient, Limiter, SettingsDep, Uows
from skillcard.web.pages.business_common import FIXABLE, Text
from skillcard.web.pages.business_common import page as _page
from skillcard.web.pages.business_common import problem as _problem
from skillcard.web.pages.forms import check_anonymous_form

router = APIRouter()  # included by pages/business.py, under /business


@router.get("/register")
def register_form(request: Request):
    return _page(request, "business_register.html")


@router.post("/register")
def register(
    request: Request,
    uows: Uows,
    settings: SettingsDep,
    limiter: Limiter,
    client: AnonymousClient,
    name: Text = "",
    company_number: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    admin_name: Text = "",
    email: Annotated[str, Form(max_length=254)] = "",
    password: Text = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_anonymous_form(request, csrf_token)
    form: dict[str, Any] = {
        "name": name,
        "company_number": company_number,
        "address": address,
        "admin_name": admin_name,
        "email": email,
    }
    missing = {f: f"Enter {label}" for f, label in _REQUIRED.items() if not form[f].strip()}
    if not password:
        missing["password"] = "Choose a password"
    if missing:
        return _page(request, "business_register.html", status=422, form=form, errors=missing)
    limit_registrations(request, limiter, client)
    try:
        business.register_business(
            uow=uows(),
            password=password,
            public_url=settings.public_url,
            passwords=request.app.state.passwords,
            **form,
        )
    except FIXABLE as error:
        field = _field_of(error.message)
        return _page(
            request, "business_register.html", status=422, form=form, errors=_problem(error, field)
        )
    return _page(
        request,
        "business_message.html",
        title="Check your e-mail",
        message=f"We have sent a link to {email.strip().lower()}. Open it to confirm the "
        "registration; then you can sign in.",
        outbox=settings.shows_outbox,
    )


_REQUIRED = {
    "name": "the business's name",
    "company_number": "the company registration number",
    "address": "the business's address",
    "admin_name": "your name",
    "email": "your e-mail address",
}


def _field_of(message: str) -> str:
    for word, field in (
        ("company", "company_number"),
        ("address", "address"),
        ("e-mail", "email"),
        ("password", "password"),
        ("name", "name"),
    ):
        if word in message:
            return field
    return "name"


@router.get("/confirm/{token}")
def confirm(request: Request, token: str, uows: Uows):
    try:
        email = business.confirm_registration(uow=uows(), token=token[:100])
    except FIXABLE as error:
        return _page(
            request,
            "business_message.html",
            status=error.http_status,
            title="That link did not work",
            message=error.message[:1].upper() + error.message[1:],
        )
    return _page(
        request,
        "business_message.html",
        title="Registration confirmed",
        message=f"Your business is registered. Sign in as {email} to add your workforce.",
        sign_in=True,
    )


@router.get("/invite/{token}")
def invite_form(request: Request, token: str):
    return _page(request, "business_invite.html", token=token[:100])


@router.post("/invite/{token}")
def accept_invite(
    request: Request,
    token: str,
    uows: Uows,
    password: Text = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_anonymous_form(request, csrf_token)
    try:
        email = business.accept_invitation(
            uow=uows(),
            token=token[:100],
            password=password,
            passwords=request.app.state.passwords,
        )
    except FIXABLE as error:
        return _page(
            request,
            "business_invite.html",
            status=422,
            token=token[:100],
            errors=_problem(error, "password"),
        )
    return _page(
        request,
        "business_message.html",
        title="Your password is set",
        message=f"Sign in as {email} to check cards.",
        sign_in=True,
    )
