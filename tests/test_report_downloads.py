"""Downloading reports from the admin (issue 22): a nomination's as Word (and PDF, or a clear
word when the server has no converter), a campaign's as one streamed ZIP for the ministry,
with the list's filters; nobody downloads what they may not see."""

import io
import zipfile

import docx
import pytest
from django.urls import reverse

from estates.enums import NominationState
from estates.models import Campaign, Nomination

from .builders import make_staff

pytestmark = pytest.mark.django_db


def linyi():
    return Nomination.objects.get(estate__slug="aozhengchengyuannanqu")


def test_a_province_downloads_its_nominations_report_as_word(client):
    client.force_login(make_staff("provincial", "shandong"))
    response = client.get(reverse("admin:estates_nomination_report_docx", args=[linyi().pk]))
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    texts = [p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs]
    assert "（一）发挥党建引领物业管理作用" in texts


def test_another_provinces_report_is_not_there(client):
    client.force_login(make_staff("provincial", "beijing"))
    for name in ("report_docx", "report_pdf"):
        url = reverse(f"admin:estates_nomination_{name}", args=[linyi().pk])
        assert client.get(url).status_code == 404


def test_without_a_converter_the_page_says_so_and_the_pdf_link_explains(client, settings):
    settings.REPORT_PDF_CONVERTER = "/no/such/soffice"
    client.force_login(make_staff("provincial", "shandong"))
    change = reverse("admin:estates_nomination_change", args=[linyi().pk])
    page = client.get(change).content.decode()
    assert "服务器未安装 LibreOffice，暂不能下载 PDF" in page
    assert reverse("admin:estates_nomination_report_pdf", args=[linyi().pk]) not in page
    response = client.get(
        reverse("admin:estates_nomination_report_pdf", args=[linyi().pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == change
    assert "服务器未安装 LibreOffice，暂时不能生成 PDF" in response.content.decode()


def archive(client, **filters):
    response = client.get(reverse("admin:estates_nomination_report_archive"), filters)
    assert response.status_code == 200, response
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return response, files.namelist(), files


def test_the_ministry_downloads_a_campaigns_reports_as_one_zip(client):
    client.force_login(make_staff("ministry"))
    national = Campaign.objects.get(slug="quanguo-2021")
    listing = client.get(
        reverse("admin:estates_nomination_changelist"), {"campaign__id__exact": national.pk}
    ).content.decode()
    assert 'class="report-archive-link"' in listing
    response, names, files = archive(client, campaign__id__exact=national.pk)
    assert names == [
        "北京/01-双旗杆东里.docx",
        "北京/02-厂洼街7号院.docx",
        "北京/03-丽景长安.docx",
        "北京/04-西长安壹号.docx",
    ]
    assert "2021" in response["Content-Disposition"]
    first = docx.Document(io.BytesIO(files.read(names[0])))
    assert any("双旗杆东里" in p.text for p in first.paragraphs)


def test_the_zip_follows_the_lists_filters(client):
    client.force_login(make_staff("ministry"))
    national = Campaign.objects.get(slug="quanguo-2021")
    Nomination.objects.filter(estate__slug="lijingchangan").update(
        state=NominationState.NOT_SELECTED
    )
    _response, names, _files = archive(
        client, campaign__id__exact=national.pk, state__exact=NominationState.SELECTED
    )
    assert "北京/03-丽景长安.docx" not in names and len(names) == 3
    _response, names, _files = archive(client, campaign__id__exact=national.pk, q="丽景")
    assert names == ["北京/03-丽景长安.docx"]


def test_only_the_ministry_downloads_a_campaigns_zip_and_only_of_one_campaign(client):
    national = Campaign.objects.get(slug="quanguo-2021")
    url = reverse("admin:estates_nomination_report_archive")
    client.force_login(make_staff("provincial", "beijing"))
    assert client.get(url, {"campaign__id__exact": national.pk}).status_code == 403
    listing = client.get(
        reverse("admin:estates_nomination_changelist"), {"campaign__id__exact": national.pk}
    ).content.decode()
    assert "打包下载推荐报告" not in listing
    client.force_login(make_staff("ministry"))
    assert client.get(url).status_code == 403  # every campaign at once is not one download
    unfiltered = client.get(reverse("admin:estates_nomination_changelist")).content.decode()
    assert "report-archive-link" not in unfiltered


def test_drafts_stay_out_of_the_zip_unless_the_list_asks_for_them(client):
    client.force_login(make_staff("ministry"))
    national = Campaign.objects.get(slug="quanguo-2021")
    Nomination.objects.filter(estate__slug="lijingchangan").update(state=NominationState.DRAFT)
    _response, names, _files = archive(client, campaign__id__exact=national.pk)
    assert "北京/03-丽景长安.docx" not in names and len(names) == 3
    _response, names, _files = archive(
        client, campaign__id__exact=national.pk, state__exact=NominationState.DRAFT
    )
    assert names == ["北京/03-丽景长安.docx"]


def test_the_list_says_where_the_zip_is_until_a_campaign_is_chosen(client):
    client.force_login(make_staff("ministry"))
    listing = client.get(reverse("admin:estates_nomination_changelist")).content.decode()
    assert "按评选活动筛选后，可在右上角“打包下载推荐报告”" in listing
