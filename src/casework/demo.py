"""The Xuzhuang demo: the 心桥舒屋 project's five children in 2023, referral to closure.

Names, dates, MHT answers and other details are illustrative; the shape (five children
screened after home visits, consent from each child and guardian, the MHT before and after,
ten weekly home sessions each, evaluation and closure) follows the newspaper report in the
project's seed material.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from dateutil import rrule

from casework._support import display_width
from casework.assessment import Phase, baseline, outcomes, post_after
from casework.case import Case
from casework.engine import Engine
from casework.instruments import CONTENT_SCALES, MHT, FlagKind, change
from casework.plan import SessionMode, SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver, Guardian, TargetGroup, Worker
from casework.standard import MHT_LIFECYCLE

__all__ = ["CHILDREN", "WORKERS", "run_xuzhuang", "summary"]

#: Illustrative children: (case id, pseudonym, birth date, sex, guardian relation, profile).
#: A profile gives, per MHT scale, how likely a yes is at baseline (others: 0.25).
# fmt: off
CHILDREN = (
    ("XZ-2023-01", "京京", date(2012, 6, 3), "male", "mother",
     {"social_anxiety": 0.9, "self_blame": 0.8, "phobia": 0.8}),
    ("XZ-2023-02", "朵朵", date(2013, 2, 17), "female", "grandmother",
     {"loneliness": 0.9, "sensitivity": 0.8}),
    ("XZ-2023-03", "乐乐", date(2011, 9, 28), "male", "father",
     {"learning_anxiety": 0.85, "impulsivity": 0.8}),
    ("XZ-2023-04", "小雨", date(2012, 11, 9), "female", "mother",
     {"physical_symptoms": 0.8, "learning_anxiety": 0.75, "phobia": 0.7}),
    ("XZ-2023-05", "阳阳", date(2014, 4, 21), "male", "grandfather",
     {"self_blame": 0.85, "social_anxiety": 0.8}),
)
# fmt: on
WORKERS = (
    Worker("wu-chao", "social_worker"),
    Worker("xinqiao-counsellor-1", "volunteer_counsellor"),
)
TECHNIQUES = ("imagery_dialogue", "drawing_therapy")
#: Crisis items (85, 97) are answered no, except item 85 in 乐乐's screening, to show the
#: safety alert casework raises and records.
CRISIS_CHILD = "XZ-2023-03"


def _answers(case_id: str, phase: Phase, profile: Mapping[str, float]) -> list[bool]:
    """Illustrative MHT answers: the profile at screening and baseline, much milder after."""
    rng = random.Random(f"{case_id}/{phase.value}")
    after = phase is Phase.POST
    yes: set[int] = set()
    for scale in MHT.scales:
        if scale.key == "validity":
            p = 0.1
        else:
            p = profile.get(scale.key, 0.25)
            p = p * 0.3 if after else p
        yes.update(item for item in scale.items if rng.random() < p)
    yes -= {85, 97}  # the crisis items: answered yes only where the demo means it
    if case_id == CRISIS_CHILD and phase is Phase.SCREENING:
        yes.add(85)
    return [n in yes for n in range(1, 101)]


def _measure(
    engine: Engine,
    case: Case,
    profile: Mapping[str, float],
    phase: Phase,
    *,
    at: datetime,
    by: str,
) -> None:
    """Record the child's illustrative MHT for ``phase``."""
    answers = _answers(case.id, phase, profile)
    engine.record_assessment(case, "mht", answers, phase=phase, at=at, by=by)


