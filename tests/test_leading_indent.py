"""A paragraph pasted from Word starts with a full-width indent ("　　", two U+3000). Django's
CharField strip took it off the first paragraph of every long text, and only that one; the
admin's long text fields (TextField) keep their first line's indent now, while a text of only
whitespace is still empty and trailing whitespace still goes. Short texts (names, titles)
still lose their surrounding spaces."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from estates.enums import CampaignPhase, NominationState
from estates.forms import LongTextCharField
from estates.models import City, Estate, Nomination
from estates.workflow import assign_reviewer

from .builders import campaign_like, make_estate, make_staff
from .test_line_breaks import as_a_browser_sends
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

INDENT = "\u3000\u3000"
NBSP = "\u00a0"
# As Word puts it on the clipboard: CRLF line breaks, each paragraph indented with U+3000, a
# non-breaking space inside a line, and an empty paragraph and one of a non-breaking space at
# the end.
FROM_WORD = (
    f"{INDENT}小区建于1998年，共12栋楼。\r\n"
    f"{INDENT}2019年成立业主委员会，物业费收缴率{NBSP}96%。\r\n"
    f"\r\n{NBSP}\r\n"
)
STORED = (
    f"{INDENT}小区建于1998年，共12栋楼。\n{INDENT}2019年成立业主委员会，物业费收缴率{NBSP}96%。"
)


def ministry_client():
    client = Client()
    client.force_login(make_staff("ministry"))
    return client


def test_estate_texts_pasted_from_word_keep_the_first_paragraphs_indent():
    estate = Estate.objects.get(slug="lijingchangan")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = ministry_client()
    name = estate.name
    data = as_a_browser_sends(form_post_data(client.get(url)))
    data["overview"] = FROM_WORD
    data["highlights"] = f"\r\n  {INDENT}一、党建引领。\r\n{INDENT}二、议事协商。  "
    data["name"] = f"  {name}{NBSP} "

    assert client.post(url, data).status_code == 302

    estate.refresh_from_db()
    assert estate.overview == STORED
    # Blank lines before the first paragraph go; its indent, spaces and U+3000, stays.
    assert estate.highlights == f"  {INDENT}一、党建引领。\n{INDENT}二、议事协商。"
    assert estate.name == name  # a name still loses its surrounding spaces


def test_estate_text_of_only_whitespace_is_saved_empty():
    estate = Estate.objects.get(slug="lijingchangan")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = ministry_client()
    data = form_post_data(client.get(url))
    data["highlights"] = f"{INDENT}\r\n{NBSP} \r\n"

    assert client.post(url, data).status_code == 302

    estate.refresh_from_db()
    assert estate.highlights == ""


def test_an_indented_text_saved_again_unchanged_is_not_a_change():
    estate = Estate.objects.get(slug="lijingchangan")
    estate.overview = STORED
    estate.save()
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = ministry_client()
    data = as_a_browser_sends(form_post_data(client.get(url)))
    assert data["overview"].startswith(INDENT)  # the form offers the indent it keeps
    versions = estate.history.count()

    assert client.post(url, data).status_code == 302

    estate.refresh_from_db()
    assert estate.overview == STORED
    latest, previous = estate.history.order_by("-history_id")[:2]
    assert estate.history.count() == versions + 1
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed <= {"version", "updated_at"}


def test_evidence_pasted_from_word_keeps_its_indent():
    from estates.admin.nominations import create_missing_evidence

    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="缩进小区", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="indent-2026")
    nomination = Nomination.objects.create(estate=estate, campaign=campaign)
    create_missing_evidence(nomination)
    clerk = Client()
    clerk.force_login(make_staff("provincial", "shandong"))
    url = reverse("admin:estates_nomination_change", args=[nomination.pk])
    page = clerk.get(url)
    data = form_post_data(page)
    name = next(key for key in data if key.endswith("-0-text"))
    data[name] = FROM_WORD
    data["statement"] = f"{INDENT}推荐理由。\r\n"

    response = clerk.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    first = nomination.criterion_evidence.order_by("criterion__number").first()
    assert first.text == STORED
    nomination.refresh_from_db()
    assert nomination.statement == f"{INDENT}推荐理由。"


def test_a_reviewers_comment_keeps_its_indent():
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="评语小区", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="indent-review")
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.UNDER_REVIEW
    )
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    client = Client()
    client.force_login(reviewer)
    url = reverse("admin:estates_review_change", args=[review.pk])
    data = form_post_data(client.get(url))
    data["comment"] = FROM_WORD
    score = next(key for key in data if key.endswith("-0-comment"))
    data[score] = f"{INDENT}材料翔实。\r\n"

    assert client.post(url, data).status_code == 302

    review.refresh_from_db()
    assert review.comment == STORED
    assert review.scores.order_by("criterion__number").first().comment == f"{INDENT}材料翔实。"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (f"{INDENT}第一段。\r\n{INDENT}第二段。\r\n", f"{INDENT}第一段。\n{INDENT}第二段。"),
        (f"\r\n\r\n{INDENT}第一段。", f"{INDENT}第一段。"),
        (f"  第一段。{NBSP}\t", "  第一段。"),
        (f"{NBSP}{NBSP}第一段。", f"{NBSP}{NBSP}第一段。"),
        (f"{INDENT}\r\n \t{NBSP}\r\n", ""),
        ("", ""),
    ],
)
def test_long_text_field_keeps_only_the_first_lines_indent(typed, kept):
    assert LongTextCharField(required=False).clean(typed) == kept


def test_long_text_field_of_only_whitespace_is_missing_when_required():
    field = LongTextCharField(required=True)
    with pytest.raises(ValidationError) as error:
        field.clean(f"{INDENT}\r\n")
    assert error.value.messages == ["这个字段是必填项。"]
