"""The Xuzhuang demo: the 心桥舒屋 project's five children in 2023, referral to closure,
and the station around them.

Names, dates, MHT answers and other details are illustrative; the shape (five children
screened after home visits, consent from each child and guardian, the MHT before and after,
ten weekly home sessions each, evaluation and closure) follows the newspaper report in the
project's seed material.  The station's journal registers 许庄街道社工站, its 心桥舒屋
project (5 cases x 10 sessions, as the article says) and its workers, with a volunteer team,
partners and a few community activities that are purely illustrative (their names say so).
The station has a supervisor who approves each closure (the demo runs on
:data:`~casework.standard.MHT_SUPERVISED`), and a small outreach register of illustrative
residents (示例) visited at home, one visit finding a need.  :func:`agenda_text` prints the
agenda of one day (:data:`AGENDA_DAY`: the five 30-day follow-up visits overdue).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from dateutil import rrule

from casework._support import display_width
from casework.assessment import Phase, baseline, outcomes, pairs, post_after
from casework.case import Case
from casework.engine import Engine, EventSink
from casework.errors import InvalidValue
from casework.instruments import CONTENT_SCALES, MHT, FlagKind, change, estimate_reliability
from casework.journal import Journal
from casework.outreach import OutreachVisit, Resident
from casework.plan import SessionMode, SessionPlan, SessionRecord
from casework.records import Client, Consent, ConsentGiver, Guardian, Role, TargetGroup, Worker
from casework.register import Register, record_visit, register_resident
from casework.reporting import labels
from casework.reporting.agenda import agenda
from casework.reporting.indicators import default_cutoff
from casework.reporting.recording import record_activity, record_volunteer_hours, register
from casework.reporting.records import (
    Activity,
    PartnerOrganisation,
    PlannedOutputs,
    Project,
    Station,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
)
from casework.standard import MHT_SUPERVISED

__all__ = [
    "AGENDA_DAY",
    "CHILDREN",
    "JOURNAL_ID",
    "RESIDENTS",
    "SUPERVISOR",
    "VISITS",
    "WORKERS",
    "agenda_text",
    "demo_engine",
    "run_station",
    "run_xuzhuang",
    "station_journal",
    "summary",
]

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
#: The station's supervisor (督导), who approves each closure.
SUPERVISOR = Worker("zhou-supervisor", Role.SUPERVISOR)
WORKERS = (
    Worker("wu-chao", "social_worker"),
    Worker("xinqiao-counsellor-1", "volunteer_counsellor"),
    SUPERVISOR,
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


#: The station journal's id.
JOURNAL_ID = "xuzhuang-journal"
_ADMIN = "admin"
_REGISTERED = date(2023, 1, 2)
#: The day whose agenda the demo prints: each child's 30-day follow-up visit is overdue.
AGENDA_DAY = date(2023, 7, 10)

#: Illustrative people under watch (示例): the station's small outreach register.
# fmt: off
RESIDENTS = (
    Resident("xz-r-01", "王奶奶（示例）", date(1941, 8, 12), {"elderly_living_alone"},
             registered=date(2023, 5, 4), worker="wu-chao"),
    Resident("xz-r-02", "张爷爷（示例）", date(1938, 3, 30), {"elderly_living_alone"},
             registered=date(2023, 5, 4), worker="wu-chao"),
    Resident("xz-r-03", "小林（示例）", date(2014, 10, 2), {"child_in_difficulty"},
             registered=date(2023, 5, 4), guardian="林奶奶（示例）", worker="wu-chao"),
)
#: Illustrative outreach visits (走访入户) from May, when the register starts; the second
#: to 小林 finds a need.
VISITS = (
    OutreachVisit("xz-v-01", "xz-r-01", date(2023, 5, 8), "wu-chao"),
    OutreachVisit("xz-v-02", "xz-r-03", date(2023, 5, 15), "wu-chao"),
    OutreachVisit("xz-v-03", "xz-r-02", date(2023, 5, 16), "wu-chao"),
    OutreachVisit("xz-v-04", "xz-r-01", date(2023, 6, 5), "wu-chao"),
    OutreachVisit("xz-v-05", "xz-r-02", date(2023, 6, 15), "wu-chao", "phone"),
    OutreachVisit("xz-v-06", "xz-r-03", date(2023, 7, 3), "wu-chao",
                  needs={"learning_support"}, notes="作业跟不上（示例）"),
)
# fmt: on


def station_journal(store: EventSink | None = None) -> Journal:
    """The Xuzhuang station's 2023 journal: the station, its 心桥舒屋 project, its workers
    (a supervisor among them), and an illustrative volunteer team, partners, activities,
    volunteer hours and outreach register (:data:`RESIDENTS`, :data:`VISITS`).

    With ``store``, every event is saved there too.  Everything marked 示例 is illustrative.
    """
    at, by = _REGISTERED, _ADMIN
    journal = Journal.open(JOURNAL_ID, station="xuzhuang", at=at, by=by, store=store)
    records: list[Station | Project | Worker | VolunteerTeam | Volunteer | PartnerOrganisation]
    records = [
        Station("xuzhuang", "许庄街道社工站", "许庄街道", date(2021, 11, 1)),
        Project(
            "xinqiao",
            "心桥舒屋",
            "child_care",
            date(2023, 3, 1),
            date(2023, 12, 31),
            target_groups={"child_in_difficulty"},
            planned=PlannedOutputs(cases=5, sessions_per_case=10),
        ),
        *WORKERS,
        VolunteerTeam("xiangyang", "向阳花开志愿服务队（示例）", date(2022, 5, 1)),
        *(Volunteer(f"vol-{n:02d}", "xiangyang", date(2022, 5, 1)) for n in (1, 2, 3)),
        PartnerOrganisation("xuzhuang-community", "许庄社区居委会（示例）", "community"),
        PartnerOrganisation("clinic", "街道卫生服务中心（示例）", "charity"),
    ]
    for record in records:
        register(journal, record, at=at, by=by, store=store)
    lead = WORKERS[0].id
    service = VolunteerService(
        "vol-02", date(2023, 9, 20), 3.0, "xinqiao", "accompanied a follow-up home visit"
    )
    dated: list[tuple[date, Resident | OutreachVisit | Activity | VolunteerService]] = [
        *((r.registered, r) for r in RESIDENTS),
        *((v.on, v) for v in VISITS),
        *((a.on, a) for a in _ACTIVITIES),
        (service.on, service),
    ]
    for _, item in sorted(dated, key=lambda pair: pair[0]):  # the journal is in date order
        if isinstance(item, Resident):
            register_resident(journal, item, by=lead, store=store)
        elif isinstance(item, OutreachVisit):
            record_visit(journal, item, store=store)
        elif isinstance(item, Activity):
            record_activity(journal, item, by=lead, store=store)
        else:
            record_volunteer_hours(journal, item, by=lead, store=store)
    return journal


def _hours(*pairs: tuple[str, float]) -> tuple[VolunteerHours, ...]:
    return tuple(VolunteerHours(v, h) for v, h in pairs)


#: Illustrative community activities of 2023, in date order (titles say 示例).
_ACTIVITIES = (
    Activity(
        "act-2023-01", "free_clinic", date(2023, 4, 15), "社区义诊（示例）", "许庄社区广场", 46,
        volunteers=_hours(("vol-01", 3.0), ("vol-02", 3.0)),
        partners=("xuzhuang-community", "clinic"),
    ),
    Activity(
        "act-2023-02", "free_haircut", date(2023, 5, 20), "爱心义剪（示例）", "许庄社区活动中心",
        28, volunteers=_hours(("vol-03", 2.5)), partners=("xuzhuang-community",),
    ),
    Activity(
        "act-2023-03", "group_session", date(2023, 6, 10), "心桥舒屋亲子小组（示例）",
        "许庄街道社工站", 10, project="xinqiao",
        volunteers=_hours(("vol-01", 2.0), ("vol-02", 2.0)),
    ),
    Activity(
        "act-2023-04", "health_consultation", date(2023, 9, 16), "老年健康讲座（示例）",
        "许庄社区活动中心", 35, volunteers=_hours(("vol-03", 2.0)), partners=("clinic",),
    ),
)  # fmt: skip


def demo_engine(store: EventSink | None = None) -> Engine:
    """The demo's engine: :data:`~casework.standard.MHT_SUPERVISED` with the station's
    :data:`WORKERS` (so the supervisor may approve closures), saving to ``store`` if given.
    """
    return Engine(MHT_SUPERVISED, store=store, workers=WORKERS)


def run_xuzhuang(
    engine: Engine | None = None, *, station: bool = False
) -> tuple[Engine, list[Case]]:
    """Drive the five cases from referral to closure; returns the engine and the cases.

    The default engine is :func:`demo_engine`: the worker requests each closure and the
    supervisor approves it.  On an engine whose lifecycle closes without approval (such as
    ``Engine(MHT_LIFECYCLE)``) the worker closes each case directly.

    ``station=True`` also records the station's journal (:func:`station_journal`), saved to
    the engine's store with the cases, so a report on that store shows the whole station
    (its staff, volunteers, partners, activities and outreach register) rather than zeros;
    without it the cases are recorded alone (to put them beside another station's journal).
    """
    if station:
        engine, cases, _ = run_station(engine)
        return engine, cases
    engine = engine or demo_engine()
    return engine, _run_cases(engine)


def run_station(engine: Engine | None = None) -> tuple[Engine, list[Case], Journal]:
    """The station's journal and the five cases; both saved to the engine's store, if any."""
    engine = engine or demo_engine()
    journal = station_journal(engine.store)
    cases = _run_cases(engine)
    return engine, cases, journal


def _run_cases(engine: Engine) -> list[Case]:
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
        _close(engine, case, at=end + timedelta(days=3), by=lead)
        cases.append(case)
    return cases


def _close(engine: Engine, case: Case, *, at: datetime, by: str) -> None:
    """Close ``case``: directly, or (where the lifecycle asks for it) by a request that the
    station's supervisor approves the same afternoon.
    """
    asked = engine.fire(case, "close", at=at, by=by, reason="goals met")
    if case.state == "closed":
        return
    if SUPERVISOR.id not in engine.workers:
        raise InvalidValue(
            "engine.workers",
            f"closing needs a supervisor's approval: give the engine the demo's workers "
            f"(Engine(..., workers=WORKERS)) so {SUPERVISOR.id!r} may approve it",
        )
    engine.approve(
        case, asked.seq, by=SUPERVISOR.id, at=at.replace(hour=16), note="同意结案（示例）"
    )


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
        "approved": "closures approved by the supervisor",
        "approved_how": "requested by {asked}, approved by {approver}",
        "register": "outreach register: {people} people under watch (illustrative), "
        "{visits} visits, {found} found a need",
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
        "approved": "督导审批结案",
        "approved_how": "{asked} 申请，{approver} 批准",
        "register": "走访台账：在册 {people} 人（示例），走访 {visits} 次，{found} 次发现需求",
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
    colon = "：" if lang == "zh" else ": "
    lines = [
        str(text["title"]),
        f"{text['cases']}{colon}{len(cases)}   {text['sessions']}{colon}{held}   "
        f"{text['closed']}{colon}{closed}",
        *_approvals(cases, lang),
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


def _approvals(cases: list[Case], lang: str) -> list[str]:
    """One line on the closures a supervisor approved (none when nobody approved any)."""
    text = _TEXT[lang]
    approved = [
        (str(ev.payload["approval"]["requested_by"]), ev.actor)
        for c in cases
        for ev in c.history
        if ev.state == "closed" and "approval" in ev.payload
    ]
    if not approved:
        return []
    sep, colon = ("、", "：") if lang == "zh" else (", ", ": ")
    asked = sep.join(sorted({who for who, _ in approved}))
    approver = sep.join(sorted({by for _, by in approved}))
    how = str(text["approved_how"]).format(asked=asked, approver=approver)
    how = f"（{how}）" if lang == "zh" else f" ({how})"
    return [f"{text['approved']}{colon}{len(approved)}/{len(cases)}{how}"]


_PHASE_ZH = {"screening": "筛查", "baseline": "前测", "mid": "中测", "post": "后测"}


def _mht_section(cases: list[Case], lang: str) -> list[str]:
    """The MHT before and after, judged as the yearly report judges it: reliability from
    the cohort's baselines, the MHT's own clinical cut-off (65) for "recovered".
    """
    text = _TEXT[lang]
    assessed = [c for c, _, _ in pairs(cases, "mht")]
    if not assessed:
        return []
    cutoff = default_cutoff(MHT)
    try:
        reliability = estimate_reliability([pre.result for _, pre, _ in pairs(assessed, "mht")])
    except InvalidValue:  # too few, or identical, baselines: as the report says
        return ["", labels.no_reliable_change_note("mht", len(assessed)).text(lang)]
    summary_ = outcomes(assessed, "mht", reliability=reliability, cutoff=cutoff)
    by_case = dict(zip([c.id for c in assessed], summary_.outcomes, strict=True))
    lines = ["", str(text["mht"]), "".join(_pad(h, 14) for h in text["mhead"])]
    details = []
    colon, semi = ("：", "；") if lang == "zh" else (": ", "; ")
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
        sep = "、" if lang == "zh" else ", "
        scales = sep.join(
            f"{names[s.key]} {s.pre}→{s.post}" for s in moved if s.key in CONTENT_SCALES
        )
        shown = [
            f.zh if lang == "zh" else f.en
            for f in pre.result.flag_details
            if f.kind is not FlagKind.INFO
        ]
        flags = sep.join(shown) or text["none"]
        alert = (
            "; ".join(
                f"{_phase(a.payload['phase'], lang)}{colon}{' '.join(a.payload[lang])}"
                for a in c.alerts
            )
            or text["none"]
        )
        details.append(f"  {c.client.pseudonym}{colon}{text['scales']}{colon}{scales}")
        details.append(
            f"  {_pad('', len(c.client.pseudonym) * 2)}{text['flags']}{colon}{flags}{semi}"
            f"{text['alerts']}{colon}{alert}"
        )
    lines += details
    notes = [labels.reliability_note("mht", reliability), labels.cutoff_note("mht", cutoff)]
    lines += [f"  {note.text(lang)}" for note in notes]
    return lines


def _phase(phase: str, lang: str) -> str:
    return _PHASE_ZH.get(phase, phase) if lang == "zh" else phase


def agenda_text(
    cases: list[Case], journal: Journal, lang: str = "en", on: date = AGENDA_DAY
) -> str:
    """The agenda of day ``on`` for the demo's cases and register, in ``lang`` (ids only)."""
    if lang not in _TEXT:
        raise ValueError(f"lang must be one of {sorted(_TEXT)}, got {lang!r}")
    kept = Register.of(journal, until=on)
    found = sum(1 for v in kept.visits if v.found_need)
    note = str(_TEXT[lang]["register"]).format(
        people=len(kept.residents), visits=len(kept.visits), found=found
    )
    return f"{note}\n{agenda(cases, [journal], on=on, lang=lang).to_text(lang)}"
