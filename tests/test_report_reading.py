"""Reading a province's Word report into a nomination (issue 22): the Linyi report as the seed
has it, a report in another province's style, Word's own numbering; the preview writes
nothing, typed text is replaced only by a choice per box, basic facts only when ticked; every
refused file leaves the nomination as it was; a report the portal wrote reads back losslessly."""

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from django.urls import reverse

from estates.admin.nominations import create_missing_evidence
from estates.enums import CampaignPhase, NominationState
from estates.models import (
    ActivityEvidence,
    CriterionEvidence,
    Estate,
    ImportUpload,
    Nomination,
    PendingChange,
)
from estates.reports import importing
from estates.reports.reading import ReportRefused, clean_line, read_report
from estates.reports.writing import write_report

from .builders import campaign_like, make_estate, make_staff, nominate
from .report_documents import (
    REWORDED_CRITERIA,
    linyi_docx,
    numbered_headings_docx,
    second_style_docx,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
LINYI = "aozhengchengyuannanqu"


def seed_linyi():
    return Nomination.objects.get(estate__slug=LINYI, campaign__slug="shandong-2023")


def seed_texts(nomination):
    """{("criterion"|"activity", number): text} of a nomination's boxes."""
    texts = {
        ("criterion", e.criterion.number): e.text
        for e in nomination.criterion_evidence.select_related("criterion")
    }
    texts.update(
        {
            ("activity", e.requirement.number): e.text
            for e in nomination.activity_evidence.select_related("requirement")
        }
    )
    return texts


def draft_like_linyi(**estate_fields):
    """A new draft in a campaign with the Shandong round's requirements, for an estate with
    nothing filled in: where a clerk starts when the province's report is already written."""
    campaign = campaign_like(
        "shandong-2023", CampaignPhase.NOMINATING, slug="shandong-2024", year=2024
    )
    estate = make_estate(name="奥正诚园南区二期", **estate_fields)
    nomination = nominate(estate, campaign, state=NominationState.DRAFT)
    create_missing_evidence(nomination)
    return nomination


def read_for(nomination, data):
    campaign = nomination.campaign
    return read_report(data, campaign.criteria.all(), campaign.activity_requirements.all())


def everything(preview, status=importing.FILL):
    """The keys a clerk who accepts every default would post, and the fingerprints."""
    take = {b.key for b in preview.boxes if b.status == status}
    take |= {f"fact:{f.field}" for f in preview.facts if f.ticked}
    return take, {b.key: b.fingerprint for b in preview.boxes}


def apply(nomination, report, take, seen, user=None, filename="报告.docx"):
    return importing.apply(
        report,
        nomination.pk,
        take,
        seen,
        user or make_staff("ministry"),
        filename,
        may_change_estate=lambda estate: True,
        may_import=lambda locked: True,
    )


# ---------------------------------------------------------------------------------------------
# Reading: word for word.


def test_the_linyi_report_fills_its_nine_requirements_and_eight_activities_word_for_word():
    """The seed's evidence was typed from the same report (with full-width punctuation):
    reading the report gives the seed's text, box by box, character for character."""
    expected = seed_texts(seed_linyi())
    assert len(expected) == 17
    nomination = draft_like_linyi()
    report = read_for(nomination, linyi_docx())
    found = {(item.kind, item.box): item for item in report.items}
    assert sorted(found) == sorted(expected)
    for key, text in expected.items():
        assert found[key].text == text, key
        assert not found[key].by_number  # every heading named its box by its words
    # The first activity's heading begins its paragraph: the heading is not in the text.
    assert found[("activity", 1)].heading == "（一）召开一次社区物业党建联席会"
    assert found[("activity", 1)].text.startswith("以“双向进入、交叉任职”为切入点")
    # The title is left over, and said so; the line of dots under it is layout and is not.
    assert [left.text for left in report.leftovers] == ["临沂市奥正诚园南区小区"]


def test_the_linyi_report_offers_the_basic_facts_with_their_sentences():
    nomination = draft_like_linyi()
    report = read_for(nomination, linyi_docx())
    facts = {f.field: f for f in report.facts}
    assert facts["households"].value == "1250"
    assert facts["land_area"].value == "199333.33"  # 299 亩
    assert facts["land_area"].extra == {"land_area_in_mu": True}
    assert facts["floor_area"].value == "340000.00"
    assert facts["floor_area"].extra == {"floor_area_is_approximate": True}  # 约34万
    assert facts["plot_ratio"].value == "1.16"
    assert facts["green_coverage"].value == "39"
    assert "year_built" not in facts and "property_company" not in facts  # not in the text
    assert facts["households"].source.startswith("奥正诚园南区小区位于临沂市河东区九曲街道")
    assert facts["households"].source.endswith("1250户。")
    # The seed estate has all of them: nothing new to offer there.
    seed = importing.plan(report, seed_linyi())
    assert {f.status for f in seed.facts} == {importing.SAME}


def test_a_report_in_another_style_is_read_too():
    """Bold paragraphs for headings, 一是/二是 numbering, the requirements in the province's own
    words, the body indented with full-width spaces."""
    data, expected = second_style_docx()
    nomination = draft_like_linyi()
    report = read_for(nomination, data)
    found = {(item.kind, item.box): item for item in report.items}
    assert sorted(found) == sorted(expected)
    for key, text in expected.items():
        assert found[key].text == clean_line(text), key
    # "相关部门职责落实情况" is unlike "物业管理相关部门职责明确": matched by its number, and the
    # preview says so.
    assert found[("criterion", 4)].by_number
    assert found[("criterion", 4)].heading == f"四是{REWORDED_CRITERIA[3]}"
    assert sum(item.by_number for item in report.items) <= 2
    assert report.overview.startswith("奥正诚园南区小区位于")


def test_headings_numbered_by_word_itself_are_matched_by_their_titles():
    nomination = draft_like_linyi()
    titles = [c.title for c in nomination.campaign.criteria.order_by("number")]
    # In a shuffled order, so that only the words can place them.
    order = [2, 0, 1, 3, 4, 5, 6, 8, 7]
    texts = [f"第{i}项的落实情况。" for i in order]
    data = numbered_headings_docx([titles[i] for i in order], texts)
    report = read_for(nomination, data)
    found = {item.box: item.text for item in report.items}
    assert found == {i + 1: f"第{i}项的落实情况。" for i in order}


def test_one_is_in_a_requirements_text_is_not_taken_for_a_heading():
    """(一)'s text begins 一是……二是……: in plain text, it stays that requirement's text."""
    nomination = draft_like_linyi()
    report = read_for(nomination, linyi_docx())
    first = next(i for i in report.items if i.kind == "criterion" and i.box == 1)
    assert first.text.startswith("一是从建立完善的基础设施")
    assert "二是推动资源在社区叠加" in first.text


def test_tracked_insertions_count_and_deletions_do_not():
    document = docx.Document()
    document.add_heading("二、满足“美好家园”小区原则要求情况", level=1)
    document.add_heading("（一）发挥党建引领物业管理作用", level=2)
    paragraph = document.add_paragraph("党支部")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    insertion = paragraph._p.makeelement(f"{{{w}}}ins", {f"{{{w}}}id": "1", f"{{{w}}}author": "a"})
    run = paragraph.add_run("每月")._r
    insertion.append(run)
    paragraph._p.append(insertion)
    deletion = paragraph._p.makeelement(f"{{{w}}}del", {f"{{{w}}}id": "2", f"{{{w}}}author": "a"})
    deleted = paragraph.add_run("")._r
    text = deleted.makeelement(f"{{{w}}}delText", {})
    text.text = "每年"
    deleted.append(text)
    deletion.append(deleted)
    paragraph._p.append(deletion)
    paragraph.add_run("召开联席会。")
    buffer = io.BytesIO()
    document.save(buffer)
    report = read_for(draft_like_linyi(), buffer.getvalue())
    assert report.items[0].text == "党支部每月召开联席会。"


# ---------------------------------------------------------------------------------------------
# Preview and confirmation.


def test_the_preview_writes_nothing_and_confirming_fills_the_empty_boxes():
    nomination = draft_like_linyi()
    report = read_for(nomination, linyi_docx())
    version = nomination.version
    preview = importing.plan(report, nomination)
    assert preview.counts()[importing.FILL] == 19  # 9 + 8 boxes, 概况 and 亮点
    nomination.refresh_from_db()
    assert nomination.version == version
    assert not any(seed_texts(nomination).values())

    take, seen = everything(preview)
    outcome = apply(nomination, report, take, seen, filename="临沂报告.docx")
    assert len(outcome.filled) == 19
    nomination.refresh_from_db()
    assert seed_texts(nomination) == seed_texts(seed_linyi())
    assert nomination.version > version  # a form opened before refuses its stale save
    estate = nomination.estate
    estate.refresh_from_db()
    facts = (estate.households, str(estate.plot_ratio), estate.land_area_in_mu)
    assert facts == (1250, "1.16", True)
    assert estate.overview.startswith("奥正诚园南区小区位于临沂市河东区")
    # Each box's history says where its text came from.
    evidence = CriterionEvidence.objects.get(nomination=nomination, criterion__number=1)
    assert evidence.history.latest().history_change_reason == "从 Word 报告读入：临沂报告.docx"


def test_typed_text_is_replaced_only_where_the_clerk_chose_so():
    nomination = draft_like_linyi()
    typed = "　　党支部书记兼任物业项目经理（省里已录入的文字）。"
    CriterionEvidence.objects.filter(nomination=nomination, criterion__number=1).update(text=typed)
    CriterionEvidence.objects.filter(nomination=nomination, criterion__number=2).update(text=typed)
    report = read_for(nomination, linyi_docx())
    preview = importing.plan(report, nomination)
    choose = [b for b in preview.boxes if b.status == importing.CHOOSE]
    assert [b.label for b in choose] == [
        "（一）发挥党建引领物业管理作用",
        "（二）业主大会和业主委员会运行良好",
    ]

    # Accepting the defaults keeps both.
    take, seen = everything(preview)
    outcome = apply(nomination, report, take, seen)
    assert outcome.kept == [b.label for b in choose]
    texts = seed_texts(nomination)
    assert texts[("criterion", 1)] == texts[("criterion", 2)] == typed

    # Choosing (二) replaces (二) alone.
    preview = importing.plan(report, nomination)
    second = preview.box(choose[1].key)
    outcome = apply(nomination, report, {second.key}, {second.key: second.fingerprint})
    texts = seed_texts(nomination)
    assert texts[("criterion", 1)] == typed
    assert texts[("criterion", 2)] == seed_texts(seed_linyi())[("criterion", 2)]
    assert outcome.replaced == [second.label]


def test_a_box_changed_after_the_preview_is_not_overwritten():
    nomination = draft_like_linyi()
    report = read_for(nomination, linyi_docx())
    preview = importing.plan(report, nomination)
    take, seen = everything(preview)
    # A colleague types into (三) while the clerk looks at the preview.
    CriterionEvidence.objects.filter(nomination=nomination, criterion__number=3).update(
        text="同事刚刚填写的内容。"
    )
    outcome = apply(nomination, report, take | {next(iter(take))}, seen)
    assert outcome.changed_since == ["（三）多方参与健全协调运行机制"]
    assert seed_texts(nomination)[("criterion", 3)] == "同事刚刚填写的内容。"
    assert len(outcome.filled) == 18


def test_facts_that_differ_are_offered_unticked_and_written_only_when_ticked():
    nomination = draft_like_linyi(households=1300, plot_ratio="1.20")
    report = read_for(nomination, linyi_docx())
    preview = importing.plan(report, nomination)
    facts = {f.field: f for f in preview.facts}
    assert facts["households"].status == importing.DIFFERS
    assert facts["households"].current == "1300 户"
    assert facts["land_area"].status == importing.NEW
    assert facts["land_area"].found == "299 亩（199333.33 平方米）"
    take, seen = everything(preview)
    assert "fact:households" not in take and "fact:land_area" in take
    apply(nomination, report, take, seen)
    estate = Estate.objects.get(pk=nomination.estate_id)
    assert estate.households == 1300  # not ticked: kept
    assert str(estate.land_area) == "199333.33" and estate.land_area_in_mu
    apply(nomination, report, {"fact:households"}, {})
    estate.refresh_from_db()
    assert estate.households == 1250


def test_a_fact_the_estate_cannot_hold_is_shown_and_never_offered():
    document = docx.Document()
    document.add_heading("一、基本情况", level=1)
    document.add_paragraph("小区共1200户，绿化覆盖率达到139%，容积率为1.8。")
    buffer = io.BytesIO()
    document.save(buffer)
    nomination = draft_like_linyi()
    preview = importing.plan(read_for(nomination, buffer.getvalue()), nomination)
    facts = {f.field: f for f in preview.facts}
    assert facts["green_coverage"].status == importing.INVALID
    assert "100" in facts["green_coverage"].error
    assert facts["households"].status == importing.NEW


# ---------------------------------------------------------------------------------------------
# Through the admin: upload, preview, confirm; refused files.


def province_clerk():
    return make_staff("provincial", "shandong")


def upload(client, nomination, data, name="报告.docx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("admin:estates_nomination_report", args=[nomination.pk]),
        {"report": SimpleUploadedFile(name, data)},
    )


def snapshot(nomination):
    nomination.refresh_from_db()
    estate = Estate.objects.get(pk=nomination.estate_id)
    return (
        nomination.version,
        seed_texts(nomination),
        estate.version,
        ImportUpload.objects.count(),
        PendingChange.objects.count(),
    )


def zip_bomb():
    """A .docx-looking zip whose 300 entries unpack to 300 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with zipfile.ZipFile(io.BytesIO(linyi_docx())) as real:
            for info in real.infolist():
                archive.writestr(info.filename, real.read(info))
        block = b"\0" * (1024 * 1024)
        for n in range(300):
            archive.writestr(f"word/media/padding{n}.bin", block)
    return buffer.getvalue()


def ratio_bomb():
    """One entry that unpacks to 1000 times its packed size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(linyi_docx())) as real:
            for info in real.infolist():
                archive.writestr(info.filename, real.read(info))
        archive.writestr("word/media/image1.png", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def macro_document():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive, zipfile.ZipFile(io.BytesIO(linyi_docx())) as real:
        for info in real.infolist():
            content = real.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                ).replace(
                    b"application/vnd.openxmlformats-officedocument.ms-word",
                    b"application/vnd.ms-word",
                )
            archive.writestr(info, content)
    return data.getvalue()


