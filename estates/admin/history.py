"""History that staff who never saw a database can read: every version of a row with who (name
and role), when (local time), why, and each field that changed as its label with old → new
values (choices by their labels, foreign keys by name, long texts by the paragraphs that
changed with the full texts a click away); and the workflow's logs on the pages they belong to.

Used by the domain admins' django-simple-history pages and the other admins' history pages
(estates/admin/base.py) and by the nomination page's log (NominationLogInline)."""

import difflib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import BooleanField, FileField, Prefetch, Q
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .. import models
from ..access import visible
from ..numbers import plain_number
from ..people import person_name, with_note
from ..roles import role_of

EMPTY = _("（空）")
# Longer values, and any with a line break, are shown by the paragraphs that changed.
SHORT_TEXT = 60
SECONDS = _("Y年n月j日 H:i:s")


# --- People ---------------------------------------------------------------------------------


def actor_label(user):
    """The person and the role they acted in, e.g. "王明（部级管理员）" (the role read from the
    groups the page prefetched with people())."""
    if user is None:
        return str(EMPTY)
    cache = getattr(user, "_prefetched_objects_cache", {})
    if "groups" in cache and not hasattr(user, "_role_group_names"):
        user._role_group_names = {group.name for group in cache["groups"]}
    role = role_of(user)
    name = person_name(user, EMPTY)
    return with_note(name, role.label) if role is not None else name


def people(path):
    """The prefetch that lets actor_label() name the role of the users at `path` without a
    query per row."""
    return Prefetch(f"{path}__groups")


# --- Values -------------------------------------------------------------------------------


def display_value(model_field, value, names=None):
    """One stored value as a person reads it."""
    label = dict(model_field.flatchoices).get(value) if model_field.choices else None
    if label is not None:
        return str(label)  # a choice, even the blank one ("" is 精确 for an approximation)
    if value is None or value == "":
        return str(EMPTY)
    if model_field.is_relation:
        related = (names or {}).get((model_field.related_model, value))
        return str(related) if related is not None else _("（已删除，编号 %(id)s）") % {"id": value}
    if isinstance(model_field, BooleanField):
        return str(_("是") if value else _("否"))
    if isinstance(model_field, FileField):
        return _("文件 %(name)s") % {"name": str(value).rsplit("/", 1)[-1]}
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal):
        return plain_number(value)
    return str(value)


def is_long(text):
    return len(text) > SHORT_TEXT or "\n" in text


def short(text):
    return Truncator(" ".join(text.split())).chars(SHORT_TEXT, truncate="…")


@dataclass
class Change:
    """One field of a version that differs from the version before: its label, what changed
    as (old, new) pairs, and for long texts both texts in full."""

    label: str
    pairs: list = field(default_factory=list)
    old_text: str = ""
    new_text: str = ""

    @property
    def long(self):
        return bool(self.old_text or self.new_text)


