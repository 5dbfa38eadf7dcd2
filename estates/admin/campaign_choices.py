"""Choices of criteria and required activities that name their campaign: every campaign has
its own (一), (二) …, so "（一）发挥党建引领作用" alone does not say which one is meant.

For the admin's foreign-key fields and list filters (estates/admin/base.py), so it imports no
other admin module."""

from django import forms

from .. import models


class CampaignPartChoiceField(forms.ModelChoiceField):
    """A choice of criteria or required activities of several campaigns: each campaign has
    its own (一), (二) …, so each choice names its campaign ("（一）… · 2021 全国")."""

    def label_from_instance(self, obj):
        return obj.choice_label()


CAMPAIGN_PARTS = (models.Criterion, models.ActivityRequirement)
WITH_CAMPAIGN = ("campaign__province", "campaign__city")


def campaign_part_field(db_field, kwargs):
    """The arguments of formfield_for_foreignkey() for a foreign key: for one to a criterion
    or a required activity, choices labelled by campaign (read in the same one query)."""
    if db_field.related_model not in CAMPAIGN_PARTS:
        return kwargs
    queryset = kwargs.get("queryset", db_field.related_model._default_manager.all())
    return {
        **kwargs,
        "form_class": CampaignPartChoiceField,
        "queryset": queryset.select_related(*WITH_CAMPAIGN),
    }


def campaign_part_choices(queryset):
    """(id, label) of criteria or required activities for a list filter, in one query."""
    if queryset.model not in CAMPAIGN_PARTS:
        return [(obj.pk, str(obj)) for obj in queryset]
    return [(obj.pk, obj.choice_label()) for obj in queryset.select_related(*WITH_CAMPAIGN)]
