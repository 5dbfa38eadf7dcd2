from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    RETURNED = "returned", _("推荐被退回修改")
    SELECTED = "selected", _("推荐入选")
    NOT_SELECTED = "not_selected", _("推荐未入选")
    REVOKED = "revoked", _("入选被撤销")
    REVIEW_ASSIGNED = "review_assigned", _("分配了评审任务")
    REVIEW_DUE = "review_due", _("评审即将截止")
    OBJECTION = "objection", _("收到异议")
    NOTICE_ENDED = "notice_ended", _("公示期结束")
    READY_TO_PUBLISH = "ready_to_publish", _("全部推荐已有决定")


class MailState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("未送达，将重试")
    GAVE_UP = "gave_up", _("未送达，已停止重试")
    OFF = "off", _("收件人已关闭邮件通知")
    NO_ADDRESS = "no_address", _("收件人没有邮箱")


class Notification(models.Model):
    """A message to one staff member about something that happened: kept here, listed in the
    admin, and mailed after the change that caused it commits (estates/notifications.py)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("收件人"),
    )
    kind = models.CharField(_("类别"), max_length=30, choices=NotificationKind.choices)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    # The path of the object in the admin (the mail makes it absolute with SITE_URL).
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # What it is about, so that the same event is not told twice (e.g. one reminder per review).
    subject_key = models.CharField(max_length=100, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    mail_state = models.CharField(
        _("邮件"), max_length=20, choices=MailState.choices, default=MailState.PENDING
    )
    mail_attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    mail_error = models.CharField(_("发送失败原因"), max_length=300, blank=True)
    mail_next_attempt_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(
                fields=["mail_state", "mail_next_attempt_at"], name="notification_mail_due"
            ),
        ]

    def __str__(self):
        return self.subject
