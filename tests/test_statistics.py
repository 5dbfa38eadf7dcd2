"""The statistics page's figures: kept in one row, refreshed after each change commits."""

import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.enums import NominationState
from estates.models import Estate, Mechanism, MechanismType, Metric, MetricType, Nomination
from showcase import statistics
from showcase.cache import database_version, forget_version
from showcase.models import PublicStatistics

from .builders import make_estate, nominate
from .html import parse

pytestmark = pytest.mark.django_db


def page(client, name):
    cache.clear()
    forget_version()
    response = client.get(reverse(name))
    assert response.status_code == 200
    return parse(response.content)


def stats_page(client):
    return page(client, "showcase:stats")


def figures_line(tree):
    return [li.clean_text() for li in tree.find("ul", class_="figures").find_all("li")]


def row():
    return PublicStatistics.objects.get(pk=statistics.ROW)


def aggregated(queries):
    """Whether the page aggregated the registry itself."""
    return any("COUNT(DISTINCT" in q["sql"].upper() for q in queries.captured_queries)


def test_a_change_refreshes_the_figures_once_it_commits(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        nominate(make_estate(name="新入选小区", households=100))
    assert row().version == database_version()
    with CaptureQueriesContext(connection) as queries:
        tree = stats_page(client)
    assert not aggregated(queries)
    assert figures_line(tree)[0] == "6入选小区"
    assert figures_line(tree)[2] == "4483户数合计（6 个小区已知）"


def test_a_transaction_of_many_saves_computes_the_figures_once(
    django_capture_on_commit_callbacks, monkeypatch
):
    computed = []
    real = statistics.compute
    monkeypatch.setattr(statistics, "compute", lambda: computed.append(1) or real())
    with django_capture_on_commit_callbacks(execute=True):
        for estate in Estate.objects.published().order_by("pk")[:3]:
            estate.households = (estate.households or 0) + 1
            estate.save()
    assert computed == [1]


def test_saving_an_unpublished_estate_computes_nothing(
    django_capture_on_commit_callbacks, monkeypatch
):
    """A province's draft is no public change: the figures are not computed again."""
    computed = []
    real = statistics.compute
    monkeypatch.setattr(statistics, "compute", lambda: computed.append(1) or real())
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            make_estate(name=f"批量小区{i}")
    assert computed == []


def test_figures_older_than_the_version_are_computed_again_by_the_page(client):
    """No refresh ran (the test's transaction never commits): the page computes and keeps."""
    before = row().version
    estate = make_estate(name="未刷新小区", households=7)
    nominate(estate)
    with CaptureQueriesContext(connection) as queries:
        tree = stats_page(client)
    assert aggregated(queries)
    assert figures_line(tree)[0] == "6入选小区"
    assert row().version == database_version() > before
    # …and the next page reads what it kept.
    with CaptureQueriesContext(connection) as queries:
        stats_page(client)
    assert not aggregated(queries)


def test_revoked_selection_leaves_the_figures_at_once(client):
    stats_page(client)
    nomination = Nomination.objects.filter(state=NominationState.SELECTED).first()
    nomination.state = NominationState.WITHDRAWN
    nomination.save()
    assert figures_line(stats_page(client))[0] == "4入选小区"


def home_page(client):
    return page(client, "showcase:home")


def test_home_reads_its_national_counts_from_the_kept_figures(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        nominate(make_estate(name="首页新小区", households=100))
    with monkeypatch.context() as patched:
        for aggregate in ("compute", "province_rows"):
            patched.setattr(statistics, aggregate, lambda: pytest.fail("home aggregated"))
        tree = home_page(client)
    assert figures_line(tree)[0] == "6入选小区"
    assert figures_line(tree)[2] == "4483惠及户数（已知）"
    # A revoked selection leaves home's counts at the next request, refreshed or not.
    nomination = Nomination.objects.get(estate__name="首页新小区")
    nomination.state = NominationState.WITHDRAWN
    nomination.save()
    assert figures_line(home_page(client))[0] == "5入选小区"


def test_an_older_refresh_never_overwrites_newer_figures():
    statistics.store(10**15 + 2, {"provinces": [], "newer": True})
    statistics.store(10**15 + 1, {"provinces": [], "newer": False})
    assert row().version == 10**15 + 2
    assert row().figures["newer"] is True


def test_figures_of_another_format_are_not_read(client, monkeypatch):
    stats_page(client)
    version = row().version
    PublicStatistics.objects.filter(pk=statistics.ROW).update(format="旧格式", figures={})
    assert figures_line(stats_page(client))[0] == "5入选小区"
    assert row().format == statistics.FORMAT
    assert row().version == version


def test_a_deleted_row_is_made_again(client):
    PublicStatistics.objects.all().delete()
    assert figures_line(stats_page(client))[0] == "5入选小区"
    assert row().format == statistics.FORMAT


def test_a_failed_refresh_is_logged_and_the_page_still_right(
    client, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken():
        raise RuntimeError("数据库忙")

    monkeypatch.setattr(statistics, "compute", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        nominate(make_estate(name="刷新失败小区"))
    assert "统计数据未能刷新" in caplog.text
    monkeypatch.undo()
    assert figures_line(stats_page(client))[0] == "6入选小区"


def test_mechanisms_count_distinct_estates(client, django_capture_on_commit_callbacks):
    """An estate that records one mechanism type twice counts once (the seed has one)."""
    kind = MechanismType.objects.get(slug="kaifangri")
    estate = make_estate(name="两次开放日小区")
    nominate(estate)
    with django_capture_on_commit_callbacks(execute=True):
        Mechanism.objects.create(estate=estate, mechanism_type=kind, title="开放日一")
        Mechanism.objects.create(estate=estate, mechanism_type=kind, title="开放日二")
    chart = stats_page(client).find("section", **{"aria-labelledby": "by-mechanism"})
    rows = [
        [cell.clean_text() for cell in row.children if not isinstance(cell, str)]
        for row in chart.find_all("tr")
    ]
    assert ["开放日", "", "2个"] in rows


def test_averages_stay_exact_through_the_stored_row(client, django_capture_on_commit_callbacks):
    kind = MetricType.objects.get(code="satisfaction")
    with django_capture_on_commit_callbacks(execute=True):
        Metric.objects.filter(metric_type=kind).delete()
        for value in ("99.99", "90.01", "95.02"):
            estate = make_estate(name=f"满意度{value}")
            nominate(estate)
            Metric.objects.create(estate=estate, metric_type=kind, value=value, sequence=1)
    satisfaction = stats_page(client).find("section", **{"aria-labelledby": "metric-satisfaction"})
    assert satisfaction.find("p").clean_text().startswith("3 个小区有此数据，平均 95.01%")


def test_campaign_counts_and_feature_pages_are_kept_with_the_figures(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    """The campaigns page's counts and the sitemap's province feature pages come from the
    kept figures: the first request after a change reads no nomination."""
    from django.conf import settings

    from estates.models import Campaign, City

    national = Campaign.objects.get(slug="quanguo-2021")
    before = national.nominations.filter(state=NominationState.SELECTED).count()
    linyi = City.objects.get(slug="linyi")
    with django_capture_on_commit_callbacks(execute=True):
        # The national round's first estate in Shandong: a new feature page.
        nominate(make_estate(name="山东新小区", province=linyi.province, city=linyi), national)
    with monkeypatch.context() as patched:
        patched.setattr(statistics, "compute", lambda: pytest.fail("a page aggregated"))
        with CaptureQueriesContext(connection) as queries:
            tree = page(client, "showcase:campaign_list")
            index = client.get("/sitemap.xml")
            features = client.get("/sitemap-provinces.xml").content.decode()
    assert index.status_code == 200
    assert not [q for q in queries.captured_queries if "estates_nomination" in q["sql"]]
    counts = {
        h3.find("a").attrs["href"]: h3.parent.find("p", class_="meta").clean_text()
        for h3 in tree.find_all("h3")
    }
    assert f"入选 {before + 1} 个小区" in counts["/campaigns/quanguo-2021/"]
    assert "<loc>http://testserver/campaigns/quanguo-2021/shandong/</loc>" in features
    assert (
        f"<loc>http://testserver/{settings.LANGUAGES[1][0]}/campaigns/quanguo-2021/shandong/"
        in (features)
    )
    # A revoked selection leaves both at once.
    nomination = Nomination.objects.get(estate__name="山东新小区")
    nomination.state = NominationState.WITHDRAWN
    nomination.save()
    cache.clear()
    assert "quanguo-2021/shandong/" not in client.get("/sitemap-provinces.xml").content.decode()
    tree = page(client, "showcase:campaign_list")
    assert f"入选 {before} 个小区" in tree.text()