def run_xuzhuang(engine: Engine | None = None) -> tuple[Engine, list[Case]]:
    """Drive the five cases from referral to closure; returns the engine and the cases."""
    engine = engine or Engine(MHT_LIFECYCLE)
    lead, counsellor = WORKERS[0].id, WORKERS[1].id
    cases = []
    for i, (case_id, pseudonym, born, sex, relation, profile) in enumerate(CHILDREN):
        guardian = Guardian(f"{case_id}-g1", relation)
        client = Client(
            f"{case_id}-c", pseudonym, born, sex, [guardian], [TargetGroup.CHILD_IN_DIFFICULTY]
        )
        day = datetime(2023, 3, 6 + i, 9, 0)  # home visits (走访入户) in early March
        case = engine.open(case_id, client, at=day, by=lead, worker=lead, programme="心桥舒屋")
        engine.fire(case, "screen", at=day + timedelta(days=1), by=lead)
        consent_day = day + timedelta(days=3)
        engine.record_consent(case, Consent(ConsentGiver.CLIENT, consent_day), by=lead)
        engine.record_consent(
            case, Consent(ConsentGiver.GUARDIAN, consent_day, giver_id=guardian.id), by=lead
        )
        _measure(engine, case, profile, Phase.SCREENING, at=consent_day, by=lead)
        engine.fire(case, "admit", at=consent_day, by=lead)
        assessed = consent_day + timedelta(days=2)
        engine.fire(case, "assess", at=assessed, by=lead)
        _measure(engine, case, profile, Phase.BASELINE, at=assessed, by=lead)
        engine.fire(case, "plan", at=consent_day + timedelta(days=5), by=lead)
        plan = SessionPlan.recurring(
            date(2023, 3, 25), byweekday=rrule.SA, goals=("reduce anxiety", "build confidence")
        )
        engine.set_plan(case, plan, at=consent_day + timedelta(days=5), by=lead)
        engine.fire(case, "start_intervention", at=consent_day + timedelta(days=6), by=lead)
        for n, when in enumerate(plan.schedule, start=1):
            engine.record_session(
                case,
                SessionRecord(
                    n,
                    held_at=when.replace(hour=9 + i),
                    scheduled_at=when,
                    mode=SessionMode.HOME_VISIT,
                    duration_minutes=60,
                    techniques=TECHNIQUES,
                    worker=counsellor,
                ),
                by=counsellor,
            )
        end = plan.schedule[-1] + timedelta(days=7)
        _measure(engine, case, profile, Phase.POST, at=end, by=lead)
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
        "mht": "MHT before and after the ten sessions (lower is better)",
        "mhead": ("client", "total", "change", "RCI", "outcome"),
        "scales": "scales that changed most",
        "flags": "flags at baseline",
        "alerts": "safety alerts",
        "none": "none",
    },
    "zh": {
        "title": "许庄街道社工站 心桥舒屋 2023年（示例数据）",
        "cases": "个案数",
        "sessions": "上门服务次数",
        "closed": "已结案",
        "head": ("个案", "服务对象", "状态", "服务次数", "开案", "结案"),
        "mht": "十次服务前后的MHT（分数越低越好）",
        "mhead": ("服务对象", "总分", "变化", "RCI", "结果"),
        "scales": "变化最大的分量表",
        "flags": "前测提示",
        "alerts": "安全警示",
        "none": "无",
    },
}
_OUTCOME_ZH = {
    "recovered": "康复",
    "improved": "可靠改善",
    "unchanged": "无可靠变化",
    "deteriorated": "恶化",
}


def _pad(text: object, width: int) -> str:
    """Left-justify ``text`` in ``width`` terminal columns (CJK characters take two)."""
    s = str(text)
    return s + " " * max(1, width - display_width(s))


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
        "".join(_pad(h, 12) for h in text["head"]),
    ]
    for c in cases:
        state = c.lifecycle.state(c.state).label(lang)
        done = c.history[-1].at.date() if not c.is_open else "-"
        cells = (
            c.id,
            c.client.pseudonym,
            state,
            f"{c.held_sessions}/{c.planned_sessions or 0}",
            c.opened_at.date(),
            done,
        )
        lines.append("".join(_pad(x, 12) for x in cells).rstrip())
    lines += _mht_section(cases, lang)
    return "\n".join(lines)


def _mht_section(cases: list[Case], lang: str) -> list[str]:
    text = _TEXT[lang]
    assessed = [c for c in cases if baseline(c, "mht") is not None]
    if not assessed:
        return []
    summary_ = outcomes(assessed, "mht")
    by_case = dict(zip([c.id for c in assessed], summary_.outcomes, strict=True))
    lines = ["", str(text["mht"]), "".join(_pad(h, 14) for h in text["mhead"])]
    details = []
    for c in assessed:
        pre = baseline(c, "mht")
        post = post_after(c, pre) if pre is not None else None
        if pre is None or post is None or c.id not in by_case:
            continue
        rc = by_case[c.id]
        kind = rc.classification.value
        cells = (
            c.client.pseudonym,
            f"{rc.pre} → {rc.post}",
            f"{rc.change:+d}",
            f"{rc.rci:+.2f}",
            _OUTCOME_ZH[kind] if lang == "zh" else kind,
        )
        lines.append("".join(_pad(x, 14) for x in cells).rstrip())
        moved = sorted(change(pre.result, post.result).scales, key=lambda s: s.change)[:3]
        names = {s.key: (s.zh if lang == "zh" else s.en) for s in pre.result.scales.values()}
        scales = ", ".join(
            f"{names[s.key]} {s.pre}→{s.post}" for s in moved if s.key in CONTENT_SCALES
        )
        shown = [f.code for f in pre.result.flag_details if f.kind is not FlagKind.INFO]
        flags = ", ".join(shown) or text["none"]
        alert = (
            "; ".join(f"{a.payload['phase']}: {' '.join(a.payload[lang])}" for a in c.alerts)
            or text["none"]
        )
        details.append(f"  {c.client.pseudonym}: {text['scales']}: {scales}")
        details.append(
            f"  {_pad('', len(c.client.pseudonym) * 2)}{text['flags']}: {flags}; "
            f"{text['alerts']}: {alert}"
        )
    lines += details
    lines += [f"  {note}" for note in summary_.notes]
    return lines
