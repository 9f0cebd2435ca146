"""``unionctl up`` / ``down``: run the services natively, one ``nameko run`` each.

Each service's process id goes to ``RUN_DIR/<service>.pid`` and its output to
``RUN_DIR/<service>.log`` (``UNION_RUN_DIR``, default ``./var``). ``up`` starts
only what is not running and waits until each service answers its ``health``
RPC; ``down`` stops what ``up`` started, by those process ids.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

ROOT = Path(__file__).resolve().parent.parent


def run_dir(env: Mapping[str, str]) -> Path:
    path = Path(env.get("UNION_RUN_DIR", "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def running(pid_file: Path) -> int | None:
    """The process id in ``pid_file`` if that process is alive."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def start(service: str, env: Mapping[str, str], amqp_uri: str) -> tuple[int, bool]:
    """(pid, started now?) of the service's process."""
    folder = run_dir(env)
    pid_file = folder / f"{service}.pid"
    pid = running(pid_file)
    if pid is not None:
        return pid, False
    nameko = str(Path(sys.executable).with_name("nameko"))
    config = ROOT / "services" / service / "config.yaml"
    target = f"services.{service}.service:{service.capitalize()}"
    # One machine, several services: each its own HTTP port (UNION_<SERVICE>_HTTP_ADDRESS,
    # else its config's default), never one UNION_HTTP_ADDRESS for all.
    child = {k: v for k, v in env.items() if k != "UNION_HTTP_ADDRESS"}
    if address := env.get(f"UNION_{service.upper()}_HTTP_ADDRESS"):
        child["UNION_HTTP_ADDRESS"] = address
    with (folder / f"{service}.log").open("ab") as log:
        proc = subprocess.Popen(
            [nameko, "run", "--config", str(config), target],
            # A service may log in as its own broker user (UNION_<SERVICE>_AMQP_URI).
            env={
                **child,
                "AMQP_URI": env.get(f"UNION_{service.upper()}_AMQP_URI") or amqp_uri,
                "PYTHONPATH": str(ROOT),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,  # not stopped by the shell that started it
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid, True


def health(service: str, amqp_uri: str, timeout: float = 5.0) -> dict[str, object]:
    """The service's answer to its ``health`` RPC (raises if it does not answer)."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
        answer: dict[str, object] = getattr(rpc, service).health()
    return answer


def wait_healthy(service: str, amqp_uri: str, pid: int, timeout: float = 60.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise RuntimeError(f"{service} exited; see its log") from None
        try:
            return health(service, amqp_uri)
        except Exception as exc:  # not up yet: keep asking until the deadline
            last = exc
            time.sleep(0.5)
    raise RuntimeError(f"{service} did not answer its health check in {timeout:.0f}s: {last}")


def stop(service: str, env: Mapping[str, str], timeout: float = 20.0) -> str:
    pid_file = run_dir(env) / f"{service}.pid"
    pid = running(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return "not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return f"stopped (pid {pid})"
