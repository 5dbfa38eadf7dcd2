"""Open data: published estates only, exact numbers, unknown as null or empty."""

import csv
import gzip
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from estates.enums import CampaignPhase, DatePrecision, NominationState
from estates.models import Campaign, Estate, Honor, Mechanism, Metric, MetricType, Nomination

from .builders import make_estate, nominate
from .html import parse

pytestmark = pytest.mark.django_db


def test_json_lists_published_estates_with_the_designed_fields(client):
    response = client.get("/data/estates.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.getvalue()
    records = json.loads(body)
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
        "subdistrict": "九曲街道",
        "community": "奥正社区",
        "address": None,
        "estate_type": "commercial",
        "land_area": 199333.33,
        "land_area_mu": 299,
        "floor_area": 340000,
        "floor_area_is_approximate": True,
        "plot_ratio": 1.16,
        "green_coverage": 39,
        "mechanism_types": [
            "dangjianyinling",
            "yezhuweiyuanhui",
            "duofangyishixieshang",
            "bumenliandong",
            "wanggehuaguanli",
            "xinxigongkai",
            "kuaisuxiangying",
            "pinzhiguanli",
            "zhihuianfang",
            "lajifenlei",
            "yingjiyuan",
        ],
        "mechanisms": records[4]["mechanisms"],  # checked below
        # Selected only in the seed's Shandong round, which is marked 示例数据.
        "illustrative": True,
        "name_en": "Aozheng Chengyuan South",
        "tagline_en": "Yimeng Red Stewards, at your service 365 days a year",
        "honors": [
            {
                "title": "“质量标杆”项目",
                "level": "provincial",
                "year": 2021,
                "issuer": "山东省住房和城乡建设厅",
            }
        ],
        "metric_values": {
            "satisfaction": [
                {
                    "value": 96.55,
                    "date": "2022-12-31",
                    "period": None,
                    "sequence": 0,
                    "note": "截至2022年12月31日，业主整体满意度",
                    "latest": True,
                }
            ],
            "fee_collection": [
                {
                    "value": 98.63,
                    "date": "2021-12-31",
                    "period": None,
                    "sequence": 0,
                    "note": "截至2021年12月31日",
                    "latest": True,
                }
            ],
            "repair_rate": [],
            "complaint_rate": [],
            "rectification_rate": [
                {
                    "value": 99.18,
                    "date": None,
                    "period": None,
                    "sequence": 0,
                    "note": records[4]["metric_values"]["rectification_rate"][0]["note"],
                    "latest": True,
                }
            ],
            "response_time": [],
        },
    }
    assert len(records[4]["mechanisms"]) == 11
    assert records[4]["mechanisms"][0] == {
        "type": "dangjianyinling",
        "title": "“双向进入 交叉任职”",
        "description": Mechanism.objects.get(title="“双向进入 交叉任职”").description,
    }
    assert records[0]["land_area"] is None  # unknown, not 0
    assert records[0]["floor_area_is_approximate"] is None  # no area, nothing approximate
    assert records[0]["honors"] == []
    assert records[2]["construction_period"] == "上世纪70年代"
    assert records[1]["metric_dates"]["fee_collection"] == "2021"
    lijing = records[1]["metrics"]
    assert (lijing["repair_rate"], lijing["complaint_rate"], lijing["fee_collection"]) == (
        1.17,
        0.76,
        100,
    )
    assert '"satisfaction": 96.55' in body.decode()


def test_csv_opens_in_excel_with_chinese_and_exact_numbers(client):
    response = client.get("/data/estates.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="meihao-jiayuan-estates-' in response["Content-Disposition"]
    raw = response.getvalue()
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
    workbook = load_workbook(io.BytesIO(response.getvalue()))
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
        body = client.get(url).getvalue()
        assert "隐藏".encode() not in body
        assert b"hidden-" not in body


def test_text_that_looks_like_a_formula_is_defused_in_csv(client):
    estate = make_estate(name="公式小区", tagline='=HYPERLINK("http://evil.example","点我")')
    nominate(estate)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/data/estates.csv").getvalue().decode("utf-8-sig")))
    )
    row = next(r for r in rows if r["name"] == "公式小区")
    assert row["tagline"] == '\'=HYPERLINK("http://evil.example","点我")'


