"""Edits of public estates waiting for review (estates/pending.py): the list editors and the
ministry work through, a change's page with what it changes and the decision, and what the
estate's own page does when a province saves a public estate."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .. import pending
from ..models import PendingChange
from ..models.pending import PendingChangeState as State
from ..roles import Role, role_of
from .base import ScopedAdminMixin, estate_of, is_published_estate

# The list's address for "what waits for me": /admin/estates/pendingchange/?state=pending
# (the list opens on it without a parameter too).
STATE_PARAM = "state"


def changelist_url(state=State.PENDING):
    return f"{reverse('admin:estates_pendingchange_changelist')}?{STATE_PARAM}={state}"


def held_for_review(request, obj):
    """Whether the page is a provincial clerk's, of a public estate or one of its rows: what
    they save there waits for review, and the estate's rows are shown, not offered."""
    estate = estate_of(obj) if obj is not None else None
    return (
        role_of(request.user) == Role.PROVINCIAL
        and estate is not None
        and estate.pk is not None
        and is_published_estate(estate)
    )


OUTCOME_MESSAGES = {
    pending.SUBMITTED: _(
        "“%(estate)s”已在公开网站展示，你的修改（%(fields)s）已提交审核，编辑或部级管理员"
        "批准后才会公开；在此之前，公开网站仍显示原来的内容。"
    ),
    pending.UPDATED: _(
        "“%(estate)s”待审核的修改已更新（%(fields)s），仍在等待审核；公开网站仍显示原来的内容。"
    ),
    pending.KEPT: _("“%(estate)s”待审核的修改（%(fields)s）没有变化，仍在等待审核。"),
    pending.WITHDRAWN: _("你填写的内容与公开的版本相同，“%(estate)s”待审核的修改已撤回。"),
    pending.UNCHANGED: _("“%(estate)s”的内容与公开的版本相同，没有需要审核的修改。"),
}


def outcome_message(estate, change, outcome):
    labels = pending.changed_labels(change) if change is not None else []
    if change is not None and change.note:
        labels.append(str(_("修改说明")))
    return OUTCOME_MESSAGES[outcome] % {"estate": estate, "fields": "、".join(labels)}


def _folded(fieldset):
    return "collapse" in fieldset[1].get("classes", ())


