"""django-import-export's export form in Chinese: each column by its Chinese header alone,
the formats explained. Its own labels are English ("Name (小区名称)", "Format") and its Chinese
catalogue covers only part of the page."""

from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import SelectableFieldsExportForm


class ChineseExportForm(SelectableFieldsExportForm):
    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["resource"].label = _("数据表")
        field = self.fields["format"]
        field.label = _("文件格式")
        field.help_text = _(
            "xlsx：Excel 表格，可用 Excel、WPS 或 LibreOffice 打开；"
            "csv：UTF-8 编码的文本表格，适合导入其他系统；json：供程序读取的数据。"
        )
        choices = [("", _("请选择")) if value == "" else (value, t) for value, t in field.choices]
        field.choices = choices
        xlsx = [value for value, title in choices if title == "xlsx"]
        if xlsx and not self.is_bound:
            self.initial.setdefault("format", xlsx[0])  # what most offices open

    def _get_field_label(self, resource, field_name):
        # An instance's fields: some resources add columns per metric type when made.
        instances = self.__dict__.setdefault("_resource_instances", {})
        if resource not in instances:
            instances[resource] = resource()
        field = instances[resource].fields.get(field_name)
        return field.column_name if field and field.column_name else field_name

    def _validate_any_field_selected(self, resource):
        columns = list(resource().get_export_order())
        if not any(value for key, value in self.cleaned_data.items() if key in columns):
            raise forms.ValidationError(_("请至少选择一列导出。"), code="invalid")
