"""CPU time of processes from /proc (Linux): where a benchmark's CPU went.

    meter = CpuMeter({"workers": server.workers, "PostgreSQL": lambda: named("postgres")})
    ...  # the load
    meter.used()  # {"workers": 18.4, "PostgreSQL": 7.1}: CPU seconds each group used

A group is a callable that lists its processes; it is asked at the start and again at the
end, so a process that started in between (a database connection made during the load)
counts whole. One that ended in between takes its CPU with it: the servers measured here
keep their connections, so their backends live through a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, all its threads, so far; 0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name, in brackets, may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICK


def stolen_seconds() -> float:
    """CPU time the hypervisor gave to other machines so far, all cores (``steal`` in
    /proc/stat): on a shared host, time in which nothing here could run."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / TICK if len(fields) > 8 else 0.0


def named(command: str) -> list[int]:
    """The processes whose command name is ``command`` (``postgres``: server and backends)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == command:
                found.append(int(entry.name))
        except OSError:
            continue  # ended while we looked
    return found


class CpuMeter:
    """The CPU that groups of processes use from the meter's making to :meth:`used`."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self._groups = groups
        self._before = {
            name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in groups.items()
        }
        self._stolen = stolen_seconds()

    def stolen(self) -> float:
        """CPU seconds the host took away since the meter was made (see stolen_seconds)."""
        return stolen_seconds() - self._stolen

    def used(self) -> dict[str, float]:
        used = {}
        for name, pids in self._groups.items():
            before = self._before[name]
            now = {pid: cpu_seconds(pid) for pid in {*before, *pids()}}
            used[name] = sum(max(0.0, spent - before.get(pid, 0.0)) for pid, spent in now.items())
        return used
