"""Finding the table in a sheet as provinces lay it out, and naming its columns.

A clerk's sheet may have a title row, notes or a merged banner above the header; a 序号 column;
columns of its own; notes and a 合计 row below the data; hidden columns; cells merged down
over several rows (one 省份 for a province's estates). Headers are written as people write
them: 户数 for 户数（户）, 满意度 for 业主满意度（%）, half- or full-width brackets, the English
code.

`lay_out()` finds the header row, maps each column to the import's own header, and returns the
data rows with the row numbers the clerk sees (header and blank rows counted), what was left
out and why, and what makes the file unusable (a required column missing, two columns for one
field). Nothing here touches the database.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import tablib
from openpyxl.utils import get_column_letter

from .cells import is_blank

# The header is looked for among the sheet's first rows.
HEADER_SEARCH_ROWS = 30
# Columns that number the rows for the clerk's own use: never imported, listed as ignored.
NUMBERING = {"序号", "编号", "排序", "no", "no.", "行号", "序"}
# A row below the data whose only text starts so is a note, not an estate.
NOTE_STARTS = (
    *("注", "说明", "备注", "填表", "填报", "制表", "审核", "联系", "数据来源"),
    *("※", "*", "＊"),
)
TOTALS = {"合计", "总计", "小计", "合 计", "总 计"}
UNITS = re.compile(r"[(\[【（［][^)\]】）］]*[)\]】）］]")


def header_key(text):
    """What is compared of a header: width, case, spaces and bracket shapes ignored."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"\s+", "", text).lower()
    return text.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")


def base_key(text):
    """A header without its unit: 户数（户） → 户数, 物业费收缴率% → 物业费收缴率."""
    key = UNITS.sub("", header_key(text))
    key = re.sub(r"[/:：]?(单位)?[:：]?(%|％|㎡|m²|平方米|平米|户|人|栋|个|亩|分钟)$", "", key)
    return key.strip("/:：")


@dataclass
class Columns:
    """The columns an import knows: its own headers in order, the other names people give
    them, which must be present, and which may be missing and are then added empty."""

    headers: list
    aliases: dict = field(default_factory=dict)  # header: [other names]
    required: set = field(default_factory=set)  # headers, or tuples of alternatives
    filled_when_missing: set = field(default_factory=set)

    def __post_init__(self):
        self.exact = {}
        self.base = {}
        for header in self.headers:
            for name in [header, *self.aliases.get(header, [])]:
                self.exact.setdefault(header_key(name), header)
                self.base.setdefault(base_key(name), set()).add(header)

    def position(self, need):
        """Where a required column (or the first of alternatives) stands among the headers."""
        first = need[0] if isinstance(need, tuple) else need
        return self.headers.index(first) if first in self.headers else len(self.headers)

    def match(self, text):
        """The import's header a sheet's header stands for, or None."""
        key = header_key(text)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        found = self.base.get(base_key(text), set())
        if len(found) == 1:
            return next(iter(found))
        # 满意度 for 业主满意度, 收缴率 for 物业费收缴率: a unique ending of two or more characters.
        short = base_key(text)
        if len(short) >= 2:
            endings = {
                header
                for name, headers in self.base.items()
                if name.endswith(short)
                for header in headers
            }
            if len(endings) == 1:
                return next(iter(endings))
        return None

    def nearest(self, text):
        """The known header closest to an unknown one, for "您是否要填…"."""
        short = base_key(text)
        if not short:
            return None
        names = {base_key(header): header for header in self.headers}
        close = difflib.get_close_matches(short, list(names), n=1, cutoff=0.4)
        if close:
            return names[close[0]]
        containing = [header for name, header in names.items() if short in name or name in short]
        return containing[0] if containing else None


@dataclass
class Layout:
    dataset: tablib.Dataset
    sheet_name: str = ""  # empty for a CSV
    from_file: bool = False  # read from a file (a dataset made in code is not)
    header_row: int = 0  # the header's row number in the sheet (1-based); 0 when not found
    row_numbers: list = field(default_factory=list)  # the sheet's row number of each data row
    given_headers: dict = field(default_factory=dict)  # import header: the sheet's own header
    notices: list = field(default_factory=list)  # what was left out, before anything imports
    problems: list = field(default_factory=list)  # what makes the file unusable

    def with_problem(self, text):
        self.problems = [Problem(text)]
        return self


class Problem(str):
    """A problem's text, with the sheet row (and column header) it belongs to, so that the
    clerk's sheet can be handed back with each row's problems beside it."""

    def __new__(cls, text, row=None, column=None, message=None):
        problem = super().__new__(cls, text)
        problem.row = row
        problem.column = column
        problem.message = message or text  # without "第 N 行「列」："
        return problem


def column_label(index):
    return f"{get_column_letter(index + 1)} 列"


