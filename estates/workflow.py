"""The one function that changes a nomination's state.

`transition()` checks that the move is allowed from the current state, that the actor's role
and province allow it, and that what the move needs is there (all evidence before
submission, a reason for a refusal or revocation). It saves under a row lock, so two people
acting at once cannot both move the same nomination, and records who, when, from, to and why.
Nothing else writes `Nomination.state`.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import NominationState as S
from .models import Nomination, NominationTransition
from .roles import Role, province_id_of, role_of


@dataclass(frozen=True)
class Move:
    label: str
    roles: frozenset
    needs_reason: bool = False
    needs_evidence: bool = False
    own_province_only: bool = False


MINISTRY = frozenset({Role.MINISTRY})
PROVINCE = frozenset({Role.PROVINCIAL, Role.MINISTRY})

MOVES = {
    (S.DRAFT, S.SUBMITTED): Move(
        _("提交推荐"), PROVINCE, needs_evidence=True, own_province_only=True
    ),
    (S.DRAFT, S.WITHDRAWN): Move(_("撤回推荐"), PROVINCE, own_province_only=True),
    (S.SUBMITTED, S.WITHDRAWN): Move(
        _("撤回推荐"), PROVINCE, needs_reason=True, own_province_only=True
    ),
    (S.SUBMITTED, S.DRAFT): Move(_("退回修改"), MINISTRY, needs_reason=True),
    (S.SUBMITTED, S.UNDER_REVIEW): Move(_("开始评审"), MINISTRY),
    (S.UNDER_REVIEW, S.SHORTLISTED): Move(_("列为拟入选"), MINISTRY),
    (S.UNDER_REVIEW, S.NOT_SELECTED): Move(_("确定未入选"), MINISTRY, needs_reason=True),
    (S.SHORTLISTED, S.ON_NOTICE): Move(_("进入公示"), MINISTRY),
    (S.SHORTLISTED, S.NOT_SELECTED): Move(_("确定未入选"), MINISTRY, needs_reason=True),
    (S.ON_NOTICE, S.SELECTED): Move(_("确定入选"), MINISTRY),
    (S.ON_NOTICE, S.NOT_SELECTED): Move(_("确定未入选"), MINISTRY, needs_reason=True),
    (S.SELECTED, S.REVOKED): Move(_("撤销入选"), MINISTRY, needs_reason=True),
}


def allowed_moves(nomination, user):
    """[(to_state, Move)] the user may make from the nomination's current state."""
    role = role_of(user)
    return [
        (to_state, move)
        for (from_state, to_state), move in MOVES.items()
        if from_state == nomination.state
        and role in move.roles
        and _province_allows(move, user, role, nomination)
    ]


def _province_allows(move, user, role, nomination):
    if role == Role.PROVINCIAL:
        return nomination.estate.province_id == province_id_of(user)
    return True


def transition(nomination, to_state, actor, reason=""):
    """Move the nomination to `to_state` on behalf of `actor`; returns the saved nomination.

    Raises PermissionDenied when the actor may not make this move, ValidationError (with a
    Chinese message) when the move is not possible now.
    """
    reason = (reason or "").strip()
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
                params={"current": locked.get_state_display(), "target": S(to_state).label},
            )
        role = role_of(actor)
        if role not in move.roles or not _province_allows(move, actor, role, locked):
            raise PermissionDenied(_("您没有权限对这项推荐执行“%(move)s”。") % {"move": move.label})
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
        from_state = locked.state
        locked.state = to_state
        if to_state == S.SUBMITTED:
            locked.submitted_at = timezone.now()
        locked._change_reason = reason or move.label
        locked.save()
        NominationTransition.objects.create(
            nomination=locked, from_state=from_state, to_state=to_state, actor=actor, reason=reason
        )
    nomination.refresh_from_db()
    return nomination
