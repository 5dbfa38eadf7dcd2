"""The admin ministry and provincial staff, reviewers and editors work in."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401 - registers the admins
    estates,
    nominations,
    objections,
    reference,
    reviews,
    staff,
)

admin.site.site_header = _("美好家园 · 数据管理")
admin.site.site_title = _("美好家园数据管理")
admin.site.index_title = _("数据管理")
admin.site.index_template = "admin/showcase_index.html"
