"""Lost updates: a form remembers the version of the row it was opened on, and saving it after
someone else saved the same row is refused, with what differs from the saved row listed and
everything the person typed kept in the form. Saving again then goes through: they have seen."""

from django import forms
from django.core.exceptions import ValidationError
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
            raise ValidationError(self.conflict_message(), code="conflict")
        return cleaned

    def conflict_message(self):
        who = _("其他人")
        when = ""
        history = getattr(type(self.instance), "history", None)
        if history is not None:
            latest = history.filter(id=self.instance.pk).order_by("-history_date").first()
            if latest is not None:
                who = latest.history_user or who
                when = timezone.localtime(latest.history_date).strftime("%H:%M")
        differs = [self._difference(name) for name in self.changed_data if name != SEEN]
        differs = [d for d in differs if d]
        text = _("没有保存：你打开这个页面之后，%(who)s%(when)s修改并保存了这条记录。") % {
            "who": who,
            "when": _("于 %(time)s ") % {"time": when} if when else "",
        }
        if differs:
            items = "；".join(differs)
            text += _("你填写的内容与当前保存的不同之处：%(items)s。") % {"items": items}
        text += _(
            "你填写的内容都保留在下面（下方各表的行也请核对）；"
            "核对后再次点击保存，将以你填写的内容为准。"
        )
        return text

    def _difference(self, name):
        field = self.fields.get(name)
        if field is None or name not in {f.name for f in self.instance._meta.concrete_fields}:
            return None
        value = getattr(self.instance, name)
        display = getattr(self.instance, f"get_{name}_display", None)
        if display is not None:
            value = display()
        shown = _("（空）") if value in (None, "") else Truncator(str(value)).chars(30)
        return _("%(field)s（当前保存为：%(value)s）") % {"field": field.label, "value": shown}
