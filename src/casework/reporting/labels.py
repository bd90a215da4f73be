"""Bilingual labels (中文 / English) for everything reports display, in one place.

States and instrument scales already carry their labels in their definitions (a lifecycle's
:class:`~casework.lifecycle.State`, an instrument's :class:`~casework.instruments.Scale`); the
functions here read them from there rather than copying them.  Everything reporting adds
(indicators, table columns, service areas, activity kinds, partner roles, report headings) is
defined below, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

import attrs

from casework.errors import InvalidValue
from casework.lifecycle import Lifecycle

if TYPE_CHECKING:
    from casework.instruments import CutOff, Reliability

__all__ = [
    "ACTIVITY_KINDS",
    "COLUMNS",
    "HEADINGS",
    "INDICATORS",
    "LANGS",
    "OUTPUTS",
    "PARTNER_ROLES",
    "SERVICE_AREAS",
    "SOURCES",
    "Label",
    "check_lang",
    "cutoff_note",
    "instrument_label",
    "no_reliable_change_note",
    "reliability_note",
    "scale_label",
    "state_label",
    "state_labels",
]

#: The languages every label has.
LANGS: Final = ("zh", "en")


def check_lang(lang: str) -> str:
    """``lang`` if it is ``"zh"`` or ``"en"``; otherwise :class:`InvalidValue`."""
    if lang not in LANGS:
        raise InvalidValue("lang", f"must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


@attrs.frozen
class Label:
    """A display text in Chinese and English."""

    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"

    def text(self, lang: str) -> str:
        """The text in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if check_lang(lang) == "zh" else self.en


L = Label

#: Indicators: the name of each indicator function (and of its table) and of each measure.
INDICATORS: Final[Mapping[str, Label]] = {
    "cases_by_state": L("各状态个案数", "cases by state"),
    "case_flow": L("开案、结案与退出", "cases opened, closed and withdrawn"),
    "sessions_per_case": L("个案服务次数", "sessions held per case"),
    "person_times": L("服务人次", "service person-times"),
    "activities": L("社区活动", "community activities"),
    "volunteer_hours": L("志愿服务时长", "volunteer hours"),
    "volunteer_hours_by_volunteer": L("志愿者服务时长", "volunteer hours by volunteer"),
    "volunteer_hours_by_team": L("志愿服务团队时长", "volunteer hours by team"),
    "completion": L("项目计划完成率", "completion against planned outputs"),
    "time_in_state": L("各阶段停留时间", "time spent in each state"),
    "outcomes": L("服务成效（前后测）", "outcomes (before and after)"),
    "monthly": L("月度趋势", "monthly trend"),
    "ledger": L("年度服务台账", "yearly service ledger"),
    "case_register": L("个案名册", "case register"),
    "volunteer_register": L("志愿者名册", "volunteer register"),
    "activity_register": L("活动登记", "activity register"),
    "approval_turnaround": L("审批时效", "approval turnaround"),
    # measures (the counts the monthly series and the ledger are made of)
    "opened": L("开案数", "cases opened"),
    "closed": L("结案数", "cases closed"),
    "withdrawn": L("退出数", "cases withdrawn"),
    "sessions": L("个案服务次数", "sessions held"),
    "participants": L("活动参与人次", "activity participants"),
    "open_at_end": L("期末在案数", "cases open at the end"),
    "volunteers_active": L("参与服务的志愿者", "volunteers who served"),
    "volunteers": L("注册志愿者", "registered volunteers"),
    "teams": L("志愿服务团队", "volunteer teams"),
    "partners": L("联动社区社会组织", "linked partner organisations"),
    "social_workers": L("专职社工", "social workers"),
    "projects": L("在办项目", "projects"),
}

