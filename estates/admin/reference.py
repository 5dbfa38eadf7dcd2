"""Shared reference data: provinces, cities, companies, catalogues, campaigns."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, TextField
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import models
from ..campaigns import (
    copy_campaign,
    next_step,
    phase_change_preview,
    weights_problem,
)
from ..enums import CampaignPhase, NominationState
from ..forms import LabelledInlineFormSet
from ..roles import Role, role_of
from ..spreadsheets.downloads import content_disposition
from ..spreadsheets.results import result_file_name, result_list_file
from ..workflow import advance_phase, publish_results, quota_left
from .base import FormFieldsMixin, ReferenceAdmin, VersionedAdminMixin
from .campaign_forms import CampaignCopyForm, PhaseChangeForm
from .history import CampaignPhaseLogInline


class CampaignPartAdminMixin:
    """A campaign whose results are public keeps its criteria and required activities: the
    published pages cite them."""

    def has_delete_permission(self, request, obj=None):
        campaign = getattr(obj, "campaign", obj)
        if campaign is not None and campaign.results_are_public:
            return False
        return super().has_delete_permission(request, obj)


class NationalListAdminMixin:
    """Provinces and cities are the national list of divisions, shipped with their codes
    (fixtures/regions.json): staff choose from it and never add to it. Only a superuser
    may correct it, until the fixture is regenerated from a newer list."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(models.Province)
class ProvinceAdmin(NationalListAdminMixin, ReferenceAdmin):
    list_display = ["display_order", "name", "short_name", "name_en", "code", "slug"]
    list_display_links = ["name"]
    search_fields = ["name", "short_name", "code", "slug"]


@admin.register(models.City)
class CityAdmin(NationalListAdminMixin, ReferenceAdmin):
    list_display = ["name", "code", "province", "slug"]
    list_filter = ["province"]
    list_select_related = ["province"]
    # The estate form chooses its city by this search (autocomplete): a city by its name,
    # code or pinyin, or a province's cities by the province's name (山东).
    search_fields = ["name", "code", "slug", "province__name", "province__short_name"]
    search_help_text = _("可按城市名称、行政区划代码、拼音或省份名称搜索")


@admin.register(models.PropertyCompany)
class PropertyCompanyAdmin(ReferenceAdmin):
    list_display = ["name", "credit_code"]
    search_fields = ["name", "credit_code"]


@admin.register(models.MechanismType)
class MechanismTypeAdmin(ReferenceAdmin):
    list_display = ["name", "name_en", "slug", "display_order"]
    search_fields = ["name", "slug"]


@admin.register(models.MetricType)
class MetricTypeAdmin(ReferenceAdmin):
    list_display = ["name", "code", "unit", "is_percentage", "higher_is_better", "display_order"]


