"""The campaign process: the one function that changes a nomination's state, the campaign's
phases, reviews, objections and the publication of results.

`transition()` checks that the move is allowed from the current state and in the campaign's
current phase, that the actor's role and province allow it, and that what the move needs is
there (all evidence before submission, a reason for a refusal, no open objection and a free
place in the quota before selection). It saves under a row lock, so two people acting at once
cannot both move the same nomination, and records who, when, from, to and why. Nothing else
writes `Nomination.state`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _

from . import notifications
from .enums import IN_PROCESS_STATES, OPEN_OBJECTION_STATES, ObjectionState
from .enums import CampaignPhase as P
from .enums import NominationState as S
from .models import (
    Campaign,
    CampaignPhaseChange,
    Metric,
    Nomination,
    NominationTransition,
    Objection,
    Review,
    ReviewScore,
)
from .numbers import plain_number
from .roles import Role, province_id_of, role_of


@dataclass(frozen=True)
class Move:
    label: str
    roles: frozenset
    phases: frozenset
    needs_reason: bool = False
    needs_evidence: bool = False


MINISTRY = frozenset({Role.MINISTRY})
PROVINCE = frozenset({Role.PROVINCIAL, Role.MINISTRY})
BEFORE_RESULTS = frozenset({P.DRAFT, P.NOMINATING, P.REVIEWING, P.NOTICE})

MOVES = {
    (S.DRAFT, S.SUBMITTED): Move(
        _("提交推荐"), PROVINCE, frozenset({P.NOMINATING}), needs_evidence=True
    ),
    (S.DRAFT, S.WITHDRAWN): Move(_("撤回推荐"), PROVINCE, BEFORE_RESULTS),
    (S.SUBMITTED, S.WITHDRAWN): Move(_("撤回推荐"), PROVINCE, BEFORE_RESULTS, needs_reason=True),
    (S.SUBMITTED, S.DRAFT): Move(
        _("退回修改"), MINISTRY, frozenset({P.NOMINATING}), needs_reason=True
    ),
    (S.SUBMITTED, S.UNDER_REVIEW): Move(_("开始评审"), MINISTRY, frozenset({P.REVIEWING})),
    (S.UNDER_REVIEW, S.SHORTLISTED): Move(_("列为拟入选"), MINISTRY, frozenset({P.REVIEWING})),
    (S.UNDER_REVIEW, S.NOT_SELECTED): Move(
        _("确定未入选"), MINISTRY, frozenset({P.REVIEWING}), needs_reason=True
    ),
    (S.SHORTLISTED, S.ON_NOTICE): Move(_("进入公示"), MINISTRY, frozenset({P.NOTICE})),
    (S.SHORTLISTED, S.NOT_SELECTED): Move(
        _("确定未入选"), MINISTRY, frozenset({P.REVIEWING, P.NOTICE}), needs_reason=True
    ),
    (S.ON_NOTICE, S.SELECTED): Move(_("确定入选"), MINISTRY, frozenset({P.NOTICE})),
    (S.ON_NOTICE, S.NOT_SELECTED): Move(
        _("确定未入选"), MINISTRY, frozenset({P.NOTICE}), needs_reason=True
    ),
    (S.SELECTED, S.REVOKED): Move(_("撤销入选"), MINISTRY, frozenset(P), needs_reason=True),
}


def _may(move, user, nomination):
    role = role_of(user)
    if role not in move.roles:
        return False
    if role == Role.PROVINCIAL:
        return nomination.estate.province_id == province_id_of(user)
    return True


def allowed_moves(nomination, user):
    """[(to_state, Move)] the user may make now from the nomination's current state."""
    return [
        (to_state, move)
        for (from_state, to_state), move in MOVES.items()
        if from_state == nomination.state
        and nomination.campaign.phase in move.phases
        and _may(move, user, nomination)
    ]


