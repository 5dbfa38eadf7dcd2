"""The reviewer's page: the nomination's material (what the province wrote, the estate's
metrics) read-only beside the scores, escaped, as written; names of people as plain text, not
links to account pages nobody but a superuser opens; and, on every role's pages, no link to a
page its reader cannot open."""

import re
from datetime import date
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, Metric, MetricType, Nomination
from estates.workflow import assign_reviewer, submit_review

from .builders import campaign_like, make_estate, make_staff
from .html import parse
from .test_access_matrix import MODELS, USERS, build_world, perms_of, sees

pytestmark = pytest.mark.django_db

INDENT = "\u3000\u3000"
FIRST_CRITERION = f"{INDENT}成立小区党支部。\n{INDENT}每月召开<b>联席会</b>。\n\n  第三段。"
STATEMENT = f"{INDENT}坚持党建引领，<script>alert(1)</script>\n满意度 96.55%。"
FIRST_ACTIVITY = f"{INDENT}2023年5月召开联席会。\n到会 30 人。"


def reviewing_nomination(name="材料小区", metrics=2):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name=name, province=linyi.province, city=linyi, households=1250)
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug=f"review-{name}")
    nomination = Nomination.objects.create(
        estate=estate,
        campaign=campaign,
        state=NominationState.UNDER_REVIEW,
        statement=STATEMENT,
        nominating_authority="临沂市住房和城乡建设局",
    )
    create_missing_evidence(nomination)
    nomination.criterion_evidence.update(text="已落实。")
    nomination.activity_evidence.update(text="已开展。")
    first = nomination.criterion_evidence.get(criterion__number=1)
    first.text = FIRST_CRITERION
    first.save()
    activity = nomination.activity_evidence.get(requirement__number=1)
    activity.text = FIRST_ACTIVITY
    activity.save()
    satisfaction = MetricType.objects.get(code="satisfaction")
    for year in range(2023 - metrics + 1, 2024):
        Metric.objects.create(
            estate=estate,
            metric_type=satisfaction,
            value="96.55",
            date=date(year, 12, 31),
            source_note=f"{year}年问卷200余份",
        )
    return nomination


def reviewer_named(name="评审专家（河北）"):
    reviewer = make_staff("reviewer", "hebei")
    reviewer.last_name = name  # as `manage.py create_staff_user --name` stores it
    reviewer.save()
    return reviewer


def review_url(review):
    return reverse("admin:estates_review_change", args=[review.pk])


def cards(response):
    page = parse(response.content)
    return page.find_all("section", class_="score-card")


def test_review_page_shows_the_evidence_of_each_criterion_beside_its_score(client):
    nomination = reviewing_nomination()
    reviewer = reviewer_named()
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    client.force_login(reviewer)

    response = client.get(review_url(review))

    assert response.status_code == 200
    found = cards(response)
    assert [card.find("h3").clean_text() for card in found] == [
        str(c) for c in nomination.campaign.criteria.order_by("number")
    ]
    # As written: line breaks, the blank line and every indent kept, the tags escaped.
    first = found[0]
    assert first.find("div", class_="review-text").text() == FIRST_CRITERION
    assert [card.find("div", class_="review-text").text() for card in found[1:]] == ["已落实。"] * 8
    assert "每月召开&lt;b&gt;联席会&lt;/b&gt;" in response.content.decode()
    # The score and comment fields sit in the card they belong to.
    assert first.find("input", name="scores-0-score") is not None
    assert first.find("textarea", name="scores-0-comment") is not None


def test_review_page_shows_the_statement_metrics_and_activities(client):
    nomination = reviewing_nomination()
    reviewer = reviewer_named()
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    client.force_login(reviewer)

    response = client.get(review_url(review))

    material = parse(response.content).find("section", id="material")
    texts = [div.text() for div in material.find_all("div", class_="review-text")]
    assert texts == [STATEMENT, FIRST_ACTIVITY] + ["已开展。"] * 7
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()
    rows = [
        [cell.clean_text() for cell in row.children if not isinstance(cell, str)]
        for row in material.find("table", class_="material-metrics").find("tbody").find_all("tr")
    ]
    assert rows == [
        ["业主满意度", "96.55%", "2022年12月31日", "2022年问卷200余份"],
        ["业主满意度", "96.55%", "2023年12月31日", "2023年问卷200余份"],
    ]
    facts = material.find("dl", class_="material-facts").clean_text()
    assert "材料小区" in facts and "临沂市住房和城乡建设局" in facts and "1250 户" in facts


