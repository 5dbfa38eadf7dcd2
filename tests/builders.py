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


def make_staff(role, province_slug=None, username=None):
    """A staff user with a role (and province), as `manage.py create_staff_user` makes one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from estates.models import StaffProfile
    from estates.roles import GROUP_NAMES, Role, sync_role_groups

    role = Role(role)
    if not Group.objects.filter(name=GROUP_NAMES[role]).exists():
        # A transactional test before this one emptied the tables, groups included.
        sync_role_groups()
    user = get_user_model().objects.create_user(
        username or f"{role.value}-{province_slug or 'all'}-{next(_counter)}",
        password="unused-in-tests",
        is_staff=True,
    )
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    province = Province.objects.get(slug=province_slug) if province_slug else None
    StaffProfile.objects.create(user=user, province=province)
    return user


def campaign_like(source_slug, phase, **fields):
    """A new campaign with the criteria and required activities of a seed campaign."""
    from estates.models import ActivityRequirement, Criterion

    source = Campaign.objects.get(slug=source_slug)
    fields.setdefault("level", source.level)
    fields.setdefault("province", source.province)
    campaign = make_campaign(phase=phase, **fields)
    Criterion.objects.bulk_create(
        Criterion(campaign=campaign, number=c.number, title=c.title, weight=c.weight)
        for c in source.criteria.all()
    )
    ActivityRequirement.objects.bulk_create(
        ActivityRequirement(campaign=campaign, number=r.number, title=r.title)
        for r in source.activity_requirements.all()
    )
    return campaign
