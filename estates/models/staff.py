from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .regions import Province


class StaffProfile(models.Model):
    """What a staff account needs beyond Django's user: the province it works for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("用户"),
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("所属省份"),
        help_text=_("省级填报员必填：只能查看和填报本省数据；评审专家填写后不会被分配本省推荐。"),
    )
    email_notifications = models.BooleanField(
        _("接收邮件通知"),
        default=True,
        help_text=_("关闭后，通知仍在后台“我的通知”中列出，只是不再发邮件。"),
    )

    class Meta:
        verbose_name = _("工作人员资料")
        verbose_name_plural = _("工作人员资料")

    def __str__(self):
        return f"{self.user} · {self.province or '—'}"