def test_a_handed_in_review_still_shows_the_material_and_the_scores(client):
    nomination = reviewing_nomination()
    reviewer = reviewer_named()
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    review.scores.update(score=80)
    submit_review(review, reviewer)
    client.force_login(make_staff("ministry"))

    response = client.get(review_url(review))

    found = cards(response)
    assert found[0].find("div", class_="review-text").text() == FIRST_CRITERION
    assert [card.find("div", class_="readonly").clean_text() for card in found] == ["80.00"] * 9
    assert parse(response.content).find("input", name="scores-0-score") is None


def page_queries(client, url):
    """The queries of the page once the process's caches (content types) are warm."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_review_page_queries_are_pinned_and_do_not_grow_with_the_material(client):
    reviewer = reviewer_named()
    ministry = make_staff("ministry")
    small = assign_reviewer(reviewing_nomination("少苑", metrics=1), reviewer, ministry)
    large = assign_reviewer(reviewing_nomination("多苑", metrics=12), reviewer, ministry)
    client.force_login(reviewer)

    # The session, the user, their role and province; the review with its nomination,
    # campaign, estate and reviewer; its scores (the weighted total); the user's permissions
    # (two); the score cards: scores with criteria and evidence texts; the material: the
    # nomination, its activities' texts, the estate's metrics; the header's unread
    # notifications.
    assert page_queries(client, review_url(small)) == 13
    assert page_queries(client, review_url(large)) == 13


@pytest.mark.parametrize("role", ["reviewer", "ministry"])
def test_the_reviewer_is_named_not_linked_to_an_account_page(client, role):
    nomination = reviewing_nomination()
    reviewer = reviewer_named()
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    client.force_login(reviewer if role == "reviewer" else make_staff("ministry"))

    response = client.get(review_url(review))

    row = parse(response.content).find("div", class_="field-reviewer_name")
    assert row.find("div", class_="readonly").clean_text() == "评审专家（河北）"
    assert row.find("a") is None
    assert "/admin/auth/" not in response.content.decode()


# --- Every role's pages ---------------------------------------------------------------------

HREF = re.compile(r'href="(/admin/[^"#]*)"')
# Not pages to open: signing out, and downloads (an export answers with a file).
NOT_PAGES = re.compile(r"/logout/|/export/|/template/")


def pages_of(world, user):
    """The admin pages the user may open: the index, each list, each row's page and history."""
    pages = ["/admin/"]
    for label in MODELS:
        if not perms_of(user, label) & {"v", "c"}:
            continue
        app, model = label.split(".")
        pages.append(f"/admin/{app}/{model}/")
        for probe in world.probes.get(label, []):
            if sees(user, probe):
                pages.append(f"/admin/{app}/{model}/{probe.pk}/change/")
                pages.append(f"/admin/{app}/{model}/{probe.pk}/history/")
    return pages


@pytest.mark.parametrize("user", sorted(name for name, spec in USERS.items() if spec))
def test_no_admin_page_links_a_page_its_reader_cannot_open(client, user):
    """The rows of the access table (tests/test_access_matrix.py), each role opening its pages
    and every admin link on them: none answers 403 (a reviewer followed the review page's
    link to the reviewer's account page and met Django's English "403 Forbidden")."""
    world = build_world()
    client.force_login(world.users[user])
    linked = {}
    for page in pages_of(world, user):
        response = client.get(page)
        assert response.status_code == 200, page
        for href in HREF.findall(response.content.decode()):
            href = unescape(href)
            if not NOT_PAGES.search(urlsplit(href).path):
                linked.setdefault(href, page)
    assert len(linked) > 20  # the walk reached the pages, not only the index
    forbidden = {href: page for href, page in linked.items() if client.get(href).status_code == 403}
    assert forbidden == {}
