"""Prometheus metrics: what every server process counts, and the hook other parts add to.

Counters and histograms are prometheus-client's, in its default registry; under ``skillcard
serve`` every worker writes them to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by the server
before the workers start) and a scrape adds up all the workers', whichever one answers it.

Another part adds its own metric in one of two ways:

- a value it counts as things happen: a prometheus-client ``Counter``/``Histogram``/``Gauge``
  defined at module level in its own module (name it ``skillcard_...``); a ``Gauge`` needs a
  ``multiprocess_mode`` (``"livesum"``, ``"max"``...) to be added up across workers;
- a value read when scraped (a replica's lag): :func:`on_scrape` with a function that
  returns it, asked once per scrape by the process that answers it; several labelled values
  read at once (the job queue's depth and failures): :func:`on_scrape_families`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "skillcard_http_requests_total",
    "HTTP requests answered, by method, route (its template) and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "skillcard_http_request_duration_seconds",
    "Time from a request's arrival to its answer's last byte, by route",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHECKS = Counter(
    "skillcard_checks_total",
    "Smart Checks answered, by door (api, page) and outcome (valid, expired, no_match...)",
    ["door", "outcome"],
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_probes: dict[str, tuple[str, Callable[[], float | None]]] = {}
_families: dict[str, Callable[[], Iterable[Metric]]] = {}


def on_scrape(name: str, description: str, read: Callable[[], float | None]) -> None:
    """Report ``read()`` as the gauge ``name`` at every scrape (``None``: not reported this
    time). Registering a name again replaces its function."""
    _probes[name] = (description, read)


def on_scrape_families(key: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Report the metric families ``collect()`` yields (prometheus-client's
    ``GaugeMetricFamily``, ``CounterMetricFamily``: labelled values read together) at every
    scrape. Registering a key again replaces its function."""
    _families[key] = collect


class _Probes:
    def collect(self):
        for key, collect in list(_families.items()):
            try:
                read = list(collect())
            except Exception:  # as below: the rest of the figures still go out
                log.exception("metrics %s could not be read", key)
                continue
            yield from read
        for name, (description, read) in list(_probes.items()):
            try:
                value = read()
            except Exception:  # a failing probe must not hide every other metric
                log.exception("metric %s could not be read", name)
                continue
            if value is not None:
                yield GaugeMetricFamily(name, description, value=value)


def scrape() -> bytes:
    """Every metric in Prometheus's text format: all the workers' when they share a
    directory, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    text = generate_latest(registry)
    probes = CollectorRegistry()
    probes.register(_Probes())
    return text + generate_latest(probes)
