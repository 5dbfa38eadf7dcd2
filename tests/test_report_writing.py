"""A nomination's report written as Word (estates/reports/writing.py) and PDF (pdf.py), and a
campaign's reports as one streamed ZIP (archive.py), read back as their readers would."""

import io
import os
import shutil
import subprocess
import zipfile

import docx
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from docx.oxml.ns import qn
from PIL import Image

from estates.models import ActivityEvidence, CriterionEvidence, Nomination, Photo
from estates.reports import structure
from estates.reports.archive import stream_reports
from estates.reports.pdf import ConverterMissing, content_key, report_converter_check, report_pdf
from estates.reports.writing import report_queryset, write_report

from .growth import grow

pytestmark = pytest.mark.django_db

BODY = "Normal"


def linyi():
    return report_queryset(Nomination.objects.filter(campaign__slug="shandong-2023")).get()


def read(data):
    return docx.Document(io.BytesIO(data))


def styled(document):
    return [(p.style.name, p.text) for p in document.paragraphs]


def under_headings(document, style="Heading 2"):
    """{heading text: [body paragraphs until the next heading of any level]}."""
    sections, current = {}, None
    for name, text in styled(document):
        if name == style:
            current = sections.setdefault(text, [])
        elif name.startswith("Heading"):
            current = None
        elif current is not None and name == BODY:
            current.append(text)
    return sections


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def table_rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_title_and_the_five_headings_in_order():
    nomination = linyi()
    document = read(write_report(nomination))
    paragraphs = styled(document)
    assert paragraphs[0] == ("Title", "临沂市奥正诚园南区小区")
    assert paragraphs[1] == (
        "Subtitle",
        "2023年山东省“加强物业管理 共建美好家园”活动\n推荐单位：临沂市住房和城乡建设局",
    )
    assert [text for name, text in paragraphs if name == "Heading 1"] == [
        "一、基本情况",
        "二、满足“美好家园”小区原则要求情况",
        "三、8个“一”活动开展情况",
        "四、工作成效及亮点",
        "五、图片资料",
    ]


def test_requirements_and_activities_are_heading_2_in_number_order():
    nomination = linyi()
    document = read(write_report(nomination))
    criteria = [str(c) for c in nomination.campaign.criteria.all()]
    activities = [str(a) for a in nomination.campaign.activity_requirements.all()]
    assert len(criteria) == 9 and len(activities) == 8
    assert criteria[0] == "（一）发挥党建引领物业管理作用"
    headings = [text for name, text in styled(document) if name == "Heading 2"]
    assert headings == criteria + activities
    order = [text for name, text in styled(document) if name.startswith("Heading")]
    assert order.index("二、满足“美好家园”小区原则要求情况") < order.index(criteria[0])
    assert order.index(criteria[-1]) < order.index("三、8个“一”活动开展情况")
    assert order.index("三、8个“一”活动开展情况") < order.index(activities[0])


def test_every_evidence_text_is_written_word_for_word():
    nomination = linyi()
    sections = under_headings(read(write_report(nomination)))
    evidence = [(str(e.criterion), e.text) for e in nomination.criterion_evidence.all()]
    evidence += [(str(e.requirement), e.text) for e in nomination.activity_evidence.all()]
    assert len(evidence) == 17
    for heading, text in evidence:
        assert sections[heading] == lines(text), heading
    fifth = sections["（五）实行专业化物业管理"][0]
    assert "包括监控摄像739台，人脸识别32台" in fifth


def test_overview_and_highlights_paragraph_by_paragraph():
    nomination = linyi()
    document = read(write_report(nomination))
    basic = under_headings(document, "Heading 1")
    assert basic["一、基本情况"] == lines(nomination.estate.overview)
    assert len(basic["一、基本情况"]) == 2
    assert basic["四、工作成效及亮点"][:2] == lines(nomination.estate.highlights)


