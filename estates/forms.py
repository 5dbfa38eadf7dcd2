"""Admin forms: the checks that need more than one field, with clear Chinese messages."""

from django import forms
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _

from .images import clean_photo
from .models import Estate, PendingChange, Photo
from .models.estates import same_name_in_city
from .models.profile import discard_photo_files
from .pending import decided_verb, form_values, open_change, token
from .versions import VersionCheckedForm


class FiniteDecimalField(forms.DecimalField):
    """Django's DecimalField reads "sNaN" as a number and compares it with the stored value to
    see whether a row changed, which raises (a server error); here it is refused at once, with
    the field's usual "输入一个数字。"."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not value.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class EstateAdminForm(VersionCheckedForm):
    confirm_not_duplicate = forms.BooleanField(
        label=_("确认不是重复录入"),
        required=False,
        help_text=_("同一城市已有同名小区时，核实后勾选此项才能保存。"),
    )

    class Meta:
        model = Estate
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        name, city = cleaned.get("name"), cleaned.get("city")
        province = cleaned.get("province")
        # Only within the estate's own province (a city elsewhere is refused for that): the
        # answer must not tell provincial staff what another province holds.
        in_province = city is not None and province is not None and city.province_id == province.pk
        if name and in_province and not cleaned.get("confirm_not_duplicate"):
            others = same_name_in_city(Estate.objects, name, city)
            if [pk for pk in others if pk != self.instance.pk]:
                self.add_error(
                    "name",
                    _(
                        "%(city)s已有名为“%(name)s”的小区，可能是重复录入。"
                        "如确认是另一个小区，请勾选“确认不是重复录入”后再保存。"
                    )
                    % {"city": city, "name": name},
                )
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # A new estate gets its address now rather than when saved: photos added with it are
        # filed under it, and written while their forms are checked (PhotoForm._post_clean),
        # so a full disk is an error on the form, not a server error after the estate is saved.
        estate = self.instance
        if not self.errors and estate.pk is None and not estate.slug and estate.name:
            estate.slug = estate._unique_slug()


class PhotoForm(forms.ModelForm):
    image = forms.FileField(
        label=_("图片"),
        help_text=_(
            "JPEG、PNG 或 WebP，不超过 15 MB；动图只保留第一帧，不接受 GIF。"
            "上传后自动转正方向、去除定位等信息。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = Photo
        fields = ["image", "caption", "display_order", "is_cover"]

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        self._clean_photo = None
        if isinstance(upload, UploadedFile):
            self._clean_photo = clean_photo(upload)
        return upload

    def _post_clean(self):
        """Write the renditions while the form is checked, so that a storage failure (a full
        disk) is an error on the form, not a server error after the estate was half saved.
        Only inside a transaction (the admin's) whose commit then removes the files again if
        the request saved no photo with them (another field or row was refused); and only
        once the estate's folder is known (a new estate gets its slug when saved)."""
        super()._post_clean()
        clean = getattr(self, "_clean_photo", None)
        if self.errors or clean is None:
            return
        # By now the instance has its estate: the chosen one, or an inline's parent.
        if not self.instance.estate.slug or not transaction.get_connection().in_atomic_block:
            return
        try:
            self.instance.store(clean)
        except forms.ValidationError as error:
            self.add_error("image", error)
            return
        self._clean_photo = None
        names = self.instance.file_names
        transaction.on_commit(lambda: discard_photo_files(names), robust=True)

    def save(self, commit=True):
        photo = super().save(commit=False)
        if getattr(self, "_clean_photo", None) is not None:
            photo.store(self._clean_photo)  # not written while checking: see _post_clean
        if commit:
            photo.save()
        return photo


class SharedChoicesFormSet(forms.BaseInlineFormSet):
    """Inline rows whose selects of related rows (mechanism type, metric type, activity
    requirement…) read their choices once for the formset, not once per row: otherwise an
    estate with forty metric values asks the database the same question forty times. Only
    plain selects: an autocomplete widget reads just the chosen row, and must go on doing so."""

    def __init__(self, *args, **kwargs):
        self._shared_choices = {}  # field name: its choices, read by the first row
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        return self._share_choices(super()._construct_form(i, **kwargs))

    @property
    def empty_form(self):
        return self._share_choices(super().empty_form)

    def _share_choices(self, form):
        shared = self._shared_choices
        for name, field in form.fields.items():
            select = getattr(field.widget, "widget", field.widget)  # inside the admin's wrapper
            plain = isinstance(select, forms.Select) and not isinstance(select, AutocompleteMixin)
            if not isinstance(field, forms.ModelChoiceField) or not plain:
                continue
            if name not in shared:
                # Through iter(): list() would ask its length first, a COUNT query of its own.
                shared[name] = list(iter(field.choices))
            field.choices = shared[name]  # the widget's too, through the admin's wrapper
        return form


class PhotoInlineFormSet(SharedChoicesFormSet):
    def clean(self):
        super().clean()
        covers = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_cover") and not form.cleaned_data.get("DELETE")
        ]
        if len(covers) > 1:
            raise forms.ValidationError(_("每个小区只能有一张封面照片，请只勾选一张。"))


