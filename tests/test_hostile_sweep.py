"""A sweep of hostile strings through every text field of an estate and everything its pages
show (its rows, company, nomination, campaign, catalogue entries, city and province), then
through every public page and every export. The text must come out as text: escaped in HTML,
well-formed in the feed and sitemap, exact in JSON, never a live formula in CSV or XLSX, and
never a server error. Each payload goes in through the admin where staff would type it (a NUL
is refused there with a clear message) and through the ORM for the rest.

(tests/test_hostile_input.py checks a few payloads on a few pages; this one is the sweep.)"""

import csv
import io
import json
import re
from xml.etree import ElementTree

import pytest
from django import forms
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import normalize_newlines
from openpyxl import load_workbook

from estates.models import (
    Campaign,
    Estate,
    Nomination,
    Province,
)

from .builders import make_staff
from .fuzzing import (
    ASTRAL,
    ATTRIBUTE_BREAKER,
    CONTROL,
    FORMULAS,
    LONG,
    NUL,
    SCRIPT,
    SQL,
    SQL_TAUTOLOGY,
    UNICODE_TRICKS,
    rendered_data,
)
from .test_spreadsheet_admin import format_index

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

SLUG = "aozhengchengyuannanqu"
CAMPAIGN = "shandong-2023"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0, and so the feed and an XLSX file, cannot carry: such characters may be left out.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
RAW_MARKUP = ["<script>alert(1)", "<svg onload", "onload=alert(1)>"]
SKIPPED_FIELDS = {"slug", "code", "credit_code", "reference", "client_hash"}


def text_fields(obj):
    return [
        field
        for field in obj._meta.concrete_fields
        if field.get_internal_type() in {"CharField", "TextField"}
        and field.editable
        and not field.choices
        and field.name not in SKIPPED_FIELDS
    ]


def fill(obj, payload, tag):
    """Every free-text field of obj gets the payload (cut to the field's length); fields that
    must be unique get a distinguishing tag in front."""
    for field in text_fields(obj):
        value = f"{tag}{payload}" if field.unique else payload
        setattr(obj, field.name, value[: field.max_length] if field.max_length else value)
    obj.save()
    return obj


def estate():
    return Estate.objects.select_related("province", "city", "property_company").get(slug=SLUG)


def sweep(payload):
    """Put the payload everywhere the estate's pages and files read text from."""
    target = estate()
    fill(target, payload, "小区")
    rows = [
        *target.mechanisms.all(),
        *target.metrics.all(),
        *target.key_figures.all(),
        *target.activities.all(),
        *target.honors.all(),
        *target.photos.all(),
    ]
    for row in rows:
        fill(row, payload, "")
    for number, kind in enumerate({m.mechanism_type for m in target.mechanisms.all()}):
        fill(kind, payload, f"类{number}")
    for number, kind in enumerate({m.metric_type for m in target.metrics.all()}):
        fill(kind, payload, f"指{number}")
    if target.property_company is not None:
        fill(target.property_company, payload, "企业")
    fill(target.city, payload, "市")
    fill(Province.objects.get(pk=target.province_id), payload, "省")
    nomination = Nomination.objects.get(estate=target, campaign__slug=CAMPAIGN)
    fill(nomination, payload, "")
    for evidence in [*nomination.criterion_evidence.all(), *nomination.activity_evidence.all()]:
        fill(evidence, payload, "")
    fill(Campaign.objects.get(slug=CAMPAIGN), payload, "活动")
    return estate()


# Each kind of hostile text once (the formula starts share one code path, so three of them).
SWEEP = {
    "script": SCRIPT,
    "attribute-breaker": ATTRIBUTE_BREAKER,
    "sql": f"{SQL} {SQL_TAUTOLOGY}",
    "control-and-bidi": CONTROL + UNICODE_TRICKS,
    "nul": NUL,
    "astral": ASTRAL,
    "formula-equals": FORMULAS[0],
    "formula-at": FORMULAS[3],
    "formula-minus": FORMULAS[2],
    "ten-thousand": LONG,
}
PAYLOADS = [pytest.param(payload, id=name) for name, payload in SWEEP.items()]


