"""Open data: published estates only, exact numbers, unknown as null or empty."""

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from estates.enums import NominationState
from estates.models import Campaign

from .builders import make_estate, nominate

pytestmark = pytest.mark.django_db


def test_json_lists_published_estates_with_the_designed_fields(client):
    response = client.get("/data/estates.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    records = json.loads(response.content)
    assert [r["name"] for r in records] == [
        "厂洼街7号院",
        "丽景长安",
        "双旗杆东里",
        "西长安壹号",
        "奥正诚园南区",
    ]
    assert records[4] == {
        "name": "奥正诚园南区",
        "slug": "aozhengchengyuannanqu",
        "url": "http://testserver/estates/aozhengchengyuannanqu/",
        "province": "山东省",
        "city": "临沂市",
        "district": "河东区",
        "year_built": None,
        "construction_period": None,
        "buildings": 53,
        "units": None,
        "households": 1250,
        "residents": None,
        "property_company": "正直物业",
        "tagline": "沂蒙红管家 服务三六五",
        "campaigns": ["shandong-2023"],
        "metrics": {
            "satisfaction": 96.55,
            "fee_collection": 98.63,
            "repair_rate": None,
            "complaint_rate": None,
            "rectification_rate": 99.18,
            "response_time": None,
        },
        "metric_dates": {
            "satisfaction": "2022-12-31",
            "fee_collection": "2021-12-31",
            "repair_rate": None,
            "complaint_rate": None,
            "rectification_rate": None,
            "response_time": None,
        },
    }
    assert records[2]["construction_period"] == "上世纪70年代"
    assert records[1]["metric_dates"]["fee_collection"] == "2021"
    lijing = records[1]["metrics"]
    assert (lijing["repair_rate"], lijing["complaint_rate"], lijing["fee_collection"]) == (
        1.17,
        0.76,
        100,
    )
    assert '"satisfaction": 96.55' in response.content.decode()


def test_csv_opens_in_excel_with_chinese_and_exact_numbers(client):
    response = client.get("/data/estates.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="meihao-jiayuan-estates-' in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 5
    aozheng = rows[4]
    assert aozheng["name"] == "奥正诚园南区"
    assert aozheng["households"] == "1250"
    assert aozheng["residents"] == ""
    assert aozheng["metric_satisfaction"] == "96.55"
    assert aozheng["metric_fee_collection"] == "98.63"
    assert aozheng["metric_fee_collection_as_of"] == "2021-12-31"
    assert rows[1]["metric_repair_rate"] == "1.17"
    assert rows[1]["campaigns"] == "quanguo-2021"


def test_xlsx_has_real_numbers_percentages_and_a_frozen_header(client):
    response = client.get("/data/estates.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["estates"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["name", "slug", "url"]
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    aozheng = rows["奥正诚园南区"]
    assert aozheng["households"] == 1250
    assert aozheng["residents"] is None
    assert Decimal(str(aozheng["metric_satisfaction"])) == Decimal("0.9655")
    satisfaction_col = header.index("metric_satisfaction") + 1
    cell = sheet.cell(row=6, column=satisfaction_col)
    assert cell.number_format == "0.00%"


def test_open_data_leaves_out_everything_unpublished(client):
    national = Campaign.objects.get(slug="quanguo-2021")
    for state in [s for s in NominationState if s != NominationState.SELECTED]:
        estate = make_estate(
            name=f"隐藏{state.value}", slug=f"hidden-{state.value.replace('_', '')}"
        )
        nominate(estate, campaign=national, state=state)
    for url in ["/data/estates.json", "/data/estates.csv", "/data/estates.xlsx"]:
        body = client.get(url).content
        assert "隐藏".encode() not in body
        assert b"hidden-" not in body


def test_text_that_looks_like_a_formula_is_defused_in_csv(client):
    estate = make_estate(name="公式小区", tagline='=HYPERLINK("http://evil.example","点我")')
    nominate(estate)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/data/estates.csv").content.decode("utf-8-sig")))
    )
    row = next(r for r in rows if r["name"] == "公式小区")
    assert row["tagline"] == '\'=HYPERLINK("http://evil.example","点我")'


def test_text_that_looks_like_a_formula_stays_text_in_xlsx(client):
    estate = make_estate(name="公式小区", tagline="=1+1")
    nominate(estate)
    workbook = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").content))
    sheet = workbook["estates"]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "公式小区")
    tagline = row[header.index("tagline")]
    assert tagline.value == "=1+1"
    assert tagline.data_type == "s"


def test_data_page_explains_every_field(client):
    body = client.get("/data/").content.decode()
    for key in ["name", "households", "campaigns", "metrics", "metric_satisfaction"]:
        assert f"<code>{key}</code>" in body


def test_json_escapes_markup_characters_yet_keeps_the_text(client):
    estate = make_estate(name="<b>A&B</b>小区")
    nominate(estate)
    response = client.get("/data/estates.json")
    assert b"<b>" not in response.content
    assert "<b>A&B</b>小区" in [r["name"] for r in json.loads(response.content)]