def changed_paragraphs(old, new):
    """The paragraphs (lines) that differ between two texts, as shortened (old, new) pairs;
    "" on one side for a paragraph added or taken out."""
    before, after = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    pairs = [
        (short("\n".join(before[i1:i2])), short("\n".join(after[j1:j2])))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    return pairs or [(short(old), short(new))]  # only spaces at the ends differ


def describe_change(model_field, old, new, names):
    old_shown = display_value(model_field, old, names)
    new_shown = display_value(model_field, new, names)
    if old_shown == new_shown and isinstance(old, datetime) and isinstance(new, datetime):
        # Two saves in one minute: the seconds tell them apart.
        old_shown, new_shown = (
            formats.date_format(timezone.localtime(v), SECONDS) for v in (old, new)
        )
    change = Change(label=str(model_field.verbose_name))
    if isinstance(old, str) and isinstance(new, str) and (is_long(old) or is_long(new)):
        change.pairs = changed_paragraphs(old, new)
        change.old_text, change.new_text = old_shown, new_shown
    else:
        change.pairs = [(old_shown, new_shown)]
    return change


def shown_fields(record):
    """The fields of a version people edit, in the order of the form (no keys kept for search,
    counters or the version number)."""
    return [f for f in record.tracked_fields if f.editable and not f.primary_key]


def differing(newer, older):
    return [
        f for f in shown_fields(newer) if getattr(newer, f.attname) != getattr(older, f.attname)
    ]


def related_names(pairs):
    """{(model, id): object} for every foreign key that changed between the pairs of versions:
    one query per kind of foreign key, however many versions there are."""
    wanted = {}
    for newer, older in pairs:
        for f in differing(newer, older):
            if f.is_relation:
                ids = wanted.setdefault(f.related_model, set())
                ids.update(v for v in (getattr(newer, f.attname), getattr(older, f.attname)) if v)
    names = {}
    for model, ids in wanted.items():
        for pk, obj in model._base_manager.in_bulk(ids).items():
            names[(model, pk)] = obj
    return names


def annotate_changes(records, before_oldest=None):
    """Set `readable_changes` on each version (newest first): the fields that differ from the
    version before it; `before_oldest` is the version before the last one given, if any."""
    records = list(records)
    older = [*records[1:], before_oldest]
    pairs = [(newer, old) for newer, old in zip(records, older, strict=True) if old is not None]
    names = related_names(pairs)
    for record, old in zip(records, older, strict=True):
        record.readable_changes = []
        record.first_recorded = old is None  # the versions before it were not kept
    for newer, old in pairs:
        if newer.history_type == "~":
            newer.readable_changes = [
                describe_change(f, getattr(old, f.attname), getattr(newer, f.attname), names)
                for f in differing(newer, old)
            ]
    return records


def version_before(record):
    """The version recorded just before this one, or None."""
    earlier = Q(history_date__lt=record.history_date) | Q(
        history_date=record.history_date, history_id__lt=record.history_id
    )
    return (
        type(record)
        ._default_manager.filter(earlier, id=record.id)
        .order_by("-history_date", "-history_id")
        .first()
    )


# --- The admins' history pages ---------------------------------------------------------------


class ReadableHistoryMixin:
    """django-simple-history's pages (the versions of a row, and one version with its revert
    form) in words: see templates/simple_history/."""

    history_list_display = []

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return records.prefetch_related(people("history_user"))

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        if records:
            # The oldest version on this page is compared with the one before it (on the next
            # page), so every page lists what each of its versions changed.
            annotate_changes(records, version_before(records[-1]))
            historical_records.object_list = records

    def history_view_title(self, request, obj):
        return _("修改历史（%(obj)s）") % {"obj": history_name(obj)}

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            return _("查看历史版本：%(obj)s") % {"obj": history_name(obj)}
        return _("历史版本（可还原）：%(obj)s") % {"obj": history_name(obj)}

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = self.model.history
        record = (
            history.filter(id=object_id, history_id=version_id)
            .select_related("history_user")
            .prefetch_related(people("history_user"))
            .first()
        )
        if record is not None:
            annotate_changes([record], version_before(record))
        context = {"version": record, **(extra_context or {})}
        return super().history_form_view(request, object_id, version_id, context)


class LogEntryHistoryMixin:
    """Django's own history page (the admin's log of saves through these forms) for the
    models without django-simple-history: named readably, with people named and their role
    read in one query (templates/admin/object_history.html)."""

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        context = getattr(response, "context_data", None)
        if context and context.get("object") is not None:
            context["title"] = _("修改历史（%(obj)s）") % {"obj": history_name(context["object"])}
            page = context["action_list"]
            page.object_list = page.object_list.prefetch_related(people("user"))
        return response


def change_sentences(entry):
    """Django's message for one entry of its admin log, a sentence per part changed (a review's
    save lists each score row it changed) rather than one paragraph."""
    try:
        parts = json.loads(entry.change_message)
    except ValueError:
        parts = None
    if not isinstance(parts, list) or len(parts) < 2:
        return [entry.get_change_message() or entry.get_action_flag_display()]
    return [LogEntry(change_message=json.dumps([part])).get_change_message() for part in parts]


def history_name(obj):
    """The row a history page is about, as staff call it: a review by its estate and its
    reviewer ("评审：奥正诚园南区 · 张三"), an estate's or a nomination's row (a metric, an
    evidence text) with the estate's name before its own, anything else by its name."""
    if isinstance(obj, models.Review):
        return _("评审：%(estate)s · %(reviewer)s") % {
            "estate": obj.nomination.estate,
            "reviewer": person_name(obj.reviewer, EMPTY),
        }
    owner = getattr(obj, "nomination", None) or obj
    estate = getattr(owner, "estate", None) if not isinstance(obj, models.Nomination) else None
    return f"{estate} · {obj}" if estate is not None else str(obj)


# --- The workflow's logs on the pages they belong to --------------------------------------------


class LogColumns:
    """The columns of a log the workflow writes (who, when, from, to, why), in words."""

    empty_value_display = EMPTY

    @admin.display(description=_("操作人"))
    def who(self, entry):
        return actor_label(entry.actor)

    @admin.display(description=_("变更"))
    def change(self, entry):
        return str(entry)

    @admin.display(description=_("理由"))
    def reason_text(self, entry):
        return entry.reason or EMPTY

    def get_queryset(self, request):
        # No select_related() here: the admin list applies list_select_related only to a
        # queryset without one.
        return super().get_queryset(request).prefetch_related(people("actor"))


class LogInline(LogColumns, admin.TabularInline):
    """A workflow log read on its parent's page: never added to, changed or deleted there; the
    rows are those the user may see (estates.access)."""

    template = "admin/edit_inline/history_log.html"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ["at", "who", "change", "reason_text"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/history.css"]}

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NominationLogInline(LogInline):
    """The nomination's moves with their reasons (returned for correction, not selected,
    revoked …), for the ministry and the nomination's own province."""

    model = models.NominationTransition
    verbose_name = _("状态变更")
    verbose_name_plural = _("状态变更记录")


class PhaseLogColumns(LogColumns):
    """A campaign phase change also says whether a rule was overridden."""

    @admin.display(description=_("越过规则"), ordering="overridden")
    def override(self, entry):
        return _("是") if entry.overridden else _("否")


class CampaignPhaseLogInline(PhaseLogColumns, LogInline):
    """The campaign's phase changes, with the reason for any rule overridden."""

    model = models.CampaignPhaseChange
    fields = ["at", "who", "change", "override", "reason_text"]
    readonly_fields = fields
    verbose_name = _("阶段变更")
    verbose_name_plural = _("阶段变更记录")
