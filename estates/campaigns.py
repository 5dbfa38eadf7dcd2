"""Running campaigns from one round to the next: a new round copied from an earlier one, and
what a phase change will do and leave unfinished, shown before it is confirmed.

The rules themselves (which phase follows, what blocks it) are in estates/workflow.py."""

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .enums import OPEN_OBJECTION_STATES
from .enums import CampaignPhase as P
from .enums import NominationState as S
from .models import ActivityRequirement, Campaign, Criterion, Objection, ProvinceQuota, Review
from .numbers import plain_number, two_places
from .validators import latest_campaign_year
from .workflow import (
    NEXT_PHASE,
    blocking_nominations,
    blocking_states,
    moves_in_phase,
    notice_is_over,
    phase_step_problem,
)

# What a new round keeps of the earlier one besides its criteria, required activities and
# province quotas. Not the document number, the notice dates or anything of the results.
CARRIED_OVER = [
    "level",
    "province",
    "city",
    "organizer",
    "organizer_en",
    "quota",
    "min_satisfaction",
    "min_fee_collection",
    "reviewers_per_nomination",
]
# Carried over too, with the earlier round's year replaced by the new one wherever it stands.
YEARLY = ["title", "title_en", "slug", "description", "description_en"]


def proposed_year(source, today=None):
    """The year proposed for the round after `source`: the year after it, but not a year
    already past (the 2021 round copied in 2026 proposes 2026), nor later than a campaign's
    year may be (next year: a round is set up in the year before it runs)."""
    this_year = (today or timezone.localdate()).year
    return min(max(source.year + 1, this_year), latest_campaign_year(today))


def _year_in_text(year):
    # The year as a number of its own: "2025年度", "quanguo-2025", not "20250" or "12025".
    return re.compile(rf"(?<!\d){year}(?!\d)")


def year_parts(source, name):
    """The text of `source`'s field `name` cut where its year stands: joined with another
    year, it is that year's text. A web address without the year gets it at the end."""
    text = getattr(source, name)
    parts = _year_in_text(source.year).split(text)
    if name == "slug" and len(parts) == 1:
        parts = [f"{text}-", ""]
    return parts


def for_year(source, name, year):
    """`source`'s field `name` for another year (cut to the field's length, as the browser
    cuts what it proposes)."""
    text = str(year).join(year_parts(source, name))
    max_length = Campaign._meta.get_field(name).max_length
    return text[:max_length] if max_length else text


def next_round(source, year=None, today=None):
    """An unsaved campaign for the round after `source` (in `year`, by default the proposed
    one): its settings, and its title, web address and description with the year replaced;
    筹备中, without dates or nominations."""
    year = proposed_year(source, today) if year is None else year
    return Campaign(
        year=year,
        phase=P.DRAFT,
        **{name: for_year(source, name, year) for name in YEARLY},
        **{name: getattr(source, name) for name in CARRIED_OVER},
    )


def copy_campaign(source, campaign):
    """Save `campaign` (from next_round(), with the year, title and address a person chose)
    with the criteria and their weights, the required activities and the province quotas of
    `source`, all or nothing."""
    with transaction.atomic():
        campaign.phase = P.DRAFT
        campaign.save()
        Criterion.objects.bulk_create(
            Criterion(
                campaign=campaign,
                number=c.number,
                title=c.title,
                description=c.description,
                weight=c.weight,
            )
            for c in source.criteria.all()
        )
        ActivityRequirement.objects.bulk_create(
            ActivityRequirement(
                campaign=campaign, number=r.number, title=r.title, description=r.description
            )
            for r in source.activity_requirements.all()
        )
        ProvinceQuota.objects.bulk_create(
            ProvinceQuota(campaign=campaign, province_id=q.province_id, quota=q.quota)
            for q in source.province_quotas.all()
        )
    return campaign


# What each phase change does, as the confirmation page says it.
EFFECTS = {
    P.NOMINATING: [
        _("各省级填报员可以为本活动填报推荐，填完全部材料后提交。"),
        _("原则要求和规定活动决定每项推荐要填写的材料，请在推进前核对。"),
    ],
    P.REVIEWING: [
        _("推荐申报结束：各省不能再提交推荐，尚未提交的草稿只能撤回。"),
        _("部级管理员可以对已提交的推荐开始评审、分配评审专家；评审专家开始打分。"),
    ],
    P.NOTICE: [
        _("评审结束：评审专家不能再打分，尚未提交的评审不能再提交。"),
        _("拟入选的推荐可以进入公示；公开网站的公示页面列出公示中的小区并接受异议。"),
    ],
    P.PUBLISHED: [
        _("确定入选的小区在同一时刻出现在公开网站上。"),
        _("未入选、已撤回的推荐不会公开；此后只能撤销入选，不能再改变其他推荐的结果。"),
    ],
    P.ARCHIVED: [
        _("活动归档，不再变动；已公开的入选小区继续在公开网站上展示。"),
    ],
}


@dataclass
class Blocker:
    nomination: object
    moves: list  # what can be done about it in the current phase


@dataclass
class PhaseChangePreview:
    """What moving `campaign` to `target` does and leaves unfinished, read in a fixed number
    of queries whatever the number of nominations."""

    campaign: Campaign
    target: str
    effects: list
    state_counts: list  # [(state, label, count)] of the states that have nominations
    warnings: list = field(default_factory=list)  # unfinished, but no obstacle
    blockers: list = field(default_factory=list)  # [Blocker]: the change is refused until then
    blocker_count: int = 0
    problems: list = field(default_factory=list)  # other reasons the change is refused now
    cautions: list = field(default_factory=list)  # said next to the confirmation button
    notice_over: bool = True

    @property
    def target_label(self):
        return P(self.target).label

    @property
    def blocking_states(self):
        """The states that stop this step (for a link to the list of those nominations)."""
        return sorted(blocking_states(self.target))


