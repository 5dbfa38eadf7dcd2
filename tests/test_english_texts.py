"""English that is English: estates and mechanisms carry their English name, tagline, summary
and description; English pages show them, and mark a text not yet translated as 中文原文 ·
Chinese original (lang="zh-Hans"); Chinese pages are as before."""

import csv
import io
import json

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from estates.models import Campaign, Estate, Mechanism, MechanismType

from .builders import make_estate, make_staff, nominate
from .html import parse
from .test_lost_updates import form_post_data
from .test_notice import make_notice

pytestmark = pytest.mark.django_db

MARK = "中文原文 · Chinese original"


def render(source, **context):
    return Template("{% load translated %}" + source).render(Context(context))


def marks(node):
    return [m.clean_text() for m in node.find_all("small", class_="original-mark")]


def untranslated_estate(**fields):
    """A published estate with no English at all, in a campaign with none either."""
    estate = make_estate(
        name="未译小区", tagline="尚未翻译的标题语", overview="中文概况。", **fields
    )
    campaign = nominate(estate).campaign
    return estate, campaign


def card_of(tree, href):
    return next(
        card for card in tree.find_all("li", class_="estate-card") if card.find("a", href=href)
    )


# The models


def test_estate_display_methods_give_english_on_english_pages_when_there_is_some():
    estate = Estate.objects.get(slug="shuangqigandongli")
    assert (estate.display_name(), estate.display_tagline()) == (
        "双旗杆东里",
        "以党建引领，让老旧小区换新颜",
    )
    assert estate.display_summary() == estate.overview
    with translation.override("en"):
        assert estate.display_name() == "Shuangqigan Dongli"
        assert (
            estate.display_tagline() == "Led by Party building, an old estate takes on a new look"
        )
        assert estate.display_summary() == estate.summary_en
        assert estate.display_summary().startswith("Shuangqigan Dongli, in Desheng Subdistrict")


def test_estate_without_english_reads_chinese_on_english_pages():
    estate = make_estate(name="未译小区", tagline="标题语", overview="概况。")
    with translation.override("en"):
        assert (estate.display_name(), estate.display_tagline(), estate.display_summary()) == (
            "未译小区",
            "标题语",
            "概况。",
        )


def test_mechanism_display_methods():
    mechanism = Mechanism.objects.get(estate__slug="xichanganyihao", title="红黄绿三色工作法")
    assert mechanism.display_title() == "红黄绿三色工作法"
    with translation.override("en"):
        assert mechanism.display_title() == "The red–yellow–green method"
        assert mechanism.display_description().startswith("A red light on difficult problems")
    mechanism.title_en = ""
    with translation.override("en"):
        assert mechanism.display_title() == "红黄绿三色工作法"


def test_display_headline_joins_name_and_tagline_in_the_page_language():
    estate = Estate.objects.get(slug="shuangqigandongli")
    assert estate.display_headline() == "双旗杆东里：以党建引领，让老旧小区换新颜"
    with translation.override("en"):
        assert estate.display_headline() == (
            "Shuangqigan Dongli: Led by Party building, an old estate takes on a new look"
        )
    untranslated = make_estate(name="未译小区", tagline="标题语")
    nameless = make_estate(name="只有名称")
    with translation.override("en"):
        assert untranslated.display_headline() == "未译小区：标题语"
        assert nameless.display_headline() == "只有名称"


def test_chinese_text_joins_overview_and_highlights():
    estate = make_estate(overview="第一段。", highlights="第二段。\n第三段。")
    assert estate.chinese_text() == "第一段。\n第二段。\n第三段。"
    assert make_estate(highlights="只有亮点。").chinese_text() == "只有亮点。"


# The template tags


def test_translated_on_chinese_pages_is_the_chinese_text_as_it_was():
    html = render("{% translated name name_en %}", name="双旗杆东里<b>", name_en="Shuangqigan")
    assert html == "双旗杆东里&lt;b&gt;"


def test_translated_on_english_pages():
    with translation.override("en"):
        english = render(
            "{% translated name name_en %}", name="双旗杆东里", name_en="Shuangqigan <Dongli>"
        )
        missing = render("{% translated name name_en %}", name="双旗杆东里", name_en="")
        unmarked = render("{% translated name '' mark=False %}", name="双旗杆东里")
        covered = render("{% translated t t_en mark=name_en %}", t="标题语", t_en="", name_en="")
        empty = render("{% translated '' '' %}")
    assert english == '<span lang="en">Shuangqigan &lt;Dongli&gt;</span>'
    assert missing == (
        '<span lang="zh-Hans">双旗杆东里</span> <small class="original-mark">'
        '<span aria-hidden="true"><span lang="zh-Hans">中文原文</span> · </span>Chinese original'
        "</small>"
    )
    assert (
        unmarked
        == covered.replace("标题语", "双旗杆东里")
        == '<span lang="zh-Hans">双旗杆东里</span>'
    )
    assert empty == ""


