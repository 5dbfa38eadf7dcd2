"""Choices that concern campaigns: criteria and required activities that name their campaign
(every campaign has its own (一), (二) …, so "（一）发挥党建引领作用" alone does not say which one
is meant), and the campaign of a new nomination, one taking nominations.

For the admin's foreign-key fields and list filters (estates/admin/base.py), so it imports no
other admin module."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import models
from ..enums import CampaignPhase


class CampaignPartChoiceField(forms.ModelChoiceField):
    """A choice of criteria or required activities of several campaigns: each campaign has
    its own (一), (二) …, so each choice names its campaign ("（一）… · 2021 全国")."""

    def label_from_instance(self, obj):
        return obj.choice_label()


CAMPAIGN_PARTS = (models.Criterion, models.ActivityRequirement)
WITH_CAMPAIGN = ("campaign__province", "campaign__city")


class NominatingCampaignField(forms.ModelChoiceField):
    """The campaign of a new nomination: only campaigns taking nominations (推荐申报) are
    offered, since a draft in any other phase can be neither submitted nor withdrawn. One of
    the other campaigns the user may see (a page left open while the phase moved on, or a
    forged post) is refused naming it and its phase; any other id as a choice that does not
    exist, so the answer tells nothing of campaigns the user may not see."""

    def __init__(self, queryset, **kwargs):
        self.visible_campaigns = queryset
        super().__init__(queryset.filter(phase=CampaignPhase.NOMINATING), **kwargs)
        self.help_text = _("只列出处于“推荐申报”阶段的评选活动：推荐只能在申报期内填写和提交。")
        # The one round taking nominations is the one meant: chosen already.
        open_rounds = list(self.queryset.values_list("pk", flat=True)[:2])
        if len(open_rounds) == 1:
            self.initial = open_rounds[0]

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as invalid:
            campaign = self._visible(value)
            if campaign is None:
                raise
            raise ValidationError(
                _(
                    "“%(campaign)s”现在处于“%(phase)s”阶段，不接受新的推荐。"
                    "请选择处于“推荐申报”阶段的评选活动。"
                ),
                code="campaign_not_nominating",
                params={"campaign": campaign, "phase": campaign.get_phase_display()},
            ) from invalid

    def _visible(self, value):
        text = str(value).strip()
        if not text.isdigit() or len(text) > 18:  # not an id the database could hold
            return None
        return self.visible_campaigns.filter(pk=int(text)).first()


NOMINATION_CAMPAIGN = models.Nomination._meta.get_field("campaign")


def campaign_part_field(db_field, kwargs):
    """The arguments of formfield_for_foreignkey() for a foreign key: for one to a criterion
    or a required activity, choices labelled by campaign (read in the same one query); for a
    nomination's campaign, the campaigns taking nominations."""
    if db_field is NOMINATION_CAMPAIGN:
        queryset = kwargs.get("queryset", models.Campaign.objects.all())
        return {**kwargs, "form_class": NominatingCampaignField, "queryset": queryset}
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
