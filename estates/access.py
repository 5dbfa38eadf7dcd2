"""Which rows each staff member may see: one place for row-level access.

Model permissions (per role, estates.roles) say what kind of thing a user may view or change;
`visible()` says which rows. The admin builds every list, form, choice, autocomplete, history
and export on `visible()`, so a row outside it behaves exactly like a row that does not exist.
"""

from django.db.models import Exists, OuterRef, Q

from . import models
from .enums import DECIDED_STATES, EDITABLE_STATES, IN_PROCESS_STATES, NominationState
from .roles import Role, province_id_of, role_of

# How each model reaches its estate ("" for the estate itself).
ESTATE_PATH = {
    models.Estate: "",
    models.Mechanism: "estate",
    models.Metric: "estate",
    models.KeyFigure: "estate",
    models.Activity: "estate",
    models.Honor: "estate",
    models.Photo: "estate",
    models.Nomination: "estate",
    models.CriterionEvidence: "nomination__estate",
    models.ActivityEvidence: "nomination__estate",
    models.NominationTransition: "nomination__estate",
    models.Review: "nomination__estate",
    models.ReviewScore: "review__nomination__estate",
    models.Objection: "nomination__estate",
}
# How nomination data reaches its nomination ("" for the nomination itself).
NOMINATION_PATH = {
    models.Nomination: "",
    models.CriterionEvidence: "nomination",
    models.ActivityEvidence: "nomination",
    models.NominationTransition: "nomination",
    models.Review: "nomination",
    models.ReviewScore: "review__nomination",
    models.Objection: "nomination",
}
# Nominations a reviewer may read: handed in and not yet decided.
REVIEWABLE_STATES = IN_PROCESS_STATES


def _join(path, field):
    if path:
        return f"{path}__{field}"
    return "pk__in" if field == "in" else field


def _reviewable_nominations(user):
    nominations = models.Nomination.objects.filter(state__in=REVIEWABLE_STATES)
    province_id = province_id_of(user)
    if province_id is not None:
        nominations = nominations.exclude(estate__province_id=province_id)
    return nominations


def _editable_estates():
    return models.Estate.objects.filter(
        Exists(
            models.Nomination.objects.filter(estate=OuterRef("pk"), state=NominationState.SELECTED)
        )
    )


def visible(queryset, user):
    """Narrow a queryset of any domain model to the rows this user may see."""
    model = queryset.model
    role = role_of(user)
    if model is models.Notification:
        # Personal, whatever the role: each person's own, the ministry's included.
        return queryset.filter(recipient=user) if role is not None else queryset.none()
    if role == Role.MINISTRY:
        return queryset
    if role is None:
        return queryset.none()
    if model in ESTATE_PATH:
        return _visible_estate_data(queryset, user, role, model)
    if model is models.City and role == Role.PROVINCIAL:
        return queryset.filter(province_id=province_id_of(user))
    if model is models.Campaign and role == Role.PROVINCIAL:
        return queryset.filter(Q(province__isnull=True) | Q(province_id=province_id_of(user)))
    if model in (models.Criterion, models.ActivityRequirement) and role == Role.PROVINCIAL:
        return queryset.filter(
            Q(campaign__province__isnull=True) | Q(campaign__province_id=province_id_of(user))
        )
    # Reference data (provinces, catalogues, companies, campaigns) is shared by all staff.
    return queryset


def _visible_estate_data(queryset, user, role, model):
    path = ESTATE_PATH[model]
    if role == Role.PROVINCIAL:
        province_id = province_id_of(user)
        if province_id is None:
            return queryset.none()
        return queryset.filter(**{_join(path, "province_id"): province_id})
    if role == Role.REVIEWER:
        if model is models.Objection:
            return queryset.none()
        nominations = _reviewable_nominations(user)
        if model in NOMINATION_PATH:
            queryset = queryset.filter(**{_join(NOMINATION_PATH[model], "in"): nominations})
            if model in (models.Review, models.ReviewScore):
                reviewer = "reviewer" if model is models.Review else "review__reviewer"
                queryset = queryset.filter(**{reviewer: user})
            return queryset
        return queryset.filter(**{_join(path, "in"): nominations.values("estate")})
    if role == Role.EDITOR:
        if model in (models.Objection, models.Review, models.ReviewScore):
            return queryset.none()
        if model in NOMINATION_PATH:
            # Editors work on what was selected; nominations still in process are not theirs.
            state = _join(NOMINATION_PATH[model], "state")
            return queryset.filter(**{state: NominationState.SELECTED})
        return queryset.filter(**{_join(path, "in"): _editable_estates()})
    return queryset.none()


def can_change_nomination(user, nomination):
    """Provinces edit a nomination only while it is a draft; editors only a selected one
    (its place in the province feature); the ministry always may."""
    role = role_of(user)
    if role == Role.MINISTRY:
        return True
    if role == Role.EDITOR:
        return nomination.state == NominationState.SELECTED
    return role == Role.PROVINCIAL and nomination.state in EDITABLE_STATES


def can_import_report(user, nomination):
    """Who may read a Word report into a nomination's boxes: whoever writes its evidence — the
    province, or the ministry for it — while it is a draft. Editors only order a selected one."""
    return (
        role_of(user) in (Role.PROVINCIAL, Role.MINISTRY)
        and nomination.state in EDITABLE_STATES
        and can_change_nomination(user, nomination)
    )


def reviews_released_to(user, nomination):
    """Whether `user` reads the reviews of `nomination` as its province does: anonymised, and
    only once the ministry released its campaign's comments and the nomination is decided.
    Before that a province learns nothing of its reviews, not even who wrote them; the
    ministry and reviewers read reviews through the review pages instead."""
    return (
        role_of(user) == Role.PROVINCIAL
        and province_id_of(user) is not None
        and nomination.estate.province_id == province_id_of(user)
        and nomination.state in DECIDED_STATES
        and nomination.campaign.review_comments_released
    )
