"""Two people edit the same row: the second save, made from a form opened before the first
one's, is refused with what differs, keeps what the second person typed, and goes through
when they save again."""

import pytest
from django.test import Client
from django.urls import reverse

from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, Estate, MechanismType, Nomination
from estates.workflow import assign_reviewer

from .builders import campaign_like, make_staff
from .test_admin_entry import form_post_data as rendered_values
from .test_review_integrity import reviewing_nomination

pytestmark = pytest.mark.django_db


def staff_client(role="ministry", province=None):
    client = Client()
    client.force_login(make_staff(role, province))
    return client


def form_post_data(response):
    """What the browser sends back for the page as rendered, inline rows with their ids."""
    data = rendered_values(response)
    for formset in response.context.get("inline_admin_formsets", []):
        for inline_form in formset.formset.initial_forms:
            data[inline_form.add_prefix("id")] = inline_form.instance.pk
    return data


def errors_of(response):
    return list(response.context["adminform"].form.non_field_errors())


def test_estate_saved_from_a_stale_form_is_refused_and_keeps_both_edits():
    estate = Estate.objects.get(slug="lijingchangan")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    first, second = staff_client(), staff_client()
    first_page, second_page = first.get(url), second.get(url)

    # The first person changes the tagline and adds a mechanism.
    data = form_post_data(first_page)
    data["tagline"] = "第一个人改的标题语"
    prefix = next(
        f.formset.prefix
        for f in first_page.context["inline_admin_formsets"]
        if f.formset.model.__name__ == "Mechanism"
    )
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data[f"{prefix}-{index}-mechanism_type"] = MechanismType.objects.first().pk
    data[f"{prefix}-{index}-title"] = "第一个人加的做法"
    data[f"{prefix}-{index}-display_order"] = 0
    assert first.post(url, data).status_code == 302

    # The second person saves households from the page opened before.
    stale = form_post_data(second_page)
    stale["households"] = 4321
    refused = second.post(url, stale)
    assert refused.status_code == 200
    [message] = errors_of(refused)
    assert message.startswith("没有保存：你打开这个页面之后，")
    assert "对方改过、你没有改的“标题语”已换成对方保存的内容。" in message
    assert "你填写的内容与当前保存的不同之处：户数（户）（当前保存为：" in message
    estate.refresh_from_db()
    assert estate.tagline == "第一个人改的标题语"
    assert estate.households != 4321
    assert estate.mechanisms.filter(title="第一个人加的做法").exists()
    # What the second person typed is still in the form, beside what the first one saved.
    form = refused.context["adminform"].form
    assert form["households"].value() == "4321"
    assert form["tagline"].value() == "第一个人改的标题语"

    # Saving again, having seen, goes through and keeps both people's changes.
    again = dict(stale)
    again["seen_version"] = form["seen_version"].value()
    again["tagline"] = form["tagline"].value()
    assert second.post(url, again).status_code == 302
    estate.refresh_from_db()
    assert (estate.households, estate.tagline) == (4321, "第一个人改的标题语")
    assert estate.mechanisms.filter(title="第一个人加的做法").exists()


def test_both_changing_the_same_field_shows_the_saved_value_and_keeps_the_typed_one():
    estate = Estate.objects.get(slug="lijingchangan")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    first, second = staff_client(), staff_client()
    first_page, second_page = first.get(url), second.get(url)
    data = form_post_data(first_page)
    data["tagline"] = "甲的标题语"
    assert first.post(url, data).status_code == 302
    stale = form_post_data(second_page)
    stale["tagline"] = "乙的标题语"
    refused = second.post(url, stale)
    [message] = errors_of(refused)
    assert "你填写的内容与当前保存的不同之处：标题语（当前保存为：甲的标题语）。" in message
    assert refused.context["adminform"].form["tagline"].value() == "乙的标题语"
    estate.refresh_from_db()
    assert estate.tagline == "甲的标题语"


def test_estate_saved_twice_by_one_person_is_not_a_conflict():
    estate = Estate.objects.get(slug="lijingchangan")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    client = staff_client()
    data = form_post_data(client.get(url))
    data["tagline"] = "第一次"
    assert client.post(url, data).status_code == 302
    data = form_post_data(client.get(url))
    data["tagline"] = "第二次"
    assert client.post(url, data).status_code == 302
    estate.refresh_from_db()
    assert estate.tagline == "第二次"


def test_nomination_saved_from_a_stale_form_is_refused():
    linyi_estate = Estate.objects.filter(province__slug="shandong").first()
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, slug="stale-nom")
    nomination = Nomination.objects.create(
        estate=linyi_estate, campaign=campaign, state=NominationState.DRAFT
    )
    url = reverse("admin:estates_nomination_change", args=[nomination.pk])
    first, second = staff_client("provincial", "shandong"), staff_client("provincial", "shandong")
    first_page, second_page = first.get(url), second.get(url)
    data = form_post_data(first_page)
    data["nominating_authority"] = "临沂市住房和城乡建设局"
    assert first.post(url, data).status_code == 302
    stale = form_post_data(second_page)
    stale["nominating_authority"] = "兰山区住房和城乡建设局"
    refused = second.post(url, stale)
    assert refused.status_code == 200
    assert errors_of(refused)[0].startswith("没有保存：")
    nomination.refresh_from_db()
    assert nomination.nominating_authority == "临沂市住房和城乡建设局"


def test_campaign_saved_from_a_stale_form_is_refused():
    campaign = Campaign.objects.get(slug="shandong-2023")
    url = reverse("admin:estates_campaign_change", args=[campaign.pk])
    first, second = staff_client(), staff_client()
    first_page, second_page = first.get(url), second.get(url)
    data = form_post_data(first_page)
    data["quota"] = 40
    assert first.post(url, data).status_code == 302
    stale = form_post_data(second_page)
    stale["title_en"] = "Shandong 2023 (stale)"
    refused = second.post(url, stale)
    assert refused.status_code == 200
    assert "名额" in errors_of(refused)[0]
    campaign.refresh_from_db()
    assert campaign.quota == 40
    assert campaign.title_en != "Shandong 2023 (stale)"


def test_review_saved_from_a_stale_form_is_refused():
    nomination = reviewing_nomination()
    reviewer = make_staff("reviewer", "hebei")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    url = reverse("admin:estates_review_change", args=[review.pk])
    first, second = Client(), Client()
    first.force_login(reviewer)
    second.force_login(reviewer)  # the same reviewer in a second tab
    first_page, second_page = first.get(url), second.get(url)
    data = form_post_data(first_page)
    data["comment"] = "第一个标签页的意见"
    assert first.post(url, data).status_code == 302
    stale = form_post_data(second_page)
    stale["comment"] = "第二个标签页的意见"
    refused = second.post(url, stale)
    assert refused.status_code == 200
    assert errors_of(refused)[0].startswith("没有保存：")
    review.refresh_from_db()
    assert review.comment == "第一个标签页的意见"