def spreadsheet():
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "小区名称"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


REFUSED = {
    "plain text renamed": (b"\xd5\xe2\xca\xc7\xce\xc4\xb1\xbe", "报告.docx", "不是 Word 文档"),
    "word 97": ((DATA / "report_word97.doc").read_bytes(), "报告.doc", "旧版 Word 97-2003"),
    "password": ((DATA / "report_password_123456.docx").read_bytes(), "报告.docx", "打开密码"),
    "zip bomb": (None, "报告.docx", "解压后异常庞大"),
    "ratio bomb": (None, "报告.docx", "解压后异常庞大"),
    "truncated": (None, "报告.docx", "损坏"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "报告.pdf", "PDF"),
    "xlsx": (None, "报告.xlsx", "Excel"),
    "docm": (None, "报告.docm", "启用宏"),
    "empty": (b"", "报告.docx", "空的"),
    "50 MB": (None, "报告.docx", "超过了 30 MB"),
}


def refused_bytes(case):
    data = REFUSED[case][0]
    if data is not None:
        return data
    if case == "zip bomb":
        return zip_bomb()
    if case == "ratio bomb":
        return ratio_bomb()
    if case == "truncated":
        return linyi_docx()[:-2000]
    if case == "xlsx":
        return spreadsheet()
    if case == "docm":
        return macro_document()
    if case == "50 MB":
        return linyi_docx() + b"\0" * (50 * 1024 * 1024)
    raise AssertionError(case)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_refused_file_says_why_in_chinese_and_changes_nothing(client, case):
    nomination = draft_like_linyi()
    CriterionEvidence.objects.filter(nomination=nomination, criterion__number=1).update(
        text="已填写的内容。"
    )
    client.force_login(make_staff("ministry"))
    before = snapshot(nomination)
    data, name, words = refused_bytes(case), REFUSED[case][1], REFUSED[case][2]
    response = upload(client, nomination, data, name)
    assert response.status_code == 200
    page = response.content.decode()
    assert words in page, page[page.find("errornote") - 100 : page.find("errornote") + 600]
    assert "Traceback" not in page and "Error" not in re.sub(r"errornote|aria-\w+", "", page)
    assert snapshot(nomination) == before


