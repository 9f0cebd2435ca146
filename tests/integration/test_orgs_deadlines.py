"""The orgs hourly review judges each employer as it stands, though it reads all in one walk."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from services.orgs import domain as d
from services.orgs import service as orgs
from services.orgs.events import EVENTS, EmployerRegistered, EmployerUnionised, UnionDissolved
from shared.config import DatabaseConfig
from shared.db import open_pool
from shared.decider import each_stream, execute
from shared.nameko_ext import CallContext, ServiceStore, SettableClock
from shared.store import ANY_VERSION, EventStore, RecordedEvent

pytestmark = pytest.mark.integration

META = {"actor": "organiser-1", "role": "organising_staff"}


def test_an_employer_handed_over_after_the_walk_read_it_is_still_reviewed(
    db_config: DatabaseConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=4)
    try:
        store = EventStore(pool, EVENTS)
        for employer in ("A", "E"):
            registered = EmployerRegistered(
                employer, "厂", "non_public_enterprise", date(2024, 1, 1), 30, "341522"
            )
            unionised = EmployerUnionised("U", date(2024, 2, 1))
            events = [EVENTS.new_event(registered), EVENTS.new_event(unionised)]
            store.append(d.employer_stream(employer), events, ANY_VERSION, META)

        def end_union_meanwhile() -> None:
            """end_union, committing between the review's read and the employers' turns."""
            gone = UnionDissolved("U", "employer_closed", "organiser-1", date(2026, 11, 4))
            store.append(d.union_stream("U"), [EVENTS.new_event(gone)], ANY_VERSION, META)
            for employer in ("A", "E"):
                hand_over = d.hand_over(d.UNION.fold([gone]))
                stream = d.employer_stream(employer)
                execute(store, d.EMPLOYER, stream, hand_over, command_id="end:U", metadata=META)

        def walk(*args: Any) -> Iterator[tuple[str, list[RecordedEvent]]]:
            read = list(each_stream(*args))
            if args[1] == "Employer":
                end_union_meanwhile()
            yield from read

        monkeypatch.setattr(orgs, "each_stream", walk)
        worker = worker_factory(
            orgs.Orgs,
            store=ServiceStore(store, "orgs"),
            context=CallContext(actor="system:orgs", call_id=uuid.uuid4().hex),
            clock=SettableClock(datetime(2026, 11, 5, 4, tzinfo=UTC)),
        )
        counts = worker.deadlines()
        assert counts["handed_over"] == 0  # end_union did it
        assert counts["targets"] == 2  # reviewed as they stand now: no union, so targets
        assert worker.deadlines()["targets"] == 0  # and only once
    finally:
        pool.close()
