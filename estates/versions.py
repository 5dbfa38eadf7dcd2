"""Lost updates: a form remembers the version of the row it was opened on, and saving it after
someone else saved the same row is refused, with what differs from the saved row listed and
everything the person typed kept in the form. Saving again then goes through: they have seen."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

SEEN = "seen_version"


class VersionCheckedForm(forms.ModelForm):
    """A model form for a Versioned model (estates/models/versions.py).

    The check runs in clean(), inside the admin's transaction, with the row locked until the
    save commits: two saves at the same moment are checked one after the other. A post that
    carries no version (a script) is not checked."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # The history page's revert saves an old version on purpose (estates/admin/base.py).
    check_version = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[SEEN].initial = self.instance.version if self.instance.pk else None

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get(SEEN)
        if not self.check_version or self.instance.pk is None or seen is None:
            return cleaned
        model = type(self.instance)
        current = (
            model._base_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is not None and current != seen:
            # Shown again with what the person typed; a second save is made knowingly.
            self.data = self.data.copy()
            self.data[self.add_prefix(SEEN)] = str(current)
            raise ValidationError(self._conflict(seen), code="conflict")
        return cleaned

    def _conflict(self, seen):
        """The message, having put into the form what the other person saved in the fields
        this person left as they were (so saving again keeps both people's changes)."""
        history = getattr(type(self.instance), "history", None)
        who, when, before = _("其他人"), "", None
        if history is not None:
            records = history.filter(id=self.instance.pk).order_by("-history_date")
            latest = records.first()
            if latest is not None:
                who = latest.history_user or who
                when = timezone.localtime(latest.history_date).strftime("%H:%M")
            opened = records.filter(version=seen).first()
            if opened is not None:
                before = model_to_dict(opened.instance)
        saved = model_to_dict(self.instance)  # loaded for this request: what is saved now
        taken, differs = [], []
        for name in self.changed_data:  # what was posted differs from what is saved
            if name not in saved or name == SEEN:
                continue
            field = self.fields[name]
            untouched = before is not None and not field.has_changed(
                before.get(name), self[name].data
            )
            if untouched and self._show(name, saved[name]):
                taken.append(str(field.label))
            else:
                differs.append(self._difference(name))
        if when:
            text = _("没有保存：你打开这个页面之后，%(who)s 于 %(time)s 修改并保存了这条记录。")
        else:
            text = _("没有保存：你打开这个页面之后，%(who)s修改并保存了这条记录。")
        text = text % {"who": who, "time": when}
        if taken:
            text += _("对方改过、你没有改的“%(fields)s”已换成对方保存的内容。") % {
                "fields": "、".join(taken)
            }
        if differs:
            items = "；".join(differs)
            text += _("你填写的内容与当前保存的不同之处：%(items)s。") % {"items": items}
        text += _(
            "你填写的内容都保留在下面（下方各表的行也请核对）；"
            "核对后再次点击保存，将以下面的内容为准。"
        )
        return text

    def _show(self, name, value):
        """Put a saved value into the form's data as the browser would post it."""
        widget = getattr(self.fields[name].widget, "widget", self.fields[name].widget)
        key = self.add_prefix(name)
        if isinstance(widget, forms.MultiWidget):
            return False  # several inputs for one value: left to the person
        if isinstance(widget, forms.CheckboxInput):
            if value:
                self.data[key] = "on"
            else:
                self.data.pop(key, None)
        elif isinstance(widget, forms.SelectMultiple):
            self.data.setlist(key, [str(v.pk if hasattr(v, "pk") else v) for v in value or []])
        else:
            self.data[key] = "" if value is None else str(self.fields[name].prepare_value(value))
        return True

    def _difference(self, name):
        value = getattr(self.instance, name)
        display = getattr(self.instance, f"get_{name}_display", None)
        if display is not None:
            value = display()
        shown = _("（空）") if value in (None, "") else Truncator(str(value)).chars(30)
        label = self.fields[name].label
        return _("%(field)s（当前保存为：%(value)s）") % {"field": label, "value": shown}
