"""Estates and everything their profile shows, laid out like a nomination report."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import models
from ..access import visible
from ..enums import NominationState
from ..forms import (
    PhotoForm,
    PhotoInlineFormSet,
    PublicEstateRowsMixin,
    ReviewedEstateForm,
    line_breaks_form_class,
)
from ..numbers import percent_text
from ..roles import Role, province_id_of, role_of
from ..spreadsheets.documents import province_template
from ..spreadsheets.resources import (
    ActivityResource,
    EstateResource,
    KeyFigureResource,
    MechanismResource,
    MetricResource,
)
from .base import (
    DomainAdmin,
    ScopedInlineMixin,
    VersionedAdminMixin,
    is_published_estate,
    without_nul,
)
from .pending import ReviewedEditsMixin, held_for_review
from .spreadsheets import SpreadsheetImportExportMixin
from .worklist_filters import PublicGapsFilter

EDITOR_TEXT_FIELDS = {
    *("tagline", "overview", "highlights", "source_note"),
    *("name_en", "tagline_en", "summary_en"),
}
# What an editor may change of a public estate's mechanisms: their English.
EDITOR_MECHANISM_FIELDS = {"title_en", "description_en"}


def latest_nomination_state(nominations):
    return Subquery(
        nominations.filter(estate=OuterRef("pk"))
        .order_by("-campaign__year", "-pk")
        .values("state")[:1]
    )


class LineBreaksMixin:
    """Text read with every line break as "\\n" (estates.forms.LineBreaksCharField), so a save
    from a browser changes no text nobody changed. (Meant for every admin form: its place is
    base.FormFieldsMixin.)"""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        form_class = line_breaks_form_class(db_field)
        if form_class is not None:
            kwargs.setdefault("form_class", form_class)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class HeldRowsMixin:
    """A public estate's rows are shown to its province, not offered: what a province saves
    for a public estate waits for review, and only the estate's own fields can wait
    (estates/pending.py). Keeping rows — photos with their files, metrics with their latest
    flags, unique orders — as waiting copies would make each a second model to review; they
    change rarely once public, and the clerk asks for them in the change's note."""

    def has_change_permission(self, request, obj=None):
        if held_for_review(request, obj):
            return False
        return super().has_change_permission(request, obj)


class HeldInlineMixin(HeldRowsMixin):
    def has_add_permission(self, request, obj=None):
        if held_for_review(request, obj):  # obj: the estate
            return False
        return super().has_add_permission(request, obj)


class EstateInline(HeldInlineMixin, LineBreaksMixin, ScopedInlineMixin):
    extra = 0

    def has_change_permission(self, request, obj=None):
        if role_of(request.user) == Role.EDITOR:
            return False  # editors change texts and photos only
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if role_of(request.user) == Role.EDITOR:
            return False
        return super().has_add_permission(request, obj)


class MechanismInline(EstateInline, admin.StackedInline):
    model = models.Mechanism
    fieldsets = [
        (None, {"fields": [("mechanism_type", "title", "display_order"), "description"]}),
        # Folded under each mechanism so a long list stays a list; opened where it has errors.
        (_("英文（English）"), {"fields": ["title_en", "description_en"], "classes": ["collapse"]}),
    ]
    verbose_name_plural = _("二、治理机制（对照原则要求）")

    def has_change_permission(self, request, obj=None):
        if role_of(request.user) == Role.EDITOR:
            # Editors write the English of the estates whose texts they edit (obj: the estate).
            estates = self.admin_site.get_model_admin(models.Estate)
            return obj is not None and estates.has_change_permission(request, obj)
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if role_of(request.user) == Role.EDITOR:
            fields += [
                f.name
                for f in models.Mechanism._meta.fields
                if f.editable and f.name not in EDITOR_MECHANISM_FIELDS and f.name not in fields
            ]
        return fields


class MetricInline(EstateInline, admin.TabularInline):
    model = models.Metric
    fields = [
        "metric_type",
        "value",
        "date",
        "date_precision",
        "period_label",
        "sequence",
        "source_note",
    ]
    verbose_name_plural = _("指标数据（满意度、物业费收缴率等）")

    def get_queryset(self, request):
        # Each row is titled by its str(), which names its metric type.
        return super().get_queryset(request).select_related("metric_type")


class KeyFigureInline(EstateInline, admin.TabularInline):
    model = models.KeyFigure
    fields = ["label", "quantity", "approximation", "unit", "year", "note", "display_order"]
    verbose_name_plural = _("四、工作成效（成效数据）")


class ActivityInline(EstateInline, admin.StackedInline):
    model = models.Activity
    fields = [
        ("title", "category", "requirement"),
        ("date", "date_precision", "period_label", "participants"),
        "description",
        "display_order",
    ]
    verbose_name_plural = _("三、活动开展情况（含8个“一”）")


class HonorInline(EstateInline, admin.TabularInline):
    model = models.Honor
    fields = ["title", "level", "year", "issuer"]
    verbose_name_plural = _("荣誉")


