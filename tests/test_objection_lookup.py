"""Looking an objection up by its reference (/campaigns/<slug>/notice/lookup/): its state and,
once handled, the response the ministry published; nothing else of it, nothing of anyone
else's; the same answer for a reference that does not exist and one of another campaign; a
per-client limit on references not found; POST only, never cached, never indexed. And the
admin's handling form, where the ministry writes the public response."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState, ObjectionState
from estates.models import City, Nomination, Objection
from estates.workflow import handle_objection
from showcase.models import ObjectionLookupMiss
from showcase.notice import LOOKUP_MISSES_PER_HOUR, normalise_reference

from .builders import campaign_like, make_estate, make_staff
from .html import parse
from .test_html_validity import java_or_skip, nu_check

pytestmark = pytest.mark.django_db

REFERENCE = "YY-8M4T-Q2WC-7HJR"
TEXT = "该小区公示的物业费收缴率与实际不符，请核查。"
CONTACT = "13800001111"


def campaign_on_notice(slug="lookup-2026"):
    today = timezone.localdate()
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.NOTICE,
        slug=slug,
        title=f"山东省2026年评选（{slug}）",
        notice_starts_on=today - datetime.timedelta(days=2),
        notice_ends_on=today + datetime.timedelta(days=5),
    )
    linyi = City.objects.get(slug="linyi")
    nomination = Nomination.objects.create(
        campaign=campaign,
        estate=make_estate(name=f"公示中小区{slug}", province=linyi.province, city=linyi),
        state=NominationState.ON_NOTICE,
    )
    return campaign, nomination


@pytest.fixture
def ministry():
    return make_staff("ministry")


@pytest.fixture
def notice():
    """A campaign on notice with one objection whose reference is REFERENCE."""
    campaign, nomination = campaign_on_notice()
    objection = Objection.objects.create(
        nomination=nomination, reference=REFERENCE, text=TEXT, contact=CONTACT
    )
    return campaign, objection


def url(campaign, language=""):
    return f"{language}/campaigns/{campaign.slug}/notice/lookup/"


def look_up(client, campaign, reference, language=""):
    return client.post(url(campaign, language), {"reference": reference})


def answer_of(response):
    """(state heading, reference, response paragraphs or None) of a found objection."""
    box = parse(response.content).find("div", class_="lookup-answer")
    if box is None:
        return None
    shown = box.find("div", class_="public-response")
    return (
        box.find("h2").clean_text(),
        box.find("strong").clean_text(),
        [p.clean_text() for p in shown.find_all("p")] if shown else None,
    )


def field_errors(response):
    return [p.clean_text() for p in parse(response.content).find_all("p", class_="error")]


def handle(objection, ministry, state, public_response=None, response="经核查，情况属实。"):
    if state == ObjectionState.CHECKING:
        response = ""
    handle_objection(objection, state, ministry, response, public_response=public_response)


def test_the_page_asks_for_the_reference(client, notice):
    campaign, _objection = notice
    response = client.get(url(campaign))
    assert response.status_code == 200
    tree = parse(response.content)
    assert tree.find("h1").clean_text() == "查询异议处理结果"
    form = tree.find("form", class_="lookup-form")
    assert form.attrs["method"] == "post"
    field = form.find("input", id="id_reference")
    assert field.attrs["autocomplete"] == "off"
    assert field.attrs["aria-describedby"] == "id_reference_helptext"
    assert tree.find("div", class_="lookup-answer") is None
    crumbs = tree.find("p", class_="crumbs")
    assert crumbs.clean_text() == f"评选活动 · 公示：{campaign.label()}"
    assert [a.attrs["href"] for a in crumbs.find_all("a")] == [
        "/campaigns/",
        f"/campaigns/{campaign.slug}/notice/",
    ]


def test_the_state_before_and_after_handling(client, notice, ministry):
    campaign, objection = notice
    assert answer_of(look_up(client, campaign, REFERENCE)) == ("处理状态：已收到", REFERENCE, None)
    page = parse(look_up(client, campaign, REFERENCE).content)
    assert (
        "评选办公室已收到这件异议，将安排核查。" in page.find("div", class_="lookup-answer").text()
    )

    handle(objection, ministry, ObjectionState.CHECKING)
    checking = look_up(client, campaign, REFERENCE)
    assert answer_of(checking) == ("处理状态：核查中", REFERENCE, None)
    assert "核查人员正在核实您反映的情况。" in checking.content.decode()

    handle(objection, ministry, ObjectionState.DISMISSED, "经核查，收缴率数据属实。")
    handled = look_up(client, campaign, REFERENCE)
    assert handled.status_code == 200
    assert answer_of(handled) == ("处理状态：已处理", REFERENCE, ["经核查，收缴率数据属实。"])


def test_upheld_and_dismissed_read_alike(client, ministry):
    """Whether the objection stood is the ministry's to say in its response, or not at all."""
    answers = []
    for state in (ObjectionState.UPHELD, ObjectionState.DISMISSED):
        campaign, nomination = campaign_on_notice(f"lookup-{state}")
        objection = Objection.objects.create(nomination=nomination, text=TEXT)
        handle(objection, ministry, state)
        state_heading, _reference, shown = answer_of(look_up(client, campaign, objection.reference))
        answers.append((state_heading, shown))
    assert answers == [("处理状态：已处理", None)] * 2


