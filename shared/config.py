"""Configuration by environment (12-factor), with defaults that work on a local machine.

| variable                      | default      | meaning                                      |
|-------------------------------|--------------|----------------------------------------------|
| UNION_PG_HOST                 | 127.0.0.1    | PostgreSQL host                              |
| UNION_PG_PORT                 | 5432         | PostgreSQL port                              |
| UNION_PG_ADMIN_USER           | postgres     | role that creates databases, roles, schemas |
| UNION_PG_ADMIN_PASSWORD       | (none)       | its password                                 |
| UNION_DB_PREFIX               | union        | database and role of service S: PREFIX_S     |
| UNION_<SERVICE>_DB_PASSWORD   | (none)       | password of the service's login role         |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from psycopg.conninfo import make_conninfo

SERVICES: tuple[str, ...] = ("aid", "competitions", "orgs", "funds")


@dataclass(frozen=True)
class DatabaseConfig:
    service: str
    host: str
    port: int
    admin_user: str
    admin_password: str | None
    name: str
    role: str
    role_password: str | None

    def _dsn(self, dbname: str, user: str, password: str | None) -> str:
        params: dict[str, str | int | None] = {
            "host": self.host,
            "port": self.port,
            "dbname": dbname,
            "user": user,
            "application_name": f"union-{self.service}",
        }
        if password:
            params["password"] = password
        return make_conninfo("", **params)

    @property
    def service_dsn(self) -> str:
        """How the service connects: as its own role, never as a superuser."""
        return self._dsn(self.name, self.role, self.role_password)

    @property
    def admin_dsn(self) -> str:
        """The service's database as the admin role (migrations, tamper tests)."""
        return self._dsn(self.name, self.admin_user, self.admin_password)

    @property
    def maintenance_dsn(self) -> str:
        return self._dsn("postgres", self.admin_user, self.admin_password)


def database_config(service: str, env: Mapping[str, str] | None = None) -> DatabaseConfig:
    env = os.environ if env is None else env
    prefix = env.get("UNION_DB_PREFIX", "union")
    name = f"{prefix}_{service}"
    return DatabaseConfig(
        service=service,
        host=env.get("UNION_PG_HOST", "127.0.0.1"),
        port=int(env.get("UNION_PG_PORT", "5432")),
        admin_user=env.get("UNION_PG_ADMIN_USER", "postgres"),
        admin_password=env.get("UNION_PG_ADMIN_PASSWORD") or None,
        name=name,
        role=name,
        role_password=env.get(f"UNION_{service.upper()}_DB_PASSWORD") or None,
    )
