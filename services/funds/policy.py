"""funds' policy parameters: dated, versioned, each with its source (see shared.policy)."""

from __future__ import annotations

from datetime import date

from shared.policy import Parameter, PolicyTable, UnknownParameter

__all__ = ["POLICY", "Parameter", "PolicyTable", "UnknownParameter"]

_LAW_DATE = date(2001, 10, 27)  # 工会法 as amended in 2001 (Art. 42 then, Art. 43 since 2021)
_START = date(2022, 1, 1)  # local rules and the notice (2022-03-15), from the 2022 budget year
_LAW = "工会法 Art. 43"

POLICY = PolicyTable(
    [
        Parameter(
            "dues.rate_bp", 200, _LAW_DATE, "dues.rate_bp@2001-10-27", f"{_LAW}: 2 % of payroll"
        ),
        Parameter(
            "dues.retained_bp",
            6000,
            _START,
            "dues.retained_bp@2022-01-01",
            "common default: the grassroots union keeps 60 %, 40 % goes upward",
        ),
        Parameter(
            "dues.education_county_bp",
            4000,
            _START,
            "dues.education_county_bp@2022-01-01",
            "notice 十一: 40 % of the 完职师 schools' budgeted union funds to the county",
        ),
        Parameter(
            "dues.collection_model",
            "full",
            _START,
            "dues.collection_model@2022-01-01",
            "full: tax collects the whole 2 % and 60 % is returned (e.g. Hubei);"
            " upward_only: tax collects only the upward 40 % (e.g. Qingdao)",
        ),
        Parameter(
            "dues.fiscal_remittance_bp",
            10_000,
            _START,
            "dues.fiscal_remittance_bp@2022-01-01",
            "notice 十一: fiscally funded bodies' dues are remitted in full to the county",
        ),
        Parameter(
            "dues.arrears_tolerance_fen",
            100,
            _START,
            "dues.arrears_tolerance_fen@2022-01-01",
            "local rule: a month short by at most this (rounding at the tax bureau) is paid",
        ),
        Parameter(
            "prep_fund.rate_bp",
            200,
            _START,
            "prep_fund.rate_bp@2022-01-01",
            "建会筹备金: 2 % of payroll from employers without a union (local rule)",
        ),
        Parameter(
            "prep_fund.refund_bp",
            6000,
            _START,
            "prep_fund.refund_bp@2022-01-01",
            "建会筹备金 refunded to the new union at 60 % (local rule, e.g. Hubei)",
        ),
        Parameter(
            "dues.arrears_months",
            3,
            _START,
            "dues.arrears_months@2022-01-01",
            "local rule: months assessed and unpaid before arrears are flagged (工会法 Art. 44)",
        ),
        Parameter(
            "budget.fiscal.hardship_aid_fen",
            4_000_000,
            _START,
            "budget.fiscal.hardship_aid_fen@2022-01-01",
            "notice 十二: county fiscal 困难职工帮扶 line, 40,000 yuan a year",
        ),
        Parameter(
            "budget.fiscal.warmth_fen",
            60_000_000,
            _START,
            "budget.fiscal.warmth_fen@2022-01-01",
            "notice 十二: county fiscal 送温暖 line, 600,000 yuan a year",
        ),
        Parameter(
            "budget.reservation_days",
            30,
            _START,
            "budget.reservation_days@2022-01-01",
            "local rule: an unconfirmed reservation expires after this many days",
        ),
    ]
)
