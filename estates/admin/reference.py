"""Shared reference data: provinces, cities, companies, catalogues, campaigns."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .. import models
from ..enums import CampaignPhase, NominationState
from ..forms import LabelledInlineFormSet
from ..roles import Role, role_of
from ..spreadsheets.documents import result_list_xlsx
from ..workflow import NEXT_PHASE, advance_phase, publish_results, quota_left
from .base import FormFieldsMixin, ReferenceAdmin, VersionedAdminMixin


class CampaignPartAdminMixin:
    """A campaign whose results are public keeps its criteria and required activities: the
    published pages cite them."""

    def has_delete_permission(self, request, obj=None):
        campaign = getattr(obj, "campaign", obj)
        if campaign is not None and campaign.results_are_public:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(models.Province)
class ProvinceAdmin(ReferenceAdmin):
    list_display = ["display_order", "name", "short_name", "name_en", "code", "slug"]
    list_display_links = ["name"]
    search_fields = ["name", "short_name", "code", "slug"]


@admin.register(models.City)
class CityAdmin(ReferenceAdmin):
    list_display = ["name", "province", "slug"]
    list_filter = ["province"]
    list_select_related = ["province"]
    search_fields = ["name", "slug"]


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


class CriterionInline(CampaignPartAdminMixin, FormFieldsMixin, admin.TabularInline):
    formset = LabelledInlineFormSet
    model = models.Criterion
    extra = 0


class ActivityRequirementInline(CampaignPartAdminMixin, FormFieldsMixin, admin.TabularInline):
    formset = LabelledInlineFormSet
    model = models.ActivityRequirement
    extra = 0


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
    inlines = [ProvinceQuotaInline, CriterionInline, ActivityRequirementInline]
    actions = ["export_result_list"]

    @admin.action(description=_("导出入选名单（Excel）"), permissions=["view"])
    def export_result_list(self, request, queryset):
        campaign = queryset.first()
        if queryset.count() != 1 or role_of(request.user) not in (Role.MINISTRY, Role.EDITOR):
            self.message_user(request, _("请只选择一个评选活动。"), messages.ERROR)
            return None
        response = HttpResponse(
            result_list_xlsx(campaign),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"{campaign.slug}-results.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def get_queryset(self, request):
        selected = Count("nominations", filter=Q(nominations__state=NominationState.SELECTED))
        return super().get_queryset(request).annotate(selected_count=selected)

    @admin.display(description=_("剩余名额"))
    def places_left(self, campaign):
        if campaign.quota is None:
            return _("不限")
        return campaign.quota - campaign.selected_count

    def get_urls(self):
        return [
            path(
                "<int:object_id>/advance/",
                self.admin_site.admin_view(self.advance_view),
                name="estates_campaign_advance",
            ),
            path(
                "<int:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="estates_campaign_publish",
            ),
            *super().get_urls(),
        ]

    def _act(self, request, object_id, action, done):
        if request.method != "POST":
            raise Http404
        campaign = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            action(campaign, request.user)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if hasattr(error, "messages") else str(error)
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, done % {"phase": campaign.get_phase_display()})
        return HttpResponseRedirect(reverse("admin:estates_campaign_change", args=[object_id]))

    def advance_view(self, request, object_id):
        return self._act(request, object_id, advance_phase, _("评选活动已进入“%(phase)s”阶段。"))

    def publish_view(self, request, object_id):
        return self._act(
            request, object_id, publish_results, _("评选结果已发布，入选小区现已在公开网站展示。")
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["next_phase"] = NEXT_PHASE.get(obj.phase)
            context["can_publish"] = obj.phase == CampaignPhase.NOTICE
            context["is_ministry"] = role_of(request.user) == Role.MINISTRY
            context["places_left"] = quota_left(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(models.ProvinceQuota)
class ProvinceQuotaAdmin(ReferenceAdmin):
    list_display = ["campaign", "province", "quota"]
    list_select_related = ["campaign", "province"]


@admin.register(models.Criterion)
class CriterionAdmin(CampaignPartAdminMixin, ReferenceAdmin):
    list_display = ["__str__", "campaign", "weight"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]


@admin.register(models.ActivityRequirement)
class ActivityRequirementAdmin(CampaignPartAdminMixin, ReferenceAdmin):
    list_display = ["__str__", "campaign"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
