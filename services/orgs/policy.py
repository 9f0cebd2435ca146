"""orgs' policy parameters: dated, versioned, each with its source (see shared.policy)."""

from __future__ import annotations

from datetime import date

from shared.policy import Parameter, PolicyTable

_LAW = date(2022, 1, 1)  # 工会法 (2021 revision) in force
_CONTRACTS = date(2004, 5, 1)  # 集体合同规定 (劳动和社会保障部令第22号)
_START = date(2022, 1, 1)  # local rules and the notice (2022-03-15)


def _p(key: str, value: int | str, source: str, on: date = _START) -> Parameter:
    return Parameter(key, value, on, f"{key}@{on.isoformat()}", source)


BASE = [
    _p(
        "union.committee_min_members",
        25,
        "工会法 Art. 11: 25 members or more elect a committee",
        _LAW,
    ),
    _p("union.term_years_short", 3, "工会法 Art. 16: a committee serves 3 or 5 years", _LAW),
    _p("union.term_years_long", 5, "工会法 Art. 16", _LAW),
    _p(
        "union.re_election_notice_days",
        90,
        "local practice: re-election is flagged this many days before the term ends",
    ),
    _p(
        "orgs.target_months",
        6,
        "flow F2: an employer this many months old without a union is an organising target"
        " (6 or 12 locally)",
    ),
    _p(
        "member.lapse_months",
        6,
        "中国工会章程 Art. 5: six consecutive months without dues or activity",
        _LAW,
    ),
    _p(
        "member.lapse_grace_days",
        30,
        "章程 Art. 5 'not corrected after persuasion': days after the reminder before lapse",
    ),
    _p(
        "contract.reply_days",
        20,
        "集体合同规定 Art. 32: reply in writing within 20 days",
        _CONTRACTS,
    ),
    _p("contract.min_negotiators", 3, "集体合同规定 Art. 19: at least 3 per side", _CONTRACTS),
    _p(
        "contract.filing_days",
        10,
        "集体合同规定 Art. 42: filed within 10 days of signing",
        _CONTRACTS,
    ),
    _p(
        "contract.review_days",
        15,
        "集体合同规定 Arts. 45, 47: no objection within 15 days and it takes effect",
        _CONTRACTS,
    ),
    _p("contract.renewal_window_days", 90, "集体合同规定 Art. 38: the last 3 months", _CONTRACTS),
    _p("joint_meeting.interval_days", 365, "notice 一: the joint meeting at least once a year"),
]
"""The rows orgs' own deciders use; democracy.PARAMETERS adds the congress's."""


def table(extra: list[Parameter]) -> PolicyTable:
    return PolicyTable([*BASE, *extra])
