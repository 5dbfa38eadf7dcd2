"""Reviews: the ministry assigns a reviewer (never from the nomination's province); the
reviewer scores each principle requirement and hands the review in, after which it is a
record (estates/models/nominations.py, Review.scoring_closed)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Prefetch, Subquery, TextField
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .. import models
from ..access import visible
from ..assignment import reviewer_label, reviewers_with_load
from ..numbers import plain_number, two_places
from ..roles import Role, role_of
from ..versions import VersionCheckedForm
from ..workflow import assign_reviewer, reviewer_problem, submit_review
from .base import (
    ReadOnlyAdminMixin,
    ReferenceAdmin,
    ScopedInlineMixin,
    VersionedAdminMixin,
    usable_key,
)
from .nomination_filters import HandedInFilter
from .review_records import HandedInReviewKeptMixin


class ReviewScoreInline(ScopedInlineMixin, admin.StackedInline):
    """One card per criterion: what it asks, the province's text for it (落实情况, read-only)
    and the reviewer's score and comment, so a score is given beside what it judges."""

    model = models.ReviewScore
    template = "admin/estates/review/score_cards.html"
    extra = 0
    can_delete = False
    fields = ["criterion", "weight", "score", "comment"]
    readonly_fields = ["criterion", "weight"]
    formfield_overrides = {TextField: {"widget": AdminTextareaWidget(attrs={"rows": 4})}}

    def get_queryset(self, request):
        # The criterion and its evidence text come with the score rows: one query for all.
        evidence = models.CriterionEvidence.objects.filter(
            nomination_id=OuterRef("review__nomination_id"), criterion_id=OuterRef("criterion_id")
        ).values("text")[:1]
        return (
            super()
            .get_queryset(request)
            .select_related("criterion")
            .annotate(evidence_text=Subquery(evidence))
        )

    def has_add_permission(self, request, obj=None):
        return False  # one row per criterion is made when the reviewer is assigned

    def has_change_permission(self, request, obj=None):
        # obj is the review. Scores are its reviewer's judgement: nobody else changes them
        # (the ministry reads them). Once handed in, or outside the review phase, they are
        # shown and never offered (ReviewScore refuses such a save whatever posts it).
        if obj is not None and (obj.reviewer_id != request.user.pk or obj.scoring_closed()):
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("权重（%）"))
    def weight(self, score):
        return plain_number(score.criterion.weight)


class ReviewerChoiceField(forms.ModelChoiceField):
    """Reviewers named with their province and load: “王五（江苏，已分配 12 项，未提交 3 项）”."""

    def label_from_instance(self, user):
        return reviewer_label(user, user.load, user.open_reviews)


