"""competitions' policy parameters: dated, versioned, each with its source (see shared.policy)."""

from __future__ import annotations

from datetime import date

from shared.policy import Parameter, PolicyTable

_START = date(2022, 1, 1)  # the notice (2022-03-15) and the local rules it brings in


def _p(key: str, value: int | str, source: str, on: date = _START) -> Parameter:
    return Parameter(key, value, on, f"{key}@{on.isoformat()}", source)


BASE = [
    _p(
        "ankang.winning_unit_min_score",
        90,
        "安康杯 winning unit: at least 90 points (Sichuan 2024; Shandong used 95)",
    ),
    _p("ankang.round_years", 2, "安康杯 runs in two-year rounds (总工字〔2022〕16号)"),
    _p("competition.public_notice_days", 7, "results are posted this many days (local practice)"),
    _p("studio.min_team", 5, "an innovation studio has a team of at least 5"),
    _p("studio.reconfirm_years", 3, "a named studio is reconfirmed every 3 years (local practice)"),
    _p("studio.subsidy.county.new_fen", 2_000_000, "county studio, new: 20,000 yuan (to confirm)"),
    _p("studio.subsidy.county.reconfirmed_fen", 1_000_000, "county, reconfirmed: 10,000 yuan"),
    _p("studio.subsidy.city.new_fen", 5_000_000, "city studio, new: 50,000 yuan (Hefei 2022)"),
    _p("studio.subsidy.city.reconfirmed_fen", 3_000_000, "city, reconfirmed: 30,000 (Hefei)"),
    _p("studio.subsidy.province.new_fen", 8_000_000, "provincial key studio: 80,000 (Shanxi)"),
    _p(
        "studio.subsidy.province.reconfirmed_fen", 5_000_000, "provincial, reconfirmed (to confirm)"
    ),
    _p("studio.subsidy.national.new_fen", 10_000_000, "national demonstration (to confirm)"),
    _p("studio.subsidy.national.reconfirmed_fen", 5_000_000, "national, reconfirmed (to confirm)"),
    _p("studio.line", "innovation_studios", "the union-funds line studio subsidies are paid from"),
    _p("competition.line", "competitions", "the union-funds line prizes are paid from"),
]


def table(extra: list[Parameter]) -> PolicyTable:
    return PolicyTable([*BASE, *extra])