class ReviewedEditsMixin:
    """For the estate's admin: a provincial clerk's save of a public estate is kept as a change
    waiting for review instead of being saved (estates/pending.py); the page opens with the
    waiting change and says where it stands. Everyone else's saves go live as before."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # A revert (the history page) has its own form: its save waits too (save_model).
        if held_for_review(request, obj) and not getattr(request, "_reverting", False):
            form.reviewed = True
            form.opened_with = self._resumed(request, obj)
        return form

    def _resumed(self, request, estate):
        """The values of a rejected (or withdrawn) change, when the clerk asks to open the form
        with them (?resume=<id>): nothing they typed is lost with the rejection."""
        pk = request.GET.get("resume", "")
        if not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
            return None
        change = (
            PendingChange.objects.filter(pk=pk, estate=estate).exclude(state=State.PENDING).first()
        )
        return pending.form_values(change) if change is not None else None

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if held_for_review(request, obj) and self.has_change_permission(request, obj):
            # After what is typed, before the folded record.
            at = next((i for i, fieldset in enumerate(fieldsets) if _folded(fieldset)), None)
            at = len(fieldsets) if at is None else at
            note = (_("提交审核"), {"fields": ["review_note"]})
            fieldsets = [*fieldsets[:at], note, *fieldsets[at:]]
        return fieldsets

    def save_model(self, request, obj, form, change):
        if change and pending.waits_for_review(request.user, obj):
            values = {
                f.name: f.value_from_object(obj)
                for f in pending.reviewed_fields()
                if f.name in form.cleaned_data
            }
            note = form.cleaned_data.get("review_note", "")
            request.review_outcome = pending.submit(obj, values, request.user, note)
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "review_outcome", None) is None:
            super().save_related(request, form, formsets, change)
        # Waiting for review: the rows are not offered (EstateInline), so nothing is saved.

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "review_outcome", None) is not None:
            return ""  # the rows were not saved; log_change says what happened
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request, obj, message):
        outcome = getattr(request, "review_outcome", None)
        if outcome is not None:
            message = outcome_message(obj, *outcome)
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        outcome = getattr(request, "review_outcome", None)
        if outcome is None:
            return super().response_change(request, obj)
        change, what = outcome
        level = messages.INFO if what == pending.UNCHANGED else messages.SUCCESS
        self.message_user(request, outcome_message(obj, change, what), level)
        if "_continue" in request.POST or getattr(request, "_reverting", False):
            url = reverse("admin:estates_estate_change", args=[obj.pk])
        else:
            url = reverse("admin:estates_estate_changelist")
        return HttpResponseRedirect(url)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["review"] = self.review_banner(request, obj, context["adminform"].form)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def review_banner(self, request, estate, form):
        """What the page says about changes waiting for review, or None."""
        role = role_of(request.user)
        if role == Role.PROVINCIAL and is_published_estate(estate):
            waiting = getattr(form, "waiting", None)
            last = None
            if waiting is None:
                last = (
                    PendingChange.objects.filter(estate=estate)
                    .exclude(state=State.PENDING)
                    .select_related("decided_by")
                    .order_by("-decided_at", "-pk")
                    .first()
                )
            return {
                "held": True,
                "waiting": waiting,
                "last": last if last is None or last.state != State.WITHDRAWN else None,
                "labels": "、".join(pending.changed_labels(waiting or last))
                if (waiting or last)
                else "",
            }
        if role in pending.DECIDERS:
            waiting = pending.open_change(estate)
            if waiting is not None:
                return {
                    "held": False,
                    "waiting": waiting,
                    "labels": "、".join(pending.changed_labels(waiting)),
                    "may_decide": pending.may_decide(request.user),
                }
        return None


class StateFilter(admin.SimpleListFilter):
    """The state, waiting ones by default: the list is a queue to work through."""

    title = _("状态")
    parameter_name = STATE_PARAM
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*State.choices, (self.ALL, _("全部"))]

    def value(self):
        return super().value() or State.PENDING

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value not in State.values:
            raise IncorrectLookupParameters
        return queryset.filter(state=value)

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


@admin.register(PendingChange)
class PendingChangeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/estates/pendingchange/change_form.html"
    list_display = [
        "estate_name",
        "province",
        "changed_fields",
        "author",
        "submitted_at",
        "state",
        "review_state",
    ]
    list_display_links = ["estate_name"]
    list_filter = [StateFilter, "estate__province"]
    list_per_page = 50
    search_fields = ["estate__name"]
    search_help_text = _("按小区名称搜索")
    actions = ["approve_selected", "reject_selected"]
    fields = ["state"]  # the page shows the change itself (its template), not a form

    class Media:
        css = {"all": ["css/pending-changes.css"]}

    def get_queryset(self, request):
        changes = (
            super().get_queryset(request).select_related("estate__province", "author", "decided_by")
        )
        return pending.visible_changes(changes, request.user)

    # Changes are made by saving an estate and decided here; nobody edits or deletes them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return pending.may_decide(request.user)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="estates_pendingchange_decide",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        waiting = self.get_queryset(request).filter(state=State.PENDING).count()
        title = _("待审核的修改（%(n)s 项待审核）") % {"n": waiting}
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.review_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def review_context(self, request, change):
        estate = change.estate
        rows = pending.field_changes(change, estate)
        return {
            "title": _("审核修改") if change.is_open else _("修改记录"),
            "subtitle": str(estate),
            "proposal": change,
            "estate": estate,
            "rows": rows,
            "conflicting": [row for row in rows if row.conflict],
            "may_decide": change.is_open and self.has_decide_permission(request),
            "may_withdraw": change.is_open and role_of(request.user) == Role.PROVINCIAL,
            "estate_url": reverse("admin:estates_estate_change", args=[estate.pk]),
            "public_url": estate.get_absolute_url() if is_published_estate(estate) else None,
            "list_url": changelist_url(),
        }

    def decide_view(self, request, object_id):
        if request.method != "POST":
            raise Http404
        change = get_object_or_404(self.get_queryset(request), pk=object_id)
        decision = request.POST.get("decision", "")
        try:
            done = self._decide(request, change, decision)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:estates_pendingchange_change", args=[change.pk])
            )
        self.message_user(request, done, messages.SUCCESS)
        if decision == "withdraw":
            return HttpResponseRedirect(
                reverse("admin:estates_estate_change", args=[change.estate_id])
            )
        return self._next(request)

    def _decide(self, request, change, decision):
        """Make the decision; returns what to tell the person."""
        labels = "、".join(pending.changed_labels(change)) or _("修改说明")
        names = {"estate": change.estate, "fields": labels}
        if decision == "withdraw":
            pending.withdraw(change, request.user)
            return _("已撤回“%(estate)s”待审核的修改，公开网站的内容没有变化。") % names
        if not self.has_decide_permission(request):
            raise PermissionDenied(_("您没有权限审核这项修改。"))
        if decision == "approve":
            pending.approve(change, request.user, seen_version=_number(request.POST))
            return _("已批准“%(estate)s”的修改（%(fields)s），公开网站已显示新的内容。") % names
        if decision == "reject":
            pending.reject(change, request.user, request.POST.get("reason", ""))
            return _("已退回“%(estate)s”的修改，提交人会在小区页面看到退回理由。") % names
        raise ValidationError(_("没有执行：请点击“批准”或“退回”按钮。"), code="unknown")

    def _next(self, request):
        """On to the next change waiting, oldest first (one click per change), or back to
        the list when none is left."""
        following = self.get_queryset(request).filter(state=State.PENDING).first()
        if following is None:
            self.message_user(request, _("没有其他待审核的修改了。"), messages.INFO)
            return HttpResponseRedirect(changelist_url())
        return HttpResponseRedirect(
            reverse("admin:estates_pendingchange_change", args=[following.pk])
        )

    @admin.action(description=_("批准所选的修改"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        done, refused = [], []
        for change in queryset.filter(state=State.PENDING):
            try:
                pending.approve(change, request.user)
            except (ValidationError, PermissionDenied) as error:
                refused.append(" ".join(getattr(error, "messages", [str(error)])))
            else:
                done.append(str(change.estate))
        if done:
            self.message_user(
                request,
                _("已批准 %(n)s 项修改：%(estates)s。公开网站已显示新的内容。")
                % {"n": len(done), "estates": "、".join(done)},
                messages.SUCCESS,
            )
        for text in refused:
            self.message_user(request, text, messages.ERROR)
        if not done and not refused:
            self.message_user(request, _("所选的修改都已处理过，没有待审核的。"), messages.INFO)

    @admin.action(description=_("退回所选的修改（填写理由）"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        """Asks for one reason on a page listing the changes, then rejects each of them."""
        changes = list(queryset.filter(state=State.PENDING))
        reason = request.POST.get("reason", "")
        error = None
        if request.POST.get("post") == "yes" and changes:
            try:
                for change in changes:
                    pending.reject(change, request.user, reason)
            except ValidationError as refused:
                error = " ".join(refused.messages)
            else:
                self.message_user(
                    request,
                    _("已退回 %(n)s 项修改：%(estates)s。提交人会在小区页面看到退回理由。")
                    % {"n": len(changes), "estates": "、".join(str(c.estate) for c in changes)},
                    messages.SUCCESS,
                )
                return None
        if not changes:
            self.message_user(request, _("所选的修改都已处理过，没有待审核的。"), messages.INFO)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("退回所选的修改"),
            "opts": self.opts,
            "changes": changes,
            "reason": reason,
            "error": error,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(
            request, "admin/estates/pendingchange/reject_selected.html", context
        )

    @admin.display(description=_("小区"), ordering="estate__name_pinyin")
    def estate_name(self, change):
        return change.estate.name

    @admin.display(description=_("省份"), ordering="estate__province_order")
    def province(self, change):
        return change.estate.province.short_name

    @admin.display(description=_("修改的内容"))
    def changed_fields(self, change):
        labels = pending.changed_labels(change)
        if change.note:
            labels.append(str(_("修改说明")))
        return Truncator("、".join(labels)).chars(40)

    @admin.display(description=_("审核情况"))
    def review_state(self, change):
        if not change.is_open:
            when = timezone.localtime(change.decided_at).strftime("%Y-%m-%d %H:%M")
            return _("%(who)s 于 %(when)s %(state)s") % {
                "who": change.decided_by or "—",
                "when": when,
                "state": change.get_state_display(),
            }
        clashing = pending.conflicts(change, change.estate)
        if not clashing:
            return "—"
        return _("需核对：提交后%(fields)s已被他人修改") % {"fields": pending.labels_of(clashing)}


def _number(data, name="seen_version"):
    value = data.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
