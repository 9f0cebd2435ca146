"""A small nameko service the messaging tests run with ``nameko run``.

It plays funds: it reacts to aid's ``Deposited`` events and to the tax
bureau's ``tax.DuesCollected`` messages by recording events in its own log,
once per message, through the inbox. Payload notes steer the failure paths.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import psycopg
from marshmallow import Schema, fields, validate

from services.funds.contract import DUES_COLLECTED
from shared.envelope import Envelope
from shared.errors import DomainError
from shared.nameko_ext import (
    CallContext,
    ContextProvider,
    EventStoreProvider,
    InboundMessage,
    RelayProvider,
    inbound_handler,
    reliable_event_handler,
    rpc,
)
from shared.registry import EventRegistry, NewEvent
from shared.store import ANY_VERSION
from shared.validation import load


class CountedSchema(Schema):
    source_event_id = fields.String(required=True)
    amount_fen = fields.Integer(required=True, strict=True)


class DuesNotedSchema(Schema):
    message_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    amount_fen = fields.Integer(required=True, strict=True)


class NoteSchema(Schema):
    employer_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


REGISTRY = EventRegistry()
REGISTRY.register("Counted", CountedSchema)
REGISTRY.register("DuesNoted", DuesNotedSchema)


class OverLimit(DomainError):
    code = "OverLimit"


def _dump_green_stacks(*_: Any) -> None:
    """On SIGUSR1, print every green thread's stack (diagnosing a stuck consumer)."""
    import gc
    import traceback

    import greenlet

    for obj in gc.get_objects():
        if isinstance(obj, greenlet.greenlet) and obj.gr_frame is not None:
            print("--- greenlet", flush=True)
            traceback.print_stack(obj.gr_frame)
    sys.stdout.flush()
    sys.stderr.flush()


signal.signal(signal.SIGUSR1, _dump_green_stacks)


class Probe:
    name = "funds"

    store = EventStoreProvider(REGISTRY)
    context = ContextProvider()
    relay = RelayProvider(idle_wait=0.5)

    @reliable_event_handler("aid", "Deposited")
    def on_deposited(self, envelope: Envelope) -> None:
        note = envelope.data.get("note")
        if note == "poison":
            raise RuntimeError("this payload always fails")
        if note == "refuse":
            raise OverLimit("a rule refuses this one", rule="test")
        meta = self.context.metadata()

        def record(conn: psycopg.Connection) -> None:
            event = NewEvent(
                "Counted",
                {"source_event_id": envelope.event_id, "amount_fen": envelope.data["amount_fen"]},
            )
            self.store.store.append("Tally-all", [event], ANY_VERSION, meta, conn=conn)

        self.store.once(envelope, "on_deposited", record)

    @inbound_handler(DUES_COLLECTED)
    def on_dues(self, message: InboundMessage) -> None:
        meta = self.context.metadata()

        def record(conn: psycopg.Connection) -> None:
            data = {
                "message_id": message.message_id,
                "employer_id": message.data["employer_id"],
                "amount_fen": message.data["amount_fen"],
            }
            self.store.store.append(
                "Dues-all", [NewEvent("DuesNoted", data)], ANY_VERSION, meta, conn=conn
            )

        self.store.once(message, "on_dues", record)

    @rpc
    def note(self, payload: dict[str, Any]) -> dict[str, Any]:
        loaded: dict[str, Any] = load(NoteSchema(), payload, "note")
        if loaded["amount_fen"] > 1_000_000:
            raise OverLimit("more than 10,000 yuan needs a leader's approval", limit_fen=1_000_000)
        ctx: CallContext = self.context
        return {"actor": ctx.actor, "correlation_id": ctx.correlation_id}
