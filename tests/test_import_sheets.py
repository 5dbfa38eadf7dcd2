"""Sheets as provinces send them (tests/sheets, written by LibreOffice and old Excel; see
make_sheets.py), imported through the admin and the command: each gives exactly the messages
below, in the clerk's row numbers, the same from both; a refused file changes nothing."""

import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from estates.models import Estate, ImportUpload, Metric
from estates.spreadsheets.reading import CSV_RESAVE

from .builders import make_staff
from .test_import_confirm import confirmation
from .test_spreadsheet_admin import format_index

pytestmark = pytest.mark.django_db

SHEETS = Path(__file__).parent / "sheets"
CODES = (
    "业主满意度（satisfaction）、物业费收缴率（fee_collection）、公共区域报修率（repair_rate）、"
    "业主投诉率（complaint_rate）、问题整改率（rectification_rate）、维修响应时间（response_time）"
)

# file: (notices, problems)
EXPECTED = {
    "title-rows.xlsx": (
        [
            "第 1–2 行在表头之上（标题或说明），未导入",
            "已忽略的列（其中的数据不会导入）：“序号”（A 列）是序号，不导入",
            "第 8–9 行是说明或合计，未导入",
        ],
        [],
    ),
    "three-mistakes.xlsx": (
        [
            "第 1–2 行在表头之上（标题或说明），未导入",
            "已忽略的列（其中的数据不会导入）：“联系电话”（G 列）没有对应的列；"
            "“物业收缴率”（H 列）没有对应的列，最接近的是“物业费收缴率（%）”；"
            "如是此列，请把列名改为“物业费收缴率（%）”",
        ],
        [
            "第 6 行「建成年份」：年份“213”不合理：应为 1900 到 2026 之间的四位年份",
            "第 6 行「户数（户）」：应为整数，例如 1250 或 1250户，而不是“很多”",
            "第 6 行「业主满意度」：业主满意度“0.965”不在合理范围（30–100%）内：照此导入将存为"
            " 0.97%。如果是 96.5%，请填 96.5 或 96.5%。请核对改正后重新上传",
        ],
    ),
    "merged-provinces.xls": ([], []),
    "hidden-column.ods": (
        [
            "已忽略的列（其中的数据不会导入）：“备注”（F 列）没有对应的列",
            "隐藏的列未导入：“内部编号”（D 列）",
        ],
        [],
    ),
    "old-excel-gbk.csv": (["第 1 行在表头之上（标题或说明），未导入"], []),
    "no-city.csv": (
        [],
        ["第 1 行（表头）缺少必填的列：“城市”。请按填报模板补上这些列，列名写在表头这一行"],
    ),
    "libreoffice-utf8.csv": (
        [],
        [
            "第 2 行「小区名称」：临沂市已有名为“奥正诚园南区”的小区"
            "（网址标识 aozhengchengyuannanqu）。"
            "它已在公开网站展示，修改需经审核：请在小区页面中修改，不要重复导入",
            "第 3 行「城市」：“苏州市”属于江苏省，不属于山东省；请核对省份或城市",
            "第 4 行「城市」：山东省没有名为“济楠”的城市（地级市）；您是否要填“济南市”？",
            "第 4 行「物业费收缴率（%）」：物业费收缴率“1”不在合理范围（30–100%）内：照此导入将存为"
            " 1%。如果是 100%，请填 100 或 100%。请核对改正后重新上传",
        ],
    ),
    "big5.csv": (
        [],
        [
            "CSV 文件既不是 UTF-8 也不是 GBK 编码（看起来是繁体中文 Big5 编码），无法读取。"
            + CSV_RESAVE
        ],
    ),
}
METRIC_PROBLEMS = [
    "第 3 行「数值」：百分比必须在 0 到 100 之间，而不是“-5”",
    f"第 4 行「指标代码」：没有“满意率”这个指标；可填写指标名称或代码：{CODES}",
]


def database_state():
    """Row counts of every table of the domain and a hash of the estate table's rows (the
    file waiting between preview and confirmation aside)."""
    models = apps.get_app_config("estates").get_models()
    counts = {m.__name__: m.objects.count() for m in models if m is not ImportUpload}
    rows = Estate.objects.order_by("pk").values_list()
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return counts, digest


def preview(client, name, model="estate"):
    url = reverse(f"admin:estates_{model}_import")
    form = client.get(url).context["form"]
    kind = Path(name).suffix.lstrip(".")
    return client.post(
        url,
        {
            "resource": 0,
            "format": format_index(form, kind),
            "import_file": SimpleUploadedFile(name, (SHEETS / name).read_bytes()),
        },
    )


@pytest.fixture
def clerk(client):
    client.force_login(make_staff("provincial", "shandong"))
    return client


