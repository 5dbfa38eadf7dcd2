"""Shared reference data: provinces, cities, companies, catalogues, campaigns."""

from django.contrib import admin

from .. import models
from .base import ReferenceAdmin


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


class CriterionInline(CampaignPartAdminMixin, admin.TabularInline):
    model = models.Criterion
    extra = 0


class ActivityRequirementInline(CampaignPartAdminMixin, admin.TabularInline):
    model = models.ActivityRequirement
    extra = 0


@admin.register(models.Campaign)
class CampaignAdmin(CampaignPartAdminMixin, ReferenceAdmin):
    list_display = ["title", "year", "level", "province", "phase", "quota"]
    list_filter = ["level", "phase", "year"]
    list_select_related = ["province"]
    search_fields = ["title", "slug"]
    inlines = [CriterionInline, ActivityRequirementInline]


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
