"""A new round from an earlier campaign in one step; campaign names without a doubled year;
criteria and required activities that say which campaign they belong to; criteria weights
that add up to 100."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from estates.admin.campaign_choices import campaign_part_choices, campaign_part_field
from estates.campaigns import copy_campaign, next_round, weights_problem
from estates.enums import CampaignPhase, NominationState
from estates.models import (
    Activity,
    ActivityRequirement,
    Campaign,
    Criterion,
    Province,
    ProvinceQuota,
)

from .builders import campaign_like, make_campaign, make_estate, make_staff, nominate
from .html import parse
from .test_lost_updates import form_post_data

pytestmark = pytest.mark.django_db

TITLE_2025 = "2025年度全国“加强物业管理 共建美好家园”典型案例评选"


def campaign_2025():
    """The 2025 national round, as the ministry set it up: criteria with their weights, the
    required activities, two province quotas, thresholds and a document number."""
    campaign = campaign_like(
        "quanguo-2021",
        CampaignPhase.PUBLISHED,
        year=2025,
        title=TITLE_2025,
        title_en="2025 National campaign",
        slug="quanguo-2025",
        organizer="住房和城乡建设部",
        description="每省推荐不超过 5 个小区。\n材料截止 6 月 30 日。",
        document_number="建办房函〔2025〕88号",
        quota=100,
        min_satisfaction=Decimal("90.00"),
        min_fee_collection=Decimal("85.50"),
        reviewers_per_nomination=5,
        notice_starts_on="2025-11-01",
        notice_ends_on="2025-11-07",
    )
    campaign.criteria.filter(number=1).update(description="党组织领导下的议事协调机制")
    campaign.activity_requirements.filter(number=8).update(description="每年至少一次")
    for slug, quota in [("beijing", 6), ("shandong", 8)]:
        ProvinceQuota.objects.create(
            campaign=campaign, province=Province.objects.get(slug=slug), quota=quota
        )
    nominate(make_estate(name="往届入选小区"), campaign=campaign)
    return campaign


def ministry_client(client):
    client.force_login(make_staff("ministry"))


# ---------------------------------------------------------------------------------------------
# Copying.


def test_the_next_round_is_prefilled_with_the_year_replaced():
    new = next_round(campaign_2025(), today=date(2025, 12, 3))
    assert (new.year, new.title, new.title_en, new.slug) == (
        2026,
        "2026年度全国“加强物业管理 共建美好家园”典型案例评选",
        "2026 National campaign",
        "quanguo-2026",
    )
    plain = next_round(Campaign.objects.get(slug="shandong-2023"), today=date(2024, 3, 1))
    assert (plain.year, plain.title, plain.slug) == (
        2024,
        "山东省“加强物业管理 共建美好家园”活动",  # no year in it: the same title, another year
        "shandong-2024",
    )


def test_copying_carries_the_rules_over_and_nothing_of_the_results(client):
    ministry_client(client)
    source = campaign_2025()
    url = reverse("admin:estates_campaign_copy", args=[source.pk])
    form = client.get(url).context["form"]
    year = max(2026, timezone.localdate().year)  # the year after 2025, or this year if later
    assert {name: form[name].value() for name in ("year", "title", "slug")} == {
        "year": year,
        "title": f"{year}年度全国“加强物业管理 共建美好家园”典型案例评选",
        "slug": f"quanguo-{year}",
    }
    response = client.post(
        url, {"year": year, "title": form["title"].value(), "slug": f"quanguo-{year}"}
    )
    new = Campaign.objects.get(slug=f"quanguo-{year}")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:estates_campaign_change", args=[new.pk])
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith(f"已从“{TITLE_2025}”复制出“{year}年度全国")

    def criteria(campaign):
        return list(campaign.criteria.values_list("number", "title", "description", "weight"))

    def requirements(campaign):
        return list(campaign.activity_requirements.values_list("number", "title", "description"))

    def quotas(campaign):
        return list(campaign.province_quotas.values_list("province__slug", "quota"))

    assert criteria(new) == criteria(source) and len(criteria(new)) == 9
    assert requirements(new) == requirements(source) and len(requirements(new)) == 8
    assert quotas(new) == quotas(source) == [("beijing", 6), ("shandong", 8)]
    carried = ["level", "organizer", "description", "quota", "min_satisfaction"]
    carried += ["min_fee_collection", "reviewers_per_nomination"]
    assert [getattr(new, f) for f in carried] == [getattr(source, f) for f in carried]
    assert (new.phase, new.document_number, new.notice_starts_on, new.notice_ends_on) == (
        CampaignPhase.DRAFT,
        "",
        None,
        None,
    )
    assert new.results_published_at is None
    assert not new.nominations.exists()


def test_a_copy_that_fails_half_way_leaves_nothing(client, monkeypatch):
    ministry_client(client)
    source = campaign_2025()

    def storage_fails(*args, **kwargs):
        raise RuntimeError("the database went away half-way")

    monkeypatch.setattr(ProvinceQuota.objects, "bulk_create", storage_fails)
    with pytest.raises(RuntimeError):
        copy_campaign(source, next_round(source))
    assert not Campaign.objects.filter(slug="quanguo-2026").exists()
    assert not Criterion.objects.filter(campaign__year=2026).exists()


def test_a_copy_with_a_taken_address_or_title_is_refused_and_keeps_what_was_typed(client):
    ministry_client(client)
    source = campaign_2025()
    url = reverse("admin:estates_campaign_copy", args=[source.pk])
    typed = {"year": 2025, "title": TITLE_2025, "slug": "quanguo-2025"}
    response = client.post(url, typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "slug": [f"网址标识“quanguo-2025”已被评选活动“{TITLE_2025}”使用，请换一个。"],
        "title": [f"2025 年已有名为“{TITLE_2025}”的评选活动（quanguo-2025），请换一个名称或年度。"],
    }
    page = parse(response.content)
    assert page.find("input", id="id_title").attrs["value"] == TITLE_2025
    assert page.find("p", class_="errornote").clean_text() == "没有复制：请改正下面标出的错误。"
    assert Campaign.objects.filter(year=2025).count() == 1


def test_a_copy_into_a_future_year_is_refused_clearly(client):
    ministry_client(client)
    source = Campaign.objects.get(slug="shandong-2023")
    response = client.post(
        reverse("admin:estates_campaign_copy", args=[source.pk]),
        {"year": 2999, "title": "山东省评选", "slug": "shandong-2999"},
    )
    latest = timezone.localdate().year + 1
    assert response.context["form"].errors["year"] == [
        f"评选年度最晚可以填 {latest} 年（评选活动最多提前一年筹备），2999 年太远了。"
    ]


def test_only_the_ministry_copies_campaigns(client):
    source = campaign_2025()
    client.force_login(make_staff("editor"))
    url = reverse("admin:estates_campaign_copy", args=[source.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"year": 2026, "title": "x", "slug": "x-2026"}).status_code == 403
    page = parse(client.get(reverse("admin:estates_campaign_changelist")).content)
    assert not [a for a in page.find_all("a") if a.attrs.get("href", "").endswith("/copy/")]
    assert "新一届评选" not in page.clean_text()


def test_the_campaign_list_offers_the_copy_in_one_click(client):
    ministry_client(client)
    source = campaign_2025()
    page = parse(client.get(reverse("admin:estates_campaign_changelist")).content)
    [link] = page.find_all("a", href=reverse("admin:estates_campaign_copy", args=[source.pk]))
    assert link.clean_text() == "复制"
    assert link.attrs["title"] == f"以“{TITLE_2025}”为底复制为新一届评选"
    change = parse(client.get(reverse("admin:estates_campaign_change", args=[source.pk])).content)
    tools = change.find("ul", class_="object-tools").clean_text()
    assert "复制为新一届评选" in tools


# ---------------------------------------------------------------------------------------------
# Weights.


def test_weights_must_add_up_to_100():
    assert weights_problem([]) is None
    assert weights_problem([Decimal("11.11")] * 8 + [Decimal("11.12")]) is None
    assert weights_problem([Decimal("12.11")] + [Decimal("11.11")] * 7 + [Decimal("11.12")]) == (
        "各项原则要求的权重之和应为 100，现在 9 项合计 101。请调整“权重（%）”一栏，使合计为 100。"
    )


def test_the_campaign_form_refuses_weights_that_do_not_add_up(client):
    ministry_client(client)
    campaign = campaign_2025()
    url = reverse("admin:estates_campaign_change", args=[campaign.pk])
    data = form_post_data(client.get(url))
    prefix = "criteria"
    first = data[f"{prefix}-0-weight"]
    data[f"{prefix}-0-weight"] = Decimal(str(first)) + 1
    refused = client.post(url, data)
    assert refused.status_code == 200
    [formset] = [
        f.formset for f in refused.context["inline_admin_formsets"] if f.formset.prefix == prefix
    ]
    assert [str(e) for e in formset.non_form_errors()] == [
        f"各项原则要求的权重之和应为 100，现在 9 项合计 {plain(sum_of(data, prefix))}。"
        "请调整“权重（%）”一栏，使合计为 100。"
    ]
    assert campaign.criteria.get(number=1).weight == Decimal(str(first))
    # Taking the point from the second criterion makes it whole again.
    data[f"{prefix}-1-weight"] = Decimal(str(data[f"{prefix}-1-weight"])) - 1
    assert client.post(url, data).status_code == 302
    assert sum(campaign.criteria.values_list("weight", flat=True)) == 100


def test_a_criterion_saved_on_its_own_page_warns_when_the_total_is_off(client):
    ministry_client(client)
    criterion = campaign_2025().criteria.get(number=9)
    url = reverse("admin:estates_criterion_change", args=[criterion.pk])
    data = form_post_data(client.get(url))
    data["weight"] = criterion.weight + 1
    response = client.post(url, data)
    assert response.status_code == 302
    warning, saved = [str(m) for m in get_messages(response.wsgi_request)]
    assert warning == (
        f"“{TITLE_2025}”：各项原则要求的权重之和应为 100，现在 9 项合计 101。"
        "请调整“权重（%）”一栏，使合计为 100。可在评选活动页面一次调整各项权重。"
    )
    assert saved.startswith("成功修改了 原则要求")


def sum_of(data, prefix):
    return sum(Decimal(str(data[f"{prefix}-{i}-weight"])) for i in range(9))


def plain(value):
    return f"{value.normalize():f}"


# ---------------------------------------------------------------------------------------------
# Names.


def test_a_title_that_begins_with_its_year_is_not_given_it_twice():
    titled = Campaign(year=2026, title="2026年度全国典型案例评选")
    assert str(titled) == "2026年度全国典型案例评选"
    assert str(Campaign(year=2026, title="２０２６年度全国评选")) == "２０２６年度全国评选"
    assert str(Campaign(year=2021, title="全国“美好家园”活动")) == "2021 全国“美好家园”活动"
    # Another year in the title is not this one.
    assert str(Campaign(year=2026, title="2025—2026年度评选")) == "2026 2025—2026年度评选"


def test_public_pages_name_a_year_titled_campaign_once(client):
    campaign = make_campaign(year=2024, title="2024年度全国示范评选", slug="demo-2024")
    estate = make_estate(name="年度示范小区")
    nominate(estate, campaign=campaign)
    pages = [
        reverse("showcase:campaign_list"),
        reverse("showcase:campaign_detail", args=[campaign.slug]),
        reverse("showcase:province_feature", args=[campaign.slug, estate.province.slug]),
        reverse("showcase:estate_detail", args=[estate.slug]),
    ]
    for url in pages:
        text = parse(client.get(url).content).clean_text()
        assert "2024年度全国示范评选" in text, url
        assert "2024 2024" not in text and "2024 年2024" not in text, url
    badge = parse(client.get(pages[-1]).content).find("p", class_="badge").clean_text()
    assert badge == "入选2024年度全国示范评选典型案例"
    notice = make_campaign(
        CampaignPhase.NOTICE,
        year=2024,
        title="2024年度全国公示评选",
        notice_starts_on="2024-06-01",
        notice_ends_on="2024-06-07",
    )
    nominate(make_estate(name="公示小区"), campaign=notice, state=NominationState.ON_NOTICE)
    text = parse(client.get(reverse("showcase:campaign_notice", args=[notice.slug])).content)
    assert text.find("h1").clean_text() == "公示：2024年度全国公示评选"


def test_choices_of_criteria_and_activities_name_their_campaign():
    campaign_2025()
    form = modelform_factory(
        Activity,
        fields=["requirement"],
        formfield_callback=lambda f, **kw: f.formfield(**campaign_part_field(f, kw)),
    )()
    with CaptureQueriesContext(connection) as queries:
        labels = [label for _value, label in form.fields["requirement"].choices]
    assert len(queries) == 1
    assert "（一）召开一次社区物业党建联席会 · 2023 山东" in labels
    assert "（一）召开一次社区物业党建联席会 · 2025 全国" in labels
    assert labels[0] == "---------"
    criteria = campaign_part_choices(Criterion.objects.filter(campaign__year=2025))
    assert criteria[0][1].endswith(" · 2025 全国") and criteria[0][1].startswith("（一）")


def test_a_requirement_names_its_campaign_only_when_asked():
    requirement = ActivityRequirement.objects.filter(campaign__slug="shandong-2023").first()
    assert str(requirement) == "（一）召开一次社区物业党建联席会"  # inside its own campaign
    assert requirement.choice_label() == "（一）召开一次社区物业党建联席会 · 2023 山东"


def test_the_estate_page_names_the_campaign_of_each_required_activity(client):
    ministry_client(client)
    campaign_2025()
    estate = make_estate(name="活动对应小区")
    page = client.get(reverse("admin:estates_estate_change", args=[estate.pk]))
    select = parse(page.content).find("select", id="id_activities-__prefix__-requirement")
    labels = [option.clean_text() for option in select.find_all("option")]
    assert "（一）召开一次社区物业党建联席会 · 2023 山东" in labels
    assert "（一）召开一次社区物业党建联席会 · 2025 全国" in labels