@pytest.fixture(params=PAYLOADS)
def swept(request):
    payload = request.param
    if "\x00" in payload and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL cannot store NUL; the admin refuses it (tested below)")
    return payload, sweep(payload)


def kinds_of_mechanisms(target):
    return sorted({m.mechanism_type.slug for m in target.mechanisms.all()})


def public_pages(target, payload):
    pages = [
        "/",
        "/estates/",
        f"/estates/?{_q(payload)}",
        f"/estates/{SLUG}/",
        f"/en/estates/{SLUG}/",
        "/campaigns/",
        f"/campaigns/{CAMPAIGN}/",
        f"/campaigns/{CAMPAIGN}/{target.province.slug}/",
        f"/en/campaigns/{CAMPAIGN}/{target.province.slug}/",
        "/mechanisms/",
        *[f"/mechanisms/{slug}/" for slug in kinds_of_mechanisms(target)],
        "/stats/",
        "/data/",
    ]
    return pages


def _q(payload):
    from urllib.parse import urlencode

    return urlencode({"q": payload[:100]})


def assert_no_raw_markup(body, where):
    for marker in RAW_MARKUP:
        assert marker not in body, (where, marker)


def test_every_public_page_shows_hostile_text_escaped(client, swept):
    payload, target = swept
    for url in public_pages(target, payload):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_raw_markup(response.content.decode(), url)
    profile = client.get(f"/estates/{SLUG}/").content.decode()
    for text in (target.name, target.tagline, target.property_company.name):
        assert escape(text) in profile, text[:40]


def test_feed_and_sitemap_stay_well_formed(client, swept):
    _payload, target = swept
    feed = client.get("/feed/")
    assert feed.status_code == 200
    tree = ElementTree.fromstring(feed.content)  # a control character would break the XML
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [entry.findtext(f"{atom}title") for entry in tree.iter(f"{atom}entry")]
    # The target is the seed's Linyi estate, public through the illustrative Shandong round.
    expected = xml_read(NOT_IN_XML.sub("", f"{target.name}：{target.tagline}（示例）"))
    assert expected in titles
    assert_no_raw_markup(feed.content.decode(), "feed")
    for path in ["/sitemap.xml", "/sitemap-estates.xml"]:
        sitemap = client.get(path)
        assert sitemap.status_code == 200
        ElementTree.fromstring(sitemap.content)


def test_open_data_json_keeps_the_text_exactly(client, swept):
    _payload, target = swept
    response = client.get("/data/estates.json")
    body = response.getvalue().decode()
    assert "<" not in body and ">" not in body  # \u003c and \u003e: never markup
    record = next(r for r in json.loads(body) if r["slug"] == SLUG)
    assert record["name"] == target.name
    assert record["tagline"] == (target.tagline or None)
    assert record["property_company"] == target.property_company.name