@pytest.mark.parametrize("name", EXPECTED)
def test_each_sheet_gives_exactly_its_messages_and_a_refused_one_changes_nothing(clerk, name):
    notices, problems = EXPECTED[name]
    before = database_state()
    response = preview(clerk, name)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.notices == notices
    assert result.problems == problems
    assert database_state() == before  # a preview writes nothing
    if problems:
        assert "confirm_form" not in response.context
        return
    done = clerk.post(reverse("admin:estates_estate_process_import"), confirmation(response))
    assert done.status_code == 302
    assert database_state() != before


def test_what_the_sheets_hold_is_what_is_stored(clerk):
    for name in [
        "title-rows.xlsx",
        "merged-provinces.xls",
        "hidden-column.ods",
        "old-excel-gbk.csv",
    ]:
        response = preview(clerk, name)
        clerk.post(reverse("admin:estates_estate_process_import"), confirmation(response))

    def latest(name, code):
        return Metric.objects.get(estate__name=name, metric_type__code=code, is_latest=True).value

    quancheng = Estate.objects.get(name="泉城花园")
    assert quancheng.city.name == "济南市"  # 济南, as the clerk wrote it
    assert quancheng.households == 1280
    assert latest("泉城花园", "satisfaction") == Decimal("96.50")  # a 0.0% cell holding 0.965
    assert quancheng.overview.startswith("　　小区建立“红色物业”机制")  # Word's indent kept
    assert "\n　　2023年" in quancheng.overview
    assert latest("绿都家园", "fee_collection") == Decimal("99.10")
    assert Estate.objects.get(name="绿都家园").slug == "lvdujiayuan"
    # 省份 merged down over three rows of old Excel: each row is of that province.
    for name, satisfaction in [("重华园", "95.50"), ("长安里", "91.00"), ("乐园小区", "93.00")]:
        assert Estate.objects.get(name=name).province.name == "山东省"
        assert latest(name, "satisfaction") == Decimal(satisfaction)
    assert latest("乐园小区", "fee_collection") == Decimal("100.00")
    assert Estate.objects.get(name="朝阳小区").households == 320
    assert Estate.objects.get(name="华都苑").households == 1020  # "1,020" in a GBK CSV


def test_metric_sheet_takes_percent_text_and_lists_the_codes(client):
    client.force_login(make_staff("ministry"))
    before = database_state()
    response = preview(client, "metric-mistakes.xlsx", model="metric")
    assert response.context["result"].problems == METRIC_PROBLEMS
    assert database_state() == before


@pytest.mark.parametrize("name", EXPECTED)
def test_the_command_says_what_the_admin_says(clerk, name, capsys):
    notices, problems = EXPECTED[name]
    make_staff("provincial", "shandong", username="cli-clerk")
    before = database_state()
    path = SHEETS / name
    if problems:
        with pytest.raises(CommandError):
            call_command("import_estates", str(path), "--dry-run", "--as-user", "cli-clerk")
    else:
        call_command("import_estates", str(path), "--dry-run", "--as-user", "cli-clerk")
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[: len(problems)] == problems
    assert [
        line.removeprefix("请核对：") for line in err.splitlines() if line.startswith("请核对：")
    ] == notices
    assert database_state() == before


def test_the_refused_sheet_comes_back_with_its_errors_beside_its_rows(clerk, tmp_path):
    response = preview(clerk, "three-mistakes.xlsx")
    url = reverse("admin:estates_estate_import_errors")
    marked = clerk.get(url, {"file": response.context["error_file"]})
    assert marked.status_code == 200
    assert "attachment" in marked["Content-Disposition"]
    book = load_workbook(io.BytesIO(marked.content))
    sheet = book["Sheet1"]
    column = sheet.max_column
    assert sheet.cell(3, column).value == "错误说明"  # on the header row
    assert sheet.cell(1, 1).value == "山东省推荐小区"  # the sheet as it was sent
    assert sheet.cell(4, column).value is None  # a good row
    note = sheet.cell(6, column).value
    assert "「建成年份」年份“213”不合理" in note
    assert "「户数（户）」应为整数" in note
    assert "如果是 96.5%" in note
    # The command writes the same file.
    out = tmp_path / "marked.xlsx"
    make_staff("provincial", "shandong", username="cli-clerk")
    with pytest.raises(CommandError):
        call_command(
            "import_estates",
            str(SHEETS / "three-mistakes.xlsx"),
            "--as-user",
            "cli-clerk",
            "--errors-to",
            str(out),
        )
    again = load_workbook(out)["Sheet1"]
    assert again.cell(6, again.max_column).value == note


def test_a_gbk_csv_with_a_title_row_and_an_old_excel_file_read_in_the_command(capsys):
    call_command("import_estates", str(SHEETS / "old-excel-gbk.csv"), "--dry-run")
    call_command("import_estates", str(SHEETS / "merged-provinces.xls"), "--dry-run")
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "新增 1 个" in out and "新增 3 个" in out


