"""The public notice page and its objection form."""

import datetime
import re
import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, Objection

from .builders import campaign_like, make_estate
from .html import parse
from .public_pages import more_on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice():
    return make_notice()


def make_notice():
    today = timezone.localdate()
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.NOTICE,
        slug="notice-2026",
        title="山东省2026年评选",
        notice_starts_on=today - datetime.timedelta(days=2),
        notice_ends_on=today + datetime.timedelta(days=5),
    )
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="公示中小区", province=linyi.province, city=linyi, households=980)
    nomination = Nomination.objects.create(
        campaign=campaign, estate=estate, state=NominationState.ON_NOTICE
    )
    Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name="评审中小区", province=linyi.province, city=linyi),
        state=NominationState.UNDER_REVIEW,
    )
    return campaign, nomination


def url(campaign):
    return reverse("showcase:campaign_notice", args=[campaign.slug])


def objection(nomination, **extra):
    return {"nomination": nomination.pk, "text": "该小区物业费收缴率数据与实际不符。", **extra}


def test_notice_lists_estates_on_notice_with_key_facts(client, notice):
    campaign, _nomination = notice
    tree = parse(client.get(url(campaign)).content)
    rows = [
        [cell.clean_text() for cell in row.find_all() if cell.tag in ("td", "th")]
        for row in tree.find("tbody").find_all("tr")
    ]
    assert rows == [["山东", "临沂市", "公示中小区", "980", "未知", "未知", "未知", "对此提出异议"]]
    assert "评审中小区" not in tree.text()
    assert "公示期：" in tree.find("p", class_="lead").clean_text()


def test_objection_is_received_with_a_reference(client, notice):
    campaign, nomination = notice
    response = client.post(url(campaign), objection(nomination, contact="13800001111"))
    assert response.status_code == 200
    saved = Objection.objects.get()
    assert (saved.nomination, saved.contact, saved.state) == (nomination, "13800001111", "received")
    tree = parse(response.content)
    assert tree.find("strong").clean_text() == saved.reference
    # 12 characters of 32 (no 0/O, 1/I): 60 bits, hopeless to guess.
    assert re.fullmatch(r"YY(-[2-9A-HJ-NP-Z]{4}){3}", saved.reference)
    # The receipt says to keep the number and where to look the result up with it.
    lookup = f"/campaigns/{campaign.slug}/notice/lookup/"
    receipt = tree.find("div", class_="notice-done")
    assert [p.clean_text() for p in receipt.find_all("p")] == [
        f"受理编号：{saved.reference}。请记下或截图保存这个编号：本站不会再显示它，"
        "查询处理结果要用到它。",
        "核查人员会核实您反映的情况；留下联系方式的，他们可能与您联系。处理进展和评选办公室的"
        "答复，可凭编号在查询异议处理结果页面查看，公示期结束后也能查询"
        f"（网址：http://testserver{lookup}）。",
    ]
    assert [a.attrs["href"] for a in receipt.find_all("a")] == [lookup]


def test_contact_and_objections_are_never_public(client, notice):
    campaign, nomination = notice
    client.post(url(campaign), objection(nomination, contact="13800001111"))
    for page in [
        url(campaign),
        "/",
        "/estates/",
        "/data/estates.json",
        "/feed/",
        "/sitemap.xml",
        "/sitemap-estates.xml",
    ]:
        body = client.get(page).getvalue().decode()
        assert "13800001111" not in body
        assert "物业费收缴率数据与实际不符" not in body


def test_objection_outside_the_notice_period_is_refused(client, notice):
    campaign, nomination = notice
    campaign.notice_ends_on = timezone.localdate() - datetime.timedelta(days=1)
    campaign.save()
    response = client.post(url(campaign), objection(nomination))
    assert response.status_code == 403
    assert not Objection.objects.exists()
    assert "现在不在公示期内，不受理异议。" in response.content.decode()


def test_notice_page_exists_only_while_a_campaign_is_on_notice(client, notice):
    campaign, _nomination = notice
    campaign.phase = CampaignPhase.REVIEWING
    campaign.save()
    assert client.get(url(campaign)).status_code == 404
    assert client.get("/campaigns/quanguo-2021/notice/").status_code == 404


def test_objections_are_limited_per_client(client, notice):
    campaign, nomination = notice
    for _ in range(3):
        assert client.post(url(campaign), objection(nomination)).status_code == 200
    refused = client.post(url(campaign), objection(nomination))
    assert refused.status_code == 429
    assert "提交过于频繁：每小时最多提交 3 件异议，请稍后再试。" in refused.content.decode()
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert other.post(url(campaign), objection(nomination)).status_code == 200
    assert Objection.objects.count() == 4


def test_honeypot_catches_bots(client, notice):
    campaign, nomination = notice
    response = client.post(url(campaign), objection(nomination, website="http://spam.example"))
    assert response.status_code == 400
    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"nomination": ""}, "nomination", "请选择要提出异议的小区。"),
        ({"text": ""}, "text", "请填写异议内容。"),
        ({"text": "太短"}, "text", "异议内容至少写 10 个字（现在 2 个）。"),
        ({"text": "长" * 2001}, "text", "异议内容最多 2000 个字（现在 2001 个），请精简后再提交。"),
        ({"contact": "1" * 101}, "contact", "联系方式最多 100 个字。"),
    ],
)
def test_objection_form_validates(client, notice, data, field, message):
    campaign, nomination = notice
    response = client.post(url(campaign), {**objection(nomination), **data})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not Objection.objects.exists()