#: Table columns, by the key used in the rows.
COLUMNS: Final[Mapping[str, Label]] = {
    # the agenda (casework.reporting.agenda)
    "due": L("到期日", "due"),
    "days_overdue": L("逾期天数", "days overdue"),
    "subject": L("个案/对象", "case or person"),
    "rule": L("待办事项", "to do"),
    "trigger": L("完成操作", "done by"),
    "detail": L("说明", "detail"),
    "station": L("社工站", "station"),
    # outreach (casework.reporting.outreach)
    "target_group": L("对象类别", "target group"),
    "visits": L("走访次数", "visits"),
    "people": L("对象数", "people"),
    "on_time": L("按时走访", "visited on time"),
    "on_time_rate": L("按时率", "on-time share"),
    "items": L("事项数", "items"),
    "median_days_overdue": L("逾期天数中位数", "median days overdue"),
    # approval turnaround (casework.reporting.approvals)
    "decided": L("已审批", "decided"),
    "approved": L("批准", "approved"),
    "refused": L("驳回", "refused"),
    "request": L("申请事项", "request for"),
    "pending_at_end": L("期末待审批", "waiting at the end"),
    "state": L("状态", "state"),
    "lifecycle": L("流程", "lifecycle"),
    "cases": L("个案数", "cases"),
    "measure": L("指标", "indicator"),
    "value": L("数值", "value"),
    "case_id": L("个案编号", "case"),
    "client_id": L("服务对象编号", "client"),
    "pseudonym": L("化名", "pseudonym"),
    "name": L("姓名", "name"),
    "birth_date": L("出生日期", "birth date"),
    "guardians": L("监护人", "guardians"),
    "sex": L("性别", "sex"),
    "age_band": L("年龄段", "age band"),
    "target_groups": L("服务对象类别", "target groups"),
    "project": L("项目", "project"),
    "area": L("服务领域", "service area"),
    "worker": L("负责社工", "worker"),
    "opened_on": L("开案日期", "opened"),
    "closed_on": L("结案日期", "closed"),
    "sessions_held": L("已服务次数", "sessions held"),
    "sessions_planned": L("计划次数", "sessions planned"),
    "source": L("服务类型", "service"),
    "person_times": L("服务人次", "person-times"),
    "kind": L("活动类型", "kind"),
    "activities": L("活动次数", "activities"),
    "participants": L("参与人次", "participants"),
    "volunteer_hours": L("志愿服务时长（小时）", "volunteer hours"),
    "volunteer_id": L("志愿者编号", "volunteer"),
    "team": L("团队", "team"),
    "volunteers": L("志愿者人数", "volunteers"),
    "hours": L("时长（小时）", "hours"),
    "output": L("计划产出", "planned output"),
    "planned": L("计划", "planned"),
    "actual": L("实际", "actual"),
    "rate": L("完成率", "completion"),
    "n": L("人数", "n"),
    "mean_days": L("平均天数", "mean days"),
    "median_days": L("中位天数", "median days"),
    "q1_days": L("下四分位（天）", "lower quartile (days)"),
    "q3_days": L("上四分位（天）", "upper quartile (days)"),
    "max_days": L("最长天数", "longest (days)"),
    "instrument": L("量表", "instrument"),
    "improved": L("有所改善", "improved"),
    "reliably_improved": L("可靠改善", "reliably improved"),
    "recovered": L("康复", "recovered"),
    "unchanged": L("无可靠变化", "no reliable change"),
    "deteriorated": L("恶化", "deteriorated"),
    "month": L("月份", "month"),
    "opened": INDICATORS["opened"],
    "closed": INDICATORS["closed"],
    "withdrawn": INDICATORS["withdrawn"],
    "sessions": INDICATORS["sessions"],
    "open_at_end": INDICATORS["open_at_end"],
    "activity_id": L("活动编号", "activity"),
    "title": L("活动名称", "title"),
    "date": L("日期", "date"),
    "place": L("地点", "place"),
    "notes": L("备注", "notes"),
    "joined": L("加入日期", "joined"),
}

#: The four service areas (四大服务领域).
SERVICE_AREAS: Final[Mapping[str, Label]] = {
    "social_assistance": L("社会救助", "social assistance"),
    "elderly_services": L("养老服务", "elderly services"),
    "child_care": L("儿童关爱", "child care and protection"),
    "community_governance": L("社区治理", "community governance"),
}

#: Kinds of community activity.
ACTIVITY_KINDS: Final[Mapping[str, Label]] = {
    "free_clinic": L("义诊", "free clinic"),
    "free_haircut": L("义剪", "free haircut"),
    "health_consultation": L("健康咨询", "health talk / consultation"),
    "group_session": L("小组活动", "group session"),
    "other": L("其他活动", "other activity"),
}

#: The five parties of the five-party linkage (五社联动).
PARTNER_ROLES: Final[Mapping[str, Label]] = {
    "community": L("社区", "community"),
    "social_organisation": L("社会组织", "social organisation"),
    "social_worker": L("社会工作者", "social workers"),
    "volunteer": L("社区志愿者", "community volunteers"),
    "charity": L("社会慈善资源", "charitable resources"),
}

#: Planned outputs of a project (what completion is measured against).
OUTPUTS: Final[Mapping[str, Label]] = {
    "cases": L("个案数", "cases"),
    "sessions": L("个案服务次数", "sessions"),
    "activities": L("活动次数", "activities"),
    "person_times": L("服务人次", "person-times"),
    "volunteer_hours": L("志愿服务时长", "volunteer hours"),
}

#: Where person-times come from (rows of the person-times table).
SOURCES: Final[Mapping[str, Label]] = {
    "sessions": L("个案服务", "casework sessions"),
    **{f"activity:{k}": v for k, v in ACTIVITY_KINDS.items()},
    "total": L("合计", "total"),
}

