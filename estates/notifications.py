"""Telling staff what happened: each notification is a row for its recipient (listed in the
admin under 我的通知) and a mail sent after the change that caused it commits.

`notify()` stores the rows in the caller's transaction, so a change that is rolled back leaves
no notification and sends nothing. Mail goes out through Django's mail framework once the
transaction commits; a mail server that is down or refuses costs no notification: the row
stays, marked 未送达，将重试, and is tried again after 1, 5 and 30 minutes, 2 and 12 hours
(`manage.py send_notifications`, from cron, and after the next commit that sends mail), then
given up on, still listed. Failing mail never reaches the person whose click caused it.

The events (a nomination returned or decided, a reviewer assigned or reminded, an objection,
a notice period over, a campaign ready to publish) are the functions at the end; the workflow
calls them, `manage.py notify_due` the ones that depend on the date.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .enums import IN_PROCESS_STATES, RESULTS_PUBLIC_PHASES, CampaignPhase, NominationState
from .models import Campaign, Notification, Objection, Review
from .models.notifications import MailState, NotificationKind
from .people import person_name
from .roles import GROUP_NAMES, Role

logger = logging.getLogger(__name__)

# Waits before the second, third … attempt to mail a notification; after the last one fails
# too, it is given up on (GAVE_UP), and stays listed in the admin.
RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A sender takes a notification for this long; one that stopped half-way (a killed process)
# is tried again after it.
CLAIM = timedelta(minutes=10)
BATCH = 100
SUBJECT_PREFIX = "【美好家园】"
# A reviewer is reminded this many days before the review period ends.
REVIEW_REMINDER_DAYS = 2

User = get_user_model()


# ---------------------------------------------------------------------------------------------
# Who is told.


def _staff():
    # With the profile: whether each wants mail is read with the recipients, not once each.
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .select_related("staff_profile")
        .distinct()
    )


def province_staff(province_id):
    """The provincial staff of a province."""
    return _staff().filter(
        groups__name=GROUP_NAMES[Role.PROVINCIAL], staff_profile__province_id=province_id
    )


def ministry_staff():
    """The ministry's staff (superusers count as ministry, as estates.roles.role_of says)."""
    return _staff().filter(Q(groups__name=GROUP_NAMES[Role.MINISTRY]) | Q(is_superuser=True))


# ---------------------------------------------------------------------------------------------
# Storing and sending.


def notify(users, kind, subject, body, link, key=""):
    """Store a notification for each user and send the mails once the transaction commits;
    returns the rows made. With a `key`, a user already told of that key under this kind is
    not told again (one reminder per review, one "notice ended" per campaign)."""
    users = {user.pk: user for user in users}
    if key:
        told = Notification.objects.filter(
            kind=kind, subject_key=key, recipient__in=list(users)
        ).values_list("recipient_id", flat=True)
        for pk in told:
            users.pop(pk, None)
    if not users:
        return []
    now = timezone.now()
    rows = []
    for user in sorted(users.values(), key=lambda u: u.pk):
        state = _mail_state_for(user)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                subject=subject[:200],
                body=body,
                link=link,
                subject_key=key,
                mail_state=state,
                mail_next_attempt_at=now if state == MailState.PENDING else None,
            )
        )
    Notification.objects.bulk_create(rows)
    if any(row.mail_state == MailState.PENDING for row in rows):
        transaction.on_commit(send_after_commit, robust=True)
    return rows


def _mail_state_for(user):
    if not user.email:
        return MailState.NO_ADDRESS
    profile = getattr(user, "staff_profile", None)
    if profile is not None and not profile.email_notifications:
        return MailState.OFF
    return MailState.PENDING


def mail_on(user):
    """Whether the user wants notifications by mail (the default)."""
    profile = getattr(user, "staff_profile", None)
    return profile is None or profile.email_notifications


def send_after_commit():
    """After a commit that stored notifications: send them, and any others due for a retry."""
    try:
        send_due()
    except Exception:  # the person's change is saved; the cron run sends what is left
        logger.exception("Sending notifications failed")


def due(now=None):
    now = now or timezone.now()
    return Notification.objects.filter(
        mail_state__in=[MailState.PENDING, MailState.FAILED], mail_next_attempt_at__lte=now
    )


def send_due(now=None, limit=BATCH):
    """Mail the notifications that are due, at most `limit` of them; returns (sent, failed)."""
    now = now or timezone.now()
    candidates = list(
        due(now)
        .select_related("recipient__staff_profile")
        .order_by("mail_next_attempt_at", "pk")[:limit]
    )
    batch = [n for n in candidates if _claim(n, now)]
    if not batch:
        return 0, 0
    to_mail = []
    for notification in batch:
        state = _mail_state_for(notification.recipient)
        if state == MailState.PENDING:
            to_mail.append(notification)
        else:  # mail turned off, or the address removed, since it was stored
            _finish(notification, state=state)
    if not to_mail:
        return 0, 0
    return _mail(to_mail)


