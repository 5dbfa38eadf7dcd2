"""Staff notifications, mailed through a real SMTP server started in this process (aiosmtpd):
each event reaches the right people with its subject and link; a server that is down loses
nothing (kept, retried, given up on after the last retry, still listed); a move rolled back
stores and sends nothing; mail turned off or no address keeps the notification unmailed."""

import datetime
import email
import email.policy
import io
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from estates.enums import CampaignPhase, NominationState
from estates.models import City, Nomination, Notification, StaffProfile
from estates.models.notifications import MailState, NotificationKind
from estates.notifications import RETRY_DELAYS, send_due
from estates.workflow import assign_reviewer, transition

from .builders import campaign_like, make_estate, make_staff
from .html import parse

pytestmark = pytest.mark.django_db

S = NominationState
P = CampaignPhase
SITE = "https://meihao.example.cn"


# ---------------------------------------------------------------------------------------------
# The mail server.


class Inbox:
    """What the SMTP server received: one parsed message per recipient address."""

    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for address in envelope.rcpt_tos:
            self.messages.append((address, parsed))
        return "250 Message accepted"

    def to(self, address):
        return [message for rcpt, message in self.messages if rcpt == address]

    def recipients(self):
        return sorted(rcpt for rcpt, _message in self.messages)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_mail_at(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "美好家园 <noreply@meihao.example.cn>"
    settings.SITE_URL = SITE


def start_server(port, inbox):
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp(settings):
    """A running SMTP server that the site mails through; yields its inbox."""
    inbox = Inbox(refuse={"refused@example.cn"})
    port = free_port()
    point_mail_at(settings, port)
    controller = start_server(port, inbox)
    yield inbox
    controller.stop()


@pytest.fixture
def server_down(settings):
    """The site points at a port where no server listens; returns the port."""
    port = free_port()
    point_mail_at(settings, port)
    return port


def subject(message):
    # Django folds a long encoded subject onto the next line ("Subject:\n =?utf-8?b?…"); the
    # parser keeps the fold's space, which is no part of the subject.
    return str(message["Subject"]).strip()


def body_of(message):
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


# ---------------------------------------------------------------------------------------------
# The people and the campaign.


def staff(role, province=None, email=""):
    user = make_staff(role, province)
    user.email = email
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def people():
    return {
        "clerk": staff("provincial", "shandong", "clerk@shandong.example.cn"),
        "clerk2": staff("provincial", "shandong", "clerk2@shandong.example.cn"),
        "beijing": staff("provincial", "beijing", "clerk@beijing.example.cn"),
        "ministry": staff("ministry", None, "ministry@mohurd.example.cn"),
        "reviewer": staff("reviewer", "hebei", "reviewer@hebei.example.cn"),
        "editor": staff("editor", None, "editor@example.cn"),
    }


def linyi_estate(name):
    linyi = City.objects.get(slug="linyi")
    return make_estate(name=name, province=linyi.province, city=linyi)


def nomination_in(state, phase, name="通知测试小区", campaign=None, **campaign_fields):
    campaign = campaign or campaign_like(
        "shandong-2023", phase, title="山东省通知测试评选", **campaign_fields
    )
    return Nomination.objects.create(estate=linyi_estate(name), campaign=campaign, state=state)


def nomination_link(nomination):
    return SITE + reverse("admin:estates_nomination_change", args=[nomination.pk])


def on_notice(**fields):
    today = timezone.localdate()
    fields.setdefault("notice_starts_on", today - timedelta(days=10))
    fields.setdefault("notice_ends_on", today - timedelta(days=1))
    return campaign_like("shandong-2023", P.NOTICE, title="山东省公示测试评选", **fields)


# ---------------------------------------------------------------------------------------------
# Each notification arrives.


def test_a_returned_nomination_reaches_its_provinces_staff_with_the_reason_and_link(
    smtp, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.DRAFT, people["ministry"], reason="业主满意度调查表缺少盖章页。")

    assert smtp.recipients() == ["clerk2@shandong.example.cn", "clerk@shandong.example.cn"]
    [message] = smtp.to("clerk@shandong.example.cn")
    assert subject(message) == "【美好家园】推荐被退回修改：通知测试小区"
    assert message["To"] == "clerk@shandong.example.cn"
    assert "noreply@meihao.example.cn" in message["From"]
    text = body_of(message)
    assert "山东省推荐的“通知测试小区”（2024 山东省通知测试评选）已被" in text
    assert "理由：业主满意度调查表缺少盖章页。" in text
    assert f"查看：{nomination_link(nomination)}\n" in text
    assert f"{SITE}/admin/estates/notification/" in text
    # Kept for each of them, marked sent; Beijing's clerk is told nothing.
    rows = Notification.objects.filter(kind=NotificationKind.RETURNED)
    assert sorted(rows.values_list("recipient__username", "mail_state", "mail_attempts")) == sorted(
        [(people[k].username, MailState.SENT, 1) for k in ("clerk", "clerk2")]
    )
    assert rows.first().link == reverse("admin:estates_nomination_change", args=[nomination.pk])


@pytest.mark.parametrize(
    ("from_state", "to_state", "phase", "title", "says"),
    [
        (S.ON_NOTICE, S.SELECTED, P.NOTICE, "推荐入选：", "确定入选"),
        (S.UNDER_REVIEW, S.NOT_SELECTED, P.REVIEWING, "推荐未入选：", "确定未入选"),
        (S.ON_NOTICE, S.NOT_SELECTED, P.NOTICE, "推荐未入选：", "确定未入选"),
        (S.SELECTED, S.REVOKED, P.PUBLISHED, "入选被撤销：", "撤销"),
    ],
)
def test_a_decision_reaches_the_province_with_its_reason(
    smtp, people, django_capture_on_commit_callbacks, from_state, to_state, phase, title, says
):
    extra = {}
    if phase == P.NOTICE:  # over, so that selecting needs no early override
        today = timezone.localdate()
        extra = {
            "notice_starts_on": today - timedelta(days=9),
            "notice_ends_on": today - timedelta(days=1),
        }
    nomination = nomination_in(from_state, phase, **extra)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, to_state, people["ministry"], reason="经评审委员会研究决定。")

    [message] = smtp.to("clerk@shandong.example.cn")
    assert subject(message) == f"【美好家园】{title}通知测试小区"
    text = body_of(message)
    assert says in text
    assert "理由：经评审委员会研究决定。" in text
    assert nomination_link(nomination) in text
    assert smtp.to("clerk@beijing.example.cn") == []