#: Sexes as recorded (:class:`casework.records.Sex`).
SEXES: Final[Mapping[str, Label]] = {
    "female": L("女", "female"),
    "male": L("男", "male"),
    "unrecorded": L("未记录", "not recorded"),
}

#: Target-group tags (:class:`casework.records.TargetGroup`); apps' own tags show as given.
TARGET_GROUPS: Final[Mapping[str, Label]] = {
    "child_in_difficulty": L("困境儿童", "child in difficulty"),
    "child_of_divorced_family": L("离婚家庭子女", "child of a divorced family"),
    "elderly_living_alone": L("独居老人", "elderly person living alone"),
    "elderly": L("老年人", "elderly person"),
    "person_in_hardship": L("困难群众", "person in hardship"),
    "person_with_disability": L("残疾人", "person with a disability"),
}

#: Headings of the yearly report and other fixed texts; ``{name}`` fields are filled in.
HEADINGS: Final[Mapping[str, Label]] = {
    "year_report": L("{station} {year}年度服务台账", "{station}: service ledger {year}"),
    "station": L("社工站", "station"),
    "founded": L("成立时间", "founded"),
    "township": L("镇街", "township"),
    "casework": L("个案工作", "casework"),
    "outreach": L("主动服务（走访）", "proactive service (outreach)"),
    "community": L("社区活动与志愿服务", "community activities and volunteering"),
    "outcomes": L("服务成效", "outcomes"),
    "none": L("无", "none"),
    "total": L("合计", "total"),
    "no_project": L("（未归属项目）", "(no project)"),
    "no_team": L("（未加入团队）", "(no team)"),
    "all_projects": L("全部项目", "all projects"),
    "lifecycle": L("个案流程图", "case lifecycle"),
    "other": L("其他", "other tables"),
    "timeline": L("{year}年在案个案的进程（按状态着色）", "cases active in {year}, by state"),
    "trends": L("{year}年各月指标", "indicators by month, {year}"),
    "cohort": L(
        "{instrument}：前后测总分（每条线为一名服务对象）",
        "{instrument}: total before and after (one line per client)",
    ),
    "profile": L(
        "{case}：{instrument}各分量表前后测", "{case}: {instrument} scales before and after"
    ),
    "comparison": L("各站点比较", "stations compared"),
    "district_total": L("全区合计 {value}", "district total {value}"),
    "district_report": L("{district} {year}年度服务台账", "{district}: service ledger {year}"),
    "stations": L("{n} 个社工站：{names}", "{n} stations: {names}"),
    "more_profiles": L("另有 {n} 名服务对象的剖面图未列出。", "{n} more profiles are not shown."),
    "no_graphviz": L(
        "未安装 Graphviz，流程图以 DOT 文本给出：",
        "Graphviz is not installed; the diagram is given as DOT text:",
    ),
    "private": L(
        "本报告不含个人信息（姓名、出生日期、备注）；个案以编号标识，年龄以年龄段表示。",
        "This report leaves out personal fields (names, birth dates, notes): cases are "
        "shown by id, ages as age bands.",
    ),
    "personal": L(
        "注意：本报告含个人信息（姓名、出生日期），仅供社工站内部使用，请勿外传。",
        "Caution: this report includes personal fields (names, birth dates); for the "
        "station's own use only.",
    ),
}


# --- labels that live in the definitions --------------------------------------------------


def state_labels(lifecycles: Iterable[Lifecycle]) -> dict[str, Label]:
    """Each state's label, read from the lifecycles' own definitions (first one wins)."""
    out: dict[str, Label] = {}
    for lc in lifecycles:
        for s in lc.states:
            if s.name not in out:
                out[s.name] = Label(s.label("zh"), s.label("en"))
    return out


def state_label(name: str, lang: str, lifecycles: Iterable[Lifecycle] | None = None) -> str:
    """The label of state ``name`` in ``lang`` (default lifecycles: those casework ships)."""
    if lifecycles is None:
        from casework.standard import MHT_LIFECYCLE, STANDARD

        lifecycles = (STANDARD, MHT_LIFECYCLE)
    found = state_labels(lifecycles).get(name)
    return found.text(lang) if found is not None else name


def instrument_label(instrument: str, lang: str) -> str:
    """The name of a shipped instrument (``"mht"``, ``"gds15"``...) in ``lang``."""
    from casework.assessment import SHIPPED_INSTRUMENTS

    found = SHIPPED_INSTRUMENTS.get(instrument)
    if found is None:
        return instrument
    return found.zh if check_lang(lang) == "zh" else found.en


