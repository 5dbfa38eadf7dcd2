"""Spreadsheet import and export in the admin, on django-import-export's preview and confirm.

Who may do what: the ministry and provincial staff import (provinces their own rows only);
the ministry, provincial staff and editors export what their list shows — its filters and
search, and nothing beyond the rows they may see; reviewers neither.
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.results import RowResult

from ..roles import Role, role_of
from ..spreadsheets import uploads
from ..spreadsheets.annotate import annotated_sheet
from ..spreadsheets.downloads import content_disposition, file_name
from ..spreadsheets.formats import FORMATS, SafeCSV
from .export_form import ChineseExportForm

IMPORTERS = {Role.MINISTRY, Role.PROVINCIAL}


def outcome(result):
    """What an import did, as the clerk reads it: "新增 3 条，更新 1 条，未变 2 条"."""
    totals = result.totals
    return _("新增 %(new)s 条，更新 %(update)s 条，未变 %(skip)s 条") % {
        "new": totals[RowResult.IMPORT_TYPE_NEW],
        "update": totals[RowResult.IMPORT_TYPE_UPDATE],
        "skip": totals[RowResult.IMPORT_TYPE_SKIP],
    }


EXPORTERS = {Role.MINISTRY, Role.PROVINCIAL, Role.EDITOR}


class SpreadsheetFormatsMixin:
    # The export page in Chinese (templates/admin/import_export/export.html and this form).
    export_form_class = ChineseExportForm

    @property
    def formats(self):
        return FORMATS

    def has_export_permission(self, request):
        return role_of(request.user) in EXPORTERS and self.has_view_permission(request)

    def get_valid_export_item_pks(self, request):
        # Rows picked on the list are checked against what the user may see, so another
        # province's id is refused as a missing one is (import-export offers every row).
        return self.get_queryset(request).values_list("pk", flat=True)

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

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["title"] = _("导出%(models)s") % {"models": self.model._meta.verbose_name_plural}
        return context

    def get_export_filename(self, request, queryset, file_format):
        """'小区-2026-12-03.xlsx': what the file holds and the day (in the site's time zone)."""
        return self._export_name(str(self.model._meta.verbose_name_plural), file_format)

    def _export_name(self, stem, file_format):
        day = timezone.localdate().isoformat()
        return f"{file_name(stem)}-{day}.{file_format.get_extension()}"

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # import-export writes the name into a plain filename="…", which browsers cannot read
        # in Chinese: the header is sent again with the UTF-8 name and an ASCII fallback.
        response = super()._do_file_export(file_format, request, queryset, export_form)
        response["Content-Disposition"] = content_disposition(
            self.get_export_filename(request, queryset, file_format),
            self._export_name(self.model._meta.model_name, file_format),
        )
        return response


class SpreadsheetExportMixin(SpreadsheetFormatsMixin, ExportMixin):
    pass


class SpreadsheetImportExportMixin(SpreadsheetFormatsMixin, ImportExportMixin):
    # The preview lists every problem as "第 N 行「列」：…" above import-export's own tables.
    import_template_name = "admin/estates/import.html"
    tmp_storage_class = uploads.DatabaseUploadStorage

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # A preview that cannot be confirmed (a problem in the file) keeps the file only to
        # hand it back with its problems marked (import_errors), until it expires.
        context = getattr(response, "context_data", None) or {}
        token = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if token and "confirm_form" not in context:
            result = context.get("result")
            layout = getattr(result, "layout", None)
            if result is not None and layout is not None and layout.from_file and layout.header_row:
                context["error_file"] = uploads.signed_name(token, request.user)
            else:
                uploads.discard(token)
        return response

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import/errors/",
                self.admin_site.admin_view(self.import_errors),
                name=f"{opts.app_label}_{opts.model_name}_import_errors",
            ),
            *super().get_urls(),
        ]

    def import_errors(self, request):
        """The clerk's refused sheet with a 错误说明 column beside each refused row (the file
        kept from the preview, checked again now, as the confirmation would)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            token = uploads.token_from(request.GET.get("file", ""), request.user)
        except signing.BadSignature:  # expired ones included
            return self._upload_again(
                request, _("这份文件的预览已过期，请重新上传文件查看错误说明。")
            )
        upload = uploads.ImportUpload.objects.filter(token=token, imported_at=None).first()
        if upload is None:
            return self._upload_again(
                request, _("这份文件的预览已过期，请重新上传文件查看错误说明。")
            )
        data = bytes(upload.data)
        resource = self.get_import_resource_classes(request)[0](
            **self.get_import_resource_kwargs(request)
        )
        with transaction.atomic():
            result = resource.import_data(
                SafeCSV().create_dataset(data), dry_run=True, raise_errors=False
            )
            transaction.set_rollback(True)
        marked = annotated_sheet(data, "csv", result)
        if marked is None:
            return self._upload_again(request, _("没有找到这份文件的表格，请重新上传文件。"))
        name = _("%(models)s导入错误说明.xlsx") % {"models": self.model._meta.verbose_name}
        return HttpResponse(
            marked,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": content_disposition_header(True, name)},
        )

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if initial.get("import_file_name"):
            initial["import_file_name"] = uploads.signed_name(
                initial["import_file_name"], request.user
            )
        return initial

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirmation: the file named by a token signed for this user, taken once.

        Replaces import-export's, which reads whatever file name the form posts back."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            return self._upload_again(
                request, _("确认信息不完整，没有导入任何数据。请重新上传文件。")
            )
        try:
            token = uploads.token_from(form.cleaned_data["import_file_name"], request.user)
        except signing.SignatureExpired:
            hours = int(uploads.MAX_AGE.total_seconds() // 3600)
            return self._upload_again(
                request,
                _("预览已超过 %(hours)s 小时，文件已删除，没有导入任何数据。请重新上传文件。")
                % {"hours": hours},
            )
        except signing.BadSignature:
            return self._upload_again(
                request, _("找不到要导入的文件，没有导入任何数据。请重新上传文件。")
            )
        try:
            chosen = int(form.cleaned_data["format"])
            input_format = self.get_import_formats()[chosen](encoding=self.from_encoding)
            self.choose_import_resource_class(form, request)
        except (ValueError, IndexError):
            return self._upload_again(
                request, _("文件格式无效，没有导入任何数据。请重新上传文件。")
            )
        with transaction.atomic():
            upload = uploads.take(token)
            if upload is None or upload.imported_at is not None:
                return self._already_done(request, upload)
            try:
                encoding = None if input_format.is_binary() else self.from_encoding
                data = uploads.as_read(bytes(upload.data), input_format.get_read_mode(), encoding)
                dataset = input_format.create_dataset(data)
            except Exception:  # whatever a parser raises on a file it cannot read
                return self._upload_again(
                    request, _("无法读取这个文件，没有导入任何数据。请重新上传文件。")
                )
            result = self.process_dataset(dataset, form, request, **kwargs)
            if not (result.has_errors() or result.has_validation_errors()):
                uploads.mark_imported(upload, outcome(result))
        return self.process_result(result, request)

    def _already_done(self, request, upload):
        if upload is None:
            text = _("预览已过期，文件已删除，没有导入任何数据。请重新上传文件。")
            self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(self._url("import"))
        text = _("这份文件已于 %(time)s 导入（%(outcome)s），没有重复导入。") % {
            "time": timezone.localtime(upload.imported_at).strftime("%H:%M:%S"),
            "outcome": upload.outcome,
        }
        self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(self._url("changelist"))

    def _url(self, view):
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")

    def _upload_again(self, request, message):
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(self._url("import"))

    def has_import_permission(self, request):
        return role_of(request.user) in IMPORTERS and self.has_add_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        # All or nothing on confirmation too: the data may have changed since the preview
        # (another person added the same estate), and a row refused then must not leave the
        # others written.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def add_success_message(self, result, request):
        opts = self.model._meta
        self.message_user(
            request,
            _("导入成功：%(outcome)s。") % {"outcome": outcome(result)}
            + _("可在“%(models)s”列表中查看。") % {"models": opts.verbose_name_plural},
            messages.SUCCESS,
        )

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = getattr(result, "problems", [])
            self.message_user(
                request,
                _("没有导入任何数据：%(problems)s") % {"problems": "；".join(problems[:20])},
                messages.ERROR,
            )
            return HttpResponseRedirect(self._url("import"))
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error(
            "import_file",
            _(
                "无法读取这个文件。请确认所选格式与文件一致：Excel 文件选 xlsx，"
                "CSV 文件选 csv 并以 UTF-8 编码保存。"
            ),
        )
