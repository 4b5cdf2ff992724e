"""``skillcard serve`` and ``skillcard demo``: the web app and API."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import Annotated, NoReturn

import typer

from skillcard.cli.common import console, err_console
from skillcard.config import DEFAULT_SECRET, get_settings
from skillcard.errors import InvalidInput
from skillcard.services.clock import card_today

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
    with shared_metrics():  # before the app, and prometheus-client, is imported
        _serve(host, port, workers, access_log)


def _serve(host: str, port: int, workers: int, access_log: bool) -> None:
    from skillcard.cli.common import database
    from skillcard.web import server

    settings = get_settings()
    refuse_unsafe_settings(settings)
    refuse_a_taken_port(host, port)
    database()  # a database that is missing or behind stops here, in one line
    settings = _links_follow_the_port(host, port)
    # Alerts, purges, mail, webhooks and checkpoints are periodic jobs on the queue: run by
    # `skillcard worker` on PostgreSQL, in each serving process on SQLite (web/app.py).
    status = server.serve(host=host, port=port, workers=workers, access_log=access_log)
    if status:  # the workers could not boot (gunicorn said why), or the port was taken since
        raise typer.Exit(1)


@contextlib.contextmanager
def shared_metrics() -> Iterator[None]:
    """Every worker writes its metrics into files of one directory, and ``/metrics`` adds up
    every worker's, whichever one answers the scrape (prometheus-client's multiprocess mode,
    which reads ``PROMETHEUS_MULTIPROC_DIR`` when it is imported). A directory of our own, gone
    when the server stops, unless the operator (or a caller of ours) named one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    if "prometheus_client" in sys.modules:  # its metrics are made: too late to share them
        raise RuntimeError("prometheus_client was imported before the server set it up")
    made = tempfile.mkdtemp(prefix="skillcard-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(made, ignore_errors=True)


def refuse_a_taken_port(host: str, port: int) -> None:
    """Stop (exit 2) before loading anything if ``host:port`` cannot be listened on."""
    from skillcard.web.server import check_address

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
    with shared_metrics():  # loading the demo imports what the server's metrics are made of
        _demo(host, port, no_serve)


def _demo(host: str, port: int, no_serve: bool) -> None:
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
    from skillcard.adapters.photos import PhotoStore
    from skillcard.cli.common import engine, files, uow
    from skillcard.cli.db import prepare_database
    from skillcard.services.demo.demo import DEMO_LOGINS, load_demo

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
    if load_demo(uow_factory=uow, store=PhotoStore(files()), public_url=settings.public_url):
        from skillcard.services.demo.seed import seed_registry

        crowd = seed_registry(
            uow=SqlAlchemyUnitOfWork(engine(), secret_key=settings.secret_key),
            cards=DEMO_CROWD,
            schemes=38,
            seed=7,
            today=card_today(),
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
    # A demo starts nothing else: on PostgreSQL too, its jobs run inside the server.
    os.environ.setdefault("SKILLCARD_JOBS_IN_PROCESS", "true")
    get_settings.cache_clear()
    serve(host=host, port=port, workers=1)
