"""The profile as a feature: facts strip, section menu, the narrative once, the nomination
report's sections, each metric beside its peers' median, nothing internal in public."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from estates.models import Criterion, CriterionEvidence, Estate, Metric, MetricType, Nomination
from showcase.presenters import Narrative, sentences

from .builders import make_estate, nominate
from .html import parse

pytestmark = pytest.mark.django_db

SEED = ["shuangqigandongli", "changwajie7haoyuan", "lijingchangan", "xichanganyihao"]
LINYI = "aozhengchengyuannanqu"


def profile(client, slug):
    response = client.get(reverse("showcase:estate_detail", kwargs={"slug": slug}))
    assert response.status_code == 200
    return parse(response.content)


def article_sentences(page):
    """Every sentence of the article's prose, as a reader meets them."""
    found = []
    for node in page.find("article").find_all("p"):
        for sentence in sentences(node.clean_text()):
            found.append(re.sub(r"\s+", "", sentence))
    return found


def test_sentences_keep_closing_quotes_with_their_sentence():
    assert sentences("他说：“好。”然后走了。最后") == ["他说：“好。”", "然后走了。", "最后"]


def test_narrative_leaves_out_a_sentence_said_with_a_word_changed():
    story = Narrative()
    said = "小区坚持党建引领，探索红黄绿三色工作法，实现了社区治理的共治共享共建。"
    first = story.paragraphs(said)
    again = story.paragraphs(
        "西长安壹号小区坚持党建引领，探索红黄绿三色工作法，实现了社区治理的共治共享共建。"
        "另有新的一句话，说的是电动车治理。"
    )
    assert first == [said]
    assert again == ["另有新的一句话，说的是电动车治理。"]
    # A description keeps only what the page has not said.
    described = story.paragraphs(
        "探索红黄绿三色工作法，实现了社区治理的共治共享共建。每周开展星期六习惯活动。"
    )
    assert described == ["每周开展星期六习惯活动。"]


@pytest.mark.parametrize("slug", [*SEED, LINYI])
def test_no_sentence_of_a_seed_profile_is_told_twice(client, slug):
    told = [s for s in article_sentences(profile(client, slug)) if len(s) >= 12]
    assert_told_once(told)


def test_the_xichangan_highlights_do_not_repeat_the_overview(client):
    """The article's second paragraph restates the first with the estate's name put in."""
    text = profile(client, "xichanganyihao").find("div", class_="story-text").clean_text()
    assert text.count("探索红黄绿三色工作法，实现了党的领导向基层末梢神经延伸") == 1


def test_a_mechanism_restating_the_story_shows_its_title_and_kind_only(client):
    page = profile(client, "xichanganyihao")
    first = page.find("ul", class_="mechanisms").find("li")
    assert first.find("h3").clean_text() == "红黄绿三色工作法 党建引领"
    assert first.find("p") is None  # its description is the story's sentence again


def test_linyi_shows_the_nomination_report_sections_in_order(client):
    page = profile(client, LINYI)
    requirements = page.find("section", **{"aria-labelledby": "requirements"})
    titles = [h.clean_text() for h in requirements.find_all("h3")]
    expected = [
        str(c) for c in Criterion.objects.filter(campaign__slug="shandong-2023").order_by("number")
    ]
    assert titles == expected
    assert len(titles) == 9 and titles[0] == "（一）发挥党建引领物业管理作用"
    activities = page.find("section", **{"aria-labelledby": "required-activities"})
    assert [h.clean_text()[:3] for h in activities.find_all("h3")] == [
        "（一）",
        "（二）",
        "（三）",
        "（四）",
        "（五）",
        "（六）",
        "（七）",
        "（八）",
    ]
    # Each evidence text is on the page: every sentence of it, once, here or above it.
    told = article_sentences(page)
    for evidence in CriterionEvidence.objects.filter(nomination__estate__slug=LINYI):
        for sentence in sentences(evidence.text):
            key = re.sub(r"\s+", "", sentence)
            assert key in told or coverage_in(told, key) >= Narrative.REPEATED, sentence


def coverage_in(told, sentence):
    story = Narrative()
    story.paragraphs("".join(told))
    return story.coverage(sentence)


def test_report_sections_need_a_public_selection(client):
    """A returned or pending nomination's texts are not shown; the seed's Beijing estates,
    selected without a report, have no such sections."""
    page = profile(client, "lijingchangan")
    assert page.find("section", **{"aria-labelledby": "requirements"}) is None
    estate = make_estate(name="报告未公开的小区", overview="概况。")
    nominate(estate)  # selected in a published campaign: public
    pending = Nomination.objects.create(
        estate=estate, campaign=Nomination.objects.get(estate__slug=LINYI).campaign, state="draft"
    )
    criterion = Criterion.objects.filter(campaign=pending.campaign).first()
    CriterionEvidence.objects.create(
        nomination=pending, criterion=criterion, text="内部草稿的文字。"
    )
    page = profile(client, estate.slug)
    assert "内部草稿的文字" not in page.text()


def test_key_facts_strip_and_section_menu(client):
    page = profile(client, LINYI)
    strip = [
        [part.clean_text() for tag in ("span", "strong", "small") for part in li.find_all(tag)]
        for li in page.find("ul", class_="key-facts").find_all("li")
    ]
    assert strip == [
        ["户数", "1250户"],
        ["物业服务企业", "正直物业"],
        ["业主满意度", "96.55%", "2022年12月31日"],
        ["物业费收缴率", "98.63%", "2021年12月31日"],
    ]
    menu = page.find("nav", class_="section-menu")
    anchors = [a.attrs["href"] for a in menu.find_all("a")]
    assert anchors == [
        "#story",
        "#requirements",
        "#required-activities",
        "#mechanisms",
        "#results",
        "#activities",
        "#facts",
        "#honors",
    ]
    for anchor in anchors:
        assert page.find(id=anchor[1:]) is not None, anchor