def transition(nomination, to_state, actor, reason="", *, early=False):
    """Move the nomination to `to_state` on behalf of `actor`; returns the saved nomination.

    Raises PermissionDenied when the actor may not make this move, ValidationError (with a
    Chinese message) when the move is not possible now. `early` is the ministry's deliberate
    choice to select an estate before its notice period ends (a reason is then required).
    """
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = (
            Nomination.objects.select_for_update()
            .select_related("estate", "campaign")
            .get(pk=nomination.pk)
        )
        move = MOVES.get((locked.state, to_state))
        if move is None:
            raise ValidationError(
                _("推荐当前为“%(current)s”，不能改为“%(target)s”。"),
                code="invalid_transition",
                params={"current": locked.get_state_display(), "target": _label(to_state)},
            )
        if not _may(move, actor, locked):
            raise PermissionDenied(_("您没有权限对这项推荐执行“%(move)s”。") % {"move": move.label})
        if locked.campaign.phase not in move.phases:
            raise ValidationError(
                _("评选活动现在处于“%(phase)s”阶段，不能“%(move)s”。"),
                code="wrong_phase",
                params={"phase": locked.campaign.get_phase_display(), "move": move.label},
            )
        if move.needs_reason and not reason:
            raise ValidationError(
                _("“%(move)s”需要填写理由。"), code="reason_required", params={"move": move.label}
            )
        if move.needs_evidence:
            missing = locked.missing_evidence()
            if missing:
                raise ValidationError(
                    _("还有 %(count)s 项材料未填写，不能提交：%(items)s"),
                    code="evidence_missing",
                    params={"count": len(missing), "items": "；".join(missing)},
                )
        if to_state == S.SELECTED:
            _check_notice_over(locked.campaign, early, reason)
            _check_selection(locked)
        from_state = locked.state
        locked.state = to_state
        if to_state == S.SUBMITTED:
            locked.submitted_at = timezone.now()
        # The history keeps up to 100 characters of the reason; the log below keeps it whole.
        locked._change_reason = (reason or str(move.label))[:HISTORY_REASON_LENGTH]
        locked._history_user = actor
        locked.save()
        NominationTransition.objects.create(
            nomination=locked, from_state=from_state, to_state=to_state, actor=actor, reason=reason
        )
        notifications.nomination_moved(locked, from_state, to_state, actor, reason)
    nomination.refresh_from_db()
    return nomination


HISTORY_REASON_LENGTH = 100  # django-simple-history's history_change_reason column


def _label(state):
    try:
        return S(state).label
    except ValueError:
        return state


def selecting_ends_notice(campaign):
    """Whether selecting an estate of the campaign now would end its public notice early:
    a selected estate leaves the notice page, and with it the public's chance to object."""
    return campaign.phase == P.NOTICE and not notice_is_over(campaign)


def _check_notice_over(campaign, early, reason):
    if not selecting_ends_notice(campaign):
        return
    if not early:
        raise ValidationError(
            _(
                "公示期到 %(end)s 结束。结束前确定入选，这个小区就不再列在公示名单上，"
                "公众也不能再对它提出异议。如确需提前确定，请勾选“在公示期结束前确定入选”"
                "并填写理由。"
            ),
            code="notice_running",
            params={"end": _date(campaign.notice_ends_on)},
        )
    if not reason:
        raise ValidationError(_("在公示期结束前确定入选需要填写理由。"), code="reason_required")


def _check_selection(nomination):
    open_objections = nomination.objections.filter(state__in=OPEN_OBJECTION_STATES).count()
    if open_objections:
        raise ValidationError(
            _("这项推荐还有 %(count)s 件异议未处理完，处理后才能确定入选。"),
            code="open_objections",
            params={"count": open_objections},
        )
    campaign = Campaign.objects.select_for_update().get(pk=nomination.campaign_id)
    selected = Nomination.objects.filter(campaign=campaign, state=S.SELECTED)
    if campaign.quota is not None and selected.count() >= campaign.quota:
        raise ValidationError(
            _("本次评选的 %(quota)s 个名额已满，不能再确定入选。"),
            code="quota_full",
            params={"quota": campaign.quota},
        )
    province_quota = campaign.province_quotas.filter(province_id=nomination.estate.province_id)
    limit = province_quota.values_list("quota", flat=True).first()
    if limit is not None:
        taken = selected.filter(estate__province_id=nomination.estate.province_id).count()
        if taken >= limit:
            raise ValidationError(
                _("%(province)s的 %(quota)s 个名额已满，不能再确定入选。"),
                code="province_quota_full",
                params={"province": nomination.estate.province, "quota": limit},
            )


def quota_left(campaign):
    """Places left in the campaign (None when it has no quota)."""
    if campaign.quota is None:
        return None
    return campaign.quota - campaign.nominations.filter(state=S.SELECTED).count()