class ReviewForm(VersionCheckedForm):
    class Meta:
        model = models.Review
        fields = ["nomination", "reviewer", "comment"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        nomination, reviewer = cleaned.get("nomination"), cleaned.get("reviewer")
        if self.instance.pk is None and nomination and reviewer:
            problem = reviewer_problem(nomination, reviewer)
            if problem is not None:
                self.add_error("reviewer", problem)
        return cleaned


@admin.register(models.Review)
class ReviewAdmin(HandedInReviewKeptMixin, VersionedAdminMixin, ReferenceAdmin):
    form = ReviewForm
    list_display = ["nomination", "reviewer", "total", "assigned_at", "submitted_at"]
    list_filter = [HandedInFilter, "nomination__campaign"]
    list_select_related = ["nomination__estate", "nomination__campaign", "reviewer"]
    autocomplete_fields = ["nomination"]
    inlines = [ReviewScoreInline]
    formfield_overrides = {TextField: {"widget": AdminTextareaWidget(attrs={"rows": 6})}}

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reviewer":
            kwargs["queryset"] = reviewers_with_load(self._campaign_chosen(request))
            kwargs["form_class"] = ReviewerChoiceField
            kwargs["help_text"] = _(
                "括号里是专家的省份和工作量：已分配的是所选推荐的评选活动（未选时为评审中的"
                "评选活动）中分给他的评审，未提交的是其中还没有交回的。"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _campaign_chosen(self, request):
        """The campaign of the nomination the form was opened for (?nomination=) or posted
        with, which the reviewers' load is counted in; None when there is none yet."""
        key = request.POST.get("nomination") or request.GET.get("nomination")
        if not key or not usable_key(models.Nomination._meta.pk, key):
            return None
        nomination = (
            visible(models.Nomination.objects.all(), request.user)
            .select_related("campaign")
            .filter(pk=key)
            .first()
        )
        return nomination.campaign if nomination else None

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["nomination", "reviewer_name", "total", "assigned_at", "submitted_at"]
        return ["assigned_at", "submitted_at"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        # The page's template shows the first above the nomination's material and the
        # scores, the overall comment after them (templates/admin/estates/review/).
        return [
            (
                None,
                {"fields": ["nomination", "reviewer_name", "total", "assigned_at", "submitted_at"]},
            ),
            (None, {"fields": ["comment"]}),
        ]

    @admin.display(description=_("评审专家"))
    def reviewer_name(self, review):
        # A name, not a link: the accounts' pages are not open to reviewers, nor to the ministry.
        return reviewer_label(review.reviewer)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["material"] = self.material(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def material(self, request, review):
        """What the province wrote, for the reviewer to read beside the scores: the estate's
        facts and metrics, the statement and the required activities' texts (the criteria's
        texts are on the score cards, ReviewScoreInline)."""
        activities = models.ActivityEvidence.objects.select_related("requirement").order_by(
            "requirement__number"
        )
        metrics = models.Metric.objects.select_related("metric_type")
        nomination = (
            models.Nomination.objects.select_related(
                "campaign", "estate__province", "estate__city", "estate__property_company"
            )
            .prefetch_related(
                Prefetch("activity_evidence", queryset=activities),
                Prefetch("estate__metrics", queryset=metrics),
            )
            .get(pk=review.nomination_id)
        )
        estate = nomination.estate
        metrics = list(estate.metrics.all())
        for metric in metrics:
            metric.value_text = f"{plain_number(metric.value)}{metric.metric_type.unit}"
        estate_admin = self.admin_site._registry.get(models.Estate)
        may_open = estate_admin is not None and estate_admin.has_view_or_change_permission(request)
        return {
            "nomination": nomination,
            "estate": estate,
            "metrics": metrics,
            "activities": list(nomination.activity_evidence.all()),
            "estate_url": (
                reverse("admin:estates_estate_change", args=[estate.pk]) if may_open else None
            ),
        }

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            if obj.submitted_at is not None:
                return False  # a handed-in review is a record, for the ministry too
            if role_of(request.user) == Role.REVIEWER:
                # Reviewers score their own reviews while the campaign is being reviewed.
                return obj.reviewer_id == request.user.pk and obj.scoring_closed() is None
        return allowed

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            review = assign_reviewer(obj.nomination, obj.reviewer, request.user)
            obj.pk = review.pk
            obj.assigned_at = review.assigned_at

    def response_change(self, request, obj):
        if "_submit_review" in request.POST:
            try:
                submit_review(obj, request.user)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, text, messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, _("评审已提交。"), messages.SUCCESS)
        return super().response_change(request, obj)

    @admin.display(description=_("加权总分"))
    def total(self, review):
        value = review.total()
        return "—" if value is None else str(two_places(value))

    def get_queryset(self, request):
        scores = Prefetch("scores", queryset=models.ReviewScore.objects.select_related("criterion"))
        return (
            super()
            .get_queryset(request)
            .select_related(
                "nomination__estate", "nomination__campaign", "reviewer__staff_profile__province"
            )
            .prefetch_related(scores)
        )


@admin.register(models.ReviewScore)
class ReviewScoreAdmin(ReadOnlyAdminMixin, ReferenceAdmin):
    list_display = ["review", "criterion", "score"]
    list_select_related = ["review__nomination__estate", "review__reviewer", "criterion"]

    # Scores are given on the review's page, one row per criterion made at assignment.
