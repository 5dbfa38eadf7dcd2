"""Spreadsheets staff send on: the result list with its title, Chinese file names, numbers
with their column's places, and the export page in Chinese."""

import csv
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from estates.enums import DatePrecision
from estates.models import Campaign, Metric, MetricType
from estates.spreadsheets.downloads import content_disposition, file_name
from estates.spreadsheets.formats import csv_text, write_csv, write_xlsx
from estates.spreadsheets.results import result_list_csv, result_list_xlsx, result_title

from .builders import make_campaign, make_estate, make_staff, nominate
from .html import parse

HEADERS = [
    "序号",
    "省份",
    "城市",
    "小区名称",
    "物业服务企业",
    "户数（户）",
    "居住人数（人）",
    "业主满意度（%）",
    "物业费收缴率（%）",
    "数据截至",
    "推荐单位",
]
NATIONAL_TITLE = "2021年度全国“加强物业管理 共建美好家园”活动入选名单"


def csv_rows(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- numbers ---------------------------------------------------------------------------------


def test_csv_column_numbers_have_the_same_places():
    text = write_csv(
        ["业主满意度（%）", "占地面积（平方米）", "户数（户）", "数量"],
        [
            [Decimal("96.5"), Decimal("12000.00"), 1250, 3],
            [Decimal("100"), Decimal("35.5"), 407, Decimal("1.25")],
            [None, None, None, None],
        ],
    )
    assert csv_rows(text)[1:] == [
        ["96.50", "12000.00", "1250", "3.00"],
        ["100.00", "35.50", "407", "1.25"],
        ["", "", "", ""],
    ]


def test_csv_number_keeps_its_own_places_and_is_never_rounded():
    assert [csv_text(Decimal("100.00")), csv_text(Decimal("96.555"), 2), csv_text(7, 2)] == [
        "100.00",
        "96.555",
        "7.00",
    ]


def test_xlsx_numbers_are_shown_with_their_columns_places():
    sheet = load_workbook(
        io.BytesIO(write_xlsx(["面积", "户数"], [[Decimal("12.5"), 3], [Decimal("7"), 4]]))
    ).active
    assert [sheet["A2"].number_format, sheet["A3"].number_format] == ["0.0", "0.0"]
    assert (sheet["B2"].value, sheet["B2"].number_format) == (3, "General")


# --- the result list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_result_list_xlsx_has_a_merged_title_row_above_the_header():
    campaign = Campaign.objects.get(slug="quanguo-2021")
    sheet = load_workbook(io.BytesIO(result_list_xlsx(campaign))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == NATIONAL_TITLE
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:K1"]
    assert rows[1] == tuple(HEADERS)
    assert sheet.freeze_panes == "A3"
    assert [row[:4] for row in rows[2:]] == [
        (1, "北京市", "北京市", "双旗杆东里"),
        (2, "北京市", "北京市", "厂洼街7号院"),
        (3, "北京市", "北京市", "丽景长安"),
        (4, "北京市", "北京市", "西长安壹号"),
    ]
    # 厂洼街7号院: 368 households, 1332 residents, no satisfaction known: an empty cell.
    assert rows[3][5:10] == (368, 1332, None, None, None)
    assert rows[2][7] == pytest.approx(0.9) and sheet["H3"].number_format == "0.00%"
    assert rows[4][9] == "2021年"  # 丽景长安's fee collection, recorded for the year


@pytest.mark.django_db
def test_result_list_csv_is_the_table_with_numbers_in_two_places():
    rows = csv_rows(result_list_csv(Campaign.objects.get(slug="quanguo-2021")))
    assert rows[0] == HEADERS
    assert rows[1][:10] == ["1", "北京市", "北京市", "双旗杆东里", "", "407", "", "90.00", "", ""]
    assert rows[3][7:10] == ["", "100.00", "2021年"]


@pytest.mark.django_db
def test_as_of_names_each_figure_when_their_dates_differ():
    rows = csv_rows(result_list_csv(Campaign.objects.get(slug="shandong-2023")))
    assert rows[1][7:10] == ["96.55", "98.63", "满意度 2022-12-31；收缴率 2021-12-31"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("precision", "shown"),
    [
        (DatePrecision.YEAR, "2022年"),
        (DatePrecision.MONTH, "2022年12月"),
        (DatePrecision.DAY, "2022-12-31"),
    ],
)
def test_as_of_is_as_precise_as_recorded(precision, shown):
    import datetime

    campaign = make_campaign(title="2026年度全国美好家园典型案例", year=2026)
    estate = make_estate(name="绿都花园", residents=0)
    nominate(estate, campaign)
    for code, value in (("satisfaction", "97.5"), ("fee_collection", "100")):
        Metric.objects.create(
            estate=estate,
            metric_type=MetricType.objects.get(code=code),
            value=Decimal(value),
            date=datetime.date(2022, 12, 31),
            date_precision=precision,
        )
    assert result_title(campaign) == "2026年度全国美好家园典型案例入选名单"
    rows = csv_rows(result_list_csv(campaign))
    # 0 residents is a known 0, shown; households unknown, empty.
    assert rows[1][3:10] == ["绿都花园", "", "", "0", "97.50", "100.00", shown]


# --- downloads -------------------------------------------------------------------------------


def test_file_names_keep_chinese_and_lose_what_windows_refuses():
    assert file_name("2026年度“美好家园”/入选:名单?") == "2026年度“美好家园”_入选_名单_"
    header = content_disposition("小区-2026-12-03.xlsx", "estate-2026-12-03.xlsx")
    assert header == (
        'attachment; filename="estate-2026-12-03.xlsx"; '
        "filename*=UTF-8''%E5%B0%8F%E5%8C%BA-2026-12-03.xlsx"
    )


def result_list(client, campaign, action):
    return client.post(
        reverse("admin:estates_campaign_changelist"),
        {"action": action, "_selected_action": [campaign.pk]},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "extension", "content_type"),
    [
        (
            "export_result_list",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("export_result_list_csv", "csv", "text/csv; charset=utf-8"),
    ],
)
def test_result_list_actions_send_a_chinese_file_name(client, action, extension, content_type):
    client.force_login(make_staff("editor"))
    response = result_list(client, Campaign.objects.get(slug="quanguo-2021"), action)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="quanguo-2021-results.{extension}"; '
        f"filename*=UTF-8''{quote(NATIONAL_TITLE)}.{extension}"
    )


@pytest.mark.django_db
def test_result_list_actions_say_their_format(client):
    client.force_login(make_staff("ministry"))
    page = client.get(reverse("admin:estates_campaign_changelist")).content.decode()
    assert "导出入选名单（Excel 表格 .xlsx）" in page
    assert "导出入选名单（CSV 文本 .csv）" in page


@pytest.mark.django_db
def test_provincial_staff_get_no_result_list(client):
    client.force_login(make_staff("provincial", "shandong"))
    response = result_list(
        client, Campaign.objects.get(slug="shandong-2023"), "export_result_list_csv"
    )
    assert response.status_code == 302 and "Content-Disposition" not in response


# --- the admin's export page -----------------------------------------------------------------

ENGLISH = [
    "Select all",
    "This exporter",
    "Format",
    "Submit",
    "Resource",
    "Name (",
    "Export ",
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", ["estate", "metric", "keyfigure", "mechanism", "activity", "nomination"]
)
def test_export_page_is_in_chinese(client, model):
    client.force_login(make_staff("ministry"))
    response = client.get(reverse(f"admin:estates_{model}_export"))
    page = response.content.decode()
    assert [word for word in ENGLISH if word in page] == []
    assert "文件格式" in page and "全选" in page and "导出文件" in page
    assert "onchange" not in page and " style=" not in page


@pytest.mark.django_db
def test_export_page_labels_each_column_by_its_header(client):
    client.force_login(make_staff("editor"))
    page = parse(client.get(reverse("admin:estates_estate_export")).content.decode())
    columns = page.find("div", class_="export-column-list")
    labels = [label.clean_text() for label in columns.find_all("label")]
    assert labels[:4] == ["小区名称", "网址标识", "省份", "城市"]
    assert "业主满意度（%）" in labels
    options = page.find("select", id="id_format").find_all("option")
    assert [option.clean_text() for option in options] == ["请选择", "xlsx", "csv", "json"]
    assert [o.clean_text() for o in options if "selected" in o.attrs] == ["xlsx"]


@pytest.mark.django_db
def test_admin_export_is_named_in_chinese(client):
    client.force_login(make_staff("editor"))
    fields = {"format": "0", "resource": "0", "estateresource_name": "on"}
    response = client.post(reverse("admin:estates_estate_export"), fields)
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"estate-{day}.xlsx\"; filename*=UTF-8''{quote('小区')}-{day}.xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == ["小区名称"]


@pytest.mark.django_db
def test_export_with_no_column_ticked_says_so_in_chinese(client):
    client.force_login(make_staff("editor"))
    response = client.post(reverse("admin:estates_estate_export"), {"format": "0", "resource": "0"})
    assert "请至少选择一列导出。" in response.content.decode()