def test_the_refusals_are_the_readers_own_not_the_views():
    """The same files refused without the admin, as ReportRefused (the view only shows them)."""
    nomination = draft_like_linyi()
    for case in ("word 97", "password", "ratio bomb", "docm"):
        with pytest.raises(ReportRefused):
            read_for(nomination, refused_bytes(case))


def test_a_clerk_uploads_previews_and_confirms_through_the_admin(client):
    nomination = draft_like_linyi()
    # The clerk of the estate's province (Beijing, by the builder's default).
    clerk = make_staff("provincial", "beijing")
    client.force_login(clerk)
    page = client.get(reverse("admin:estates_nomination_change", args=[nomination.pk]))
    assert 'id="report-upload-form"' in page.content.decode()
    response = upload(client, nomination, linyi_docx(), "临沂市奥正诚园南区小区推荐材料.docx")
    assert response.status_code == 302
    preview_url = response["Location"]
    preview = client.get(preview_url)
    text = preview.content.decode()
    assert "确认之前不会保存任何内容" in text
    assert "将填入 19 个空白栏目" in text
    assert not any(seed_texts(nomination).values())  # nothing saved by the preview
    data = {}
    for match in re.finditer(r'name="(take|seen-[^"]+)" value="([^"]+)"( checked)?', text):
        name, value, checked = match.groups()
        if name == "take" and not checked:
            continue
        data.setdefault(name, []).append(value)
    response = client.post(preview_url, data)
    assert response.status_code == 302
    assert seed_texts(nomination) == seed_texts(seed_linyi())
    # A second click (the back button) is told what the first one did.
    again = client.post(preview_url, data, follow=True)
    text = again.content.decode()
    assert "这份报告已经读入过，没有再读一次" in text
    assert "已从《临沂市奥正诚园南区小区推荐材料.docx》读入" in text


