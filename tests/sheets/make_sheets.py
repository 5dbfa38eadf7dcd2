"""Writes the test sheets of tests/test_import_sheets.py the way provinces' programs write them.

Each sheet is laid out as a clerk lays it out (title rows, a 序号 column, notes below, merged
cells, hidden columns, percent-formatted cells, their own header names) with openpyxl, then
saved again by LibreOffice (`soffice --headless --convert-to`) as .xlsx, .xls (old Excel) and
.ods, so the files are LibreOffice's own; the CSVs are written as old Excel writes them (GBK
without BOM) or as WPS does (UTF-8 with BOM). The files are committed: run this only to change
them (it needs LibreOffice):

    .venv/bin/python tests/sheets/make_sheets.py
"""

import csv
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
WORD_TEXT = (
    "　　小区建立“红色物业”机制，党支部、业委会、物业企业每月召开联席会议。\n"
    "　　2023年，业主满意度达到96.5%。"
)


def titled(sheet, title, width):
    """A merged banner title and a note row above the header, as offices send them."""
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(
        ["填报单位：山东省住房和城乡建设厅（盖章）", None, None, None, "填报日期：2026年11月"]
    )


def title_rows():
    """Valid: banner + note above the header, 序号, headers as clerks write them, a blank row,
    a note and a total below; 济南 for 济南市; a percent-formatted cell; Word text."""
    book = Workbook()
    sheet = book.active
    sheet.title = "推荐汇总"
    header = ["序号", "小区名称", "省份", "城市", "区县", "户数", "满意度", "物业费收缴率", "概况"]
    titled(sheet, "2026年山东省美好家园推荐小区汇总表", len(header))
    sheet.append(header)
    sheet.append([1, "泉城花园", "山东", "济南", "历下区", 1280, 0.965, 98.2, WORD_TEXT])
    sheet["G4"].number_format = "0.0%"
    sheet.append([])
    sheet.append([2, "绿都家园", "山东省", "临沂市", "兰山区", "860户", "97.2%", "99.10%", ""])
    sheet.append([])
    sheet.append(["合计", None, None, None, None, 2140])
    sheet.append(["注：满意度、收缴率为2025年数据。"])
    return book


def three_mistakes():
    """Refused: after a blank row, 户数 typed as text, satisfaction 0.965 in a plain cell, year
    213; an unknown column and one with a near name."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    header = [
        "小区名称",
        "省份",
        "城市",
        "建成年份",
        "户数（户）",
        "业主满意度",
        "联系电话",
        "物业收缴率",
    ]
    titled(sheet, "山东省推荐小区", len(header))
    sheet.append(header)
    sheet.append(["金都花园", "山东省", "青岛市", 2008, 1500, 95, "0531-88886666", 97])
    sheet.append([])
    sheet.append(["银座小区", "山东省", "青岛市", 213, "很多", 0.965, "", 98])
    sheet.append(["和谐家园", "山东省", "临沂市", 2015, 700, 92, "", 96])
    return book


def merged_provinces():
    """Valid, saved as old Excel (.xls): 省份 merged down over three rows; percent cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = "小区"
    sheet.append(["小区名称", "省份", "城市", "户数（户）", "业主满意度（%）", "物业费收缴率（%）"])
    sheet.append(["重华园", "山东省", "青岛市", 560, 0.955, 0.99])
    sheet.append(["长安里", None, "临沂市", 430, 0.91, 0.975])
    sheet.append(["乐园小区", None, "济南市", 380, 0.93, 1])
    sheet.merge_cells("B2:B4")
    for row in sheet.iter_rows(min_row=2, min_col=5, max_col=6):
        for cell in row:
            cell.number_format = "0.0%"
    return book


def hidden_column():
    """Valid, as .ods: a hidden working column and a 备注 column are left out and listed."""
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(["小区名称", "省份", "城市", "内部编号", "户数（户）", "备注"])
    sheet.append(["朝阳小区", "山东省", "临沂市", "LY-0031", 320, "已实地核查"])
    sheet.column_dimensions["D"].hidden = True
    return book


def metric_sheet():
    """Refused: the metric sheet with 96.5% (accepted), −5 and an unknown code."""
    book = Workbook()
    sheet = book.active
    sheet.title = "指标"
    sheet.append(["小区网址标识", "指标代码", "数值", "日期"])
    sheet.append(["aozhengchengyuannanqu", "satisfaction", "96.5%", "2025-12-31"])
    sheet.append(["aozhengchengyuannanqu", "fee_collection", -5, "2025-12-31"])
    sheet.append(["aozhengchengyuannanqu", "满意率", 90, "2025-12-31"])
    return book


def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def main():
    if shutil.which("soffice") is None:
        sys.exit("LibreOffice (soffice) is needed to write these sheets")
    made = {
        "title-rows.xlsx": title_rows(),
        "three-mistakes.xlsx": three_mistakes(),
        "merged-provinces.xls": merged_provinces(),
        "hidden-column.ods": hidden_column(),
        "metric-mistakes.xlsx": metric_sheet(),
    }
    with tempfile.TemporaryDirectory() as work:
        for name, book in made.items():
            source = Path(work) / (Path(name).stem + "-source.xlsx")
            book.save(source)
            target = Path(name).suffix.lstrip(".")
            subprocess.run(
                ["soffice", "--headless", "--convert-to", target, "--outdir", work, str(source)],
                check=True,
                capture_output=True,
            )
            shutil.copy(Path(work) / (source.stem + "." + target), HERE / name)
    # Old Excel's "CSV (逗号分隔)" on a Chinese Windows: GBK, no BOM, a title row.
    gbk = [
        ["2026年推荐小区名单"],
        ["小区名称", "省份", "城市", "户数", "业主满意度（%）"],
        ["华都苑", "山东省", "济南市", "1,020", "94.6"],
    ]
    (HERE / "old-excel-gbk.csv").write_bytes(csv_text(gbk).encode("gbk"))
    # WPS's CSV (UTF-8 with BOM), without the 城市 column.
    (HERE / "no-city.csv").write_bytes(
        (
            "\ufeff" + csv_text([["小区名称", "省份", "户数"], ["新建小区", "山东省", "100"]])
        ).encode()
    )
    # LibreOffice's CSV (UTF-8 without BOM): an estate that exists, a city of another
    # province, a misspelt city, a fee collection of 1.
    mistakes = [
        ["小区名称", "省份", "城市", "户数（户）", "物业费收缴率（%）"],
        ["奥正诚园南区", "山东省", "临沂市", "1250", "98.6"],
        ["姑苏人家", "山东省", "苏州市", "300", "95"],
        ["泉水人家", "山东省", "济楠", "410", "1"],
    ]
    (HERE / "libreoffice-utf8.csv").write_bytes(csv_text(mistakes).encode())
    # A CSV saved in Big5 (traditional Chinese): neither UTF-8 nor GBK.
    (HERE / "big5.csv").write_bytes(
        csv_text([["小區名稱", "省份", "城市"], ["幸福社區", "山東省", "臨沂市"]]).encode("big5")
    )


if __name__ == "__main__":
    main()