class LabelledInlineFormSet(SharedChoicesFormSet):
    """Django names a column repeated across rows by its code ("请修改number的重复数据");
    staff read the column's label ("请修改序号的重复数据")."""

    def get_unique_error_message(self, unique_check):
        fields = self.form.base_fields
        labels = [str(fields[name].label) if name in fields else name for name in unique_check]
        return super().get_unique_error_message(labels)

    def clean(self):
        """Also refuse a value that another saved row of the same parent holds now.

        Django checks a unique constraint that includes the inline's own foreign key only among
        the submitted rows, not against the database; rows are saved one by one, so moving a
        row onto a number another row still holds (an exchange of two numbers) would fail in
        the database instead of saying why."""
        super().clean()
        if self.instance.pk is None:
            return  # a new parent has no saved rows yet
        fk = self.fk.name
        checks = [c.fields for c in self.model._meta.total_unique_constraints if fk in c.fields]
        checks += [tuple(t) for t in self.model._meta.unique_together if fk in t]
        for form in self.forms:
            if form in self.deleted_forms or not form.has_changed() or not form.is_valid():
                continue
            for fields in checks:
                own = [name for name in fields if name != fk]
                if not own or any(name not in form.cleaned_data for name in own):
                    continue
                holders = self.model._default_manager.filter(
                    **{fk: self.instance}, **{name: form.cleaned_data[name] for name in own}
                )
                if form.instance.pk is not None:
                    holders = holders.exclude(pk=form.instance.pk)
                holder = holders.first()
                if holder is not None:
                    label = form.fields[own[0]].label
                    form.add_error(
                        own[0],
                        _(
                            "%(label)s“%(value)s”目前由另一行（%(holder)s）使用；如要对调，"
                            "请先把那一行改为别的%(label)s并保存，再改这一行。"
                        )
                        % {"label": label, "value": form.cleaned_data[own[0]], "holder": holder},
                    )


class LineBreaksCharField(forms.CharField):
    """Text whose line breaks are stored as "\\n" whatever sent them: browsers post a textarea's
    lines joined by "\\r\\n", which, saved as sent, changed every multi-line text on every save
    (a change nobody made, in the history and the admin's log)."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_newlines(value) if isinstance(value, str) else value


def trimmed_keeping_indent(text):
    """The text without trailing whitespace and without blank lines before its first line,
    that line's indent kept: a paragraph pasted from Word starts with "　　" (two U+3000), or
    with spaces, and that indent is part of how the text was written. Only whitespace is ""."""
    text = text.rstrip()
    body = text.lstrip()
    if not body:
        return ""
    indent_starts = text.rfind("\n", 0, len(text) - len(body)) + 1
    return text[indent_starts:]


class LongTextCharField(LineBreaksCharField):
    """A long text (a TextField: overview, evidence, comments…), which keeps the indent of its
    first line; Django's strip removed it, so the first paragraph lost the indent every other
    paragraph kept."""

    def __init__(self, **kwargs):
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str):
            value = trimmed_keeping_indent(value)
            if value in self.empty_values:
                return self.empty_value
        return value


def line_breaks_form_class(db_field):
    """The form field class for a model field typed as text, or None to keep the default:
    CharField and TextField themselves (their subclasses — slugs, e-mail addresses, URLs —
    bring form fields of their own) and not when they offer choices. A short text (a name, a
    title) loses its surrounding spaces; a long one keeps its first line's indent."""
    if db_field.choices:
        return None
    if type(db_field) is models.TextField:
        return LongTextCharField
    if type(db_field) is models.CharField:
        return LineBreaksCharField
    return None


