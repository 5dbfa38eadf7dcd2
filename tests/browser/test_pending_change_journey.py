"""A province's edit of a public estate waits for an editor, in Chromium, through the pages only:
a Shandong clerk pastes a new introduction from Word and saves; the public page keeps the old
one; an editor opens the 待审核的修改 list, reads the diff and approves; the public page shows
the new text. A second edit is rejected with a reason, which the clerk reads on the estate's
page and can put back into the form with one click."""

import pytest

from estates.models import Estate, PendingChange
from estates.roles import sync_role_groups

from ..builders import make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LINYI = "aozhengchengyuannanqu"
# Pasted from the province's Word report: paragraphs, full-width punctuation, a no-break space
# and a trailing full-width space, a long sentence.
FROM_WORD = (
    "奥正诚园南区位于临沂市兰山区北城新区，总建筑面积约40万平方米，共有住户1250户。\n"
    "2023年，小区党支部牵头成立“红管家”议事会，每月第一个周六召开，业委会、物业服务企业和"
    "居民代表共同协商停车、加装电梯、公共收益使用等事项，\u00a0全年办结居民诉求312件。\u3000\n"
    "小区连续三年业主满意度保持在95%以上，物业费收缴率达到97.6%。"
)
SECOND = "以“红管家”议事会推动共建共治共享"


