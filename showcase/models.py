"""Site infrastructure for the public pages."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Imported here because Django loads every app's models at start-up: registers the
# deployment checks (the app config's ready() would do as well).
from . import checks  # noqa: F401


class ContentVersion(models.Model):
    """One row whose number changes whenever public data changes.

    Cached public pages are keyed on it, so every app server sees a change at once, even with
    a per-process cache: the number lives in the database, not in the cache.
    """

    version = models.PositiveBigIntegerField(_("版本"), default=0)
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("公开内容版本")
        verbose_name_plural = _("公开内容版本")

    def __str__(self):
        return str(self.version)


class FailedLogin(models.Model):
    """One failed staff sign-in, kept for the throttle's window (showcase/login_throttle.py),
    or, for the moment its password is being checked, an attempt in progress.

    Neither the name typed nor the address is stored: both are keyed hashes, enough to count.
    The table is in the database so every app server counts the same attempts.
    """

    account = models.CharField(_("账号（散列）"), max_length=64, db_index=True)
    client = models.CharField(_("来源（散列）"), max_length=64, db_index=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S}"


class PublicStatistics(models.Model):
    """The statistics page's national figures, aggregated over every published estate.

    One row, computed after each change of the public data commits (showcase/statistics.py)
    and labelled with the content version read before it was computed, so the page reads one
    row instead of aggregating the whole registry.
    """

    version = models.PositiveBigIntegerField(_("内容版本"))
    # What compute() returned when these figures were made (statistics.FORMAT).
    format = models.TextField(_("数据格式"), blank=True)
    figures = models.JSONField(_("统计数据"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("公开统计")
        verbose_name_plural = _("公开统计")

    def __str__(self):
        return str(self.version)


class ObjectionLookupMiss(models.Model):
    """A reference looked up on a campaign's objection lookup page and not found, kept an hour
    for the per-client limit (showcase/notice.py); for the moment of the look-up, any attempt.

    Neither the reference typed nor the address is stored: the address is a keyed hash, enough
    to count. The table is in the database so every app server counts the same misses.
    """

    client = models.CharField(_("来源（散列）"), max_length=64, db_index=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("异议查询未找到记录")
        verbose_name_plural = _("异议查询未找到记录")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S}"


class PageTag(models.Model):
    """The content version at which the pages of one part of the site last changed.

    "site": every page (a campaign, a criterion, a catalogue entry changed); "estate:<slug>":
    one estate's own pages. A cached profile is keyed on the newer of its two tags, so an
    edit of one estate leaves every other estate's cached page in place, and a change no
    public page shows (a draft) moves nothing (showcase/cache.py).
    """

    key = models.CharField(_("标记"), max_length=120, unique=True)
    version = models.PositiveBigIntegerField(_("内容版本"), db_index=True)

    class Meta:
        verbose_name = _("页面标记")
        verbose_name_plural = _("页面标记")

    def __str__(self):
        return f"{self.key}@{self.version}"
