"""The Xuzhuang demo: the 心桥舒屋 project's five children in 2023, referral to closure.

Names, dates and details are illustrative; the shape (five children screened after home
visits, consent from each child and guardian, ten weekly home sessions each, evaluation and
closure) follows the newspaper report in the project's seed material.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dateutil import rrule

from casework.case import Case
from casework.engine import Engine
from casework.plan import SessionMode, SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver, Guardian, TargetGroup, Worker
from casework.standard import STANDARD

__all__ = ["CHILDREN", "WORKERS", "run_xuzhuang", "summary"]

#: Illustrative children: (case id, pseudonym, birth date, sex, guardian relation).
CHILDREN = (
    ("XZ-2023-01", "京京", date(2012, 6, 3), "male", "mother"),
    ("XZ-2023-02", "朵朵", date(2013, 2, 17), "female", "grandmother"),
    ("XZ-2023-03", "乐乐", date(2011, 9, 28), "male", "father"),
    ("XZ-2023-04", "小雨", date(2012, 11, 9), "female", "mother"),
    ("XZ-2023-05", "阳阳", date(2014, 4, 21), "male", "grandfather"),
)
WORKERS = (
    Worker("wu-chao", "social_worker"),
    Worker("xinqiao-counsellor-1", "volunteer_counsellor"),
)
TECHNIQUES = ("imagery_dialogue", "drawing_therapy")


def run_xuzhuang(engine: Engine | None = None) -> tuple[Engine, list[Case]]:
    """Drive the five cases from referral to closure; returns the engine and the cases."""
    engine = engine or Engine(STANDARD)
    lead, counsellor = WORKERS[0].id, WORKERS[1].id
    cases = []
    for i, (case_id, pseudonym, born, sex, relation) in enumerate(CHILDREN):
        guardian = Guardian(f"{case_id}-g1", relation)
        client = Client(
            f"{case_id}-c", pseudonym, born, sex, [guardian], [TargetGroup.CHILD_IN_DIFFICULTY]
        )
        day = datetime(2023, 3, 6 + i, 9, 0)  # home visits (走访入户) in early March
        case = engine.open(case_id, client, at=day, by=lead, worker=lead)
        engine.fire(case, "screen", at=day + timedelta(days=1), by=lead)
        consent_day = day + timedelta(days=3)
        engine.record_consent(case, Consent(ConsentGiver.CLIENT, consent_day), by=lead)
        engine.record_consent(
            case, Consent(ConsentGiver.GUARDIAN, consent_day, giver_id=guardian.id), by=lead
        )
        engine.fire(case, "admit", at=consent_day, by=lead)
        engine.fire(case, "assess", at=consent_day + timedelta(days=2), by=lead)
        engine.fire(case, "plan", at=consent_day + timedelta(days=5), by=lead)
        plan = SessionPlan.recurring(
            date(2023, 3, 25), byweekday=rrule.SA, goals=("reduce anxiety", "build confidence")
        )
        engine.set_plan(case, plan, at=consent_day + timedelta(days=5), by=lead)
        engine.fire(case, "start_intervention", at=consent_day + timedelta(days=6), by=lead)
        for n, when in enumerate(plan.schedule, start=1):
            held = when.replace(hour=9 + i)
            engine.record_session(
                case,
                SessionRecord(
                    n,
                    held_at=held,
                    scheduled_at=when,
                    mode=SessionMode.HOME_VISIT,
                    duration_minutes=60,
                    techniques=TECHNIQUES,
                    worker=counsellor,
                ),
                by=counsellor,
            )
        end = plan.schedule[-1] + timedelta(days=7)
        engine.fire(case, "evaluate", at=end, by=lead)
        engine.fire(case, "close", at=end + timedelta(days=3), by=lead, reason="goals met")
        cases.append(case)
    return engine, cases


_TEXT = {
    "en": {
        "title": "Xuzhuang station, 心桥舒屋 project, 2023 (illustrative data)",
        "cases": "cases",
        "sessions": "home sessions held",
        "closed": "closed",
        "head": ("case", "client", "state", "sessions", "opened", "closed"),
    },
    "zh": {
        "title": "许庄街道社工站 心桥舒屋 2023年（示例数据）",
        "cases": "个案数",
        "sessions": "上门服务次数",
        "closed": "已结案",
        "head": ("个案", "服务对象", "状态", "服务次数", "开案", "结案"),
    },
}


def summary(cases: list[Case], lang: str = "en") -> str:
    """A readable summary of the cases in Chinese (``zh``) or English (``en``)."""
    if lang not in _TEXT:
        raise ValueError(f"lang must be one of {sorted(_TEXT)}, got {lang!r}")
    text = _TEXT[lang]
    held = sum(c.held_sessions for c in cases)
    closed = sum(1 for c in cases if not c.is_open)
    lines = [
        str(text["title"]),
        f"{text['cases']}: {len(cases)}   {text['sessions']}: {held}   {text['closed']}: {closed}",
        "",
        "  ".join(f"{h:<10}" for h in text["head"]),
    ]
    for c in cases:
        state = c.lifecycle.state(c.state).label(lang)
        done = c.history[-1].at.date() if not c.is_open else "-"
        planned = c.planned_sessions or 0
        cells = (
            c.id,
            c.client.pseudonym,
            state,
            f"{c.held_sessions}/{planned}",
            c.opened_at.date(),
            done,
        )
        lines.append("  ".join(f"{x!s:<10}" for x in cells))
    return "\n".join(lines)
