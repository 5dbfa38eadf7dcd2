"""Open data: published estates only, exact numbers, unknown as null or empty."""

import csv
import gzip
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from estates.enums import NominationState
from estates.models import Campaign, Estate, Nomination

from .builders import make_estate, nominate

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
    }
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
