"""The nameko wiring: RPC errors with stable codes, context data, the relay inside a service."""

from __future__ import annotations

import json

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

import shared.migrate
from shared.broker import events_exchange
from shared.migrate import migrate
from shared.nameko_ext import RemoteUnionError
from tests.mq import World, deposited, drain, queue_info, source_registry, wait_for

pytestmark = pytest.mark.integration


def test_rpc_errors_reach_the_caller_with_their_code_and_fields(mq: World) -> None:
    mq.start_probe()
    context = {"actor": "caseworker-9", "correlation_id": "flow-42"}
    with ClusterRpcProxy({"AMQP_URI": mq.broker.uri}, context_data=context) as rpc:
        assert rpc.funds.note({"employer_id": "E1", "amount_fen": 5}) == {
            "actor": "caseworker-9",
            "correlation_id": "flow-42",
        }
        with pytest.raises(RemoteUnionError) as bad:
            rpc.funds.note({"employer_id": "", "amount_fen": "x"})
        assert bad.value.code == "ValidationFailed"
        assert set(bad.value.details["fields"]) == {"employer_id", "amount_fen"}
        with pytest.raises(RemoteUnionError) as refused:
            rpc.funds.note({"employer_id": "E1", "amount_fen": 2_000_000})
        assert refused.value.code == "OverLimit"
        assert refused.value.details == {"limit_fen": 1_000_000}


def test_a_services_own_relay_publishes_its_reactions(mq: World) -> None:
    copy = "funds-copy"
    conn = mq.broker.connect()
    channel = conn.channel()
    channel.exchange_declare(events_exchange("funds"), "topic", durable=True, auto_delete=False)
    channel.queue_declare(copy, durable=True, auto_delete=False)
    channel.queue_bind(copy, events_exchange("funds"), "Counted")
    conn.close()
    mq.start_probe()
    with mq.store("aid", source_registry()) as aid:
        mq.start_relay_thread("aid")
        cause = deposited(11)
        mq.append_many(aid, [cause])
        wait_for("funds to publish its reaction", lambda: queue_info(mq.broker, copy)[0] == 1)
    (message,) = drain(mq.broker, copy)
    envelope = json.loads(message.body)
    assert envelope["source"] == "funds"
    assert envelope["data"]["source_event_id"] == str(cause.event_id)
    assert envelope["causation_id"] == str(cause.event_id)  # the event that caused it
    assert envelope["correlation_id"] == "flow-1"  # the flow it belongs to
    assert envelope["actor"] == "system:funds"


def test_a_service_left_unmigrated_stops_at_start_naming_what_is_missing(
    mq: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With UNION_MIGRATE_ON_START=0 the service checks, rather than fail at its first append.

    The database is as an older release left it: every migration but the newest.
    """
    cfg = mq.db("funds")
    *older, newest = shared.migrate.kit_migrations()
    with monkeypatch.context() as patch:
        patch.setattr(shared.migrate, "kit_migrations", lambda: older)
        migrate(cfg)
    refused = mq.spawn_probe(UNION_MIGRATE_ON_START="0")
    wait_for("the unmigrated service to stop", lambda: refused.popen.poll() is not None, 60)
    assert refused.popen.returncode != 0
    assert f"lacks migrations {newest.id}" in refused.output(), refused.output()
    assert migrate(cfg) == [newest.id]  # what the message asks for; then it starts
    started = mq.start_probe(UNION_MIGRATE_ON_START="0")
    assert started.popen.poll() is None


def test_a_service_left_unmigrated_names_a_database_that_does_not_exist(mq: World) -> None:
    refused = mq.spawn_probe(UNION_MIGRATE_ON_START="0")
    wait_for("the service to stop", lambda: refused.popen.poll() is not None, 30)
    assert refused.popen.returncode != 0
    cfg = mq.db("funds")
    expected = f"cannot connect to database {cfg.name} as {cfg.role}"
    assert expected in refused.output(), refused.output()
