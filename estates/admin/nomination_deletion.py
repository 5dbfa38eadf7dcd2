"""Which nominations can be deleted, and the page that asks before. A draft never handed in is
only its province's unfinished work and may go, with its evidence boxes; a nomination whose
moves are in the log (handed in, returned, decided, withdrawn) is the campaign's record and
stays; an estate selected in a campaign whose results are out is on the public site and stays.
Provinces delete only their own drafts (estates.access.can_change_nomination)."""

from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .. import models
from ..access import can_change_nomination
from ..enums import NominationState
from ..workflow import MOVES
from .base import PUBLISHED_MESSAGE

KEPT_MESSAGE = _(
    "“%(obj)s”已有状态变更记录（如提交、退回修改、撤回或评审结果），作为评选档案保留，不能删除。"
)
WITHDRAW_HINT = _("如不再参加本次评选，可以在评选结果发布前撤回这份推荐。")
WITHDRAWABLE_STATES = frozenset(
    from_state for from_state, to_state in MOVES if to_state == NominationState.WITHDRAWN
)
HANDED_IN_MESSAGE = _("“%(obj)s”现在是“%(state)s”，省级填报员只能删除本省的草稿。")


def on_show(nomination):
    """Whether the public site shows the nomination: selected, results published."""
    return nomination.state == NominationState.SELECTED and nomination.campaign.results_are_public


def deletion_refusal(nomination, logged=None):
    """Why nobody may delete `nomination` (a message), or None. `logged` is the set of ids of
    nominations with moves in the log, when known for many at once."""
    if on_show(nomination):
        return PUBLISHED_MESSAGE % {"obj": nomination}
    has_log = nomination.transitions.exists() if logged is None else nomination.pk in logged
    if not has_log:
        return None
    refusal = KEPT_MESSAGE % {"obj": nomination}
    if nomination.state in WITHDRAWABLE_STATES:
        refusal += WITHDRAW_HINT
    return refusal


def evidence_counts(nomination):
    """(boxes, filled) of the nomination's criteria and of its required activities."""
    counts = {}
    for name, rows in [
        ("criteria", nomination.criterion_evidence.all()),
        ("requirements", nomination.activity_evidence.all()),
    ]:
        counts[name] = rows.count()
        counts[f"{name}_filled"] = rows.exclude(text="").count()
    return counts


class NominationDeletionMixin:
    delete_confirmation_template = "admin/estates/nomination/delete_confirmation.html"

    def deletion_blocked(self, obj):
        return deletion_refusal(obj) is not None

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        may_delete = super().has_delete_permission(request)  # the role's permission
        if obj is None or not may_delete:
            return super().delete_view(request, object_id, extra_context)
        refusal = deletion_refusal(obj)
        if refusal is not None:
            if not on_show(obj) and not can_change_nomination(request.user, obj):
                raise PermissionDenied  # a province's handed-in nomination, as before
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:estates_nomination_change", args=[obj.pk]))
        context = {
            **(extra_context or {}),
            "is_draft": obj.state == NominationState.DRAFT,
            "evidence": evidence_counts(obj),
        }
        return super().delete_view(request, object_id, context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_nominations, name, description)
        return actions


def delete_selected_nominations(modeladmin, request, queryset):
    """Django's bulk delete, refused with the reason when a selected nomination stays."""
    logged = set(
        models.NominationTransition.objects.filter(nomination__in=queryset).values_list(
            "nomination_id", flat=True
        )
    )
    for nomination in queryset.select_related("campaign"):
        refusal = deletion_refusal(nomination, logged)
        if refusal is None and not can_change_nomination(request.user, nomination):
            refusal = HANDED_IN_MESSAGE % {
                "obj": nomination,
                "state": nomination.get_state_display(),
            }
        if refusal is not None:
            modeladmin.message_user(request, refusal, messages.ERROR)
            return None
    return delete_selected(modeladmin, request, queryset)


class EvidenceDeletionMixin:
    """An evidence box goes with its nomination: it is blocked where the nomination is on show
    (not merely because its estate is public: a draft of a public estate is not)."""

    def deletion_blocked(self, obj):
        return on_show(obj.nomination)
