"""Nominations with one evidence box per criterion and required activity, the state moves made
from the page's own form, and the transition log. The list's actions are in
nomination_actions.py and its work filters in nomination_filters.py; reviews are in
reviews.py, objections in objections.py."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import models
from ..access import can_change_nomination, can_import_report
from ..bulk import below_thresholds, refusal
from ..enums import EDITABLE_STATES, NominationState
from ..models.nominations import REVIEWABLE_STATES
from ..models.profile import latest_metric_value
from ..numbers import two_places
from ..roles import Role, role_of
from ..spreadsheets.resources import NominationResource
from ..workflow import (
    MOVES,
    allowed_moves,
    selecting_ends_notice,
    shortlist_warnings,
    transition,
)
from .base import (
    DomainAdmin,
    ReadOnlyAdminMixin,
    ReferenceAdmin,
    ScopedInlineMixin,
    VersionedAdminMixin,
    without_nul,
)
from .estates import _percent
from .history import LogColumns, NominationLogInline
from .nomination_actions import NominationActionsMixin
from .nomination_deletion import EvidenceDeletionMixin, NominationDeletionMixin
from .nomination_filters import EvidenceFilter, ReturnedFilter, ReviewersFilter
from .nomination_reasons import reasons_context
from .report_downloads import ReportDownloadsMixin
from .report_import import ReportImportMixin
from .spreadsheets import SpreadsheetExportMixin

# The page's move buttons are in its own form, so a click saves what was typed first.
MOVE = "_transition"
MOVE_REASON = "_transition_reason"
MOVE_EARLY = "_transition_early"
UNSENT_REASON = "nomination-%s-unsent-reason"
# Columns for the ministry's decisions only.
MINISTRY_COLUMNS = ("review_total", "review_spread", "reviewers", "threshold_mark")


class EvidenceInline(ScopedInlineMixin, admin.StackedInline):
    extra = 0
    can_delete = False
    fields = ["status", "text"]
    readonly_fields = ["status"]

    def has_add_permission(self, request, obj=None):
        return False  # one box per criterion is created with the nomination

    @admin.display(description=_("填写情况"))
    def status(self, evidence):
        length = len(evidence.text.strip())
        if not length:
            return format_html('<strong class="evidence-missing">{}</strong>', _("未填写"))
        return _("已填写（%(n)s 字）") % {"n": length}


class CriterionEvidenceInline(EvidenceInline):
    model = models.CriterionEvidence
    verbose_name = _("原则要求")
    verbose_name_plural = _("二、满足“美好家园”小区原则要求情况（每项一段）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")


class ActivityEvidenceInline(EvidenceInline):
    model = models.ActivityEvidence
    verbose_name = _("规定活动")
    verbose_name_plural = _("三、8个“一”活动开展情况（每项一段）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requirement")


def _count(rows, key):
    """How many of `rows` there are for the outer row, as a correlated subquery: unlike a
    grouped Count, PostgreSQL works it out only for the rows of the page shown, and the
    list's count query leaves it out (the unique (nomination, …) indexes answer it)."""
    return Coalesce(
        Subquery(
            rows.values(key).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _total(model):
    return _count(model.objects.filter(campaign=OuterRef("campaign")), "campaign")


def _filled(model):
    """The nomination's evidence boxes with text."""
    return _count(model.objects.filter(nomination=OuterRef("pk")).exclude(text=""), "nomination")


@admin.register(models.Nomination)
class NominationAdmin(
    ReportImportMixin,
    ReportDownloadsMixin,
    NominationDeletionMixin,
    NominationActionsMixin,
    SpreadsheetExportMixin,
    VersionedAdminMixin,
    DomainAdmin,
):
    resource_classes = [NominationResource]
    change_form_template = "admin/estates/nomination/change_form.html"
    change_list_template = "admin/estates/nomination/change_list.html"
    # The threshold mark beside the name, where a narrow screen still shows it.
    list_display = [
        "estate",
        "threshold_mark",
        "province",
        "campaign_label",
        "state",
        "satisfaction",
        "fee_collection",
        "reviewers",
        "review_total",
        "review_spread",
        "evidence_progress",
    ]
    list_filter = [
        "campaign",
        "state",
        "estate__province",
        ReviewersFilter,
        EvidenceFilter,
        ReturnedFilter,
    ]
    list_select_related = ["estate__province", "campaign__province", "campaign__city"]
    search_fields = ["estate__name"]
    search_help_text = _("可按小区名称、拼音或拼音首字母搜索")
    autocomplete_fields = ["estate"]
    readonly_fields = ["state", "submitted_at", "evidence_summary"]
    fields = [
        "campaign",
        "estate",
        "nominating_authority",
        "province_sequence",
        "statement",
        "state",
        "submitted_at",
        "evidence_summary",
    ]
    inlines = [NominationLogInline, CriterionEvidenceInline, ActivityEvidenceInline]
    # Newest campaign first, then its provinces in official order. Campaign ids, not their
    # (year, level, slug) order: the campaign index hands PostgreSQL the rows presorted, so a
    # page of 100 is an incremental sort of one campaign's rows instead of a sort of every
    # nomination in the registry (8.6 s → 0.1 s with 100,000 nominations).
    ordering = ["-campaign_id", "estate__province_order", "province_sequence", "pk"]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if role_of(request.user) != Role.MINISTRY:
            # Scores, reviewers and thresholds are for the ministry's decision only.
            columns = [c for c in columns if c not in MINISTRY_COLUMNS]
        if "campaign__id__exact" in request.GET:
            columns.remove("campaign_label")  # one campaign: the filter names it
        return columns

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if role_of(request.user) != Role.MINISTRY:
            filters = [f for f in filters if f is not ReviewersFilter]
        return filters

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["campaign", "estate"]  # the evidence boxes belong to this pair
        if role_of(request.user) == Role.EDITOR:
            # Editors set the order of a province's feature (01, 02 …), nothing else.
            fields += [f for f in self.fields if f not in fields and f != "province_sequence"]
        return fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            # Keep the order explicit, or the autocomplete (a review's nomination) pages an
            # unordered list.
            .order_by(*self.ordering)
            .prefetch_related(
                Prefetch(
                    "reviews",
                    queryset=models.Review.objects.filter(
                        submitted_at__isnull=False
                    ).prefetch_related(
                        Prefetch(
                            "scores",
                            queryset=models.ReviewScore.objects.select_related("criterion"),
                        )
                    ),
                    to_attr="submitted_reviews",
                )
            )
            .annotate(
                latest_satisfaction=latest_metric_value(code="satisfaction", estate_path="estate"),
                latest_fee_collection=latest_metric_value(
                    code="fee_collection", estate_path="estate"
                ),
                criteria_filled=_filled(models.CriterionEvidence),
                activities_filled=_filled(models.ActivityEvidence),
                criteria_total=_total(models.Criterion),
                activities_total=_total(models.ActivityRequirement),
                reviews_assigned=_count(
                    models.Review.objects.filter(nomination=OuterRef("pk")), "nomination"
                ),
            )
            .annotate(below_threshold=below_thresholds())
        )

    def get_search_results(self, request, queryset, search_term):
        search_term = without_nul(search_term)
        if not search_term.strip():
            return queryset, False
        return queryset.filter(estate__in=models.Estate.objects.search(search_term)), False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return can_change_nomination(request.user, obj)
        return allowed

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None:
            return can_change_nomination(request.user, obj)
        return allowed

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        create_missing_evidence(form.instance)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the change page, where the evidence boxes now wait to be filled.
        self.message_user(
            request,
            _(
                "推荐已创建。请逐项填写原则要求和 8个“一” 的材料，再提交；"
                "省里已写好 Word 报告的，可在本页上方“推荐报告（Word）”处直接读入。"
            ),
        )
        return HttpResponseRedirect(reverse("admin:estates_nomination_change", args=[obj.pk]))

    def get_urls(self):
        return [
            path(
                "<int:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="estates_nomination_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id):
        """A move alone (to_state, reason), for scripts; the page's buttons post its form."""
        if request.method != "POST":
            raise Http404
        nomination = get_object_or_404(self.get_queryset(request), pk=object_id)
        return self._move(request, nomination, request.POST.get("to_state", ""), "reason")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and MOVE in request.POST and object_id is not None:
            nomination = self.get_object(request, unquote(object_id))
            if nomination is not None and not self.has_change_permission(request, nomination):
                # Shown read-only (a province's handed-in nomination): the reason is all
                # there is to type, so the move is all there is to do.
                return self._move(request, nomination, request.POST[MOVE], MOVE_REASON)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change and MOVE in request.POST and not form.has_changed():
            return  # nothing typed in its own fields: the move saves it, one version
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        # Called once the form and its evidence boxes are saved: then the move.
        if MOVE in request.POST:
            return self._move(request, obj, request.POST[MOVE], MOVE_REASON, saved=True)
        return super().response_change(request, obj)

    def _move(self, request, nomination, to_state, reason_field, saved=False):
        reason = request.POST.get(reason_field, "")
        early = request.POST.get(MOVE_EARLY) == "1"
        move = MOVES.get((nomination.state, to_state))
        label = move.label if move else dict(NominationState.choices).get(to_state, to_state)
        try:
            transition(nomination, to_state, request.user, reason, early=early)
        except (ValidationError, PermissionDenied) as error:
            text = refusal(error)
            if saved:
                text = _("本页填写的内容已保存，但没有执行“%(move)s”：%(why)s") % {
                    "move": label,
                    "why": text,
                }
            self.message_user(request, text, messages.ERROR)
            if reason.strip():
                request.session[UNSENT_REASON % nomination.pk] = reason  # shown again
        else:
            self.message_user(
                request,
                _("“%(obj)s”现在是“%(state)s”。")
                % {"obj": nomination, "state": nomination.get_state_display()},
                messages.SUCCESS,
            )
            if nomination.state == NominationState.SHORTLISTED:
                for warning in shortlist_warnings(nomination):
                    self.message_user(request, warning, messages.WARNING)
        return HttpResponseRedirect(
            reverse("admin:estates_nomination_change", args=[nomination.pk])
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._moves_context(request, obj))
            context.update(reasons_context(request, obj))
            context.update(self.report_downloads_context(request, obj))
            context["can_import_report"] = can_import_report(request.user, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _moves_context(self, request, obj):
        """The state panel and the move buttons: what the user may do now, what they need."""
        moves = allowed_moves(obj, request.user)
        targets = dict(moves)
        context = {
            "moves": moves,
            "reason_needed_for": [move.label for move in targets.values() if move.needs_reason],
            # What is still to write matters while it can be written: in a draft.
            "missing_evidence": obj.missing_evidence() if obj.state in EDITABLE_STATES else [],
        }
        if NominationState.SUBMITTED in targets:
            context["submit_move"] = targets[NominationState.SUBMITTED].label
        if NominationState.SHORTLISTED in targets:
            context["threshold_warnings"] = shortlist_warnings(obj)
            if context["threshold_warnings"]:
                context["warned_move"] = NominationState.SHORTLISTED.value
        if NominationState.SELECTED in targets and selecting_ends_notice(obj.campaign):
            context["notice_ends_on"] = obj.campaign.notice_ends_on
            context["selection_move"] = targets[NominationState.SELECTED].label
        if role_of(request.user) == Role.MINISTRY and obj.state in REVIEWABLE_STATES:
            url = reverse("admin:estates_review_add")
            context["assign_reviewer_url"] = f"{url}?nomination={obj.pk}"
        if request.method == "POST":
            # The form came back with errors: the move was not made, the reason stays.
            context["move_reason"] = request.POST.get(MOVE_REASON, "")
            attempted = MOVES.get((obj.state, request.POST.get(MOVE)))
            context["attempted_move"] = attempted.label if attempted else ""
        else:
            context["move_reason"] = request.session.pop(UNSENT_REASON % obj.pk, "")
        return context

    @admin.display(description=_("评选活动"), ordering="campaign__year")
    def campaign_label(self, nomination):
        return nomination.campaign.short_label()

    @admin.display(description=_("省份"), ordering="estate__province_order")
    def province(self, nomination):
        return nomination.estate.province.short_name

    @admin.display(description=_("评审均分"))
    def review_total(self, nomination):
        totals = _review_totals(nomination)
        if not totals:
            return "—"
        return f"{two_places(sum(totals) / len(totals))}（{len(totals)}）"

    @admin.display(description=_("分差"))
    def review_spread(self, nomination):
        totals = _review_totals(nomination)
        return str(two_places(max(totals) - min(totals))) if len(totals) > 1 else "—"

    @admin.display(description=_("满意度"), ordering="latest_satisfaction")
    def satisfaction(self, nomination):
        return _percent(nomination.latest_satisfaction)

    @admin.display(description=_("物业费收缴率"), ordering="latest_fee_collection")
    def fee_collection(self, nomination):
        return _percent(nomination.latest_fee_collection)

    @admin.display(description=_("评审专家"), ordering="reviews_assigned")
    def reviewers(self, nomination):
        return _("%(assigned)s/%(wanted)s") % {
            "assigned": nomination.reviews_assigned,
            "wanted": nomination.campaign.reviewers_per_nomination,
        }

    @admin.display(description=_("门槛"), empty_value="")
    def threshold_mark(self, nomination):
        if not nomination.below_threshold:
            return ""
        return format_html('<strong class="nomination-below">{}</strong>', _("低于门槛"))

    @admin.display(description=_("材料"))
    def evidence_progress(self, nomination):
        filled = nomination.criteria_filled + nomination.activities_filled
        total = nomination.criteria_total + nomination.activities_total
        return _("已填 %(filled)s/%(total)s") % {"filled": filled, "total": total}

    @admin.display(description=_("材料填写情况"))
    def evidence_summary(self, nomination):
        if nomination.pk is None:
            return _("保存后显示每项原则要求和 8个“一” 的填写框，也可以读入省里写好的 Word 报告。")
        missing = nomination.missing_evidence()
        if not missing:
            return _("全部已填写。")
        return _("还有 %(count)s 项未填写：%(items)s") % {
            "count": len(missing),
            "items": "；".join(missing),
        }


def _review_totals(nomination):
    totals = [review.total() for review in getattr(nomination, "submitted_reviews", [])]
    return [total for total in totals if total is not None]


def create_missing_evidence(nomination):
    """One evidence row per criterion and per required activity of the nomination's campaign."""
    have_criteria = set(nomination.criterion_evidence.values_list("criterion_id", flat=True))
    have_requirements = set(nomination.activity_evidence.values_list("requirement_id", flat=True))
    models.CriterionEvidence.objects.bulk_create(
        models.CriterionEvidence(nomination=nomination, criterion=criterion)
        for criterion in nomination.campaign.criteria.exclude(pk__in=have_criteria)
    )
    models.ActivityEvidence.objects.bulk_create(
        models.ActivityEvidence(nomination=nomination, requirement=requirement)
        for requirement in nomination.campaign.activity_requirements.exclude(
            pk__in=have_requirements
        )
    )


class NominationDataAdmin(EvidenceDeletionMixin, DomainAdmin):
    list_select_related = ["nomination__estate", "nomination__campaign"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return can_change_nomination(request.user, obj.nomination)
        return allowed

    def has_delete_permission(self, request, obj=None):
        # Evidence goes only with a nomination that may still be changed (a draft).
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None:
            return can_change_nomination(request.user, obj.nomination)
        return allowed


@admin.register(models.CriterionEvidence)
class CriterionEvidenceAdmin(NominationDataAdmin):
    list_display = ["nomination", "criterion"]
    list_filter = ["criterion__campaign"]
    search_fields = ["nomination__estate__name", "text"]
    readonly_fields = ["nomination", "criterion"]


@admin.register(models.ActivityEvidence)
class ActivityEvidenceAdmin(NominationDataAdmin):
    list_display = ["nomination", "requirement"]
    list_filter = ["requirement__campaign"]
    search_fields = ["nomination__estate__name", "text"]
    readonly_fields = ["nomination", "requirement"]


@admin.register(models.NominationTransition)
class NominationTransitionAdmin(LogColumns, ReadOnlyAdminMixin, ReferenceAdmin):
    list_display = ["nomination", "change", "who", "at"]
    list_select_related = ["nomination__estate", "nomination__campaign", "actor"]
    fields = ["nomination", "change", "who", "reason_text", "at"]
    readonly_fields = fields
