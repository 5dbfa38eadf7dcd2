"""Edits of public estates that wait for review.

A provincial clerk's save of an estate the public already sees does not change the estate: it
is kept as a PendingChange (who, when, the fields with their new values and their values in the
version it was made on), which an editor or the ministry approves or rejects with a reason. The
public pages show the approved version meanwhile. Approving applies the change under the row
lock, records it in the history and bumps the version; a change made on a version that has been
changed since in the same fields is approved only by someone who has seen the three versions.

Only the estate's own fields wait: its rows (mechanisms, metrics, activities, key figures,
honors, photos) are read-only for a province while the estate is public, and a request to change
them goes in the change's note (estates/admin/estates.py says why).
"""

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from diff_match_patch import diff_match_patch
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import visible
from .models import Estate, PendingChange
from .models.pending import PendingChangeState as State
from .numbers import plain_number
from .publication import announce_public_change
from .roles import Role, role_of

# Provinces never move an estate nor choose its address (estates/admin/estates.py).
NOT_REVIEWED = {"province", "slug"}
DECIDERS = frozenset({Role.MINISTRY, Role.EDITOR})
HISTORY_REASON_LENGTH = 100  # django-simple-history's history_change_reason column
EMPTY = _("（空）")


def reviewed_fields():
    """The estate's fields whose change by a province waits for review."""
    return [
        f
        for f in Estate._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in NOT_REVIEWED
    ]


def waits_for_review(user, estate):
    """Whether this user's save of this estate waits for review: a provincial clerk's, of an
    estate the public sees. Read under the row's lock, so a campaign's results published while
    the form was open count."""
    if role_of(user) != Role.PROVINCIAL or estate.pk is None:
        return False
    published = (
        Estate.objects.select_for_update()
        .filter(pk=estate.pk)
        .values_list("is_published", flat=True)
        .first()
    )
    return bool(published)


def may_decide(user):
    return role_of(user) in DECIDERS and user.has_perm("estates.change_pendingchange")


def visible_changes(changes, user):
    """The changes of estates this user may see (estates.access), for the roles that deal with
    them: the ministry, editors, and the provinces that made them."""
    role = role_of(user)
    if role == Role.MINISTRY:
        return changes
    if role not in (Role.EDITOR, Role.PROVINCIAL):
        return changes.none()
    return changes.filter(estate__in=visible(Estate.objects.all(), user))


def waiting_for(user):
    """The changes waiting for review that this user may see (for a count on the admin index)."""
    return visible_changes(PendingChange.objects.filter(state=State.PENDING), user)


# ---------------------------------------------------------------------------------------------
# Values as JSON.


def to_json(model_field, value):
    """A field's value (as `value_from_object` gives it: related rows by id) as JSON."""
    if isinstance(value, Decimal):
        return f"{value:.{model_field.decimal_places}f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def from_json(model_field, value):
    return model_field.to_python(value)


def stored_values(estate, names):
    """{name: JSON value} of these fields of the estate as it is (a name that is no longer a
    reviewed field, in a change kept from before, is left out)."""
    fields = {f.name: f for f in reviewed_fields()}
    return {
        name: to_json(fields[name], fields[name].value_from_object(estate))
        for name in names
        if name in fields
    }


def form_values(change):
    """The change's new values as a form's initial data."""
    fields = {f.name: f for f in reviewed_fields()}
    return {
        name: from_json(fields[name], value)
        for name, value in change.values.items()
        if name in fields
    }


def token(change):
    """Which change, in which revision, a form was opened with ("" for none)."""
    return "" if change is None else f"{change.pk}.{change.revision}"


# ---------------------------------------------------------------------------------------------
# Submitting, approving, rejecting.

SUBMITTED, UPDATED, KEPT, WITHDRAWN, UNCHANGED = (
    "submitted",
    "updated",
    "kept",  # saved again as it was: still waiting, unchanged
    "withdrawn",
    "unchanged",
)


def open_change(estate):
    return (
        PendingChange.objects.filter(estate=estate, state=State.PENDING)
        .select_related("author")
        .first()
    )


def submit(estate, values, author, note=""):
    """Keep a province's save of a public estate for review: `values` are the saved fields
    ({name: value as `value_from_object` gives it}). The estate's waiting change is created,
    updated (the form opened with it; kept as it is when saved again unchanged), or withdrawn
    when nothing differs from the public version any more. Returns (change or None, what
    happened)."""
    fields = {f.name: f for f in reviewed_fields()}
    note = (note or "").strip()
    with transaction.atomic():
        locked = Estate.objects.select_for_update().get(pk=estate.pk)
        changed = {
            name: to_json(fields[name], value)
            for name, value in values.items()
            if name in fields and value != fields[name].value_from_object(locked)
        }
        change = (
            PendingChange.objects.select_for_update()
            .filter(estate=locked, state=State.PENDING)
            .first()
        )
        if not changed and not note:
            if change is None:
                return None, UNCHANGED
            _decide(change, State.WITHDRAWN, author)
            return change, WITHDRAWN
        if change is not None and (change.values, change.note) == (changed, note):
            return change, KEPT
        outcome = UPDATED if change is not None else SUBMITTED
        if change is None:
            change = PendingChange(estate=locked, author=author, revision=0)
        change.author = author
        change.submitted_at = timezone.now()
        change.revision += 1
        change.base_version = locked.version
        change.values = changed
        change.base_values = stored_values(locked, changed)
        change.note = note
        change.save()
        return change, outcome


