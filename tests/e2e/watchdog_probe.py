"""Run under eventlet: a consumer the broker reports idle makes its container die.

Usage: python -m tests.e2e.watchdog_probe AMQP_URI DB_PREFIX  (prints one result line)
"""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402

import shared.nameko_ext as ext  # noqa: E402
from tests.e2e.probe import Probe  # noqa: E402


def main() -> None:
    uri, prefix = sys.argv[1], sys.argv[2]
    os.environ["UNION_DB_PREFIX"] = prefix
    ext.ReliableQueueConsumer.WATCH_SECONDS = 0.5
    # What the broker answers when a stuck consumer consumes nothing.
    ext._queues_without_consumers = lambda broker, queues: list(queues)
    container = ServiceContainer(Probe, {"AMQP_URI": uri, "max_workers": 2, "UNION_RELAY": "0"})
    container.start()
    try:
        with eventlet.Timeout(30):
            container.wait()
        print("result: still running")
    except ext.ConsumerStalled as exc:
        print(f"result: stopped: {exc}")


if __name__ == "__main__":
    main()