class CriterionFormSet(LabelledInlineFormSet):
    """The criteria's weights make up the review total: together they must be 100."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return  # each row says first what is wrong with it
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data.get("weight") is not None and not self._should_delete_form(form)
        ]
        problem = weights_problem(weights)
        if problem:
            raise ValidationError(problem, code="weights_total")


# The descriptions of criteria and required activities in the campaign's own rows: a few
# lines each, so that nine rows fit a screen and the page does not grow wider than it.
SHORT_TEXT = {TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


class CriterionInline(CampaignPartAdminMixin, FormFieldsMixin, admin.TabularInline):
    formset = CriterionFormSet
    model = models.Criterion
    extra = 0
    formfield_overrides = SHORT_TEXT


class ActivityRequirementInline(CampaignPartAdminMixin, FormFieldsMixin, admin.TabularInline):
    formset = LabelledInlineFormSet
    model = models.ActivityRequirement
    extra = 0
    formfield_overrides = SHORT_TEXT


class ProvinceQuotaInline(FormFieldsMixin, admin.TabularInline):
    formset = LabelledInlineFormSet
    model = models.ProvinceQuota
    extra = 0
    verbose_name_plural = _("分省名额（可选）")


@admin.register(models.Campaign)
class CampaignAdmin(CampaignPartAdminMixin, VersionedAdminMixin, ReferenceAdmin):
    change_form_template = "admin/estates/campaign/change_form.html"
    list_display = ["title", "year", "level", "province", "phase", "quota", "places_left"]
    list_filter = ["level", "phase", "year"]
    list_select_related = ["province"]
    search_fields = ["title", "slug"]
    readonly_fields = ["phase", "results_published_at"]
    inlines = [
        ProvinceQuotaInline,
        CriterionInline,
        ActivityRequirementInline,
        CampaignPhaseLogInline,
    ]
    actions = ["export_result_list", "export_result_list_csv"]

    @admin.action(description=_("导出入选名单（Excel 表格 .xlsx）"), permissions=["view"])
    def export_result_list(self, request, queryset):
        return self._result_list(request, queryset, "xlsx")

    @admin.action(description=_("导出入选名单（CSV 文本 .csv）"), permissions=["view"])
    def export_result_list_csv(self, request, queryset):
        return self._result_list(request, queryset, "csv")

    def _result_list(self, request, queryset, extension):
        campaign = queryset.first()
        if queryset.count() != 1 or role_of(request.user) not in (Role.MINISTRY, Role.EDITOR):
            self.message_user(request, _("请只选择一个评选活动。"), messages.ERROR)
            return None
        content, content_type = result_list_file(campaign, extension)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition(
            result_file_name(campaign, extension), f"{campaign.slug}-results.{extension}"
        )
        return response

    def get_queryset(self, request):
        selected = Count("nominations", filter=Q(nominations__state=NominationState.SELECTED))
        return super().get_queryset(request).annotate(selected_count=selected)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_add_permission(request):
            columns.append("copy_link")
        return columns

    @admin.display(description=_("剩余名额"))
    def places_left(self, campaign):
        if campaign.quota is None:
            return _("不限")
        return campaign.quota - campaign.selected_count

    @admin.display(description=_("新一届评选"))
    def copy_link(self, campaign):
        url = reverse("admin:estates_campaign_copy", args=[campaign.pk])
        name = _("以“%(campaign)s”为底复制为新一届评选") % {"campaign": campaign}
        return format_html(
            '<a href="{}" title="{}" aria-label="{}">{}</a>', url, name, name, _("复制")
        )

    def get_urls(self):
        def view(name, function):
            return path(
                f"<int:object_id>/{name}/",
                self.admin_site.admin_view(function),
                name=f"estates_campaign_{name}",
            )

        return [
            view("advance", self.advance_view),
            view("publish", self.publish_view),
            view("copy", self.copy_view),
            *super().get_urls(),
        ]

    def copy_view(self, request, object_id):
        """A new round from this one in one step: only its year, title and web address are
        asked for; then its page opens to edit the rest."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = CampaignCopyForm(posted(request), source=source)
        if request.method == "POST" and form.is_valid():
            campaign = copy_campaign(source, form.save(commit=False))
            self.log_addition(request, campaign, _("复制自“%(source)s”") % {"source": source})
            self.message_user(
                request,
                _(
                    "已从“%(source)s”复制出“%(campaign)s”（筹备中），包括原则要求及权重、"
                    "规定活动和名额设置。请核对后保存。"
                )
                % {"source": source, "campaign": campaign},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:estates_campaign_change", args=[campaign.pk])
            )
        return self._page(
            request,
            "copy_form.html",
            source,
            title=_("复制为新一届评选"),
            form=form,
            source=source,
            parts={
                "criteria": source.criteria.count(),
                "requirements": source.activity_requirements.count(),
                "quotas": source.province_quotas.count(),
            },
        )

    def advance_view(self, request, object_id):
        return self._phase_view(request, object_id, publish=False)

    def publish_view(self, request, object_id):
        return self._phase_view(request, object_id, publish=True)

    def _phase_view(self, request, object_id, publish):
        """The confirmation of the campaign's next step (GET) and the step itself (POST):
        what it does, what is unfinished, and the nominations that stop it."""
        campaign = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:estates_campaign_change", args=[campaign.pk])
        preview = phase_change_preview(campaign)
        refusal = None
        if role_of(request.user) != Role.MINISTRY:
            refusal = _("只有部级管理员可以推进评选阶段或发布评选结果。")
        elif preview is None or (preview.target == CampaignPhase.PUBLISHED) != publish:
            refusal = _("评选活动处于“%(phase)s”阶段，没有这一步可做。") % {
                "phase": campaign.get_phase_display()
            }
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = PhaseChangeForm(
            posted(request),
            early=not preview.notice_over,
            initial={"from_phase": campaign.phase},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if publish:
                    publish_results(
                        campaign,
                        request.user,
                        override=data.get("override", False),
                        reason=data["reason"],
                        from_phase=data["from_phase"] or None,
                    )
                else:
                    advance_phase(
                        campaign,
                        request.user,
                        reason=data["reason"],
                        from_phase=data["from_phase"] or None,
                    )
            except ValidationError as error:
                form.refuse(error)
                campaign.refresh_from_db()
                preview = phase_change_preview(campaign) or preview
            else:
                done = (
                    _("评选结果已发布，入选小区现已在公开网站展示。")
                    if publish
                    else _("评选活动已进入“%(phase)s”阶段。")
                    % {"phase": campaign.get_phase_display()}
                )
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        return self._page(
            request,
            "confirm_phase.html",
            campaign,
            title=_("发布评选结果")
            if publish
            else _("推进到“%(phase)s”") % {"phase": preview.target_label},
            form=form,
            preview=preview,
            publish=publish,
        )

    def _page(self, request, template, campaign, **context):
        return TemplateResponse(
            request,
            f"admin/estates/campaign/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": campaign,
                "change_url": reverse("admin:estates_campaign_change", args=[campaign.pk]),
                **context,
            },
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            target = next_step(obj)
            context["next_step"] = target
            context["next_step_label"] = target and CampaignPhase(target).label
            context["is_ministry"] = role_of(request.user) == Role.MINISTRY
            context["may_copy"] = self.has_add_permission(request)
            context["places_left"] = quota_left(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


def posted(request):
    """The form data of a POST (an empty one too: all its fields may be optional), else None."""
    return request.POST if request.method == "POST" else None


@admin.register(models.ProvinceQuota)
class ProvinceQuotaAdmin(ReferenceAdmin):
    list_display = ["campaign", "province", "quota"]
    list_select_related = ["campaign", "province"]


@admin.register(models.Criterion)
class CriterionAdmin(CampaignPartAdminMixin, ReferenceAdmin):
    list_display = ["__str__", "campaign", "weight"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]

    def save_model(self, request, obj, form, change):
        # One criterion at a time cannot keep the total at 100 (the campaign's page can):
        # saved, and said.
        super().save_model(request, obj, form, change)
        weights = list(obj.campaign.criteria.values_list("weight", flat=True))
        problem = weights_problem(weights)
        if problem:
            self.message_user(
                request,
                _("“%(campaign)s”：%(problem)s可在评选活动页面一次调整各项权重。")
                % {"campaign": obj.campaign, "problem": problem},
                messages.WARNING,
            )


@admin.register(models.ActivityRequirement)
class ActivityRequirementAdmin(CampaignPartAdminMixin, ReferenceAdmin):
    list_display = ["__str__", "campaign"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
