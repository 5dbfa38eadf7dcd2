"""The provinces' template, the result list, the commands, and what LibreOffice reads."""

import csv
import io
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from estates.models import Estate, Mechanism
from estates.spreadsheets.formats import SafeCSV, SafeXLSX
from estates.spreadsheets.importing import run_import
from estates.spreadsheets.resources import ActivityResource, KeyFigureResource, MechanismResource

from .builders import make_staff
from .growth import grow
from .test_spreadsheets import export

pytestmark = pytest.mark.django_db


def test_template_has_columns_an_example_and_instructions(client):
    client.force_login(make_staff("provincial", "shandong"))
    response = client.get(reverse("admin:estates_estate_template"))
    assert response["Content-Disposition"] == 'attachment; filename="meihao-jiayuan-template.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["小区", "示例", "填写说明"]
    blank = workbook["小区"]
    assert blank.max_row == 1 and blank["A1"].value == "小区名称"
    example = workbook["示例"]
    assert example["A2"].value == "奥正诚园南区"
    guide = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True)]
    assert "户数（户）" in guide
    assert any(str(line).startswith("2. 不知道的数值请留空，不要填 0") for line in guide if line)


def test_template_is_for_those_who_may_import(client):
    client.force_login(make_staff("editor"))
    assert client.get(reverse("admin:estates_estate_template")).status_code == 403


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_export_command_writes_what_the_admin_exports(tmp_path, extension):
    path = tmp_path / f"estates.{extension}"
    call_command("export_estates", str(path))
    fmt = SafeXLSX if extension == "xlsx" else SafeCSV
    written = fmt().create_dataset(path.read_bytes())
    exported = fmt().create_dataset(export(fmt) if extension == "xlsx" else export(fmt).encode())
    assert written.headers == exported.headers
    assert list(written) == list(exported)


def test_export_command_filters_by_province_and_campaign(tmp_path):
    path = tmp_path / "shandong.csv"
    call_command("export_estates", str(path), province="shandong")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["小区名称"] for r in rows] == ["奥正诚园南区"]
    call_command("export_estates", str(path), campaign="quanguo-2021")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4


def test_export_command_queries_do_not_grow(tmp_path):
    def count():
        with CaptureQueriesContext(connection) as queries:
            call_command("export_estates", str(tmp_path / "e.xlsx"))
        return len(queries)

    small = count()
    grow(30)
    assert count() == small


def test_import_command_dry_run_and_refusal(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("小区名称,网址标识,省份,城市\n命令行小区,,山东省,临沂市\n", encoding="utf-8")
    call_command("import_estates", str(good), dry_run=True)
    assert not Estate.objects.filter(name="命令行小区").exists()
    call_command("import_estates", str(good))
    assert Estate.objects.filter(name="命令行小区").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("小区名称,网址标识,省份,城市\n坏小区,,火星省,临沂市\n", encoding="utf-8")
    with pytest.raises(CommandError, match="发现 2 个问题，没有写入任何数据。"):
        call_command("import_estates", str(bad))


@pytest.mark.parametrize(
    "resource_class",
    [MechanismResource, KeyFigureResource, ActivityResource],
    ids=["mechanisms", "key-figures", "activities"],
)
def test_estate_rows_round_trip(resource_class):
    model = resource_class.Meta.model
    first = export(SafeCSV, resource_class, model.objects.all())
    model.objects.all().delete()
    _result, problems = run_import(resource_class(), SafeCSV().create_dataset(first.encode()))
    assert problems == []
    assert export(SafeCSV, resource_class, model.objects.all()) == first


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_libreoffice_reads_the_same_values(tmp_path):
    xlsx = tmp_path / "estates.xlsx"
    xlsx.write_bytes(export(SafeXLSX))
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheets = sorted(tmp_path.glob("estates*.csv"))
    rows = list(csv.reader(io.StringIO(sheets[0].read_text(encoding="utf-8"))))
    header = rows[0]
    aozheng = next(r for r in rows if r[0] == "奥正诚园南区")
    assert aozheng[header.index("户数（户）")] == "1250"
    assert aozheng[header.index("业主满意度（%）")] == "96.55%"
    assert aozheng[header.index("容积率")] == "1.16"
    lijing = next(r for r in rows if r[0] == "丽景长安")
    assert lijing[header.index("业主投诉率（%）")] == "0.76%"


def test_mechanism_rows_name_their_estate():
    data = export(
        SafeCSV, MechanismResource, Mechanism.objects.filter(estate__slug="lijingchangan")
    )
    rows = list(csv.DictReader(io.StringIO(data.lstrip("\ufeff"))))
    assert rows[0]["小区网址标识"] == "lijingchangan" and rows[0]["小区名称"] == "丽景长安"
