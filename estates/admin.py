"""A first admin over every model; roles, province scoping and the workflow come later.

A nomination's state is read-only here: it changes only through the workflow function.
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from . import models
from .enums import RESULTS_PUBLIC_PHASES, NominationState

admin.site.site_header = _("美好家园 · 数据管理")
admin.site.site_title = _("美好家园数据管理")
admin.site.index_title = _("数据管理")


@admin.register(models.Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["display_order", "name", "short_name", "code", "slug"]
    list_display_links = ["name"]
    search_fields = ["name", "short_name", "code", "slug"]


@admin.register(models.City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "province", "slug"]
    list_filter = ["province"]
    list_select_related = ["province"]
    search_fields = ["name", "slug"]


@admin.register(models.PropertyCompany)
class PropertyCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code"]
    search_fields = ["name", "credit_code"]


class MechanismInline(admin.StackedInline):
    model = models.Mechanism
    extra = 0


class MetricInline(admin.TabularInline):
    model = models.Metric
    extra = 0


class KeyFigureInline(admin.TabularInline):
    model = models.KeyFigure
    extra = 0


class ActivityInline(admin.StackedInline):
    model = models.Activity
    extra = 0


class HonorInline(admin.TabularInline):
    model = models.Honor
    extra = 0


class PhotoInline(admin.TabularInline):
    model = models.Photo
    extra = 0


@admin.register(models.Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ["name", "province", "city", "district", "households", "is_published"]
    list_filter = ["province", "estate_type"]
    list_select_related = ["province", "city"]
    search_fields = ["name", "name_pinyin", "name_initials", "district", "property_company__name"]
    readonly_fields = ["name_pinyin", "name_initials", "created_at", "updated_at"]
    autocomplete_fields = ["city", "property_company"]
    fieldsets = [
        (
            _("名称与位置"),
            {
                "fields": [
                    "name",
                    "slug",
                    "province",
                    "city",
                    "district",
                    "subdistrict",
                    "community",
                    "address",
                ]
            },
        ),
        (
            _("基本情况"),
            {
                "fields": [
                    "estate_type",
                    "year_built",
                    "construction_period",
                    "buildings",
                    "building_note",
                    "units",
                    "households",
                    "residents",
                    "land_area",
                    "land_area_in_mu",
                    "floor_area",
                    "floor_area_is_approximate",
                    "plot_ratio",
                    "green_coverage",
                    "property_company",
                ]
            },
        ),
        (_("概况及亮点"), {"fields": ["tagline", "overview", "highlights", "source_note"]}),
        (
            _("记录"),
            {
                "fields": ["name_pinyin", "name_initials", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [
        MechanismInline,
        MetricInline,
        KeyFigureInline,
        ActivityInline,
        HonorInline,
        PhotoInline,
    ]

    def get_queryset(self, request):
        public = models.Nomination.objects.filter(
            estate=OuterRef("pk"),
            state=NominationState.SELECTED,
            campaign__phase__in=RESULTS_PUBLIC_PHASES,
        )
        return super().get_queryset(request).annotate(published=Exists(public))

    @admin.display(boolean=True, description=_("已公开"), ordering="published")
    def is_published(self, estate):
        return estate.published


@admin.register(models.MechanismType)
class MechanismTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "display_order"]
    search_fields = ["name", "slug"]


@admin.register(models.Mechanism)
class MechanismAdmin(admin.ModelAdmin):
    list_display = ["title", "estate", "mechanism_type"]
    list_filter = ["mechanism_type"]
    list_select_related = ["estate", "mechanism_type"]
    search_fields = ["title", "estate__name"]
    autocomplete_fields = ["estate"]


@admin.register(models.MetricType)
class MetricTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "is_percentage", "higher_is_better", "display_order"]


@admin.register(models.Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["estate", "metric_type", "value", "date", "period_label"]
    list_filter = ["metric_type"]
    list_select_related = ["estate", "metric_type"]
    search_fields = ["estate__name"]
    autocomplete_fields = ["estate"]


@admin.register(models.KeyFigure)
class KeyFigureAdmin(admin.ModelAdmin):
    list_display = ["label", "quantity", "unit", "estate", "year"]
    list_select_related = ["estate"]
    search_fields = ["label", "estate__name"]
    autocomplete_fields = ["estate"]


@admin.register(models.Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "estate", "category", "date", "period_label"]
    list_filter = ["category"]
    list_select_related = ["estate"]
    search_fields = ["title", "estate__name"]
    autocomplete_fields = ["estate"]


@admin.register(models.Honor)
class HonorAdmin(admin.ModelAdmin):
    list_display = ["title", "estate", "level", "year", "issuer"]
    list_filter = ["level"]
    list_select_related = ["estate"]
    search_fields = ["title", "estate__name"]
    autocomplete_fields = ["estate"]


@admin.register(models.Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["caption", "estate", "is_cover", "display_order"]
    list_select_related = ["estate"]
    search_fields = ["caption", "estate__name"]
    autocomplete_fields = ["estate"]


class CriterionInline(admin.TabularInline):
    model = models.Criterion
    extra = 0


class ActivityRequirementInline(admin.TabularInline):
    model = models.ActivityRequirement
    extra = 0


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "level", "province", "phase", "quota"]
    list_filter = ["level", "phase", "year"]
    list_select_related = ["province"]
    search_fields = ["title", "slug"]
    inlines = [CriterionInline, ActivityRequirementInline]


@admin.register(models.Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "campaign", "weight"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]


@admin.register(models.ActivityRequirement)
class ActivityRequirementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "campaign"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]


class CriterionEvidenceInline(admin.StackedInline):
    model = models.CriterionEvidence
    extra = 0


class ActivityEvidenceInline(admin.StackedInline):
    model = models.ActivityEvidence
    extra = 0


class TransitionInline(admin.TabularInline):
    model = models.NominationTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "actor", "reason", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Nomination)
class NominationAdmin(admin.ModelAdmin):
    list_display = ["estate", "campaign", "province_sequence", "state", "nominating_authority"]
    list_filter = ["campaign", "state", "estate__province"]
    list_select_related = ["estate", "campaign"]
    search_fields = ["estate__name", "estate__name_pinyin", "nominating_authority"]
    readonly_fields = ["state", "submitted_at", "created_at", "updated_at"]
    autocomplete_fields = ["estate"]
    inlines = [CriterionEvidenceInline, ActivityEvidenceInline, TransitionInline]


@admin.register(models.CriterionEvidence)
class CriterionEvidenceAdmin(admin.ModelAdmin):
    list_display = ["nomination", "criterion"]
    list_filter = ["criterion__campaign"]
    list_select_related = ["nomination__estate", "nomination__campaign", "criterion"]
    search_fields = ["nomination__estate__name", "text"]


@admin.register(models.ActivityEvidence)
class ActivityEvidenceAdmin(admin.ModelAdmin):
    list_display = ["nomination", "requirement"]
    list_filter = ["requirement__campaign"]
    list_select_related = ["nomination__estate", "nomination__campaign", "requirement"]
    search_fields = ["nomination__estate__name", "text"]


@admin.register(models.NominationTransition)
class NominationTransitionAdmin(admin.ModelAdmin):
    list_display = ["nomination", "from_state", "to_state", "actor", "at"]
    list_select_related = ["nomination__estate", "nomination__campaign", "actor"]
    readonly_fields = ["nomination", "from_state", "to_state", "actor", "reason", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReviewScoreInline(admin.TabularInline):
    model = models.ReviewScore
    extra = 0


@admin.register(models.Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["nomination", "reviewer", "assigned_at", "submitted_at"]
    list_select_related = ["nomination__estate", "nomination__campaign", "reviewer"]
    inlines = [ReviewScoreInline]


@admin.register(models.ReviewScore)
class ReviewScoreAdmin(admin.ModelAdmin):
    list_display = ["review", "criterion", "score"]
    list_select_related = ["review__nomination__estate", "review__reviewer", "criterion"]


@admin.register(models.Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["reference", "nomination", "state", "received_at"]
    list_filter = ["state"]
    list_select_related = ["nomination__estate", "nomination__campaign"]
    search_fields = ["reference"]
    readonly_fields = ["reference", "received_at"]
