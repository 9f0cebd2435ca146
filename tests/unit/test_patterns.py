"""Patterns read as PostgreSQL and JSON Schema read them: whole values, ASCII classes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from services.aid.commands import ApplicantData
from services.funds.commands import LINE
from shared.envelope import load_envelope
from shared.errors import ValidationFailed
from shared.validation import Pattern, load

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["2026\n", "2026 ", "\n2026", "20261", "202", "２０２６", "٢٠٢٦"])
def test_a_pattern_refuses_what_is_around_the_match_and_other_scripts_digits(value: str) -> None:
    with pytest.raises(ValidationError):
        Pattern(r"^\d{4}$")(value)


def test_a_pattern_keeps_its_text_for_the_published_contract() -> None:
    assert Pattern(LINE)("hardship_aid") == "hardship_aid"
    assert Pattern(LINE).regex.pattern == LINE


def test_a_command_field_with_a_final_newline_is_refused_by_name() -> None:
    good = {"name": "张三", "id_number": "34152219800101001X"}
    assert load(ApplicantData(), good, "applicant")["id_number"] == good["id_number"]
    for bad in (good["id_number"] + "\n", "３４" + good["id_number"][2:]):
        with pytest.raises(ValidationFailed) as refused:
            load(ApplicantData(), {**good, "id_number": bad}, "applicant")
        assert set(refused.value.details["fields"]) == {"id_number"}


def _envelope(**changes: Any) -> dict[str, Any]:
    return {
        "event_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "event_type": "MemberJoined",
        "schema_version": 1,
        "source": "orgs",
        "stream_id": "Union-u1",
        "version": 1,
        "position": 1,
        "recorded_at": "2026-11-25T03:04:05.000006Z",
        "correlation_id": None,
        "causation_id": None,
        "actor": "system:orgs",
        "data": {},
        "hash": "0" * 64,
        **changes,
    }


@pytest.mark.parametrize("field", ["stream_id", "event_type", "source"])
def test_an_envelope_field_with_a_final_newline_is_refused_by_name(field: str) -> None:
    assert load_envelope(_envelope()).stream_id == "Union-u1"
    with pytest.raises(ValidationFailed) as refused:
        load_envelope(_envelope(**{field: _envelope()[field] + "\n"}))
    assert set(refused.value.details["fields"]) == {field}


def test_no_schema_uses_marshmallows_regexp_directly() -> None:
    """``validate.Regexp`` matches with ``re.match``: a final newline would get through."""
    sources = [*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")]
    direct = [str(p.relative_to(ROOT)) for p in sources if "validate.Regexp(" in p.read_text()]
    assert not direct, f"use shared.validation.Pattern in {direct}"
    loose = re.compile(r"\bre\.match\(")
    assert not [p for p in sources if loose.search(p.read_text())], "use re.fullmatch"
