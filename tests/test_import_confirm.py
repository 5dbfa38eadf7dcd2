"""The import's confirmation names its file by a token signed for the uploader, finds it on
any app server, imports it once however often it is clicked, and answers every failure in
Chinese without importing anything."""

import io
import os
import random
import tempfile
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from estates.models import Estate, ImportUpload
from estates.spreadsheets import uploads
from estates.spreadsheets.reading import CSV_RESAVE

from .builders import make_staff
from .test_spreadsheet_admin import format_index
from .test_spreadsheets import csv_file

pytestmark = pytest.mark.django_db

IMPORT = "admin:estates_estate_import"
CONFIRM = "admin:estates_estate_process_import"
ROW = ["确认导入小区", "", "山东省", "临沂市", "1250户", "96.55%"]


def preview(client, data, name="estates.csv"):
    form = client.get(reverse(IMPORT)).context["form"]
    return client.post(
        reverse(IMPORT),
        {
            "resource": 0,
            "format": format_index(form, "csv"),
            "import_file": SimpleUploadedFile(name, data, content_type="text/csv"),
        },
    )


def confirmation(response):
    form = response.context["confirm_form"]
    return {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def shandong(client):
    client.force_login(make_staff("provincial", "shandong"))
    return client


def test_confirm_imports_the_previewed_file_once(shandong):
    data = confirmation(preview(shandong, csv_file([ROW])))
    assert ImportUpload.objects.count() == 1
    done = shandong.post(reverse(CONFIRM), data)
    assert done.status_code == 302
    assert said(done) == ["导入成功：新增 1 条，更新 0 条，未变 0 条。可在“小区”列表中查看。"]
    assert Estate.objects.get(name="确认导入小区").households == 1250
    upload = ImportUpload.objects.get()  # the file is dropped, what was done is kept
    assert (bytes(upload.data), upload.outcome) == (b"", "新增 1 条，更新 0 条，未变 0 条")


def test_confirm_clicked_twice_imports_once_and_says_so(shandong):
    data = confirmation(preview(shandong, csv_file([ROW])))
    shandong.post(reverse(CONFIRM), data, follow=True)
    again = shandong.post(reverse(CONFIRM), data)
    assert again.status_code == 302
    assert again["Location"] == reverse("admin:estates_estate_changelist")
    [message] = said(again)
    assert message.startswith("这份文件已于 ")
    assert message.endswith(" 导入（新增 1 条，更新 0 条，未变 0 条），没有重复导入。")
    assert Estate.objects.filter(name="确认导入小区").count() == 1


def test_confirm_refuses_a_forged_file_name_and_leaves_the_file(shandong):
    folder = tempfile.gettempdir()
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".csv", delete=False) as bait:
        bait.write(
            csv_file([["临时文件小区", "", "山东省", "临沂市", "10", ""]]).decode("utf-8-sig")
        )
    try:
        data = confirmation(preview(shandong, csv_file([ROW])))
        data["import_file_name"] = os.path.basename(bait.name)
        done = shandong.post(reverse(CONFIRM), data)
        assert done.status_code == 302
        assert done["Location"] == reverse(IMPORT)
        assert said(done) == ["找不到要导入的文件，没有导入任何数据。请重新上传文件。"]
        assert os.path.exists(bait.name)
        assert not Estate.objects.filter(name__in=["临时文件小区", "确认导入小区"]).exists()
    finally:
        os.remove(bait.name)


def test_confirm_refuses_another_users_upload(shandong):
    data = confirmation(preview(shandong, csv_file([ROW])))
    other = Client()
    other.force_login(make_staff("provincial", "shandong"))
    done = other.post(reverse(CONFIRM), data)
    assert said(done) == ["找不到要导入的文件，没有导入任何数据。请重新上传文件。"]
    assert not Estate.objects.filter(name="确认导入小区").exists()
    # The uploader still can.
    shandong.post(reverse(CONFIRM), data)
    assert Estate.objects.filter(name="确认导入小区").count() == 1


def test_confirm_refuses_an_expired_preview(shandong, monkeypatch):
    three_hours_ago = time.time() - 3 * 3600
    with monkeypatch.context() as clock:
        clock.setattr(signing.time, "time", lambda: three_hours_ago)
        data = confirmation(preview(shandong, csv_file([ROW])))
    done = shandong.post(reverse(CONFIRM), data)
    assert said(done) == ["预览已超过 2 小时，文件已删除，没有导入任何数据。请重新上传文件。"]
    assert not Estate.objects.filter(name="确认导入小区").exists()


