"""Metrics (Prometheus) and JSON-line logs for the services.

``Observed`` is a nameko dependency provider that times every worker and counts
refusals by their code; the reliable entrypoints count retries and dead
letters; the relay's lag and the log's head are read when Prometheus scrapes.
``JsonFormatter`` writes one JSON object per log line with the service and the
worker's correlation id, command or event type; messages must never carry
personal data, and the formatter adds none.
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from shared.errors import UnionError
from shared.group_commit import GroupCommit

COMMAND_SECONDS: Final = Histogram(
    "union_worker_seconds",
    "Time a command, query, reaction or timer took",
    ["service", "entrypoint", "outcome"],
)
REFUSED: Final = Counter(
    "union_commands_refused_total",
    "Commands and reactions refused, by error code",
    ["service", "code"],
)
RETRIES: Final = Counter(
    "union_handler_retries_total", "Messages sent to their retry queue", ["queue"]
)
DEAD_LETTERS: Final = Counter(
    "union_dead_letters_total", "Messages dead-lettered, by reason", ["queue", "reason"]
)
HEAD: Final = Gauge("union_log_head_position", "Position of the last event in the log", ["service"])
LAG: Final = Gauge("union_relay_lag_events", "Events recorded but not yet published", ["service"])
APPENDED: Final = Gauge(
    "union_events_appended", "Events in the log (the head position; it only grows)", ["service"]
)

APPEND_COMMITS: Final = Gauge(
    "union_append_commits",
    "Commits of appends made outside a caller's transaction, since the process started",
    ["service"],
)
APPEND_REQUESTS: Final = Gauge(
    "union_append_requests",
    "Appends those commits carried (more than commits when group commit combined them)",
    ["service"],
)

_context: ContextVar[dict[str, str] | None] = ContextVar("union_log_context", default=None)


class Observed(DependencyProvider):  # type: ignore[misc]
    """Times each worker and counts refusals; sets the log context for the worker."""

    def worker_setup(self, worker_ctx: Any) -> None:
        worker_ctx.data.setdefault("union.started", str(time.perf_counter()))
        _context.set(
            {
                "service": self.container.service_name,
                "entrypoint": worker_ctx.entrypoint.method_name,
                "correlation_id": str(worker_ctx.data.get("correlation_id") or worker_ctx.call_id),
            }
        )

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        service = self.container.service_name
        started = float(worker_ctx.data.get("union.started", time.perf_counter()))
        outcome = "ok"
        if exc_info is not None:
            exc = exc_info[1]
            outcome = exc.code if isinstance(exc, UnionError) else "error"
            if isinstance(exc, UnionError):
                REFUSED.labels(service, exc.code).inc()
        COMMAND_SECONDS.labels(service, worker_ctx.entrypoint.method_name, outcome).observe(
            time.perf_counter() - started
        )

    def worker_teardown(self, worker_ctx: Any) -> None:
        _context.set(None)

    def get_dependency(self, worker_ctx: Any) -> None:
        return None


def metrics_response(
    head: int, lag: int | None, service: str, group: GroupCommit
) -> tuple[int, dict[str, str], str]:
    """The body of ``GET /metrics``, with the gauges read now."""
    HEAD.labels(service).set(head)
    APPEND_COMMITS.labels(service).set(group.commits)
    APPEND_REQUESTS.labels(service).set(group.appends)
    APPENDED.labels(service).set(head)
    if lag is not None:
        LAG.labels(service).set(lag)
    return 200, {"Content-Type": CONTENT_TYPE_LATEST}, generate_latest().decode()


MESSAGE_FIELDS: Final = ("message_id", "source", "event_type", "stream_id", "position")
"""What a log line about one message names when it is known (``extra=`` of the call):
an operator finds the message in the dead-letter queue, and the event in its log."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the worker's context, and
    the message the line is about."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **(_context.get() or {}),
            **{f: getattr(record, f) for f in MESSAGE_FIELDS if hasattr(record, f)},
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
