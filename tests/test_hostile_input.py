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
    "/sitemap-estates.xml",
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


PAYLOADS = [
    SCRIPT,
    BREAKER,
    "'; DROP TABLE estates_estate; --",
    "line\x0bbreak\x1fcontrol",
    "🏠" * 30,
    "長" * 5000,
]


def hostile_text(field, index):
    value = PAYLOADS[index % len(PAYLOADS)]
    return value[: field.max_length] if field.max_length else value


def fill_text_fields(obj, offset=0):
    """Put a hostile value in every free-text field of obj."""
    fields = [
        f
        for f in obj._meta.fields
        if f.get_internal_type() in {"CharField", "TextField"}
        and f.editable
        and not f.choices
        and f.name not in {"slug", "code", "credit_code"}
    ]
    for i, field in enumerate(fields):
        setattr(obj, field.name, hostile_text(field, i + offset))
    obj.save()
    return obj


@pytest.fixture
def everything_hostile():
    from estates.models import Activity, Estate, Honor, KeyFigure, Metric, PropertyCompany

    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    fill_text_fields(estate)
    for offset, related in enumerate(
        [
            *estate.mechanisms.all(),
            *Metric.objects.filter(estate=estate),
            *KeyFigure.objects.filter(estate=estate),
            *Activity.objects.filter(estate=estate),
            *Honor.objects.filter(estate=estate),
            *PropertyCompany.objects.all(),
            Campaign.objects.get(slug="shandong-2023"),
        ]
    ):
        fill_text_fields(related, offset)
    return estate


EVERY_PAGE = [
    "/",
    "/estates/",
    "/estates/aozhengchengyuannanqu/",
    "/en/estates/aozhengchengyuannanqu/",
    "/campaigns/",
    "/campaigns/shandong-2023/",
    "/campaigns/shandong-2023/shandong/",
    "/mechanisms/",
    "/mechanisms/dangjianyinling/",
    "/stats/",
    "/data/",
    "/feed/",
    "/sitemap.xml",
    "/sitemap-estates.xml",
    "/data/estates.json",
]


@pytest.mark.parametrize("url", EVERY_PAGE)
def test_hostile_values_in_every_text_field_are_escaped(client, everything_hostile, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.getvalue().decode()
    assert "<script>alert(1)" not in body
    assert "<img src=x onerror" not in body


def test_hostile_values_survive_csv_and_xlsx_as_text(client, everything_hostile):
    import csv
    import io

    from openpyxl import load_workbook

    rows = list(
        csv.DictReader(io.StringIO(client.get("/data/estates.csv").getvalue().decode("utf-8-sig")))
    )
    assert len(rows) == 5
    workbook = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").getvalue()))
    assert workbook["estates"].max_row == 6