def test_marker_is_read_once_by_screen_readers():
    """The Chinese words and the dot are hidden from assistive technology: it hears
    "Chinese original" once, not the same thing in two languages."""
    with translation.override("en"):
        mark = parse(render("{% translated '小区' '' %}")).find("small", class_="original-mark")
    hidden = mark.find("span", **{"aria-hidden": "true"})
    assert hidden.clean_text() == "中文原文 ·"
    spoken = "".join(child for child in mark.children if isinstance(child, str))
    assert (mark.clean_text(), spoken) == (MARK, "Chinese original")


def test_translated_paragraphs():
    source = "{% translated_paragraphs zh en css_class='summary' %}"
    chinese = render(source, zh="第一段。\n\n第二段。", en="First.\nSecond.")
    with translation.override("en"):
        english = render(source, zh="第一段。", en="First.\nSecond.")
        untranslated = render(source, zh="第一段。\n第二段。", en="")
        nothing = render(source, zh="", en="")
    assert chinese == '<div class="summary"><p>第一段。</p><p>第二段。</p></div>'
    assert english == '<div class="summary" lang="en"><p>First.</p><p>Second.</p></div>'
    tree = parse(untranslated)
    div = tree.find("div")
    assert (div.attrs["class"], div.attrs["lang"]) == ("summary", "zh-Hans")
    note = div.find("p", class_="original-note")
    assert note.attrs["lang"] == "en"
    assert note.clean_text() == f"{MARK} This text has not been translated into English yet."
    assert [p.clean_text() for p in div.find_all("p")[1:]] == ["第一段。", "第二段。"]
    assert nothing == ""


def test_translated_paragraphs_of_a_list_and_without_the_note():
    source = "{% translated_paragraphs zh en mark=False %}"
    with translation.override("en"):
        listed = render(source, zh=["第一段。", " ", "第二段。"], en="")
        english = render(source, zh=["第一段。"], en=["First.", "Second."])
    assert listed == '<div lang="zh-Hans"><p>第一段。</p><p>第二段。</p></div>'
    assert english == '<div lang="en"><p>First.</p><p>Second.</p></div>'


def test_translated_label_of_a_campaign():
    national = Campaign.objects.get(slug="quanguo-2021")
    with translation.override("en"):
        english = render("{% translated_label campaign %}", campaign=national)
        national.title_en = ""
        chinese = parse(render("{% translated_label campaign %}", campaign=national))
    assert english == (
        '<span lang="en">2021 National campaign '
        "&quot;Better Property Management, Better Homes&quot;</span>"
    )
    assert chinese.find("span").attrs["lang"] == "zh-Hans"
    assert chinese.clean_text() == f"2021 全国“加强物业管理 共建美好家园”活动 {MARK}"


# The pages


def test_english_estate_list_shows_english_names_and_taglines():
    tree = parse(Client().get("/en/estates/").content)
    card = card_of(tree, "/en/estates/shuangqigandongli/")
    name = card.find("h3").find("span", lang="en")
    tagline = card.find("p", class_="tagline").find("span")
    assert (name.clean_text(), tagline.attrs["lang"]) == ("Shuangqigan Dongli", "en")
    assert tagline.clean_text() == "Led by Party building, an old estate takes on a new look"
    assert marks(tree.find("main")) == []  # every seed estate is translated


def test_untranslated_estate_is_marked_on_english_pages_only():
    estate, _campaign = untranslated_estate()
    href = f"/en/estates/{estate.slug}/"
    card = card_of(parse(Client().get("/en/estates/").content), href)
    name = card.find("h3")
    assert name.find("span", lang="zh-Hans").clean_text() == "未译小区"
    assert marks(name) == [MARK]
    # The tagline is Chinese too; the name's marker covers the card.
    tagline = card.find("p", class_="tagline")
    assert (tagline.find("span").attrs["lang"], marks(tagline)) == ("zh-Hans", [])

    chinese = parse(Client().get("/estates/").content)
    card = card_of(chinese, f"/estates/{estate.slug}/")
    assert card.find("h3").clean_text() == "未译小区"
    assert card.find("p", class_="tagline").clean_text() == "尚未翻译的标题语"
    assert "Chinese original" not in chinese.text() and "中文原文" not in chinese.text()


