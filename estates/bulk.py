"""Bulk moves: one workflow move made on many nominations at once, row by row.

Each row goes through `workflow.transition()` in a transaction of its own, so a refused row
changes nothing and the others go on; the result says for every row whether it was done and,
if not, why, in the workflow's own words. Before the decision, `preview()` says which rows the
move can be made on now and shows the shortlisting threshold warnings of each.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _

from .enums import NominationState as S
from .workflow import MOVES, allowed_moves, selecting_ends_notice, shortlist_warnings, transition

# The moves the ministry makes on many nominations at once, in the order of the process.
BULK_TARGETS = (S.UNDER_REVIEW, S.SHORTLISTED, S.ON_NOTICE, S.SELECTED, S.NOT_SELECTED)


@dataclass(frozen=True)
class BulkMove:
    to_state: str
    label: str
    needs_reason: bool


def bulk_move(to_state):
    """The move to `to_state` as the workflow names it; it needs a reason if any of the moves
    into that state does (确定未入选 from every state)."""
    moves = [move for (_from, to), move in MOVES.items() if to == to_state]
    return BulkMove(to_state, moves[0].label, any(move.needs_reason for move in moves))


@dataclass
class Row:
    nomination: object
    possible: bool = True
    note: str = ""
    warnings: list = field(default_factory=list)
    done: bool = False


def below_thresholds():
    """An under-review nomination whose shortlisting shortlist_warnings() would warn about: a
    latest satisfaction or fee collection unknown or under the campaign's minimum. Reads the
    `latest_satisfaction` and `latest_fee_collection` annotations of the nomination list, so
    the list marks its rows without a query per row (a test holds it to shortlist_warnings)."""
    below = Q()
    for latest, minimum in (
        ("latest_satisfaction", "campaign__min_satisfaction"),
        ("latest_fee_collection", "campaign__min_fee_collection"),
    ):
        below |= Q(**{f"{minimum}__isnull": False}) & (
            Q(**{f"{latest}__isnull": True}) | Q(**{f"{latest}__lt": F(minimum)})
        )
    return ExpressionWrapper(Q(state=S.UNDER_REVIEW) & below, output_field=BooleanField())


def preview(nominations, to_state, actor):
    """[Row] before the decision: whether the move can be made on each row now (its state, the
    campaign's phase and the actor's role allow it), and for shortlisting the threshold
    warnings, asked only of rows the list's `below_threshold` flag marks (when present)."""
    rows = []
    for nomination in nominations:
        row = Row(nomination)
        if to_state not in {target for target, _move in allowed_moves(nomination, actor)}:
            row.possible = False
            row.note = _("不会执行：推荐当前为“%(state)s”，评选活动处于“%(phase)s”阶段。") % {
                "state": nomination.get_state_display(),
                "phase": nomination.campaign.get_phase_display(),
            }
        elif to_state == S.SHORTLISTED and getattr(nomination, "below_threshold", True):
            row.warnings = shortlist_warnings(nomination)
        rows.append(row)
    return rows


def move_each(nominations, to_state, actor, reason="", early=False):
    """Make the move on every nomination, each on its own; [Row] with done and the reason of
    every refusal. `early`: selecting before the notice period ends, deliberately."""
    rows = []
    for nomination in nominations:
        row = Row(nomination)
        try:
            transition(nomination, to_state, actor, reason, early=early)
        except (ValidationError, PermissionDenied) as error:
            row.note = refusal(error)
        else:
            row.done = True
            row.note = _("现在是“%(state)s”。") % {"state": nomination.get_state_display()}
        rows.append(row)
    return rows


def notices_running(rows, to_state):
    """The campaigns whose notice period a selection among the possible rows would cut short
    (workflow.selecting_ends_notice), each once, in the order of the rows."""
    if to_state != S.SELECTED:
        return []
    campaigns = {}
    for row in rows:
        campaign = row.nomination.campaign
        if row.possible and selecting_ends_notice(campaign):
            campaigns.setdefault(campaign.pk, campaign)
    return list(campaigns.values())


def refusal(error):
    """The workflow's reason for refusing a move, as one line of Chinese."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