class ReviewedEstateForm(EstateAdminForm):
    """The estate form. For a provincial clerk on a public estate (`reviewed`, set per request by
    the admin) a save waits for review (estates/pending.py): the form opens with the waiting
    change's values (or, asked to, a rejected one's), and remembers which revision of the
    waiting change it was opened with, so a save made after someone else's save or decision of
    it is refused with what happened, everything typed kept."""

    review_note = LineBreaksCharField(
        label=_("修改说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写给审核人员（选填）：修改的依据，或需要增改的治理机制、指标、活动、照片等。"),
    )
    pending_seen = forms.CharField(widget=forms.HiddenInput, required=False)

    reviewed = False  # set on the class the admin makes for the request
    # {field name: value}: a rejected change's values, to open with when none is waiting.
    opened_with = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting = None
        if self.reviewed and self.instance.pk is not None:
            self.waiting = open_change(self.instance)
            self.fields["pending_seen"].initial = token(self.waiting)
            if self.waiting is not None:
                self.fields["review_note"].initial = self.waiting.note
                self.initial.update(form_values(self.waiting))
            else:
                self.initial.update(self.opened_with or {})

    def clean(self):
        cleaned = super().clean()  # the version check has locked the estate's row
        seen = cleaned.get("pending_seen")
        if not self.reviewed or self.instance.pk is None or seen is None or self.errors:
            return cleaned
        waiting = open_change(self.instance)
        now = token(waiting)
        if seen != now:
            self.data = self.data.copy()
            self.data[self.add_prefix("pending_seen")] = now  # a second save is made knowingly
            raise forms.ValidationError(self._moved(seen, waiting), code="conflict")
        return cleaned

    def _moved(self, seen, waiting):
        """What happened to the waiting change since the form was opened."""
        if waiting is not None:
            when = timezone.localtime(waiting.submitted_at).strftime("%H:%M")
            text = _("没有保存：你打开这个页面之后，%(who)s 于 %(when)s 修改了待审核的内容。") % {
                "who": waiting.author,
                "when": when,
            }
        else:
            pk = seen.split(".")[0]
            # Only an id the form could have been given: digits a primary key can hold.
            valid = pk.isascii() and pk.isdigit() and len(pk) <= 18
            opened = PendingChange.objects.filter(pk=pk).first() if valid else None
            who = opened.decided_by if opened is not None and opened.decided_by else _("其他人")
            verb = decided_verb(opened) if opened is not None else _("处理")
            text = _("没有保存：你打开这个页面之后，待审核的修改已被 %(who)s %(verb)s。") % {
                "who": who,
                "verb": verb,
            }
            if opened is not None and opened.reason:
                reason = opened.reason.rstrip()
                text += _("理由：%(reason)s") % {"reason": reason}
                text += "" if reason.endswith(("。", "！", "？", ".")) else "。"
        return text + _("你填写的内容都保留在下面；核对后再次点击保存，将以下面的内容提交审核。")


class PublicEstateRowsMixin:
    """For provincial staff, on the pages of an estate's rows: a row is not added to a public
    estate, nor moved to one, without review. (Changing or deleting a public estate's rows is
    not offered to them at all: estates/admin/estates.py.)"""

    def clean(self):
        cleaned = super().clean()
        estate = cleaned.get("estate")
        if estate is not None and estate.is_published:
            self.add_error(
                "estate",
                _(
                    "“%(estate)s”已在公开网站展示，省级填报员不能直接为它增加或移入%(rows)s。"
                    "请在小区页面的“修改说明”中写明需要增改的内容，保存后由编辑或部级管理员审核。"
                )
                % {"estate": estate, "rows": self._meta.model._meta.verbose_name},
            )
        return cleaned
