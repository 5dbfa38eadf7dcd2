"""A provincial clerk imports the sheet the office sent, as they would: from the estate list,
through the preview that names three mistakes in the sheet's own rows, the marked sheet
downloaded back, the corrected file previewed and confirmed; at 1280 and 390 px."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from estates.models import Estate

from ..builders import make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.browser

SHEETS = Path(__file__).parent.parent / "sheets"


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_clerk_imports_the_offices_sheet_after_fixing_what_the_preview_names(
    site, viewport, request
):
    page = request.getfixturevalue(viewport)
    make_staff("provincial", "shandong", username="sd-clerk")
    log_in(page, site, "sd-clerk")
    page.goto(site + "/admin/estates/estate/")
    page.get_by_role("link", name="导入").first.click()
    page.wait_for_url("**/estate/import/")

    # The office's sheet: a title row, a note, three mistakes on row 6 after a blank row.
    page.set_input_files("#id_import_file", str(SHEETS / "three-mistakes.xlsx"))
    page.locator("form input[type=submit]").first.click()
    page.wait_for_selector(".import-problems")
    body = page.inner_text("#content")
    assert "第 1–2 行在表头之上（标题或说明），未导入" in body
    assert "“物业收缴率”（H 列）没有对应的列，最接近的是“物业费收缴率（%）”" in body
    rows = page.locator("table.import-problems-table tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("th").inner_text() for i in range(3)] == ["6", "6", "6"]
    assert "如果是 96.5%，请填 96.5 或 96.5%" in rows.nth(2).inner_text()
    assert "Traceback" not in body and "None" not in body and "False" not in body
    assert page.locator("input[name=confirm]").count() == 0
    # Headers read on one line, never a character per line.
    heights = page.eval_on_selector_all(
        "table.import-problems-table thead th", "cells => cells.map(c => c.offsetHeight)"
    )
    assert max(heights) < 40
    if viewport == "desktop":
        assert no_horizontal_scroll(page)
    screenshot(page, "import-three-mistakes")

    # The marked sheet comes back with the reasons beside row 6.
    with page.expect_download() as download:
        page.get_by_role("link", name="下载标注了错误说明的表格").click()
    marked = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert marked.cell(3, marked.max_column).value == "错误说明"
    assert "年份“213”不合理" in marked.cell(6, marked.max_column).value

    # The corrected sheet (as the office sends it again): previewed in its own rows, confirmed.
    page.set_input_files("#id_import_file", str(SHEETS / "title-rows.xlsx"))
    page.locator("form input[type=submit]").first.click()
    page.wait_for_selector("table.import-sheet")
    preview = page.locator("table.import-sheet")
    assert [preview.locator("tbody tr").nth(i).locator("th").inner_text() for i in range(2)] == [
        "4",
        "6",
    ]
    headers = preview.locator("thead th").all_inner_texts()
    assert headers[:4] == ["行", "导入后", "小区名称", "省份"]
    assert "满意度" in headers and "户数" in headers  # the sheet's own names
    assert "None" not in preview.inner_text()
    screenshot(page, "import-preview-title-rows")
    page.locator("input[name=confirm]").click()
    page.wait_for_url("**/estate/")
    assert "导入成功：新增 2 条，更新 0 条，未变 0 条。" in page.inner_text(".messagelist")
    assert Estate.objects.get(name="泉城花园").city.name == "济南市"
