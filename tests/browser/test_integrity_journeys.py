"""Integrity as users meet it, in Chromium: a clerk imports a sheet and clicks 确认导入 twice;
two ministry staff save the same estate; a reviewer hands a review in and finds it closed."""

import io

import pytest
from openpyxl import Workbook

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Estate, ImportUpload, Nomination
from estates.workflow import assign_reviewer

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def clerks_sheet():
    """An estate sheet as a clerk fills it in Excel: text pasted from a Word report (a
    no-break space, a trailing full-width space), a count typed with its unit, a
    satisfaction typed as a fraction in a percent-formatted cell."""
    book = Workbook()
    sheet = book.active
    sheet.append(["小区名称", "网址标识", "省份", "城市", "户数（户）", "业主满意度（%）"])
    sheet.append(["兰山\u00a0阳光花园\u3000", None, "山东省", "临沂市", "1,250户", 0.9655])
    sheet["F2"].number_format = "0.00%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_clerk_imports_a_sheet_and_a_double_click_imports_it_once(request, site, device):
    page = request.getfixturevalue(device)
    make_staff("provincial", "shandong", username="linyi-clerk")
    log_in(page, site, "linyi-clerk")

    page.goto(site + "/admin/estates/estate/")
    page.click("a.import_link")
    page.set_input_files(
        "#id_import_file",
        files=[
            {
                "name": "临沂推荐小区.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": clerks_sheet(),
            }
        ],
    )
    page.select_option("#id_format", label="xlsx")
    page.click("input[type=submit]")
    page.wait_for_selector("form#confirm-import-form, input[name=confirm]", state="attached")
    screenshot(page, "import-journey-preview")
    assert Estate.objects.filter(name__startswith="兰山").count() == 0  # a preview writes nothing

    confirm = page.locator("form[action$='process_import/'] input[type=submit]")
    assert confirm.input_value() == "确认导入"
    # What the form sends, to send it again later as a reload of the page would.
    sent = page.evaluate(
        "() => Object.fromEntries(new FormData("
        "document.querySelector(\"form[action$='process_import/']\")))"
    )
    action = page.locator("form[action$='process_import/']").get_attribute("action")
    confirm.dblclick()
    page.wait_for_url("**/admin/estates/estate/")
    page.wait_for_selector(".messagelist li")
    screenshot(page, "import-journey-done")
    said = page.locator(".messagelist li").all_inner_texts()
    assert said == ["导入成功：新增 1 条，更新 0 条，未变 0 条。可在“小区”列表中查看。"]

    # The browser sends the confirmation once more (a reload that resubmits the form).
    again = page.request.post(site + action, form={**sent, "confirm": "确认导入"})
    page.set_content(again.text())
    [message] = page.locator(".messagelist li").all_inner_texts()
    assert message.startswith("这份文件已于 ")
    assert message.endswith("导入（新增 1 条，更新 0 条，未变 0 条），没有重复导入。")

    # Taken as typed (the no-break space too), without the spaces around it.
    estate = Estate.objects.get(name="兰山\u00a0阳光花园")
    assert estate.households == 1250
    assert ImportUpload.objects.get().imported_at is not None  # the file itself is dropped


def test_two_staff_save_the_same_estate_and_keep_both_changes(site, browser):
    make_staff("ministry", username="wang")
    make_staff("ministry", username="li")
    estate = Estate.objects.get(slug="lijingchangan")
    url = f"{site}/admin/estates/estate/{estate.pk}/change/"
    pages = {}
    for name in ("wang", "li"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pages[name] = context.new_page()
        log_in(pages[name], site, name)
        pages[name].goto(url)

    wang, li = pages["wang"], pages["li"]
    wang.fill("#id_tagline", "王改的标题语")
    wang.click("input[name=_continue]")
    wang.wait_for_selector(".messagelist .success")

    li.fill("#id_households", "2468")
    li.click("input[name=_continue]")
    li.wait_for_selector(".errornote")
    screenshot(li, "conflict-journey-refused")
    note = li.locator(".errorlist.nonfield li").first.inner_text()
    assert note.startswith("没有保存：你打开这个页面之后，wang 于 ")
    assert "对方改过、你没有改的“标题语”已换成对方保存的内容。" in note
    assert li.input_value("#id_households") == "2468"  # nothing typed is lost
    assert li.input_value("#id_tagline") == "王改的标题语"
    estate.refresh_from_db()
    assert (estate.tagline, estate.households) == ("王改的标题语", estate.households)

    li.click("input[name=_continue]")  # having seen, save again
    li.wait_for_selector(".messagelist .success")
    estate.refresh_from_db()
    assert (estate.tagline, estate.households) == ("王改的标题语", 2468)
    for page in pages.values():
        page.context.close()


def test_reviewer_hands_in_a_review_and_can_no_longer_change_it(site, desktop):
    linyi = City.objects.get(slug="linyi")
    estate = make_estate(name="评审旅程小区", province=linyi.province, city=linyi)
    campaign = campaign_like("shandong-2023", CampaignPhase.REVIEWING, slug="journey-review")
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.UNDER_REVIEW
    )
    reviewer = make_staff("reviewer", "hebei", username="hebei-expert")
    review = assign_reviewer(nomination, reviewer, make_staff("ministry"))
    page = desktop
    log_in(page, site, "hebei-expert")
    page.goto(f"{site}/admin/estates/review/{review.pk}/change/")
    scores = page.locator("input[name$='-score']")
    for index in range(scores.count()):
        scores.nth(index).fill("80")
    page.click("input[name=_continue]")  # save the scores first
    page.wait_for_selector(".messagelist .success")
    page.click("input[name=_submit_review]")
    page.wait_for_selector(".messagelist li")
    review.refresh_from_db()
    assert review.submitted_at is not None

    page.goto(f"{site}/admin/estates/review/{review.pk}/change/")
    screenshot(page, "review-journey-handed-in")
    assert page.locator("input[name$='-score']").count() == 0  # shown, no longer offered
    assert page.locator("input[name=_submit_review]").count() == 0
    page.goto(f"{site}/admin/estates/reviewscore/add/")
    assert "403" in page.title() or page.locator("h1").inner_text() in ("403 Forbidden", "禁止访问")
    assert review.scores.count() == 9
