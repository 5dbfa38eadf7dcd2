"""The Content-Security-Policy, enforced by a real browser: every public and admin page loads
with no violation (no blocked script, style or image), signed in through the login form."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from estates.images import clean_photo
from estates.models import Campaign, CriterionEvidence, Estate, Nomination, Photo

from .conftest import CHROMIUM_FLAGS  # noqa: F401 (the browser fixture uses them)

PASSWORD = "csp-test-passphrase-2026"


@pytest.fixture
def strict(browser):
    """A browser context that enforces the page's CSP (the other fixtures bypass it so axe
    can be injected)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.violations = []
    page.on(
        "console",
        lambda message: (
            page.violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    # Every violation the browser reports to the page, whether or not it logs one.
    context.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push("
        "e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' "
        "+ e.lineNumber));"
    )
    yield page
    context.close()


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 60)).save(buffer, format="JPEG")
    return SimpleUploadedFile("gate.jpg", buffer.getvalue(), content_type="image/jpeg")


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_load_state("load")
    assert response.headers.get("content-security-policy"), url
    page.violations += [f"{url}: {v}" for v in page.evaluate("window.__violations")]
    return response


def test_public_pages_load_without_violations(site, strict):
    estate = Estate.objects.published().first()
    campaign = Campaign.objects.get(slug="quanguo-2021")
    for path in [
        "/",
        "/estates/",
        "/estates/?q=东里",
        estate.get_absolute_url(),
        f"/campaigns/{campaign.slug}/",
        f"/campaigns/{campaign.slug}/beijing/",
        "/mechanisms/",
        "/stats/",
        "/data/",
        "/en/",
        "/en" + estate.get_absolute_url(),
        "/estates/no-such-estate/",
    ]:
        page_url = site + path
        if path.endswith("no-such-estate/"):
            strict.goto(page_url)
        else:
            visit(strict, page_url)
    assert strict.violations == []


def test_admin_pages_load_without_violations(site, strict, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    get_user_model().objects.create_superuser("csp-admin", "csp@example.cn", PASSWORD)
    strict.goto(site + "/admin/login/")
    strict.fill("#id_username", "csp-admin")
    strict.fill("#id_password", PASSWORD)
    strict.click("input[type=submit]")
    strict.wait_for_url(site + "/admin/")
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    nomination = Nomination.objects.filter(estate=estate).first()
    # A photo (its preview), and an evidence box left empty (marked 未填写).
    photo = Photo(estate=estate, caption="小区大门", display_order=1)
    photo.store(clean_photo(jpeg()))
    photo.save()
    evidence = CriterionEvidence.objects.filter(nomination=nomination).first()
    if evidence is not None:
        evidence.text = ""
        evidence.save()
    campaign = Campaign.objects.get(slug="quanguo-2021")
    for path in [
        "/admin/",
        "/admin/estates/estate/",
        "/admin/estates/estate/?q=东里",
        f"/admin/estates/estate/{estate.pk}/change/",
        f"/admin/estates/estate/{estate.pk}/history/",
        "/admin/estates/estate/add/",
        "/admin/estates/estate/export/",
        "/admin/estates/estate/import/",
        "/admin/estates/nomination/",
        f"/admin/estates/nomination/{nomination.pk}/change/",
        f"/admin/estates/campaign/{campaign.pk}/change/",
        "/admin/estates/metric/",
        "/admin/estates/photo/",
        "/admin/estates/criterionevidence/",
        "/admin/auth/user/",
        "/admin/password_change/",
    ]:
        visit(strict, site + path)
    # An import preview that changes an estate: its changed cells are marked without styles.
    visit(strict, site + "/admin/estates/estate/import/")
    sheet = (
        "\ufeff小区名称,网址标识,省份,城市,户数（户）\r\n"
        "奥正诚园南区,aozhengchengyuannanqu,山东省,临沂市,999\r\n"
    )
    strict.set_input_files(
        "#id_import_file",
        files=[{"name": "s.csv", "mimeType": "text/csv", "buffer": sheet.encode()}],
    )
    strict.select_option("#id_format", label="csv")
    strict.click("input[type=submit]")
    strict.wait_for_selector("ins.diff-added")
    strict.violations += [f"preview: {v}" for v in strict.evaluate("window.__violations")]
    # The export form's "select all" box is wired by an inline handler the policy allows
    # by its hash; using it must not be refused.
    visit(strict, site + "/admin/estates/estate/export/")
    toggle = strict.locator("input.select-toggle")
    if toggle.count():
        toggle.first.click()
    assert strict.violations == []
