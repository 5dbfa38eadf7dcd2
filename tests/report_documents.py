"""Word reports as provinces write them, built for the report tests from the seed's Linyi
report (../shared/seeds/003_*.txt, copied into the tests as tests/data/linyi_report.txt)."""

import io
import re
from pathlib import Path

import docx

LINYI = Path(__file__).parent / "data" / "linyi_report.txt"
SECTION = re.compile(r"^[一二三四五六七八九十]+、")
ITEM = re.compile(r"^[（(]([一二三四五六七八九十]+)[)）]")


def linyi_lines():
    return [line for line in LINYI.read_text(encoding="utf-8").splitlines() if line.strip()]


def _save(document):
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def linyi_docx():
    """The Linyi report with headings as in the seed: the title, 一、… in 标题 1, the nine
    requirements' headings in 标题 2 on lines of their own, and each activity's heading at the
    start of its paragraph, in plain text, as the seed has them."""
    document = docx.Document()
    section = None
    for number, line in enumerate(linyi_lines()):
        if number == 0:
            document.add_paragraph(line, style="Title")
        elif SECTION.match(line):
            section = line
            document.add_heading(line, level=1)
        elif ITEM.match(line) and "原则要求" in (section or ""):
            document.add_heading(line, level=2)
        else:
            document.add_paragraph(line)
    return _save(document)


# The Linyi report as another province would write it: headings in bold body text, not in
# heading styles, requirements numbered 一是/二是 and worded in the province's own words,
# the body indented with full-width spaces, activities' headings on lines of their own.
REWORDED_CRITERIA = [
    "党建引领物业管理作用发挥情况",
    "业主大会、业委会运行情况",
    "多方参与的协调运行机制",
    "相关部门职责落实情况",
    "专业化物业管理情况",
    "小区环境整洁与绿色社区创建",
    "物业费收取规范情况",
    "业主满意度情况",
    "文明创建、志愿服务活动开展情况",
]
NUMERALS = "一二三四五六七八九十"


def bold_paragraph(document, text, body=""):
    paragraph = document.add_paragraph()
    paragraph.add_run(text).bold = True
    if body:
        paragraph.add_run(body)
    return paragraph


def second_style_docx():
    """Returns (bytes, {("criterion"|"activity", number): expected text})."""
    document = docx.Document()
    expected = {}
    bold_paragraph(document, "奥正诚园南区小区“美好家园”创建推荐材料")
    lines = linyi_lines()
    section = None
    criterion = activity = 0
    for line in lines[1:]:
        if SECTION.match(line):
            section = line
            title = {
                "一": "一、小区概况",
                "二": "二、落实“美好家园”原则要求情况",
                "三": "三、开展8个“一”规定活动情况",
                "四": "四、主要成效",
            }[line[0]]
            bold_paragraph(document, title)
            continue
        match = ITEM.match(line)
        if match and "原则要求" in section:
            criterion += 1
            continue  # the heading is written with its first paragraph, below
        if match and "8个" in section:
            activity += 1
            heading, _, body = line[match.end() :].partition("。")
            bold_paragraph(document, f"{NUMERALS[activity - 1]}是{heading}。")
            document.add_paragraph("\u3000\u3000" + body)
            expected[("activity", activity)] = body
            continue
        if "原则要求" in (section or "") and criterion:
            bold_paragraph(
                document, f"{NUMERALS[criterion - 1]}是{REWORDED_CRITERIA[criterion - 1]}。", line
            )
            expected[("criterion", criterion)] = line
            continue
        document.add_paragraph("\u3000\u3000" + line)
    return _save(document), expected


def numbered_headings_docx(criteria_titles, texts):
    """Headings numbered by Word itself (a list style): no （一） in their text."""
    document = docx.Document()
    document.add_paragraph("推荐材料", style="Title")
    document.add_heading("二、满足“美好家园”小区原则要求情况", level=1)
    for title, text in zip(criteria_titles, texts, strict=True):
        paragraph = document.add_paragraph(title, style="List Number")
        paragraph.runs[0].bold = True
        document.add_paragraph(text)
    return _save(document)
