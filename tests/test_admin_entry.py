"""Entering data as staff would: validation messages, evidence boxes, submission, history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Estate, Nomination, NominationTransition
from estates.workflow import transition

from .builders import campaign_like, make_estate, make_staff, nominate
from .growth import grow
from .html import parse
from .test_admin_access import empty_inlines

pytestmark = pytest.mark.django_db


def linyi_estate_data(**overrides):
    linyi = City.objects.get(slug="linyi")
    data = {
        "name": "测试花园",
        "province": linyi.province_id,
        "city": linyi.pk,
        "district": "兰山区",
        **empty_inlines(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def shandong(client):
    client.force_login(make_staff("provincial", "shandong"))
    return client


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("green_coverage", "100.5", "百分比不能大于 100。"),
        ("green_coverage", "-1", "百分比不能小于 0。"),
        ("households", "-3", "确保该值大于或等于0。"),
        ("households", "一千", "输入整数。"),
        ("year_built", "2999", "年份 2999 是将来的年份，请填写已经发生的年份。"),
    ],
)
def test_estate_form_refuses_with_a_chinese_message(shandong, field, value, message):
    response = shandong.post(
        reverse("admin:estates_estate_add"), linyi_estate_data(**{field: value})
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert not Estate.objects.filter(name="测试花园").exists()


def test_metric_in_the_future_is_refused_in_the_inline(shandong):
    data = linyi_estate_data()
    data.update(
        {
            "metrics-TOTAL_FORMS": "1",
            "metrics-0-metric_type": "1",
            "metrics-0-value": "95",
            "metrics-0-date": "2999-01-01",
            "metrics-0-date_precision": "day",
            "metrics-0-sequence": "0",
        }
    )
    response = shandong.post(reverse("admin:estates_estate_add"), data)
    assert response.status_code == 200
    assert "日期 2999-01-01 晚于今天，请填写已经发生的日期。" in response.content.decode()
    assert not Estate.objects.filter(name="测试花园").exists()


def test_percentage_metric_over_100_is_refused_in_the_inline(shandong):
    data = linyi_estate_data()
    data.update(
        {
            "metrics-TOTAL_FORMS": "1",
            "metrics-0-metric_type": "1",
            "metrics-0-value": "101",
            "metrics-0-date_precision": "day",
            "metrics-0-sequence": "0",
        }
    )
    response = shandong.post(reverse("admin:estates_estate_add"), data)
    assert "百分比必须在 0 到 100 之间。" in response.content.decode()
    assert not Estate.objects.filter(name="测试花园").exists()


def test_duplicate_estate_in_the_same_city_is_flagged_then_allowed_on_confirmation(shandong):
    data = linyi_estate_data(name="奥正诚园南区")
    response = shandong.post(reverse("admin:estates_estate_add"), data)
    assert response.context["adminform"].form.errors["name"] == [
        "临沂市已有名为“奥正诚园南区”的小区，可能是重复录入。"
        "如确认是另一个小区，请勾选“确认不是重复录入”后再保存。"
    ]
    response = shandong.post(
        reverse("admin:estates_estate_add"), {**data, "confirm_not_duplicate": "on"}
    )
    assert response.status_code == 302
    assert Estate.objects.filter(name="奥正诚园南区").count() == 2


def test_new_nomination_gets_one_box_per_criterion_and_activity(shandong):
    estate = make_estate(
        name="新推荐小区",
        province=City.objects.get(slug="linyi").province,
        city=City.objects.get(slug="linyi"),
    )
    # A campaign taking nominations, with the criteria and required activities of 2023.
    campaign = campaign_like("shandong-2023", CampaignPhase.NOMINATING, year=2024)
    response = shandong.post(
        reverse("admin:estates_nomination_add"),
        {
            "campaign": campaign.pk,
            "estate": estate.pk,
            "nominating_authority": "临沂市住房和城乡建设局",
            "criterion_evidence-TOTAL_FORMS": "0",
            "criterion_evidence-INITIAL_FORMS": "0",
            "activity_evidence-TOTAL_FORMS": "0",
            "activity_evidence-INITIAL_FORMS": "0",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    nomination = Nomination.objects.get(estate=estate)
    assert response["Location"] == reverse("admin:estates_nomination_change", args=[nomination.pk])
    assert nomination.criterion_evidence.count() == 9
    assert nomination.activity_evidence.count() == 8
    page = shandong.get(response["Location"]).content.decode()
    assert page.count("未填写") >= 17
    assert "还有 17 项材料未填写，提交前需全部填写。" in page


def draft_linyi_nomination():
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="待提交小区", province=linyi.province, city=linyi)
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign_like("shandong-2023", CampaignPhase.NOMINATING)
    )
    from estates.admin.nominations import create_missing_evidence

    create_missing_evidence(nomination)
    return nomination


def test_submission_needs_every_evidence_text():
    nomination = draft_linyi_nomination()
    staff = make_staff("provincial", "shandong")
    with pytest.raises(ValidationError) as error:
        transition(nomination, NominationState.SUBMITTED, staff)
    assert error.value.messages[0].startswith(
        "还有 17 项材料未填写，不能提交：（一）发挥党建引领物业管理作用"
    )
    nomination.criterion_evidence.update(text="材料")
    nomination.activity_evidence.update(text="材料")
    transition(nomination, NominationState.SUBMITTED, staff)
    assert nomination.state == NominationState.SUBMITTED
    assert nomination.submitted_at is not None
    log = NominationTransition.objects.get(nomination=nomination)
    assert (log.from_state, log.to_state, log.actor) == ("draft", "submitted", staff)


def test_another_province_cannot_submit():
    nomination = draft_linyi_nomination()
    nomination.criterion_evidence.update(text="材料")
    nomination.activity_evidence.update(text="材料")
    with pytest.raises(PermissionDenied):
        transition(nomination, NominationState.SUBMITTED, make_staff("provincial", "beijing"))
    nomination.refresh_from_db()
    assert nomination.state == NominationState.DRAFT


def test_submit_button_in_the_admin(shandong):
    nomination = draft_linyi_nomination()
    url = reverse("admin:estates_nomination_transition", args=[nomination.pk])
    response = shandong.post(url, {"to_state": "submitted"}, follow=True)
    assert next(str(m) for m in response.context["messages"]).startswith("还有 17 项材料未填写")
    nomination.criterion_evidence.update(text="材料")
    nomination.activity_evidence.update(text="材料")
    response = shandong.post(url, {"to_state": "submitted"}, follow=True)
    nomination.refresh_from_db()
    assert nomination.state == NominationState.SUBMITTED
    assert response.context["has_change_permission"] is False


def test_every_change_is_kept_with_who_and_can_be_reverted(client):
    ministry = make_staff("ministry")
    client.force_login(ministry)
    estate = Estate.objects.get(slug="lijingchangan")
    estate.tagline = "改过的标题语"
    estate._history_user = ministry
    estate.save()
    record = estate.history.earliest()
    history = client.get(reverse("admin:estates_estate_history", args=[estate.pk]))
    assert history.status_code == 200
    latest = estate.history.latest()
    assert latest.history_user == ministry and latest.tagline == "改过的标题语"
    # Revert to the first recorded version through the admin's history form.
    estate.tagline = "再改一次"
    estate.save()
    form_url = reverse("admin:estates_estate_simple_history", args=[estate.pk, record.pk])
    page = client.get(form_url)
    assert page.status_code == 200
    client.post(form_url, form_post_data(page))
    estate.refresh_from_db()
    assert estate.tagline == "用心服务，温暖业主"


def form_post_data(response):
    """What the browser would send back for an admin change form, as rendered."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value.pk if hasattr(value, "pk") else value
    for formset in response.context.get("inline_admin_formsets", []):
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is None or value is False or name == "DELETE":
                    continue
                data[inline_form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return data


@pytest.mark.parametrize(
    "url_name", ["admin:estates_estate_changelist", "admin:estates_nomination_changelist"]
)
def test_changelist_runs_a_fixed_number_of_queries(client, url_name):
    client.force_login(make_staff("ministry"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name)).status_code == 200
        return len(queries)

    small = count()
    grow(30)
    assert count() == small


def test_estate_form_runs_the_same_queries_however_many_rows_its_inlines_have(client):
    from estates.models import Activity, Mechanism, MechanismType, Metric, MetricType

    client.force_login(make_staff("ministry"))
    estate = make_estate(name="行数小区")
    url = reverse("admin:estates_estate_change", args=[estate.pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def add_rows(n):
        kinds = list(MetricType.objects.all())
        mechanisms = list(MechanismType.objects.all())
        for i in range(n):
            Metric.objects.create(
                estate=estate, metric_type=kinds[i % len(kinds)], value=50 + i, sequence=i
            )
            Mechanism.objects.create(
                estate=estate, mechanism_type=mechanisms[i % len(mechanisms)], title=f"做法{i}"
            )
            Activity.objects.create(estate=estate, title=f"活动{i}")

    add_rows(1)
    few = count()
    add_rows(12)
    assert count() == few


def test_a_published_estate_form_links_its_page_without_an_extra_query(client):
    client.force_login(make_staff("ministry"))
    hidden, shown = make_estate(name="未公开小区"), make_estate(name="已公开小区")
    nominate(shown)
    shown.refresh_from_db()
    assert shown.is_published and not hidden.is_published

    def page(estate):
        url = reverse("admin:estates_estate_change", args=[estate.pk])
        client.get(url)  # the content type, read once per process, is cached after this
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return response, len(queries)

    (hidden_page, hidden_count), (shown_page, shown_count) = page(hidden), page(shown)
    link = f'href="/estates/{shown.slug}/"'
    assert link in shown_page.content.decode()
    assert not parse(hidden_page.content).find("a", class_="viewsitelink")
    assert shown_count == hidden_count
    # A refused form shows what was typed, yet the link is the page's real address.
    data = form_post_data(shown_page)
    data.update(slug="", households="很多")
    refused = client.post(reverse("admin:estates_estate_change", args=[shown.pk]), data)
    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    assert link in refused.content.decode()


def test_each_inline_row_keeps_its_own_choice_selected_from_the_shared_choices(client):
    from estates.models import Metric, MetricType

    client.force_login(make_staff("ministry"))
    estate = make_estate(name="选项小区")
    kinds = list(MetricType.objects.order_by("pk"))
    for i, kind in enumerate(kinds):
        Metric.objects.create(estate=estate, metric_type=kind, value=60 + i)
    response = client.get(reverse("admin:estates_estate_change", args=[estate.pk]))
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is Metric
    )
    tree = parse(response.content)
    for i, form in enumerate(formset.forms):
        select = tree.find("select", name=form.add_prefix("metric_type"))
        options = select.find_all("option")
        assert len(options) == len(kinds) + 1  # every type, and the empty choice
        chosen = [o.attrs["value"] for o in options if "selected" in o.attrs]
        assert chosen == [str(form.instance.metric_type_id)], i
    assert {f.instance.metric_type_id for f in formset.forms} == {k.pk for k in kinds}


def test_estate_list_searches_pinyin_initials_and_company(client):
    client.force_login(make_staff("ministry"))
    url = reverse("admin:estates_estate_changelist")
    for term, names in [
        ("sqg", ["双旗杆东里"]),
        ("正直", ["奥正诚园南区"]),
        ("changan", ["丽景长安", "西长安壹号"]),
    ]:
        response = client.get(url, {"q": term})
        assert sorted(e.name for e in response.context["cl"].result_list) == sorted(names)


def test_estate_list_columns_show_latest_metrics_and_state(client):
    client.force_login(make_staff("ministry"))
    response = client.get(reverse("admin:estates_estate_changelist"))
    admin = response.context["cl"].model_admin
    rows = {e.name: e for e in response.context["cl"].result_list}
    assert admin.satisfaction(rows["奥正诚园南区"]) == "96.55%"
    assert admin.fee_collection(rows["丽景长安"]) == "100%"
    assert admin.satisfaction(rows["厂洼街7号院"]) == "—"
    assert admin.nomination_state(rows["奥正诚园南区"]) == "入选"