def test_only_a_draft_takes_a_report_and_editors_never(client):
    nomination = draft_like_linyi()
    url = reverse("admin:estates_nomination_report", args=[nomination.pk])
    client.force_login(make_staff("editor"))
    assert client.get(url).status_code in (403, 404)
    client.force_login(make_staff("provincial", "shandong"))  # another province's nomination
    assert client.get(url).status_code == 404
    Nomination.objects.filter(pk=nomination.pk).update(state=NominationState.SUBMITTED)
    client.force_login(make_staff("provincial", "beijing"))
    assert client.get(url).status_code == 403


def test_a_published_estates_facts_wait_for_review_when_a_province_reads_them():
    nomination = draft_like_linyi()
    Estate.objects.filter(pk=nomination.estate_id).update(is_published=True)
    report = read_for(nomination, linyi_docx())
    preview = importing.plan(report, nomination)
    take, seen = everything(preview)
    clerk = make_staff("provincial", "beijing")
    outcome = apply(nomination, report, take, seen, user=clerk)
    assert outcome.estate_pending
    estate = Estate.objects.get(pk=nomination.estate_id)
    assert estate.households is None and estate.overview == ""  # not yet: waiting for review
    change = PendingChange.objects.get(estate=estate)
    assert change.values["households"] == 1250
    assert change.values["overview"].startswith("奥正诚园南区小区位于")