def _claim(notification, now):
    """Take the notification for this sender; False when another sender took it first."""
    taken = Notification.objects.filter(
        pk=notification.pk,
        mail_state=notification.mail_state,
        mail_attempts=notification.mail_attempts,
        mail_next_attempt_at=notification.mail_next_attempt_at,
    ).update(mail_next_attempt_at=now + CLAIM)
    return taken == 1


def _mail(notifications):
    sent = failed = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as error:  # server down, refused, wrong password …
        for notification in notifications:
            _failed(notification, error)
        return 0, len(notifications)
    try:
        for i, notification in enumerate(notifications):
            try:
                done = connection.send_messages([message(notification, connection)])
            except Exception as error:
                _failed(notification, error)
                failed += 1
                if _connection_lost(error):
                    for rest in notifications[i + 1 :]:
                        _failed(rest, error)
                        failed += 1
                    break
                continue
            if done:
                _finish(notification, state=MailState.SENT, mailed_at=timezone.now())
                sent += 1
            else:
                _failed(notification, _("邮件服务器没有接收这封邮件。"))
                failed += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)
    return sent, failed


def _connection_lost(error):
    """Whether the error ends the connection (the rest of the batch would fail the same way),
    not only this mail (a refused recipient)."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _finish(notification, **fields):
    fields.setdefault("mail_next_attempt_at", None)
    fields.setdefault("mail_error", "")
    attempts = notification.mail_attempts + (1 if fields["state"] == MailState.SENT else 0)
    Notification.objects.filter(pk=notification.pk).update(
        mail_state=fields.pop("state"), mail_attempts=attempts, **fields
    )


def _failed(notification, error):
    attempts = notification.mail_attempts + 1
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    gave_up = attempts >= MAX_ATTEMPTS
    Notification.objects.filter(pk=notification.pk).update(
        mail_state=MailState.GAVE_UP if gave_up else MailState.FAILED,
        mail_attempts=attempts,
        mail_error=text[:300],
        mail_next_attempt_at=None if gave_up else timezone.now() + RETRY_DELAYS[attempts - 1],
    )
    logger.warning(
        "Notification %s to %s not mailed (attempt %s%s): %s",
        notification.pk,
        notification.recipient_id,
        attempts,
        ", giving up" if gave_up else "",
        text,
    )


def absolute(link):
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


def message(notification, connection=None):
    """The mail of a notification: its subject and text in Chinese, the link made absolute."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [notification.body.strip()]
        if notification.link:
            parts.append(_("查看：%(url)s") % {"url": absolute(notification.link)})
        parts.append(
            "—\n"
            + _(
                "这封邮件由美好家园数据管理平台自动发送，请勿直接回复。所有通知也列在后台的"
                "“我的通知”中：%(list)s ；在那里可以关闭邮件通知。"
            )
            % {"list": absolute(reverse("admin:estates_notification_changelist"))}
        )
    return EmailMessage(
        subject=f"{SUBJECT_PREFIX}{notification.subject}",
        body="\n\n".join(parts) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=connection,
    )


# ---------------------------------------------------------------------------------------------
# The events. Texts are composed in the site's language (Chinese), whoever's click caused them.


def _date(day):
    return formats.date_format(day, _("Y年n月j日"))


def _time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _admin(name, pk):
    return reverse(f"admin:estates_{name}_change", args=[pk])


NOMINATION_EVENTS = {
    # (from, to): kind
    (NominationState.SUBMITTED, NominationState.DRAFT): NotificationKind.RETURNED,
    (NominationState.ON_NOTICE, NominationState.SELECTED): NotificationKind.SELECTED,
    (NominationState.UNDER_REVIEW, NominationState.NOT_SELECTED): NotificationKind.NOT_SELECTED,
    (NominationState.SHORTLISTED, NominationState.NOT_SELECTED): NotificationKind.NOT_SELECTED,
    (NominationState.ON_NOTICE, NominationState.NOT_SELECTED): NotificationKind.NOT_SELECTED,
    (NominationState.SELECTED, NominationState.REVOKED): NotificationKind.REVOKED,
}
# States after which a campaign may be left with nothing to decide.
LEAVES_PROCESS = frozenset(
    {NominationState.SELECTED, NominationState.NOT_SELECTED, NominationState.WITHDRAWN}
)


def nomination_moved(nomination, from_state, to_state, actor, reason=""):
    """A nomination's move (estates.workflow.transition, in its transaction): its province is
    told of a return, a decision or a revocation, with the reason; the ministry when the move
    leaves its campaign's notice with every nomination decided."""
    kind = NOMINATION_EVENTS.get((from_state, to_state))
    if kind is not None:
        _tell_province(nomination, kind, actor, reason)
    if to_state in LEAVES_PROCESS:
        campaign_maybe_ready(nomination.campaign_id)


