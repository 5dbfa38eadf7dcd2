"""The public site: search, filters, campaigns, features, mechanisms, stats, sharing, caching."""

import pytest
from django.db.models import F
from django.urls import reverse

from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, Estate, Mechanism, MechanismType
from showcase import viewcounts

from .builders import make_campaign, make_estate, nominate
from .growth import grow
from .html import parse

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.content)


def cells(row):
    return [cell.clean_text() for cell in row.children if not isinstance(cell, str)]


def card_names(tree):
    """The estates' names on the cards, without the 示例 mark of an illustrative one (its
    own tests check it)."""
    cards = tree.find(class_="estate-cards")
    if cards is None:
        return []
    return [h.clean_text().removesuffix(" 示例") for h in cards.find_all("h3")]


def listed(client, query=""):
    return card_names(page(client, reverse("showcase:estate_list") + query))


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("?q=双旗杆", ["双旗杆东里"]),
        ("?q=shuangqigan", ["双旗杆东里"]),
        ("?q=sqg", ["双旗杆东里"]),
        ("?q=SQGDL", ["双旗杆东里"]),
        ("?q=changan", ["丽景长安", "西长安壹号"]),
        ("?q=门头沟", ["丽景长安", "西长安壹号"]),
        ("?q=正直物业", ["奥正诚园南区"]),
        ("?q=临沂", ["奥正诚园南区"]),
        ("?q=  德胜街道  ", ["双旗杆东里"]),
        ("?q=不存在的小区", []),
    ],
)
def test_search_by_name_pinyin_initials_district_and_company(client, query, names):
    assert listed(client, query) == names


def test_search_without_results_says_so(client):
    tree = page(client, reverse("showcase:estate_list") + "?q=不存在的小区")
    assert tree.find("p", class_="empty").clean_text() == (
        "没有符合条件的小区。可以换个关键词，或清除部分筛选条件。"
    )
    assert tree.find("p", class_="lead").clean_text() == "共 0 个入选小区"


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("?province=shandong", ["奥正诚园南区"]),
        ("?province=beijing&q=changan", ["丽景长安", "西长安壹号"]),
        ("?campaign=shandong-2023", ["奥正诚园南区"]),
        ("?type=old", ["双旗杆东里"]),
        ("?mechanism=diandongchezhili", ["西长安壹号"]),
        ("?mechanism=kaifangri&province=beijing", ["厂洼街7号院"]),
        # Unknown values are ignored rather than answered with an error page.
        (
            "?province=atlantis&type=castle&page=x",
            ["厂洼街7号院", "丽景长安", "双旗杆东里", "西长安壹号", "奥正诚园南区"],
        ),
    ],
)
def test_filters(client, query, names):
    assert listed(client, query) == names


def test_filter_by_unpublished_campaign_is_not_offered(client):
    hidden = make_campaign(
        title="评审中的活动", slug="reviewing-now", phase=CampaignPhase.REVIEWING
    )
    tree = page(client, reverse("showcase:estate_list"))
    options = [
        o.attrs.get("value") for o in tree.find("select", name="campaign").find_all("option")
    ]
    assert options == ["", "shandong-2023", "quanguo-2021"]
    assert listed(client, f"?campaign={hidden.slug}") == listed(client)


def test_paging_keeps_the_query(client):
    grow(24)
    tree = page(client, reverse("showcase:estate_list") + "?q=zengzhang")
    assert len(card_names(tree)) == 20
    next_link = tree.find("a", rel="next")
    assert next_link.attrs["href"] == "?q=zengzhang&page=2"
    second = page(client, reverse("showcase:estate_list") + "?q=zengzhang&page=2")
    assert len(card_names(second)) == 4
    assert second.find("nav", class_="pager").find("span").clean_text() == "第 2 页，共 2 页"


