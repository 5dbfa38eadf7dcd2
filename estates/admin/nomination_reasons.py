"""What a nomination's page tells its reader about why it is where it is: the reason of the move
that brought it there, in the state panel above the full log (NominationLogInline); and for the
nomination's own province, once the ministry released them after the decision, the reviewers'
comments and scores under 专家一, 专家二 … instead of their names (estates.access)."""

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from ..access import reviews_released_to
from ..models.campaigns import chinese_numeral
from ..numbers import plain_number, two_places
from ..workflow import MOVES
from .history import actor_label, people


@dataclass
class LastMove:
    label: str
    who: str
    at: object
    reason: str


@dataclass
class ReleasedReview:
    label: str
    total: str | None
    comment: str
    scores: list = field(default_factory=list)


@dataclass
class ReleasedScore:
    criterion: str
    weight: str
    score: str
    comment: str


def last_move(nomination):
    """The move that brought the nomination to its state, if it was given a reason."""
    last = (
        nomination.transitions.select_related("actor")
        .prefetch_related(people("actor"))
        .order_by("-at", "-pk")
        .first()
    )
    if last is None or not last.reason:
        return None
    move = MOVES.get((last.from_state, last.to_state))
    return LastMove(
        label=str(move.label) if move else last.get_to_state_display(),
        who=actor_label(last.actor),
        at=last.at,
        reason=last.reason,
    )


def reviewer_number(number):
    """专家一, 专家二 … (Reviewer 1, Reviewer 2 … in English)."""
    chinese = translation.get_language().startswith("zh")
    return _("专家%(number)s") % {"number": chinese_numeral(number) if chinese else number}


def written(text):
    """A comment as its reviewer wrote it (leading indents kept), or "" for none."""
    return text if text.strip() else ""


def released_reviews(nomination, user):
    """The handed-in reviews as the province may read them, in the order the reviewers were
    assigned; None when it may not read them (nothing is shown then, not even that reviews
    exist). Uses the reviews NominationAdmin.get_queryset prefetched with their scores."""
    if not reviews_released_to(user, nomination):
        return None
    reviews = getattr(nomination, "submitted_reviews", None)
    if reviews is None:
        reviews = nomination.reviews.filter(submitted_at__isnull=False).prefetch_related(
            "scores__criterion"
        )
    released = []
    for number, review in enumerate(sorted(reviews, key=lambda r: r.pk), start=1):
        total = review.total()
        released.append(
            ReleasedReview(
                label=reviewer_number(number),
                total=None if total is None else str(two_places(total)),
                comment=written(review.comment),
                scores=[
                    ReleasedScore(
                        criterion=str(score.criterion),
                        weight=plain_number(score.criterion.weight),
                        score="—" if score.score is None else plain_number(score.score),
                        comment=written(score.comment),
                    )
                    for score in review.scores.all()
                ],
            )
        )
    return released


def reasons_context(request, nomination):
    # The reason is part of the log: shown to those who may read the log (not editors).
    may_read_log = request.user.has_perm("estates.view_nominationtransition")
    return {
        "last_move": last_move(nomination) if may_read_log else None,
        "released_reviews": released_reviews(nomination, request.user),
    }
