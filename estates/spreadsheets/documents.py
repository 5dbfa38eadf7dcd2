"""The provinces' blank estate template with an example and instructions (a campaign's result
list is in results.py)."""

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..models import Estate
from .cells import xml_text
from .formats import deterministic_zip
from .resources import EstateResource, metric_column, metric_date_column

# What each column of the estate sheet means, for the instructions sheet.
COLUMN_HELP = {
    "小区名称": ("必填", "小区的正式名称，如：奥正诚园南区"),
    "网址标识": ("新增时留空", "已有小区的拼音标识；填写则更新该小区，留空则新增"),
    "省份": ("必填", "如：山东省 或 山东"),
    "城市": ("必填", "地级市名称，如：临沂市；直辖市填写如：北京市"),
    "区/县": ("选填", "如：河东区"),
    "街道/镇": ("选填", "如：九曲街道"),
    "社区": ("选填", "如：奥正社区"),
    "地址": ("选填", ""),
    "小区类型": ("选填", "老旧小区、商品住宅、保障性住房、安置房、单位宿舍/房改房、混合类型或其他"),
    "建成年份": ("选填", "四位年份，如 2013；只知道年代时留空"),
    "建成年代": ("选填", "只知道年代时填写，如：上世纪70年代"),
    "楼栋数（栋）": ("选填", "整数，可写作 53 或 53栋"),
    "楼栋说明": ("选填", "如：6栋叠加别墅和47栋电梯花园洋房"),
    "单元数": ("选填", "整数"),
    "户数（户）": ("选填", "整数，可写作 1250、1,250 或 1250户"),
    "居住人数（人）": ("选填", "整数"),
    "占地面积（平方米）": ("选填", "以平方米计；来源以亩计时请换算（1 亩 ≈ 666.67 平方米）"),
    "占地面积以亩显示": ("选填", "是 / 否"),
    "总建筑面积（平方米）": ("选填", "以平方米计"),
    "建筑面积为约数": ("选填", "是 / 否；来源写作“约……”时填“是”"),
    "容积率": ("选填", "如 1.16"),
    "绿化覆盖率（%）": ("选填", "0 到 100，可写作 39、39% 或百分比格式单元格"),
    "物业服务企业": ("选填", "企业全称；名录中没有的会一并新增"),
    "标题语": ("选填", "展示页标题中的一句话"),
    "概况": ("选填", "小区基本情况"),
    "亮点": ("选填", "治理做法与成效"),
    "资料来源": ("选填", "如：推荐材料名称"),
}
UNKNOWN_NOTE = "不知道的数值请留空，不要填 0：留空表示“未知”。"


def province_template():
    """A blank estate sheet, an example row from a seed estate, and an instructions sheet."""
    resource = EstateResource()
    headers = [xml_text(header) for header in resource.get_export_headers()]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "小区"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            12, len(header) * 2 + 2
        )

    example = workbook.create_sheet("示例")
    example.append(headers)
    for cell in example[1]:
        cell.font = Font(bold=True)
    seed = resource.with_latest(Estate.objects.filter(slug="aozhengchengyuannanqu")).first()
    if seed is not None:
        row = resource.export_resource(seed)
        row[headers.index("网址标识")] = ""
        example.append([_plain_cell(value) for value in row])

    guide = workbook.create_sheet("填写说明")
    guide.append(["列名", "是否必填", "怎么填"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    metric_help = _metric_help(resource.metric_types)
    for header in headers:
        required, how = COLUMN_HELP.get(header, ("选填", metric_help.get(header, "")))
        guide.append([header, required, how])
    guide.append([])
    for line in [
        "1. 在“小区”表中每行填写一个小区；“示例”表是一个真实小区的填法。表头之上可以加标题行，"
        "可以加“序号”列；列名最好照抄，常见写法（如“户数”“满意度”）也认得，认不出的列会在导入前列出。",
        "2. " + UNKNOWN_NOTE,
        "3. 导入时会逐行检查：任何一行有问题，整份文件都不会写入，并会列出每个问题所在的行和列"
        "（行号与 Excel、WPS 中看到的一致），还可以下载标注了错误说明的原表格。",
        "4. 省级填报员只能导入本省的小区。",
        "5. 可以上传 .xlsx、.xls、.ods，或 UTF-8、GBK 编码的 .csv 文件。",
    ]:
        guide.append([line])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 12
    guide.column_dimensions["C"].width = 80
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for each in workbook.worksheets:
        for cells in each.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, even "=1+1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_zip(buffer.getvalue())


def _metric_help(metric_types):
    """{header: how to fill it} of each metric's value and 数据截至日期 columns."""
    helps = {}
    for kind in metric_types:
        if kind.is_percentage:
            how = "最新一次的数值，可写作 96.55、96.55% 或百分比格式单元格（不要写 0.9655）"
        else:
            how = f"最新一次的数值，以{kind.unit}计"
        if kind.plausible_min is not None and kind.plausible_max is not None:
            unit = "%" if kind.is_percentage else kind.unit
            low, high = (
                f"{bound.normalize():f}" for bound in (kind.plausible_min, kind.plausible_max)
            )
            how += f"；合理范围 {low}–{high}{unit}，超出时导入会请您核对"
        helps[metric_column(kind)] = how + "；与小区现有的最新值不同时记为新数值，旧值保留"
        helps[metric_date_column(kind)] = (
            "这个数值是哪一天（或哪月、哪年）的数据，如 2025-12-31、2025年12月 或 2025年；"
            "留空时：小区已有该指标数值的，记为导入当日的数据；新小区记为日期不详"
        )
    return helps


def _plain_cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"  # as the instructions say, not TRUE/FALSE
    return float(value) if isinstance(value, Decimal) else xml_text(value)
