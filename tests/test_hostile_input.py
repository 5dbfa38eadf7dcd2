"""Text a person typed is shown escaped everywhere: pages, feed, sitemap."""

import pytest

from estates.models import Campaign, Mechanism, MechanismType

from .builders import make_estate, nominate

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BREAKER = '"><img src=x onerror=alert(1)>'
LONG = "很长的名称" * 20  # 100 characters, the field's limit
EMOJI = "🏠幸福家园👍"


@pytest.fixture
def hostile(client):
    estate = make_estate(
        name=f"{SCRIPT}{EMOJI}",
        tagline=BREAKER,
        overview=f"{SCRIPT}\n{BREAKER}",
        highlights=LONG,
        district=BREAKER[:50],
    )
    nominate(estate, campaign=Campaign.objects.get(slug="quanguo-2021"), province_sequence=5)
    Mechanism.objects.create(
        estate=estate,
        mechanism_type=MechanismType.objects.get(slug="kaifangri"),
        title=SCRIPT,
        description=BREAKER,
    )
    long_estate = make_estate(name=LONG, tagline=LONG)
    nominate(long_estate, campaign=Campaign.objects.get(slug="quanguo-2021"))
    return estate


URLS = [
    "/",
    "/estates/",
    "/estates/?q=%3Cscript%3E",
    "/campaigns/quanguo-2021/",
    "/campaigns/quanguo-2021/beijing/",
    "/mechanisms/kaifangri/",
    "/stats/",
    "/feed/",
    "/sitemap.xml",
]


@pytest.mark.parametrize("url", URLS)
def test_hostile_text_is_escaped(client, hostile, url):
    body = client.get(url).content.decode()
    assert "<script>alert(1)" not in body
    assert "<img src=x onerror" not in body


def test_hostile_profile_is_escaped_and_complete(client, hostile):
    body = client.get(hostile.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body
    assert "<img src=x onerror" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;🏠幸福家园👍" in body
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body


def test_search_for_hostile_text_is_escaped_in_the_form(client, hostile):
    body = client.get("/estates/", {"q": BREAKER}).content.decode()
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in body


def test_very_long_name_does_not_break_the_list(client, hostile):
    assert client.get("/estates/").content.decode().count(LONG) >= 1
