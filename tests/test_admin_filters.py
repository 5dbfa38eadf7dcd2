"""A list filter with an id no column can hold is a wrong filter, answered as Django answers
any wrong filter (the list again, flagged), never a server error on either database."""

import pytest
from django.contrib import admin
from django.urls import reverse

from .builders import make_staff

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # above 2⁶³
PARAMS = ["campaign", "estate", "metric_type", "city", "property_company", "province"]


def filterable():
    for model in admin.site._registry:
        if model._meta.app_label != "estates":
            continue
        names = {f.name for f in model._meta.get_fields()}
        for param in PARAMS:
            if param in names:
                yield model, param


@pytest.mark.parametrize(
    ("model", "param"), list(filterable()), ids=lambda v: getattr(v, "__name__", v)
)
@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}", f"1,{HUGE}"])
def test_list_filter_with_an_id_too_large_is_a_wrong_filter(client, model, param, value):
    client.force_login(make_staff("ministry"))
    url = reverse(f"admin:estates_{model._meta.model_name}_changelist")
    lookup = f"{param}__id__in" if "," in value else param
    response = client.get(url, {lookup: value})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"


def test_list_filter_with_a_real_id_still_filters(client):
    from estates.models import Campaign, Nomination

    client.force_login(make_staff("ministry"))
    campaign = Campaign.objects.get(slug="shandong-2023")
    url = reverse("admin:estates_nomination_changelist")
    response = client.get(url, {"campaign__id__exact": campaign.pk})
    assert response.status_code == 200
    shown = {n.pk for n in response.context["cl"].result_list}
    assert shown == set(Nomination.objects.filter(campaign=campaign).values_list("pk", flat=True))