PROVINCE_SUBJECTS = {
    NotificationKind.RETURNED: gettext_noop("推荐被退回修改：%(estate)s"),
    NotificationKind.SELECTED: gettext_noop("推荐入选：%(estate)s"),
    NotificationKind.NOT_SELECTED: gettext_noop("推荐未入选：%(estate)s"),
    NotificationKind.REVOKED: gettext_noop("入选被撤销：%(estate)s"),
}
PROVINCE_TEXTS = {
    NotificationKind.RETURNED: gettext_noop(
        "%(province)s推荐的“%(estate)s”（%(campaign)s）已被%(actor)s退回修改。"
        "请按理由修改后重新提交。"
    ),
    NotificationKind.SELECTED: gettext_noop(
        "%(province)s推荐的“%(estate)s”（%(campaign)s）已由%(actor)s确定入选。"
        "评选结果发布后，它的介绍页面将在公开网站上展示。"
    ),
    NotificationKind.NOT_SELECTED: gettext_noop(
        "%(province)s推荐的“%(estate)s”（%(campaign)s）已由%(actor)s确定未入选。"
    ),
    NotificationKind.REVOKED: gettext_noop(
        "%(province)s推荐的“%(estate)s”（%(campaign)s）的入选已被%(actor)s撤销。"
    ),
}
# Said of a revocation only where the results had been published (else it never was public).
NO_LONGER_PUBLIC = gettext_noop("它已不在公开网站上展示。")


def _tell_province(nomination, kind, actor, reason):
    estate, campaign = nomination.estate, nomination.campaign
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "estate": estate.name,
            "province": estate.province.name,
            "campaign": campaign.label(),
            "actor": person_name(actor, _("部级管理员")),
        }
        subject = _(PROVINCE_SUBJECTS[kind]) % names
        lines = [_(PROVINCE_TEXTS[kind]) % names]
        if kind == NotificationKind.REVOKED and campaign.phase in RESULTS_PUBLIC_PHASES:
            lines[0] += _(NO_LONGER_PUBLIC)
        if reason:
            lines.append(_("理由：%(reason)s") % {"reason": reason})
        lines.append(_("时间：%(at)s") % {"at": _time(timezone.now())})
    notify(
        province_staff(estate.province_id),
        kind,
        subject,
        "\n\n".join(lines),
        _admin("nomination", nomination.pk),
    )


def campaign_maybe_ready(campaign_id):
    """Tell the ministry once when a campaign on notice has every nomination decided, so its
    results can be published. Under the campaign's row lock: two decisions committed side by
    side cannot both miss that the other was the last."""
    campaign = (
        Campaign.objects.select_for_update().filter(pk=campaign_id, phase=CampaignPhase.NOTICE)
    ).first()
    if campaign is None or campaign.nominations.filter(state__in=IN_PROCESS_STATES).exists():
        return []
    decided = campaign.nominations.filter(
        state__in=[NominationState.SELECTED, NominationState.NOT_SELECTED]
    )
    if not decided.exists():
        return []
    return ready_to_publish(campaign)


def ready_to_publish(campaign):
    from .workflow import notice_is_over

    selected = campaign.nominations.filter(state=NominationState.SELECTED).count()
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("全部推荐已有决定，可以发布结果：%(campaign)s") % {"campaign": campaign.label()}
        lines = [
            _("“%(campaign)s”的推荐都已确定是否入选，其中入选 %(count)s 项。")
            % {"campaign": campaign.label(), "count": selected}
        ]
        if notice_is_over(campaign):
            lines.append(_("公示期已经结束，现在可以发布评选结果。"))
        else:
            lines.append(
                _("公示期到 %(end)s 结束，结束后即可发布评选结果。")
                % {"end": _date(campaign.notice_ends_on)}
            )
    return notify(
        ministry_staff(),
        NotificationKind.READY_TO_PUBLISH,
        subject,
        "\n\n".join(lines),
        _admin("campaign", campaign.pk),
        key=f"campaign:{campaign.pk}",
    )


