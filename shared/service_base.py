"""What every service's nameko class shares: health, metrics, and the steps of a command.

A service subclasses ``UnionService``, names itself, and adds its store (with
its event registry) and its own entrypoints. nameko finds inherited
entrypoints and dependency providers like its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

import psycopg

from shared.decider import Decider, Executed, execute, sweep
from shared.nameko_ext import (
    CallContext,
    ClockProvider,
    ContextProvider,
    RelayProvider,
    ServiceStore,
    SettableClock,
    http,
    rpc,
)
from shared.observability import Observed, metrics_response
from shared.readmodels import local_day


class UnionService:
    name: ClassVar[str]
    store: ServiceStore
    attempts: ClassVar[int] = 10
    """A command re-decided this many times on a version conflict before it gives up."""

    relay = RelayProvider()
    context: CallContext = ContextProvider()
    clock: SettableClock = ClockProvider()
    observed = Observed()

    @http("GET", "/health")
    def http_health(self, request: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(self._health())

    @http("GET", "/metrics")
    def http_metrics(self, request: Any) -> tuple[int, dict[str, str], str]:
        status = self.relay()
        lag = status.lag if status else None
        store = self.store.store
        return metrics_response(store.head().position, lag, self.name, store.group_commit)

    @rpc
    def health(self) -> dict[str, Any]:
        """Answers when the service is up: its log head and its relay."""
        return self._health()

    def _health(self) -> dict[str, Any]:
        head = self.store.store.head()
        status = self.relay()
        return {
            "service": self.name,
            "head_position": head.position,
            "relay_leader": bool(status and status.leader),
            "relay_lag": status.lag if status else None,
        }

    def _tx(self) -> Any:
        """One connection, one transaction: what a command writes commits together."""
        return self.store.transaction()

    def _today(self) -> date:
        return local_day(self.clock.now())

    def _actor(self) -> str:
        return str(self.context.metadata()["actor"])

    def _meta(self) -> dict[str, Any]:
        return self.context.metadata()

    def _sweep(
        self,
        decider: Decider[object, Any, object],
        stream_type: str,
        command_for: Callable[[str], object],
        command_id: str,
    ) -> int:
        """A timer's command on every stream of a type (:func:`shared.decider.sweep`)."""
        return sweep(
            self.store.store,
            decider,
            stream_type,
            command_for,
            command_id=command_id,
            metadata=self.context.metadata(),
            max_attempts=self.attempts,
        )

    def _call_key(self) -> str:
        """A command id for commands without a natural one: the call's own (or the
        caller's idempotency key)."""
        return self.context.call_id or self._actor()

    def _execute(
        self,
        decider: Decider[object, Any, object],
        stream: str,
        command: object,
        command_id: str,
        conn: psycopg.Connection | None = None,
    ) -> Executed[Any, object]:
        meta = self.context.metadata(command_type=type(command).__name__)
        return execute(
            self.store.store,
            decider,
            stream,
            command,
            command_id=command_id,
            metadata=meta,
            max_attempts=self.attempts,
            conn=conn,
        )
