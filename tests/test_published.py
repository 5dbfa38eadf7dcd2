"""Only an estate selected in a campaign whose results are published is public."""

import pytest
from django.urls import reverse

from estates.enums import CampaignPhase, NominationState
from estates.models import Estate

from .builders import make_campaign, make_estate, nominate
from .html import parse

pytestmark = pytest.mark.django_db

NOT_SELECTED_STATES = [state for state in NominationState if state != NominationState.SELECTED]
UNPUBLISHED_PHASES = [
    phase
    for phase in CampaignPhase
    if phase not in {CampaignPhase.PUBLISHED, CampaignPhase.ARCHIVED}
]


def listed_names(client):
    page = parse(client.get(reverse("showcase:estate_list")).content)
    return [h.clean_text() for h in page.find("ul", class_="estate-cards").find_all("h3")]


def assert_hidden(client, estate):
    assert estate not in Estate.objects.published()
    assert estate.name not in listed_names(client)
    assert client.get(estate.get_absolute_url()).status_code == 404
    assert estate.name not in client.get(reverse("showcase:home")).content.decode()


@pytest.mark.parametrize("state", NOT_SELECTED_STATES)
def test_estate_without_selection_is_hidden(client, state):
    estate = make_estate(name="未入选小区")
    nominate(estate, state=state)
    assert_hidden(client, estate)


@pytest.mark.parametrize("phase", UNPUBLISHED_PHASES)
def test_selection_before_results_are_published_is_hidden(client, phase):
    estate = make_estate(name="尚未发布小区")
    nominate(estate, campaign=make_campaign(phase=phase))
    assert_hidden(client, estate)


def test_estate_with_no_nomination_is_hidden(client):
    assert_hidden(client, make_estate(name="无推荐小区"))


@pytest.mark.parametrize("phase", [CampaignPhase.PUBLISHED, CampaignPhase.ARCHIVED])
def test_selected_in_published_campaign_is_public(client, phase):
    estate = make_estate(name="入选小区")
    nominate(estate, campaign=make_campaign(phase=phase))
    assert list(Estate.objects.published().filter(pk=estate.pk)) == [estate]
    assert "入选小区" in listed_names(client)
    assert client.get(estate.get_absolute_url()).status_code == 200


def test_estate_selected_twice_is_listed_once(client):
    estate = Estate.objects.get(slug="lijingchangan")
    nominate(estate, campaign=make_campaign())
    nominate(estate, campaign=make_campaign(), state=NominationState.DRAFT)
    assert Estate.objects.published().filter(pk=estate.pk).count() == 1
    assert listed_names(client).count("丽景长安") == 1


def test_revoked_selection_leaves_the_public_site(client):
    estate = Estate.objects.get(slug="xichanganyihao")
    estate.nominations.update(state=NominationState.REVOKED)
    assert_hidden(client, estate)


def test_profile_names_only_the_published_campaigns(client):
    estate = Estate.objects.get(slug="lijingchangan")
    nominate(estate, campaign=make_campaign(title="尚在评审的活动", phase=CampaignPhase.REVIEWING))
    content = client.get(estate.get_absolute_url()).content.decode()
    assert "尚在评审的活动" not in content
