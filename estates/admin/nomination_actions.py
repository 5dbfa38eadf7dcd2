"""The ministry's actions on the nomination list: a workflow move on many nominations (a page
listing the rows with one reason for all and the shortlisting threshold warnings, then the
result of every row), and the automatic assignment of reviewers (a plan previewed, saved only
as shown). Both work on Django's selection, "all N matching" across pages included."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..assignment import current_plan, save_plan
from ..bulk import BULK_TARGETS, bulk_move, move_each, notices_running, preview
from ..models import Campaign, Nomination
from ..numbers import percent_text
from ..roles import Role, role_of
from .base import usable_key

TEMPLATES = "admin/estates/nomination/"
WRONG_ROWS = _("所选推荐的编号有误，请回到列表重新选择。")


class BulkMoveForm(forms.Form):
    reason = forms.CharField(
        label=_("理由（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "填写一次，所有选中的推荐共用；会记入每项推荐的状态变更记录。"
            "退回修改、确定入选或未入选、撤销入选时，也会通知各推荐所在省的填报员。"
        ),
    )
    # The rows shown on the confirmation page: exactly these are moved, and each gets a
    # result, even one that has left the list's filter since.
    rows = forms.CharField(widget=forms.HiddenInput, error_messages={"required": WRONG_ROWS})

    early = forms.BooleanField(
        label=_("在公示期结束前确定入选"),
        required=False,
        help_text=_("勾选后理由必填（写在上面的理由框中）。"),
    )

    def __init__(self, *args, move, notice_running=False, **kwargs):
        super().__init__(*args, **kwargs)
        if move.needs_reason:
            self.fields["reason"].required = True
            self.fields["reason"].label = _("理由（必填）")
        if not notice_running:
            del self.fields["early"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("early") and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("在公示期结束前确定入选需要填写理由。"))
        return cleaned

    def clean_rows(self):
        ids = row_ids(self.cleaned_data["rows"])
        if not ids:
            raise ValidationError(WRONG_ROWS)
        return ids


def row_ids(text):
    """The nomination ids of the confirmation page's "rows" ("12,15,40"), those a column
    can hold."""
    pk = Nomination._meta.pk
    return [int(key) for key in text.split(",") if key.isascii() and usable_key(pk, key)]


class AssignmentForm(forms.Form):
    wanted = forms.IntegerField(
        label=_("每项推荐的评审专家人数"),
        min_value=1,
        max_value=15,
        help_text=_("默认为评选活动的设置；已分配的专家计入人数，不会重复分配。"),
    )


def action_name(move):
    return f"move_to_{move.to_state}"


def bulk_move_action(to_state):
    """An admin action making the workflow's move to `to_state` on the selected rows."""
    move = bulk_move(to_state)

    def action(modeladmin, request, queryset):
        return modeladmin.bulk_move_view(request, queryset, move)

    action.__name__ = action_name(move)
    description = format_lazy(_("所选推荐：{move}"), move=move.label)
    return admin.action(permissions=["ministry"], description=description)(action)


class NominationActionsMixin:
    actions = [*(bulk_move_action(state) for state in BULK_TARGETS), "assign_reviewers"]

    def has_ministry_permission(self, request):
        return role_of(request.user) == Role.MINISTRY

    def bulk_move_view(self, request, queryset, move):
        confirmed = "_bulk_confirm" in request.POST
        if confirmed:
            nominations = self._rows(request, row_ids(request.POST.get("rows", "")))
        else:
            nominations = list(queryset.select_related("estate__province", "campaign"))
        rows = preview(nominations, move.to_state, request.user)
        running = notices_running(rows, move.to_state)
        form = BulkMoveForm(
            request.POST if confirmed else None, move=move, notice_running=bool(running)
        )
        if confirmed and form.is_valid():
            # `nominations` are the rows of form.cleaned_data["rows"], read above.
            rows = move_each(
                nominations,
                move.to_state,
                request.user,
                form.cleaned_data["reason"],
                early=form.cleaned_data.get("early", False),
            )
            done = sum(row.done for row in rows)
            return self._page(
                request,
                "bulk_result.html",
                action_name(move),
                move=move,
                rows=rows,
                done=done,
                refused=len(rows) - done,
                title=_("%(move)s：结果") % {"move": move.label},
            )
        if not confirmed:
            form.initial["rows"] = ",".join(str(n.pk) for n in nominations)
        for row in rows:  # the figures the decision rests on, as the list shows them
            row.satisfaction = percent_text(row.nomination.latest_satisfaction)
            row.fee_collection = percent_text(row.nomination.latest_fee_collection)
            row.review_total = self.review_total(row.nomination)
            row.review_spread = self.review_spread(row.nomination)
        return self._page(
            request,
            "bulk_confirm.html",
            action_name(move),
            move=move,
            form=form,
            rows=rows,
            possible=sum(row.possible for row in rows),
            warned=sum(bool(row.warnings) for row in rows),
            notices_running=running,
            title=_("%(move)s：确认") % {"move": move.label},
        )

    @admin.action(permissions=["ministry"], description=_("所选推荐：自动分配评审专家"))
    def assign_reviewers(self, request, queryset):
        selection = self.model.objects.filter(pk__in=queryset.values("pk")).order_by(*self.ordering)
        campaigns = list(Campaign.objects.filter(pk__in=selection.values("campaign")))
        if len(campaigns) != 1:
            self.message_user(
                request,
                _(
                    "一次只能为一个评选活动分配评审专家：所选推荐来自 %(count)s 个评选活动。"
                    "请先在右侧按“评选活动”筛选，再选择推荐。"
                )
                % {"count": len(campaigns)},
                messages.ERROR,
            )
            return None
        [campaign] = campaigns
        posted = "_assign" in request.POST or "_assign_confirm" in request.POST
        form = AssignmentForm(
            request.POST if posted else None,
            initial={"wanted": campaign.reviewers_per_nomination},
        )
        wanted = form.cleaned_data["wanted"] if posted and form.is_valid() else None
        if "_assign_confirm" in request.POST and wanted is not None:
            shown = request.POST.get("plan", "")
            plan, saved = save_plan(campaign, selection, wanted, shown, request.user)
            if saved:
                self.message_user(
                    request,
                    _("已为 %(rows)s 项推荐分配了 %(count)s 位次评审专家。")
                    % {"rows": len({n for n, _r in plan.pairs()}), "count": plan.new_count},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(request.get_full_path())
            self.message_user(
                request,
                _(
                    "没有保存：你查看方案之后，有人分配了评审专家或改动了推荐。"
                    "下面是按现在的情况重新计算的方案，请核对后再确认。"
                ),
                messages.WARNING,
            )
        else:
            plan = current_plan(campaign, selection, wanted)
        return self._page(
            request,
            "assign_preview.html",
            "assign_reviewers",
            campaign=campaign,
            form=form,
            plan=plan,
            wanted=wanted or campaign.reviewers_per_nomination,
            title=_("自动分配评审专家：%(campaign)s") % {"campaign": campaign},
        )

    def _rows(self, request, ids):
        return list(
            self.get_queryset(request)
            .filter(pk__in=ids)
            .select_related("estate__province", "campaign")
        )

    def _page(self, request, template, action, **context):
        """A page of an action: posts back to the list it came from (its filters in the URL)
        with the same action and selection."""
        return TemplateResponse(
            request,
            TEMPLATES + template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "action": action,
                "select_across": request.POST.get("select_across", "0"),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "changelist_url": request.get_full_path(),
                **context,
            },
        )