def shortlist_warnings(nomination):
    """Warnings, not refusals: the estate's latest figures below the campaign's thresholds."""
    warnings = []
    thresholds = [
        ("satisfaction", nomination.campaign.min_satisfaction, _("业主满意度")),
        ("fee_collection", nomination.campaign.min_fee_collection, _("物业费收缴率")),
    ]
    for code, threshold, name in thresholds:
        if threshold is None:
            continue
        latest = (
            Metric.objects.filter(
                estate=nomination.estate_id, metric_type__code=code, is_latest=True
            )
            .values_list("value", flat=True)
            .first()
        )
        if latest is None:
            warnings.append(
                _("%(name)s未知，本次评选的门槛是 %(threshold)s%%。")
                % {"name": name, "threshold": plain_number(Decimal(threshold))}
            )
        elif latest < threshold:
            warnings.append(
                _("%(name)s为 %(value)s%%，低于本次评选的门槛 %(threshold)s%%。")
                % {
                    "name": name,
                    "value": plain_number(Decimal(latest)),
                    "threshold": plain_number(Decimal(threshold)),
                }
            )
    return warnings


# Campaign phases move forward one step at a time; results are released by publish_results().
NEXT_PHASE = {
    P.DRAFT: P.NOMINATING,
    P.NOMINATING: P.REVIEWING,
    P.REVIEWING: P.NOTICE,
    P.PUBLISHED: P.ARCHIVED,
}
# The phases in which nominations are decided, in order; a phase never goes back.
DECIDING_PHASES = (P.DRAFT, P.NOMINATING, P.REVIEWING, P.NOTICE)
DECISIONS = frozenset({S.SELECTED, S.NOT_SELECTED})
BLOCKERS_NAMED = 10  # in a refusal's message; the admin page lists them all


def blocking_states(phase):
    """The states of nominations in process that can no longer be decided (入选 or 未入选)
    once their campaign is in `phase`: every move that leads on from them belongs to an earlier
    phase. Worked out from MOVES, so a new move or phase is checked too. Withdrawal is the
    province's choice, not a way for the campaign to finish, and does not count."""
    if phase not in DECIDING_PHASES:
        return IN_PROCESS_STATES  # results are out: every decision is made before
    first = DECIDING_PHASES.index(phase)
    phases = range(first, len(DECIDING_PHASES))
    # (state, i): from `state`, with the campaign in phase i, a decision can be reached.
    decidable = {(state, i) for state in DECISIONS for i in phases}
    grown = True
    while grown:
        grown = False
        for (from_state, to_state), move in MOVES.items():
            if to_state == S.WITHDRAWN:
                continue
            for i in phases:
                # The move, made in this phase or a later one, leads where a decision is reachable.
                if (from_state, i) not in decidable and any(
                    DECIDING_PHASES[j] in move.phases and (to_state, j) in decidable
                    for j in range(i, len(DECIDING_PHASES))
                ):
                    decidable.add((from_state, i))
                    grown = True
    return frozenset(s for s in IN_PROCESS_STATES if (s, first) not in decidable)


def blocking_nominations(campaign, phase):
    """The campaign's nominations that could no longer be decided in `phase`, with their
    estate and province, in the official order of provinces, then by pinyin."""
    return (
        campaign.nominations.filter(state__in=blocking_states(phase))
        .select_related("estate__province")
        .order_by("estate__province__display_order", "estate__name_pinyin", "pk")
    )


def moves_in_phase(state, phase):
    """The labels of the moves that lead on from `state` in `phase` (what to do about a
    nomination that blocks a phase change)."""
    return [
        move.label
        for (from_state, _to), move in MOVES.items()
        if from_state == state and phase in move.phases
    ]


def notice_is_over(campaign, now=None):
    """Whether the announced notice period has ended: it runs to the end of notice_ends_on in
    the site's time zone. Without an end date no end was announced, and none is waited for
    (a campaign on notice keeps its dates: Campaign.clean)."""
    if campaign.notice_ends_on is None:
        return True
    today = timezone.localdate(now, timezone.get_default_timezone())
    return today > campaign.notice_ends_on


def phase_step_problem(campaign, target, today=None):
    """Why the campaign cannot move to phase `target` yet apart from its nominations (a
    ValidationError), or None. The one statement of the rule: the confirmation page shows it,
    advance_phase() enforces it. On notice, the dates must be given and the period not over
    already: a notice that ended before it began takes no objection, and the results would
    not wait for it."""
    if target != P.NOTICE:
        return None
    if not (campaign.notice_starts_on and campaign.notice_ends_on):
        return ValidationError(
            _("进入公示前请先填写公示开始和结束日期。"), code="notice_dates_missing"
        )
    today = today or timezone.localdate()
    if campaign.notice_ends_on < today:
        return ValidationError(
            _(
                "公示结束日期 %(end)s 已经过去：现在进入公示，公众将无法提出异议，"
                "评选结果也不必等待公示期就能发布。请先在活动页面把公示开始和结束日期"
                "改为实际的公示期。"
            ),
            code="notice_period_past",
            params={"end": _date(campaign.notice_ends_on)},
        )
    return None


