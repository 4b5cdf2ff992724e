"""A throwaway PostgreSQL primary and its streaming replica, for the tests of reads from a
replica (issue 16). Built in /tmp by ``initdb`` and ``pg_basebackup -R -X stream``, each on its
own free port and socket directory, run as the ``postgres`` user with its data directory
owned by it (mode 700), and stopped and deleted at the end of the session. The machine's own
cluster is never touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found[-1]:
        pytest.fail(f"PostgreSQL's {name} is needed for the replica tests (Debian: postgresql)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*args: str, netns: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    command = list(args)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    if netns is not None:  # a host of deploy/netns.py: run inside its network namespace
        command = ["ip", "netns", "exec", netns, *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


@dataclass
class Cluster:
    data: Path
    port: int
    log: Path
    host: str = "127.0.0.1"
    netns: str | None = None  # the network namespace it runs in (deploy/netns.py), or none

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/skillcard"

    def start(self) -> None:
        pg_ctl = _bin("pg_ctl")
        _as_postgres(
            pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "start", netns=self.netns
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@dataclass
class ReplicaPair:
    primary: Cluster
    replica: Cluster

    def caught_up(self, timeout: float = 30.0) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        primary, replica = sa.create_engine(self.primary.url), sa.create_engine(self.replica.url)
        try:
            with primary.connect() as connection:
                target = connection.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with replica.connect() as connection:
                    behind = connection.exec_driver_sql(
                        "SELECT pg_wal_lsn_diff(%(target)s::pg_lsn, pg_last_wal_replay_lsn())",
                        {"target": target},
                    ).scalar()
                if behind is not None and behind <= 0:
                    return
                time.sleep(0.05)
            raise AssertionError("the replica did not catch up with the primary")
        finally:
            primary.dispose()
            replica.dispose()


def build_pair(
    base: Path, *, primary: Cluster | None = None, replica: Cluster | None = None, trust: str = ""
) -> ReplicaPair:
    """Make, configure and start the primary, then copy it into the replica and start that.
    By default both on 127.0.0.1 and free ports; deploy/netns.py places them on hosts of its
    own (``trust``: the network whose clients and replicas are let in without a password)."""
    sockets = base / "sockets"
    sockets.mkdir()
    shutil.chown(base, "postgres", "postgres")
    shutil.chown(sockets, "postgres", "postgres")
    base.chmod(0o700)
    primary = primary or Cluster(base / "primary", _free_port(), base / "primary.log")
    replica = replica or Cluster(base / "replica", _free_port(), base / "replica.log")
    _as_postgres(
        _bin("initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--no-sync"
    )
    if trust:
        _append_as_postgres(
            primary.data / "pg_hba.conf",
            f"\nhost all all {trust} trust\nhost replication all {trust} trust\n",
        )
    settings = (
        f"\nport = {primary.port}\nlisten_addresses = '{primary.host}'\n"
        f"unix_socket_directories = '{sockets}'\nwal_level = replica\nmax_wal_senders = 4\n"
        "hot_standby = on\nfsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
        "max_connections = 60\n"
        # CREATE DATABASE waits for a checkpoint; spread over the default 4.5 minutes on a
        # busy machine it took 94 s: done at once here (a throwaway cluster)
        "checkpoint_completion_target = 0\n"
    )
    _append_as_postgres(primary.data / "postgresql.conf", settings)
    primary.start()
    _as_postgres(
        _bin("psql"), "-h", primary.host, "-p", str(primary.port), "-U", "postgres",
        "-c", "CREATE DATABASE skillcard", netns=primary.netns,
    )  # fmt: skip
    _as_postgres(
        _bin("pg_basebackup"), "-h", primary.host, "-p", str(primary.port), "-U", "postgres",
        "-D", str(replica.data), "-R", "-X", "stream", "--checkpoint=fast", netns=replica.netns,
    )  # fmt: skip
    _append_as_postgres(
        replica.data / "postgresql.conf",
        f"\nport = {replica.port}\nlisten_addresses = '{replica.host}'\n",
    )
    replica.start()
    return ReplicaPair(primary, replica)


def _append_as_postgres(path: Path, text: str) -> None:
    with path.open("a") as file:
        file.write(text)


@pytest.fixture(scope="session")
def replica_pair():
    """The session's primary and replica; left running (a test that stops the primary starts
    it again), stopped and deleted at the end."""
    base = Path(tempfile.mkdtemp(prefix="skillcard-replica-"))
    pair = None
    try:
        pair = build_pair(base)
        from skillcard.adapters.db.engine import make_engine
        from skillcard.adapters.db.migrate import upgrade

        engine = make_engine(pair.primary.url)
        upgrade(engine)
        engine.dispose()
        pair.caught_up()
        yield pair
    finally:
        for cluster in (pair.replica, pair.primary) if pair else ():
            if cluster.running():
                with contextlib.suppress(subprocess.CalledProcessError):
                    _as_postgres(_bin("pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)
