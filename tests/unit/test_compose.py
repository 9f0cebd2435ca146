"""docker-compose.yml cannot be run here (no Docker engine): check its shape instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_long_running_containers_have_healthchecks_and_restart() -> None:
    for name, service in compose()["services"].items():
        if service.get("restart") == "no":  # one-shot jobs
            continue
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name


def test_dependencies_wait_for_health_or_a_finished_job() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            one_shot = services[dependency].get("restart") == "no"
            wanted = "service_completed_successfully" if one_shot else "service_healthy"
            assert condition == {"condition": wanted}, (name, dependency)


def test_every_running_service_has_its_config_and_is_checked_by_health_rpc() -> None:
    for name, service in compose()["services"].items():
        command = service.get("command", [])
        if command[:2] == ["nameko", "run"]:
            assert (ROOT / command[command.index("--config") + 1]).is_file(), name
            assert service["healthcheck"]["test"] == ["CMD", "unionctl", "health", name]
            assert service["environment"]["UNION_MIGRATE_ON_START"] == "0", name


def test_volumes_are_named_and_the_image_builds_from_the_repo() -> None:
    spec = compose()
    assert set(spec["volumes"]) == {"pgdata", "rabbitdata", "aidvault", "orgsvault"}
    assert (ROOT / spec["services"]["migrate"]["build"]["dockerfile"]).is_file()


def test_rabbitmq_loads_a_user_per_service_with_the_permissions_we_ship() -> None:
    import base64
    import hashlib
    import json

    from shared.broker_users import permissions
    from shared.config import SERVICES

    rabbit = compose()["services"]["rabbitmq"]
    for mount in rabbit["volumes"][1:]:
        assert (ROOT / mount.split(":")[0]).is_file(), mount
    spec = json.loads((ROOT / "docker/rabbitmq/definitions.json").read_text())
    users = {u["name"]: u for u in spec["users"]}
    grants = {g["user"]: g for g in spec["permissions"]}
    for service in SERVICES:
        assert (
            grants[service]["configure"],
            grants[service]["write"],
            grants[service]["read"],
        ) == (permissions(service))
        raw = base64.b64decode(users[service]["password_hash"])
        default = f"{service}-change-me".encode()  # what .env overrides
        assert raw[4:] == hashlib.sha256(raw[:4] + default).digest()
        uri = compose()["services"][service]["environment"]["AMQP_URI"]
        assert uri.startswith(f"amqp://{service}:"), uri
    assert users["admin"]["tags"] == ["administrator"]


def test_env_example_lists_every_variable_with_the_compose_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    defaults = dict(re.findall(r"\$\{([A-Z0-9_]+):-([^}]*)\}", text))
    example: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value
    assert defaults, "the compose file takes no variables?"
    assert example == defaults