def advance_phase(campaign, actor, *, from_phase=None, reason=""):
    """Move the campaign to its next phase (not to publication, which publish_results does).

    `from_phase` is the phase the person saw when confirming: if the campaign has moved on
    since (a second click, a colleague), nothing is done. A step that would leave nominations
    that can no longer be decided is refused, naming them."""
    if role_of(actor) != Role.MINISTRY:
        raise PermissionDenied(_("只有部级管理员可以推进评选阶段。"))
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _locked_campaign(campaign, from_phase)
        target = NEXT_PHASE.get(locked.phase)
        if target is None:
            raise ValidationError(
                _("评选活动处于“%(phase)s”阶段，请用“发布评选结果”结束公示。"),
                code="use_publish",
                params={"phase": locked.get_phase_display()},
            )
        problem = phase_step_problem(locked, target)
        if problem is not None:
            raise problem
        _refuse_blocked(locked, target)
        _change_phase(locked, target, actor, reason)
    campaign.refresh_from_db()
    return campaign


def publish_results(campaign, actor, *, override=False, reason="", from_phase=None):
    """Release every selected estate of the campaign at once, in one transaction.

    Not before the announced end of the notice period, unless the ministry overrides that
    deliberately with a reason, which the log keeps."""
    if role_of(actor) != Role.MINISTRY:
        raise PermissionDenied(_("只有部级管理员可以发布评选结果。"))
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _locked_campaign(campaign, from_phase)
        if locked.phase != P.NOTICE:
            raise ValidationError(
                _("只有处于公示阶段的评选活动才能发布结果（现在是“%(phase)s”）。"),
                code="wrong_phase",
                params={"phase": locked.get_phase_display()},
            )
        _refuse_blocked(locked, P.PUBLISHED)
        early = not notice_is_over(locked)
        if early and not override:
            raise ValidationError(
                _(
                    "公示期到 %(end)s 结束，结束前不能发布结果。如确需提前发布，"
                    "请勾选“在公示期结束前发布”并填写理由。"
                ),
                code="notice_not_over",
                params={"end": _date(locked.notice_ends_on)},
            )
        if early and not reason:
            raise ValidationError(_("在公示期结束前发布结果需要填写理由。"), code="reason_required")
        locked.results_published_at = timezone.now()
        _change_phase(locked, P.PUBLISHED, actor, reason, overridden=early)
    campaign.refresh_from_db()
    return campaign


def _clean_reason(reason):
    # Browsers send a textarea's lines joined by "\r\n"; the log keeps them as typed, "\n".
    reason = normalize_newlines(reason or "").strip()
    if "\x00" in reason:  # typed by no one, and PostgreSQL cannot store it
        raise ValidationError(_("理由中不能包含空字符（\\x00）。"), code="reason_nul")
    return reason


def _locked_campaign(campaign, from_phase):
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if from_phase is not None and locked.phase != from_phase:
        raise ValidationError(
            _(
                "评选活动现在已是“%(phase)s”阶段（可能有人刚刚改过，或按钮被点了两次），"
                "这次没有作任何改动。"
            ),
            code="phase_moved",
            params={"phase": locked.get_phase_display()},
        )
    return locked


def _refuse_blocked(campaign, target):
    blockers = list(blocking_nominations(campaign, target)[: BLOCKERS_NAMED + 1])
    if not blockers:
        return
    count = len(blockers)
    if count > BLOCKERS_NAMED:
        count = blocking_nominations(campaign, target).count()
    named = "；".join(
        f"{n.estate.name}（{n.estate.province.short_name}，{n.get_state_display()}）"
        for n in blockers[:BLOCKERS_NAMED]
    )
    if count > BLOCKERS_NAMED:
        named += _("等")
    if target == P.PUBLISHED:
        message = _("还有 %(count)s 项推荐尚未确定是否入选，全部确定后才能发布结果：%(items)s。")
    else:
        message = _(
            "还有 %(count)s 项推荐进入“%(phase)s”阶段后将无法再作出决定，请先处理：%(items)s。"
        )
    raise ValidationError(
        message,
        code="undecided" if target == P.PUBLISHED else "blocked",
        params={"count": count, "items": named, "phase": P(target).label},
    )


def _change_phase(campaign, target, actor, reason, overridden=False):
    from_phase = campaign.phase
    campaign.phase = target
    campaign.save()
    CampaignPhaseChange.objects.create(
        campaign=campaign,
        from_phase=from_phase,
        to_phase=target,
        actor=actor,
        reason=reason,
        overridden=overridden,
    )


