"""The public notice (公示): shortlisted estates with their key facts, and the objection form.

Contact details given with an objection are kept for the ministry's staff and never shown.
Each sender may send a few objections an hour (counted in the database, so the limit holds
across app servers); a hidden field that people never fill catches simple bots.
"""

from datetime import timedelta

from django import forms
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, Nomination, Objection

from .clients import client_hash

OBJECTIONS_PER_HOUR = 3
TEXT_MAX = 2000


class ObjectionForm(forms.Form):
    nomination = forms.ModelChoiceField(
        label=_("对哪个小区提出异议"),
        queryset=Nomination.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("请从公示名单中选择小区。")},
    )
    text = forms.CharField(
        label=_("异议内容"),
        min_length=10,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": TEXT_MAX}),
        help_text=_("请写明具体事实和理由，10 到 2000 字。"),
        error_messages={
            "required": _("请填写异议内容。"),
            "min_length": _("异议内容至少写 %(limit_value)d 个字（现在 %(show_value)d 个）。"),
            "max_length": _(
                "异议内容最多 %(limit_value)d 个字（现在 %(show_value)d 个），请精简后再提交。"
            ),
        },
    )
    contact = forms.CharField(
        label=_("联系方式（选填）"),
        max_length=100,
        required=False,
        help_text=_("仅供核查人员联系您，不会公开。"),
        error_messages={"max_length": _("联系方式最多 %(limit_value)d 个字。")},
    )
    # People never see or fill this field; software that fills every field does.
    website = forms.CharField(required=False, label=_("网址"))

    def __init__(self, *args, nominations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nomination"].queryset = nominations
        self.fields["nomination"].label_from_instance = lambda n: (
            f"{n.estate.province.display_short_name()} · {n.estate.city.name} · {n.estate.name}"
        )

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("提交未成功，请刷新页面后重试。"))
        return ""


def too_many_recent(request):
    since = timezone.now() - timedelta(hours=1)
    sent = Objection.objects.filter(client_hash=client_hash(request), received_at__gte=since)
    return sent.count() >= OBJECTIONS_PER_HOUR


def take_objection(request, campaign, cleaned):
    """Store the objection and return its reference, or None over the client's hourly limit.

    Counted and stored under the campaign's row lock (on SQLite, the transaction's write lock),
    so objections sent in parallel from one client cannot pass the limit together."""
    with transaction.atomic():
        list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk"))
        if too_many_recent(request):
            return None
        return Objection.objects.create(
            nomination=cleaned["nomination"],
            text=cleaned["text"],
            contact=cleaned["contact"],
            client_hash=client_hash(request),
        ).reference


def notice_is_open(campaign, today=None):
    today = today or timezone.localdate()
    return (
        campaign.phase == CampaignPhase.NOTICE
        and campaign.notice_starts_on is not None
        and campaign.notice_ends_on is not None
        and campaign.notice_starts_on <= today <= campaign.notice_ends_on
    )


@require_http_methods(["GET", "HEAD", "POST"])
def campaign_notice(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug, phase=CampaignPhase.NOTICE)
    nominations = Nomination.objects.filter(
        campaign=campaign, state=NominationState.ON_NOTICE
    ).with_headline_metrics()
    is_open = notice_is_open(campaign)
    form = ObjectionForm(request.POST or None, nominations=nominations)
    reference, status = None, 200
    if request.method == "POST":
        if not is_open:
            status = 403
        elif not form.is_valid():
            status = 400
        else:
            reference = take_objection(request, campaign, form.cleaned_data)
            if reference is None:
                form.add_error(None, _("提交过于频繁：每小时最多提交 3 件异议，请稍后再试。"))
                status = 429
            else:
                form = ObjectionForm(nominations=nominations)
    return render(
        request,
        "showcase/notice.html",
        {
            "campaign": campaign,
            "nominations": nominations,
            "form": form,
            "is_open": is_open,
            "reference": reference,
        },
        status=status,
    )
