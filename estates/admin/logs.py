"""The campaign phase log's own list and pages, read only: the workflow writes it
(estates/workflow.py), people and phases in words (estates/admin/history.py)."""

from django.contrib import admin

from .. import models
from .base import ReadOnlyAdminMixin, ReferenceAdmin
from .history import PhaseLogColumns


@admin.register(models.CampaignPhaseChange)
class CampaignPhaseChangeAdmin(PhaseLogColumns, ReadOnlyAdminMixin, ReferenceAdmin):
    list_display = ["campaign", "change", "who", "override", "at"]
    list_filter = ["campaign", "overridden"]
    list_select_related = ["campaign__province", "actor"]
    ordering = ["-at", "-pk"]  # a log: the latest change first
    fields = ["campaign", "change", "who", "override", "reason_text", "at"]
    readonly_fields = fields
