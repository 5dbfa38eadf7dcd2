"""Spreadsheet import and export in the admin, on django-import-export's preview and confirm.

Who may do what: the ministry and provincial staff import (provinces their own rows only);
the ministry, provincial staff and editors export what their list shows — its filters and
search, and nothing beyond the rows they may see; reviewers neither.
"""

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


class SpreadsheetExportMixin(SpreadsheetFormatsMixin, ExportMixin):
    pass


class SpreadsheetImportExportMixin(SpreadsheetFormatsMixin, ImportExportMixin):
    def has_import_permission(self, request):
        return role_of(request.user) in IMPORTERS and self.has_add_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}
