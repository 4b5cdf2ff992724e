"""Demo data for MyCard, loaded by ``skillcard demo`` after the named people.

Ann gets an HSE pass, a year of CPD with evidence files, a declared qualification waiting for
the scheme, and a submitted application (so the ECS admin's queue at /admin/applications is
not empty); ECS's CPD audit for this year samples her (so the assessor's /assessor is not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from skillcard.adapters.evidence_store import EvidenceStore
from skillcard.adapters.photos import PhotoStore
from skillcard.domain.accounts import Principal, Role
from skillcard.domain.applications import draw_sample
from skillcard.domain.calendar import card_day
from skillcard.services.clock import utcnow
from skillcard.services.mycard import cpd, cpd_audit
from skillcard.services.registry import applications, qualifications
from skillcard.services.registry.eligibility_hse import record_hse_pass
from skillcard.services.unit_of_work import AbstractUnitOfWork, on_record

OPERATOR = Principal.operator()
# (days ago, kind, title, provider, hours, what was learned, evidence: None, "pdf" or "png")
ANN_CPD = [
    (
        12,
        "training_course",
        "EV charge point installation update",
        "Sample Training Ltd",
        "7",
        "Changes to PME earthing guidance for charge points",
        "pdf",
    ),
    (
        40,
        "toolbox_talk",
        "Working at height: ladders and steps",
        "Site team",
        "0.5",
        "Three points of contact; inspect before use",
        None,
    ),
    (
        75,
        "event_or_webinar",
        "BS 7671 amendment webinar",
        "Sample Institute",
        "1.5",
        "What the latest amendment changes in RCD protection",
        None,
    ),
    (
        120,
        "self_study",
        "Heat pump wiring diagrams",
        "",
        "3",
        "How heat pump controls are wired to the consumer unit",
        "png",
    ),
    (
        200,
        "site_induction",
        "Hospital site induction",
        "Sample Construction plc",
        "2",
        "Permit-to-work for live areas",
        None,
    ),
]


def _certificate_pdf(name: str, title: str) -> bytes:
    from fpdf import FPDF

    from skillcard.services.mycard.cpd_export import FONTS

    # A5 by its size in mm: fpdf2 warns about its named "A5" (changed in 2.8.5) on every use.
    pdf = FPDF(format=(148, 210), orientation="landscape")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 20)
    pdf.multi_cell(0, 12, f"Certificate of attendance (sample)\n\n{name}\n{title}")
    return bytes(pdf.output())


def _notes_png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for y in range(40, 300, 28):
        draw.line((20, y, 460, y), fill=(170, 190, 220), width=2)
    draw.text((24, 12), "Study notes (sample)", fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(
    *,
    uow_factory: Callable[[], AbstractUnitOfWork],
    holder_ids: dict[str, int],
    store: PhotoStore,
    public_url: str,
) -> None:
    """``holder_ids`` maps the demo people's given names (Ann, ...) to their cardholder ids;
    the CPD audit's letters link to ``public_url``."""
    ann_id = holder_ids["Ann"]
    evidence = EvidenceStore(store.files)
    now = utcnow()
    today = card_day(now)
    ann = Principal(label="ann@demo.skillcard.test", role=Role.CARDHOLDER, cardholder_id=ann_id)
    record_hse_pass(
        uow=uow_factory(),
        who=OPERATOR,
        cardholder_id=ann_id,
        passed_on=today - dt.timedelta(days=240),
    )
    for days, kind, title, provider, hours, learned, kind_of_file in ANN_CPD:
        files = []
        if kind_of_file == "pdf":
            files = [("attendance-certificate.pdf", _certificate_pdf("Ann Núñez-O'Brien", title))]
        elif kind_of_file == "png":
            files = [("study-notes.png", _notes_png())]
        cpd.record_cpd(
            uow=uow_factory(),
            who=ann,
            store=evidence,
            cardholder_id=ann_id,
            activity_on=today - dt.timedelta(days=days),
            activity_type=kind,
            title=title,
            provider=provider,
            hours=hours,
            learned=learned,
            reflection="I will use this on my next job.",
            files=files,
            now=now,
        )
    qualifications.declare_qualification(
        uow=uow_factory(),
        who=ann,
        store=evidence,
        qualification_code="SMSTS",
        achieved_on=today - dt.timedelta(days=400),
        certificate_number="SMSTS-0042-SAMPLE",
    )
    app_id = applications.start_application(
        uow=uow_factory(), who=ann, scheme_code="ECS", occupation_code="ELECTRICAL_SITE_MANAGER"
    )
    applications.add_application_evidence(
        uow=uow_factory(),
        who=ann,
        store=evidence,
        application_id=app_id,
        files=[("smsts-certificate.pdf", _certificate_pdf("Ann Núñez-O'Brien", "SMSTS"))],
    )
    applications.submit_application(uow=uow_factory(), who=ann, application_id=app_id)
    _sample_ecs_with_ann(uow_factory, ann_id, today.year, public_url)


def _sample_ecs_with_ann(
    uow_factory: Callable[[], AbstractUnitOfWork], ann_id: int, year: int, public_url: str
) -> None:
    """A real draw (5%, stored seed), with the first seed whose sample includes Ann, so the
    demo's assessor has her record to review."""
    with uow_factory() as uow:
        scheme = on_record(uow.schemes.by_code("ECS"), "the ECS scheme")
        population = uow.cpd_audits.active_holders(scheme.id)
    seed = next(s for s in range(1, 10_000) if ann_id in draw_sample(population, 5, s))
    cpd_audit.sample(
        uow=uow_factory(),
        who=OPERATOR,
        scheme_code="ECS",
        year=year,
        share_percent=5,
        seed=seed,
        public_url=public_url,
    )
