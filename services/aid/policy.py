"""aid's policy parameters: dated, versioned, each with its source (see shared.policy).

The values are defaults to confirm with the county (domain reference §6): most
are local rules from other places, recorded here so every decision names the
row it used.
"""

from __future__ import annotations

from datetime import date

from shared.policy import Parameter, PolicyTable

_START = date(2022, 1, 1)  # the notice (2022-03-15) applies from the 2022 budget year
_ARB_LAW = date(2008, 5, 1)  # 劳动争议调解仲裁法 in force

PROGRAMMES = (
    "spring_jobs",  # 春送岗位: job referral and training, usually not cash
    "summer_cool",  # 夏送清凉
    "golden_autumn",  # 金秋助学
    "winter_warmth",  # 冬送温暖
    "regular",  # 常态化帮扶
    "living",  # 生活救助
    "medical",  # 医疗救助
    "model_worker",  # 劳模困难帮扶
)

_LINES = {
    "spring_jobs": "spring_jobs",
    "summer_cool": "summer_cool",
    "golden_autumn": "golden_autumn",
    "winter_warmth": "warmth",
    "regular": "hardship_aid",
    "living": "hardship_aid",
    "medical": "hardship_aid",
    "model_worker": "hardship_aid",
}
"""Which funds line pays each programme: the notice's two county lines, union funds for the rest."""

_REPEATABLE = {"regular"}
"""常态化帮扶 is ongoing (several payments a year); every other programme once a year."""


def _p(key: str, value: int | str, source: str, on: date = _START) -> Parameter:
    return Parameter(key, value, on, f"{key}@{on.isoformat()}", source)


POLICY = PolicyTable(
    [
        _p(
            "aid.dibao_standard_fen",
            78_000,
            "六安市 urban 低保 standard per person per month (社会救助暂行办法 Art. 10);"
            " confirm every year",
        ),
        _p(
            "aid.classify.deep_bp",
            10_000,
            "深度困难: per-capita income < 1 x 低保 (Pingdingshan, Qingdao)",
        ),
        _p(
            "aid.classify.relative_bp",
            20_000,
            "相对困难: per-capita income < 2 x 低保 (Pingdingshan, Qingdao)",
        ),
        _p(
            "aid.classify.accident_bp",
            8_000,
            "意外致困: event costs in the year > 80 % of household yearly income (Qingdao)",
        ),
        _p("aid.public_notice_days", 5, "公示 period, commonly 5-7 days (local practice)"),
        _p("aid.annual_review_days", 365, "困难职工档案管理办法: at least one review a year"),
        _p(
            "aid.funds_reply_hours",
            48,
            "how long an approval waits for funds' answer before it shows as timed out",
        ),
        *(_p(f"aid.line.{k}", v, "notice 十二 and the union's budget") for k, v in _LINES.items()),
        *(
            _p(f"aid.repeatable.{k}", int(k in _REPEATABLE), "no duplicate aid (domain §2.1 A2)")
            for k in PROGRAMMES
        ),
        _p(
            "aid.campaign_settle_days",
            30,
            "a campaign's envelope stays reserved this long after it closes (local practice)",
        ),
        _p("aid.line.recuperation", "recuperation", "疗休养 from union funds (notice 六)"),
        _p(
            "legal.award_warn_days",
            7,
            "warn this many days before an arbitration award is due (local practice)",
        ),
        _p("mutual_aid.waiting_days", 90, "waiting period, commonly 30-90 days (provincial plan)"),
        _p(
            "mutual_aid.contribution_fen", 3_000, "yearly contribution per person (provincial plan)"
        ),
        _p(
            "mutual_aid.reimburse_bp",
            5_000,
            "share of the cost basic medical insurance left that a claim pays (provincial plan)",
        ),
        _p("mutual_aid.claim_cap_fen", 3_000_000, "most one claim pays (provincial plan)"),
        _p(
            "legal.arbitration_limit_days",
            365,
            "劳动争议调解仲裁法 Art. 27: one year from when the worker knew",
            _ARB_LAW,
        ),
        _p("legal.award_days", 45, "劳动争议调解仲裁法 Art. 43: award within 45 days", _ARB_LAW),
        _p("legal.award_extension_days", 15, "Art. 43: extendable by 15 days", _ARB_LAW),
        _p("legal.warn_days", 30, "warn this many days before a legal deadline (local practice)"),
    ]
)


def line_of(programme: str, on: date) -> tuple[str, str]:
    return POLICY.text(f"aid.line.{programme}", on)


def repeatable(programme: str, on: date) -> tuple[bool, str]:
    value, version = POLICY.number(f"aid.repeatable.{programme}", on)
    return bool(value), version
