"""Forms of the campaign pages: a new round copied from an earlier one, and the confirmation
of a phase change."""

import json
import re

from django import forms
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _

from .. import models
from ..campaigns import YEARLY, for_year, next_round, year_parts
from ..enums import CampaignPhase
from .base import constraint_limits


def limited_formfield(db_field, **kwargs):
    """The model field's form field with the bounds of its check constraints, as the admin's
    own forms have them (FormFieldsMixin): a future year is refused next to the year."""
    return db_field.formfield(**{**constraint_limits(db_field), **kwargs})


def four_digits(value):
    """A year as sent by a form ("2027"), or None for anything else."""
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{4}", value) else None


class CampaignCopyForm(forms.ModelForm):
    """The year, title and web address of the new round; the instance (campaigns.next_round)
    carries everything else and is validated whole, as the campaign's own form would.

    The title and address proposed for one year follow the year when it is changed, as long as
    they are what was proposed (never what the clerk typed): the page's script does it as the
    year is typed, and the form again for a page sent without it. `proposed_for` is the year
    the title and address on the page were proposed for."""

    FOLLOWING = ("title", "slug")  # typed on the page, following the year until edited
    proposed_for = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = models.Campaign
        fields = ["year", "title", "slug"]
        formfield_callback = limited_formfield
        widgets = {
            "title": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "slug": forms.TextInput(attrs={"class": "vTextField"}),
        }

    def __init__(self, data=None, *, source, **kwargs):
        self.source = source
        instance = next_round(source)
        if data is not None:
            data = self._follow_year(data, default=instance.year)
        super().__init__(data, instance=instance, initial={"proposed_for": instance.year}, **kwargs)
        for name in self.FOLLOWING:
            parts = json.dumps(year_parts(source, name), ensure_ascii=False)
            self.fields[name].widget.attrs["data-year-parts"] = parts
        self.fields["year"].help_text = _(
            "改动年度时，没有改过的名称和网址标识随之改为新的年度。最晚可以填明年。"
        )

    def _follow_year(self, data, default):
        year = four_digits(data.get("year"))
        proposed = four_digits(data.get("proposed_for")) or default
        if year is None or year == proposed:
            return data
        data = data.copy()
        for name in self.FOLLOWING:
            if data.get(name, "") == for_year(self.source, name, proposed):
                data[name] = for_year(self.source, name, year)
        data["proposed_for"] = str(year)
        return data

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
        if year:
            # What the page does not show (English title, description) follows the year too.
            for name in set(YEARLY) - set(self.FOLLOWING):
                setattr(self.instance, name, for_year(self.source, name, year))
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
