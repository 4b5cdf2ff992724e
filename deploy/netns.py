"""A small skillcard deployment on one machine, out of network namespaces (issue 16, item 5).

    sudo .venv/bin/python deploy/netns.py up [--cards 20000]    # build it, seed it, start it
    sudo .venv/bin/python deploy/netns.py down                  # stop and remove everything

Each host is a network namespace (``sc-...``) with one veth into the bridge ``sc-br0``
(10.83.0.0/24; the machine itself is 10.83.0.1 on it):

    sc-lb     10.83.0.2   HAProxy (Debian's package), deploy/haproxy.cfg, :8380 (stats :8381)
    sc-app1   10.83.0.21  skillcard serve :8300        sc-app2  10.83.0.22  the same
    sc-work1  10.83.0.31  skillcard worker             sc-work2 10.83.0.32  a spare worker host
    sc-db1    10.83.0.11  PostgreSQL primary :55401    sc-db2   10.83.0.12  its replica :55402
    sc-redis  10.83.0.13  Redis :8379, no persistence (rate counters only)

The primary and replica are made as the replica tests make theirs (tests/replica_support.py:
``initdb``, ``pg_basebackup -R -X stream``, run as ``postgres``), here listening on their
hosts' addresses. Every process's id is kept under STATE, so ``down`` (or
:meth:`Deployment.down`, which bench/deployment.py calls on its way out, failure or not) finds
and ends each one by its process group, then deletes the namespaces and the bridge.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replica_support import Cluster, ReplicaPair, _as_postgres, _bin, build_pair  # noqa: E402

STATE = Path("/tmp/skillcard-deploy-multihost")
# Server processes per application host: one per core, the README's rule (this machine's two).
# With one, the host left after the other was killed carried 500 checks/s on one interpreter
# and queued them for 13 s; with two, every second's p99 was back under 20 ms within 1 to 5 s.
APP_WORKERS = 2
BRIDGE, NETWORK, GATEWAY = "sc-br0", "10.83.0.0/24", "10.83.0.1"
HOSTS = {
    "sc-lb": "10.83.0.2",
    "sc-db1": "10.83.0.11",
    "sc-db2": "10.83.0.12",
    "sc-redis": "10.83.0.13",
    "sc-app1": "10.83.0.21",
    "sc-app2": "10.83.0.22",
    "sc-work1": "10.83.0.31",
    "sc-work2": "10.83.0.32",
}
APP_PORT, LB_PORT, REDIS_PORT = 8300, 8380, 8379
PRIMARY_PORT, REPLICA_PORT = 55401, 55402
APP_HOSTS = ("sc-app1", "sc-app2")
LB_URL = f"http://{HOSTS['sc-lb']}:{LB_PORT}"


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)


def network_up() -> None:
    """The bridge, and each host's namespace with its veth and address."""
    _ip("link", "add", BRIDGE, "type", "bridge")
    _ip("addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    _ip("link", "set", BRIDGE, "up")
    for name, address in HOSTS.items():
        outside = f"v{name}"  # at most 15 characters: "vsc-work1"
        _ip("netns", "add", name)
        for attempt in range(10):  # just after a `down`, the kernel may still be freeing it
            try:
                _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", name)
                break
            except subprocess.CalledProcessError:
                if attempt == 9:
                    raise
                time.sleep(0.5)
        _ip("link", "set", outside, "master", BRIDGE, "up")
        _ip("-n", name, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", name, "link", "set", "eth0", "up")
        _ip("-n", name, "link", "set", "lo", "up")


def network_down() -> None:
    for name in HOSTS:
        # the veth first, from this side: a namespace's deletion frees its devices a moment
        # later, and a quick `up` again found "vsc-app2" still there
        _ip("link", "del", f"v{name}", check=False)
        _ip("netns", "del", name, check=False)
    _ip("link", "del", BRIDGE, check=False)


class Deployment:
    """The running deployment: start, kill and stop its parts by name."""

    def __init__(self, state: Path = STATE) -> None:
        self.state = state
        base = state / "pg"
        self.pair = ReplicaPair(
            Cluster(
                base / "primary", PRIMARY_PORT, base / "primary.log", HOSTS["sc-db1"], "sc-db1"
            ),
            Cluster(
                base / "replica", REPLICA_PORT, base / "replica.log", HOSTS["sc-db2"], "sc-db2"
            ),
        )

    # -- building ---------------------------------------------------------------------------
    def up(self, *, cards: int = 20_000, app_workers: int = APP_WORKERS) -> None:
        if shutil.which("haproxy") is None:  # else the hosts wait two minutes for a dead one
            raise SystemExit("HAProxy is not installed: apt-get install haproxy (Debian's)")
        if self.state.exists():
            raise SystemExit(f"{self.state} exists: run `deploy/netns.py down` first")
        self.state.mkdir(parents=True)
        (self.state / "secret").write_text(secrets.token_urlsafe(48))
        network_up()
        say("network up: " + ", ".join(HOSTS))
        (self.state / "pg").mkdir()
        build_pair(
            self.state / "pg", primary=self.pair.primary, replica=self.pair.replica, trust=NETWORK
        )
        say(f"PostgreSQL primary {self.pair.primary.url} and replica {self.pair.replica.url}")
        seed(self.pair.primary.url, cards, (self.state / "secret").read_text())
        say(f"{cards:,} cards seeded")
        self.pair.caught_up()
        self.start(
            "redis",
            "sc-redis",
            [shutil.which("redis-server") or "redis-server", "--bind", HOSTS["sc-redis"],
             "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
             "--protected-mode", "no"],
        )  # fmt: skip
        for host in APP_HOSTS:
            self.start_app(host, workers=app_workers)
        self.start_worker("sc-work1")
        self.start("haproxy", "sc-lb", ["haproxy", "-db", "-f", str(ROOT / "deploy/haproxy.cfg")])
        self.wait_ready()
        say(f"HAProxy at {LB_URL} sees both application hosts up")

    def settings(self, host: str) -> dict[str, str]:
        """Every host's settings alike, but for its own folders."""
        own = self.state / host
        own.mkdir(exist_ok=True)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(own),
            "SKILLCARD_ENVIRONMENT": "production",
            "SKILLCARD_SECRET_KEY": (self.state / "secret").read_text(),
            "SKILLCARD_PUBLIC_URL": "https://skillcard.example",
            "SKILLCARD_DATABASE_URL": self.pair.primary.url,
            "SKILLCARD_READ_DATABASE_URL": self.pair.replica.url,
            "SKILLCARD_REDIS_URL": f"redis://{HOSTS['sc-redis']}:{REDIS_PORT}/0",
            "SKILLCARD_FILE_STORE": "database",
            "SKILLCARD_FILES_DIR": str(own / "files"),
            "SKILLCARD_CHECK_SPOOL": str(own / "check-spool.db"),
            "FORWARDED_ALLOW_IPS": HOSTS["sc-lb"],
            # One load generator's address is every check's: the anonymous limit would refuse it
            "SKILLCARD_CHECK_RATE_LIMIT_ANONYMOUS": "100000000",
            "SKILLCARD_BUSINESS_CHECKS_PER_MINUTE": "1000000",
            "SKILLCARD_BUSINESS_CHECKS_PER_DAY": "1000000000",
            "SKILLCARD_ALERTS_DAILY": "false",
            "SKILLCARD_AUDIT_CHECKPOINT_MINUTES": "0",
            "SKILLCARD_JOB_STALLED_SECONDS": "3",
        }

    def start(self, name: str, host: str, command: list[str], env: dict | None = None) -> int:
        """Start ``command`` in ``host``'s namespace, in a process group of its own (a host's
        death is that group's SIGKILL); its output goes to STATE/<name>.log."""
        log = (self.state / f"{name}.log").open("ab")
        process = subprocess.Popen(
            ["ip", "netns", "exec", host, *command],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.state,
        )  # fmt: skip
        (self.state / f"{name}.pid").write_text(str(process.pid))
        return process.pid

    def start_app(self, host: str, *, workers: int = 1) -> int:
        command = [
            str(ROOT / ".venv/bin/skillcard"), "serve", "--host", HOSTS[host],
            "--port", str(APP_PORT), "--workers", str(workers), "--no-access-log",
        ]  # fmt: skip
        return self.start(host, host, command, self.settings(host))

    def start_worker(self, host: str) -> int:
        command = [str(ROOT / ".venv/bin/skillcard"), "worker", "--concurrency", "2"]
        return self.start(host, host, command, self.settings(host))

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until HAProxy sees both application hosts up (its stats page says UP twice)."""
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                stats = httpx.get(f"http://{HOSTS['sc-lb']}:8381/;csv", timeout=2).text
                up = [line for line in stats.splitlines() if line.startswith("app_hosts,app")]
                if len(up) == len(APP_HOSTS) and all(",UP," in line for line in up):
                    return
            time.sleep(0.2)
        raise SystemExit(
            "the application hosts did not come up behind HAProxy: see " + str(self.state)
        )

    # -- faults -----------------------------------------------------------------------------
    def kill(self, name: str) -> None:
        """SIGKILL a part's whole process group: the host's processes die at once, mid-request."""
        pid = int((self.state / f"{name}.pid").read_text())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        (self.state / f"{name}.pid").unlink()

    def stop_primary(self) -> None:
        """Stop the primary as an operator (or a crash of its host) would: fast, no waiting."""
        self.pair.primary.stop("immediate")

    # -- taking down ------------------------------------------------------------------------
    def down(self) -> None:
        for pid_file in sorted(self.state.glob("*.pid")):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        for cluster in (self.pair.replica, self.pair.primary):
            if cluster.running():
                with contextlib.suppress(subprocess.CalledProcessError):
                    _as_postgres(_bin("pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop")
        network_down()
        shutil.rmtree(self.state, ignore_errors=True)


def say(text: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", flush=True)


def seed(url: str, cards: int, secret_key: str) -> None:
    """Schema, reference data and ``cards`` synthetic cards on the primary."""
    from skillcard.adapters.db.engine import make_engine
    from skillcard.adapters.db.migrate import upgrade
    from skillcard.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
    from skillcard.services.demo.seed import seed_registry
    from skillcard.services.registry.reference_data import (
        install_reference_data,
        read_reference_data,
    )

    engine = make_engine(url)
    try:
        upgrade(engine)
        with SqlAlchemyUnitOfWork(engine, secret_key=secret_key) as uow:
            install_reference_data(uow, read_reference_data())
            uow.commit()
        uow = SqlAlchemyUnitOfWork(engine, secret_key=secret_key)
        seed_registry(uow=uow, cards=cards, seed=7, today=dt.date.today())
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--app-workers", type=int, default=APP_WORKERS)
    args = parser.parse_args()
    deployment = Deployment()
    if args.action == "down":
        deployment.down()
        print("down: processes ended, namespaces and bridge deleted")
        return
    if STATE.exists():
        raise SystemExit(f"{STATE} exists: a deployment is up; `deploy/netns.py down` first")
    try:
        deployment.up(cards=args.cards, app_workers=args.app_workers)
    except BaseException:
        deployment.down()
        raise
    print(f"up: HAProxy at {LB_URL} (stats http://{HOSTS['sc-lb']}:8381/), logs in {STATE}")


if __name__ == "__main__":
    main()