def test_unknown_key_facts_are_left_out_of_the_strip_not_shown_as_zero(client):
    estate = make_estate(name="只知道名字的小区")
    nominate(estate)
    page = profile(client, estate.slug)
    assert page.find("ul", class_="key-facts") is None
    assert "来源未提供" not in page.text()


def satisfaction(estate, value):
    return Metric.objects.create(
        estate=estate,
        metric_type=MetricType.objects.get(code="satisfaction"),
        value=Decimal(value),
        date=date(2024, 12, 31),
    )


def test_each_metric_is_shown_beside_the_median_of_the_published_estates(client):
    # The seed's published satisfaction values: 90, 96, 96.55. With 93 and 99 added the
    # latest values are 90, 93, 96, 96.55, 99: median 96.
    low, high = make_estate(name="九十三"), make_estate(name="九十九")
    for estate, value in ((low, "93"), (high, "99")):
        nominate(estate)
        satisfaction(estate, value)
    hidden = make_estate(name="未公开的小区")
    satisfaction(hidden, "10")  # not published: not a peer

    def peer(slug):
        return profile(client, slug).find("ul", class_="metrics").find("p", class_="peer")

    peers = "（5 个入选小区有此数据）"
    assert peer(high.slug).clean_text() == "高于入选小区中位数 96%" + peers
    assert peer(low.slug).clean_text() == "入选小区中位数为 96%" + peers
    assert peer("xichanganyihao").clean_text() == "与入选小区中位数 96% 持平" + peers


def test_no_median_from_fewer_than_three_estates(client):
    page = profile(client, "lijingchangan")  # fee collection: two published estates know it
    fee = [li for li in page.find("ul", class_="metrics").find_all("li") if "收缴率" in li.text()]
    assert fee and fee[0].find("p", class_="peer") is None


def test_a_note_does_not_repeat_the_date_shown_beside_its_value(client):
    page = profile(client, LINYI)
    notes = [p.clean_text() for p in page.find("ul", class_="metrics").find_all("p", class_="note")]
    assert notes == [
        "物业公司品质检查部每月专项巡检，各项目部品质自查、交叉巡检每周1次（报告未区分公司与本项目口径）"
    ]
    assert not any(note.startswith("截至") for note in notes)


def test_an_illustrative_selection_is_marked_on_the_profile(client):
    page = profile(client, LINYI)
    assert page.find("p", class_="badge").find(class_="example-mark").clean_text() == "示例"
    assert page.find("p", class_="example-note") is not None
    beijing = profile(client, "lijingchangan")
    assert beijing.find(class_="example-mark") is None


def test_view_count_is_a_quiet_line_of_the_article_meta(client):
    meta = profile(client, "lijingchangan").find("p", class_="article-meta")
    estate = Estate.objects.get(slug="lijingchangan")
    place = estate.city.name + estate.district
    assert re.fullmatch(place + r" · 查看 \d+ 次", meta.clean_text()), meta.clean_text()


def test_the_footer_date_is_the_last_change_of_published_data(client, settings):
    from django.utils import timezone

    from showcase.opendata import last_updated

    def footer_date():
        footer = parse(client.get("/estates/").content).find("footer")
        return footer.find("time").attrs["datetime"]

    before = footer_date()
    assert before == timezone.localdate(last_updated()).isoformat()
    draft = make_estate(name="草稿小区")  # unpublished: the public data did not change
    draft.tagline = "改了草稿"
    draft.save()
    assert footer_date() == before
    published = Estate.objects.get(slug="lijingchangan")
    published.tagline = published.tagline + "。"
    published.save()
    assert footer_date() == timezone.localdate().isoformat()


def test_the_admin_lists_the_facts_the_sources_do_not_give(client):
    from .builders import make_staff

    client.force_login(make_staff("ministry"))
    linyi = Estate.objects.get(slug=LINYI)
    page = parse(client.get(reverse("admin:estates_estate_change", args=[linyi.pk])).content)
    field = page.find("div", class_="field-unknown_facts")
    assert field is not None
    missing = field.find("div", class_="readonly").clean_text()
    assert missing == "地址、建成年份、单元数、居住人数（人）"
    # An estate whose sources gave its period of construction only is not missing its year.
    shuangqi = Estate.objects.get(slug="shuangqigandongli")
    assert "建成年份" not in shuangqi.unknown_facts()


def assert_told_once(told):
    """No sentence restates an earlier one, word for word or with a word changed (most of
    its five-character runs said before)."""
    story = Narrative()
    for sentence in told:
        assert story.paragraphs(sentence), f"told twice: {sentence}"


def test_the_province_feature_tells_each_estates_story_once(client):
    page = parse(client.get("/campaigns/quanguo-2021/beijing/").content)
    cases = page.find_all("section", class_="case")
    assert len(cases) == 4
    for case in cases:
        told = [s for p in case.find_all("p") for s in sentences(p.clean_text()) if len(s) >= 12]
        assert told
        assert_told_once(told)


def test_a_shortened_description_reads_as_a_whole():
    story = Narrative()
    story.paragraphs("通过红色议事会议，由社区党委牵头多方商讨方案，对接城发集团规划停车位。")
    kept = story.paragraphs(
        "通过红色议事会议，由社区党委牵头多方商讨方案，对接城发集团规划停车位；"
        "并在园区入口设置施工队服务点，为装修工人办理入园许可证；"
    )
    assert kept == ["在园区入口设置施工队服务点，为装修工人办理入园许可证。"]
    # A text told whole keeps its own words and marks.
    assert story.paragraphs("并非所有小区都有停车位；") == ["并非所有小区都有停车位；"]
