"""``skillcard serve`` and ``skillcard demo``: the web app and API."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
from typing import Annotated, Any, NoReturn

import typer

from skillcard.cli.common import console, err_console
from skillcard.config import DEFAULT_SECRET, get_settings
from skillcard.errors import InvalidInput

DEMO_CROWD = 2000
Host = Annotated[str, typer.Option("--host", help="Address to listen on")]
Port = Annotated[int, typer.Option("--port", help="Port to listen on")]


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Server processes sharing one database")
    ] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="A line per request on the console (off when a proxy in front logs them)",
        ),
    ] = True,
) -> None:
    """Serve the web app and API. Every process is stateless: add more with --workers."""
    import uvicorn

    from skillcard.cli.common import database
    from skillcard.web.workers import serve_workers

    settings = get_settings()
    refuse_unsafe_settings(settings)
    refuse_a_taken_port(host, port)
    database()  # a database that is missing or behind stops here, in one line
    settings = _links_follow_the_port(host, port)
    options: dict[str, Any] = {
        "factory": True, "proxy_headers": True, "log_level": "info", "access_log": access_log,
    }  # fmt: skip
    app = "skillcard.web.app:create_served_app"
    scheduler = _start_scheduler(settings)
    try:
        if workers <= 1:
            # uvicorn shuts down gracefully on SIGTERM, then raises it again: end as on
            # Ctrl+C (scheduler stopped, exit 0) instead of being killed by it.
            signal.signal(signal.SIGTERM, _stop)
            uvicorn.run(app, host=host, port=port, **options)
        else:
            try:
                failed = serve_workers(app, host=host, port=port, workers=workers, **options)
            except OSError as error:  # taken since refuse_a_taken_port looked
                _cannot_listen(host, port, error)
            if failed:
                raise typer.Exit(1)
    finally:
        if scheduler is not None:
            scheduler.stop()


def _stop(_signum, _frame) -> NoReturn:
    raise SystemExit(0)


def refuse_a_taken_port(host: str, port: int) -> None:
    """Stop (exit 2) before loading anything if ``host:port`` cannot be listened on."""
    from skillcard.web.workers import check_address

    try:
        check_address(host, port)
    except OSError as error:  # the address is taken, or not this machine's
        _cannot_listen(host, port, error)


def _cannot_listen(host: str, port: int, error: OSError) -> NoReturn:
    err_console.print(
        f"[bold red]Cannot listen on {host}:{port}:[/] {error.strerror or error}. "
        "Is skillcard (or another server) already running there? "
        "Choose another port with --port (make demo PORT=8017).",
        soft_wrap=True,
    )
    raise typer.Exit(2)


def _links_follow_the_port(host: str, port: int):
    """Links in e-mails point at the address served, unless SKILLCARD_PUBLIC_URL says where
    people reach it (a proxy in front). Set in the environment, so every worker sees it."""
    if "SKILLCARD_PUBLIC_URL" not in os.environ:
        shown = "localhost" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        os.environ["SKILLCARD_PUBLIC_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    return get_settings()


def refuse_unsafe_settings(settings) -> None:
    """Outside development, name every unsafe setting and stop (exit 2) before serving."""
    problems = settings.unsafe_for_production()
    if problems:
        err_console.print(
            f"[bold red]Refusing to serve[/] with SKILLCARD_ENVIRONMENT={settings.environment}:"
        )
        for problem in problems:
            err_console.print(f"  - {problem}", markup=False, highlight=False)
        err_console.print("Fix these settings, or run with SKILLCARD_ENVIRONMENT=development.")
        raise typer.Exit(2)


def _start_scheduler(settings):
    """Business Check's daily expiry alerts, the daily purge of old bulk check results,
    sending the outbox when SMTP is set, and the audit chain's checkpoints: one thread in this
    (parent) process, whatever the number of workers. Always started: the purge is not
    optional (results name people)."""
    from skillcard.cli.common import uow
    from skillcard.services import webhooks
    from skillcard.services.alerts_schedule import Scheduler

    scheduler = Scheduler(
        uow,
        public_url=settings.public_url,
        hour=settings.alerts_hour_utc,
        alerts=settings.alerts_daily,
        bulk_folder=settings.files_dir / "bulk",
        bulk_result_days=settings.bulk_result_days,
        mailer=settings.mailer(),
        checkpoint_every=settings.audit_checkpoint_minutes * 60 or None,
        post=webhooks.default_poster(settings),
        retries=webhooks.retries_of(settings),
    )
    scheduler.start()
    return scheduler


def _generate_demo_secret(settings):
    """The demo's own master secret, kept in a file beside its database and said out loud."""
    settings.secret_file.write_text(secrets.token_urlsafe(48) + "\n")
    settings.secret_file.chmod(0o600)
    get_settings.cache_clear()
    console.print(
        f"Generated a secret key for this demo in [bold]{settings.secret_file}[/]: it seals the "
        "signing keys. Outside development, set SKILLCARD_SECRET_KEY instead."
    )
    return get_settings()


def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Load the demo data, then stop")
    ] = False,
) -> None:
    """Load demo data into the database (./skillcard.db unless SKILLCARD_DATABASE_URL says)
    and serve it, on port 8000 unless --port says."""
    from skillcard.cli.common import uow
    from skillcard.cli.db import prepare_database
    from skillcard.services.demo import DEMO_LOGINS, load_demo

    settings = get_settings()
    if not settings.is_development:
        raise InvalidInput(
            f"the demo runs only with SKILLCARD_ENVIRONMENT=development (it is "
            f"{settings.environment}): `skillcard serve` serves a real registry"
        )
    if not no_serve:
        refuse_a_taken_port(host, port)
    if settings.secret_key == DEFAULT_SECRET:
        settings = _generate_demo_secret(settings)
    prepare_database()
    if load_demo(uow_factory=uow):
        from skillcard.services.seed import seed_registry

        crowd = seed_registry(
            uow=uow(), cards=DEMO_CROWD, schemes=38, seed=7, today=dt.date.today()
        )
        console.print(
            f"[bold]Demo data loaded:[/] named cardholders in every card state, and "
            f"{crowd.cards:,} synthetic cards across 38 schemes."
        )
    else:
        console.print("[bold]Demo data[/] was already loaded.")
    console.print("\n[bold]Sign in with any of these (demo only):[/]")
    for role, email, password in DEMO_LOGINS:
        console.print(f"  {role:<17} {email:<34} password: {password}")
    if no_serve:
        return
    console.print(
        f"\nServing on [bold]http://{host}:{port}[/] (API docs at /api/docs). Ctrl+C stops.\n"
    )
    os.environ.setdefault("SKILLCARD_DATABASE_URL", settings.database_url)
    serve(host=host, port=port, workers=1)
