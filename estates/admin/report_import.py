"""Reading a province's Word report into a nomination: upload, preview, confirm.

The upload is read at once (estates/reports/reading.py); what it found waits, as JSON in an
ImportUpload row named by a token signed for the clerk, while the preview shows box by box
what would change. Nothing is written before the clerk confirms, and text already typed is
replaced only where the clerk chose so for that box (estates/reports/importing.py).
"""

import json
import os
import re
import secrets

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import models
from ..access import can_import_report
from ..bulk import refusal
from ..pending import line_diff, waits_for_review
from ..reports import importing
from ..reports.reading import (
    ACTIVITIES,
    CRITERIA,
    Report,
    ReportRefused,
    check_size,
    read_report,
)
from ..spreadsheets import uploads

KIND = "nomination-report"


class ReportUploadForm(forms.Form):
    report = forms.FileField(
        label=gettext_lazy("推荐报告（Word 文档 .docx）"),
        error_messages={
            "required": gettext_lazy("请选择要读入的推荐报告文件。"),
            "empty": gettext_lazy("上传的文件是空的，请重新选择报告文件。"),
        },
        help_text=gettext_lazy(
            "按“基本情况、原则要求、8个‘一’、工作成效”写成的推荐报告。"
            "读入前会先显示每一栏将填入的内容，确认后才保存。"
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document"
            }
        ),
    )