def test_an_empty_box_says_so_and_text_keeps_its_spaces():
    nomination = linyi()
    first = nomination.criterion_evidence.get(criterion__number=1)
    first.text = ""
    first.save()
    CriterionEvidence.objects.filter(nomination=nomination, criterion__number=2).delete()
    ActivityEvidence.objects.filter(nomination=nomination, requirement__number=3).update(
        text="第一段， 两个空格  在中间。\n\n  第二段前有空格。"
    )
    sections = under_headings(read(write_report(linyi())))
    assert sections["（一）发挥党建引领物业管理作用"] == [structure.EMPTY_BOX]
    assert sections["（二）业主大会和业主委员会运行良好"] == [structure.EMPTY_BOX]
    assert sections["（三）每季度公示一次公共收益资金收支情况"] == [
        "第一段， 两个空格  在中间。",
        "  第二段前有空格。",
    ]


def test_basic_facts_table_with_exact_numbers_and_unknowns():
    nomination = linyi()
    table = read(write_report(nomination)).tables[0]
    rows = table_rows(table)
    assert rows[0] == ["项目", "内容"]
    facts = dict(rows[1:])
    assert facts == {
        "所在地区": "山东省临沂市河东区九曲街道奥正社区",
        "小区类型": "商品住宅",
        "建成年份": "未提供",
        "占地面积": "299亩（约19.93万平方米）",
        "总建筑面积": "约34万平方米",
        "户数": "1250户",
        "楼栋": "53栋（6栋叠加别墅和47栋电梯花园洋房）",
        "容积率": "1.16",
        "绿化覆盖率": "39%",
        "物业服务企业": "正直物业",
        "推荐单位": "临沂市住房和城乡建设局",
    }
    estate = nomination.estate
    estate.households = estate.plot_ratio = estate.green_coverage = estate.land_area = None
    estate.buildings, estate.building_note = None, ""
    estate.construction_period = "上世纪90年代"
    estate.save()
    facts = dict(table_rows(read(write_report(linyi())).tables[0])[1:])
    for label in ("户数", "容积率", "绿化覆盖率", "占地面积", "楼栋"):
        assert facts[label] == "未提供", label
    assert facts["建成年代"] == "上世纪90年代"


def test_metrics_with_their_dates_and_key_figures():
    document = read(write_report(linyi()))
    headings = [text for name, text in styled(document) if name == "Heading 3"]
    assert headings == ["主要指标", "成效数据"]
    metrics = table_rows(document.tables[1])
    assert metrics[0] == ["指标", "数值", "时间", "说明"]
    assert metrics[1][:3] == ["业主满意度", "96.55%", "2022年12月31日"]
    assert ["物业费收缴率", "98.63%", "2021年12月31日"] in [row[:3] for row in metrics]
    figures = {row[0]: row[1] for row in table_rows(document.tables[2])[1:]}
    assert figures["监控摄像"] == "739台"
    assert figures["乔灌木"] == "11000余株"
    assert figures["补种草皮"] == "约1000平方米"
    assert figures["累计培养“小海豚”"] == "2000多名"