# ---------------------------------------------------------------------------------------------
# Round trip.


@pytest.mark.parametrize("pk", [1, 2, 3, 4, 5])
def test_every_seed_nominations_report_reads_back_into_the_same_boxes(pk):
    nomination = Nomination.objects.get(pk=pk)
    report = read_for(nomination, write_report(nomination))
    preview = importing.plan(report, nomination)
    changed = [(b.label, b.status) for b in preview.boxes if b.status != importing.SAME]
    assert changed == []
    assert all(f.status == importing.SAME for f in preview.facts), [
        (f.field, f.found, f.current) for f in preview.facts if f.status != importing.SAME
    ]

    # Into a new draft of a campaign like it, for an estate with nothing: the same text.
    campaign = campaign_like(nomination.campaign.slug, CampaignPhase.NOMINATING)
    draft = nominate(make_estate(), campaign, state=NominationState.DRAFT)
    create_missing_evidence(draft)
    report = read_for(draft, write_report(nomination))
    preview = importing.plan(report, draft)
    take, seen = everything(preview)
    apply(draft, report, take, seen)
    written = {key: text for key, text in seed_texts(draft).items() if text}
    assert written == {key: text for key, text in seed_texts(nomination).items() if text}
    estate = Estate.objects.get(pk=draft.estate_id)
    assert (estate.overview, estate.highlights) == (
        nomination.estate.overview,
        nomination.estate.highlights,
    )
    for name in ("households", "land_area", "floor_area", "plot_ratio", "green_coverage"):
        assert getattr(estate, name) == getattr(nomination.estate, name), name
    assert ActivityEvidence.objects.filter(nomination=draft).count() == 8


