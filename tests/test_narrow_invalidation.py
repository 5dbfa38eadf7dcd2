"""Cached public pages survive the writes the public cannot see (issue 23): a province saving
drafts all day leaves every cached page in place; an edit of one published estate renders
its own page and the pages that list or count estates afresh, not the other estates' pages;
a change every page shows (a campaign) renders everything afresh. The footer's date is filled
in on every page as it is served, so a page kept from before never shows an old one."""

import pytest
from django.urls import reverse

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, CriterionEvidence, Estate, Metric, Nomination
from showcase.cache import database_version, forget_version
from showcase.footer import MARK

from .builders import campaign_like, make_estate, nominate

pytestmark = pytest.mark.django_db

A, B = "lijingchangan", "shuangqigandongli"


def profile(slug):
    return reverse("showcase:estate_detail", args=[slug])


PAGES = {
    "home": lambda: reverse("showcase:home"),
    "list": lambda: reverse("showcase:estate_list"),
    "campaigns": lambda: reverse("showcase:campaign_list"),
    "stats": lambda: reverse("showcase:stats"),
    "profile A": lambda: profile(A),
    "profile B": lambda: profile(B),
}


def served(client):
    """{page: "hit" or "miss"} for one request of each page, after the change is visible."""
    forget_version()  # as every server does within a second
    answers = {}
    for name, url in PAGES.items():
        response = client.get(url())
        assert response.status_code == 200, name
        answers[name] = response["X-Page-Cache"]
    return answers


def warm(client):
    served(client)
    assert set(served(client).values()) == {"hit"}


def test_a_province_saving_drafts_changes_no_public_page(client):
    # The ministry opens a round (not public yet either).
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="sd-2025", year=2025)
    warm(client)
    before = database_version()
    # A draft nomination of a new estate, its evidence typed box by box, the estate edited.
    estate = make_estate(name="草稿小区")
    nomination = nominate(estate, campaign, state=NominationState.DRAFT)
    create_missing_evidence(nomination)
    for evidence in CriterionEvidence.objects.filter(nomination=nomination):
        evidence.text = "省里正在填写的材料。"
        evidence.save()
    estate.households = 321
    estate.save()
    Metric.objects.create(estate=estate, metric_type_id=1, value=95, date="2025-06-30")
    # A published estate's nomination in a round that is not public yet.
    Nomination.objects.create(
        campaign=campaign, estate=Estate.objects.get(slug=A), state=NominationState.DRAFT
    )
    assert database_version() == before
    assert set(served(client).values()) == {"hit"}


def test_an_edit_of_one_published_estate_renders_its_page_and_the_lists_not_the_others(client):
    warm(client)
    estate = Estate.objects.get(slug=A)
    estate.tagline = "一个新的标题语"
    estate.save()
    answers = served(client)
    assert answers["profile A"] == "miss"
    assert answers["profile B"] == "hit"
    assert answers["home"] == answers["list"] == answers["stats"] == "miss"
    assert "一个新的标题语" in client.get(profile(A)).content.decode()


def test_a_row_of_a_published_estate_counts_as_its_edit(client):
    warm(client)
    estate = Estate.objects.get(slug=A)
    honor = estate.honors.first()
    honor.title += "（复核）"
    honor.save()
    answers = served(client)
    assert (answers["profile A"], answers["profile B"]) == ("miss", "hit")


def test_a_round_the_public_does_not_see_yet_changes_no_page(client):
    campaign = campaign_like("shandong-2023", CampaignPhase.DRAFT, slug="sd-2026", year=2026)
    warm(client)
    before = database_version()
    campaign.phase = CampaignPhase.NOMINATING
    campaign.save()
    criterion = campaign.criteria.first()
    criterion.title += "（修订）"
    criterion.save()
    assert database_version() == before


def test_a_campaign_change_renders_every_page(client):
    warm(client)
    campaign = Campaign.objects.get(slug="quanguo-2021")
    campaign.title = campaign.title + " "
    campaign.save()
    assert set(served(client).values()) == {"miss"}


def test_a_revoked_estate_leaves_the_site_at_once(client):
    warm(client)
    nomination = Nomination.objects.get(estate__slug=A, state=NominationState.SELECTED)
    nomination.state = NominationState.REVOKED
    nomination.save()
    forget_version()
    assert client.get(profile(A)).status_code == 404
    assert A not in client.get(reverse("showcase:estate_list")).content.decode()


def test_a_renamed_address_takes_its_cached_page_with_it(client):
    warm(client)
    estate = Estate.objects.get(slug=A)
    estate.slug = "lijing-changan"
    estate.save()
    forget_version()
    assert client.get(profile(A)).status_code == 404


def test_every_served_page_has_the_footer_date_filled_in(client):
    warm(client)
    for name, url in PAGES.items():
        page = client.get(url()).content.decode()
        assert MARK not in page, name
        footer = page[page.index("更新日期") :]
        assert "<time datetime=" in footer[:200], name
