"""A province's edit of a public estate, waiting for an editor or the ministry (estates/pending.py
makes, approves and rejects them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .estates import Estate


class PendingChangeState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class PendingChange(models.Model):
    """The fields a provincial clerk changed on a public estate, with their new values and their
    values in the version the change was made on; the estate itself keeps the approved version
    until an editor or the ministry approves. One change waits per estate: saving the estate
    again updates it."""

    # Saving one changes nothing a public page shows (the approval saves the estate).
    affects_public_pages = False

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="pending_changes", verbose_name=_("小区")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("提交人"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    # Moves on with every save of the waiting change, so a form opened before another save
    # of it can tell (estates.forms.ReviewedEstateForm).
    revision = models.PositiveIntegerField(_("修订次数"), default=1)
    base_version = models.PositiveIntegerField(_("基于版本"))
    # Field name → value, as JSON (numbers with decimals as text, dates as ISO text, related
    # rows by id): the new values, and the same fields as they were in the base version.
    values = models.JSONField(_("修改后的内容"), default=dict, blank=True)
    base_values = models.JSONField(_("修改前的内容"), default=dict, blank=True)
    note = models.TextField(
        _("修改说明"),
        blank=True,
        help_text=_("给审核人员的说明，如修改的依据，或需要增改的指标、照片等。"),
    )
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=PendingChangeState.choices,
        default=PendingChangeState.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.TextField(_("退回理由"), blank=True)
    applied_version = models.PositiveIntegerField(_("批准后的版本"), null=True, blank=True)

    class Meta:
        verbose_name = _("待审核的修改")
        verbose_name_plural = _("待审核的修改")
        # The queue is worked oldest first.
        ordering = ["submitted_at", "pk"]
        indexes = [
            # The review list (state=pending, oldest first) and each estate's latest change.
            models.Index(fields=["state", "submitted_at", "id"], name="pending_change_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["estate"],
                condition=models.Q(state="pending"),
                name="pending_change_one_open_per_estate",
                violation_error_message=_("这个小区已有一项待审核的修改。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(reason=""),
                name="pending_change_rejection_has_reason",
                violation_error_message=_("退回修改需要填写理由。"),
            ),
        ]

    def __str__(self):
        return _("“%(estate)s”的修改（%(when)s）") % {
            "estate": self.estate,
            "when": timezone.localtime(self.submitted_at).strftime("%Y-%m-%d %H:%M"),
        }

    @property
    def is_open(self):
        return self.state == PendingChangeState.PENDING
