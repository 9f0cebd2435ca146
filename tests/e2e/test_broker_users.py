"""Each service as its own broker user: its permissions suffice, and reach no further."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import amqp
import pytest

from shared.broker import BrokerConfig
from shared.broker_users import definitions, permissions
from tests.mq import UNIONCTL, World, free_port, rabbitmqctl, wait_for

pytestmark = pytest.mark.integration

SERVICES = ("aid", "competitions", "orgs", "funds")


@pytest.fixture
def users(mq: World) -> Iterator[dict[str, str]]:
    """A broker user per service in the test's vhost, with the permissions we ship."""
    made: dict[str, str] = {}
    try:
        for service in SERVICES:
            user, password = f"{mq.prefix}_{service}", uuid.uuid4().hex
            rabbitmqctl("add_user", user, password)
            made[service] = user
            rabbitmqctl("set_permissions", "-p", mq.broker.vhost, user, *permissions(service))
            made[f"{service}:uri"] = f"amqp://{user}:{password}@127.0.0.1:5672/{mq.broker.vhost}"
        yield made
    finally:
        for service in SERVICES:
            if service in made:
                rabbitmqctl("delete_user", made[service])


def test_the_services_run_the_demo_as_their_own_users(
    mq: World, users: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **mq.env,
        "UNION_RUN_DIR": str(tmp_path / "var"),
        **{f"UNION_{s.upper()}_AMQP_URI": users[f"{s}:uri"] for s in SERVICES},
        **{f"UNION_{s.upper()}_HTTP_ADDRESS": f"127.0.0.1:{free_port()}" for s in SERVICES},
        **{f"UNION_{s.upper()}_VAULT_KEY_FILE": str(tmp_path / f"{s}.key") for s in SERVICES},
    }

    def unionctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [UNIONCTL, *args], env=env, capture_output=True, text=True, timeout=600, check=False
        )

    for step in (("db", "migrate", "all"), ("broker", "setup"), ("up",)):
        done = unionctl(*step)
        assert done.returncode == 0, done.stdout + done.stderr
    try:
        demo = unionctl("demo")
        assert demo.returncode == 0, demo.stdout + demo.stderr
        status = unionctl("status")
        assert status.stdout.count("dead letters 0") == len(SERVICES) + 1, status.stdout
    finally:
        unionctl("down")
    logs = "".join((tmp_path / "var" / f"{s}.log").read_text() for s in SERVICES)
    assert "ACCESS_REFUSED" not in logs


def test_a_service_user_cannot_publish_as_another_or_read_its_queues(
    mq: World, users: dict[str, str]
) -> None:
    subprocess.run([UNIONCTL, "broker", "setup"], env=mq.env, check=True, capture_output=True)
    aid = BrokerConfig(users["aid:uri"])
    attempts: list[Callable[[Any], object]] = [
        lambda ch: ch.basic_publish(amqp.Message(b"{}"), exchange="funds.events", routing_key="X"),
        lambda ch: ch.basic_consume("funds.dead-letter"),
        lambda ch: ch.queue_purge("inbound.funds.tax.DuesCollected"),
    ]
    for attempt in attempts:
        conn = aid.connect()
        try:
            channel = conn.channel()
            with pytest.raises(amqp.exceptions.AccessRefused):
                attempt(channel)
                channel.basic_qos(0, 1, False)  # a round trip, so a refused publish surfaces
        finally:
            conn.collect()


def test_the_definitions_file_logs_each_service_in_with_its_password(mq: World) -> None:
    spec = definitions(
        {s: f"{s}-secret" for s in SERVICES}, (f"{mq.prefix}_admin", "admin-secret"), "x"
    )
    # Into this test's vhost, under this test's names: the broker is shared.
    renamed = {u["name"]: f"{mq.prefix}_{u['name']}" for u in spec["users"]}
    renamed[f"{mq.prefix}_admin"] = f"{mq.prefix}_admin"
    for user in spec["users"]:
        user["name"] = renamed[user["name"]]
    for grant in spec["permissions"]:
        grant["user"], grant["vhost"] = renamed[grant["user"]], mq.broker.vhost
    spec["vhosts"] = [{"name": mq.broker.vhost}]
    # A file the broker's own user can read (not pytest's private folder).
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    os.chmod(f.name, 0o644)
    try:
        rabbitmqctl("import_definitions", f.name)
    finally:
        os.unlink(f.name)
    try:
        for service in SERVICES:
            uri = f"amqp://{mq.prefix}_{service}:{service}-secret@127.0.0.1:5672/{mq.broker.vhost}"
            # The import runs in the background: wait until the user can log in.
            wait_for(f"{service} to log in", partial(_logs_in, uri))
        wrong = f"amqp://{mq.prefix}_aid:funds-secret@127.0.0.1:5672/{mq.broker.vhost}"
        with pytest.raises(amqp.exceptions.AccessRefused):
            BrokerConfig(wrong).connect()
    finally:
        for name in renamed.values():
            rabbitmqctl("delete_user", name)


def _logs_in(uri: str) -> bool:
    try:
        BrokerConfig(uri).connect().close()
    except amqp.exceptions.AccessRefused:
        return False
    return True
