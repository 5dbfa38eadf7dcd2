"""An editor exports what the ministry sends on, as they would: the result list of a campaign
from the campaign list's actions, as XLSX and CSV, and the estate list from the Chinese export
page; the files carry Chinese names, a title row, the headers, and open in LibreOffice."""

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from estates.models import Campaign

from ..builders import make_staff
from ..test_exports import HEADERS
from ..test_exports import NATIONAL_TITLE as TITLE
from .conftest import log_in, screenshot

pytestmark = pytest.mark.browser

ENGLISH = ["Select all", "This exporter", "Format", "Submit", "Resource", "Name ("]


def libreoffice_csv(path, out):
    """The file as LibreOffice shows it (cells as shown), written out as UTF-8 CSV rows. A CSV
    is opened as UTF-8, what LibreOffice's import dialog is set to for it: headless, without
    the dialog, it would take the system's 8-bit character set."""
    out.mkdir()
    infilter = ["--infilter=CSV:44,34,76,1"] if path.suffix == ".csv" else []
    subprocess.run(
        [
            "soffice",
            "--headless",
            *infilter,
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (written,) = out.glob("*.csv")
    return list(csv.reader(io.StringIO(written.read_text(encoding="utf-8"))))


def export_result_list(page, site, campaign, action):
    page.goto(site + "/admin/estates/campaign/")
    page.check(f"input[name=_selected_action][value='{campaign.pk}']")
    page.select_option("select[name=action]", action)
    with page.expect_download() as download:
        page.click("button[name=index]")
    return download.value


def keep(download, folder):
    path = folder / download.suggested_filename
    path.write_bytes(Path(download.path()).read_bytes())
    return path


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_editor_exports_the_result_list_and_the_estate_list(site, desktop, tmp_path):
    page = desktop
    make_staff("editor", username="editor-exports")
    log_in(page, site, "editor-exports")
    campaign = Campaign.objects.get(slug="quanguo-2021")

    # The action names its format.
    page.goto(site + "/admin/estates/campaign/")
    actions = page.locator("select[name=action] option").all_inner_texts()
    assert "导出入选名单（Excel 表格 .xlsx）" in actions
    assert "导出入选名单（CSV 文本 .csv）" in actions

    xlsx = keep(export_result_list(page, site, campaign, "export_result_list"), tmp_path)
    assert xlsx.name == f"{TITLE}.xlsx"
    sheet = load_workbook(xlsx).active
    assert sheet["A1"].value == TITLE
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:K1"]
    assert [cell.value for cell in sheet[2]] == HEADERS
    assert [cell.value for cell in sheet["D"][2:]] == [
        "双旗杆东里",
        "厂洼街7号院",
        "丽景长安",
        "西长安壹号",
    ]

    csv_file = keep(export_result_list(page, site, campaign, "export_result_list_csv"), tmp_path)
    assert csv_file.name == f"{TITLE}.csv"
    text = csv_file.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == HEADERS
    assert rows[1][:8] == ["1", "北京市", "北京市", "双旗杆东里", "", "407", "", "90.00"]
    assert rows[3][8:10] == ["100.00", "2021年"]

    # LibreOffice opens both as they were written.
    office = libreoffice_csv(xlsx, tmp_path / "from-xlsx")
    assert office[0][0] == TITLE and office[1] == HEADERS
    assert office[2][:8] == ["1", "北京市", "北京市", "双旗杆东里", "", "407", "", "90.00%"]
    office = libreoffice_csv(csv_file, tmp_path / "from-csv")
    assert office[0] == HEADERS
    assert office[2][3] == "厂洼街7号院" and office[2][6] == "1332"

    # The estate list's export page, in Chinese, at 1280 and 390 px.
    page.goto(site + "/admin/estates/estate/")
    page.get_by_role("link", name="导出", exact=True).click()
    page.wait_for_selector(".export-column-list")
    body = page.inner_text("#content")
    assert [word for word in ENGLISH if word in body] == []
    labels = page.locator(".export-column-list label").all_inner_texts()
    assert labels[:3] == ["小区名称", "网址标识", "省份"]
    # 全选 clears and ticks every column.
    page.uncheck("#export-select-all")
    assert page.locator(".export-column-list input:checked").count() == 0
    page.check("#export-select-all")
    assert page.locator(".export-column-list input:not(:checked)").count() == 0
    screenshot(page, "export-page")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "export-page")
    page.set_viewport_size({"width": 1280, "height": 900})

    assert page.input_value("#id_format") == "0"  # xlsx, chosen already
    with page.expect_download() as download:
        page.click("input[type=submit][value='导出文件']")
    estates = keep(download.value, tmp_path)
    assert estates.name == f"小区-{timezone.localdate().isoformat()}.xlsx"
    sheet = load_workbook(estates).active
    assert [cell.value for cell in sheet[1]][:4] == ["小区名称", "网址标识", "省份", "城市"]
    assert sheet.max_row == 6  # the five seed estates
    office = libreoffice_csv(estates, tmp_path / "from-estates")
    assert office[0][:4] == ["小区名称", "网址标识", "省份", "城市"] and len(office) == 6