def test_confirm_refuses_a_forged_format(shandong):
    data = confirmation(preview(shandong, csv_file([ROW])))
    data["format"] = "99"
    done = shandong.post(reverse(CONFIRM), data)
    assert said(done) == ["文件格式无效，没有导入任何数据。请重新上传文件。"]
    assert not Estate.objects.filter(name="确认导入小区").exists()


def test_confirm_with_nothing_posted_says_what_to_do(shandong):
    done = shandong.post(reverse(CONFIRM), {})
    assert done.status_code == 302
    assert said(done) == ["确认信息不完整，没有导入任何数据。请重新上传文件。"]


def test_preview_writes_nothing_to_the_servers_temp_folder(shandong, tmp_path, monkeypatch):
    # Another app server (or a cleaned temp folder) must still find the file: it is not there.
    # The process gets a temp folder of its own, so that other programs on the machine (a
    # browser's profile) cannot make the test fail or hide a file.
    folder = tmp_path / "server-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert tempfile.gettempdir() == str(folder)
    preview(shandong, csv_file([ROW]))
    assert os.listdir(folder) == []


def test_preview_with_problems_keeps_the_file_only_to_hand_it_back_marked(shandong):
    bad = preview(shandong, csv_file([["坏数据小区", "", "山东省", "临沂市", "很多户", ""]]))
    assert "confirm_form" not in bad.context
    # Kept for the 错误说明 download only: it cannot be confirmed, and expires as previews do.
    assert ImportUpload.objects.count() == 1
    signed = bad.context["error_file"]
    confirm = shandong.post(
        reverse("admin:estates_estate_process_import"),
        {"import_file_name": signed, "original_file_name": "a.csv", "format": "1"},
    )
    assert not Estate.objects.filter(name="坏数据小区").exists()
    assert confirm.status_code == 302
    # Another user cannot fetch it.
    other = Client()
    other.force_login(make_staff("provincial", "shandong"))
    url = reverse("admin:estates_estate_import_errors")
    assert other.get(url, {"file": signed}).status_code == 302
    marked = shandong.get(url, {"file": signed})
    assert marked.status_code == 200
    sheet = load_workbook(io.BytesIO(marked.content)).active
    assert [cell.value for cell in sheet[1]][-1] == "错误说明"
    assert "「户数（户）」应为整数" in sheet.cell(2, sheet.max_column).value


def test_preview_of_a_binary_file_keeps_no_file(shandong):
    # A photo's bytes (no BOM, neither UTF-8 nor GBK), not a table.
    data = b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(4096)
    response = preview(shandong, data, name="photo.csv")
    assert response.status_code == 200
    assert response.context["result"].problems == [
        "CSV 文件既不是 UTF-8 也不是 GBK 编码，无法读取。" + CSV_RESAVE
    ]
    assert ImportUpload.objects.count() == 0


def test_unconfirmed_previews_are_removed_once_expired(shandong):
    preview(shandong, csv_file([ROW]))
    ImportUpload.objects.update(created_at=timezone.now() - uploads.MAX_AGE - timedelta(1))
    preview(shandong, csv_file([ROW]))
    assert ImportUpload.objects.count() == 1
    assert ImportUpload.objects.get().created_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_confirm_clicked_twice_at_once_imports_once():
    from django.core.management import call_command

    call_command("load_seed", verbosity=0)
    user = make_staff("provincial", "shandong")
    first = Client()
    first.force_login(user)
    data = confirmation(preview(first, csv_file([ROW])))
    answers = []
    start = threading.Barrier(2)

    def click():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        start.wait()
        try:
            answers.append(client.post(reverse(CONFIRM), data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert Estate.objects.filter(name="确认导入小区").count() == 1
    assert ImportUpload.objects.get().imported_at is not None


def test_confirm_after_the_upload_was_removed_says_so(shandong):
    data = confirmation(preview(shandong, csv_file([ROW])))
    ImportUpload.objects.all().delete()  # removed as expired, a moment before the click
    done = shandong.post(reverse(CONFIRM), data)
    assert said(done) == ["预览已过期，文件已删除，没有导入任何数据。请重新上传文件。"]
    assert not Estate.objects.filter(name="确认导入小区").exists()


def test_line_breaks_in_a_csv_cell_read_as_a_text_file_reads_them(shandong):
    # Excel writes a line break inside a cell as \r\n; a lone \r comes from old Mac files.
    header = "小区名称,网址标识,省份,城市,概况"
    sheet = f'\ufeff{header}\r\n换行小区,,山东省,临沂市,"第一段\r\n第二段\r第三段"\r\n'
    data = confirmation(preview(shandong, sheet.encode("utf-8")))
    shandong.post(reverse(CONFIRM), data)
    assert Estate.objects.get(name="换行小区").overview == "第一段\n第二段\n第三段"