def test_an_appendix_of_photos_is_not_read_into_the_highlights():
    document = docx.Document()
    document.add_heading("四、工作成效及亮点", level=1)
    document.add_paragraph("新增电动车棚5个。")
    document.add_paragraph("附：小区中心花园照片")
    document.add_paragraph("图为改造后的中心花园。")
    buffer = io.BytesIO()
    document.save(buffer)
    report = read_for(draft_like_linyi(), buffer.getvalue())
    assert report.highlights == "新增电动车棚5个。"
    assert [left.text for left in report.leftovers] == ["图为改造后的中心花园。"]
    assert "照片请在小区资料中上传" in report.leftovers[0].why


def test_year_built_and_company_from_a_sentence_and_from_a_basic_facts_table():
    document = docx.Document()
    document.add_paragraph("一、小区基本情况").runs[0].bold = True
    table = document.add_table(rows=3, cols=4)
    cells = [
        ("户数", "2,368户", "占地面积", "8.6万平方米"),
        ("建成年份", "2005年", "容积率", "2.5"),
        ("物业服务企业", "北京金隅物业管理有限责任公司", "绿化率", "未提供"),
    ]
    for row, values in zip(table.rows, cells, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph(
        "　　小区始建于2004年，由北京金隅物业管理有限责任公司提供物业服务，共有住户2400余户。"
    )
    buffer = io.BytesIO()
    document.save(buffer)
    report = read_for(draft_like_linyi(), buffer.getvalue())
    facts = {f.field: f for f in report.facts}
    # The table comes first; the sentence's figures are not offered a second time.
    assert facts["households"].value == "2368"
    assert facts["households"].source == "户数：2,368户"
    assert facts["land_area"].value == "86000.00" and facts["land_area"].extra == {
        "land_area_in_mu": False
    }
    assert facts["year_built"].value == "2005"
    assert facts["plot_ratio"].value == "2.5"
    assert facts["property_company"].value == "北京金隅物业管理有限责任公司"
    assert "green_coverage" not in facts  # 未提供 is no figure
    assert report.overview.startswith("小区始建于2004年")


def test_a_company_named_in_a_sentence_is_offered_and_made_when_new():
    document = docx.Document()
    document.add_heading("一、基本情况", level=1)
    document.add_paragraph("小区建成于1998年，物业服务企业为临沂正直物业服务有限公司。")
    buffer = io.BytesIO()
    document.save(buffer)
    nomination = draft_like_linyi()
    report = read_for(nomination, buffer.getvalue())
    preview = importing.plan(report, nomination)
    facts = {f.field: f for f in preview.facts}
    assert facts["year_built"].found == "1998"
    assert facts["property_company"].found == "临沂正直物业服务有限公司"
    assert facts["property_company"].status == importing.NEW
    take, seen = everything(preview)
    apply(nomination, report, take, seen)
    estate = Estate.objects.select_related("property_company").get(pk=nomination.estate_id)
    assert estate.year_built == 1998
    assert estate.property_company.name == "临沂正直物业服务有限公司"


def report_of(*parts):
    """A .docx of (style, text) paragraphs; style None is body text; ("break", a, b) is a
    paragraph with a line break (Shift+Enter) between a and b; ("photo", caption) a picture."""
    from PIL import Image

    document = docx.Document()
    for part in parts:
        kind = part[0]
        if kind == "break":
            paragraph = document.add_paragraph(part[1])
            paragraph.add_run().add_break()
            paragraph.add_run(part[2])
        elif kind == "photo":
            image = io.BytesIO()
            Image.new("RGB", (64, 48), (90, 140, 70)).save(image, "JPEG")
            image.seek(0)
            document.add_picture(image)
            document.add_paragraph(part[1])
        elif kind is None:
            document.add_paragraph(part[1])
        else:
            document.add_paragraph(part[1], style=kind)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_part_the_structure_does_not_have_is_left_over_not_added_to_the_highlights():
    data = report_of(
        ("Heading 1", "一、基本情况"),
        (None, "小区共有住户1 250 户。"),
        (None, "四、工作成效及亮点"),
        (None, "新增电动车棚5个。"),
        ("photo", "图1 小区新增儿童游乐园"),
        (None, "五、存在问题"),
        (None, "部分设施老化，停车位不足。"),
    )
    report = read_for(draft_like_linyi(), data)
    assert report.highlights == "新增电动车棚5个。"
    left = {x.text: x.why for x in report.leftovers}
    assert "部分设施老化，停车位不足。" in left
    assert "图1 小区新增儿童游乐园" in left and "图片说明" in left["图1 小区新增儿童游乐园"]
    assert report.images == 1
    # A space between thousands is a typist's, not two numbers.
    assert {f.field: f.value for f in report.facts}["households"] == "1250"


def test_line_breaks_and_spaces_inside_a_paragraph_are_tidied_and_words_kept():
    data = report_of(
        ("Heading 1", "二、满足“美好家园”小区原则要求情况"),
        ("Heading 2", "（二）业主大会和业主委员会运行良好"),
        ("break", "自成立业委会以来，切实维护全体业主利益，监督物业公司", "日常服务落实情况。"),
        ("break", "社区定期召开恳谈会。", "广泛听取业主的意见。"),
        (None, "\t配备监控摄像739\u00a0台，  人脸识别32台。  门禁223台。"),
    )
    report = read_for(draft_like_linyi(), data)
    assert report.items[0].text == (
        "自成立业委会以来，切实维护全体业主利益，监督物业公司日常服务落实情况。\n"
        "社区定期召开恳谈会。\n广泛听取业主的意见。\n"
        "配备监控摄像739 台，人脸识别32台。门禁223台。"
    )


def test_estimates_and_another_indicator_are_not_ticked_for_the_clerk():
    data = report_of(
        ("Heading 1", "一、基本情况"),
        (None, "小区占地约300亩，总户数1250余户，绿地率达39.5%。"),
    )
    nomination = draft_like_linyi()
    preview = importing.plan(read_for(nomination, data), nomination)
    facts = {f.field: f for f in preview.facts}
    assert "green_coverage" not in facts  # 绿地率 is not 绿化覆盖率
    assert facts["land_area"].found == "约 300 亩（200000 平方米）"
    assert facts["households"].found == "约 1250 户"
    assert facts["land_area"].status == facts["households"].status == importing.NEW
    assert not facts["land_area"].ticked and not facts["households"].ticked
