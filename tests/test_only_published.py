"""Nothing of an unpublished nomination appears on any page, feed, sitemap, count or file."""

import pytest

from estates.enums import CampaignPhase, NominationState
from estates.models import (
    Activity,
    Campaign,
    Honor,
    KeyFigure,
    Mechanism,
    MechanismType,
    Metric,
    MetricType,
    Objection,
)

from .builders import make_campaign, make_estate, nominate

pytestmark = pytest.mark.django_db

MARK = "隐秘小区"

PUBLIC_URLS = [
    "/",
    "/estates/",
    f"/estates/?q={MARK}",
    "/estates/?q=yinmi",
    "/estates/?province=beijing",
    "/estates/?mechanism=kaifangri",
    "/campaigns/",
    "/campaigns/quanguo-2021/",
    "/campaigns/quanguo-2021/beijing/",
    "/mechanisms/",
    "/mechanisms/kaifangri/",
    "/stats/",
    "/data/",
    "/data/estates.json",
    "/data/estates.csv",
    "/data/estates.xlsx",
    "/feed/",
    "/sitemap.xml",
    "/sitemap-estates.xml",
    "/sitemap-campaigns.xml",
    "/sitemap-provinces.xml",
]


def hidden_estate(n, state, campaign):
    estate = make_estate(name=f"{MARK}{n}", slug=f"yinmi{n}", households=99999, tagline="秘密标题")
    nomination = nominate(estate, campaign=campaign, state=state, province_sequence=9)
    Metric.objects.create(
        estate=estate, metric_type=MetricType.objects.get(code="satisfaction"), value=1
    )
    Mechanism.objects.create(
        estate=estate, mechanism_type=MechanismType.objects.get(slug="kaifangri"), title="秘密机制"
    )
    Activity.objects.create(estate=estate, title="秘密活动", category="other")
    KeyFigure.objects.create(estate=estate, label="秘密数字", quantity=7, unit="个")
    Honor.objects.create(estate=estate, title="秘密荣誉", level="district")
    Objection.objects.create(nomination=nomination, text="秘密异议", contact="13800000000")
    return estate


@pytest.fixture
def hidden():
    national = Campaign.objects.get(slug="quanguo-2021")
    estates = [
        hidden_estate(i, state, national)
        for i, state in enumerate(s for s in NominationState if s != NominationState.SELECTED)
    ]
    for i, phase in enumerate(
        (p for p in CampaignPhase if p not in {CampaignPhase.PUBLISHED, CampaignPhase.ARCHIVED}),
        start=20,
    ):
        estates.append(
            hidden_estate(i, NominationState.SELECTED, make_campaign(phase=phase, slug=f"c{i}"))
        )
    return estates


@pytest.mark.parametrize("language", ["", "/en"])
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_unpublished_estates_appear_nowhere(client, hidden, url, language):
    if language and url.startswith(("/data/estates", "/sitemap")):
        pytest.skip("no language variant")
    body = client.get(language + url).getvalue()
    # A search page repeats its own query in the search box and title; that is not a leak.
    secrets = [s for s in [MARK, "yinmi", "秘密", "99999", "13800000000"] if s not in url]
    for secret in secrets:
        assert secret.encode() not in body, (url, secret)
    if "q=" in url:
        assert b"estate-card" not in body


def test_unpublished_profiles_answer_404(client, hidden):
    for estate in hidden:
        assert client.get(estate.get_absolute_url()).status_code == 404
        assert client.get(f"/en{estate.get_absolute_url()}").status_code == 404


def test_counts_and_charts_ignore_unpublished_estates(client):
    before = client.get("/stats/").content
    home_before = client.get("/").content
    national = Campaign.objects.get(slug="quanguo-2021")
    hidden_estate(1, NominationState.SHORTLISTED, national)
    assert client.get("/stats/").content == before
    assert client.get("/").content == home_before