def test_tagline_is_marked_when_only_the_name_is_translated():
    estate, _campaign = untranslated_estate(name_en="Weiyi Estate")
    card = card_of(parse(Client().get("/en/estates/").content), f"/en/estates/{estate.slug}/")
    assert (card.find("h3").clean_text(), marks(card.find("h3"))) == ("Weiyi Estate", [])
    assert marks(card.find("p", class_="tagline")) == [MARK]


def test_campaign_pages_mark_an_untranslated_campaign():
    _estate, campaign = untranslated_estate()
    campaign.organizer = "某主办单位"
    campaign.description = "中文的活动说明。"
    campaign.save()
    tree = parse(Client().get(f"/en/campaigns/{campaign.slug}/").content)
    heading = tree.find("h1")
    assert heading.find("span").attrs["lang"] == "zh-Hans"
    assert marks(heading) == [MARK]
    meta = tree.find("main").find("p", class_="meta")
    assert meta.find("span", lang="zh-Hans").clean_text() == "某主办单位"
    assert marks(meta) == []  # the heading's marker covers the header
    main = tree.find("main")
    described = next(p for p in main.find_all("p") if "中文的活动说明。" in p.text())
    assert marks(described) == [MARK]

    listing = parse(Client().get("/en/campaigns/").content)
    link = listing.find("a", href=f"/en/campaigns/{campaign.slug}/")
    assert marks(link) == [MARK]
    assert marks(parse(Client().get(f"/campaigns/{campaign.slug}/").content)) == []


def test_translated_campaign_pages_carry_no_marker():
    tree = parse(Client().get("/en/campaigns/quanguo-2021/").content)
    assert tree.find("h1").find("span", lang="en") is not None
    assert marks(tree.find("main")) == []
    assert (
        card_of(tree, "/en/estates/lijingchangan/")
        .find("h3")
        .clean_text()
        .endswith("Lijing Chang'an")
    )


def test_mechanism_page_in_english():
    kind = MechanismType.objects.get(slug="dangjianyinling")
    untranslated = untranslated_estate()[0]
    Mechanism.objects.create(
        estate=untranslated, mechanism_type=kind, title="未译的做法", description="中文做法。"
    )
    tree = parse(Client().get(f"/en/mechanisms/{kind.slug}/").content)
    section = tree.find("section", **{"aria-labelledby": "use-xichanganyihao"})
    assert section.find("h2").find("a").clean_text() == "Xi Chang'an No. 1"
    assert section.find("h3").clean_text() == "The red–yellow–green method"
    assert section.find("h3").find("span").attrs["lang"] == "en"
    assert section.find("p").clean_text().startswith("A red light on difficult problems")
    assert marks(section) == []

    section = tree.find("section", **{"aria-labelledby": f"use-{untranslated.slug}"})
    assert marks(section.find("h2")) == [MARK]
    title = section.find("h3")
    assert (title.find("span").attrs["lang"], marks(title)) == ("zh-Hans", [MARK])
    # The title's marker covers its description.
    assert section.find("p").clean_text() == "中文做法。"

    chinese = parse(Client().get(f"/mechanisms/{kind.slug}/").content)
    assert "红黄绿三色工作法" in chinese.text() and "red–yellow–green" not in chinese.text()
    assert marks(chinese) == []


def test_province_feature_in_english():
    tree = parse(Client().get("/en/campaigns/quanguo-2021/beijing/").content)
    headings = [
        h.find_all("span")[0].clean_text()
        for h in tree.find_all("h2")
        if h.attrs.get("id", "").startswith("case-")
    ]
    assert headings == [
        "Shuangqigan Dongli",
        "No. 7 Changwa Street",
        "Lijing Chang'an",
        "Xi Chang'an No. 1",
    ]
    taglines = [s.clean_text() for s in tree.find_all("span", class_="case-tagline")]
    assert taglines[0] == "Led by Party building, an old estate takes on a new look"
    toc = [a.clean_text() for a in tree.find("nav", class_="toc").find_all("a")]
    assert toc[0] == "01 Shuangqigan Dongli"
    link = tree.find("a", href="/en/estates/shuangqigandongli/")
    assert link.clean_text() == "View the full profile of Shuangqigan Dongli →"