def review_assigned(review):
    """A reviewer was given a nomination (estates.workflow.assign_reviewer)."""
    nomination = review.nomination
    campaign = nomination.campaign
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "estate": nomination.estate.name,
            "province": nomination.estate.province.name,
            "campaign": campaign.label(),
        }
        subject = _("新的评审任务：%(estate)s") % names
        lines = [_("您被分配评审%(province)s推荐的“%(estate)s”（%(campaign)s）。") % names]
        if campaign.phase in (CampaignPhase.DRAFT, CampaignPhase.NOMINATING):
            # The review page opens for scoring when the campaign reaches its review phase.
            lines.append(_("评选活动进入评审阶段后即可打分，届时请在后台“待完成的评审”中填写。"))
        if campaign.review_ends_on:
            lines.append(
                _("请在 %(end)s 前为各项原则要求打分并提交评审。")
                % {"end": _date(campaign.review_ends_on)}
            )
        else:
            lines.append(_("请为各项原则要求打分并提交评审。"))
    return notify(
        [review.reviewer],
        NotificationKind.REVIEW_ASSIGNED,
        subject,
        "\n\n".join(lines),
        _admin("review", review.pk),
        key=f"review:{review.pk}",
    )


def review_due(review):
    """Remind a reviewer, once per review, that the review period ends soon."""
    nomination = review.nomination
    campaign = nomination.campaign
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "estate": nomination.estate.name,
            "campaign": campaign.label(),
            "end": _date(campaign.review_ends_on),
        }
        subject = _("评审即将截止：%(estate)s") % names
        body = (
            _(
                "您对“%(estate)s”（%(campaign)s）的评审还没有提交。评审截止日期是 %(end)s，"
                "请在截止前打完分并提交。"
            )
            % names
        )
    return notify(
        [review.reviewer],
        NotificationKind.REVIEW_DUE,
        subject,
        body,
        _admin("review", review.pk),
        key=f"review:{review.pk}",
    )


def receive_objection(**fields):
    """An objection from the public notice page: stored, and the ministry told. Returns it.
    The mail names the estate and the reference, not what the sender wrote or how to reach
    them: those are read in the admin."""
    objection = Objection.objects.create(**fields)
    nomination = objection.nomination
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "estate": nomination.estate.name,
            "province": nomination.estate.province.name,
            "campaign": nomination.campaign.label(),
            "reference": objection.reference,
            "at": _time(objection.received_at),
        }
        subject = _("收到异议：%(estate)s") % names
        body = (
            _(
                "公示中的“%(estate)s”（%(province)s，%(campaign)s）于 %(at)s 收到一件异议，"
                "受理编号 %(reference)s。请在后台查看异议内容并处理；有未处理的异议时不能确定入选。"
            )
            % names
        )
    notify(
        ministry_staff(),
        NotificationKind.OBJECTION,
        subject,
        body,
        _admin("objection", objection.pk),
        key=f"objection:{objection.pk}",
    )
    return objection


def notice_ended(campaign):
    """Tell the ministry, once per campaign, that its notice period is over."""
    undecided = campaign.nominations.filter(state__in=IN_PROCESS_STATES).count()
    with translation.override(settings.LANGUAGE_CODE):
        names = {"campaign": campaign.label(), "end": _date(campaign.notice_ends_on)}
        subject = _("公示期结束：%(campaign)s") % names
        lines = [_("“%(campaign)s”的公示期已于 %(end)s 结束。") % names]
        if undecided:
            lines.append(
                _("还有 %(count)s 项推荐尚未确定是否入选，全部确定后才能发布结果。")
                % {"count": undecided}
            )
        else:
            lines.append(_("推荐都已确定是否入选，现在可以发布评选结果。"))
    return notify(
        ministry_staff(),
        NotificationKind.NOTICE_ENDED,
        subject,
        "\n\n".join(lines),
        _admin("campaign", campaign.pk),
        key=f"campaign:{campaign.pk}",
    )


def notify_due(today=None):
    """What depends on the date (run daily, `manage.py notify_due`): reminders to reviewers
    whose review period ends within REVIEW_REMINDER_DAYS, "notice ended" for campaigns whose
    notice is over, and "ready to publish" for any campaign on notice with everything decided
    that was not announced yet. Returns the notifications made."""
    from .workflow import notice_is_over

    today = today or timezone.localdate()
    made = []
    with transaction.atomic():
        reviews = (
            Review.objects.filter(
                submitted_at__isnull=True,
                nomination__campaign__phase=CampaignPhase.REVIEWING,
                nomination__campaign__review_ends_on__gte=today,
                nomination__campaign__review_ends_on__lte=today
                + timedelta(days=REVIEW_REMINDER_DAYS),
                nomination__state__in=IN_PROCESS_STATES,
                reviewer__is_active=True,
            )
            .select_related("nomination__estate__province", "nomination__campaign", "reviewer")
            .order_by("pk")
        )
        for review in reviews:
            made += review_due(review)
        on_notice = Campaign.objects.filter(
            phase=CampaignPhase.NOTICE, notice_ends_on__isnull=False
        ).order_by("pk")
        for campaign in on_notice:
            if notice_is_over(campaign):
                made += notice_ended(campaign)
            made += campaign_maybe_ready(campaign.pk)
    return made