def test_the_public_response_only_when_written_and_only_once_handled(client, notice, ministry):
    campaign, objection = notice
    # Written while checking (the admin lets the ministry prepare it): not shown yet.
    handle(objection, ministry, ObjectionState.CHECKING, "初步核实：收缴率台账已调取。")
    assert answer_of(look_up(client, campaign, REFERENCE)) == ("处理状态：核查中", REFERENCE, None)
    assert "初步核实" not in look_up(client, campaign, REFERENCE).content.decode()
    # Handled without a public response: 已处理, and no text; the internal response stays in.
    handle(objection, ministry, ObjectionState.UPHELD, "", response="内部：台账造假，已通报。")
    handled = look_up(client, campaign, REFERENCE)
    assert answer_of(handled) == ("处理状态：已处理", REFERENCE, None)
    assert parse(handled.content).find("div", class_="lookup-answer").find("h3") is None
    assert "内部：台账造假" not in handled.content.decode()
    # The ministry writes one afterwards in the admin: shown from then on.
    objection.refresh_from_db()
    objection.public_response = "经核查，异议成立，该小区不予入选。"
    objection.save()
    assert answer_of(look_up(client, campaign, REFERENCE))[2] == [
        "经核查，异议成立，该小区不予入选。"
    ]


def test_nothing_else_of_the_objection_and_nothing_of_anyone_elses(client, notice, ministry):
    campaign, objection = notice
    other = Objection.objects.create(
        nomination=objection.nomination,
        text="另一件异议：停车收费标准没有公示。",
        contact="other@example.org",
    )
    handle(other, ministry, ObjectionState.DISMISSED, "另一件的答复：停车收费已公示。")
    handle(objection, ministry, ObjectionState.DISMISSED, "经核查，数据属实。")
    body = look_up(client, campaign, REFERENCE).content.decode()
    assert "经核查，数据属实。" in body
    for secret in [
        TEXT,
        CONTACT,
        objection.nomination.estate.name,  # the sender knows it; whoever else holds the number
        "经核查，情况属实。",  # the internal response
        other.reference,
        other.text,
        other.contact,
        "另一件的答复",
    ]:
        assert secret not in body, secret