def test_text_that_looks_like_a_formula_stays_text_in_xlsx(client):
    estate = make_estate(name="公式小区", tagline="=1+1")
    nominate(estate)
    workbook = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").getvalue()))
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
    body = client.get("/data/estates.json").getvalue()
    assert b"<b>" not in body
    assert "<b>A&B</b>小区" in [r["name"] for r in json.loads(body)]


# --- built once per change, then served as a file --------------------------------------------

DATA_URLS = ["/data/estates.json", "/data/estates.csv", "/data/estates.xlsx"]
TEXT_URLS = DATA_URLS[:2]  # the ones with a gzip copy: an xlsx file is compressed already


def built(settings):
    """The names of the built files, without their gzip copies."""
    return sorted(
        path.name for path in settings.OPEN_DATA_ROOT.iterdir() if not path.name.endswith(".gz")
    )


def all_built(settings):
    return sorted(path.name for path in settings.OPEN_DATA_ROOT.iterdir())


def body(response):
    """What the client receives, decompressed as a browser does."""
    content = response.getvalue()
    if response.get("Content-Encoding") == "gzip":
        return gzip.decompress(content)
    return content


@pytest.mark.parametrize("accept", ["", "gzip, deflate, br"])
@pytest.mark.parametrize("url", DATA_URLS)
def test_a_repeated_download_streams_the_built_file_without_building_it_again(
    client, url, accept, django_assert_max_num_queries, settings
):
    first = body(client.get(url, HTTP_ACCEPT_ENCODING=accept))
    with django_assert_max_num_queries(1):  # the content version, nothing more
        again = client.get(url, HTTP_ACCEPT_ENCODING=accept)
        assert again.streaming
        assert body(again) == first
    (name,) = built(settings)
    expected = [name, f"{name}.gz"] if url in TEXT_URLS else [name]
    assert all_built(settings) == expected  # one build wrote the file and its gzip copy


