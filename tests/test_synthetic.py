"""The synthetic data the benchmarks run on is realistic enough to mean something."""

import pytest
from django.core.management import call_command
from django.db import models

from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, Estate, Metric, Nomination
from showcase.notice import notice_is_open

pytestmark = pytest.mark.django_db


def test_generate_synthetic_makes_estates_with_profiles_and_nominations_in_every_state():
    before = Estate.objects.count()
    call_command("generate_synthetic", estates=400, seed=7, stdout=None, stderr=None)
    synthetic = Estate.objects.filter(slug__contains="-s")
    assert Estate.objects.count() - before == 400 == synthetic.count()
    assert Metric.objects.filter(estate__in=synthetic).count() == 400 * 6
    states = set(Nomination.objects.filter(estate__in=synthetic).values_list("state", flat=True))
    assert states == set(NominationState.values)
    published = Estate.objects.published().filter(pk__in=synthetic)
    assert 0 < published.count() < 400
    assert synthetic.values("province").distinct().count() > 10


def test_generate_synthetic_is_repeatable():
    call_command("generate_synthetic", estates=20, seed=3)
    synthetic = Estate.objects.filter(slug__contains="-s").order_by("pk")
    first = list(synthetic.values_list("name", "households", "city__slug"))
    Nomination.objects.filter(estate__in=synthetic).delete()
    synthetic.delete()
    call_command("generate_synthetic", estates=20, seed=3)
    second = list(synthetic.values_list("name", "households", "city__slug"))
    assert second == first


def test_synthetic_campaigns_are_shaped_like_real_rounds():
    call_command("generate_synthetic", estates=400, seed=7)
    national = Nomination.objects.filter(
        campaign__slug__startswith="synthetic-national-", state=NominationState.SELECTED
    )
    provincial = Nomination.objects.filter(
        campaign__slug__startswith="synthetic-", campaign__province__isnull=False
    )
    # Every synthetic estate is nominated once by its own province; a few go on to the
    # national round, and only estates their province selected.
    assert provincial.count() == 400
    assert not provincial.exclude(campaign__province=models.F("estate__province")).exists()
    assert national.count() < 20
    for nomination in national:
        assert nomination.estate.nominations.filter(
            state=NominationState.SELECTED, campaign__province=nomination.estate.province
        ).exists()
    # A round on notice is open today, with its days, as the admin would leave it: the
    # benchmark measures its page with the objection form.
    on_notice = Campaign.objects.filter(phase=CampaignPhase.NOTICE)
    assert on_notice.exists()
    for campaign in on_notice:
        campaign.full_clean()
        assert notice_is_open(campaign)