class PhotoInline(HeldInlineMixin, LineBreaksMixin, ScopedInlineMixin, admin.TabularInline):
    model = models.Photo
    form = PhotoForm
    formset = PhotoInlineFormSet
    extra = 0
    fields = ["thumbnail", "image", "caption", "display_order", "is_cover"]
    readonly_fields = ["thumbnail"]
    verbose_name_plural = _("照片（按排列顺序展示；勾选一张作为封面）")

    @admin.display(description=_("预览"))
    def thumbnail(self, photo):
        if not photo.pk or not photo.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" class="photo-preview">',
            photo.thumb_url,
            photo.caption,
        )


class CampaignFilter(admin.SimpleListFilter):
    title = _("评选活动")
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        from ..access import visible

        campaigns = visible(models.Campaign.objects.all(), request.user)
        return [(str(c.pk), str(c)) for c in campaigns]

    def queryset(self, request, queryset):
        if self.value():
            if self.value() not in {value for value, _label in self.lookup_choices}:
                # Not a campaign this user may see (or not a number at all): the admin's
                # answer to any wrong filter, never a server error.
                raise IncorrectLookupParameters
            return queryset.filter(
                Exists(
                    models.Nomination.objects.filter(
                        estate=OuterRef("pk"), campaign_id=self.value()
                    )
                )
            )
        return queryset