@pytest.mark.parametrize("url", TEXT_URLS)
def test_a_browser_gets_the_gzip_copy_with_its_own_etag(client, url):
    plain = client.get(url)
    assert "Content-Encoding" not in plain
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed["Content-Encoding"] == "gzip"
    content = compressed.getvalue()
    assert gzip.decompress(content) == plain.getvalue()
    assert int(compressed["Content-Length"]) == len(content) < int(plain["Content-Length"])
    assert compressed["Content-Type"] == plain["Content-Type"]
    assert compressed["Content-Disposition"] == plain["Content-Disposition"]
    for response in (plain, compressed):  # caches keep the two apart
        assert "Accept-Encoding" in response["Vary"]
    # Different bytes, different tags; each holder gets a 304 for its own.
    assert compressed["ETag"] != plain["ETag"]
    again = client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=compressed["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == compressed["ETag"]
    assert "Accept-Encoding" in again["Vary"]
    assert client.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    # A client that no longer accepts gzip gets the whole plain file, not a 304 for bytes
    # it cannot read.
    assert client.get(url, HTTP_IF_NONE_MATCH=compressed["ETag"]).status_code == 200


@pytest.mark.parametrize(
    "accept, gzipped",
    [
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("br;q=1.0, *;q=0.1", True),
        ("", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),  # gzip refused by name, whatever * says
        ("*;q=0", False),
        ("gzip;q=nonsense", False),
        ("x-gzipped", False),
    ],
)
def test_gzip_is_sent_only_where_accept_encoding_admits_it(client, accept, gzipped):
    response = client.get("/data/estates.json", HTTP_ACCEPT_ENCODING=accept)
    assert (response.get("Content-Encoding") == "gzip") is gzipped
    assert json.loads(body(response))


def test_the_xlsx_file_is_never_compressed_again(client, settings):
    response = client.get("/data/estates.xlsx", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in response
    assert "Accept-Encoding" not in response.get("Vary", "")
    assert load_workbook(io.BytesIO(response.getvalue()))["estates"]
    assert not [name for name in all_built(settings) if name.endswith(".gz")]


def test_a_missing_gzip_copy_is_made_from_the_built_file_without_the_database(
    client, settings, django_assert_max_num_queries
):
    plain = client.get("/data/estates.json").getvalue()
    (name,) = built(settings)
    (settings.OPEN_DATA_ROOT / f"{name}.gz").unlink()  # e.g. a file built before gzip copies
    with django_assert_max_num_queries(1):
        compressed = client.get("/data/estates.json", HTTP_ACCEPT_ENCODING="gzip")
        assert gzip.decompress(compressed.getvalue()) == plain
    assert all_built(settings) == [name, f"{name}.gz"]


def test_the_same_data_gives_the_same_gzip_bytes(client, settings):
    first = client.get("/data/estates.json", HTTP_ACCEPT_ENCODING="gzip").getvalue()
    for path in settings.OPEN_DATA_ROOT.iterdir():
        path.unlink()
    assert client.get("/data/estates.json", HTTP_ACCEPT_ENCODING="gzip").getvalue() == first


def test_a_change_shows_in_the_next_download_and_the_old_file_is_deleted(client, settings):
    before = json.loads(client.get("/data/estates.json").getvalue())
    assert "双旗杆东里" in [r["name"] for r in before]
    estate = Estate.objects.get(slug="shuangqigandongli")
    estate.households = 4321
    estate.save()
    after = json.loads(body(client.get("/data/estates.json", HTTP_ACCEPT_ENCODING="gzip")))
    assert next(r for r in after if r["slug"] == "shuangqigandongli")["households"] == 4321
    (name,) = built(settings)  # the file of the older version is gone, its gzip copy too
    assert all_built(settings) == [name, f"{name}.gz"]


def slugs_in(url, body):
    if url.endswith(".json"):
        return {record["slug"] for record in json.loads(body)}
    if url.endswith(".csv"):
        return {row["slug"] for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}
    sheet = load_workbook(io.BytesIO(body))["estates"]
    return {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_a_revoked_estate_leaves_every_file_at_the_next_download(client):
    for url in DATA_URLS:
        assert "shuangqigandongli" in slugs_in(url, client.get(url).getvalue())
    Nomination.objects.filter(estate__slug="shuangqigandongli").update(
        state=NominationState.REVOKED
    )
    for url in DATA_URLS:
        found = slugs_in(url, client.get(url).getvalue())
        assert "shuangqigandongli" not in found, url
        assert "aozhengchengyuannanqu" in found, url


def test_each_host_gets_a_file_with_its_own_addresses(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    here = json.loads(client.get("/data/estates.json").getvalue())
    there = json.loads(client.get("/data/estates.json", HTTP_HOST="other.example").getvalue())
    assert here[0]["url"].startswith("http://testserver/estates/")
    assert there[0]["url"].startswith("http://other.example/estates/")
    assert len(built(settings)) == 2


def test_a_client_holding_this_version_gets_not_modified(client, settings):
    first = client.get("/data/estates.csv")
    etag = first["ETag"]
    assert first["Cache-Control"] == "max-age=0"
    unchanged = client.get("/data/estates.csv", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    for built in settings.OPEN_DATA_ROOT.iterdir():
        built.unlink()
    assert client.get("/data/estates.csv", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert not list(settings.OPEN_DATA_ROOT.iterdir())  # answered without building
    estate = Estate.objects.get(slug="shuangqigandongli")
    estate.tagline = "新的标题语"
    estate.save()
    changed = client.get("/data/estates.csv", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "新的标题语" in changed.getvalue().decode("utf-8-sig")


def test_a_failed_build_leaves_no_file_and_the_next_request_builds_again(
    client, settings, monkeypatch
):
    from showcase import opendata

    def broken(request):
        raise RuntimeError("database went away")

    monkeypatch.setattr(opendata, "json_body", broken)
    with pytest.raises(RuntimeError):
        client.get("/data/estates.json")
    assert not settings.OPEN_DATA_ROOT.exists() or not list(settings.OPEN_DATA_ROOT.iterdir())
    monkeypatch.undo()
    assert json.loads(client.get("/data/estates.json").getvalue())


def test_files_are_kept_outside_the_public_media_folder():
    from django.conf import settings as live

    assert live.MEDIA_ROOT not in live.OPEN_DATA_ROOT.parents


def test_a_build_deletes_only_older_files_never_a_newer_one_of_another_process(client, settings):
    from showcase.cache import bump, current_version

    client.get("/data/estates.json").getvalue()
    (name,) = built(settings)
    digest, version, extension = name.split(".")
    newer = f"{digest}.{int(version) + 1000}.{extension}"
    # As another server process would, after a later change.
    (settings.OPEN_DATA_ROOT / newer).write_bytes(b"[]")
    (settings.OPEN_DATA_ROOT / f"{newer}.gz").write_bytes(gzip.compress(b"[]"))
    bump()
    assert json.loads(client.get("/data/estates.json").getvalue())
    current = f"{digest}.{current_version()}.{extension}"
    assert all_built(settings) == sorted([newer, f"{newer}.gz", current, f"{current}.gz"])


def test_a_new_database_never_reuses_a_content_version():
    import time

    from showcase.cache import bump, current_version
    from showcase.models import ContentVersion

    ContentVersion.objects.all().delete()
    before = time.time_ns() // 1_000_000
    bump()
    assert current_version() >= before  # counted on from the clock, not from 1


# --- every value, the estate's facts, mechanisms and honours ----------------------------------


def csv_rows(client):
    body = client.get("/data/estates.csv").getvalue().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_a_before_after_pair_survives_in_every_file(client):
    records = {r["slug"]: r for r in json.loads(client.get("/data/estates.json").getvalue())}
    lijing = records["lijingchangan"]
    assert [
        (v["value"], v["date"], v["period"], v["sequence"], v["latest"])
        for v in lijing["metric_values"]["repair_rate"]
    ] == [
        (4.38, None, "巡检制度实施前", 1, False),
        (1.17, None, "巡检制度实施以来", 2, True),
    ]
    assert lijing["metrics"]["repair_rate"] == 1.17  # the latest as before
    row = next(r for r in csv_rows(client) if r["slug"] == "lijingchangan")
    assert row["metric_repair_rate_values"] == "4.38 (巡检制度实施前)\n1.17 (巡检制度实施以来)"
    assert row["metric_complaint_rate_values"] == "1.05 (巡检制度实施前)\n0.76 (巡检制度实施以来)"
    assert row["metric_fee_collection_values"] == "100 (2021)"
    assert row["metric_satisfaction_values"] == ""
    sheet = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").getvalue()))["metric_values"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "slug", "name", "metric", "value", "as_of", "period", "sequence", "note", "latest"
    )  # fmt: skip
    pair = [r for r in rows if r[0] == "lijingchangan" and r[2] == "repair_rate"]
    assert [(Decimal(str(r[3])), r[5], r[6], r[8]) for r in pair] == [
        (Decimal("0.0438"), "巡检制度实施前", 1, False),
        (Decimal("0.0117"), "巡检制度实施以来", 2, True),
    ]


def test_every_value_keeps_its_date_as_precise_as_the_source(client):
    estate = make_estate(name="日期小区", slug="riqi")
    nominate(estate)
    satisfaction = MetricType.objects.get(code="satisfaction")
    for value, date, precision in [
        ("91.5", "2020-07-01", DatePrecision.YEAR),
        ("93", "2021-05-01", DatePrecision.MONTH),
        ("95.25", "2022-12-31", DatePrecision.DAY),
    ]:
        Metric.objects.create(
            estate=estate,
            metric_type=satisfaction,
            value=Decimal(value),
            date=date,
            date_precision=precision,
        )
    record = next(
        r for r in json.loads(client.get("/data/estates.json").getvalue()) if r["slug"] == "riqi"
    )
    assert [(v["value"], v["date"]) for v in record["metric_values"]["satisfaction"]] == [
        (91.5, "2020"),
        (93, "2021-05"),
        (95.25, "2022-12-31"),
    ]
    assert (record["metrics"]["satisfaction"], record["metric_dates"]["satisfaction"]) == (
        95.25,
        "2022-12-31",
    )
    row = next(r for r in csv_rows(client) if r["slug"] == "riqi")
    assert row["metric_satisfaction_values"] == "91.5 (2020)\n93 (2021-05)\n95.25 (2022-12-31)"


def test_csv_and_xlsx_add_the_new_columns_after_the_existing_ones(client):
    earlier = [
        "name", "slug", "url", "province", "city", "district", "year_built",
        "construction_period", "buildings", "units", "households", "residents",
        "property_company", "tagline", "campaigns",
        "metric_satisfaction", "metric_satisfaction_as_of",
        "metric_fee_collection", "metric_fee_collection_as_of",
        "metric_repair_rate", "metric_repair_rate_as_of",
        "metric_complaint_rate", "metric_complaint_rate_as_of",
        "metric_rectification_rate", "metric_rectification_rate_as_of",
        "metric_response_time", "metric_response_time_as_of",
    ]  # fmt: skip
    added = [
        "subdistrict", "community", "address", "estate_type", "land_area", "land_area_mu",
        "floor_area", "floor_area_is_approximate", "plot_ratio", "green_coverage",
        "mechanism_types", "mechanisms", "honors",
        "metric_satisfaction_values", "metric_fee_collection_values",
        "metric_repair_rate_values", "metric_complaint_rate_values",
        "metric_rectification_rate_values", "metric_response_time_values",
        "illustrative", "name_en", "tagline_en",
    ]  # fmt: skip
    body = client.get("/data/estates.csv").getvalue().decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body))) == earlier + added
    workbook = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").getvalue()))
    assert [cell.value for cell in workbook["estates"][1]] == earlier + added
    assert workbook.sheetnames == ["estates", "metric_values", "mechanisms", "honors"]


def test_csv_gives_facts_mechanisms_and_honours_and_leaves_unknowns_empty(client):
    rows = {r["slug"]: r for r in csv_rows(client)}
    aozheng = rows["aozhengchengyuannanqu"]
    assert (aozheng["subdistrict"], aozheng["community"], aozheng["estate_type"]) == (
        "九曲街道",
        "奥正社区",
        "commercial",
    )
    assert (aozheng["land_area"], aozheng["land_area_mu"], aozheng["floor_area"]) == (
        "199333.33",
        "299",
        "340000",
    )
    assert (aozheng["floor_area_is_approximate"], aozheng["plot_ratio"]) == ("true", "1.16")
    assert aozheng["green_coverage"] == "39"
    assert aozheng["honors"] == "“质量标杆”项目 (provincial, 2021, 山东省住房和城乡建设厅)"
    assert aozheng["mechanisms"].split("\n")[:2] == [
        "“双向进入 交叉任职”",
        "业委会监督与业主恳谈会",
    ]
    assert aozheng["mechanism_types"].split(";")[:2] == ["dangjianyinling", "yezhuweiyuanhui"]
    assert (
        rows["lijingchangan"]["honors"]
        == "北京文明示范小区 (municipal)\n首都环境样板单位 (municipal)"
    )
    changwa = rows["changwajie7haoyuan"]
    for column in ["land_area", "land_area_mu", "floor_area", "floor_area_is_approximate"]:
        assert changwa[column] == "", column  # unknown, never 0 or false
    assert changwa["estate_type"] == changwa["plot_ratio"] == changwa["honors"] == ""


def test_xlsx_keeps_facts_as_numbers_and_lists_as_sheets(client):
    workbook = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").getvalue()))
    sheet = workbook["estates"]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "aozhengchengyuannanqu")
    cells = dict(zip(header, row, strict=True))
    assert Decimal(str(cells["land_area"].value)) == Decimal("199333.33")
    assert cells["floor_area_is_approximate"].value is True
    assert Decimal(str(cells["green_coverage"].value)) == Decimal("0.39")
    assert cells["green_coverage"].number_format == "0.00%"
    assert cells["plot_ratio"].data_type == "n"
    mechanisms = list(workbook["mechanisms"].iter_rows(values_only=True))
    assert mechanisms[0] == ("slug", "name", "type", "title", "description")
    assert len([r for r in mechanisms if r[0] == "aozhengchengyuannanqu"]) == 11
    honors = list(workbook["honors"].iter_rows(values_only=True))
    assert honors[1:] == [
        ("lijingchangan", "丽景长安", "北京文明示范小区", "municipal", None, None),
        ("lijingchangan", "丽景长安", "首都环境样板单位", "municipal", None, None),
        (
            "aozhengchengyuannanqu",
            "奥正诚园南区",
            "“质量标杆”项目",
            "provincial",
            2021,
            "山东省住房和城乡建设厅",
        ),
    ]


def hidden_estate_with_everything():
    national = Campaign.objects.get(slug="quanguo-2021")
    estate = make_estate(name="未公开小区", slug="weigongkai")
    nominate(estate, campaign=national, state=NominationState.SHORTLISTED)
    Mechanism.objects.create(
        estate=estate,
        mechanism_type_id=Mechanism.objects.first().mechanism_type_id,
        title="隐藏机制",
    )
    Honor.objects.create(estate=estate, title="隐藏荣誉", level="district")
    Metric.objects.create(
        estate=estate,
        metric_type=MetricType.objects.get(code="satisfaction"),
        value=Decimal("12.34"),
        source_note="隐藏说明",
    )
    return estate


def test_unpublished_mechanisms_honours_and_values_stay_out(client):
    hidden_estate_with_everything()
    for url in DATA_URLS:
        workbook_or_text = client.get(url).getvalue()
        if url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(workbook_or_text))
            text = "".join(str(v) for s in book for r in s.iter_rows(values_only=True) for v in r)
        else:
            text = workbook_or_text.decode("utf-8-sig")
        for secret in ["隐藏机制", "隐藏荣誉", "隐藏说明", "12.34", "weigongkai"]:
            assert secret not in text, (url, secret)


def add_published_estates(count):
    satisfaction = MetricType.objects.get(code="satisfaction")
    kind = Mechanism.objects.first().mechanism_type
    campaign = Campaign.objects.get(slug="quanguo-2021")
    for n in range(count):
        estate = make_estate(name=f"新增小区{n}", slug=f"xinzeng-{n}")
        nominate(estate, campaign=campaign)
        for sequence, value in [(1, "80"), (2, "90")]:
            Metric.objects.create(
                estate=estate, metric_type=satisfaction, value=Decimal(value), sequence=sequence
            )
        Mechanism.objects.create(estate=estate, mechanism_type=kind, title=f"机制{n}")
        Honor.objects.create(estate=estate, title=f"荣誉{n}", level="district", year=2020)


def queries_of(url, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = response.getvalue() if response.streaming else response.content
    assert response.status_code == 200
    return len(captured), body


@pytest.mark.parametrize("url", DATA_URLS)
def test_building_a_file_takes_as_many_queries_for_more_estates(client, url):
    few, body = queries_of(url, client)
    add_published_estates(6)
    many, more = queries_of(url, client)
    assert len(slugs_in(url, more)) == len(slugs_in(url, body)) + 6  # built again
    # The content version, then metric types, selections, metric values, estates,
    # mechanisms and honours.
    assert few == many == 7


def page_queries(client):
    """The queries of rendering /data/, with what each process remembers (the content
    version, the site footer's date) as warm as between two readers' requests."""
    from django.core.cache import cache

    client.get("/data/")
    cache.clear()  # the page itself is rendered again
    return queries_of("/data/", client)


def test_the_data_page_takes_as_many_queries_for_more_estates(client):
    few, body = page_queries(client)
    add_published_estates(6)
    many, more = page_queries(client)
    assert "目前 5 个".encode() in body
    assert "目前 11 个".encode() in more  # rendered again, not the cached page
    assert few == many


# --- the page: licence and last update ---------------------------------------------------------


def test_data_page_states_the_licence_from_the_setting(client, settings):
    body = client.get("/data/").content.decode()
    assert "知识共享署名 4.0 国际许可协议（CC BY 4.0）" in body
    assert (
        '<a href="https://creativecommons.org/licenses/by/4.0/" rel="license">CC BY 4.0</a>' in body
    )
    english = client.get("/en/data/").content.decode()
    assert "Creative Commons Attribution 4.0 International licence" in english
    settings.OPEN_DATA_LICENCE = {
        "name": "开放政府许可",
        "url": "https://data.example/licence",
        "text": {"zh-hans": "依本机关的开放数据许可使用。"},
    }
    from showcase.cache import bump

    bump()  # a cached page would still show the former licence
    body = client.get("/data/").content.decode()
    assert "依本机关的开放数据许可使用。" in body
    assert 'href="https://data.example/licence" rel="license">开放政府许可</a>' in body
    assert "CC BY" not in body
    # A language without a statement of its own reads the Chinese one.
    assert "依本机关的开放数据许可使用。" in client.get("/en/data/").content.decode()


def shown_update(client):
    import re

    facts = data_facts(client.get("/data/").content.decode())
    return re.search(r'<time datetime="([^"]+)">([^<]+)</time>', facts).groups()


def html_datetime(moment):
    """As the page writes it: to the second (HTML takes at most three decimals)."""
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S%z")


def data_facts(body):
    """The page's own facts (the site's footer has a date of its own)."""
    return body.split('<dl class="data-facts">', 1)[1].split("</dl>", 1)[0]


def test_data_page_shows_the_newest_change_of_published_data(client):
    from django.utils import timezone

    from showcase.opendata import last_updated

    before = last_updated()
    assert shown_update(client)[0] == html_datetime(before)
    hidden_estate_with_everything()  # a draft changes nothing that is published
    assert last_updated() == before
    metric = Metric.objects.get(estate__slug="lijingchangan", value=Decimal("4.38"))
    metric.value = Decimal("4.39")
    metric.save()
    after = last_updated()
    assert after > before
    assert after == Metric.history.latest("history_date").history_date
    datetime_attribute, text = shown_update(client)
    assert datetime_attribute == html_datetime(after)
    assert text == timezone.localtime(after).strftime("%Y年%-m月%-d日 %H:%M")
    Honor.objects.filter(estate__slug="lijingchangan").first().delete()  # a deletion too
    assert last_updated() > after


def test_data_page_says_so_when_nothing_was_ever_published(client):
    Campaign.objects.update(phase=CampaignPhase.REVIEWING, results_published_at=None)
    facts = data_facts(client.get("/data/").content.decode())
    assert "尚无已发布的数据" in facts
    assert "<time" not in facts


def test_every_file_marks_the_estates_public_only_through_an_illustrative_round(client):
    records = json.loads(client.get("/data/estates.json").getvalue())
    assert {r["slug"]: r["illustrative"] for r in records} == {
        "changwajie7haoyuan": False,
        "lijingchangan": False,
        "shuangqigandongli": False,
        "xichanganyihao": False,
        "aozhengchengyuannanqu": True,
    }
    body = client.get("/data/estates.csv").getvalue().decode("utf-8-sig")
    rows = {row["slug"]: row["illustrative"] for row in csv.DictReader(io.StringIO(body))}
    assert rows["aozhengchengyuannanqu"] == "true" and rows["lijingchangan"] == "false"
    workbook = load_workbook(io.BytesIO(client.get("/data/estates.xlsx").getvalue()))
    sheet = workbook["estates"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("illustrative")
    values = {
        row[header.index("slug")]: row[column] for row in sheet.iter_rows(2, values_only=True)
    }
    assert values["aozhengchengyuannanqu"] is True and values["lijingchangan"] is False
    page = parse(client.get("/data/").content)
    assert "illustrative" in [code.clean_text() for code in page.find_all("code")]