def conflicts(change, estate):
    """The fields of the change that someone else has changed since it was made."""
    now = stored_values(estate, change.base_values)
    return [name for name, value in change.base_values.items() if now.get(name, value) != value]


def approve(change, actor, seen_version=None):
    """Apply the change to its estate; returns the estate. `seen_version` is the estate's
    version the approver looked at: a change whose fields were changed by someone else since it
    was made is approved only by someone who has seen them (on its page, which shows the three
    versions), and nobody approves what they did not see."""
    with transaction.atomic():
        estate = Estate.objects.select_for_update().get(pk=change.estate_id)
        change = _locked_open(change, actor)
        if seen_version is not None and seen_version != estate.version:
            raise ValidationError(
                _("没有批准：你查看之后，“%(estate)s”又被修改过。请核对页面上的最新内容后再批准。"),
                code="moved",
                params={"estate": estate},
            )
        clashing = conflicts(change, estate)
        if clashing and seen_version is None:
            raise ValidationError(
                _(
                    "没有批准“%(estate)s”的修改：提交之后，%(fields)s已被其他人修改。"
                    "请打开这项修改，核对三方内容后再批准。"
                ),
                code="stale",
                params={"estate": estate, "fields": labels_of(clashing)},
            )
        fields = {f.name: f for f in reviewed_fields()}
        for name, value in change.values.items():
            if name in fields:
                setattr(estate, fields[name].attname, from_json(fields[name], value))
        try:
            estate.full_clean()
        except ValidationError as error:
            raise ValidationError(_refused(estate, error), code="invalid") from error
        estate._history_user = actor
        estate._change_reason = _approval_reason(change)
        estate.save()
        _decide(change, State.APPROVED, actor, applied_version=estate.version)
        announce_public_change(reason="pending change approved")
    return estate


def reject(change, actor, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("没有退回“%(estate)s”的修改：请填写退回理由，提交人会看到它。"),
            code="reason_required",
            params={"estate": change.estate},
        )
    if "\x00" in reason:  # typed by no one, and PostgreSQL cannot store it
        raise ValidationError(_("理由中不能包含空字符（\\x00）。"), code="reason_nul")
    with transaction.atomic():
        change = _locked_open(change, actor)
        _decide(change, State.REJECTED, actor, reason=reason)
    return change


def withdraw(change, actor):
    """The province takes its waiting change back."""
    with transaction.atomic():
        change = _locked_open(change, actor, deciders=frozenset({Role.PROVINCIAL}))
        _decide(change, State.WITHDRAWN, actor)
    return change


# How a decision reads in a sentence ("已被 张三 退回").
DECISION_VERBS = {State.APPROVED: _("批准"), State.REJECTED: _("退回"), State.WITHDRAWN: _("撤回")}


def decided_verb(change):
    return DECISION_VERBS.get(change.state, _("处理"))


def _locked_open(change, actor, deciders=DECIDERS):
    if role_of(actor) not in deciders:
        raise PermissionDenied(_("您没有权限处理这项修改。"))
    locked = (
        # of=self: decided_by is null until the change is decided, and PostgreSQL cannot
        # lock the nullable side of the outer join that select_related makes for it.
        PendingChange.objects.select_for_update(of=("self",))
        .select_related("estate", "decided_by")
        .get(pk=change.pk)
    )
    if not locked.is_open:
        who = locked.decided_by or _("其他人")
        when = timezone.localtime(locked.decided_at).strftime("%H:%M")
        raise ValidationError(
            _("“%(estate)s”的这项修改已由 %(who)s 于 %(when)s %(state)s，没有再次处理。"),
            code="decided",
            params={
                "estate": locked.estate,
                "who": who,
                "when": when,
                "state": decided_verb(locked),
            },
        )
    return locked


def _decide(change, state, actor, **fields):
    change.state = state
    change.decided_by = actor
    change.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(change, name, value)
    change.save()


def _approval_reason(change):
    when = timezone.localtime(change.submitted_at).strftime("%m月%d日 %H:%M")
    text = _("审核通过 %(author)s %(when)s 提交的修改") % {"author": change.author, "when": when}
    return text[:HISTORY_REASON_LENGTH]


def labels_of(names):
    """“label”、“label” for these field names, in the order given."""
    fields = {f.name: f for f in reviewed_fields()}
    return "、".join(f"“{fields[name].verbose_name}”" for name in names if name in fields)