def test_a_reviewer_hears_of_an_assignment_with_the_deadline_and_a_link_to_the_review(
    smtp, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(
        S.UNDER_REVIEW, P.REVIEWING, review_ends_on=datetime.date(2026, 9, 30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        review = assign_reviewer(nomination, people["reviewer"], people["ministry"])
        assign_reviewer(nomination, people["reviewer"], people["ministry"])  # already theirs

    assert smtp.recipients() == ["reviewer@hebei.example.cn"]
    [message] = smtp.to("reviewer@hebei.example.cn")
    assert subject(message) == "【美好家园】新的评审任务：通知测试小区"
    text = body_of(message)
    assert "您被分配评审山东省推荐的“通知测试小区”（2024 山东省通知测试评选）。" in text
    assert "请在 2026年9月30日 前为各项原则要求打分并提交评审。" in text
    assert SITE + reverse("admin:estates_review_change", args=[review.pk]) in text


def test_bulk_assignment_tells_each_reviewer_once_after_it_is_saved(
    smtp, people, django_capture_on_commit_callbacks
):
    from estates.assignment import current_plan, save_plan

    campaign = campaign_like("shandong-2023", P.REVIEWING, reviewers_per_nomination=1)
    nominations = [
        nomination_in(S.UNDER_REVIEW, P.REVIEWING, name=f"批量小区{i}", campaign=campaign)
        for i in range(2)
    ]
    selection = Nomination.objects.filter(pk__in=[n.pk for n in nominations])
    plan = current_plan(campaign, selection, 1)
    with django_capture_on_commit_callbacks(execute=True):
        _plan, saved = save_plan(campaign, selection, 1, plan.signature(), people["ministry"])
    assert saved
    subjects = sorted(subject(m) for m in smtp.to("reviewer@hebei.example.cn"))
    assert subjects == [
        "【美好家园】新的评审任务：批量小区0",
        "【美好家园】新的评审任务：批量小区1",
    ]


def test_a_reviewer_is_reminded_once_two_days_before_the_review_period_ends(
    smtp, people, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    due = nomination_in(S.UNDER_REVIEW, P.REVIEWING, review_ends_on=today + timedelta(days=2))
    later = nomination_in(
        S.UNDER_REVIEW, P.REVIEWING, name="不急小区", review_ends_on=today + timedelta(days=3)
    )
    handed_in = nomination_in(
        S.UNDER_REVIEW, P.REVIEWING, name="已交小区", review_ends_on=today + timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        review = assign_reviewer(due, people["reviewer"], people["ministry"])
        assign_reviewer(later, people["reviewer"], people["ministry"])
        done = assign_reviewer(handed_in, people["reviewer"], people["ministry"])
    done.submitted_at = timezone.now()
    done.save()
    smtp.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_due", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_due", stdout=io.StringIO())

    [message] = smtp.to("reviewer@hebei.example.cn")
    assert subject(message) == "【美好家园】评审即将截止：通知测试小区"
    end = today + timedelta(days=2)
    assert f"评审截止日期是 {end.year}年{end.month}月{end.day}日" in body_of(message)
    assert SITE + reverse("admin:estates_review_change", args=[review.pk]) in body_of(message)
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_DUE).count() == 1


def test_an_objection_from_the_public_form_reaches_the_ministry(
    client, smtp, people, django_capture_on_commit_callbacks
):
    from estates.models import Objection

    today = timezone.localdate()
    campaign = on_notice(notice_ends_on=today + timedelta(days=3))
    nomination = nomination_in(S.ON_NOTICE, P.NOTICE, name="公示中小区", campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("showcase:campaign_notice", args=[campaign.slug]),
            {
                "nomination": nomination.pk,
                "text": "该小区的物业费收缴率与实际不符。",
                "contact": "13800001111",
            },
        )
    assert response.status_code == 200
    objection = Objection.objects.get()
    assert smtp.recipients() == ["ministry@mohurd.example.cn"]
    [message] = smtp.to("ministry@mohurd.example.cn")
    assert subject(message) == "【美好家园】收到异议：公示中小区"
    text = body_of(message)
    assert f"受理编号 {objection.reference}" in text
    assert SITE + reverse("admin:estates_objection_change", args=[objection.pk]) in text
    # What the sender wrote and how to reach them stay in the admin.
    assert "13800001111" not in text and "收缴率" not in text


def test_the_ministry_hears_once_that_a_notice_period_ended(
    smtp, people, django_capture_on_commit_callbacks
):
    campaign = on_notice()
    nomination_in(S.ON_NOTICE, P.NOTICE, campaign=campaign)
    running = on_notice(notice_ends_on=timezone.localdate())  # ends today: not over yet
    nomination_in(S.ON_NOTICE, P.NOTICE, name="仍在公示小区", campaign=running)

    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("notify_due", stdout=io.StringIO())

    [message] = smtp.to("ministry@mohurd.example.cn")
    assert subject(message) == "【美好家园】公示期结束：2024 山东省公示测试评选"
    text = body_of(message)
    assert "还有 1 项推荐尚未确定是否入选" in text
    assert SITE + reverse("admin:estates_campaign_change", args=[campaign.pk]) in text


def test_the_ministry_hears_once_when_every_nomination_is_decided(
    smtp, people, django_capture_on_commit_callbacks
):
    campaign = on_notice()
    first = nomination_in(S.ON_NOTICE, P.NOTICE, name="先定小区", campaign=campaign)
    last = nomination_in(S.ON_NOTICE, P.NOTICE, name="后定小区", campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        transition(first, S.SELECTED, people["ministry"])
    assert smtp.to("ministry@mohurd.example.cn") == []  # one still undecided

    with django_capture_on_commit_callbacks(execute=True):
        transition(last, S.NOT_SELECTED, people["ministry"], reason="有异议属实。")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_due", stdout=io.StringIO())

    ready = [m for m in smtp.to("ministry@mohurd.example.cn") if "可以发布结果" in subject(m)]
    assert [subject(m) for m in ready] == [
        "【美好家园】全部推荐已有决定，可以发布结果：2024 山东省公示测试评选"
    ]
    text = body_of(ready[0])
    assert "其中入选 1 项" in text and "现在可以发布评选结果" in text
    assert SITE + reverse("admin:estates_campaign_change", args=[campaign.pk]) in text
    assert Notification.objects.filter(kind=NotificationKind.READY_TO_PUBLISH).count() == 1


# ---------------------------------------------------------------------------------------------
# Nothing is lost, nothing is sent for what did not happen.


def test_a_server_that_is_down_keeps_the_notification_and_it_is_sent_once_up(
    settings, server_down, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.DRAFT, people["ministry"], reason="材料不全。")  # no error

    nomination.refresh_from_db()
    assert nomination.state == S.DRAFT  # the move stands
    rows = Notification.objects.filter(recipient=people["clerk"])
    [row] = rows
    assert (row.mail_state, row.mail_attempts) == (MailState.FAILED, 1)
    assert "ConnectionRefusedError" in row.mail_error
    wait = row.mail_next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)

    inbox = Inbox()
    controller = start_server(server_down, inbox)
    try:
        call_command("send_notifications", stdout=io.StringIO())
        assert inbox.messages == []  # not due yet: the retry waits its minute
        # A minute later, the cron run sends both clerks' notifications.
        Notification.objects.update(mail_next_attempt_at=timezone.now() - timedelta(seconds=1))
        call_command("send_notifications", stdout=io.StringIO())
    finally:
        controller.stop()
    assert inbox.recipients() == ["clerk2@shandong.example.cn", "clerk@shandong.example.cn"]
    assert [subject(m) for m in inbox.to("clerk@shandong.example.cn")] == [
        "【美好家园】推荐被退回修改：通知测试小区"
    ]
    row.refresh_from_db()
    assert (row.mail_state, row.mail_attempts, row.mail_error) == (MailState.SENT, 2, "")
    assert row.mailed_at is not None and row.mail_next_attempt_at is None


def test_retries_wait_longer_each_time_then_give_up_and_stay_listed(
    server_down, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    people["clerk2"].is_active = False  # one recipient, to follow
    people["clerk2"].save()
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.DRAFT, people["ministry"], reason="材料不全。")
    row = Notification.objects.get()
    waits = []
    while row.mail_state == MailState.FAILED:
        before = timezone.now()
        waits.append(round((row.mail_next_attempt_at - before).total_seconds() / 60))
        Notification.objects.update(mail_next_attempt_at=before - timedelta(seconds=1))
        assert send_due() == (0, 1)
        row.refresh_from_db()
    assert waits == [round(d.total_seconds() / 60) for d in RETRY_DELAYS]
    assert (row.mail_state, row.mail_attempts) == (MailState.GAVE_UP, 6)
    assert row.mail_next_attempt_at is None
    assert send_due() == (0, 0)  # given up: not tried again


def test_a_move_rolled_back_stores_and_sends_nothing(
    smtp, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        transition(nomination, S.DRAFT, people["ministry"], reason="材料不全。")
        assert Notification.objects.count() == 2  # made, in the transaction
        raise RuntimeError("the rest of the request failed")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert smtp.messages == []
    nomination.refresh_from_db()
    assert nomination.state == S.SUBMITTED


def test_mail_turned_off_or_no_address_keeps_the_notification_unmailed(
    smtp, people, django_capture_on_commit_callbacks
):
    StaffProfile.objects.filter(user=people["clerk"]).update(email_notifications=False)
    people["clerk2"].email = ""
    people["clerk2"].save()
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.DRAFT, people["ministry"], reason="材料不全。")
    assert smtp.messages == []
    states = dict(
        Notification.objects.values_list("recipient__username", "mail_state").order_by("pk")
    )
    assert states == {
        people["clerk"].username: MailState.OFF,
        people["clerk2"].username: MailState.NO_ADDRESS,
    }


def test_mail_turned_off_before_a_retry_is_not_sent(
    settings, server_down, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.DRAFT, people["ministry"], reason="材料不全。")
    StaffProfile.objects.filter(user=people["clerk"]).update(email_notifications=False)
    Notification.objects.update(mail_next_attempt_at=timezone.now() - timedelta(seconds=1))
    inbox = Inbox()
    controller = start_server(server_down, inbox)
    try:
        assert send_due() == (1, 0)
    finally:
        controller.stop()
    assert inbox.recipients() == ["clerk2@shandong.example.cn"]
    assert Notification.objects.get(recipient=people["clerk"]).mail_state == MailState.OFF


def test_a_refused_recipient_fails_alone(smtp, people, django_capture_on_commit_callbacks):
    people["clerk"].email = "refused@example.cn"
    people["clerk"].save()
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.DRAFT, people["ministry"], reason="材料不全。")
    assert smtp.recipients() == ["clerk2@shandong.example.cn"]
    refused = Notification.objects.get(recipient=people["clerk"])
    assert refused.mail_state == MailState.FAILED
    assert "SMTPRecipientsRefused" in refused.mail_error
    sent = Notification.objects.get(recipient=people["clerk2"])
    assert sent.mail_state == MailState.SENT


def test_the_next_commit_that_sends_mail_also_sends_what_is_due(
    settings, server_down, people, django_capture_on_commit_callbacks
):
    first = nomination_in(S.SUBMITTED, P.NOMINATING, name="先退回小区")
    with django_capture_on_commit_callbacks(execute=True):
        transition(first, S.DRAFT, people["ministry"], reason="材料不全。")
    Notification.objects.update(mail_next_attempt_at=timezone.now() - timedelta(seconds=1))
    inbox = Inbox()
    controller = start_server(server_down, inbox)
    try:
        second = nomination_in(S.SUBMITTED, P.NOMINATING, name="后退回小区")
        with django_capture_on_commit_callbacks(execute=True):
            transition(second, S.DRAFT, people["ministry"], reason="照片模糊。")
    finally:
        controller.stop()
    subjects = sorted(subject(m) for m in inbox.to("clerk@shandong.example.cn"))
    assert subjects == [
        "【美好家园】推荐被退回修改：先退回小区",
        "【美好家园】推荐被退回修改：后退回小区",
    ]
    assert set(Notification.objects.values_list("mail_state", flat=True)) == {MailState.SENT}


# ---------------------------------------------------------------------------------------------
# 我的通知 in the admin.


def notification(user, subject, minutes_ago=0, read=False, **fields):
    row = Notification.objects.create(
        recipient=user,
        kind=fields.pop("kind", NotificationKind.RETURNED),
        subject=subject,
        body=fields.pop("body", "正文"),
        link=fields.pop("link", "/admin/estates/nomination/"),
        mail_state=fields.pop("mail_state", MailState.SENT),
        read_at=timezone.now() if read else None,
        **fields,
    )
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return row


LIST = "/admin/estates/notification/"


def listed(client):
    tree = parse(client.get(LIST).content)
    rows = tree.find("table", id="result_list").find("tbody").find_all("tr")
    return [
        (row.find("th").clean_text(), row.find("td", class_="field-read").clean_text())
        for row in rows
    ]


def test_the_list_holds_only_ones_own_notifications_unread_first_then_newest(client, people):
    clerk = people["clerk"]
    notification(clerk, "旧的已读", minutes_ago=5, read=True)
    notification(clerk, "新的已读", minutes_ago=1, read=True)
    notification(clerk, "旧的未读", minutes_ago=60)
    notification(clerk, "新的未读", minutes_ago=2)
    notification(people["clerk2"], "同事的通知")
    notification(people["ministry"], "部里的通知")
    client.force_login(clerk)
    assert listed(client) == [
        ("新的未读", "未读"),
        ("旧的未读", "未读"),
        ("新的已读", "已读"),
        ("旧的已读", "已读"),
    ]


def test_opening_a_notification_marks_it_read_and_links_to_its_object(client, people):
    clerk = people["clerk"]
    nomination = nomination_in(S.DRAFT, P.NOMINATING)
    link = reverse("admin:estates_nomination_change", args=[nomination.pk])
    row = notification(
        clerk, "推荐被退回修改：通知测试小区", body="理由：缺少盖章页。\n\n时间：今天", link=link
    )
    client.force_login(clerk)
    response = client.get(f"{LIST}{row.pk}/change/")
    assert response.status_code == 200
    tree = parse(response.content)
    content = tree.find("div", class_="field-text").clean_text()
    assert "理由：缺少盖章页。" in content and "时间：今天" in content
    assert tree.find("a", class_="button").attrs["href"] == link
    row.refresh_from_db()
    assert row.read_at is not None
    # Someone else's answers as a missing one does.
    other = notification(people["clerk2"], "同事的通知")
    response = client.get(f"{LIST}{other.pk}/change/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    other.refresh_from_db()
    assert other.read_at is None


def test_the_body_is_text_never_html(client, people):
    row = notification(people["clerk"], "异议", body="<script>alert(1)</script>")
    client.force_login(people["clerk"])
    html = client.get(f"{LIST}{row.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_mark_read_marks_only_ones_own_and_nothing_is_deleted_or_added(client, people):
    clerk = people["clerk"]
    mine = [notification(clerk, f"通知{i}") for i in range(2)]
    theirs = notification(people["clerk2"], "同事的通知")
    client.force_login(clerk)
    response = client.post(
        LIST,
        {"action": "mark_read", "_selected_action": [n.pk for n in [*mine, theirs]]},
        follow=True,
    )
    assert "已将 2 条通知标为已读。" in response.content.decode()
    assert Notification.objects.filter(recipient=clerk, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    tree = parse(client.get(LIST).content)
    actions = [o.attrs["value"] for o in tree.find("select", name="action").find_all("option")]
    assert actions == ["", "mark_read"]
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}{mine[0].pk}/delete/").status_code == 403


def header_count(client, path="/admin/"):
    tree = parse(client.get(path).content)
    link = tree.find("a", class_="notifications-link")
    badge = link.find("span", class_="unread-badge")
    return link.attrs["href"], badge.clean_text() if badge else None


@pytest.mark.parametrize("role", ["clerk", "ministry", "reviewer", "editor"])
def test_every_role_sees_its_unread_count_in_the_header_and_on_the_index(client, people, role):
    user = people[role]
    for i in range(3):
        notification(user, f"通知{i}")
    notification(user, "已读的", read=True)
    notification(people["clerk2"], "别人的")
    client.force_login(user)
    assert header_count(client) == (LIST, "3")
    assert header_count(client, "/admin/estates/campaign/") == (LIST, "3")
    tree = parse(client.get("/admin/").content)
    summary = tree.find("div", class_="notifications-summary")
    assert summary.find("th").clean_text() == "未读通知"
    assert summary.find("td").clean_text() == "3"
    assert summary.find("td").find("a").attrs["href"] == f"{LIST}?read=no"
    # The list is on the index's list of sections too.
    assert tree.find("tr", class_="model-notification") is not None
    Notification.objects.filter(recipient=user).update(read_at=timezone.now())
    assert header_count(client) == (LIST, None)


def test_staff_turn_mail_off_and_on_for_themselves(client, people):
    clerk = people["clerk"]
    client.force_login(clerk)
    tree = parse(client.get(LIST).content)
    assert tree.find("a", class_="mail-setting").clean_text() == "邮件通知：开"
    url = reverse("admin:estates_notification_mail")
    page = parse(client.get(url).content)
    assert (
        "通知邮件发送到 clerk@shandong.example.cn。" in page.find("div", id="content-main").text()
    )
    response = client.post(url, {}, follow=True)
    assert "邮件通知已关闭" in response.content.decode()
    assert StaffProfile.objects.get(user=clerk).email_notifications is False
    tree = parse(client.get(LIST).content)
    assert tree.find("a", class_="mail-setting").clean_text() == "邮件通知：关"
    client.post(url, {"email_notifications": "on"})
    assert StaffProfile.objects.get(user=clerk).email_notifications is True
    # Only one's own: the colleague's setting is untouched.
    assert StaffProfile.objects.get(user=people["clerk2"]).email_notifications is True


def test_a_failed_mail_says_it_will_be_retried_in_the_list(client, people):
    retry_at = timezone.now() + timedelta(minutes=5)
    notification(
        people["clerk"],
        "未送达的",
        mail_state=MailState.FAILED,
        mail_attempts=2,
        mail_next_attempt_at=retry_at,
        mail_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    client.force_login(people["clerk"])
    tree = parse(client.get(LIST).content)
    cell = tree.find("td", class_="field-mail").clean_text()
    at = timezone.localtime(retry_at).strftime("%Y-%m-%d %H:%M")
    assert cell == f"未送达，将重试（第 2 次失败，{at} 再试）"


# ---------------------------------------------------------------------------------------------
# Settings.


def test_mail_is_printed_under_make_run_and_sent_by_smtp_where_a_server_is_named():
    from .test_settings import run_settings

    show = "print(settings.EMAIL_BACKEND.rsplit('.', 2)[1], settings.EMAIL_HOST, settings.SITE_URL)"
    local = run_settings({"EMAIL_HOST": ""}, show)
    assert local.stdout.split() == ["console", "localhost", "http://127.0.0.1:8000"]
    configured = run_settings(
        {"EMAIL_HOST": "smtp.example.cn", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1"},
        show + "; print(settings.EMAIL_PORT, settings.EMAIL_USE_TLS)",
    )
    expected = ["smtp", "smtp.example.cn", "http://127.0.0.1:8000", "587", "True"]
    assert configured.stdout.split() == expected
    production = run_settings(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "meihao.example.cn,b.cn",
            "EMAIL_HOST": "",
        },
        show,
    )
    assert production.stdout.split() == ["smtp", "localhost", "https://meihao.example.cn"]
    both = run_settings({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})
    assert both.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be 1" in both.stderr


def mail_warnings():
    from django.core.checks import run_checks

    return [m for m in run_checks(include_deployment_checks=True) if m.id == "showcase.W003"]


def test_deploy_check_warns_when_production_has_no_mail_server(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST_CONFIGURED = False
    [warning] = mail_warnings()
    assert str(warning.msg).startswith("没有配置邮件服务器（EMAIL_HOST）")
    assert "send_notifications" in str(warning.hint)
    settings.EMAIL_HOST_CONFIGURED = True
    assert mail_warnings() == []
    settings.EMAIL_HOST_CONFIGURED = False
    settings.DEBUG = True
    assert mail_warnings() == []


def test_visible_gives_each_person_their_own_notifications_only():
    from estates.access import visible
    from estates.models import Notification

    ministry, clerk = make_staff("ministry"), make_staff("provincial", "shandong")
    for user in (ministry, clerk):
        Notification.objects.create(recipient=user, kind="objection", subject=f"给{user}")
    for user in (ministry, clerk):
        rows = visible(Notification.objects.all(), user)
        assert [n.recipient_id for n in rows] == [user.pk]


@pytest.mark.parametrize(("phase", "public"), [(P.NOTICE, False), (P.PUBLISHED, True)])
def test_a_revocation_says_the_estate_left_the_site_only_if_it_was_on_it(
    smtp, people, django_capture_on_commit_callbacks, phase, public
):
    extra = {}
    if phase == P.NOTICE:
        today = timezone.localdate()
        extra = {
            "notice_starts_on": today - timedelta(days=9),
            "notice_ends_on": today - timedelta(days=1),
        }
    nomination = nomination_in(S.SELECTED, phase, **extra)
    with django_capture_on_commit_callbacks(execute=True):
        transition(nomination, S.REVOKED, people["ministry"], reason="发现材料不实。")
    [message] = smtp.to("clerk@shandong.example.cn")
    assert ("它已不在公开网站上展示。" in body_of(message)) is public


def test_an_assignment_before_the_review_phase_says_when_scoring_opens(
    smtp, people, django_capture_on_commit_callbacks
):
    nomination = nomination_in(S.SUBMITTED, P.NOMINATING)
    with django_capture_on_commit_callbacks(execute=True):
        assign_reviewer(nomination, people["reviewer"], people["ministry"])
    [message] = smtp.to("reviewer@hebei.example.cn")
    assert "评选活动进入评审阶段后即可打分" in body_of(message)
