"""Forms and widgets of the public pages: the estate list's search and filters, and the
notice page's objection form."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from estates.enums import EstateType
from estates.models import Campaign, MechanismType, Nomination, Province

OBJECTION_TEXT_MAX = 2000


class PlainSelect(forms.Select):
    """Django's <select>, markup for markup, rendered in Python instead of one template per
    option: the list page's filters hold about 200 options (a provincial round per province
    and year), and their templates took two thirds of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        # Each value and label escaped as format_html would, without its per-call overhead:
        # an open notice's objection form lists hundreds of estates.
        options = []
        for option, label in self.choices:
            option = str(option)
            selected = " selected" if option in chosen else ""
            options.append(
                f'<option value="{conditional_escape(option)}"{selected}>'
                f"{conditional_escape(label)}</option>"
            )
        options = mark_safe("\n".join(options))  # every part escaped above
        return format_html(
            "<select{}>\n{}\n</select>",
            flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name})),
            options,
        )


class EstateFilterForm(forms.Form):
    """The list page's search and filters; invalid values are ignored, never an error page."""

    # The box takes 100 characters; a longer query (a crafted address) is searched by its
    # first 100 rather than dropped, which listed every estate under the long query.
    q = forms.CharField(label=_("搜索"), required=False)
    province = forms.ModelChoiceField(
        label=_("省份"),
        queryset=Province.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("全部省份"),
        widget=PlainSelect,
    )
    campaign = forms.ModelChoiceField(
        label=_("评选活动"),
        queryset=Campaign.objects.public(),
        to_field_name="slug",
        required=False,
        empty_label=_("全部活动"),
        widget=PlainSelect,
    )
    type = forms.ChoiceField(
        label=_("小区类型"),
        choices=[("", _("全部类型")), *EstateType.choices],
        required=False,
        widget=PlainSelect,
    )
    mechanism = forms.ModelChoiceField(
        label=_("治理机制"),
        queryset=MechanismType.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("全部机制"),
        widget=PlainSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "province": lambda p: p.display_name(),
            "campaign": lambda c: c.display_label(),
            "mechanism": lambda m: m.display_name(),
        }
        for name, label in labels.items():
            field = self.fields[name]
            field.label_from_instance = label
            # The options from one plain query: the field's own iterator reads them through
            # a server-side cursor on PostgreSQL, three round trips per select. Validation
            # still looks the chosen value up in the field's queryset.
            field.widget.choices = [
                ("", field.empty_label),
                *((getattr(o, field.to_field_name), label(o)) for o in field.queryset),
            ]

    def clean_q(self):
        return self.cleaned_data["q"][:100]

    def filter(self, estates):
        # cleaned_data holds only the valid fields: a broken parameter is simply ignored.
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            estates = estates.search(data["q"])
        if data.get("province"):
            estates = estates.filter(province=data["province"])
        if data.get("campaign"):
            estates = estates.selected_in(data["campaign"])
        if data.get("type"):
            estates = estates.filter(estate_type=data["type"])
        if data.get("mechanism"):
            estates = estates.using_mechanism(data["mechanism"])
        return estates


class ObjectionForm(forms.Form):
    nomination = forms.ModelChoiceField(
        label=_("对哪个小区提出异议"),
        queryset=Nomination.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("请选择要提出异议的小区。"),
            "invalid_choice": _("请从公示名单中选择小区。"),
        },
    )
    text = forms.CharField(
        label=_("异议内容"),
        min_length=10,
        max_length=OBJECTION_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": OBJECTION_TEXT_MAX}),
        help_text=_("请写明具体事实和理由，10 到 2000 字。"),
        error_messages={
            "required": _("请填写异议内容。"),
            "min_length": _("异议内容至少写 %(limit_value)d 个字（现在 %(show_value)d 个）。"),
            "max_length": _(
                "异议内容最多 %(limit_value)d 个字（现在 %(show_value)d 个），请精简后再提交。"
            ),
        },
    )
    contact = forms.CharField(
        label=_("联系方式（选填）"),
        max_length=100,
        required=False,
        help_text=_("仅供核查人员联系您，不会公开。"),
        error_messages={"max_length": _("联系方式最多 %(limit_value)d 个字。")},
    )
    # People never see or fill this field; software that fills every field does.
    website = forms.CharField(required=False, label=_("网址"))

    def __init__(self, *args, nominations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nomination"].queryset = nominations
        self.fields["nomination"].label_from_instance = lambda n: (
            f"{n.estate.province.display_short_name()} · {n.estate.city.name} · {n.estate.name}"
        )

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("提交未成功，请刷新页面后重试。"))
        return ""