BLOCKERS_SHOWN = 200  # a page with more lists these and links to the filtered list for all


def next_step(campaign):
    """The phase the campaign's next step leads to: the next phase, or from notice the
    publication of results; None at the end."""
    return P.PUBLISHED if campaign.phase == P.NOTICE else NEXT_PHASE.get(campaign.phase)


def _cautions(campaign, target, today):
    if target == P.NOTICE and campaign.notice_starts_on and campaign.notice_starts_on > today:
        return [
            _(
                "公示开始日期是 %(start)s，还没有到：推进后，公开网站上就会出现本活动的"
                "公示页面，但公众要从 %(start)s 起才能提出异议。如果公示应从今天开始，"
                "请先在活动页面把公示开始日期改为今天。"
            )
            % {"start": _date(campaign.notice_starts_on)}
        ]
    return []


def _date(day):
    return formats.date_format(day, _("Y年n月j日"))


def phase_change_preview(campaign, today=None):
    """The preview of the campaign's next step (next_step()), or None at the end."""
    target = next_step(campaign)
    if target is None:
        return None
    today = today or timezone.localdate()
    counts = dict(
        campaign.nominations.values_list("state").annotate(n=Count("pk")).order_by("state")
    )
    problem = phase_step_problem(campaign, target, today)
    blocking = blocking_nominations(campaign, target)
    blockers = [
        Blocker(n, moves_in_phase(n.state, campaign.phase)) for n in blocking[:BLOCKERS_SHOWN]
    ]
    return PhaseChangePreview(
        campaign=campaign,
        target=target,
        effects=_effects(campaign, target, counts),
        state_counts=[(s.value, s.label, counts[s.value]) for s in S if counts.get(s.value)],
        warnings=_warnings(campaign, target, counts),
        blockers=blockers,
        blocker_count=len(blockers) if len(blockers) < BLOCKERS_SHOWN else blocking.count(),
        notice_over=target != P.PUBLISHED or notice_is_over(campaign),
        problems=[] if problem is None else problem.messages,
        cautions=[] if problem is not None else _cautions(campaign, target, today),
    )


def _effects(campaign, target, counts):
    effects = list(EFFECTS[target])
    if target == P.PUBLISHED:
        selected = counts.get(S.SELECTED, 0)
        if campaign.quota is None:
            effects.insert(0, _("将公开 %(n)s 个入选小区（名额不限）。") % {"n": selected})
        else:
            effects.insert(
                0,
                _("将公开 %(n)s 个入选小区（名额 %(quota)s 个）。")
                % {"n": selected, "quota": campaign.quota},
            )
    return effects


def _warnings(campaign, target, counts):
    warnings = []
    if target == P.NOMINATING:
        warnings += _criteria_warnings(campaign)
    if target == P.REVIEWING and counts.get(S.DRAFT):
        warnings.append(
            _("%(n)s 份草稿尚未提交，推进后将不能再提交（只能撤回）。") % {"n": counts[S.DRAFT]}
        )
    if target == P.NOTICE:
        open_reviews = Review.objects.filter(
            nomination__campaign=campaign, submitted_at__isnull=True
        ).count()
        if open_reviews:
            warnings.append(
                _("%(n)s 份评审尚未提交，推进后评审专家将不能再打分和提交。") % {"n": open_reviews}
            )
        if not counts.get(S.SHORTLISTED):
            warnings.append(_("还没有拟入选的推荐：公示名单将是空的。"))
    if target == P.PUBLISHED:
        open_objections = Objection.objects.filter(
            nomination__campaign=campaign, state__in=OPEN_OBJECTION_STATES
        ).count()
        if open_objections:
            warnings.append(
                _("%(n)s 件异议尚未处理完；有未处理异议的推荐不能确定入选。")
                % {"n": open_objections}
            )
        if counts.get(S.DRAFT):
            warnings.append(
                _("%(n)s 份草稿从未提交，不参加本次评选，也不会公开。") % {"n": counts[S.DRAFT]}
            )
        if not counts.get(S.SELECTED):
            warnings.append(_("还没有确定入选的推荐：发布后公开网站上不会出现本活动的小区。"))
    return warnings


def _criteria_warnings(campaign):
    warnings = []
    weights = list(campaign.criteria.values_list("weight", flat=True))
    if not weights:
        warnings.append(_("本活动还没有原则要求：推荐将没有可填写的原则要求材料。"))
    problem = weights_problem(weights)
    if problem:
        warnings.append(problem)
    if not campaign.activity_requirements.exists():
        warnings.append(_("本活动还没有规定活动。"))
    return warnings


def weights_problem(weights):
    """What is wrong with these criteria weights, or None: they make up the review total, so
    together they are 100 (no criteria yet is not wrong)."""
    if not weights:
        return None
    total = sum(weights)
    if total == 100:
        return None
    return _(
        "各项原则要求的权重之和应为 100，现在 %(count)s 项合计 %(total)s。"
        "请调整“权重（%%）”一栏，使合计为 100。"
    ) % {"count": len(weights), "total": plain_number(two_places(total))}
