"""What needs the signed-in person now: the admin index's work list, by role.

Each item is a count and a link to the admin list filtered to exactly those rows, so the number
on the index and the rows behind it come from the same queryset method (the list filters call
the same methods). Counts are one query each and do not grow with the number of rows."""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import visible
from .enums import OPEN_OBJECTION_STATES, CampaignPhase, NominationState
from .models import Campaign, Estate, Nomination, Objection, Photo, Review
from .models.pending import PendingChange, PendingChangeState
from .pending import visible_changes, waiting_for
from .roles import Role, role_of

# Campaigns with work in progress, newest first.
ACTIVE_PHASES = (
    CampaignPhase.DRAFT,
    CampaignPhase.NOMINATING,
    CampaignPhase.REVIEWING,
    CampaignPhase.NOTICE,
)
S_SELECTED = NominationState.SELECTED
# A notice period ending within this many days is flagged.
NOTICE_ENDING_DAYS = 3


@dataclass
class Item:
    label: str
    count: int | None
    url: str
    hint: str = ""

    @property
    def urgent(self):
        return bool(self.count)


@dataclass
class Group:
    title: str
    items: list = field(default_factory=list)
    note: str = ""


def changelist(model_name, **params):
    url = reverse(f"admin:estates_{model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def work_list(user):
    role = role_of(user)
    if role == Role.MINISTRY:
        return _ministry(user)
    if role == Role.PROVINCIAL:
        return _province(user)
    if role == Role.REVIEWER:
        return _reviewer(user)
    if role == Role.EDITOR:
        return _editor(user)
    return []


def _active_campaigns(user):
    return list(
        visible(Campaign.objects.filter(phase__in=ACTIVE_PHASES), user)
        .select_related("province", "city")
        .order_by("-year", "-pk")
    )


def _ministry(user):
    groups = []
    for campaign in _active_campaigns(user):
        nominations = campaign.nominations.all()
        in_campaign = {"campaign__id__exact": campaign.pk}
        group = Group(f"{campaign} · {campaign.get_phase_display()}")
        group.items.append(
            Item(
                _("已提交、尚未开始评审的推荐"),
                nominations.filter(state=NominationState.SUBMITTED).count(),
                changelist("nomination", **in_campaign, state__exact=NominationState.SUBMITTED),
            )
        )
        if campaign.phase in (CampaignPhase.NOMINATING, CampaignPhase.REVIEWING):
            group.items.append(
                Item(
                    _("评审专家不足 %(n)s 位的推荐") % {"n": campaign.reviewers_per_nomination},
                    nominations.short_of_reviewers().count(),
                    changelist("nomination", **in_campaign, reviewers="short"),
                )
            )
            group.items.append(
                Item(
                    _("尚未提交的评审"),
                    Review.objects.filter(
                        nomination__campaign=campaign, submitted_at__isnull=True
                    ).count(),
                    changelist(
                        "review", nomination__campaign__id__exact=campaign.pk, handed_in="no"
                    ),
                )
            )
        group.items.append(
            Item(
                _("未处理完的异议"),
                Objection.objects.filter(
                    nomination__campaign=campaign, state__in=OPEN_OBJECTION_STATES
                ).count(),
                changelist(
                    "objection",
                    nomination__campaign__id__exact=campaign.pk,
                    state__in=",".join(sorted(OPEN_OBJECTION_STATES)),
                ),
            )
        )
        notice = _notice_item(campaign)
        if notice is not None:
            group.items.append(notice)
        group.items.append(_next_step(campaign))
        groups.append(group)
    groups.append(Group(_("公开小区的修改"), [_pending_changes(user, _("待审核的修改"))]))
    return groups


def _notice_item(campaign):
    if campaign.phase != CampaignPhase.NOTICE or campaign.notice_ends_on is None:
        return None
    today = timezone.localdate()
    days = (campaign.notice_ends_on - today).days
    url = reverse("admin:estates_campaign_change", args=[campaign.pk])
    if days < 0:
        text = _("公示期已于 %(date)s 结束，可以发布结果") % {
            "date": _date(campaign.notice_ends_on)
        }
    elif days <= NOTICE_ENDING_DAYS:
        text = _("公示期将于 %(date)s 结束（还有 %(n)s 天）") % {
            "date": _date(campaign.notice_ends_on),
            "n": days,
        }
    else:
        text = _("公示期至 %(date)s") % {"date": _date(campaign.notice_ends_on)}
    return Item(_("公示期"), None, url, hint=text)


def _date(day):
    return _("%(m)s月%(d)s日") % {"m": day.month, "d": day.day}


def _next_step(campaign):
    """The campaign's next step, and the nominations that must be decided before it: the
    rule is the workflow's (blocking_states), the step the campaign page's (next_step)."""
    from .campaigns import next_step
    from .workflow import blocking_states

    target = next_step(campaign)
    if target is None:
        return Item(_("下一步"), None, reverse("admin:estates_campaign_change", args=[campaign.pk]))
    if target == CampaignPhase.PUBLISHED:
        step, view = _("发布评选结果"), "publish"
    else:
        step, view = _("推进到“%(phase)s”") % {"phase": CampaignPhase(target).label}, "advance"
    blocking = sorted(blocking_states(target))
    waiting = campaign.nominations.filter(state__in=blocking).count() if blocking else 0
    if waiting:
        hint = _("%(step)s：还有 %(n)s 项推荐须先%(moves)s") % {
            "step": step,
            "n": waiting,
            "moves": _or_list(_ministry_moves_from(blocking, campaign.phase)),
        }
        url = changelist(
            "nomination", campaign__id__exact=campaign.pk, state__in=",".join(blocking)
        )
    else:
        hint = _("%(step)s：没有阻碍这一步的推荐，可以进行") % {"step": step}
        url = reverse(f"admin:estates_campaign_{view}", args=[campaign.pk])
    return Item(_("下一步"), waiting or None, url, hint=hint)


def _ministry_moves_from(states, phase):
    """The labels of the ministry's moves out of `states` in `phase`, each once, in the order
    of the process (what to do about the nominations blocking a step)."""
    from .workflow import MOVES

    labels = []
    for (from_state, to_state), move in MOVES.items():
        if (
            from_state in states
            and to_state != NominationState.WITHDRAWN
            and phase in move.phases
            and Role.MINISTRY in move.roles
            and str(move.label) not in labels
        ):
            labels.append(str(move.label))
    return labels


def _or_list(labels):
    """“甲”、“乙”或“丙”."""
    quoted = [_("“%(label)s”") % {"label": label} for label in labels]
    if len(quoted) < 2:
        return "".join(quoted) or _("处理")
    return _("%(items)s或%(last)s") % {"items": "、".join(quoted[:-1]), "last": quoted[-1]}


def _pending_changes(user, label):
    """Province edits of public estates waiting for review (estates/pending.py)."""
    return Item(
        label,
        waiting_for(user).count(),
        changelist("pendingchange", state=PendingChangeState.PENDING),
    )


def _province(user):
    groups = []
    mine = visible(Nomination.objects.all(), user)
    for campaign in _active_campaigns(user) + _recently_decided(user):
        nominations = mine.filter(campaign=campaign)
        in_campaign = {"campaign__id__exact": campaign.pk}
        group = Group(f"{campaign} · {campaign.get_phase_display()}")
        if campaign.phase in ACTIVE_PHASES:
            group.items += [
                Item(
                    _("材料未填完的草稿"),
                    nominations.filter(state=NominationState.DRAFT).missing_evidence().count(),
                    changelist(
                        "nomination",
                        **in_campaign,
                        state__exact=NominationState.DRAFT,
                        evidence="missing",
                    ),
                ),
                Item(
                    _("被退回修改的推荐"),
                    nominations.returned().count(),
                    changelist("nomination", **in_campaign, returned="yes"),
                ),
            ]
        for state, label in (
            (NominationState.SELECTED, _("已入选")),
            (NominationState.NOT_SELECTED, _("未入选")),
            (NominationState.REVOKED, _("已撤销入选")),
        ):
            group.items.append(
                Item(
                    label,
                    nominations.filter(state=state).count(),
                    changelist("nomination", **in_campaign, state__exact=state),
                    hint=_("已作出的决定，可在推荐页面查看理由") if state != S_SELECTED else "",
                )
            )
        if campaign.phase in ACTIVE_PHASES or any(item.count for item in group.items):
            groups.append(group)  # a past round shows only where the province has decisions
    groups.append(
        Group(
            _("公开小区的修改"),
            [
                _pending_changes(user, _("等待审核的修改")),
                Item(
                    _("被退回的修改"),
                    visible_changes(
                        PendingChange.objects.filter(
                            state=PendingChangeState.REJECTED,
                            decided_at__gte=timezone.now() - timedelta(days=30),
                        ),
                        user,
                    ).count(),
                    changelist("pendingchange", state=PendingChangeState.REJECTED),
                    hint=_("最近 30 天内被退回的，可在小区页面看到理由"),
                ),
            ],
        )
    )
    return groups


def _recently_decided(user):
    """Campaigns whose results came out within the last 90 days: a province reads its decisions."""
    since = timezone.now() - timedelta(days=90)
    return list(
        visible(
            Campaign.objects.filter(
                phase__in=(CampaignPhase.PUBLISHED, CampaignPhase.ARCHIVED),
                results_published_at__gte=since,
            ),
            user,
        )
        .select_related("province", "city")
        .order_by("-results_published_at")
    )


def _reviewer(user):
    mine = Review.objects.filter(reviewer=user)
    open_reviews = mine.filter(
        submitted_at__isnull=True, nomination__campaign__phase=CampaignPhase.REVIEWING
    )
    return [
        Group(
            _("我的评审"),
            [
                Item(_("待完成的评审"), open_reviews.count(), changelist("review", handed_in="no")),
                Item(
                    _("已提交的评审"),
                    mine.filter(submitted_at__isnull=False).count(),
                    changelist("review", handed_in="yes"),
                    hint=_("已提交的评审不能再修改"),
                ),
            ],
        )
    ]


def selected_estates():
    """Estates selected in some campaign: the ones the public sees or soon will."""
    return Estate.objects.filter(nominations__state=NominationState.SELECTED).distinct()


def missing_public_texts(estates):
    return estates.filter(Q(overview="") | Q(highlights=""))


def missing_photos(estates):
    return estates.exclude(pk__in=Photo.objects.values("estate"))


def _editor(user):
    selected = selected_estates()
    return [
        Group(
            _("入选小区的公开资料"),
            [
                Item(
                    _("缺少概况或亮点文字的入选小区"),
                    missing_public_texts(selected).count(),
                    changelist("estate", public_gaps="texts"),
                ),
                Item(
                    _("没有照片的入选小区"),
                    missing_photos(selected).count(),
                    changelist("estate", public_gaps="photos"),
                ),
                _pending_changes(user, _("待审核的修改")),
            ],
        )
    ]
