"""The year of a round copied from an earlier one: proposed sensibly (not a year already past),
next year allowed (a round is set up in December for the year after), and the title, web
address and description following the year the clerk chooses, never changing what they typed."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from estates import campaigns
from estates.enums import CampaignLevel
from estates.models import Campaign

from .builders import make_staff
from .html import parse
from .test_campaign_copy import TITLE_2025, campaign_2025
from .test_constraints import assert_database_refuses, validation_messages

pytestmark = pytest.mark.django_db

TITLE = "{}年度全国“加强物业管理 共建美好家园”典型案例评选"
DESCRIPTION_2025 = (
    "2025年度评选按建办房函〔2025〕88号通知开展。\n参照2024年经验；编号20251、12025不是年份。"
)


def source_2025():
    source = campaign_2025()
    source.description = DESCRIPTION_2025
    source.description_en = "The 2025 round (see the 2024 report)."
    source.save()
    return source


def copy_url(source):
    return reverse("admin:estates_campaign_copy", args=[source.pk])


@pytest.fixture
def ministry(client):
    client.force_login(make_staff("ministry"))
    return client


def page_values(response):
    """What the copy page sends back if the clerk only presses the button."""
    form = parse(response.content).find("input", id="id_year")
    while form.tag != "form":
        form = form.parent
    return {
        field.attrs["name"]: field.attrs.get("value", "")
        for field in form.find_all("input")
        if field.attrs.get("name") not in (None, "csrfmiddlewaretoken")
        and field.attrs.get("type") != "submit"
    }


# ---------------------------------------------------------------------------------------------
# The year proposed.


def test_proposed_year_is_not_a_year_already_past():
    round_2021 = Campaign.objects.get(slug="quanguo-2021")
    december = date(2026, 12, 3)
    assert campaigns.proposed_year(round_2021, today=december) == 2026
    assert campaigns.next_round(round_2021, today=december).title == round_2021.title
    assert campaigns.next_round(round_2021, today=december).slug == "quanguo-2026"
    # The round of this year is copied into next year; next year's stays in next year, the
    # latest year a campaign may have (the form then says the address is taken).
    assert campaigns.proposed_year(Campaign(year=2026), today=december) == 2027
    assert campaigns.proposed_year(Campaign(year=2027), today=december) == 2027


def test_the_copy_page_proposes_this_year_for_an_old_round(ministry):
    response = ministry.get(copy_url(Campaign.objects.get(slug="quanguo-2021")))
    year = timezone.localdate().year
    values = page_values(response)
    assert (values["year"], values["slug"], values["proposed_for"]) == (
        str(year),
        f"quanguo-{year}",
        str(year),
    )


def test_next_year_is_a_campaign_year_and_the_year_after_is_not(ministry):
    next_year = timezone.localdate().year + 1
    source = source_2025()
    response = ministry.post(
        copy_url(source),
        {"year": next_year, "title": TITLE.format(next_year), "slug": f"quanguo-{next_year}"},
    )
    assert response.status_code == 302
    assert Campaign.objects.get(slug=f"quanguo-{next_year}").year == next_year

    too_far = ministry.post(
        copy_url(source),
        {"year": next_year + 1, "title": "再下一届", "slug": "quanguo-too-far"},
    )
    assert too_far.context["form"].errors["year"] == [
        f"评选年度最晚可以填 {next_year} 年（评选活动最多提前一年筹备），{next_year + 1} 年太远了。"
    ]


def test_the_database_takes_next_year_for_a_campaign_and_refuses_the_year_after():
    next_year = timezone.localdate().year + 1
    fields = {"title": "提前筹备的评选", "level": CampaignLevel.NATIONAL}
    campaign = Campaign(year=next_year, slug="ahead", **fields)
    campaign.full_clean()
    campaign.save()
    too_far = Campaign(year=next_year + 2, slug="too-far", **fields)
    assert validation_messages(too_far)["__all__"] == ["年度不能早于 1800 年，也不能晚于明年。"]
    assert_database_refuses(too_far, "campaign_year_not_after_next_year")


# ---------------------------------------------------------------------------------------------
# The texts follow the year.


def test_an_untouched_title_and_address_follow_the_year_typed(ministry):
    source = source_2025()
    values = page_values(ministry.get(copy_url(source)))
    proposed = int(values["year"])
    other = proposed + 1 if proposed == timezone.localdate().year else 2024
    values["year"] = str(other)  # only the year is changed, without the page's script
    response = ministry.post(copy_url(source), values)
    assert response.status_code == 302
    new = Campaign.objects.get(year=other)
    assert (new.title, new.slug, new.title_en) == (
        TITLE.format(other),
        f"quanguo-{other}",
        f"{other} National campaign",
    )


def test_a_typed_title_or_address_is_never_changed(ministry):
    source = source_2025()
    values = page_values(ministry.get(copy_url(source)))
    values.update({"year": "2024", "slug": "quanguo-special"})
    ministry.post(copy_url(source), values)
    typed_slug = Campaign.objects.get(slug="quanguo-special")
    assert (typed_slug.year, typed_slug.title) == (2024, TITLE.format(2024))

    values = page_values(ministry.get(copy_url(source)))
    values.update({"year": "2023", "title": "2023年度专项评选"})
    ministry.post(copy_url(source), values)
    typed_title = Campaign.objects.get(year=2023, level=CampaignLevel.NATIONAL)
    assert (typed_title.title, typed_title.slug) == ("2023年度专项评选", "quanguo-2023")


def test_a_refused_copy_shows_the_texts_for_the_year_typed(ministry):
    source = source_2025()
    Campaign.objects.create(
        title=TITLE.format(2024), slug="other-2024", year=2024, level=CampaignLevel.NATIONAL
    )
    values = page_values(ministry.get(copy_url(source)))
    values["year"] = "2024"
    refused = ministry.post(copy_url(source), values)
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "title": [
            f"2024 年已有名为“{TITLE.format(2024)}”的评选活动（other-2024），请换一个名称或年度。"
        ]
    }
    again = page_values(refused)
    assert (again["year"], again["title"], again["slug"], again["proposed_for"]) == (
        "2024",
        TITLE.format(2024),
        "quanguo-2024",
        "2024",
    )
    # Back to the year first proposed: the texts follow again.
    again["year"] = values["proposed_for"]
    ministry.post(copy_url(source), again)
    year = int(values["proposed_for"])
    assert Campaign.objects.get(slug=f"quanguo-{year}").title == TITLE.format(year)


def test_the_description_names_the_new_year_where_it_named_the_old(ministry):
    source = source_2025()
    values = page_values(ministry.get(copy_url(source)))
    values["year"] = "2024"
    ministry.post(copy_url(source), values)
    new = Campaign.objects.get(slug="quanguo-2024")
    assert new.description == (
        "2024年度评选按建办房函〔2024〕88号通知开展。\n参照2024年经验；编号20251、12025不是年份。"
    )
    assert new.description_en == "The 2024 round (see the 2024 report)."
    source.refresh_from_db()
    assert source.description == DESCRIPTION_2025


def test_the_page_tells_its_script_how_the_texts_follow_the_year(ministry):
    source = source_2025()
    page = parse(ministry.get(copy_url(source)).content)
    parts = {
        name: json.loads(page.find("input", id=f"id_{name}").attrs["data-year-parts"])
        for name in ("title", "slug")
    }
    assert parts == {"title": TITLE.split("{}"), "slug": ["quanguo-", ""]}
    assert page.find("script", src="/static/js/campaign-copy.js") is not None
    assert "活动名称、英文名称、网址标识和活动说明中的“2025”都改为新活动的年度。" in (
        page.clean_text()
    )
    assert TITLE_2025.startswith("2025")
