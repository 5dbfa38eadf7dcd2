"""The long public lists a page at a time: each page reads only its own rows, and the pages
together list every row once, in order, with the marks the whole list gives them."""

import pytest
from django.urls import reverse

from estates.models import Estate

from .growth import grow
from .html import parse

pytestmark = pytest.mark.django_db


def cards(client, url):
    """[(address, marked 示例)] of the list's cards, and the count the page states."""
    response = client.get(url)
    assert response.status_code == 200, url
    tree = parse(response.content)
    listed = [
        (card.find("a").attrs["href"], card.find("span", class_="example-mark") is not None)
        for card in tree.find_all("li", class_="estate-card")
    ]
    return listed, tree.find("p", class_="lead").clean_text()


@pytest.mark.parametrize("query", ["", "province=shandong", "q=zengzhang"])
def test_the_estate_lists_pages_together_list_each_estate_once_in_order(client, monkeypatch, query):
    from showcase import views

    grow(6)
    monkeypatch.setattr(views, "ESTATES_PER_PAGE", 3)
    published = Estate.objects.published().with_illustrative().order_by(*views.LIST_ORDER)
    if query == "province=shandong":
        published = published.filter(province__slug="shandong")
    elif query:
        published = published.filter(name__startswith="增长小区")
    expected = [(estate.get_absolute_url(), estate.is_illustrative) for estate in published]
    assert any(marked for _url, marked in expected) or query == "q=zengzhang"
    seen = []
    for number in range(1, -(-len(expected) // 3) + 1):
        listed, lead = cards(client, f"{reverse('showcase:estate_list')}?{query}&page={number}")
        assert lead == f"共 {len(expected)} 个入选小区"
        assert len(listed) == (3 if number * 3 <= len(expected) else len(expected) % 3)
        seen += listed
    assert seen == expected


def test_a_mechanism_pages_together_list_each_user_once_in_order(client, monkeypatch):
    from estates.models import MechanismType
    from showcase import views

    grow(6)  # each uses the first three kinds of mechanism
    monkeypatch.setattr(views, "ESTATES_PER_PAGE", 3)
    kind = MechanismType.objects.all()[0]
    users = Estate.objects.published().using_mechanism(kind).with_illustrative()
    expected = [
        (estate.get_absolute_url(), estate.is_illustrative)
        for estate in users.order_by(*views.LIST_ORDER)
    ]
    assert len(expected) > 6 and len(expected) % 3
    url = reverse("showcase:mechanism_detail", args=[kind.slug])
    seen = []
    for number in range(1, -(-len(expected) // 3) + 1):
        tree = parse(client.get(f"{url}?page={number}").content)
        seen += [
            (h2.find("a").attrs["href"], h2.find("span", class_="example-mark") is not None)
            for h2 in (s.find("h2") for s in tree.find_all("section", class_="mechanism-use"))
        ]
    assert seen == expected


def test_a_sitemap_estate_file_is_what_djangos_own_sitemap_writes(client, rf, monkeypatch):
    """The estates' file is written straight from their slugs and dates: the same XML as
    Django's i18n sitemap of the published estates, file by file, and the same headers."""
    from django.conf import settings
    from django.contrib.sitemaps import Sitemap
    from django.contrib.sitemaps.views import sitemap

    from showcase.sitemaps import I18nSitemap

    grow(4)
    monkeypatch.setattr(I18nSitemap, "limit", 6)  # three estates a file

    class Plain(Sitemap):
        i18n, alternates, x_default = True, True, True
        languages = [code for code, _name in settings.LANGUAGES]
        changefreq = "monthly"
        limit = 6

        def items(self):
            return Estate.objects.published().order_by("province_order", "name_pinyin", "pk")

        def lastmod(self, estate):
            return estate.updated_at

    files = -(-Estate.objects.published().count() // 3)
    assert files >= 3
    for number in range(1, files + 2):
        ours = client.get(f"/sitemap-estates.xml?p={number}")
        request = rf.get(f"/sitemap-estates.xml?p={number}")
        if number > files:
            assert ours.status_code == 404
            continue
        django = sitemap(
            request, {"estates": Plain}, "estates", template_name="showcase/sitemap.xml"
        )
        django.render()
        assert ours.content == django.content
        for header in ("Content-Type", "Last-Modified", "X-Robots-Tag"):
            assert ours[header] == django[header]