class NominationStateFilter(admin.SimpleListFilter):
    title = _("推荐状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return NominationState.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(latest_state=self.value())
        return queryset


@admin.register(models.Estate)
class EstateAdmin(
    LineBreaksMixin,
    ReviewedEditsMixin,
    SpreadsheetImportExportMixin,
    VersionedAdminMixin,
    DomainAdmin,
):
    resource_classes = [EstateResource]
    change_list_template = "admin/estates/estate/change_list.html"
    form = ReviewedEstateForm
    list_display = [
        "name",
        "province",
        "city",
        "households",
        "satisfaction",
        "fee_collection",
        "nomination_state",
        "is_published",
    ]
    list_filter = [
        "province",
        CampaignFilter,
        NominationStateFilter,
        "estate_type",
        PublicGapsFilter,
    ]
    list_select_related = ["province", "city"]
    list_per_page = 50
    search_fields = ["name"]  # widened to pinyin, initials, district, company below
    search_help_text = _("可按小区名称、拼音、拼音首字母、区县、街道或物业企业搜索")
    autocomplete_fields = ["city", "property_company"]
    readonly_fields = [
        "name_pinyin",
        "name_initials",
        "view_count",
        "created_at",
        "updated_at",
        "unknown_facts",
    ]
    fieldsets = [
        (
            _("一、基本情况：名称与位置"),
            {
                "fields": [
                    "name",
                    "confirm_not_duplicate",
                    "slug",
                    ("province", "city"),
                    ("district", "subdistrict", "community"),
                    "address",
                ]
            },
        ),
        (
            _("一、基本情况：规模与物业"),
            {
                "fields": [
                    "unknown_facts",
                    ("estate_type", "property_company"),
                    ("year_built", "construction_period"),
                    ("buildings", "building_note"),
                    ("units", "households", "residents"),
                    ("land_area", "land_area_in_mu"),
                    ("floor_area", "floor_area_is_approximate"),
                    ("plot_ratio", "green_coverage"),
                ]
            },
        ),
        (
            _("展示文字：标题语、概况及亮点"),
            {"fields": ["tagline", "overview", "highlights", "source_note"]},
        ),
        (
            _("英文（English）"),
            {
                "fields": ["name_en", "tagline_en", "summary_en"],
                "description": _(
                    "英文页面显示这些文字；留空的，英文页面显示中文，并标注“中文原文”。"
                    "治理机制的英文在各条治理机制下填写。"
                ),
            },
        ),
        (
            _("记录"),
            {
                "fields": [
                    "name_pinyin",
                    "name_initials",
                    "view_count",
                    "created_at",
                    "updated_at",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [
        MechanismInline,
        MetricInline,
        ActivityInline,
        KeyFigureInline,
        HonorInline,
        PhotoInline,
    ]

    @admin.display(description=_("来源未提供"))
    def unknown_facts(self, obj):
        """What the public profile leaves out, so that an editor knows what to ask for."""
        if obj is None or obj.pk is None:
            return "—"
        missing = obj.unknown_facts()
        return "、".join(missing) if missing else _("无，各项基本信息都已填写。")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_headline_metrics()
            .annotate(
                published=F("is_published"),
                # Only nominations this user may see count towards the column.
                latest_state=latest_nomination_state(
                    visible(models.Nomination.objects.all(), request.user)
                ),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        search_term = without_nul(search_term)
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def get_urls(self):
        return [
            path(
                "template/",
                self.admin_site.admin_view(self.template_view),
                name="estates_estate_template",
            ),
            *super().get_urls(),
        ]

    def template_view(self, request):
        """The blank spreadsheet provinces fill in, with an example and instructions."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            province_template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="meihao-jiayuan-template.xlsx"'
        return response

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        role = role_of(request.user)
        if role != Role.MINISTRY:
            fields.append("slug")  # made from the name; typing one could probe others' slugs
        if role == Role.PROVINCIAL and obj is not None:
            fields.append("province")  # estates never move to another province
        if role == Role.EDITOR:
            editable = EDITOR_TEXT_FIELDS
            fields += [
                f.name
                for f in models.Estate._meta.fields
                if f.editable and f.name not in editable and f.name not in fields
            ]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if role_of(request.user) == Role.EDITOR or not self.has_change_permission(request, obj):
            # Only people who can save need the duplicate confirmation box.
            fieldsets = [
                (
                    name,
                    {
                        **options,
                        "fields": [f for f in options["fields"] if f != "confirm_not_duplicate"],
                    },
                )
                for name, options in fieldsets
            ]
        return fieldsets

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and role_of(request.user) == Role.EDITOR:
            return obj in self.get_queryset(request)
        return allowed

    def save_model(self, request, obj, form, change):
        if role_of(request.user) == Role.PROVINCIAL:
            obj.province_id = province_id_of(request.user)
        super().save_model(request, obj, form, change)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.stored_slug = obj.slug  # before a submitted form writes what was typed into it
        return obj

    def view_on_site(self, obj):
        if not is_published_estate(obj):
            return None
        # The stored slug: a refused form is shown again with obj holding what was typed
        # (perhaps an empty slug, which has no address).
        slug = getattr(obj, "stored_slug", None)
        if slug is None:
            slug = models.Estate.objects.filter(pk=obj.pk).values_list("slug", flat=True).first()
        return reverse("showcase:estate_detail", kwargs={"slug": slug}) if slug else None

    @admin.display(description=_("满意度"), ordering="latest_satisfaction")
    def satisfaction(self, estate):
        return _percent(estate.latest_satisfaction)

    @admin.display(description=_("物业费收缴率"), ordering="latest_fee_collection")
    def fee_collection(self, estate):
        return _percent(estate.latest_fee_collection)

    @admin.display(description=_("推荐状态"), ordering="latest_state")
    def nomination_state(self, estate):
        return NominationState(estate.latest_state).label if estate.latest_state else "—"

    @admin.display(boolean=True, description=_("已公开"), ordering="published")
    def is_published(self, estate):
        return estate.published


def _percent(value):
    return percent_text(value)


class EstateDataAdmin(HeldRowsMixin, LineBreaksMixin, DomainAdmin):
    """The related rows have their own lists too, for history and revert of each row."""

    list_select_related = ["estate", "estate__province"]
    autocomplete_fields = ["estate"]
    search_fields = ["estate__name", "estate__name_pinyin"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if role_of(request.user) == Role.PROVINCIAL:
            # Nor is a row added to a public estate, or moved to one, here.
            form = type(form.__name__, (PublicEstateRowsMixin, form), {})
        return form


@admin.register(models.Mechanism)
class MechanismAdmin(SpreadsheetImportExportMixin, EstateDataAdmin):
    resource_classes = [MechanismResource]
    list_display = ["title", "estate", "mechanism_type"]
    list_filter = ["mechanism_type", "estate__province"]
    list_select_related = ["estate", "mechanism_type"]
    search_fields = ["title", "estate__name"]


@admin.register(models.Metric)
class MetricAdmin(SpreadsheetImportExportMixin, EstateDataAdmin):
    resource_classes = [MetricResource]
    list_display = ["estate", "metric_type", "value", "date", "period_label"]
    list_filter = ["metric_type", "estate__province"]
    list_select_related = ["estate", "metric_type"]


@admin.register(models.KeyFigure)
class KeyFigureAdmin(SpreadsheetImportExportMixin, EstateDataAdmin):
    resource_classes = [KeyFigureResource]
    list_display = ["label", "quantity", "unit", "estate", "year"]
    search_fields = ["label", "estate__name"]


@admin.register(models.Activity)
class ActivityAdmin(SpreadsheetImportExportMixin, EstateDataAdmin):
    resource_classes = [ActivityResource]
    list_display = ["title", "estate", "category", "date", "period_label"]
    list_filter = ["category", "estate__province"]
    search_fields = ["title", "estate__name"]


@admin.register(models.Honor)
class HonorAdmin(EstateDataAdmin):
    list_display = ["title", "estate", "level", "year", "issuer"]
    list_filter = ["level"]
    search_fields = ["title", "estate__name"]


@admin.register(models.Photo)
class PhotoAdmin(EstateDataAdmin):
    form = PhotoForm
    list_display = ["preview", "caption", "estate", "is_cover", "display_order"]
    search_fields = ["caption", "estate__name"]
    fields = ["estate", "image", "caption", "display_order", "is_cover"]

    @admin.display(description=_("预览"))
    def preview(self, photo):
        # The list's link to each photo: its caption stands in while the image loads.
        return format_html(
            '<img src="{}" alt="{}" class="photo-thumb">', photo.thumb_url, photo.caption
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.base_fields["image"].required = False
        return form
