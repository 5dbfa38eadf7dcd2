"""Property-based tests of the spreadsheet importer: the cell parsers on any value, and whole
files through the real import paths (the admin's preview and confirmation, run_import, the
import_estates command). Whatever a file holds: never a server error, never a partial write,
and every problem reported as "第 N 行「列」：…" in Chinese, naming the spreadsheet row."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from estates.models import City, Estate
from estates.spreadsheets import cells
from estates.spreadsheets.formats import SafeCSV
from estates.spreadsheets.importing import run_import
from estates.spreadsheets.resources import EstateResource, MechanismResource, MetricResource

from .builders import make_estate, make_staff
from .fuzzing import FUZZ, HOSTILE, changed_tables, is_chinese, rolled_back, snapshot
from .test_spreadsheet_admin import format_index

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

# The parsers are pure functions: many more examples cost almost nothing.
MANY = settings(FUZZ, max_examples=300)
PROBLEM = re.compile(r"^第 (\d+) 行「([^」]+)」：(.+)$", re.S)

# --- the cell parsers, on anything a cell can hold -------------------------------------------

any_cell = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(HOSTILE),
    st.sampled_from(["%", " % ", "1e30", "1E+999999", "sNaN", "-0", "１２５０户", "1,250", "²"]),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
)

PARSERS = [
    cells.parse_decimal,
    cells.parse_count,
    cells.parse_percent,
    cells.parse_date,
    cells.parse_bool,
]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda parse: parse.__name__)
@MANY
@given(value=any_cell)
def test_a_parser_reads_a_cell_or_says_in_chinese_why_not(parse, value):
    try:
        result = parse(value)
    except cells.CellError as error:
        assert is_chinese(error), str(error)
        return
    if parse is cells.parse_bool:
        assert isinstance(result, bool)
    elif result is not None:
        expected = {
            cells.parse_decimal: Decimal,
            cells.parse_count: int,
            cells.parse_percent: Decimal,
            cells.parse_date: datetime.date,
        }[parse]
        assert isinstance(result, expected)
        if parse is cells.parse_percent:
            assert Decimal(0) <= result <= Decimal(100)
            assert result.as_tuple().exponent == -2
        if parse is cells.parse_count:
            assert result >= 0


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@MANY
@given(
    number=st.integers(0, 10**9),
    full_width=st.booleans(),
    grouped=st.booleans(),
    unit=st.sampled_from(["", "户", "人", "栋", " 户"]),
    spaces=st.sampled_from(["", " ", "\u3000"]),
)
def test_counts_are_read_however_they_are_typed(number, full_width, grouped, unit, spaces):
    text = f"{number:,}" if grouped else str(number)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert cells.parse_count(f"{spaces}{text}{unit}{spaces}") == number


@MANY
@given(value=st.decimals(0, 100, places=2), percent_sign=st.booleans())
def test_percentages_are_read_with_or_without_the_sign(value, percent_sign):
    assert cells.parse_percent(f"{value}%" if percent_sign else str(value)) == value


@MANY
@given(text=st.one_of(st.text(), st.sampled_from(HOSTILE), st.from_regex(r"\A'*[=+\-@\t\r].*")))
def test_formula_text_is_defused_for_csv_and_restored_exactly(text):
    defused = cells.defuse(text)
    assert not defused.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cells.restore(defused) == text


# --- whole files -----------------------------------------------------------------------------

HEADERS = [
    "小区名称",
    "网址标识",
    "省份",
    "城市",
    "户数（户）",
    "建成年份",
    "业主满意度（%）",
    "绿化覆盖率（%）",
    "小区类型",
    "物业服务企业",
    "标题语",
    "概况",
]
GOOD = {
    "小区名称": st.text(min_size=1, max_size=30).filter(lambda s: s.strip() and "\x00" not in s),
    "网址标识": st.just(""),
    "省份": st.sampled_from(["山东省", "山东", " 山东省 "]),
    "城市": st.just("临沂市"),
    "户数（户）": st.sampled_from(["1250", "1,250", "１２５０", "1250户", "", 800]),
    "建成年份": st.sampled_from(["2013", 2013, ""]),
    "业主满意度（%）": st.sampled_from(["96.55%", "96.55", " 96.55 ", "", 95]),
    "绿化覆盖率（%）": st.sampled_from(["39%", "39", ""]),
    "小区类型": st.sampled_from(["老旧小区", "商品住宅", ""]),
    "物业服务企业": st.sampled_from(["", "临沂奥正物业服务有限公司", "新物业公司"]),
    "标题语": st.text(max_size=40).filter(lambda s: "\x00" not in s),
    "概况": st.text(max_size=200).filter(lambda s: "\x00" not in s),
}
BAD = {
    "小区名称": ["", "名" * 101, "奥正诚园南区", "a\x00b"],
    # (An unknown slug is no mistake: the row is a new estate with that slug.)
    "网址标识": ["lijingchangan", "not a slug!", "x\x00"],
    "省份": ["火星省", "北京市", "", "山东省\x00"],
    "城市": ["不存在市", "北京市", "", "临沂市\x00"],
    "户数（户）": ["很多", "-5", "1e30", "%", "12.5", "99999999999999999999"],
    "建成年份": ["2999", "1500", "去年", "0"],
    "业主满意度（%）": ["101", "%", "abc", "-1", "1E+999999"],
    "绿化覆盖率（%）": ["150%", "sNaN", "一半"],
    "小区类型": ["豪宅", "<script>"],
    "物业服务企业": ["公" * 150, "公司\x00"],
    "标题语": ["长" * 101, "t\x00"],
    "概况": ["a\x00b"],
}
ROW_COUNT = st.integers(1, 4)


@st.composite
def estate_files(draw, kind):
    """(rows, bad): rows of the estate sheet; bad says which rows were given a wrong cell.
    (An XLSX file cannot hold a NUL, so its wrong cells have none.)"""
    rows, bad = [], []
    clean = draw(st.booleans())  # half the files are meant to go through
    for _ in range(draw(ROW_COUNT)):
        row = {column: draw(values) for column, values in GOOD.items()}
        wrong = set() if clean else draw(st.sets(st.sampled_from(HEADERS), max_size=2))
        for column in list(wrong):
            choices = [v for v in BAD[column] if kind == "csv" or "\x00" not in v]
            if choices:
                row[column] = draw(st.sampled_from(choices))
            else:
                wrong.discard(column)
        rows.append([row[column] for column in HEADERS])
        bad.append(bool(wrong))
    return rows, bad


def csv_bytes(headers, rows):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(headers, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        # Excel itself cannot hold control characters in a cell.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILE_FORMATS = {"csv": csv_bytes, "xlsx": xlsx_bytes}


def as_written(text, kind):
    """A text cell as the admin reads it back: every line break as \\n (XLSX is XML; an
    uploaded CSV is read as text with universal newlines), and XLSX without the control
    characters it cannot hold."""
    if kind == "xlsx":
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def problem_lines_are_clear(problems, row_count, headers):
    for problem in problems:
        assert is_chinese(problem), problem
        match = PROBLEM.match(problem)
        assert match, f"not 第 N 行「列」：…: {problem!r}"
        row, column, _message = match.groups()
        assert 2 <= int(row) <= row_count + 1, problem
        assert column in headers, problem


def upload(client, data, kind):
    url = reverse("admin:estates_estate_import")
    form = client.get(url).context["form"]
    return client.post(
        url,
        {
            "resource": 0,
            "format": format_index(form, kind),
            "import_file": SimpleUploadedFile(f"estates.{kind}", data),
        },
    )


@pytest.fixture
def shandong(client):
    client.force_login(make_staff("provincial", "shandong"))
    return client


@pytest.mark.parametrize("kind", FILE_FORMATS)
def test_admin_import_previews_writes_nothing_and_names_every_problem(shandong, kind):
    @FUZZ
    @given(file=estate_files(kind))
    def check(file):
        rows, bad = file
        with rolled_back():
            before = snapshot()
            preview = upload(shandong, FILE_FORMATS[kind](HEADERS, rows), kind)
            assert preview.status_code == 200
            assert changed_tables(before, snapshot()) == [], "a preview wrote something"
            result = preview.context["result"]
            problems = result.problems
            problem_lines_are_clear(problems, len(rows), HEADERS)
            body = preview.content.decode()
            for problem in problems:  # in the table: the row, the column, the message
                assert escape(problem.message) in body
                if problem.column:
                    assert f'<th scope="row">{problem.row}</th>' in body
                    assert escape(problem.column) in body
            if any(bad):
                assert problems, "a wrong cell went through"
            if problems:
                assert preview.context.get("confirm_form") is None
                return
            confirm = preview.context["confirm_form"]
            data = {
                name: confirm.initial.get(name, f.initial) for name, f in confirm.fields.items()
            }
            done = shandong.post(reverse("admin:estates_estate_process_import"), data)
            assert done.status_code == 302
            written = [as_written(row[0], kind) for row in rows]
            names = {name.strip() for name in written}
            saved = Estate.objects.filter(name__in=names, city__slug="linyi")
            assert saved.count() - before_count(before, names) == len(rows)

    check()


def before_count(before, names):
    """Estates of these names in Linyi before the import (the file may repeat a seed name)."""
    linyi = City.objects.get(slug="linyi").pk
    columns = [f.attname for f in Estate._meta.concrete_fields]
    name_at, city_at = columns.index("name"), columns.index("city_id")
    return sum(
        1 for row in before["estates.Estate"] if row[name_at] in names and row[city_at] == linyi
    )


def test_unreadable_files_are_refused_in_chinese(shandong):
    @FUZZ
    @given(
        data=st.one_of(
            st.binary(max_size=200),
            st.just(b"PK\x03\x04broken zip"),
            st.just("小区名称\n".encode("gbk")),
        ),
        kind=st.sampled_from(list(FILE_FORMATS)),
    )
    def check(data, kind):
        with rolled_back():
            before = snapshot()
            response = upload(shandong, data, kind)
            assert response.status_code == 200
            assert changed_tables(before, snapshot()) == []
            form = response.context["form"]
            messages = [str(m) for m in form.errors.get("import_file", [])]
            result = response.context.get("result")
            problems = getattr(result, "problems", []) if result else []
            for message in messages + problems:
                assert is_chinese(message), message

    check()


def test_a_row_refused_at_confirmation_leaves_the_others_unwritten(shandong):
    """Between the preview and the confirmation someone adds the same estate: the file
    must then write nothing, not every row but that one."""
    rows = [["确认前新增甲", "", "山东省", "临沂市"], ["确认前新增乙", "", "山东省", "临沂市"]]
    preview = upload(shandong, csv_bytes(HEADERS[:4], rows), "csv")
    confirm = preview.context["confirm_form"]
    data = {name: confirm.initial.get(name, f.initial) for name, f in confirm.fields.items()}
    linyi = City.objects.get(slug="linyi")
    make_estate(name="确认前新增乙", province=linyi.province, city=linyi)
    before = snapshot()
    done = shandong.post(reverse("admin:estates_estate_process_import"), data)
    assert done.status_code == 302
    assert changed_tables(before, snapshot()) == []
    messages = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("第 3 行「小区名称」" in m for m in messages), messages
    assert all(is_chinese(m) for m in messages)


def test_a_file_without_the_id_column_is_refused_in_chinese():
    dataset = SafeCSV().create_dataset(
        csv_bytes(["小区名称", "省份", "城市"], [["甲", "山东", "临沂市"]])
    )
    _result, problems = run_import(MetricResource(), dataset)
    assert problems and all(is_chinese(p) for p in problems), problems


@pytest.mark.parametrize("kind", FILE_FORMATS)
def test_import_command_writes_all_or_nothing(tmp_path, kind):
    path = tmp_path / f"estates.{kind}"
    staff = make_staff("provincial", "shandong")

    @FUZZ
    @given(file=estate_files(kind))
    def check(file):
        rows, bad = file
        path.write_bytes(FILE_FORMATS[kind](HEADERS, rows))
        with rolled_back():
            before = snapshot()
            out = io.StringIO()
            try:
                call_command(
                    "import_estates",
                    str(path),
                    as_user=staff.username,
                    stdout=out,
                    stderr=io.StringIO(),
                )
            except CommandError as error:
                assert is_chinese(error)
                assert changed_tables(before, snapshot()) == []
                problem_lines_are_clear(out.getvalue().splitlines(), len(rows), HEADERS)
                return
            assert not any(bad), "a wrong cell went through"
            assert "导入完成" in out.getvalue()

    check()


METRIC_HEADERS = ["小区网址标识", "指标代码", "数值", "日期", "日期精度", "先后次序", "数据说明"]
MECHANISM_HEADERS = ["小区网址标识", "机制类别标识", "名称", "做法", "排列顺序"]
metric_rows = st.lists(
    st.tuples(
        st.sampled_from(["aozhengchengyuannanqu", "lijingchangan", "no-such", "", "x\x00"]),
        st.sampled_from(["satisfaction", "complaint_rate", "nope", ""]),
        st.sampled_from(["95", "96.5%", "150", "-1", "abc", "1e30", ""]),
        st.sampled_from(["2022-12-31", "2022年6月30日", "2999-01-01", "昨天", ""]),
        st.sampled_from(["日", "年", "day", "世纪", ""]),
        st.sampled_from(["0", "1", "", "第一", "-2"]),
        st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE)),
    ).map(list),
    min_size=1,
    max_size=4,
)
mechanism_rows = st.lists(
    st.tuples(
        st.sampled_from(["aozhengchengyuannanqu", "lijingchangan", "no-such", ""]),
        st.sampled_from(["dangjianyinling", "kaifangri", "nope", ""]),
        st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE)),
        st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE)),
        st.sampled_from(["0", "3", "abc", "-1", ""]),
    ).map(list),
    min_size=1,
    max_size=4,
)


@pytest.mark.parametrize(
    ("resource", "headers", "rows"),
    [
        (MetricResource, METRIC_HEADERS, metric_rows),
        (MechanismResource, MECHANISM_HEADERS, mechanism_rows),
    ],
    ids=["metrics", "mechanisms"],
)
def test_row_sheets_write_all_or_nothing_with_clear_problems(resource, headers, rows):
    user = make_staff("provincial", "shandong")

    @FUZZ
    @given(rows=rows)
    def check(rows):
        with rolled_back():
            before = snapshot()
            dataset = SafeCSV().create_dataset(csv_bytes(headers, rows))
            _result, problems = run_import(resource(user=user), dataset)
            problem_lines_are_clear(problems, len(rows), headers)
            if problems:
                assert changed_tables(before, snapshot()) == []

    check()


def test_the_whole_estate_resource_imports_hostile_text_exactly():
    """Text cells keep what was typed (surrounding spaces aside), whatever it is."""

    columns = {"标题语": "tagline", "概况": "overview", "亮点": "highlights", "地址": "address"}

    @FUZZ
    @given(
        text=st.sampled_from([h for h in HOSTILE if "\x00" not in h]),
        column=st.sampled_from(list(columns)),
    )
    def check(text, column):
        with rolled_back():
            headers = ["小区名称", "网址标识", "省份", "城市", column]
            data = csv_bytes(headers, [["敌意文本小区", "", "山东省", "临沂市", text]])
            _result, problems = run_import(EstateResource(), SafeCSV().create_dataset(data))
            attribute = columns[column]
            limit = Estate._meta.get_field(attribute).max_length
            if limit and len(text.strip()) > limit:
                problem_lines_are_clear(problems, 1, headers)
                assert problems
                return
            assert problems == []
            saved = getattr(Estate.objects.get(name="敌意文本小区"), attribute)
            # A line break in a CSV cell (\r\n, or a lone \r) is a line break, as in the admin.
            assert saved.strip() == as_written(text, "csv").strip()

    check()
