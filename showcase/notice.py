"""The public notice (公示): shortlisted estates with their key facts, and the objection form.

Contact details given with an objection are kept for the ministry's staff and never shown.
Each sender may send a few objections an hour (counted in the database, so the limit holds
across app servers); a hidden field that people never fill catches simple bots.
"""

from datetime import timedelta

from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, Nomination, Objection

from .clients import client_hash
from .forms import ObjectionForm

OBJECTIONS_PER_HOUR = 3


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