def test_objection_needs_the_csrf_token(notice):
    campaign, nomination = notice
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(campaign), objection(nomination)).status_code == 403
    assert not Objection.objects.exists()


def test_objection_only_for_an_estate_on_notice(client, notice):
    campaign, _nomination = notice
    under_review = Nomination.objects.get(estate__name="评审中小区")
    response = client.post(url(campaign), objection(under_review))
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_home_points_to_the_open_notice(client, notice):
    campaign, _nomination = notice
    tree = parse(client.get("/").content)
    link = tree.find("section", class_="notice-call").find("a")
    assert link.attrs["href"] == url(campaign)


def test_the_campaigns_page_points_to_the_open_notice_too(client, notice):
    campaign, _nomination = notice
    tree = parse(client.get(reverse("showcase:campaign_list")).content)
    link = tree.find("section", class_="notice-call").find("a")
    assert link.attrs["href"] == url(campaign)


@pytest.mark.parametrize("first, last", [(1, 5), (-8, -1)], ids=["not yet", "ended"])
def test_home_lists_no_notice_outside_its_days(client, notice, first, last):
    # Left in the notice phase after its last day (or moved to it before its first), the
    # notice page takes no objections; home does not call it 正在公示 either.
    campaign, _nomination = notice
    today = timezone.localdate()
    campaign.notice_starts_on = today + datetime.timedelta(days=first)
    campaign.notice_ends_on = today + datetime.timedelta(days=last)
    campaign.save()
    assert "不受理异议" in client.get(url(campaign)).content.decode()
    for page in ("/", reverse("showcase:campaign_list")):
        assert parse(client.get(page).content).find("section", class_="notice-call") is None


def test_the_form_opens_on_no_estate_and_a_row_link_chooses_its_own(client, notice):
    campaign, nomination = notice
    tree = parse(client.get(url(campaign)).content)
    select = tree.find("select", name="nomination")
    assert [o.attrs.get("value") for o in select.find_all("option") if "selected" in o.attrs] == [
        ""
    ]
    link = tree.find("tbody").find("a")
    assert link.clean_text() == "对此提出异议"
    assert link.attrs["href"] == f"?nomination={nomination.pk}#objection"
    chosen = parse(client.get(url(campaign) + link.attrs["href"].split("#")[0]).content)
    options = chosen.find("select", name="nomination").find_all("option")
    assert [o.attrs["value"] for o in options if "selected" in o.attrs] == [str(nomination.pk)]
    # The form answers at itself: its errors, or the receipt, where the reader is.
    assert tree.find("form", class_="objection-form").attrs["action"] == "#objection"
    answer = parse(client.post(url(campaign), objection(nomination)).content)
    assert answer.find("section", id="objection").find("div", class_="notice-done")


@pytest.mark.django_db(transaction=True)
def test_objections_sent_at_once_from_one_client_keep_the_limit():
    from django.core.management import call_command

    call_command("load_seed", verbosity=0)
    campaign, nomination = make_notice()
    answers = []
    start = threading.Barrier(10)

    def send():
        client = Client(REMOTE_ADDR="10.1.2.3")
        start.wait()
        try:
            answers.append(client.post(url(campaign), objection(nomination)).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] * 3 + [429] * 7
    assert Objection.objects.filter(nomination=nomination).count() == 3


def test_notice_lists_its_estates_a_page_at_a_time_and_the_form_every_one(
    client, notice, monkeypatch
):
    from showcase import notice as notice_view

    campaign, first = notice
    more_on_notice(campaign, 4, "公示小区{}")
    monkeypatch.setattr(notice_view, "NOTICE_ROWS_PER_PAGE", 2)
    on_notice = list(
        Nomination.objects.filter(campaign=campaign, state=NominationState.ON_NOTICE)
        .order_by("province_sequence", "estate__name_pinyin", "pk")
        .values_list("pk", "estate__name")
    )
    assert len(on_notice) == 5
    every = [(str(pk), f"山东 · 临沂市 · {name}") for pk, name in on_notice]
    listed = []
    for number in (1, 2, 3):
        tree = parse(client.get(f"{url(campaign)}?page={number}").content)
        listed += [row.find("th").clean_text() for row in tree.find("tbody").find_all("tr")]
        assert tree.find("h2", id="list-heading").clean_text() == "拟入选小区（5 个）"
        assert ("（第" in tree.find("title").clean_text()) == (number > 1)
        nav = tree.find("nav", class_="pager")
        assert f"第 {number} 页，共 3 页" in nav.clean_text()
        # The objection form lists every estate on notice, whichever page is shown.
        options = tree.find("select", name="nomination").find_all("option")
        assert [(o.attrs["value"], o.clean_text()) for o in options] == [("", "请选择小区"), *every]
    assert listed == [name for _pk, name in on_notice]
    # A number past the end is the last page; an objection sent from a later page is taken.
    last = parse(client.get(f"{url(campaign)}?page=9").content)
    assert [row.find("th").clean_text() for row in last.find("tbody").find_all("tr")] == [
        on_notice[-1][1]
    ]
    response = client.post(f"{url(campaign)}?page=3", objection(first))
    assert response.status_code == 200
    assert Objection.objects.get().nomination == first
    assert len(parse(response.content).find("tbody").find_all("tr")) == 1