class Clicks:
    """Counts what a person clicks, to know what a task costs them."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def __call__(self, selector):
        self.count += 1
        self.page.click(selector)


def staff_page(browser, site, username, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, site, username)
    return page


def public_text(browser, site, estate):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site + estate.get_absolute_url())
    text = page.locator("main").inner_text()
    context.close()
    return text


def open_estate(page, estate):
    page.click("#content-main a[href$='/admin/estates/estate/']")
    page.click(f"#result_list a:text-is('{estate.name}')")
    page.wait_for_url(f"**/admin/estates/estate/{estate.pk}/change/")


def test_clerks_edit_waits_for_the_editor_who_approves_one_and_rejects_another(site, browser):
    sync_role_groups()  # the groups as estates.roles defines them, this model's permissions too
    make_staff("provincial", "shandong", username="linyi-clerk")
    make_staff("editor", username="zhang-editor")
    estate = Estate.objects.get(slug=LINYI)
    old_first_line = estate.overview.split("\n")[0]

    # The clerk pastes the new introduction and saves.
    clerk = staff_page(browser, site, "linyi-clerk", 1280)
    open_estate(clerk, estate)
    assert clerk.locator(".review-banner h2").inner_text() == "这个小区已在公开网站展示"
    assert not clerk.is_visible("#mechanisms-group .add-row a")  # rows are shown only
    clerk.fill("#id_overview", FROM_WORD)
    clerk.fill("#id_review_note", "根据2023年度工作总结更新概况。")
    clerk.click("input[name=_continue]")
    clerk.wait_for_selector(".messagelist .success")
    assert (
        clerk.locator(".messagelist .success")
        .inner_text()
        .startswith("“奥正诚园南区”已在公开网站展示，你的修改（概况、修改说明）已提交审核")
    )
    assert clerk.locator(".review-banner h2").inner_text() == "你的修改正在等待审核"
    assert clerk.input_value("#id_overview") == FROM_WORD  # what was typed, as typed
    screenshot(clerk, "pending-journey-clerk-waiting")
    clerk.set_viewport_size({"width": 390, "height": 844})
    screenshot(clerk, "pending-journey-clerk-waiting")
    clerk.set_viewport_size({"width": 1280, "height": 900})

    # The public page still shows the approved text.
    shown = public_text(browser, site, estate)
    assert old_first_line in shown and "办结居民诉求312件" not in shown

    # The editor works from the admin index: the list, the change, approve.
    for width in (390, 1280):  # on a phone, a look; at the desk, the decision
        editor = staff_page(browser, site, "zhang-editor", width)
        click = Clicks(editor)
        click("#content-main a[href$='/admin/estates/pendingchange/']")
        assert editor.locator("#content h1").inner_text() == "待审核的修改（1 项待审核）"
        screenshot(editor, "pending-journey-list")
        click("#result_list a:text-is('奥正诚园南区')")
        editor.wait_for_selector(".field-change")
        assert editor.locator(".field-change h2").all_inner_texts() == ["概况"]
        added = editor.locator(".diff-line-added").all_inner_texts()
        assert any("“红管家”议事会" in line for line in added)
        assert "根据2023年度工作总结更新概况。" in editor.locator(".change-note").inner_text()
        screenshot(editor, "pending-journey-diff")
        if width == 390:
            editor.context.close()
            continue
        click("button[value=approve]")
        editor.wait_for_selector(".messagelist .success")
        assert editor.locator(".messagelist .success").inner_text() == (
            "已批准“奥正诚园南区”的修改（概况），公开网站已显示新的内容。"
        )
        assert editor.locator(".messagelist .info").inner_text() == "没有其他待审核的修改了。"
        assert click.count == 3  # the list, the change, approve
        approving = editor

    shown = public_text(browser, site, estate)
    assert "办结居民诉求312件" in shown and old_first_line not in shown

    # A second change: rejected with a reason, which the clerk reads.
    clerk.reload()
    clerk.fill("#id_tagline", SECOND)
    clerk.click("input[name=_continue]")
    clerk.wait_for_selector(".review-waiting")

    approving.goto(site + "/admin/")
    click = Clicks(approving)
    click("#content-main a[href$='/admin/estates/pendingchange/']")
    click("#result_list a:text-is('奥正诚园南区')")
    approving.fill("#id_reason", "标题语请与推荐材料保持一致，\n并控制在20字以内。")
    click("button[value=reject]")
    approving.wait_for_selector(".messagelist .success")
    assert click.count == 3  # the list, the change, reject (and the reason typed)
    assert PendingChange.objects.latest("pk").state == "rejected"

    for width in (1280, 390):
        clerk.set_viewport_size({"width": width, "height": 900})
        clerk.reload()
        assert clerk.locator(".review-reason").inner_text() == (
            "退回理由：标题语请与推荐材料保持一致，\n并控制在20字以内。"
        )
        assert clerk.input_value("#id_tagline") != SECOND  # the form shows the public version
        screenshot(clerk, "pending-journey-clerk-rejected")
    clerk.click("text=把退回的内容填回表单")
    assert clerk.input_value("#id_tagline") == SECOND  # nothing typed is lost
    estate.refresh_from_db()
    assert estate.tagline != SECOND


def test_editor_rejects_two_changes_from_the_list_with_one_reason(site, browser):
    sync_role_groups()
    make_staff("provincial", "shandong", username="linyi-clerk")
    make_staff("provincial", "beijing", username="xicheng-clerk")
    make_staff("editor", username="zhang-editor")
    for username, slug in [("linyi-clerk", LINYI), ("xicheng-clerk", "lijingchangan")]:
        clerk = staff_page(browser, site, username, 1280)
        open_estate(clerk, Estate.objects.get(slug=slug))
        clerk.fill("#id_tagline", "党建引领　共建共治共享的美好家园（2024年修订版）")
        clerk.click("input[name=_continue]")
        clerk.wait_for_selector(".review-waiting")
        clerk.context.close()

    for width in (390, 1280):
        editor = staff_page(browser, site, "zhang-editor", width)
        # The estate's own page points to the change waiting.
        open_estate(editor, Estate.objects.get(slug="lijingchangan"))
        assert editor.locator(".review-banner h2").inner_text() == "有一项待审核的修改"
        screenshot(editor, "pending-journey-editor-estate")
        editor.click(".review-banner a:text-is('审核这项修改')")
        editor.wait_for_selector(".field-change")
        editor.click("a:text-is('返回待审核的修改列表')")
        editor.check("#action-toggle")
        editor.select_option("select[name=action]", "reject_selected")
        editor.click("button[name=index]")
        editor.wait_for_selector("#id_reason")
        screenshot(editor, "pending-journey-reject-selected")
        if width == 390:
            editor.context.close()

    editor.fill("#id_reason", "标题语请控制在20字以内，\n并与推荐材料保持一致。")
    editor.click("input[type=submit]")
    editor.wait_for_selector(".messagelist .success")
    assert editor.locator(".messagelist .success").inner_text() == (
        "已退回 2 项修改：奥正诚园南区、丽景长安。提交人会在小区页面看到退回理由。"
    )
    assert list(PendingChange.objects.values_list("state", flat=True)) == ["rejected"] * 2


def test_a_change_overtaken_by_another_save_shows_three_versions_before_approval(site, browser):
    sync_role_groups()
    make_staff("provincial", "shandong", username="linyi-clerk")
    make_staff("editor", username="zhang-editor")
    estate = Estate.objects.get(slug=LINYI)
    first, *rest = estate.overview.split("\n")
    clerk = staff_page(browser, site, "linyi-clerk", 1280)
    open_estate(clerk, estate)
    clerk.fill("#id_overview", "\n".join([first.replace("1250户", "1268户"), *rest]))
    clerk.fill("#id_households", "1268")
    clerk.click("input[name=_continue]")
    clerk.wait_for_selector(".review-waiting")
    clerk.context.close()
    # Meanwhile the ministry corrects the same paragraph (saved at once: it is the ministry).
    estate.refresh_from_db()
    estate.overview = estate.overview.replace("九曲街道", "九曲街道（原九曲镇）")
    estate.save()

    for width in (390, 1280):
        editor = staff_page(browser, site, "zhang-editor", width)
        editor.click("#content-main a[href$='/admin/estates/pendingchange/']")
        assert "需核对" in editor.locator("#result_list .field-review_state").inner_text()
        editor.click("#result_list a:text-is('奥正诚园南区')")
        editor.wait_for_selector(".field-change")
        assert editor.locator(".field-change.conflict h2").inner_text() == "概况 已被他人修改"
        theirs, ours = editor.locator(".field-change.conflict .diff-lines").all()
        assert theirs.locator("ins").all_inner_texts() == ["（原九曲镇）"]
        # Approving now would take the ministry's words out again, and put the new count in.
        assert ours.locator("del").all_inner_texts() == ["（原九曲镇）", "50"]
        assert ours.locator("ins").all_inner_texts() == ["68"]
        screenshot(editor, "pending-journey-three-way")
        if width == 390:
            editor.context.close()

    editor.click("button[value=approve]")
    editor.wait_for_selector(".messagelist .success")
    estate.refresh_from_db()
    assert "1268户" in estate.overview and "（原九曲镇）" not in estate.overview
    assert estate.households == 1268
