"""List filters the admin index's work list links to (estates/worklist.py): the rows behind a
count come from the same queryset function as the count."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..worklist import missing_photos, missing_public_texts, selected_estates


class PublicGapsFilter(admin.SimpleListFilter):
    """Selected estates whose public page lacks its texts or its photos (the editor's list)."""

    title = _("入选小区的公开资料")
    parameter_name = "public_gaps"

    def lookups(self, request, model_admin):
        return [("texts", _("缺少概况或亮点")), ("photos", _("没有照片"))]

    def queryset(self, request, queryset):
        if self.value() == "texts":
            return queryset.filter(pk__in=missing_public_texts(selected_estates()).values("pk"))
        if self.value() == "photos":
            return queryset.filter(pk__in=missing_photos(selected_estates()).values("pk"))
        return queryset
