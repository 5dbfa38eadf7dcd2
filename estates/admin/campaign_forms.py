"""Forms of the campaign pages: a new round copied from an earlier one, the confirmation of a
phase change, and choices of criteria and required activities that name their campaign."""

from django import forms
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _

from .. import models
from ..enums import CampaignPhase
from .base import constraint_limits


def limited_formfield(db_field, **kwargs):
    """The model field's form field with the bounds of its check constraints, as the admin's
    own forms have them (FormFieldsMixin): a future year is refused next to the year."""
    return db_field.formfield(**{**constraint_limits(db_field), **kwargs})


class CampaignCopyForm(forms.ModelForm):
    """The year, title and web address of the new round; the instance (campaigns.next_round)
    carries everything else and is validated whole, as the campaign's own form would."""

    class Meta:
        model = models.Campaign
        fields = ["year", "title", "slug"]
        formfield_callback = limited_formfield
        widgets = {
            "title": forms.TextInput(attrs={"class": "vTextField"}),
            "slug": forms.TextInput(attrs={"class": "vTextField"}),
        }

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        holder = models.Campaign.objects.filter(slug=slug).first()
        if holder is not None:
            raise forms.ValidationError(
                _("网址标识“%(slug)s”已被评选活动“%(campaign)s”使用，请换一个。"),
                code="unique",
                params={"slug": slug, "campaign": holder},
            )
        return slug

    def clean(self):
        cleaned = super().clean()
        year, title = cleaned.get("year"), cleaned.get("title")
        same = models.Campaign.objects.filter(year=year, title=title).first()
        if year and title and same is not None:
            self.add_error(
                "title",
                forms.ValidationError(
                    _("%(year)s 年已有名为“%(title)s”的评选活动（%(slug)s），请换一个名称或年度。"),
                    code="duplicate_title",
                    params={"year": year, "title": title, "slug": same.slug},
                ),
            )
        return cleaned


class PhaseChangeForm(forms.Form):
    """What the confirmation of a phase change sends: the phase it was shown for (so a second
    click or a colleague's change in between does nothing), a reason for the log, and for an
    early publication the explicit override."""

    from_phase = forms.ChoiceField(
        choices=CampaignPhase.choices, widget=forms.HiddenInput, required=False
    )
    override = forms.BooleanField(label=_("在公示期结束前发布"), required=False)
    reason = forms.CharField(
        label=_("说明（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("记入阶段变更记录。"),
    )

    def __init__(self, *args, early=False, **kwargs):
        super().__init__(*args, **kwargs)
        if early:
            # Required only with the override, which the workflow checks (and says so here).
            self.fields["reason"].label = _("理由")
            self.fields["reason"].help_text = _(
                "在公示期结束前发布时必须填写，与“越过规则”一起记入阶段变更记录。"
            )
        else:
            del self.fields["override"]

    def clean_reason(self):
        # Browsers send a textarea's line breaks as \r\n; the log keeps them as typed: \n.
        return normalize_newlines(self.cleaned_data["reason"])

    # The workflow's refusals (ValidationError codes) that concern one field of this form.
    FIELD_OF_CODE = {
        "reason_required": "reason",
        "reason_nul": "reason",
        "notice_not_over": "override",
    }

    def refuse(self, error):
        """Show a refusal of the workflow next to the field it concerns (or above the form)."""
        field = self.FIELD_OF_CODE.get(error.code)
        self.add_error(field if field in self.fields else None, error)


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