def test_a_long_list_has_first_and_last_beside_previous_and_next(client, monkeypatch):
    from showcase import views

    grow(24)
    monkeypatch.setattr(views, "ESTATES_PER_PAGE", 5)
    url = reverse("showcase:estate_list")
    total = -(-Estate.objects.published().filter(name__startswith="增长").count() // 5)
    assert total >= 5

    def links(number):
        tree = page(client, f"{url}?q=zengzhang&page={number}")
        return tree, [(text, href) for tag, _rel, text, href in pager(tree) if tag == "a"]

    middle, middle_links = links(3)
    assert middle_links == [
        ("第一页", "?q=zengzhang&page=1"),
        ("上一页", "?q=zengzhang&page=2"),
        ("下一页", "?q=zengzhang&page=4"),
        ("最后一页", f"?q=zengzhang&page={total}"),
    ]
    assert "（第 3 页）" in middle.find("title").clean_text()
    # Next to an end, previous or next is that end already.
    assert [text for text, _href in links(2)[1]] == ["上一页", "下一页", "最后一页"]
    assert [text for text, _href in links(total - 1)[1]] == ["第一页", "上一页", "下一页"]
    first, first_links = links(1)
    assert [text for text, _href in first_links] == ["下一页", "最后一页"]
    assert "第" not in first.find("title").clean_text()


def test_campaigns_national_first_then_provincial(client):
    tree = page(client, reverse("showcase:campaign_list"))
    headings = [h.clean_text() for h in tree.find("main").find_all("h2")]
    assert headings == ["全国", "省级"]
    titles = [h.clean_text() for h in tree.find("main").find_all("h3")]
    assert titles == [
        "2021 全国“加强物业管理 共建美好家园”活动",
        "2023 山东省“加强物业管理 共建美好家园”活动 示例",  # the seed's illustrative round
    ]
    assert "入选 4 个小区" in tree.find("ul", class_="campaigns").clean_text()


def test_unpublished_campaign_is_not_listed_and_has_no_page(client):
    make_campaign(title="公示中的活动", slug="on-notice", phase=CampaignPhase.NOTICE)
    assert "公示中的活动" not in client.get(reverse("showcase:campaign_list")).content.decode()
    assert client.get("/campaigns/on-notice/").status_code == 404
    assert client.get("/campaigns/on-notice/beijing/").status_code == 404


def test_campaign_page_groups_by_province_and_numbers_estates(client):
    tree = page(client, "/campaigns/quanguo-2021/")
    sections = tree.find("main").find_all("section")
    assert [s.find("h2").clean_text() for s in sections] == ["北京市 北京篇 →"]
    numbers = [
        (card.find("span", class_="number").clean_text(), card.find("h3").clean_text())
        for card in sections[0].find_all("li")
    ]
    assert numbers == [
        ("01", "01 双旗杆东里"),
        ("02", "02 厂洼街7号院"),
        ("03", "03 丽景长安"),
        ("04", "04 西长安壹号"),
    ]


def test_province_feature_reads_like_the_article(client):
    tree = page(client, "/campaigns/quanguo-2021/beijing/")
    assert tree.find("h1").clean_text() == "北京篇"
    assert tree.find("title").clean_text() == (
        "全国“加强物业管理 共建美好家园”活动 北京篇 · 美好家园"
    )
    cases = tree.find_all("section", class_="case")
    assert [c.find("h2").clean_text() for c in cases] == [
        "双旗杆东里以党建引领，让老旧小区换新颜",
        "厂洼街7号院推进社区伙伴，打造美好家园",
        "丽景长安用心服务，温暖业主",
        "西长安壹号探索红黄绿，让党建向基层延伸",
    ]
    assert [c.find("p", class_="case-number").clean_text() for c in cases] == [
        "01",
        "02",
        "03",
        "04",
    ]
    facts = [f.clean_text() for f in cases[2].find("ul", class_="case-facts").find_all("li")]
    assert facts == [
        "北京市门头沟区",
        "1599户",
        "物业费收缴率 100%",
        "公共区域报修率 4.38% → 1.17%",
        "业主投诉率 1.05% → 0.76%",
    ]


def test_province_without_selected_estates_has_no_feature(client):
    assert client.get("/campaigns/quanguo-2021/shandong/").status_code == 404
    assert client.get("/campaigns/quanguo-2021/nowhere/").status_code == 404


def test_mechanism_catalogue_counts_published_estates(client):
    hidden = make_estate(name="未发布小区")
    nominate(hidden, state=NominationState.SUBMITTED)
    Mechanism.objects.create(
        estate=hidden,
        mechanism_type=MechanismType.objects.get(slug="kaifangri"),
        title="未发布的开放日",
    )
    tree = page(client, reverse("showcase:mechanism_list"))
    counts = {
        item.find("a").clean_text(): item.find("span", class_="count").clean_text()
        for item in tree.find("ul", class_="mechanism-kinds").find_all("li")
    }
    assert counts["党建引领"] == "5 个小区"
    assert counts["开放日"] == "1 个小区"
    assert counts["电动车治理"] == "1 个小区"
    detail = page(client, "/mechanisms/kaifangri/")
    assert [h.clean_text() for h in detail.find("main").find_all("h3")] == ["社区开放日机制"]
    assert "未发布的开放日" not in detail.text()


def mechanism_page_estates(tree):
    """The profile addresses a mechanism page lists, in its order."""
    return [
        section.find("h2").find("a").attrs["href"]
        for section in tree.find_all("section", class_="mechanism-use")
    ]


def pager(tree):
    """The pager as (tag, rel, text, href) of its parts."""
    nav = tree.find("nav", class_="pager")
    return [
        (part.tag, part.attrs.get("rel"), part.clean_text(), part.attrs.get("href"))
        for part in nav.children
        if not isinstance(part, str)
    ]


def test_mechanism_page_lists_its_estates_a_page_at_a_time_as_the_estate_list(client):
    grow(24)  # each uses the first three kinds of mechanism
    kind = MechanismType.objects.all()[0]
    users = Estate.objects.published().using_mechanism(kind).count()
    assert users > 20
    url = reverse("showcase:mechanism_detail", args=[kind.slug])
    listed_url = reverse("showcase:estate_list") + f"?mechanism={kind.slug}"
    first, second = page(client, url), page(client, url + "?page=2")
    # The estate list filtered by the mechanism: the same estates, order and page size.
    for tree, number in [(first, 1), (second, 2)]:
        cards = page(client, f"{listed_url}&page={number}").find(class_="estate-cards")
        assert mechanism_page_estates(tree) == [a.attrs["href"] for a in cards.find_all("a")]
    assert len(mechanism_page_estates(first)) == 20
    assert len(mechanism_page_estates(second)) == users - 20
    assert first.find("p", class_="meta").clean_text() == f"{users} 个入选小区采用"
    # The estate list's pager, its links without the list's filters.
    listed_second = page(client, f"{listed_url}&page=2")
    assert pager(second) == [
        (tag, rel, text, href.replace(f"mechanism={kind.slug}&", "") if href else None)
        for tag, rel, text, href in pager(listed_second)
    ]
    assert pager(first) == [
        ("span", None, "第 1 页，共 2 页", None),
        ("a", "next", "下一页", "?page=2"),
    ]
    assert pager(second) == [
        ("a", "prev", "上一页", "?page=1"),
        ("span", None, "第 2 页，共 2 页", None),
    ]
    # A later page is its own address, with its number in the title.
    assert second.find("link", rel="canonical").attrs["href"] == f"http://testserver{url}?page=2"
    assert first.find("link", rel="canonical").attrs["href"] == f"http://testserver{url}"
    assert "（第 2 页）" in second.find("title").clean_text()
    assert "第" not in first.find("title").clean_text()
    # A number past the end is the last page, anything else the first.
    assert mechanism_page_estates(page(client, url + "?page=99")) == (
        mechanism_page_estates(second)
    )
    assert mechanism_page_estates(page(client, url + "?page=x")) == (mechanism_page_estates(first))
    english = page(client, f"/en{url}?page=2")
    assert mechanism_page_estates(english) == [
        f"/en{href}" for href in mechanism_page_estates(second)
    ]
    assert english.find("link", rel="canonical").attrs["href"] == (
        f"http://testserver/en{url}?page=2"
    )


def test_mechanism_page_marks_an_estate_public_only_through_an_example_round(client):
    kind = MechanismType.objects.get(slug="dangjianyinling")
    tree = page(client, reverse("showcase:mechanism_detail", args=[kind.slug]))
    marked = {
        section.find("h2").find("a").attrs["href"]: "示例" in section.find("h2").clean_text()
        for section in tree.find_all("section", class_="mechanism-use")
    }
    assert marked == {
        estate.get_absolute_url(): estate.is_illustrative
        for estate in Estate.objects.published().with_illustrative()
    }
    assert sum(marked.values()) == 1  # the Linyi estate of the illustrative Shandong round


def test_stats_with_no_known_value_of_a_headline_metric(client):
    """A new site, or a registry where no published estate gives its fee collection."""
    from estates.models import Metric

    Metric.objects.filter(metric_type__code="fee_collection").delete()
    tree = page(client, reverse("showcase:stats"))
    fee = tree.find("section", **{"aria-labelledby": "metric-fee_collection"})
    assert fee.clean_text() == "物业费收缴率 暂无数据。"
    assert fee.find("svg") is None
    satisfaction = tree.find("section", **{"aria-labelledby": "metric-satisfaction"})
    assert satisfaction.find("p").clean_text() == "3 个小区有此数据，平均 94.18%；2 个小区未知。"
    # Three values make no distribution: the page says so instead of drawing empty bands.
    assert satisfaction.find("p", class_="note").clean_text() == (
        "有此数据的小区少于 5 个，暂不画分布。"
    )
    assert satisfaction.find("table") is None


def test_stats_count_only_known_values(client):
    tree = page(client, reverse("showcase:stats"))
    figures = [li.clean_text() for li in tree.find("ul", class_="figures").find_all("li")]
    assert figures == ["5入选小区", "2覆盖省份", "4383户数合计（5 个小区已知）"]
    satisfaction = tree.find("section", **{"aria-labelledby": "metric-satisfaction"})
    assert satisfaction.find("p").clean_text() == "3 个小区有此数据，平均 94.18%；2 个小区未知。"
    fee = tree.find("section", **{"aria-labelledby": "metric-fee_collection"})
    assert fee.find("p").clean_text() == "2 个小区有此数据，平均 99.32%；3 个小区未知。"
    table = tree.find("section", **{"aria-labelledby": "by-province"}).find("details")
    rows = [cells(row) for row in table.find("tbody").find_all("tr")]
    assert rows == [["北京市", "4"], ["山东省", "1"]]


def test_profile_chart_for_a_metric_with_two_values(client):
    """Two values are a before/after pair of bars, each with its caption and value."""
    tree = page(client, "/estates/lijingchangan/")
    charts = tree.find("ul", class_="metrics").find_all("table", class_="change-chart")
    assert [
        [c.find("caption").clean_text()] + [cells(r) for r in c.find_all("tr")] for c in charts
    ] == [
        ["公共区域报修率", ["巡检制度实施前", "", "4.38%"], ["巡检制度实施以来", "", "1.17%"]],
        ["业主投诉率", ["巡检制度实施前", "", "1.05%"], ["巡检制度实施以来", "", "0.76%"]],
    ]


def test_share_and_description_meta_on_profile(client):
    tree = page(client, "/estates/lijingchangan/")
    meta = {
        m.attrs.get("property") or m.attrs.get("name"): m.attrs["content"]
        for m in tree.find_all("meta")
        if m.attrs.get("content")
    }
    assert meta["og:title"] == "丽景长安：用心服务，温暖业主 · 美好家园典型案例"
    assert meta["og:type"] == "article"
    assert meta["og:url"] == "http://testserver/estates/lijingchangan/"
    # The estate's own cover card (tests/test_covers.py), not the site's share image.
    assert meta["og:image"].startswith("http://testserver/estates/lijingchangan/cover.png?v=")
    assert meta["description"].startswith("丽景长安小区位于北京市门头沟区永定镇，建成于2013年")
    canonical = tree.find("link", rel="canonical")
    assert canonical.attrs["href"] == "http://testserver/estates/lijingchangan/"
    alternates = {
        link.attrs["hreflang"]: link.attrs["href"]
        for link in tree.find_all("link", rel="alternate")
        if link.attrs.get("hreflang")
    }
    assert alternates == {
        "zh-Hans": "http://testserver/estates/lijingchangan/",
        "en": "http://testserver/en/estates/lijingchangan/",
        "x-default": "http://testserver/estates/lijingchangan/",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/estates/",
        "/estates/aozhengchengyuannanqu/",
        "/campaigns/",
        "/campaigns/quanguo-2021/",
        "/campaigns/quanguo-2021/beijing/",
        "/mechanisms/",
        "/mechanisms/dangjianyinling/",
        "/stats/",
        "/data/",
    ],
)
def test_every_page_has_title_description_and_share_tags(client, url):
    tree = page(client, url)
    assert tree.find("title").clean_text()
    names = {m.attrs.get("property") or m.attrs.get("name") for m in tree.find_all("meta")}
    assert {"description", "og:title", "og:description", "og:image", "og:url"} <= names
    assert tree.find("html").attrs["lang"] == "zh-Hans"
    assert tree.find("link", rel="canonical") is not None


