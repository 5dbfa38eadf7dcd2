"""Browsers send a textarea's line breaks as CRLF ("\\r\\n"). Saved as sent, every save of an
estate whose texts have more than one line changed them (\\n → \\r\\n): a change nobody made,
in the history, the admin's log, and (for a province on a public estate) a pending change to
review. Admin forms read every line break as "\\n"."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from estates.forms import LineBreaksCharField
from estates.models import Estate, Mechanism, MechanismType

from .builders import make_staff
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

OVERVIEW = "小区建于1998年，共12栋楼。\n2019年成立业主委员会。\n\n物业费收缴率逐年提高。"


def as_a_browser_sends(data):
    """What Chromium and WeChat's browser post for a form: textarea lines joined by CRLF."""
    return {k: v.replace("\n", "\r\n") if isinstance(v, str) else v for k, v in data.items()}


def ministry_client():
    client = Client()
    client.force_login(make_staff("ministry"))
    return client


def multi_line_estate():
    estate = Estate.objects.get(slug="lijingchangan")
    estate.overview = OVERVIEW
    estate.save()
    mechanism = estate.mechanisms.order_by("pk").first()
    mechanism.description = "第一步：收集诉求。\n第二步：议事协商。"
    mechanism.save()
    return estate


def test_estate_saved_unchanged_from_a_browser_records_no_change():
    estate = multi_line_estate()
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = ministry_client()
    data = as_a_browser_sends(form_post_data(client.get(url)))
    assert "\r\n" in data["overview"]  # the test sends what a browser sends
    mechanisms_before = Mechanism.history.filter(estate_id=estate.pk).count()

    assert client.post(url, data).status_code == 302

    estate.refresh_from_db()
    assert estate.overview == OVERVIEW
    latest, previous = estate.history.order_by("-history_id")[:2]
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed <= {"version", "updated_at"}
    assert LogEntry.objects.latest("pk").get_change_message() == "没有字段被修改。"
    # The inline rows were not changed either, so none of them was saved again.
    assert Mechanism.history.filter(estate_id=estate.pk).count() == mechanisms_before


def test_text_typed_in_a_browser_is_stored_with_plain_line_breaks():
    estate = multi_line_estate()
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = ministry_client()
    data = form_post_data(client.get(url))
    # A lone \r too (text from an old Mac program).
    data["highlights"] = "一、党建引领。\n二、议事协商。\r三、满意度调查。"
    prefix = next(key for key in data if key.endswith("-0-description")).removesuffix(
        "-0-description"
    )
    data[f"{prefix}-0-description"] = "第一步：收集诉求。\n第二步：联合办理。"
    data = as_a_browser_sends(data)

    assert client.post(url, data).status_code == 302

    estate.refresh_from_db()
    assert estate.highlights == "一、党建引领。\n二、议事协商。\n三、满意度调查。"
    assert estate.mechanisms.order_by("pk").first().description == (
        "第一步：收集诉求。\n第二步：联合办理。"
    )


def test_a_new_row_typed_in_a_browser_is_stored_with_plain_line_breaks():
    estate = multi_line_estate()
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = ministry_client()
    page = client.get(url)
    data = form_post_data(page)
    prefix = next(
        f.formset.prefix
        for f in page.context["inline_admin_formsets"]
        if f.formset.model is Mechanism
    )
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data[f"{prefix}-{index}-mechanism_type"] = MechanismType.objects.first().pk
    data[f"{prefix}-{index}-title"] = "楼门议事会"
    data[f"{prefix}-{index}-description"] = "每月一次。\n居民轮流主持。"
    data[f"{prefix}-{index}-display_order"] = 9

    assert client.post(url, as_a_browser_sends(data)).status_code == 302

    assert estate.mechanisms.get(title="楼门议事会").description == "每月一次。\n居民轮流主持。"


def test_line_breaks_field_reads_every_kind_of_line_break_as_one():
    field = LineBreaksCharField(required=False)
    assert field.clean("甲\r\n乙\r丙\n丁") == "甲\n乙\n丙\n丁"
    assert field.clean("") == ""
    assert not field.has_changed("甲\n乙", "甲\r\n乙")
    assert field.has_changed("甲\n乙", "甲\r\n丙")