def _date(day):
    return formats.date_format(day, _("Y年n月j日"))


def reviewer_problem(nomination, reviewer):
    """Why `reviewer` may not review `nomination` (a ValidationError), or None: a reviewer is
    a member of the reviewers' group and never from the nomination's province. The one
    statement of the rule: the admin's form shows it, assign_reviewer() enforces it."""
    if role_of(reviewer) != Role.REVIEWER:
        return ValidationError(
            _("%(user)s不是评审专家。"), code="not_reviewer", params={"user": reviewer}
        )
    if province_id_of(reviewer) == nomination.estate.province_id:
        return ValidationError(
            _("评审专家%(user)s来自%(province)s，不能评审本省的推荐。"),
            code="own_province",
            params={"user": reviewer, "province": nomination.estate.province},
        )
    return None


def assign_reviewer(nomination, reviewer, actor):
    """Ministry staff give a nomination to a reviewer, never one from its own province."""
    if role_of(actor) != Role.MINISTRY:
        raise PermissionDenied(_("只有部级管理员可以分配评审专家。"))
    problem = reviewer_problem(nomination, reviewer)
    if problem is not None:
        raise problem
    with transaction.atomic():
        review, created = Review.objects.get_or_create(nomination=nomination, reviewer=reviewer)
        have = set(review.scores.values_list("criterion_id", flat=True))
        ReviewScore.objects.bulk_create(
            ReviewScore(review=review, criterion=criterion)
            for criterion in nomination.campaign.criteria.exclude(pk__in=have)
        )
        if created:
            notifications.review_assigned(review)
    return review


def submit_review(review, actor):
    """The reviewer hands in a complete review while the campaign is being reviewed."""
    if actor != review.reviewer:
        raise PermissionDenied(_("只能提交自己的评审。"))
    closed = review.scoring_closed()
    if closed:
        code = "wrong_phase" if review.submitted_at is None else "already_submitted"
        raise ValidationError(closed, code=code)
    # Read afresh: the admin saves the scores typed with this click after loading the review
    # with its scores, and the ones loaded then are the previous save's.
    scores = ReviewScore.objects.filter(review=review).select_related("criterion")
    unscored = [str(s.criterion) for s in scores if s.score is None]
    if unscored:
        raise ValidationError(
            _("还有 %(count)s 项没有打分：%(items)s"),
            code="unscored",
            params={"count": len(unscored), "items": "；".join(unscored)},
        )
    review.submitted_at = timezone.now()
    review.save(update_fields=["submitted_at"])
    return review


OBJECTION_MOVES = {
    ObjectionState.RECEIVED: {
        ObjectionState.CHECKING,
        ObjectionState.UPHELD,
        ObjectionState.DISMISSED,
    },
    ObjectionState.CHECKING: {ObjectionState.UPHELD, ObjectionState.DISMISSED},
}


def objection_problems(current, to_state, response):
    """What is wrong with moving an objection from `current` to `to_state` with this
    response, by field ("state", "response"); empty when the move may be made. The one
    statement of the rules: the admin's form shows these, handle_objection() enforces them."""
    problems = {}
    if to_state not in OBJECTION_MOVES.get(current, set()):
        problems["state"] = ValidationError(
            _("异议当前为“%(current)s”，不能改为“%(target)s”。"),
            code="invalid_transition",
            params={
                "current": ObjectionState(current).label,
                "target": ObjectionState(to_state).label,
            },
        )
    decided = to_state in (ObjectionState.UPHELD, ObjectionState.DISMISSED)
    if decided and not (response or "").strip():
        problems["response"] = ValidationError(
            _("作出处理结论时请填写处理意见。"), code="response_required"
        )
    return problems


def handle_objection(objection, to_state, actor, response="", public_response=None):
    """received → checking → upheld / dismissed; a decision needs a written response.

    `public_response`, when given, replaces what the sender reads on the public lookup page
    once the objection is handled; the internal `response` is never shown there."""
    if role_of(actor) != Role.MINISTRY:
        raise PermissionDenied(_("只有部级管理员可以处理异议。"))
    response = _clean_reason(response)
    if public_response is not None:
        public_response = _clean_reason(public_response)
    with transaction.atomic():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        problems = objection_problems(locked.state, to_state, response)
        if problems:
            raise next(iter(problems.values()))
        locked.state = to_state
        if response:
            locked.response = response
        if public_response is not None:
            locked.public_response = public_response
        locked.handled_by = actor
        locked.handled_at = timezone.now()
        locked.save()
    objection.refresh_from_db()
    return objection
