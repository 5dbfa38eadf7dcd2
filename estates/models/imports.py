from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportUpload(models.Model):
    """A spreadsheet between its import preview and its confirmation.

    Kept in the database, so the confirmation finds it on whichever app server it reaches,
    and named to the browser only by a token signed for the user who uploaded it
    (estates/spreadsheets/uploads.py). Emptied when imported, removed when it expires.
    """

    # Transient working data: saving or deleting it changes nothing any public page shows.
    affects_public_pages = False

    token = models.CharField(_("标识"), max_length=64, unique=True)
    data = models.BinaryField(_("文件内容"))
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)
    # Once imported, the file is dropped and what the import did is kept until the row
    # expires, so a second click on 确认导入 can say what the first one did.
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    outcome = models.CharField(_("导入结果"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("待确认的导入文件")
        verbose_name_plural = _("待确认的导入文件")

    def __str__(self):
        return f"{self.token[:8]} · {self.created_at:%Y-%m-%d %H:%M}"