def shown_name(name):
    """The file's name as the page and the history show it: no folders, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return (name or _("报告"))[:80]


class ReportImportMixin:
    """NominationAdmin's report upload and preview pages."""

    def get_urls(self):
        return [
            path(
                "<int:object_id>/report/",
                self.admin_site.admin_view(self.report_upload_view),
                name="estates_nomination_report",
            ),
            path(
                "<int:object_id>/report/<str:signed>/",
                self.admin_site.admin_view(self.report_preview_view),
                name="estates_nomination_report_preview",
            ),
            *super().get_urls(),
        ]

    def _importable(self, request, object_id):
        nomination = self.get_object(request, str(object_id))
        if nomination is None:
            raise Http404
        if not can_import_report(request.user, nomination):
            raise PermissionDenied
        return nomination

    def _may_change_estate(self, request):
        estate_admin = self.admin_site._registry[models.Estate]
        return lambda estate: estate_admin.has_change_permission(request, estate)

    def _report_page(self, request, nomination, template, context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": nomination,
            "change_url": reverse("admin:estates_nomination_change", args=[nomination.pk]),
            "changelist_url": reverse("admin:estates_nomination_changelist"),
            **context,
        }
        return TemplateResponse(request, template, context)

    def report_upload_view(self, request, object_id):
        nomination = self._importable(request, object_id)
        form = ReportUploadForm()
        if request.method == "POST":
            form = ReportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["report"]
                try:
                    check_size(upload.size)  # before it is read into memory
                    report = read_report(
                        upload.read(),
                        nomination.campaign.criteria.all(),
                        nomination.campaign.activity_requirements.all(),
                    )
                except ReportRefused as refused:
                    form.add_error("report", str(refused))
                else:
                    return HttpResponseRedirect(
                        self._keep(request, nomination, report, shown_name(upload.name))
                    )
        return self._report_page(
            request,
            nomination,
            "admin/estates/nomination/report_upload.html",
            {"title": _("读入 Word 推荐报告"), "form": form},
        )

    def _keep(self, request, nomination, report, filename):
        uploads.discard_expired()
        token = secrets.token_hex(16)
        payload = {
            "kind": KIND,
            "nomination": nomination.pk,
            "filename": filename,
            "report": report.as_json(),
        }
        models.ImportUpload.objects.create(
            token=token, data=json.dumps(payload, ensure_ascii=False).encode("utf-8")
        )
        return reverse(
            "admin:estates_nomination_report_preview",
            args=[nomination.pk, uploads.signed_name(token, request.user)],
        )

    def _payload(self, request, nomination, signed):
        """(token, payload) of the preview, or a redirect saying why it is gone."""
        upload_url = reverse("admin:estates_nomination_report", args=[nomination.pk])
        try:
            token = uploads.token_from(signed, request.user)
        except signing.SignatureExpired:
            messages.error(request, _("预览已过期（超过两小时），报告没有读入。请重新上传。"))
            return None, HttpResponseRedirect(upload_url)
        except signing.BadSignature as error:
            raise Http404 from error
        row = models.ImportUpload.objects.filter(token=token).first()
        if row is None:
            messages.error(request, _("预览已过期，报告没有读入。请重新上传。"))
            return None, HttpResponseRedirect(upload_url)
        if row.imported_at is not None:
            messages.info(
                request,
                _("这份报告已经读入过，没有再读一次。上次的结果：%(outcome)s")
                % {"outcome": row.outcome or "—"},
            )
            return None, HttpResponseRedirect(
                reverse("admin:estates_nomination_change", args=[nomination.pk])
            )
        try:
            payload = json.loads(bytes(row.data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise Http404 from error
        if payload.get("kind") != KIND or payload.get("nomination") != nomination.pk:
            raise Http404
        return token, payload

    def report_preview_view(self, request, object_id, signed):
        nomination = self._importable(request, object_id)
        token, payload = self._payload(request, nomination, signed)
        if token is None:
            return payload  # the redirect
        report = Report.from_json(payload["report"])
        may_change_estate = self._may_change_estate(request)
        if request.method == "POST":
            return self._confirm(request, nomination, token, payload, report, may_change_estate)
        preview = importing.plan(report, nomination)
        for box in preview.boxes:
            box.lines = line_diff(box.current, box.new) if box.status == importing.CHOOSE else []
        estate = nomination.estate
        return self._report_page(
            request,
            nomination,
            "admin/estates/nomination/report_preview.html",
            {
                "title": _("核对读入的内容"),
                "filename": payload["filename"],
                "preview": preview,
                "groups": _groups(preview),
                "first_choice": next(
                    (b.key for b in preview.boxes if b.status == importing.CHOOSE), ""
                ),
                "counts": preview.counts(),
                "facts_to_offer": [f for f in preview.facts if f.status in ("new", "differs")],
                "may_change_estate": may_change_estate(estate),
                "estate_waits": waits_for_review(request.user, estate),
                "missing_sections": _missing_sections(report),
            },
        )

    def _confirm(self, request, nomination, token, payload, report, may_change_estate):
        choices = set(request.POST.getlist("take"))
        for key, value in request.POST.items():
            if key.startswith("choice-") and value == "replace":
                choices.add(key.removeprefix("choice-"))
        seen = {
            key.removeprefix("seen-"): value
            for key, value in request.POST.items()
            if key.startswith("seen-")
        }
        change_url = reverse("admin:estates_nomination_change", args=[nomination.pk])
        try:
            with transaction.atomic():
                row = uploads.take(token)
                if row is None or row.imported_at is not None:
                    messages.info(
                        request,
                        _("这份报告已经读入过，没有再读一次。上次的结果：%(outcome)s")
                        % {"outcome": (row.outcome if row else "") or "—"},
                    )
                    return HttpResponseRedirect(change_url)
                outcome = importing.apply(
                    report,
                    nomination.pk,
                    choices,
                    seen,
                    request.user,
                    payload["filename"],
                    may_change_estate,
                    lambda locked: can_import_report(request.user, locked),
                )
                text = _outcome_text(payload["filename"], outcome)
                row.imported_at = timezone.now()
                row.outcome = text[:200]
                row.data = b""
                row.save()
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, _("报告没有读入：%(why)s") % {"why": refusal(error)})
            return HttpResponseRedirect(change_url)
        level = (
            messages.SUCCESS
            if outcome.filled or outcome.replaced or outcome.facts
            else messages.INFO
        )
        messages.add_message(request, level, text)
        if outcome.changed_since:
            messages.warning(
                request,
                _("以下栏目在您预览之后被修改过，为免覆盖没有读入，请核对后再读入一次：%(items)s")
                % {"items": "；".join(outcome.changed_since)},
            )
        return HttpResponseRedirect(change_url)


def _groups(preview):
    titles = {
        CRITERIA: _("二、满足“美好家园”小区原则要求情况"),
        ACTIVITIES: _("三、8个“一”活动开展情况"),
        "estate": _("小区资料：概况与亮点"),
    }
    return [
        (group, titles[group], [b for b in preview.boxes if b.group == group])
        for group in (CRITERIA, ACTIVITIES, "estate")
    ]


def _missing_sections(report):
    from ..reports import structure

    wanted = [
        (CRITERIA, _("二、满足“美好家园”小区原则要求情况")),
        (ACTIVITIES, _("三、8个“一”活动开展情况")),
        (structure.BASIC, _("一、基本情况")),
        (structure.RESULTS, _("四、工作成效及亮点")),
    ]
    return [label for key, label in wanted if key not in report.sections_found]


def _outcome_text(filename, outcome):
    parts = []
    if outcome.filled:
        parts.append(_("填入 %(n)s 栏") % {"n": len(outcome.filled)})
    if outcome.replaced:
        parts.append(_("替换 %(n)s 栏") % {"n": len(outcome.replaced)})
    if outcome.kept:
        parts.append(_("保留原有内容 %(n)s 栏") % {"n": len(outcome.kept)})
    if outcome.facts:
        facts = _("小区基本情况 %(n)s 项（%(items)s）") % {
            "n": len(outcome.facts),
            "items": "、".join(outcome.facts),
        }
        if outcome.estate_pending:
            facts += _("，已提交审核，审核通过后生效")
        parts.append(facts)
    if not parts:
        return _("《%(name)s》：没有读入任何内容。") % {"name": filename}
    return _("已从《%(name)s》读入：%(parts)s。") % {"name": filename, "parts": "；".join(parts)}
