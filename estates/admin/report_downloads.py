"""Downloading nominations' reports: one as Word or PDF from its page, a campaign's as a ZIP
of Word documents from the nomination list (the ministry's), with the list's filters."""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from .. import models
from ..enums import NominationState
from ..reports import pdf
from ..reports.archive import stream_reports
from ..reports.writing import (
    campaign_title,
    report_filename,
    report_queryset,
    safe_file_name,
    write_report,
)
from ..roles import Role, role_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _attachment(response, filename):
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


class ReportDownloadsMixin:
    """NominationAdmin's report downloads."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "reports.zip",
                view(self.report_archive_view),
                name="estates_nomination_report_archive",
            ),
            path(
                "<int:object_id>/report.docx",
                view(self.report_docx_view),
                name="estates_nomination_report_docx",
            ),
            path(
                "<int:object_id>/report.pdf",
                view(self.report_pdf_view),
                name="estates_nomination_report_pdf",
            ),
            *super().get_urls(),
        ]

    def _readable(self, request, object_id):
        nomination = self.get_object(request, str(object_id))
        if nomination is None or not self.has_view_permission(request, nomination):
            raise Http404
        return report_queryset(models.Nomination.objects.filter(pk=nomination.pk)).get()

    def report_docx_view(self, request, object_id):
        nomination = self._readable(request, object_id)
        response = HttpResponse(write_report(nomination), content_type=DOCX)
        return _attachment(response, report_filename(nomination, "docx"))

    def report_pdf_view(self, request, object_id):
        nomination = self._readable(request, object_id)
        try:
            content = pdf.report_pdf(nomination)
        except pdf.ReportPdfError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(
                reverse("admin:estates_nomination_change", args=[nomination.pk])
            )
        response = HttpResponse(content, content_type="application/pdf")
        return _attachment(response, report_filename(nomination, "pdf"))

    def report_downloads_context(self, request, nomination):
        links = [
            (_("Word"), reverse("admin:estates_nomination_report_docx", args=[nomination.pk])),
        ]
        missing = ""
        if pdf.converter() is None:
            missing = _("（服务器未安装 LibreOffice，暂不能下载 PDF。）")
        else:
            links.append(
                (_("PDF"), reverse("admin:estates_nomination_report_pdf", args=[nomination.pk]))
            )
        return {"report_downloads": links, "report_pdf_missing": missing}

    def _archive_campaign(self, request):
        """The campaign the list is filtered to, when the ministry may download its reports."""
        if role_of(request.user) != Role.MINISTRY:
            return None
        campaign_id = request.GET.get("campaign__id__exact", "")
        if not campaign_id.isdigit():
            return None
        return models.Campaign.objects.filter(pk=int(campaign_id)).first()

    def report_archive_view(self, request):
        campaign = self._archive_campaign(request)
        if campaign is None:
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:estates_nomination_changelist") + "?e=1")
        nominations = changelist.get_queryset(request)
        if "state__exact" not in request.GET:
            # A draft is the province's unfinished work, not a report filed with the ministry:
            # left out unless the list is filtered to drafts.
            nominations = nominations.exclude(state=NominationState.DRAFT)
        count = nominations.count()
        if not count:
            messages.warning(request, _("按当前筛选没有推荐，没有可下载的报告。"))
            return HttpResponseRedirect(
                reverse("admin:estates_nomination_changelist") + "?" + request.GET.urlencode()
            )
        # The list's own query carries its columns' annotations; the archive needs only which
        # nominations, read again with what a report reads.
        chosen = models.Nomination.objects.filter(pk__in=nominations.order_by().values("pk"))
        name = campaign_title(campaign) + _("推荐材料")
        province = request.GET.get("estate__province__code__exact") or request.GET.get(
            "estate__province__id__exact"
        )
        if province:
            first = chosen.select_related("estate__province").first()
            name += f"-{first.estate.province.short_name}"
        response = StreamingHttpResponse(
            stream_reports(report_queryset(chosen)), content_type="application/zip"
        )
        return _attachment(response, safe_file_name(name) + ".zip")

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if role_of(request.user) == Role.MINISTRY:
            extra_context["report_archive_hint"] = True
        if self._archive_campaign(request) is not None:
            query = request.GET.copy()
            query.pop("p", None)
            extra_context["report_archive_url"] = (
                reverse("admin:estates_nomination_report_archive") + "?" + query.urlencode()
            )
        return super().changelist_view(request, extra_context)
