"""In Chromium: a reader pages to an estate on a notice of sixty, objects from its row's link
(too briefly first: the error shows where the reader is), and keeps the reference the receipt
shows; the ministry signs in to the admin and handles the objection with
a public response beside its internal one; the reader follows the receipt's link to the lookup
page, types the reference in lower case with spaces, and reads the state and the response —
and nothing of the objection's text, contact or estate. Screenshots of the receipt, the
admin's handling form and the lookup page at 390 px, and the lookup page at 1280 px."""

import pytest

from estates.enums import ObjectionState
from estates.models import Objection

from .. import public_pages
from ..builders import make_staff
from .conftest import log_in, screenshot
from .test_public_pages import axe_problems

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "该小区公示的物业费收缴率与业主了解的情况不符，请核查2025年度的收缴台账。"
CONTACT = "13800001111"
INTERNAL = "台账与填报一致，异议不成立；已电话告知异议人。"
PUBLIC = (
    "经核查，该小区2025年度物业费收缴台账与公示数据一致，异议不成立。\n感谢您对评选工作的监督。"
)


def sideways(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_reader_looks_up_the_ministrys_response(site, browser, phone, desktop):
    campaign, on_notice = public_pages.open_notice()
    make_staff("ministry", username="ministry-wang")
    lookup_path = f"/campaigns/{campaign.slug}/notice/lookup/"

    # A provincial round puts dozens on notice: the table runs to a second page.
    public_pages.more_on_notice(campaign, 60, "兰山小区{:02d}")

    # --- The reader finds the estate on page 2 and objects from its row. ------------------
    phone.goto(f"{site}/campaigns/{campaign.slug}/notice/")
    phone.locator("nav.pager a", has_text="下一页").click()
    row = phone.locator("tbody tr").first
    estate_name = row.locator("th").inner_text()
    row.get_by_role("link", name="对此提出异议").click()
    chosen = phone.locator("#id_nomination option:checked").inner_text()
    assert chosen.endswith(f" · {estate_name}")
    assert phone.locator("#id_text").is_visible()  # the link lands at the form
    # Too short first, as people do: the error is where the reader is, not 50 cards up.
    phone.fill("#id_text", "数据不对")
    phone.click(".objection-form [type=submit]")
    error = phone.locator("#id_text_error")
    error.wait_for()
    assert "至少写 10 个字" in error.inner_text()
    assert error.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight }"
    )
    assert phone.locator("#id_nomination option:checked").inner_text() == chosen  # kept
    phone.fill("#id_text", TEXT)
    phone.fill("#id_contact", CONTACT)
    phone.click(".objection-form [type=submit]")
    receipt = phone.locator(".notice-done")
    receipt.wait_for()
    assert receipt.evaluate("e => e.getBoundingClientRect().top < innerHeight")  # in view
    reference = receipt.locator("strong").inner_text()
    objection = Objection.objects.get()
    assert reference == objection.reference
    assert objection.nomination.estate.name == estate_name
    assert objection.nomination != on_notice
    assert "请记下或截图保存这个编号" in receipt.inner_text()
    assert receipt.locator("a").get_attribute("href") == lookup_path
    assert f"网址：{site}{lookup_path}" in receipt.inner_text()
    assert sideways(phone) <= 0
    assert axe_problems(phone) == []
    screenshot(phone, "objection-receipt")

    # --- The ministry handles it in the admin, with a public response. --------------------
    log_in(desktop, site, "ministry-wang")
    desktop.goto(f"{site}/admin/estates/objection/")
    desktop.click(f"#result_list a:text-is('{reference}')")
    public_help = desktop.inner_text("#id_public_response_helptext")
    assert public_help.startswith("提出人凭受理编号查询时看到的答复")
    assert "内部记录" in desktop.inner_text("#id_response_helptext")
    desktop.select_option("#id_state", value=ObjectionState.DISMISSED.value)
    desktop.fill("#id_response", INTERNAL)
    desktop.fill("#id_public_response", PUBLIC)
    screenshot(desktop, "objection-handling")
    desktop.click("input[name=_save]")
    desktop.wait_for_selector(".messagelist .success")
    objection = Objection.objects.get()
    assert (objection.state, objection.public_response) == (ObjectionState.DISMISSED, PUBLIC)

    # --- The reader follows the receipt's link and types the reference as it comes. -------
    phone.click(".notice-done a")
    phone.wait_for_url(site + lookup_path)
    typed = reference.lower().replace("-", " ")  # "yy 7k3f 9q2m hx4d"
    phone.fill("#id_reference", typed)
    phone.click(".lookup-form [type=submit]")
    answer = phone.locator(".lookup-answer")
    answer.wait_for()
    assert answer.locator("h2").inner_text() == "处理状态：已处理"
    assert answer.locator("strong").inner_text() == reference
    assert answer.locator(".public-response").inner_text().split("\n") == PUBLIC.split("\n")
    body = phone.inner_text("body")
    for secret in [TEXT, CONTACT, INTERNAL, estate_name]:
        assert secret not in body
    assert sideways(phone) <= 0
    assert axe_problems(phone) == []
    screenshot(phone, "objection-lookup")

    # A reference that is not there: said beside the field, the typed text kept to correct.
    phone.fill("#id_reference", "yy 2222 3333 4444")
    phone.click(".lookup-form [type=submit]")
    error = phone.locator("#id_reference_error")
    error.wait_for()
    assert error.inner_text().startswith("没有找到这个受理编号。")
    assert phone.input_value("#id_reference") == "yy 2222 3333 4444"
    assert phone.locator(".lookup-answer").count() == 0
    assert axe_problems(phone) == []
    screenshot(phone, "objection-lookup-missing")

    # The same page at 1280 px, in a fresh tab (no admin session).
    wide = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(site + lookup_path)
    wide.fill("#id_reference", reference)
    wide.click(".lookup-form [type=submit]")
    wide.locator(".lookup-answer").wait_for()
    assert PUBLIC.split("\n")[0] in wide.inner_text(".lookup-answer")
    screenshot(wide, "objection-lookup")
    wide.context.close()
