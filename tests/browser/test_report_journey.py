"""A provincial clerk reads the province's Word report into a nomination she has started, as
she would: from the nomination list, the report chosen on the nomination's page, the preview
checked (one box she had typed, one requirement matched only by its number, the photo in the
report not read), her typed box replaced by choice, confirmed; then the report downloaded as
Word and PDF. The ministry downloads the campaign's reports as one ZIP from the filtered list.

The report is the Linyi report as another province writes it (bold headings, 一是/二是, its
own wording, indents of full-width spaces) with a phone photo in it, saved again by LibreOffice
where it is installed, as a clerk using WPS or LibreOffice would send it."""

import io
import shutil
import subprocess
import zipfile

import docx
import pytest
from docx.shared import Cm
from PIL import Image

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import City, CriterionEvidence, Estate, Nomination

from ..builders import campaign_like, make_staff, nominate
from ..report_documents import second_style_docx
from .conftest import log_in, screenshot

pytestmark = pytest.mark.browser

TYPED = "小区党支部与物业党支部每月召开一次联席会议（省里先录入的一段）。"


def phone_photo():
    """A 4032×3024 JPEG, as a phone takes it."""
    image = Image.new("RGB", (4032, 3024), (90, 140, 70))
    for x in range(0, 4032, 96):
        image.paste((200, 180, 90), (x, 0, x + 48, 3024))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return buffer


def provinces_report(folder):
    data, _expected = second_style_docx()
    document = docx.Document(io.BytesIO(data))
    document.add_paragraph("附：小区中心花园照片")
    document.add_picture(phone_photo(), width=Cm(14))
    path = folder / "奥正诚园北区推荐材料.docx"
    document.save(path)
    soffice = shutil.which("soffice")
    if soffice:
        # Saved again by LibreOffice: its own styles, numbering and zip, as WPS users send.
        out = folder / "libreoffice"
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(out),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        path = out / path.name
    return path


def a_started_nomination():
    campaign = campaign_like(
        "shandong-2023",
        CampaignPhase.NOMINATING,
        slug="shandong-2024",
        year=2024,
        title="山东省“加强物业管理 共建美好家园”活动",
    )
    linyi = City.objects.get(province__code="370000", slug="linyi")
    estate = Estate.objects.create(
        name="奥正诚园北区", province=linyi.province, city=linyi, district="河东区"
    )
    nomination = nominate(
        estate,
        campaign,
        state=NominationState.DRAFT,
        nominating_authority="临沂市住房和城乡建设局",
    )
    create_missing_evidence(nomination)
    CriterionEvidence.objects.filter(nomination=nomination, criterion__number=2).update(text=TYPED)
    return nomination


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_clerk_reads_the_provinces_report_and_the_ministry_downloads_the_campaigns(
    site, viewport, request, tmp_path
):
    page = request.getfixturevalue(viewport)
    nomination = a_started_nomination()
    report = provinces_report(tmp_path)
    make_staff("provincial", "shandong", username="sd-clerk")
    log_in(page, site, "sd-clerk")

    # From the nomination list to the nomination: one click.
    page.goto(site + "/admin/estates/nomination/")
    page.get_by_role("link", name="奥正诚园北区").first.click()
    page.wait_for_url(f"**/nomination/{nomination.pk}/change/")
    assert "还有 16 项材料未填写" in page.inner_text("#content")

    # Choose the file, 上传并预览: two clicks.
    page.set_input_files("#id_report_file", str(report))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector(".report-summary")
    body = page.inner_text("#content")
    assert "确认之前不会保存任何内容" in body
    assert "将填入 18 个空白栏目" in body  # 16 boxes, 概况 and 亮点
    assert "1 个栏目已有内容，与报告不同" in body
    assert "标题文字与本项不同，是按序号对应的，请核对" in body  # （四）
    assert "报告中有 1 张图片，没有读入" in body
    assert "Traceback" not in body and "None" not in body
    # Nothing saved by looking.
    assert CriterionEvidence.objects.get(nomination=nomination, criterion__number=1).text == ""
    # The facts the report gives, ticked because the estate has none.
    households = page.locator("input[name=take][value='fact:households']")
    assert households.is_checked()
    screenshot(page, "report-preview")

    # Her typed (二) stays unless she says otherwise: she takes the report's.
    choice = page.locator("article.report-choose")
    assert choice.count() == 1
    assert choice.locator("input[value=keep]").is_checked()
    choice.get_by_label("用报告中的内容替换").check()
    page.get_by_role("button", name="确认读入").click()
    page.wait_for_url(f"**/nomination/{nomination.pk}/change/")
    message = page.inner_text(".messagelist")
    assert "已从《奥正诚园北区推荐材料.docx》读入：填入 18 栏；替换 1 栏" in message
    assert "还有" not in page.inner_text(".nomination-state")
    first = page.locator("textarea[name='criterion_evidence-0-text']")
    assert first.input_value().startswith("一是从建立完善的基础设施")
    estate = Estate.objects.get(pk=nomination.estate_id)
    assert estate.households == 1250 and estate.land_area_in_mu
    assert CriterionEvidence.objects.get(nomination=nomination, criterion__number=2).text != TYPED
    screenshot(page, "report-read")

    # The report back out as Word, and as PDF where LibreOffice is installed.
    with page.expect_download() as download:
        page.locator(".report-links").get_by_role("link", name="Word").click()
    word = docx.Document(download.value.path())
    texts = [p.text for p in word.paragraphs]
    assert "（四）物业管理相关部门职责明确" in texts
    assert download.value.suggested_filename == "临沂市奥正诚园北区小区推荐材料-2024.docx"
    if shutil.which("soffice"):
        with page.expect_download() as download:
            page.locator(".report-links").get_by_role("link", name="PDF").click()
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"

    # She hands it in; the ministry downloads the campaign's reports from the filtered list.
    page.get_by_role("button", name="提交推荐").click()
    page.wait_for_url(f"**/nomination/{nomination.pk}/change/")
    assert Nomination.objects.get(pk=nomination.pk).state == NominationState.SUBMITTED
    make_staff("ministry", username="ministry-desk")
    page.context.clear_cookies()
    log_in(page, site, "ministry-desk")
    page.goto(site + f"/admin/estates/nomination/?campaign__id__exact={nomination.campaign_id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="打包下载推荐报告").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
        assert names == ["山东/奥正诚园北区.docx"]  # no place in the province's list yet
        inner = docx.Document(io.BytesIO(archive.read(names[0])))
        assert any("奥正诚园北区" in p.text for p in inner.paragraphs)