def test_an_unchanged_export_imports_back_as_unchanged_with_its_values_shown(client):
    client.force_login(make_staff("ministry"))
    url = reverse("admin:estates_estate_export")
    form = client.get(url).context["form"]
    data = {"format": format_index(form, "xlsx"), "resource": 0}
    for name, field in form.fields.items():
        if isinstance(field, forms.BooleanField):
            data[name] = "on"
    exported = client.post(url, data).content
    before = database_state()
    url = reverse("admin:estates_estate_import")
    form = client.get(url).context["form"]
    response = client.post(
        url,
        {
            "resource": 0,
            "format": format_index(form, "xlsx"),
            "import_file": SimpleUploadedFile("小区.xlsx", exported),
        },
    )
    result = response.context["result"]
    assert result.problems == []
    assert [row.import_type for row in result.valid_rows()] == ["skip"] * Estate.objects.count()
    body = response.content.decode()
    table = body[body.index('class="import-preview import-sheet"') :]
    assert "None" not in table and "diff-added" not in table  # nothing shown as changed
    assert "True" not in table and "False" not in table and "否" in table  # yes/no in Chinese
    assert "文件与现有数据相同，确认导入不会改动任何数据" in body
    assert "96.55" in table  # the metric's value as it is, not as changed from nothing
    assert database_state() == before


def test_a_sheet_without_the_slug_column_adds_its_estates(clerk):
    """It used to answer "'EstateResource' object has no attribute '_new_values'"."""
    sheet = "小区名称,省份,城市,户数（户）\r\n无标识小区,山东省,临沂市,100\r\n".encode()
    url = reverse("admin:estates_estate_import")
    form = clerk.get(url).context["form"]
    response = clerk.post(
        url,
        {
            "resource": 0,
            "format": format_index(form, "csv"),
            "import_file": SimpleUploadedFile("a.csv", sheet),
        },
    )
    assert response.context["result"].problems == []
    clerk.post(reverse("admin:estates_estate_process_import"), confirmation(response))
    assert Estate.objects.get(name="无标识小区").households == 100


def test_the_import_librarys_misspelt_heading_is_ours_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Some rows failed to validate") == "部分行的数据未通过检查"


def test_a_metric_sheet_of_names_and_months_as_a_clerk_writes_it(client):
    """No 网址标识 (the estate by its name), the metric by its short name, a month's date, a
    unit after the number; every problem of a row at once."""
    client.force_login(make_staff("ministry"))
    sheet = (
        "小区名称,指标,数值,日期\r\n"
        "奥正诚园南区,满意度,97.2%,2025年12月\r\n"
        "西长安壹号,维修响应时间,30分钟,2025年\r\n"
        "西长安壹号,投诉率,很多,2099年\r\n"
    ).encode()
    url = reverse("admin:estates_metric_import")
    form = client.get(url).context["form"]
    upload = {
        "resource": 0,
        "format": format_index(form, "csv"),
        "import_file": SimpleUploadedFile("m.csv", sheet),
    }
    response = client.post(url, upload)
    assert response.context["result"].problems == [
        "第 4 行「日期」：日期“2099年”不合理：应在 1949 年到今天之间",
        "第 4 行「数值」：应为数字，例如 1.16，而不是“很多”",
    ]
    upload["import_file"] = SimpleUploadedFile("m.csv", sheet.rsplit(b"\r\n", 2)[0] + b"\r\n")
    response = client.post(url, upload)
    assert response.context["result"].problems == []
    client.post(reverse("admin:estates_metric_process_import"), confirmation(response))
    satisfaction = Metric.objects.get(
        estate__slug="aozhengchengyuannanqu", metric_type__code="satisfaction", is_latest=True
    )
    assert (satisfaction.value, satisfaction.date_precision) == (Decimal("97.20"), "month")
    assert satisfaction.date.strftime("%Y-%m") == "2025-12"
    response_time = Metric.objects.get(
        estate__slug="xichanganyihao", metric_type__code="response_time", date__year=2025
    )
    assert (response_time.value, response_time.date_precision) == (Decimal("30.00"), "year")


def test_a_photo_named_xlsx_is_answered_as_an_unreadable_workbook(clerk):
    photo = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    url = reverse("admin:estates_estate_import")
    form = clerk.get(url).context["form"]
    response = clerk.post(
        url,
        {
            "resource": 0,
            "format": format_index(form, "xlsx"),
            "import_file": SimpleUploadedFile("小区.xlsx", photo),
        },
    )
    assert response.context["result"].problems == [
        "无法按Excel（.xlsx）文件读取：文件可能已损坏，或与所选格式不符。"
        "请用 Excel、WPS 或 LibreOffice 打开后重新保存为 .xlsx 再上传"
    ]