def lay_out(sheets, columns):
    """The Layout of the best-matching sheet of a workbook (see the module's docstring)."""
    if not sheets or not any(sheet.rows for sheet in sheets):
        return Layout(tablib.Dataset(), problems=[Problem("文件是空的：没有找到任何数据")])
    scored = [(_find_header(sheet, columns), index, sheet) for index, sheet in enumerate(sheets)]
    (score, header_index), _index, sheet = max(scored, key=lambda item: (item[0][0], -item[1]))
    if score < min(2, len(columns.headers)):
        required = sorted(columns.required, key=columns.position)[:3]
        example = "”“".join(need[0] if isinstance(need, tuple) else need for need in required)
        return Layout(
            tablib.Dataset(),
            problems=[
                Problem(
                    f"找不到表头：前 {HEADER_SEARCH_ROWS} 行中没有一行写着“{example}”等列名。"
                    "请使用填报模板（表头之上可以有标题行），不要删改列名；CSV 文件请确认"
                    "用 UTF-8 或 GBK 编码保存"
                )
            ],
        )
    layout = Layout(tablib.Dataset(), sheet_name=sheet.name, header_row=header_index + 1)
    if len([s for s in sheets if s.rows]) > 1:
        layout.notices.append(f"只读取了工作表“{sheet.name}”，其他工作表未导入")
    rows = _filled_merges(sheet)
    above = [number + 1 for number in range(header_index) if not _blank_row(rows[number])]
    if above:
        layout.notices.append(f"{_spans(above)}在表头之上（标题或说明），未导入")
    mapping = _map_columns(rows[header_index], sheet, columns, layout)
    if layout.problems:
        return layout
    headers = list(mapping.values())
    missing_filled = [h for h in columns.filled_when_missing if h not in headers]
    dataset = tablib.Dataset(headers=headers + missing_filled)
    notes = []
    for number in range(header_index + 1, len(rows)):
        cells = rows[number]
        values = [cells[c] if c < len(cells) else None for c in mapping]
        if all(is_blank(value) for value in values):
            # Blank rows, and a template's pre-numbered empty rows (序号 only), are skipped;
            # a text only in a column not imported (a note under the 序号 column) is listed.
            if any(isinstance(value, str) and not is_blank(value) for value in cells):
                notes.append(number + 1)
            continue
        if _is_note(cells, mapping):
            notes.append(number + 1)
            continue
        dataset.append(values + [None] * len(missing_filled))
        layout.row_numbers.append(number + 1)
    if notes:
        layout.notices.append(f"{_spans(notes)}是说明或合计，未导入")
    layout.dataset = dataset
    return layout


def _find_header(sheet, columns):
    """(number of known headers, row index) of the row that names the most columns."""
    best = (0, 0)
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        known = {columns.match(value) for value in row if isinstance(value, str)} - {None}
        if len(known) > best[0]:
            best = (len(known), index)
    return best


def _filled_merges(sheet):
    """The rows with a value merged down over several rows given to each of those rows (one
    省份 cell for a province's estates means that province on every row)."""
    rows = [list(row) for row in sheet.rows]
    for first_row, last_row, first_column, _last_column in sheet.merged:
        if last_row == first_row or first_row >= len(rows):
            continue
        row = rows[first_row]
        value = row[first_column] if first_column < len(row) else None
        for number in range(first_row + 1, min(last_row, len(rows) - 1) + 1):
            cells = rows[number]
            cells.extend([None] * (first_column + 1 - len(cells)))
            if cells[first_column] is None:
                cells[first_column] = value
    return rows


def _map_columns(header_cells, sheet, columns, layout):
    """{column index: import header}; what is left out goes to layout.notices, what makes the
    file unusable to layout.problems."""
    mapping, ignored, hidden, by_header = {}, [], [], {}
    for index, value in enumerate(header_cells):
        given = str(value).strip() if value is not None else ""
        if index in sheet.hidden_columns:
            if given:
                hidden.append(f"“{given}”（{column_label(index)}）")
            continue
        if not given:
            continue
        header = columns.match(given)
        if header is None:
            ignored.append(_ignored(given, index, columns))
            continue
        if header in by_header:
            first = by_header[header]
            layout.problems.append(
                Problem(
                    f"第 {layout.header_row} 行：“{layout.given_headers[header]}”"
                    f"（{column_label(first)}）和“{given}”（{column_label(index)}）都是"
                    f"“{header}”列，请只保留一列",
                    row=layout.header_row,
                )
            )
            continue
        by_header[header] = index
        mapping[index] = header
        layout.given_headers[header] = given
    if ignored:
        layout.notices.append("已忽略的列（其中的数据不会导入）：" + "；".join(ignored))
    if hidden:
        layout.notices.append("隐藏的列未导入：" + "、".join(hidden))
    missing = []
    for need in sorted(columns.required, key=lambda need: columns.position(need)):
        choices = need if isinstance(need, tuple) else (need,)
        if not any(header in by_header for header in choices):
            missing.append("或".join(f"“{header}”" for header in choices))
    if missing:
        names = "、".join(missing)
        layout.problems.append(
            Problem(
                f"第 {layout.header_row} 行（表头）缺少必填的列：{names}。"
                "请按填报模板补上这些列，列名写在表头这一行",
                row=layout.header_row,
            )
        )
    return mapping


def _ignored(given, index, columns):
    where = f"“{given}”（{column_label(index)}）"
    if header_key(given) in NUMBERING:
        return f"{where}是序号，不导入"
    nearest = columns.nearest(given)
    if nearest:
        return f"{where}没有对应的列，最接近的是“{nearest}”；如是此列，请把列名改为“{nearest}”"
    return f"{where}没有对应的列"


def _blank_row(cells):
    return all(is_blank(value) for value in cells)


def _is_note(cells, mapping):
    """A row below the data with one text only, which reads as a note or a total."""
    filled = [(index, value) for index, value in enumerate(cells) if not is_blank(value)]
    if len(filled) != 1 and not (filled and str(filled[0][1]).strip() in TOTALS):
        return False
    index, value = filled[0]
    text = str(value).strip()
    return text in TOTALS or text.startswith(NOTE_STARTS) or index not in mapping


def _spans(numbers):
    """[1, 2, 3, 7] → '第 1–3、7 行'."""
    spans, start, previous = [], numbers[0], numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        spans.append(f"{start}–{previous}" if previous != start else f"{start}")
        if number is not None:
            start = previous = number
    return f"第 {'、'.join(spans)} 行"
