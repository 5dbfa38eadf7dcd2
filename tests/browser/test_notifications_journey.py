"""A province clerk learns from 我的通知 that a nomination was returned, in Chromium on a
phone: the unread count in the header, the list (unread first, a mail not delivered said so),
the returned nomination's notification with the ministry's reason, and on to the nomination."""

from datetime import timedelta

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.core import mail
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, Notification
from estates.models.notifications import MailState, NotificationKind
from estates.roles import sync_role_groups
from estates.workflow import transition

from ..builders import campaign_like, make_estate, make_staff
from .conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "业主满意度调查表缺少街道盖章页，请补充后重新提交。"


def violations(page, sections):
    """axe's serious and critical WCAG 2.1 AA findings in the page's parts named."""
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "sections => axe.run({include: sections}, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})",
        [[selector] for selector in sections],
    )
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_clerk_reads_why_a_nomination_was_returned_and_goes_to_it(site, phone, desktop):
    sync_role_groups()
    clerk = make_staff("provincial", "shandong", username="linyi-clerk")
    clerk.email = "linyi-clerk@shandong.example.cn"
    clerk.save()
    ministry = make_staff("ministry", username="wang-ministry")
    ministry.first_name, ministry.last_name = "明", "王"
    ministry.save()
    linyi = City.objects.get(slug="linyi")
    campaign = campaign_like(
        "shandong-2023", CampaignPhase.NOMINATING, title="山东省2026年美好家园评选"
    )
    estate = make_estate(name="兰山区幸福里小区", province=linyi.province, city=linyi)
    nomination = Nomination.objects.create(
        estate=estate, campaign=campaign, state=NominationState.SUBMITTED
    )
    # Earlier news: one read, one whose mail could not be delivered yet.
    Notification.objects.create(
        recipient=clerk,
        kind=NotificationKind.SELECTED,
        subject="推荐入选：奥正诚园南区",
        body="山东省推荐的“奥正诚园南区”已确定入选。",
        link="/admin/estates/nomination/",
        mail_state=MailState.SENT,
        read_at=timezone.now(),
    )
    Notification.objects.create(
        recipient=clerk,
        kind=NotificationKind.NOT_SELECTED,
        subject="推荐未入选：河东区和谐家园",
        body="山东省推荐的“河东区和谐家园”已确定未入选。",
        link="/admin/estates/nomination/",
        mail_state=MailState.FAILED,
        mail_attempts=1,
        mail_next_attempt_at=timezone.now() + timedelta(minutes=1),
        mail_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    # The ministry returns the nomination: committed, so its mail goes out too.
    transition(nomination, NominationState.DRAFT, ministry, reason=REASON)
    assert [m.subject for m in mail.outbox] == ["【美好家园】推荐被退回修改：兰山区幸福里小区"]
    assert mail.outbox[0].to == ["linyi-clerk@shandong.example.cn"]

    page = phone
    log_in(page, site, "linyi-clerk")
    header = page.locator("#user-tools a.notifications-link")
    assert header.locator(".unread-badge").inner_text() == "2"
    summary = page.locator(".notifications-summary")
    assert summary.locator("td").inner_text() == "2"
    assert violations(page, ["#user-tools", ".notifications-summary"]) == []

    header.click()
    page.wait_for_url("**/admin/estates/notification/")
    rows = page.locator("#result_list tbody tr")
    subjects = [rows.nth(i).locator("th").inner_text() for i in range(rows.count())]
    assert subjects == [
        "推荐被退回修改：兰山区幸福里小区",  # unread, newest first
        "推荐未入选：河东区和谐家园",
        "推荐入选：奥正诚园南区",  # read
    ]
    assert "未送达，将重试" in rows.nth(1).locator("td.field-mail").inner_text()
    assert page.locator("a.mail-setting").inner_text() == "邮件通知：开"
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "notifications")
    assert fits, "the list is wider than the phone"
    assert violations(page, ["#result_list", ".object-tools"]) == []

    rows.nth(0).locator("th a").click()
    page.wait_for_url("**/admin/estates/notification/*/change/")
    content = page.locator(".field-text").inner_text()
    assert f"理由：{REASON}" in content
    assert "已被王明退回修改" in content
    screenshot(page, "notification-returned")
    assert violations(page, [".field-text", ".field-link_to_object"]) == []
    assert header.locator(".unread-badge").inner_text() == "1"  # this one is read now

    page.click("a.button:text-is('打开相关页面')")
    page.wait_for_url(f"**/admin/estates/nomination/{nomination.pk}/change/")
    assert "兰山区幸福里小区" in page.locator("#content").inner_text()

    # The same list on a desktop: one unread left.
    log_in(desktop, site, "linyi-clerk")
    desktop.click("#user-tools a.notifications-link")
    desktop.wait_for_url("**/admin/estates/notification/")
    assert desktop.locator("#result_list tbody tr td.field-read strong").count() == 1
    screenshot(desktop, "notifications")

    # Mail off, from the list.
    desktop.click("a.mail-setting")
    desktop.wait_for_url("**/admin/estates/notification/mail/")
    assert "通知邮件发送到 linyi-clerk@shandong.example.cn。" in desktop.inner_text("#content-main")
    assert violations(desktop, ["#content-main"]) == []
    desktop.uncheck("#id_email_notifications")
    desktop.click("input[type=submit]")
    desktop.wait_for_selector(".messagelist .success")
    assert desktop.locator("a.mail-setting").inner_text() == "邮件通知：关"
