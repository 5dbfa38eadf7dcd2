"""The work filters the admin index links to: reviewers=short|enough, evidence=missing|complete
and returned=yes on the nomination list, handed_in=no|yes on the review list. Their names are a
contract with estates/worklist.py; each list keeps a fixed number of queries."""

import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, Review
from estates.workflow import assign_reviewer, submit_review, transition

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

S = NominationState
# Literals, not reverse(): resolving URLs while tests are collected imports the URL conf
# before the test settings apply (DEBUG would add the photo route to it).
NOMINATIONS = "/admin/estates/nomination/"
REVIEWS = "/admin/estates/review/"
_serial = itertools.count(1)


@pytest.fixture
def campaign():
    return campaign_like(
        "shandong-2023", CampaignPhase.REVIEWING, slug="filters-2026", reviewers_per_nomination=2
    )


def nomination(campaign, state, written=True):
    city = City.objects.get(slug="linyi")
    estate = make_estate(name=f"筛选小区{next(_serial)}", province=city.province, city=city)
    row = Nomination.objects.create(estate=estate, campaign=campaign, state=state)
    create_missing_evidence(row)
    if written:
        row.criterion_evidence.update(text="已落实。")
        row.activity_evidence.update(text="已开展。")
    return row


def client_of(role, province=None):
    client = Client()
    client.force_login(make_staff(role, province))
    return client


def shown(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.get("Location")
    return {row.pk for row in response.context["cl"].result_list}


def test_reviewers_short_and_enough(campaign):
    boss = make_staff("ministry")
    experts = [make_staff("reviewer", p) for p in ("hebei", "beijing")]
    none = nomination(campaign, S.SUBMITTED)
    one = nomination(campaign, S.UNDER_REVIEW)
    assign_reviewer(one, experts[0], boss)
    two = nomination(campaign, S.UNDER_REVIEW)
    for expert in experts:
        assign_reviewer(two, expert, boss)
    nomination(campaign, S.DRAFT)  # not the reviewers' business yet
    nomination(campaign, S.SHORTLISTED)  # past review
    ministry = client_of("ministry")
    in_campaign = {"campaign__id__exact": campaign.pk}
    assert shown(ministry, NOMINATIONS, reviewers="short", **in_campaign) == {none.pk, one.pk}
    assert shown(ministry, NOMINATIONS, reviewers="enough", **in_campaign) == {two.pk}
    html = parse(ministry.get(NOMINATIONS, in_campaign).content)
    counts = {
        tr.find("a").clean_text(): tr.find("td", class_="field-reviewers").clean_text()
        for tr in html.find("table", id="result_list").find("tbody").find_all("tr")
    }
    assert counts[one.estate.name] == "1/2"
    assert counts[two.estate.name] == "2/2"


def test_evidence_missing_and_complete(campaign):
    complete = nomination(campaign, S.DRAFT)
    missing = nomination(campaign, S.DRAFT, written=False)
    clerk = client_of("provincial", "shandong")
    in_campaign = {"campaign__id__exact": campaign.pk}
    assert shown(clerk, NOMINATIONS, evidence="missing", **in_campaign) == {missing.pk}
    assert shown(clerk, NOMINATIONS, evidence="complete", **in_campaign) == {complete.pk}


def test_returned_drafts(campaign):
    campaign.phase = CampaignPhase.NOMINATING
    campaign.save()
    boss = make_staff("ministry")
    returned = nomination(campaign, S.DRAFT)
    transition(returned, S.SUBMITTED, boss)
    transition(returned, S.DRAFT, boss, "请补充满意度调查的原始数据。")
    nomination(campaign, S.DRAFT)  # never handed in
    resubmitted = nomination(campaign, S.DRAFT)
    transition(resubmitted, S.SUBMITTED, boss)
    transition(resubmitted, S.DRAFT, boss, "请补充。")
    transition(resubmitted, S.SUBMITTED, boss)
    clerk = client_of("provincial", "shandong")
    assert shown(clerk, NOMINATIONS, returned="yes", campaign__id__exact=campaign.pk) == {
        returned.pk
    }
    html = parse(clerk.get(NOMINATIONS).content)
    assert "被退回修改" in html.find(id="changelist-filter").clean_text()


def test_the_reviewers_filter_is_the_ministrys(campaign):
    clerk = client_of("provincial", "shandong")
    response = clerk.get(NOMINATIONS, {"reviewers": "short"})
    assert response.status_code == 302  # a filter this list does not offer: a wrong filter
    assert response["Location"] == f"{NOMINATIONS}?e=1"


def test_reviews_handed_in_or_not():
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="filters-reviews")
    expert = make_staff("reviewer", "hebei")
    boss = make_staff("ministry")
    first, second = (nomination(campaign, S.UNDER_REVIEW) for _ in range(2))
    open_review = assign_reviewer(first, expert, boss)
    done = assign_reviewer(second, expert, boss)
    done.scores.update(score=80)
    submit_review(done, expert)
    own = Client()
    own.force_login(expert)
    for client in (client_of("ministry"), own):
        assert shown(client, REVIEWS, handed_in="no") == {open_review.pk}
        assert shown(client, REVIEWS, handed_in="yes") == {done.pk}
    assert shown(
        client_of("ministry"), REVIEWS, nomination__campaign__id__exact=campaign.pk
    ) == set(Review.objects.filter(nomination__campaign=campaign).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"reviewers": "short"},
        {"reviewers": "enough"},
        {"evidence": "missing"},
        {"evidence": "complete"},
        {"returned": "yes"},
    ],
)
def test_the_filtered_list_runs_the_same_queries_however_many_rows(campaign, params):
    ministry = client_of("ministry")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert ministry.get(NOMINATIONS, params).status_code == 200
        return len(queries)

    for state in (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW):
        nomination(campaign, state, written=False)
    few = count()
    for _ in range(10):
        for state in (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW):
            nomination(campaign, state, written=False)
    assert count() == few