def scale_label(instrument: str, key: str, lang: str) -> str:
    """The label of scale ``key`` (or ``"total"``) of a shipped instrument, in ``lang``."""
    from casework.assessment import SHIPPED_INSTRUMENTS

    found = SHIPPED_INSTRUMENTS.get(instrument)
    if found is None:
        return key
    if key == "total":
        return found.total.zh if check_lang(lang) == "zh" else found.total.en
    for scale in found.scales:
        if scale.key == key:
            return scale.zh if check_lang(lang) == "zh" else scale.en
    return key


# --- what outcome figures rest on ---------------------------------------------------------

_ESTIMATED = re.compile(r"estimated: (?P<method>.+) from n=(?P<n>\d+)")
_RULE = re.compile(r"\S+ rule '(?P<rule>[^']+)'")
_METHODS: Final[Mapping[str, str]] = {"KR-20": "KR-20", "Cronbach's alpha": "Cronbach α 系数"}


def _named(instrument: str) -> Label:
    return Label(instrument_label(instrument, "zh"), instrument_label(instrument, "en"))


def reliability_note(instrument: str, reliability: Reliability) -> Label:
    """Where the reliability behind an outcome table came from, in both languages.

    ``reliability.source`` is ``"supplied"`` or ``"estimated: KR-20 from n=5"``.
    """
    name = _named(instrument)
    figures = f"r={reliability.r:.3f}, SD={reliability.sd:.3f}"
    zh_figures = figures.replace(", ", "，")
    found = _ESTIMATED.fullmatch(reliability.source)
    if found is not None:
        method, n = found["method"], found["n"]
        return Label(
            f"{name.zh}：信度 {zh_figures}，由本组 {n} 名服务对象的前测估计"
            f"（{_METHODS.get(method, method)}）",
            f"{name.en}: reliability {figures}, estimated from the cohort's own {n} "
            f"baselines ({method})",
        )
    if reliability.source == "supplied":
        return Label(
            f"{name.zh}：信度 {zh_figures}（给定值）", f"{name.en}: reliability {figures}, supplied"
        )
    return Label(
        f"{name.zh}：信度 {zh_figures}（{reliability.source}）",
        f"{name.en}: reliability {figures} ({reliability.source})",
    )


def cutoff_note(instrument: str, cutoff: CutOff | None) -> Label:
    """The clinical cut-off behind "recovered", or that there is none, in both languages."""
    name = _named(instrument)
    if cutoff is None:
        return Label(
            f"{name.zh}：未设临界值，无人可计为“康复”",
            f"{name.en}: no clinical cut-off, so nobody can be counted as recovered",
        )
    rule = _RULE.fullmatch(cutoff.source)
    if rule is not None:
        return Label(
            f"{name.zh}：临界值 {cutoff.value:g}（量表自身的规则 {rule['rule']}）",
            f"{name.en}: clinical cut-off {cutoff.value:g} (the instrument's own rule "
            f"{rule['rule']!r})",
        )
    return Label(
        f"{name.zh}：临界值 {cutoff.value:g}（{cutoff.source}）",
        f"{name.en}: clinical cut-off {cutoff.value:g} ({cutoff.source})",
    )


def no_reliable_change_note(instrument: str, n: int, *, same: float | None = None) -> Label:
    """Why reliable change could not be estimated for an instrument, in both languages.

    ``n`` is how many people were measured before and after; ``same`` is the one baseline
    score they all share (no variance), when that is the reason.
    """
    name = _named(instrument)
    if n == 0:
        return Label(
            f"{name.zh}：没有服务对象同时有前测和后测，无法评估可靠变化",
            f"{name.en}: nobody has both a baseline and a post assessment, "
            "so reliable change cannot be estimated",
        )
    if n < 2:
        return Label(
            f"{name.zh}：只有 {n} 名服务对象有前后测，估计信度至少需要 2 名，"
            "因此无法评估可靠变化（仅列出有所改善的人数）",
            f"{name.en}: only {n} person has a baseline and a post; estimating reliability "
            "needs at least 2, so reliable change cannot be estimated (only 'improved' is "
            "counted)",
        )
    if same is not None:
        return Label(
            f"{name.zh}：{n} 名服务对象的前测总分都是 {same:g}，没有变异，无法估计信度，"
            "因此无法评估可靠变化（仅列出有所改善的人数）",
            f"{name.en}: all {n} baseline totals are {same:g}, with no variance to estimate "
            "reliability from, so reliable change cannot be estimated (only 'improved' is "
            "counted)",
        )
    return Label(
        f"{name.zh}：无法由本组 {n} 名服务对象的前测估计信度，因此无法评估可靠变化"
        "（仅列出有所改善的人数）",
        f"{name.en}: reliability cannot be estimated from the cohort's {n} baselines, so "
        "reliable change cannot be estimated (only 'improved' is counted)",
    )
