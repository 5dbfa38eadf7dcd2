"""Import and export in the admin, per role."""

import csv
import io

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from estates.models import Estate

from .builders import make_staff
from .test_spreadsheets import csv_file

pytestmark = pytest.mark.django_db


def format_index(form, title):
    return next(value for value, label in form.fields["format"].choices if label == title)


def export_csv(client, query=""):
    url = reverse("admin:estates_estate_export") + query
    form = client.get(url).context["form"]
    data = {"format": format_index(form, "csv"), "resource": 0}
    for name, field in form.fields.items():
        if isinstance(field, forms.BooleanField):
            data[name] = "on"
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_provincial_export_holds_only_their_province(client):
    client.force_login(make_staff("provincial", "shandong"))
    rows = export_csv(client)
    assert [r["小区名称"] for r in rows] == ["奥正诚园南区"]


def test_export_follows_the_lists_search(client):
    client.force_login(make_staff("ministry"))
    rows = export_csv(client, "?q=changan")
    assert sorted(r["小区名称"] for r in rows) == ["丽景长安", "西长安壹号"]


def test_reviewers_neither_import_nor_export(client):
    client.force_login(make_staff("reviewer", "hebei"))
    assert client.get(reverse("admin:estates_estate_export")).status_code == 403
    assert client.get(reverse("admin:estates_estate_import")).status_code == 403


def test_editors_export_but_do_not_import(client):
    client.force_login(make_staff("editor"))
    assert client.get(reverse("admin:estates_estate_export")).status_code == 200
    assert client.get(reverse("admin:estates_estate_import")).status_code == 403


def upload(client, data):
    form = client.get(reverse("admin:estates_estate_import")).context["form"]
    return client.post(
        reverse("admin:estates_estate_import"),
        {
            "resource": 0,
            "format": format_index(form, "csv"),
            "import_file": SimpleUploadedFile("estates.csv", data, content_type="text/csv"),
        },
    )


def test_province_imports_with_preview_and_confirm(client):
    client.force_login(make_staff("provincial", "shandong"))
    preview = upload(client, csv_file([["新导入小区", "", "山东省", "临沂市", "1250户", "96.55%"]]))
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    assert not Estate.objects.filter(name="新导入小区").exists()  # a preview writes nothing
    data = {
        name: confirm.initial.get(name, field.initial) for name, field in confirm.fields.items()
    }
    done = client.post(reverse("admin:estates_estate_process_import"), data)
    assert done.status_code == 302
    assert Estate.objects.get(name="新导入小区").households == 1250


def test_a_bad_file_shows_every_error_and_cannot_be_confirmed(client):
    client.force_login(make_staff("provincial", "shandong"))
    preview = upload(
        client,
        csv_file(
            [
                ["好小区", "", "山东省", "临沂市", "800", "95"],
                ["北京小区", "", "北京市", "北京市", "800", "95"],
                ["超百分", "", "山东省", "临沂市", "800", "101"],
            ]
        ),
    )
    assert preview.context.get("confirm_form") is None
    body = preview.content.decode()
    assert "只能导入本省（山东省）的数据" in body
    assert "百分比必须在 0 到 100 之间" in body
    assert not Estate.objects.filter(name="好小区").exists()


def test_estate_list_offers_the_template_to_importers(client):
    client.force_login(make_staff("provincial", "shandong"))
    body = client.get(reverse("admin:estates_estate_changelist")).content.decode()
    assert reverse("admin:estates_estate_template") in body
    assert reverse("admin:estates_estate_import") in body
    client.force_login(make_staff("editor"))
    body = client.get(reverse("admin:estates_estate_changelist")).content.decode()
    assert reverse("admin:estates_estate_template") not in body
