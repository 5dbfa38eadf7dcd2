"""The public notice (公示): shortlisted estates with their key facts, and the objection form;
and the page where a sender looks an objection up by its reference.

Contact details given with an objection are kept for the ministry's staff and never shown.
Each sender may send a few objections an hour (counted in the database, so the limit holds
across app servers); a hidden field that people never fill catches simple bots.

The lookup page answers with the objection's state and, once handled, the response the ministry
chose to publish (Objection.public_response), nothing else: not the text, the contact, nor the
estate (the sender knows which estate they wrote about, and an estate that is not selected
leaves every public page after the notice, this one included). References are asked for by
POST, so that none lands in a log, a Referer or the browser's history, and the answers are
never cached. A reference not found counts against the client's hourly limit, one of another
campaign the same as one that does not exist, so that nobody can try references in bulk.
"""

import unicodedata
from datetime import timedelta
from types import SimpleNamespace

from django import forms
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from estates.enums import RESULTS_PUBLIC_PHASES, CampaignPhase, NominationState, ObjectionState
from estates.models import Campaign, Nomination, Objection, Province
from estates.notifications import receive_objection

from .clients import client_hash
from .forms import ObjectionForm, PlainSelect
from .models import ObjectionLookupMiss

OBJECTIONS_PER_HOUR = 3
# The notice's table a page at a time: a provincial round puts hundreds of estates on notice.
NOTICE_ROWS_PER_PAGE = 50
# References not found that one client may look up in an hour; a found one does not count.
LOOKUP_MISSES_PER_HOUR = 10
# Campaigns whose objections may be looked up: those that have had their notice.
LOOKUP_PHASES = frozenset({CampaignPhase.NOTICE, *RESULTS_PUBLIC_PHASES})


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
        return receive_objection(
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


def open_notices(today=None):
    """The campaigns whose notice takes objections today, by the rule of notice_is_open(): a
    campaign left in the notice phase after its last day is no longer on notice."""
    today = today or timezone.localdate()
    return Campaign.objects.filter(
        phase=CampaignPhase.NOTICE, notice_starts_on__lte=today, notice_ends_on__gte=today
    )


def objection_form(data, on_notice, choices=None, initial=None):
    """The objection form. Its select lists every estate on notice in the notice's order, as
    ObjectionForm labels them ("山东 · 临沂市 · 名称"), from one query of the labels' values
    alone (a notice lists hundreds: as models, a third of the page's time), its options
    written in Python (PlainSelect: Django's select renders a template per option). It opens
    on "请选择小区", not on the first estate, unless `initial` names one (a row's link).
    `choices`: those of an earlier form of the same request."""
    form = ObjectionForm(data, nominations=on_notice, initial=initial)
    field = form.fields["nomination"]
    if choices is None:
        provinces = {}
        choices = [("", _("请选择小区"))]
        for pk, name, city, short_name, name_en in on_notice.values_list(
            "pk",
            "estate__name",
            "estate__city__name",
            "estate__province__short_name",
            "estate__province__name_en",
        ):
            # What the label reads of the nomination: its estate's name, city and province.
            province = provinces.get(short_name)
            if province is None:
                province = provinces[short_name] = Province(short_name=short_name, name_en=name_en)
            estate = SimpleNamespace(name=name, city=SimpleNamespace(name=city), province=province)
            choices.append((pk, field.label_from_instance(SimpleNamespace(estate=estate))))
    field.widget = PlainSelect(attrs=field.widget.attrs, choices=choices)
    field.widget.is_required = field.required
    return form


@require_http_methods(["GET", "HEAD", "POST"])
def campaign_notice(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug, phase=CampaignPhase.NOTICE)
    on_notice = Nomination.objects.filter(campaign=campaign, state=NominationState.ON_NOTICE)
    rows = on_notice.with_headline_metrics()
    # In the notice's order, the key last: one order however many rows tie.
    order = [*rows.query.order_by, "pk"]
    on_notice = on_notice.order_by(*order)
    # The table a page at a time, with the estates' facts; the form lists every estate.
    page = Paginator(rows.order_by(*order), NOTICE_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    is_open = notice_is_open(campaign)
    # Objections are taken only while the notice is open; the form shows only then.
    # A row's "对此提出异议" link names its nomination: the form opens with it chosen.
    chosen = request.GET.get("nomination", "")
    initial = {"nomination": chosen} if chosen.isdigit() else None
    form = objection_form(request.POST or None, on_notice, initial=initial) if is_open else None
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
                choices = form.fields["nomination"].widget.choices
                form = objection_form(None, on_notice, choices)
    lookup_url = reverse("showcase:objection_lookup", args=[campaign.slug])
    return render(
        request,
        "showcase/notice.html",
        {
            "campaign": campaign,
            "page": page,
            "form": form,
            "is_open": is_open,
            "reference": reference,
            "lookup_url": lookup_url,
            "lookup_address": request.build_absolute_uri(lookup_url),
        },
        status=status,
    )


def normalise_reference(text):
    """The reference as stored ("YY-7K3F-9Q2M-HX4D", or an old one "YY-7K3F9Q2M"), from what
    was typed: full-width characters, lower case, spaces and dashes anywhere, the YY left out;
    None when it cannot be one."""
    typed = unicodedata.normalize("NFKC", text).upper()
    code = "".join(c for c in typed if c.isascii() and c.isalnum())
    if len(code) in (10, 14) and code.startswith("YY"):
        code = code[2:]
    if len(code) == 12:
        return f"YY-{code[:4]}-{code[4:8]}-{code[8:]}"
    if len(code) == 8:
        return f"YY-{code}"
    return None


class LookupForm(forms.Form):
    reference = forms.CharField(
        label=_("受理编号"),
        max_length=60,
        help_text=_(
            "提交异议后页面上显示的编号，如 YY-7K3F-9Q2M-HX4D；大小写、空格和短横线不影响查询。"
        ),
        error_messages={
            "required": _("请填写受理编号。"),
            "max_length": _("受理编号没有这么长，请核对后重新输入。"),
        },
        # Kept out of the browser's remembered entries: the reference is the sender's key.
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


def find_objection(request, campaign, typed):
    """(objection or None, within the limit). The attempt is stored (and committed) before the
    client's misses are counted, its own included, and removed again if the reference is found
    or the client is over the limit: what remains are the misses. As with the sign-in limit
    (showcase/login_throttle.py), look-ups sent in parallel cannot pass the limit together."""
    since = timezone.now() - timedelta(hours=1)
    ObjectionLookupMiss.objects.filter(at__lt=since).delete()
    client = client_hash(request)
    attempt = ObjectionLookupMiss.objects.create(client=client)
    misses = ObjectionLookupMiss.objects.filter(client=client, at__gte=since).count()
    if misses > LOOKUP_MISSES_PER_HOUR:
        attempt.delete()
        return None, False
    reference = normalise_reference(typed)
    objection = None
    if reference is not None:
        objection = (
            Objection.objects.filter(reference=reference, nomination__campaign=campaign)
            .only("reference", "state", "public_response")
            .first()
        )
    if objection is not None:
        attempt.delete()
    return objection, True


HANDLED_STATES = frozenset({ObjectionState.UPHELD, ObjectionState.DISMISSED})


def objection_answer(objection):
    """What the sender reads: the reference, the state in plain words, and once handled the
    public response (empty when the ministry wrote none)."""
    handled = objection.state in HANDLED_STATES
    if handled:
        state, explanation = _("已处理"), ""
    elif objection.state == ObjectionState.CHECKING:
        state, explanation = _("核查中"), _("核查人员正在核实您反映的情况。")
    else:
        state, explanation = _("已收到"), _("评选办公室已收到这件异议，将安排核查。")
    return {
        "reference": objection.reference,
        "state": state,
        "explanation": explanation,
        "handled": handled,
        "response": objection.public_response.strip() if handled else "",
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def objection_lookup(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug, phase__in=LOOKUP_PHASES)
    form = LookupForm(request.POST if request.method == "POST" else None)
    answer, status = None, 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            objection, allowed = find_objection(request, campaign, form.cleaned_data["reference"])
            if not allowed:
                form.add_error(
                    None,
                    _("查询过于频繁：每小时最多输错 %(limit)s 次受理编号，请稍后再试。")
                    % {"limit": LOOKUP_MISSES_PER_HOUR},
                )
                status = 429
            elif objection is None:
                form.add_error(
                    "reference",
                    _(
                        "没有找到这个受理编号。请核对后重新输入：只能查询在本次评选公示中提交的异议。"
                    ),
                )
                status = 404
            else:
                answer = objection_answer(objection)
                form = LookupForm()
    response = render(
        request,
        "showcase/objection_lookup.html",
        {"campaign": campaign, "form": form, "answer": answer},
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response