def _refused(estate, error):
    fields = {f.name: f for f in reviewed_fields()}
    parts = []
    for name, messages in error.message_dict.items():
        label = fields[name].verbose_name if name in fields else ""
        text = "".join(str(m) for m in messages)
        parts.append(f"“{label}”：{text}" if label else text)
    return _("没有批准“%(estate)s”的修改：%(problems)s") % {
        "estate": estate,
        "problems": "；".join(parts),
    }


# ---------------------------------------------------------------------------------------------
# Showing a change.


@dataclass
class Line:
    kind: str  # "same", "removed" or "added"
    parts: list  # [(marked, text)]: marked text is what changed within the line


@dataclass
class FieldChange:
    name: str
    label: str
    old: str  # as shown: now, for a waiting change; for a decided one, what it was made on
    new: str  # as shown: what the change brings
    long: bool  # a text of paragraphs, shown line by line
    lines: list  # old → new, line by line (long texts)
    # Waiting changes only: changed by someone else since the change was made, and how.
    conflict: bool = False
    base: str = ""
    their_lines: list = field(default_factory=list)  # made on → now (long texts)


def field_changes(change, estate):
    """The change field by field: for a waiting change, what approving it would do to the
    estate now (with what others changed since, where they did); for a decided one, what it
    asked for."""
    fields = {f.name: f for f in reviewed_fields()}
    now = stored_values(estate, change.values)
    base = change.base_values
    old = now if change.is_open else base
    related = _related_names(fields, [change.values, base, now])
    rows = []
    for name in [f.name for f in reviewed_fields() if f.name in change.values]:
        model_field = fields[name]
        long = isinstance(model_field, models.TextField)
        row = FieldChange(
            name=name,
            label=str(model_field.verbose_name),
            old=shown_value(model_field, old.get(name), related),
            new=shown_value(model_field, change.values[name], related),
            long=long,
            lines=line_diff(_text(old.get(name)), _text(change.values[name])) if long else [],
        )
        if change.is_open and now[name] != base.get(name):
            row.conflict = True
            row.base = shown_value(model_field, base.get(name), related)
            if long:
                row.their_lines = line_diff(_text(base.get(name)), _text(now[name]))
        rows.append(row)
    return rows


def shown_value(model_field, value, related=None):
    """A stored (JSON) value as people read it."""
    if value is None or value == "":
        return str(EMPTY)
    if model_field.is_relation:
        return str((related or {}).get((model_field.related_model, value), value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return str(_("是") if value else _("否"))
    if isinstance(model_field, models.DecimalField):
        return plain_number(Decimal(value))
    return str(value)


def _related_names(fields, value_sets):
    """{(model, id): the row} for every related row these values name, one query per model."""
    wanted = {}
    for name, model_field in fields.items():
        if model_field.is_relation:
            ids = {values.get(name) for values in value_sets} - {None, ""}
            if ids:
                wanted.setdefault(model_field.related_model, set()).update(ids)
    return {
        (model, obj.pk): obj
        for model, ids in wanted.items()
        for obj in model._default_manager.filter(pk__in=ids)
    }


def _text(value):
    return "" if value is None else str(value)


def line_diff(old, new):
    """The lines of `new` against those of `old`: unchanged, removed and added lines, and within
    a line replaced by one other, the characters that changed marked."""
    before, after = old.split("\n"), new.split("\n")
    lines = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            lines += [Line("same", [(False, line)]) for line in before[a1:a2]]
            continue
        lines += _replaced(before[a1:a2], after[b1:b2])
    return lines


def _replaced(removed, added):
    """Lines replaced by others: each removed line beside the added line it became (the next
    one like it), with the characters that changed marked; the rest removed or added whole."""
    lines, j = [], 0
    for old_line in removed:
        match = next((k for k in range(j, len(added)) if _alike(old_line, added[k])), None)
        if match is None:
            lines.append(Line("removed", [(False, old_line)]))
            continue
        lines += [Line("added", [(False, line)]) for line in added[j:match]]
        old_parts, new_parts = _marked(old_line, added[match])
        lines += [Line("removed", old_parts), Line("added", new_parts)]
        j = match + 1
    return lines + [Line("added", [(False, line)]) for line in added[j:]]


def _alike(a, b):
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return matcher.quick_ratio() >= 0.5 and matcher.ratio() >= 0.5


def _marked(old, new):
    """The two lines as parts, the characters that differ marked (diff-match-patch, as the
    import preview marks changed cells)."""
    dmp = diff_match_patch()
    diff = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diff)
    old_parts = [(op != 0, text) for op, text in diff if op <= 0 and text]
    new_parts = [(op != 0, text) for op, text in diff if op >= 0 and text]
    return old_parts or [(False, "")], new_parts or [(False, "")]


def changed_labels(change):
    """The labels of the fields the change touches, in the form's order."""
    return [str(f.verbose_name) for f in reviewed_fields() if f.name in change.values]
