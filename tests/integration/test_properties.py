"""Property: what is read back folds to what was appended, and the chain verifies."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.canonical import MAX_SAFE_INTEGER
from shared.decider import Decider
from shared.registry import NewEvent
from shared.store import ANY_VERSION
from shared.verify import verify
from tests.kit import META, LogFixture, Noted

pytestmark = pytest.mark.integration

# Text the log accepts: anything but U+0000 and lone surrogates.
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
keys = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00", max_codepoint=0xFFFF),
    max_size=8,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
batches = st.lists(
    st.tuples(st.integers(0, 2), st.lists(json_values, min_size=1, max_size=3)),
    min_size=1,
    max_size=6,
)

HISTORY: Decider[Any, tuple[Any, ...], Noted] = Decider(
    (), lambda state, event: (*state, event.payload), lambda c, s: []
)
_run = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches)
def test_read_back_folds_like_appended_and_verifies(
    log: LogFixture, appends: list[tuple[int, list[Any]]]
) -> None:
    run = next(_run)
    appended: dict[str, list[Noted]] = {}
    for stream_no, payloads in appends:
        stream = f"Note-{run}.{stream_no}"
        events = [Noted(p) for p in payloads]
        log.store.append(
            stream, [log.store.registry.new_event(e) for e in events], ANY_VERSION, META
        )
        appended.setdefault(stream, []).extend(events)
    for stream, events in appended.items():
        read = [
            log.store.registry.decode(r.event_type, r.schema_version, r.data)
            for r in log.store.read_stream(stream)
        ]
        assert HISTORY.fold(read) == HISTORY.fold(events)
    with log.service() as conn:
        result = verify(conn)
    assert result.ok, result


def test_raw_new_events_with_the_same_shapes_verify(log: LogFixture) -> None:
    """A fixed sample of awkward text: escapes, CJK, astral characters, U+2028, DEL."""
    payloads = ['"\\/\b\f\n\r\t\x01\x1f\x7f', "霍邱县总工会", "😀𝄞", "\u2028\u2029", {"": 0}]
    log.store.append(
        "Note-x", [NewEvent("Noted", {"payload": p}) for p in payloads], ANY_VERSION, META
    )
    with log.service() as conn:
        assert verify(conn).ok