def test_notice_names_estates_in_english_or_marks_them():
    campaign, nomination = make_notice()
    tree = parse(Client().get(f"/en/campaigns/{campaign.slug}/notice/").content)
    row = tree.find("tbody").find("th")
    assert (row.find("span").attrs["lang"], marks(row)) == ("zh-Hans", [MARK])
    assert marks(tree.find("h1")) == [MARK]  # the test campaign has no English title
    Estate.objects.filter(pk=nomination.estate_id).update(name_en="Gongshi Estate")
    tree = parse(Client().get(f"/en/campaigns/{campaign.slug}/notice/").content)
    assert tree.find("tbody").find("th").clean_text() == "Gongshi Estate"


def test_english_feed_gives_english_titles_and_summaries():
    english = Client().get("/en/feed/").content.decode()
    chinese = Client().get("/feed/").content.decode()
    title = "Shuangqigan Dongli: Led by Party building, an old estate takes on a new look"
    assert f"<title>{title}</title>" in english
    assert "Shuangqigan Dongli, in Desheng Subdistrict" in english
    assert "<title>双旗杆东里：以党建引领，让老旧小区换新颜</title>" in chinese
    assert "Shuangqigan" not in chinese


# The admin


def test_admin_saves_the_english_fields():
    client = Client()
    client.force_login(make_staff("ministry"))
    estate = Estate.objects.get(slug="lijingchangan")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    page = client.get(url)
    fieldsets = [f.name for f in page.context["adminform"]]
    assert "英文（English）" in fieldsets
    data = form_post_data(page)
    assert data["name_en"] == "Lijing Chang'an"
    data.update(name_en="Lijing Chang'an Estate", tagline_en="New tagline", summary_en="One.\nTwo.")
    prefix = mechanism_prefix(page)
    data[f"{prefix}-0-title_en"] = "A new English title"
    assert client.post(url, data).status_code == 302
    estate.refresh_from_db()
    assert (estate.name_en, estate.tagline_en, estate.summary_en) == (
        "Lijing Chang'an Estate",
        "New tagline",
        "One.\nTwo.",
    )
    first = estate.mechanisms.order_by("display_order", "pk").first()
    assert first.title_en == "A new English title"
    assert estate.history.first().name_en == "Lijing Chang'an Estate"


def mechanism_prefix(page):
    return next(
        f.formset.prefix
        for f in page.context["inline_admin_formsets"]
        if f.formset.model is Mechanism
    )


def test_editor_writes_english_of_estates_and_mechanisms_but_not_their_chinese():
    client = Client()
    client.force_login(make_staff("editor"))
    estate = Estate.objects.get(slug="xichanganyihao")
    url = reverse("admin:estates_estate_change", args=[estate.pk])
    page = client.get(url)
    assert {"name_en", "tagline_en", "summary_en"} <= set(page.context["adminform"].form.fields)
    prefix = mechanism_prefix(page)
    mechanism_form = next(
        f for f in page.context["inline_admin_formsets"] if f.formset.prefix == prefix
    ).formset.forms[0]
    assert set(mechanism_form.fields) >= {"title_en", "description_en"}
    assert not {"title", "description", "mechanism_type"} & set(mechanism_form.fields)

    data = form_post_data(page)
    data["name_en"] = "West Chang'an No. 1"
    data[f"{prefix}-0-title_en"] = "Red, yellow and green"
    data[f"{prefix}-0-title"] = "编辑不能改的中文名称"  # not a field of theirs: ignored
    assert client.post(url, data).status_code == 302
    estate.refresh_from_db()
    assert estate.name_en == "West Chang'an No. 1"
    first = estate.mechanisms.order_by("display_order", "pk").first()
    assert (first.title, first.title_en) == ("红黄绿三色工作法", "Red, yellow and green")


# Open data


def test_open_data_gives_english_names_and_taglines_at_the_end():
    estate, _campaign = untranslated_estate()
    client = Client()
    records = {r["slug"]: r for r in json.loads(client.get("/data/estates.json").getvalue())}
    assert (records[estate.slug]["name_en"], records[estate.slug]["tagline_en"]) == (None, None)
    assert records["lijingchangan"]["name_en"] == "Lijing Chang'an"
    body = client.get("/data/estates.csv").getvalue().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[-2:] == ["name_en", "tagline_en"]
    by_slug = {row[header.index("slug")]: row for row in rows}
    assert by_slug[estate.slug][-2:] == ["", ""]
    assert by_slug["changwajie7haoyuan"][-2:] == [
        "No. 7 Changwa Street",
        "Community partners building a better home",
    ]
    page = parse(client.get("/en/data/").content)
    described = {
        row.find("code").clean_text(): row.find("td").clean_text()
        for row in page.find_all("tr")
        if row.find("code") is not None and row.find("td") is not None
    }
    assert (described["name_en"], described["tagline_en"]) == ("English name", "English tagline")
