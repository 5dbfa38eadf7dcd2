"""Site infrastructure for the public pages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
