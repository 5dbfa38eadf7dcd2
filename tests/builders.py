"""Small builders for test data; each returns a saved object with sensible defaults."""

import itertools

from django.utils import timezone

from estates.enums import CampaignLevel, CampaignPhase, NominationState
from estates.models import Campaign, City, Estate, Nomination, Province

_counter = itertools.count(1)


def beijing():
    return Province.objects.get(code="110000")


def beijing_city():
    return City.objects.get(province__code="110000", slug="beijing")


def make_estate(**fields):
    n = next(_counter)
    fields.setdefault("name", f"测试小区{n}")
    fields.setdefault("province", beijing())
    fields.setdefault("city", beijing_city())
    return Estate.objects.create(**fields)


def make_campaign(phase=CampaignPhase.PUBLISHED, **fields):
    n = next(_counter)
    fields.setdefault("title", f"测试评选活动{n}")
    fields.setdefault("slug", f"test-campaign-{n}")
    fields.setdefault("year", 2024)
    fields.setdefault("level", CampaignLevel.NATIONAL)
    if phase in {CampaignPhase.PUBLISHED, CampaignPhase.ARCHIVED}:
        fields.setdefault("results_published_at", timezone.now())
    return Campaign.objects.create(phase=phase, **fields)


def nominate(estate, campaign=None, state=NominationState.SELECTED, **fields):
    campaign = campaign or make_campaign()
    return Nomination.objects.create(estate=estate, campaign=campaign, state=state, **fields)