def test_east_asian_fonts_are_set_in_the_styles_and_declared_with_fallbacks():
    document = read(write_report(linyi()))

    def east_asian(name):
        return document.styles[name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asian("Normal") == "仿宋"
    assert east_asian("Title") == "方正小标宋简体"
    assert east_asian("Heading 1") == "黑体"
    assert east_asian("Heading 2") == "楷体"
    assert document.styles["Normal"].font.size.pt == 16
    assert document.styles["Title"].font.size.pt == 22
    styles_xml = document.styles.element.xml
    assert "eastAsiaTheme" not in styles_xml and "asciiTheme" not in styles_xml
    font_table = next(
        rel.target_part.blob for rel in document.part.rels.values() if "fontTable" in rel.reltype
    ).decode("utf-8")
    for name, alternate in (("仿宋", "FangSong"), ("宋体", "SimSun"), ("黑体", "SimHei")):
        entry = font_table.split(f'w:name="{name}"')[1].split("</w:font>")[0]
        assert f'w:altName w:val="{alternate}"' in entry
        assert 'w:charset w:val="86"' in entry
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    footer = section.footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and footer.text.startswith("— ")


def jpeg(width=800, height=600):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_photos_with_captions_and_a_missing_file_left_out():
    nomination = linyi()
    estate = nomination.estate
    lost = Photo(estate=estate, caption="文件已丢失", display_order=1)
    lost.image.name = "photos/aozhengchengyuannanqu/gone.jpg"
    lost.save()
    photo = Photo(estate=estate, caption="小区中心花园", display_order=2)
    photo.image.save("garden.jpg", ContentFile(jpeg()), save=False)
    photo.image_medium.save("garden-medium.jpg", ContentFile(jpeg(400, 300)), save=False)
    photo.save()
    document = read(write_report(linyi()))
    assert len(document.inline_shapes) == 1
    shape = document.inline_shapes[0]
    assert shape.width <= document.sections[0].page_width - document.sections[0].left_margin
    images = [rel.target_part for rel in document.part.rels.values() if "image" in rel.reltype]
    assert images[0].blob == photo.image_medium.read()  # the medium rendition, as stored
    captions = [text for name, text in styled(document) if name == "Caption"]
    assert captions == ["图1　小区中心花园"]


def test_same_nomination_same_document_parts_and_a_change_changes_them():
    first, second = write_report(linyi()), write_report(linyi())
    assert content_key(first) == content_key(second)
    properties = read(first).core_properties
    assert properties.author == "临沂市住房和城乡建设局"
    assert properties.title == "临沂市奥正诚园南区小区"
    CriterionEvidence.objects.filter(criterion__number=1, nomination=linyi()).update(text="新的")
    assert content_key(write_report(linyi())) != content_key(first)


# --- The ZIP ------------------------------------------------------------------------------


def unzip(nominations):
    chunks = list(stream_reports(nominations))
    return chunks, zipfile.ZipFile(io.BytesIO(b"".join(chunks)))


def test_zip_of_a_campaign_in_official_order_one_entry_each():
    chunks, archive = unzip(Nomination.objects.filter(campaign__slug="quanguo-2021"))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [
        "北京/01-双旗杆东里.docx",
        "北京/02-厂洼街7号院.docx",
        "北京/03-丽景长安.docx",
        "北京/04-西长安壹号.docx",
    ]
    # Written entry by entry: one piece per report, then the central directory.
    assert len(chunks) == len(names) + 1
    title = read(archive.read(names[0])).paragraphs[0].text
    assert title == "北京市双旗杆东里小区"


def test_zip_honours_the_filter_and_separates_campaigns():
    _chunks, archive = unzip(Nomination.objects.filter(estate__slug="aozhengchengyuannanqu"))
    assert archive.namelist() == ["山东/01-奥正诚园南区.docx"]
    _chunks, archive = unzip(Nomination.objects.all())
    names = archive.namelist()
    assert len(names) == Nomination.objects.count() == 5
    assert names[0] == "2023 山东省“加强物业管理 共建美好家园”活动/山东/01-奥正诚园南区.docx"
    assert len(set(names)) == 5


def test_zip_names_are_unique_and_unnumbered_ones_come_last():
    Nomination.objects.filter(campaign__slug="quanguo-2021", province_sequence=4).update(
        province_sequence=None
    )
    grow(2)  # two more, one per campaign, without a sequence
    _chunks, archive = unzip(Nomination.objects.filter(campaign__slug="quanguo-2021"))
    names = archive.namelist()
    assert names[:3] == [
        "北京/01-双旗杆东里.docx",
        "北京/02-厂洼街7号院.docx",
        "北京/03-丽景长安.docx",
    ]
    assert sorted(names[3:]) == sorted(["北京/西长安壹号.docx", names[4]])
    assert names[4].startswith("北京/增长小区")


def test_zip_queries_do_not_grow_with_the_nominations():
    def count():
        with CaptureQueriesContext(connection) as queries:
            _chunks, archive = unzip(Nomination.objects.all())
        return len(queries), len(archive.namelist())

    small, entries = count()
    grow(6)
    for nomination in Nomination.objects.filter(estate__name__startswith="增长小区"):
        for criterion in nomination.campaign.criteria.all():
            CriterionEvidence.objects.create(nomination=nomination, criterion=criterion, text="有")
    large, more_entries = count()
    assert more_entries == entries + 6
    assert large == small


# --- The PDF ------------------------------------------------------------------------------


def _soffice_or_skip():
    if shutil.which("soffice") is None:
        if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("REQUIRE_LIBREOFFICE=1 but LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice (soffice) is not installed: the PDF is not tested here")


@pytest.fixture(scope="module")
def linyi_pdf(django_db_blocker, tmp_path_factory):
    """One conversion of the Linyi report for every PDF test (each costs seconds), kept in a
    media folder of its own: (pdf bytes, that folder)."""
    _soffice_or_skip()
    media = tmp_path_factory.mktemp("report-pdf-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        return report_pdf(linyi()), media


def test_pdf_text_has_the_nine_requirements(linyi_pdf, tmp_path):
    path = tmp_path / "linyi.pdf"
    path.write_bytes(linyi_pdf[0])
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    text = "".join(text.split())  # a title may wrap onto two lines
    for criterion in linyi().campaign.criteria.all():
        assert "".join(str(criterion).split()) in text, str(criterion)
    assert "临沂市奥正诚园南区小区" in text


def test_pdf_embeds_chinese_fonts_serif_body_and_sans_headings(linyi_pdf, tmp_path):
    path = tmp_path / "linyi.pdf"
    path.write_bytes(linyi_pdf[0])
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    fonts = [line.split() for line in listing if line.strip()]
    names = [font[0] for font in fonts]
    assert all("CJK" in name for name in names), names
    assert any("SerifCJK" in name for name in names) and any("SansCJK" in name for name in names)
    # Columns: name, type (one or two words), encoding, emb, sub, uni, object, id.
    assert all(font[-5] == "yes" for font in fonts), listing


def test_pdf_first_page_renders_with_ink(linyi_pdf, tmp_path):
    path = tmp_path / "linyi.pdf"
    path.write_bytes(linyi_pdf[0])
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")],
        check=True,
    )
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 2000  # title, headings, table and text; a page of empty boxes has far fewer


def test_pdf_is_kept_by_content(linyi_pdf, settings, tmp_path):
    pdf, media = linyi_pdf
    settings.MEDIA_ROOT = media
    # No converter now: the same report is served from the cache …
    settings.REPORT_PDF_CONVERTER = str(tmp_path / "no-soffice-here")
    assert [p.parent.name for p in media.rglob("*.pdf")] == ["pdf"]
    assert report_pdf(linyi()) == pdf
    # … and a changed one is not: it needs a conversion of its own.
    CriterionEvidence.objects.filter(criterion__number=1, nomination=linyi()).update(text="改了")
    with pytest.raises(ConverterMissing):
        report_pdf(linyi())


def test_missing_converter_is_a_chinese_error_and_a_check_warning(settings, tmp_path):
    settings.REPORT_PDF_CONVERTER = str(tmp_path / "missing" / "soffice")
    with pytest.raises(ConverterMissing) as raised:
        report_pdf(linyi())
    assert str(raised.value) == (
        "服务器未安装 LibreOffice，暂时不能生成 PDF；请先下载 Word 版，并告知网站管理员。"
    )
    assert [warning.id for warning in report_converter_check(None)] == ["estates.W001"]