def without_token_and_typed(response, typed):
    """The page with what differs between two asks by design: the CSRF token and the typed
    text the form gives back."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return body.replace(f'value="{typed}"', 'value="…"')


def test_unknown_and_other_campaigns_references_answer_alike(client, notice):
    campaign, _objection = notice
    other_campaign, other_nomination = campaign_on_notice("lookup-other")
    elsewhere = Objection.objects.create(nomination=other_nomination, text=TEXT)
    # Found on its own campaign's page…
    assert answer_of(look_up(client, other_campaign, elsewhere.reference))[1] == (
        elsewhere.reference
    )
    # …and on this one answered as a reference nobody was given.
    answers = []
    for typed in [elsewhere.reference, "YY-2222-3333-4444", "YY-ABCD2345", "YY-ABC"]:
        response = look_up(client, campaign, typed)
        assert response.status_code == 404, typed
        assert field_errors(response) == [
            "没有找到这个受理编号。请核对后重新输入：只能查询在本次评选公示中提交的异议。"
        ]
        assert answer_of(response) is None
        answers.append(without_token_and_typed(response, typed))
    assert len(set(answers)) == 1


@pytest.mark.parametrize(
    "typed",
    [
        "yy 8m4t q2wc 7hjr",
        "YY-8M4T-Q2WC-7HJR",
        "  yy-8m4t-q2wc-7hjr  ",
        "YY8M4TQ2WC7HJR",
        "8M4TQ2WC7HJR",
        "8m4t-q2wc-7hjr",
        "ＹＹ－８Ｍ４Ｔ－Ｑ２ＷＣ－７ＨＪＲ",  # full-width, as a Chinese input method types it
        "yy—8m4t　q2wc　7hjr",  # a Chinese dash and ideographic spaces
    ],
)
def test_the_reference_is_found_however_it_is_typed(client, notice, typed):
    campaign, _objection = notice
    response = look_up(client, campaign, typed)
    assert response.status_code == 200
    assert answer_of(response)[1] == REFERENCE


@pytest.mark.parametrize(
    "typed", ["YY-ABCD2345", "yy abcd 2345", "abcd2345", "ｙｙ－ａｂｃｄ２３４５"]
)
def test_old_eight_character_references_still_work(client, notice, typed):
    campaign, objection = notice
    Objection.objects.create(nomination=objection.nomination, reference="YY-ABCD2345", text=TEXT)
    response = look_up(client, campaign, typed)
    assert response.status_code == 200
    assert answer_of(response)[1] == "YY-ABCD2345"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yy 7k3f 9q2m hx4d", "YY-7K3F-9Q2M-HX4D"),
        ("7K3F9Q2MHX4D", "YY-7K3F-9Q2M-HX4D"),
        # A code may itself start with YY.
        ("yy-yy7k-3f9q-2mab", "YY-YY7K-3F9Q-2MAB"),
        ("YY7K-3F9Q-2MAB", "YY-YY7K-3F9Q-2MAB"),
        ("yyyy abcd 23", "YY-YYABCD23"),
        ("yyabcd2345", "YY-ABCD2345"),
        ("abcd2345", "YY-ABCD2345"),
        ("YY-ABC", None),
        ("YY-7K3F-9Q2M-HX4D-X", None),
        ("XX-ABCD2345", None),  # ten characters, not YY and eight
        ("受理编号", None),
        ("", None),
    ],
)
def test_normalise_reference(typed, expected):
    assert normalise_reference(typed) == expected


def test_references_not_found_are_limited_per_client(client, notice):
    campaign, _objection = notice
    for n in range(LOOKUP_MISSES_PER_HOUR):
        assert look_up(client, campaign, f"YY-2222-3333-{n + 2:04d}").status_code == 404
    refused = look_up(client, campaign, "YY-2222-3333-9999")
    assert refused.status_code == 429
    message = "查询过于频繁：每小时最多输错 10 次受理编号，请稍后再试。"
    alerts = parse(refused.content).find("div", class_="errors").clean_text()
    assert alerts == message
    # Over the limit even the right reference is refused: a guess that hits is not told apart.
    right = look_up(client, campaign, REFERENCE)
    assert right.status_code == 429
    assert answer_of(right) is None
    # Another client is not affected; the misses count an hour.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert answer_of(look_up(other, campaign, REFERENCE))[1] == REFERENCE
    ObjectionLookupMiss.objects.update(at=timezone.now() - datetime.timedelta(minutes=61))
    assert answer_of(look_up(client, campaign, REFERENCE))[1] == REFERENCE


def test_the_limit_counts_across_campaigns_and_languages(client, notice):
    campaign, _objection = notice
    other_campaign, _nomination = campaign_on_notice("lookup-other")
    for n in range(LOOKUP_MISSES_PER_HOUR):
        page = (campaign, other_campaign)[n % 2]
        assert (
            look_up(client, page, f"YY-2222-3333-{n + 2:04d}", ("", "/en")[n % 2]).status_code
            == 404
        )
    assert look_up(client, other_campaign, REFERENCE, "/en").status_code == 429


def test_found_references_do_not_count(client, notice):
    campaign, _objection = notice
    for _ in range(2 * LOOKUP_MISSES_PER_HOUR):
        assert look_up(client, campaign, REFERENCE).status_code == 200
    assert not ObjectionLookupMiss.objects.exists()
    assert look_up(client, campaign, "YY-2222-3333-4444").status_code == 404
    assert ObjectionLookupMiss.objects.count() == 1
    # Neither the reference typed nor the address is stored.
    row = ObjectionLookupMiss.objects.values().get()
    assert "2222" not in str(row) and "127.0.0.1" not in str(row)


def test_an_empty_reference_is_asked_for_again(client, notice):
    campaign, _objection = notice
    response = look_up(client, campaign, "")
    assert response.status_code == 400
    assert field_errors(response) == ["请填写受理编号。"]
    assert not ObjectionLookupMiss.objects.exists()


def test_only_post_looks_up(client, notice):
    campaign, _objection = notice
    asked = client.get(url(campaign), {"reference": REFERENCE})
    assert asked.status_code == 200
    assert answer_of(asked) is None
    assert REFERENCE not in asked.content.decode()
    for method in (client.put, client.delete, client.patch):
        assert method(url(campaign)).status_code == 405


def test_answers_are_never_cached_nor_indexed(client, notice, ministry):
    campaign, objection = notice
    for response in [
        client.get(url(campaign)),
        look_up(client, campaign, REFERENCE),
        look_up(client, campaign, "YY-2222-3333-4444"),
    ]:
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "no-cache", "private", "max-age=0"} <= cache_control
        assert response["X-Robots-Tag"] == "noindex"
        robots = [
            m.attrs["content"] for m in parse(response.content).find_all("meta", name="robots")
        ]
        assert robots == ["noindex, nofollow"]
    # The answer follows the objection at once: no cache in between.
    handle(objection, ministry, ObjectionState.DISMISSED, "答复一")
    assert answer_of(look_up(client, campaign, REFERENCE))[2] == ["答复一"]
    objection.refresh_from_db()
    objection.public_response = "答复二"
    objection.save()
    assert answer_of(look_up(client, campaign, REFERENCE))[2] == ["答复二"]


def test_the_response_is_escaped_and_keeps_its_lines(client, notice, ministry):
    campaign, objection = notice
    handle(
        objection,
        ministry,
        ObjectionState.DISMISSED,
        '<script>alert("x")</script> & <b>粗体</b>\r\n第二行\r\n\r\n第二段',
    )
    response = look_up(client, campaign, REFERENCE)
    body = response.content.decode()
    assert "<script>alert" not in body and "<b>粗体" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;粗体&lt;/b&gt;" in body
    assert "&lt;/b&gt;<br>第二行" in body
    assert answer_of(response)[2] == ['<script>alert("x")</script> & <b>粗体</b>第二行', "第二段"]


def test_the_lookup_works_after_the_notice(client, notice, ministry):
    campaign, objection = notice
    handle(objection, ministry, ObjectionState.DISMISSED, "异议不成立。")
    campaign.phase = CampaignPhase.PUBLISHED
    campaign.results_published_at = timezone.now()
    campaign.save()
    published = look_up(client, campaign, REFERENCE)
    assert answer_of(published) == ("处理状态：已处理", REFERENCE, ["异议不成立。"])
    crumbs = parse(published.content).find("p", class_="crumbs")
    assert [a.attrs["href"] for a in crumbs.find_all("a")] == [
        "/campaigns/",
        f"/campaigns/{campaign.slug}/",
    ]


@pytest.mark.parametrize("phase", [CampaignPhase.DRAFT, CampaignPhase.REVIEWING])
def test_no_page_for_a_campaign_that_had_no_notice(client, notice, phase):
    campaign, _objection = notice
    campaign.phase = phase
    campaign.save()
    assert client.get(url(campaign)).status_code == 404
    assert look_up(client, campaign, REFERENCE).status_code == 404
    assert client.get("/campaigns/no-such-campaign/notice/lookup/").status_code == 404


def test_the_english_page(client, notice, ministry):
    campaign, objection = notice
    handle(objection, ministry, ObjectionState.DISMISSED, "经核查，数据属实。")
    response = look_up(client, campaign, "yy 8m4t q2wc 7hjr", "/en")
    tree = parse(response.content)
    assert tree.find("h1").clean_text() == "Look up an objection"
    crumbs = tree.find("p", class_="crumbs").clean_text()
    assert crumbs == f"Campaigns · Public notice: {campaign.label()}"
    assert answer_of(response) == ("Status: Handled", REFERENCE, ["经核查，数据属实。"])
    shown = tree.find("div", class_="public-response")
    assert shown.attrs["lang"] == "zh-Hans"
    missing = look_up(client, campaign, "YY-2222-3333-4444", "/en")
    assert field_errors(missing) == [
        "No objection has this reference. Please check it and try again: only objections "
        "sent during this campaign's public notice can be looked up here."
    ]


def test_the_notice_page_links_the_lookup(client, notice):
    campaign, _objection = notice
    tree = parse(client.get(f"/campaigns/{campaign.slug}/notice/").content)
    links = [a.attrs["href"] for a in tree.find("main").find_all("a")]
    assert url(campaign) in links


def test_answer_pages_are_valid_html(client, notice, ministry, tmp_path):
    java_or_skip()
    campaign, objection = notice
    handle(objection, ministry, ObjectionState.DISMISSED, "第一行\n第二行")
    files = []
    for language in ("", "/en"):
        for name, typed in [("found", REFERENCE), ("missing", "YY-2222-3333-4444"), ("empty", "")]:
            path = tmp_path / f"{language.strip('/') or 'zh'}-{name}.html"
            path.write_bytes(look_up(client, campaign, typed, language).content)
            files.append(path)
    errors = [m for m in nu_check(files) if m["type"] in ("error", "non-document-error")]
    assert errors == []


# --- the admin ---------------------------------------------------------------------------------


def change_url(objection):
    return reverse("admin:estates_objection_change", args=[objection.pk])


def test_the_admin_form_has_the_public_response_beside_the_internal_one(client, notice, ministry):
    _campaign, objection = notice
    client.force_login(ministry)
    tree = parse(client.get(change_url(objection)).content)
    names = [
        field.attrs["name"]
        for field in tree.find_all("textarea") + tree.find_all("select")
        if field.attrs.get("name") in ("state", "response", "public_response")
    ]
    assert sorted(names) == ["public_response", "response", "state"]
    helps = {div.attrs.get("id"): div.clean_text() for div in tree.find_all("div", class_="help")}
    assert helps["id_public_response_helptext"] == (
        "提出人凭受理编号查询时看到的答复；留空则只显示处理状态。不要写入个人信息。"
    )
    assert helps["id_response_helptext"] == "内部记录，只在后台显示。作出处理结论时必填。"
    body = tree.text()
    assert body.index("处理意见") < body.index("公开答复")


def test_the_ministry_handles_with_a_public_response_in_the_admin(client, notice, ministry):
    campaign, objection = notice
    client.force_login(ministry)
    response = client.post(
        change_url(objection),
        {
            "state": ObjectionState.DISMISSED,
            "response": "内部：收缴台账与填报一致。",
            "public_response": "经核查，收缴率数据属实，异议不成立。\r\n感谢您的监督。",
        },
    )
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED
    assert objection.handled_by == ministry
    assert objection.public_response == "经核查，收缴率数据属实，异议不成立。\n感谢您的监督。"
    # Corrected later without a change of state.
    client.post(
        change_url(objection),
        {
            "state": ObjectionState.DISMISSED,
            "response": "内部：收缴台账与填报一致。",
            "public_response": "经核查，收缴率数据属实，异议不成立。",
        },
    )
    objection.refresh_from_db()
    assert objection.public_response == "经核查，收缴率数据属实，异议不成立。"
    assert objection.response == "内部：收缴台账与填报一致。"
    reader = Client()
    assert answer_of(look_up(reader, campaign, REFERENCE))[2] == [
        "经核查，收缴率数据属实，异议不成立。"
    ]