def xml_read(text):
    """What an XML reader gives back for text (it reads every line break as \\n)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def csv_rows(data):
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def assert_csv_is_safe(rows, texts, where):
    """No cell starts a formula; each hostile text is there, defused where it needed it."""
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), (where, cell[:40])
    for text in texts:
        expected = "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text
        assert expected in cells, (where, text[:40])


def assert_xlsx_is_safe(data, texts, where):
    workbook = load_workbook(io.BytesIO(data))
    values = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (where, cell.coordinate, cell.value[:40])
                    values.append(cell.value)
    for text in texts:
        kept = NOT_IN_XML.sub("", text)[:32767]
        # A writer that escapes a carriage return (openpyxl with lxml: &#13;) keeps it; one
        # that writes it as it is has it read back as a line break.
        assert kept in values or xml_read(kept) in values, (where, text[:40])


def test_open_data_csv_and_xlsx_hold_text_never_formulas(client, swept):
    _payload, target = swept
    texts = [target.name, target.tagline]
    assert_csv_is_safe(csv_rows(client.get("/data/estates.csv").getvalue()), texts, "open csv")
    assert_xlsx_is_safe(client.get("/data/estates.xlsx").getvalue(), texts, "open xlsx")


ADMIN_EXPORTS = ["estate", "mechanism", "metric", "keyfigure", "activity", "nomination"]


def admin_export(client, model, fmt):
    url = reverse(f"admin:estates_{model}_export")
    form = client.get(url).context["form"]
    data = {"format": format_index(form, fmt), "resource": 0}
    for name, field in form.fields.items():
        if isinstance(field, forms.BooleanField):
            data[name] = "on"
    response = client.post(url, data)
    assert response.status_code == 200, (model, fmt)
    return response.content


def texts_in_export(model, target):
    if model == "estate":
        return [target.name, target.tagline, target.overview]
    if model == "nomination":
        return [
            target.name,
            Nomination.objects.get(estate=target, campaign__slug=CAMPAIGN).statement,
        ]
    return [target.name]


def test_admin_exports_hold_text_never_formulas(client, swept):
    _payload, target = swept
    client.force_login(make_staff("ministry"))
    for model in ADMIN_EXPORTS:
        texts = [t for t in texts_in_export(model, target) if t]
        assert_csv_is_safe(csv_rows(admin_export(client, model, "csv")), texts, f"{model} csv")
        assert_xlsx_is_safe(admin_export(client, model, "xlsx"), texts, f"{model} xlsx")
    json.loads(admin_export(client, "estate", "json"))


def test_result_list_and_template_hold_text_never_formulas(client, swept):
    _payload, target = swept
    client.force_login(make_staff("ministry"))
    campaign = Campaign.objects.get(slug=CAMPAIGN)
    response = client.post(
        reverse("admin:estates_campaign_changelist"),
        {"action": "export_result_list", "_selected_action": [campaign.pk]},
    )
    assert response.status_code == 200
    assert_xlsx_is_safe(response.content, [target.name], "result list")
    client.force_login(make_staff("provincial", "shandong"))
    template = client.get(reverse("admin:estates_estate_template"))
    assert template.status_code == 200
    assert_xlsx_is_safe(template.content, [target.tagline], "template")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_command_holds_text_never_formulas(tmp_path, swept, suffix):
    _payload, target = swept
    path = tmp_path / f"estates.{suffix}"
    call_command("export_estates", str(path), stdout=io.StringIO())
    texts = [target.name, target.tagline]
    if suffix == "csv":
        assert_csv_is_safe(csv_rows(path.read_bytes()), texts, "command csv")
    else:
        assert_xlsx_is_safe(path.read_bytes(), texts, "command xlsx")


# --- through the admin, as staff would type it -----------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_admin_takes_hostile_text_or_refuses_it_clearly(client, payload):
    client.force_login(make_staff("ministry"))
    target = estate()
    url = reverse("admin:estates_estate_change", args=[target.pk])
    data = rendered_data(client.get(url))
    data.update({"tagline": payload, "overview": payload, "source_note": payload})
    response = client.post(url, data)
    saved = estate()
    if "\x00" in payload:
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        for name in ("tagline", "overview", "source_note"):
            assert errors[name] == ["不能包含空字符（\\x00），请删除后再保存。"]
        assert saved.tagline != payload
        return
    if len(payload.strip()) > 100:  # the headline has 100 characters
        assert response.status_code == 200
        message = response.context["adminform"].form.errors["tagline"][0]
        assert "100" in message
        return
    assert response.status_code == 302
    stored = normalize_newlines(payload.strip())  # every line break as \n (estates.forms)
    assert (saved.tagline, saved.overview) == (stored, stored)
    page = client.get(f"/estates/{SLUG}/").content.decode()
    assert_no_raw_markup(page, "profile")
    assert escape(stored) in page


def test_the_sweep_payloads_include_markup_nul_and_formulas():
    """The sweep is only as good as its payloads."""
    payloads = list(SWEEP.values())
    assert SCRIPT in payloads and ATTRIBUTE_BREAKER in payloads and NUL in payloads
    assert {p[0] for p in payloads if p.startswith(FORMULA_STARTS)} >= {"=", "@", "-"}
    assert any(len(p) >= 10_000 for p in payloads)
    assert any(ord(ch) > 0xFFFF for p in payloads for ch in p)
    assert all(chr(code) in CONTROL for code in range(1, 32)) and "\u202e" in UNICODE_TRICKS
