"""Views and timers that fold every stream of a type: one walk of the log, or a query each.

Same process, same log: BENCH_STREAMS streams of a type (default 5,000, as a
county's employers or hardship files) with four events each, among as many
events of another type.

- per stream: the ids of the type, then ``load`` of each (what the services'
  views and hourly timers did);
- load_all: :func:`shared.decider.load_all`, one walk of the (stream_id, version)
  index in batches;
- a sweep that changes one stream in a hundred: ``execute`` on each stream
  against :func:`shared.decider.sweep`, with a fresh command id per round.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, post_load

from bench._common import METADATA, median, paired_ratio, report, sample_data, scratch_store
from shared.decider import Decider, execute, load, load_all, sweep
from shared.readmodels import stream_keys
from shared.registry import NewEvent
from shared.store import ANY_VERSION, EventStore

STREAMS = int(os.environ.get("BENCH_STREAMS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
EVENTS_PER_STREAM = 4


@dataclass(frozen=True)
class Review:
    """Flags the cases that need a look: one in a hundred."""


@dataclass(frozen=True)
class Reviewed:
    pass


class ReviewedSchema(Schema):
    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Reviewed:
        return Reviewed()


def evolve(first_amount: int, event: object) -> int:
    if isinstance(event, dict) and first_amount == 0:
        return int(event["amount_fen"])
    return first_amount


def decide(command: object, first_amount: int) -> Sequence[object]:
    return [Reviewed()] if first_amount // 10 % 100 == 0 else []


CASE: Decider[object, int, object] = Decider(0, evolve, decide)


def populate(store: EventStore) -> None:
    for i in range(STREAMS):
        for stream in (f"Case-{i:06d}", f"Other-{i:06d}"):
            events = [
                NewEvent("PaymentRecorded", sample_data(i * 10 + k), uuid.uuid4())
                for k in range(EVENTS_PER_STREAM)
            ]
            store.append(stream, events, ANY_VERSION, METADATA)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with scratch_store(max_size=4) as (_, store, _pool):
        store.registry.register("Reviewed", ReviewedSchema, event_class=Reviewed)
        populate(store)
        per_stream_t, load_all_t, execute_t, sweep_t = [], [], [], []
        for r in range(ROUNDS):

            def per_stream() -> dict[str, int]:
                return {k: load(store, CASE, f"Case-{k}").state for k in stream_keys(store, "Case")}

            def bulk() -> dict[str, int]:
                return {k: v.state for k, v in load_all(store, CASE, "Case").items()}

            assert per_stream() == bulk()
            per_stream_t.append(timed(per_stream))
            load_all_t.append(timed(bulk))

            def execute_each(key: str = f"review-{r}-each") -> None:
                for k in stream_keys(store, "Case"):
                    execute(store, CASE, f"Case-{k}", Review(), command_id=key, metadata=METADATA)

            def swept(key: str = f"review-{r}-sweep") -> None:
                sweep(store, CASE, "Case", lambda _: Review(), command_id=key, metadata=METADATA)

            execute_t.append(timed(execute_each))
            sweep_t.append(timed(swept))
        report(
            "load",
            {
                "streams": STREAMS,
                "events": store.head().position,
                "rounds": ROUNDS,
                "per_stream_s": round(median(per_stream_t), 3),
                "load_all_s": round(median(load_all_t), 3),
                "load_all_vs_per_stream": paired_ratio(per_stream_t, load_all_t),
                "execute_each_s": round(median(execute_t), 3),
                "sweep_s": round(median(sweep_t), 3),
                "sweep_vs_execute_each": paired_ratio(execute_t, sweep_t),
            },
        )


if __name__ == "__main__":
    main()