def test_english_pages_live_under_en(client):
    tree = page(client, "/en/estates/lijingchangan/")
    assert tree.find("html").attrs["lang"] == "en"
    switch = tree.find("nav", class_="languages")
    assert switch.find("a").attrs["href"] == "http://testserver/estates/lijingchangan/"
    # The English name the seed gives it, in English.
    assert tree.find("h1").clean_text() == "Lijing Chang'an"
    assert tree.find("h1").find("span").attrs["lang"] == "en"


def test_chinese_is_the_default_whatever_the_browser_asks(client):
    response = client.get("/estates/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert parse(response.content).find("html").attrs["lang"] == "zh-Hans"


def test_feed_lists_published_estates_newest_first(client):
    hidden = make_estate(name="草稿小区")
    nominate(hidden, state=NominationState.DRAFT)
    response = client.get("/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    tree = parse(response.content)
    titles = [entry.find("title").clean_text() for entry in tree.find_all("entry")]
    assert titles[0] == "奥正诚园南区：沂蒙红管家 服务三六五（示例）"
    assert len(titles) == 5
    assert "草稿小区" not in response.content.decode()


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def sitemap_files(client):
    """The addresses the index lists, each file's path and query."""
    from urllib.parse import urlsplit
    from xml.etree import ElementTree

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    index = ElementTree.fromstring(response.content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    files = []
    for loc in index.iter(f"{SITEMAP}loc"):
        parts = urlsplit(loc.text)
        assert (parts.scheme, parts.netloc) == ("http", "testserver")
        files.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return files


def sitemap_urls(client, path):
    """[(address, {hreflang: alternate})] of one sitemap file."""
    from xml.etree import ElementTree

    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"] == "application/xml"
    urlset = ElementTree.fromstring(response.content)
    assert urlset.tag == f"{SITEMAP}urlset"
    return [
        (
            url.find(f"{SITEMAP}loc").text,
            {link.attrib["hreflang"]: link.attrib["href"] for link in url.findall(f"{XHTML}link")},
        )
        for url in urlset.findall(f"{SITEMAP}url")
    ]


def test_sitemap_is_an_index_of_section_files(client):
    assert sitemap_files(client) == [
        "/sitemap-pages.xml",
        "/sitemap-estates.xml",
        "/sitemap-campaigns.xml",
        "/sitemap-provinces.xml",
        "/sitemap-mechanisms.xml",
    ]


def test_sitemap_has_each_public_page_in_both_languages(client):
    hidden = make_estate(name="草稿小区", slug="caogaoxiaoqu")
    nominate(
        hidden, campaign=Campaign.objects.get(slug="quanguo-2021"), state=NominationState.DRAFT
    )
    urls = dict(entry for path in sitemap_files(client) for entry in sitemap_urls(client, path))
    assert urls["http://testserver/estates/lijingchangan/"] == {
        "zh-hans": "http://testserver/estates/lijingchangan/",
        "en": "http://testserver/en/estates/lijingchangan/",
        "x-default": "http://testserver/estates/lijingchangan/",
    }
    assert "http://testserver/en/estates/lijingchangan/" in urls
    assert "http://testserver/campaigns/quanguo-2021/beijing/" in urls
    assert "http://testserver/en/mechanisms/dangjianyinling/" in urls
    assert not [url for url in urls if "caogaoxiaoqu" in url]
    assert len(urls) == 2 * (6 + 5 + 2 + 2 + MechanismType.objects.count())


def test_sitemap_estate_file_gives_the_day_each_estate_changed(client):
    from django.utils import timezone

    estate = Estate.objects.get(slug="lijingchangan")
    body = client.get("/sitemap-estates.xml").content.decode()
    day = timezone.localtime(estate.updated_at).date().isoformat()
    entry = body[body.index("<loc>http://testserver/estates/lijingchangan/</loc>") :]
    assert entry[: entry.index("</url>")].count(f"<lastmod>{day}</lastmod>") == 1


def test_sitemap_section_is_split_into_files_of_at_most_the_limit(client, monkeypatch):
    from showcase.sitemaps import I18nSitemap

    grow(5)  # ten published estates
    # Two estates a file, each in two languages.
    monkeypatch.setattr(I18nSitemap, "limit", 4)
    estate_files = [f for f in sitemap_files(client) if f.startswith("/sitemap-estates.xml")]
    assert estate_files == [
        "/sitemap-estates.xml",
        *[f"/sitemap-estates.xml?p={n}" for n in range(2, 6)],
    ]
    listed = []
    for path in estate_files:
        urls = [url for url, _alternates in sitemap_urls(client, path)]
        assert len(urls) == 4, path
        listed += urls
    expected = sorted(
        f"http://testserver{prefix}{estate.get_absolute_url()}"
        for estate in Estate.objects.published()
        for prefix in ("", "/en")
    )
    assert sorted(listed) == expected
    assert client.get("/sitemap-estates.xml?p=6").status_code == 404
    assert client.get("/sitemap-estates.xml?p=x").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_sitemap_files_stay_within_the_protocols_limit():
    from showcase.sitemaps import SITEMAPS

    for site in SITEMAPS.values():
        assert site.limit <= 50_000
        assert site.limit % len(site.languages) == 0


def feed_entries(client):
    """[(title, published), …] of the feed."""
    from xml.etree import ElementTree

    atom = "{http://www.w3.org/2005/Atom}"
    tree = ElementTree.fromstring(client.get("/feed/").content)
    return [
        (entry.findtext(f"{atom}title"), entry.findtext(f"{atom}published"))
        for entry in tree.iter(f"{atom}entry")
    ]


def test_feed_dates_an_estate_by_its_first_publication(client):
    import datetime

    from django.utils import timezone

    later = make_campaign(
        title="2025 全国评选", results_published_at=timezone.now() + datetime.timedelta(days=1)
    )
    nominate(Estate.objects.get(slug="lijingchangan"), campaign=later)  # selected again
    nominate(make_estate(name="新入选小区"), campaign=later)
    entries = feed_entries(client)
    assert [title for title, _published in entries][:2] == [
        "新入选小区",
        "奥正诚园南区：沂蒙红管家 服务三六五（示例）",
    ]
    national = Campaign.objects.get(slug="quanguo-2021").results_published_at
    published = dict(entries)
    assert published["丽景长安：用心服务，温暖业主"].startswith(national.date().isoformat())


def test_feed_has_the_fifty_newest_in_order_across_publication_days(client):
    grow(48)  # 25 in the Shandong round of 2023 and 28 in the national one of 2022
    expected = [
        estate.slug
        for estate in Estate.objects.published()
        .published_since()
        .order_by("-published_at", "name_pinyin", "pk")[:50]
    ]
    response = client.get("/feed/")
    from xml.etree import ElementTree

    atom = "{http://www.w3.org/2005/Atom}"
    links = [
        entry.find(f"{atom}link").attrib["href"]
        for entry in ElementTree.fromstring(response.content).iter(f"{atom}entry")
    ]
    assert links == [f"http://testserver/estates/{slug}/" for slug in expected]


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Allow: /",
        "Sitemap: http://testserver/sitemap.xml",
    ]


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_page_cache_serves_repeat_visits_and_forgets_on_change(client):
    url = reverse("showcase:estate_list")
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    estate = Estate.objects.get(slug="lijingchangan")
    estate.name = "丽景长安（新名）"
    estate.save()
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert "丽景长安（新名）" in card_names(parse(response.content))


def test_a_save_moves_the_version_on_once_not_again_for_its_history_record():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    estate = Estate.objects.get(slug="lijingchangan")
    estate.households += 1
    with CaptureQueriesContext(connection) as queries:
        estate.save()
    assert any('"estates_historicalestate"' in q["sql"] for q in queries)  # history written
    bumps = [q for q in queries if q["sql"].startswith('UPDATE "showcase_contentversion"')]
    assert len(bumps) == 1


def test_a_change_made_by_another_process_shows_within_the_version_interval(
    client, settings, monkeypatch
):
    """Another server bumps the version in the database without telling this process: its
    cached pages are used until the version it holds is PAGE_CACHE_VERSION_SECONDS old."""
    from showcase import cache as page_cache
    from showcase.models import ContentVersion

    settings.PAGE_CACHE_VERSION_SECONDS = 1
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    url = reverse("showcase:estate_list")
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    ContentVersion.objects.update(version=F("version") + 1)  # the other server's change
    clock[0] += 0.5
    assert client.get(url)["X-Page-Cache"] == "hit"
    clock[0] += 0.6
    assert client.get(url)["X-Page-Cache"] == "miss"


def test_counting_a_view_does_not_empty_the_cache(client):
    url = reverse("showcase:estate_detail", kwargs={"slug": "lijingchangan"})
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_profile_view_is_counted_once_per_request_but_not_for_bots(client):
    url = reverse("showcase:estate_detail", kwargs={"slug": "xichanganyihao"})
    client.get(url)
    client.get(url)
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 (compatible; Googlebot/2.1)")
    client.head(url)
    viewcounts.flush()
    assert Estate.objects.get(slug="xichanganyihao").view_count == 2


def test_unpublished_profile_is_not_counted(client):
    estate = make_estate(name="未发布小区")
    nominate(estate, state=NominationState.SHORTLISTED)
    assert client.get(estate.get_absolute_url()).status_code == 404
    assert viewcounts.pending() == 0
    viewcounts.flush()
    estate.refresh_from_db()
    assert estate.view_count == 0


PAGES = [
    "/",
    "/estates/",
    "/estates/?q=sqg",
    "/estates/?province=beijing&campaign=quanguo-2021&type=old&mechanism=dangjianyinling",
    "/estates/lijingchangan/",
    "/campaigns/",
    "/campaigns/quanguo-2021/",
    "/campaigns/quanguo-2021/beijing/",
    "/mechanisms/",
    "/mechanisms/dangjianyinling/",
    "/stats/",
    "/data/",
    "/data/estates.json",
    "/data/estates.csv",
    "/data/estates.xlsx",
    "/feed/",
    "/sitemap.xml",
    "/sitemap-pages.xml",
    "/sitemap-estates.xml",
    "/sitemap-campaigns.xml",
    "/sitemap-provinces.xml",
    "/sitemap-mechanisms.xml",
]


def query_counts(client, django_assert_max_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for url in PAGES:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_every_public_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    small = query_counts(client, django_assert_max_num_queries)
    # As on a live site, what runs after the change commits (the statistics' refresh) runs.
    with django_capture_on_commit_callbacks(execute=True):
        grow(30)
    large = query_counts(client, django_assert_max_num_queries)
    assert large == small
    # The profile reads two more tables than the other pages: the nomination report's
    # sections (the nine principle requirements and the eight required activities).
    budgets = {"/estates/lijingchangan/": 12}
    over = {url: n for url, n in small.items() if n > budgets.get(url, 10)}
    assert not over, small


def test_a_chinese_page_after_an_english_one_is_chinese(client):
    client.get("/en/estates/")
    tree = page(client, "/estates/")
    assert tree.find("html").attrs["lang"] == "zh-Hans"
    assert tree.find("h1").clean_text() == "典型案例"


def test_cached_pages_keep_their_own_host(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    client.get("/estates/", HTTP_HOST="other.example")
    tree = page(client, "/estates/")
    assert tree.find("link", rel="canonical").attrs["href"] == "http://testserver/estates/"


@pytest.mark.parametrize("url", ["/data/estates.csv", "/data/estates.xlsx"])
def test_downloads_keep_their_file_name_when_served_from_the_built_file(client, url):
    first = client.get(url)
    second = client.get(url)
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert second["Content-Disposition"].startswith('attachment; filename="meihao-jiayuan-')
    assert second["Content-Type"] == first["Content-Type"]
    assert second.getvalue() == first.getvalue()


def test_unknown_query_parameters_share_the_cached_page(client):
    assert client.get("/stats/?x=1")["X-Page-Cache"] == "miss"
    assert client.get("/stats/?x=2")["X-Page-Cache"] == "hit"
    shared = page(client, "/estates/?from=singlemessage&isappinstalled=0")
    assert shared.find("link", rel="canonical").attrs["href"] == "http://testserver/estates/"
    assert "清除条件" not in shared.text()
    assert shared.find("meta", name="robots") is None


def test_filtered_list_is_not_indexed_and_keeps_its_filters_in_the_canonical(client):
    tree = page(client, "/estates/?province=beijing&utm_source=x")
    assert tree.find("meta", name="robots").attrs["content"] == "noindex, follow"
    assert tree.find("link", rel="canonical").attrs["href"] == (
        "http://testserver/estates/?province=beijing"
    )


def test_view_count_on_a_cached_profile_is_current(client):
    url = "/estates/xichanganyihao/"
    Estate.objects.filter(slug="xichanganyihao").update(view_count=0)
    for expected in ["1", "2", "3"]:
        tree = page(client, url)
        assert tree.find(class_="views").clean_text() == f"查看 {expected} 次"
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_single_letter_is_not_a_pinyin_substring_search(client):
    assert listed(client, "?q=a") == ["奥正诚园南区"]


@pytest.mark.parametrize(
    "data",
    [{}, {"province": "beijing", "type": "old", "campaign": "quanguo-2021"}, {"province": "x"}],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_filter_selects_match_djangos_own_select(data, language):
    from django import forms
    from django.test.html import parse_html
    from django.utils import translation

    from showcase.forms import EstateFilterForm

    with translation.override(language):
        form = EstateFilterForm(data)
        form.is_valid()
        for name in ["province", "campaign", "type", "mechanism"]:
            ours = str(form[name])
            # The same field with Django's Select, its options read by the field itself.
            field = form.fields[name]
            field.widget = forms.Select(choices=list(field.choices))
            theirs = str(form[name])
            assert parse_html(ours) == parse_html(theirs), name
            assert ours.count("<option") == len(list(field.choices)) > 1


def test_a_query_longer_than_the_box_is_searched_by_its_first_hundred_characters(client):
    tree = page(client, "/estates/?q=" + "丽景长安" + "x" * 1200)
    assert card_names(tree) == []  # no estate is called that: not "every estate"
    tree = page(client, "/estates/?q=" + "丽景长安" * 30)
    assert card_names(tree) == []
    tree = page(client, "/estates/?q=丽景长安")
    assert card_names(tree) == ["丽景长安"]


def test_the_footer_says_what_its_examples_are_until_a_deployment_fills_them_in(client, settings):
    note = page(client, "/campaigns/").find("p", class_="footer-example")
    assert note is not None and "示例" in note.clean_text()
    settings.SITE_ORGANISER = "某市住房和城乡建设局"
    settings.SITE_CONTACT_PHONE = "0539-1234567"
    settings.SITE_CONTACT_ADDRESS = "临沂市河东区示范路1号"
    settings.SITE_ICP_NUMBER = "鲁ICP备12345678号-1"
    from django.core.cache import cache

    cache.clear()
    assert page(client, "/campaigns/").find("p", class_="footer-example") is None


def test_a_published_campaign_that_had_a_notice_links_the_objection_lookup(client):
    link = page(client, "/campaigns/shandong-2023/").find("p", class_="lookup-link")
    assert link.find("a").attrs["href"] == "/campaigns/shandong-2023/notice/lookup/"
    # The national round of the seed had no notice on this site: nothing to look up.
    assert page(client, "/campaigns/quanguo-2021/").find("p", class_="lookup-link") is None
