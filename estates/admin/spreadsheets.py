"""Spreadsheet import and export in the admin, on django-import-export's preview and confirm.

Who may do what: the ministry and provincial staff import (provinces their own rows only);
the ministry, provincial staff and editors export what their list shows — its filters and
search, and nothing beyond the rows they may see; reviewers neither.
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportMixin

from ..roles import Role, role_of
from ..spreadsheets.formats import FORMATS

IMPORTERS = {Role.MINISTRY, Role.PROVINCIAL}
EXPORTERS = {Role.MINISTRY, Role.PROVINCIAL, Role.EDITOR}


class SpreadsheetFormatsMixin:
    @property
    def formats(self):
        return FORMATS

    def has_export_permission(self, request):
        return role_of(request.user) in EXPORTERS and self.has_view_permission(request)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def export_action(self, request):
        # The export follows the list's filters; a wrong one is answered as the list answers
        # it (the plain list), not with a server error.
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")


class SpreadsheetExportMixin(SpreadsheetFormatsMixin, ExportMixin):
    pass


class SpreadsheetImportExportMixin(SpreadsheetFormatsMixin, ImportExportMixin):
    # The preview lists every problem as "第 N 行「列」：…" above import-export's own tables.
    import_template_name = "admin/estates/import.html"

    def has_import_permission(self, request):
        return role_of(request.user) in IMPORTERS and self.has_add_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        # All or nothing on confirmation too: the data may have changed since the preview
        # (another person added the same estate), and a row refused then must not leave the
        # others written.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = getattr(result, "problems", [])
            self.message_user(
                request,
                _("没有导入任何数据：%(problems)s") % {"problems": "；".join(problems[:20])},
                messages.ERROR,
            )
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error(
            "import_file",
            _(
                "无法读取这个文件。请确认所选格式与文件一致：Excel 文件选 xlsx，"
                "CSV 文件选 csv 并以 UTF-8 编码保存。"
            ),
        )
