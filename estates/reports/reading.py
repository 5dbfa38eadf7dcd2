"""Reading a province's Word report into a nomination.

A report is a .docx in the shape of the Linyi report (structure.py): 基本情况, the principle
requirements （一）…（九）, the 8个“一” activities, 工作成效. Real reports vary: headings in Word's
heading styles or in bold body text, numbered by hand, by Word's automatic numbering or with
一是/二是, a requirement's heading alone or at the start of its first paragraph, titles in the
province's own words. So a section is found by its keywords, an item by its numbering and its
look, and an item goes to the box whose title it resembles most, else to the box of its number.

Nothing here writes: `read_report()` turns the file into a `Report` (plain data, kept as JSON
between the preview and the confirmation), and estates/reports/importing.py compares it with
the nomination and applies what the clerk confirmed.

python-docx reads the document; the file is checked first (zip, size, encryption, .doc), and
python-docx's XML parser does not resolve entities, so an entity bomb stays one string.
"""

import difflib
import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

import olefile
from django.utils.translation import gettext as _

from . import structure

# Bigger reports are mostly photos, which are not read (photos are uploaded to the estate).
MAX_REPORT_BYTES = 30 * 1024 * 1024
# A .docx unpacked: text and a few photos. More than this is a zip bomb, not a report.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_RATIO = 200  # compressed → unpacked, for an entry of more than 1 MB

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
WORD_TEMPLATE_MAIN = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
SKIPPED = {W + "del", W + "moveFrom", MC_FALLBACK, W + "instrText", W + "delText"}

CRITERIA, ACTIVITIES = "criterion", "activity"


class ReportRefused(Exception):
    """The file is not a report that can be read; the message says why, in Chinese."""


# ---------------------------------------------------------------------------------------------
# What a report holds, as plain data.


@dataclass
class Item:
    """The text the report gives for one box: a requirement (criterion) or an activity."""

    kind: str  # CRITERIA or ACTIVITIES
    box: int  # the Criterion's or ActivityRequirement's number
    heading: str  # as the report words it, with its numbering
    text: str
    by_number: bool = False  # its title is unlike the box's: matched by its number


@dataclass
class Fact:
    """A basic fact found in 基本情况, offered for the estate with where it was found."""

    field: str
    value: str  # as JSON: a Decimal or int as text, a company's name
    source: str
    extra: dict = field(default_factory=dict)  # land_area_in_mu, floor_area_is_approximate
    about: bool = False  # the report gives it as about so much (约, 余, 多): offered unticked


@dataclass
class Leftover:
    """Text of the report that went into no box, and why."""

    where: str
    text: str
    why: str


@dataclass
class Report:
    items: list = field(default_factory=list)
    overview: str | None = None
    highlights: str | None = None
    facts: list = field(default_factory=list)
    leftovers: list = field(default_factory=list)
    images: int = 0
    sections_found: list = field(default_factory=list)

    def as_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(
            items=[Item(**i) for i in data["items"]],
            overview=data["overview"],
            highlights=data["highlights"],
            facts=[Fact(**f) for f in data["facts"]],
            leftovers=[Leftover(**x) for x in data["leftovers"]],
            images=data["images"],
            sections_found=data["sections_found"],
        )


# ---------------------------------------------------------------------------------------------
# The file.


def open_report(data):
    """The python-docx Document of an uploaded file, or ReportRefused saying why not."""
    import docx

    check_size(len(data))
    if not data:
        raise ReportRefused(_("上传的文件是空的，请重新选择报告文件。"))
    if olefile.isOleFile(io.BytesIO(data)):
        raise ReportRefused(_ole_refusal(data))
    if data.startswith(b"%PDF"):
        raise ReportRefused(
            _("这是 PDF 文件，读不出报告的标题和段落。请上传报告的 Word 原文件（.docx）。")
        )
    if data.lstrip().startswith(b"{\\rtf"):
        raise ReportRefused(
            _("这是 RTF 文件。请在 Word 或 WPS 中打开，“另存为”Word 文档（.docx）后再上传。")
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK\x03\x04"):
            raise ReportRefused(
                _(
                    "文件已损坏或没有上传完整，无法打开。"
                    "请在 Word 中打开确认无误后重新保存，再上传。"
                )
            )
        raise ReportRefused(
            _("这不是 Word 文档（.docx）。请上传用 Word 或 WPS 保存的 .docx 格式的推荐报告。")
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive)
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                raise ReportRefused(_zip_refusal(archive, names))
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as error:
        raise ReportRefused(
            _("文件已损坏或没有上传完整，无法打开。请在 Word 中打开确认无误后重新保存，再上传。")
        ) from error
    if WORD_MACRO_MAIN in types:
        raise ReportRefused(
            _(
                "这是启用宏的 Word 文档（.docm）。"
                "请在 Word 中“另存为”普通的 Word 文档（.docx）后再上传。"
            )
        )
    if WORD_MAIN not in types and WORD_TEMPLATE_MAIN not in types:
        raise ReportRefused(
            _("这个文件不是 Word 文档（.docx）。请上传用 Word 或 WPS 保存的 .docx 格式的推荐报告。")
        )
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds on a damaged package
        raise ReportRefused(
            _("文件已损坏，Word 文档的内容读不出来。请在 Word 中打开确认无误后重新保存，再上传。")
        ) from error


def check_size(size):
    """ReportRefused for a file over the limit (also called with an upload's declared size,
    before it is read)."""
    if size > MAX_REPORT_BYTES:
        raise ReportRefused(
            _(
                "文件有 %(size)s MB，超过了 %(max)s MB 的上限。"
                "报告中照片较多时，请先在 Word 中删去照片（照片请在小区资料中上传）"
                "或压缩图片，再上传。"
            )
            % {"size": round(size / 1024 / 1024, 1), "max": MAX_REPORT_BYTES // 1024 // 1024}
        )


def _ole_refusal(data):
    """An OLE compound file: an encrypted .docx, a Word 97–2003 .doc, or something else."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                return _(
                    "文件设置了打开密码，无法读取。请在 Word 中打开，依次点"
                    "“文件 → 信息 → 保护文档 → 用密码进行加密”，清空密码并保存后，再上传。"
                )
            if ole.exists("WordDocument"):
                return _(
                    "这是旧版 Word 97-2003 文档（.doc）。请在 Word 或 WPS 中打开，"
                    "“另存为”Word 文档（.docx）后再上传。"
                )
            if ole.exists("Workbook") or ole.exists("Book"):
                return _("这是 Excel 表格（.xls），不是推荐报告。请上传 Word 文档（.docx）。")
    except OSError:
        pass
    return _("这不是 Word 文档（.docx）。请上传用 Word 或 WPS 保存的 .docx 格式的推荐报告。")


def _zip_refusal(archive, names):
    if "xl/workbook.xml" in names:
        return _("这是 Excel 表格（.xlsx），不是推荐报告。请上传 Word 文档（.docx）。")
    if "ppt/presentation.xml" in names:
        return _("这是 PowerPoint 演示文稿，不是推荐报告。请上传 Word 文档（.docx）。")
    if "mimetype" in names and b"opendocument.text" in archive.read("mimetype"):
        return _(
            "这是 OpenDocument 文本（.odt）。"
            "请在 WPS 或 LibreOffice 中“另存为”Word 文档（.docx）后再上传。"
        )
    return _("这是一个压缩包，不是 Word 文档（.docx）。请上传推荐报告本身。")


def _check_archive(archive):
    """A zip bomb is refused before anything is unpacked: by the sizes the archive declares
    (zipfile stops reading an entry at its declared size, so a lie cannot unpack more)."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise ReportRefused(_bomb())
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise ReportRefused(
                _("文件中的内容设置了密码，无法读取。请取消密码后重新保存为 .docx，再上传。")
            )
        total += entry.file_size
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(
            entry.compress_size, 1
        ):
            raise ReportRefused(_bomb())
    if total > MAX_UNPACKED_BYTES:
        raise ReportRefused(_bomb())


def _bomb():
    return _(
        "文件解压后异常庞大（不像是一份推荐报告），为安全起见没有读取。"
        "请上传在 Word 或 WPS 中正常保存的 .docx 文件。"
    )


# ---------------------------------------------------------------------------------------------
# The document as blocks: paragraphs and tables in order.


@dataclass
class Block:
    text: str = ""
    style: str = ""
    heading_level: int | None = None
    bold: bool = False  # every character of the paragraph is bold
    bold_prefix: str = ""  # the bold start of a paragraph that goes on in plain text
    numbered: bool = False  # Word's automatic numbering
    rows: list | None = None  # a table's cells, row by row
    images: int = 0


def document_blocks(document):
    blocks = []
    for part in document.iter_inner_content():
        if hasattr(part, "rows"):
            blocks.append(_table_block(part))
        else:
            blocks.append(_paragraph_block(part))
    return blocks


def _text_of(element):
    """The text as a reader sees it: runs, hyperlinks and tracked insertions included, deleted
    text and field codes left out, tabs and line breaks kept."""
    parts = []

    def walk(node):
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in SKIPPED:
                continue
            if tag == W + "t":
                parts.append(child.text or "")
            elif tag == W + "tab":
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                # A page or column break is layout; a line break (Shift+Enter, or text pasted
                # from a PDF) is resolved in join_breaks().
                if child.get(W + "type") in (None, "textWrapping"):
                    parts.append(LINE_BREAK)
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(element)
    return join_breaks("".join(parts))


LINE_BREAK = "\u2028"


def join_breaks(text):
    """A line break after the end of a sentence starts a new paragraph; one in the middle of a
    sentence was only where a line ended (a PDF pasted, Shift+Enter): the text runs on."""

    def resolve(match):
        before, after = match.group(1), match.group(2)
        if re.match(r"[。！？；：!?;:]", before):
            return before + "\n" + after
        if re.match(r"[A-Za-z0-9]", before) and re.match(r"[A-Za-z0-9]", after):
            return before + " " + after
        return before + after

    text = re.sub(rf"(.?)[{_SPACES}]*{LINE_BREAK}[{_SPACES}]*(.?)", resolve, text)
    return text.replace(LINE_BREAK, "")


def _style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


def _heading_level(paragraph):
    ppr = paragraph._p.pPr
    if ppr is not None:
        outline = ppr.find(W + "outlineLvl")
        if outline is not None and outline.get(W + "val", "").isdigit():
            level = int(outline.get(W + "val"))
            return level + 1 if level < 9 else None
    for style in _style_chain(paragraph.style):
        name = (style.name or "").lower().replace(" ", "")
        if name == "title" or name == "标题":
            return 0
        match = re.fullmatch(r"(?:heading|标题)(\d)", name)
        if match:
            return int(match.group(1))
        spr = style.element.pPr
        if spr is not None:
            outline = spr.find(W + "outlineLvl")
            if outline is not None and outline.get(W + "val", "").isdigit():
                level = int(outline.get(W + "val"))
                return level + 1 if level < 9 else None
    return None


def _style_bold(paragraph):
    for style in _style_chain(paragraph.style):
        if style.font.bold is not None:
            return bool(style.font.bold)
    return False


def _run_bold(run, style_bold):
    if run.bold is not None:
        return run.bold
    if run.style is not None and run.style.font.bold is not None:
        return bool(run.style.font.bold)
    return style_bold


def _numbered(paragraph):
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    for style in _style_chain(paragraph.style):
        spr = style.element.pPr
        if spr is not None and spr.numPr is not None:
            return True
    return False


def _paragraph_block(paragraph):
    element = paragraph._p
    text = _text_of(element)
    style_bold = _style_bold(paragraph)
    bold_prefix = ""
    all_bold = bool(text.strip())
    seen_plain = False
    for run in paragraph.runs:
        run_text = _text_of(run._r)
        if not run_text.strip():
            bold_prefix += "" if seen_plain else run_text
            continue
        if _run_bold(run, style_bold) and not seen_plain:
            bold_prefix += run_text
        else:
            seen_plain = True
            all_bold = False
    if not paragraph.runs:
        all_bold = all_bold and style_bold
    images = len(element.findall(".//" + W + "drawing")) + len(element.findall(".//" + W + "pict"))
    return Block(
        text=text,
        style=paragraph.style.name if paragraph.style is not None else "",
        heading_level=_heading_level(paragraph),
        bold=all_bold,
        bold_prefix="" if all_bold else bold_prefix.strip(),
        numbered=_numbered(paragraph),
        images=images,
    )


def _table_block(table):
    rows = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is given once per grid column
                continue
            previous = cell._tc
            cells.append(clean_line(_text_of(cell._tc)))
        rows.append(cells)
    return Block(rows=rows, text="\n".join("\t".join(cells) for cells in rows))


# ---------------------------------------------------------------------------------------------
# Text.

_CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’%"
_HALF_WIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_PUNCTUATION = re.compile(r" ?([,;:!?()]) ?")
_SPACES = " \t\u3000\u00a0\u2002\u2003\u200b\ufeff"


def clean_line(text):
    """One paragraph as kept in a box: without the indent and spaces around it (clerks indent
    with two full-width spaces), and with the half-width punctuation of text typed with an
    English keyboard next to Chinese characters in full width (，；：！？（）), as GB/T 15834 has
    it — between digits or Latin letters it stays ("1,250", "Wi-Fi: on")."""
    text = text.strip(_SPACES)
    # A tab, a no-break space or a run of spaces inside a line is one space; a zero-width
    # space or a byte-order mark is nothing.
    text = re.sub(r"[\u200b\ufeff]", "", text)
    text = re.sub(r"[ \t\u3000\u00a0\u2002\u2003\u2009\u202f]+", " ", text)

    def full_width(match):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if re.match(f"[{_CJK}]", before) or re.match(f"[{_CJK}]", after):
            return _HALF_WIDTH[match.group(1)]
        return match.group(0)

    text = _PUNCTUATION.sub(full_width, text)
    # No space beside full-width punctuation ("。 然后" → "。然后").
    return re.sub(r" ?([，。；：！？、“”‘’（）《》]) ?", r"\1", text)


def clean_text(lines):
    """Paragraphs as one box's text: a line each, empty lines dropped."""
    return "\n".join(line for line in (clean_line(x) for x in lines) if line)


def normalized(text):
    """For comparing titles: no numbering, spaces, quotes or punctuation, half-width forms."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\W_]+", "", text)


# ---------------------------------------------------------------------------------------------
# Sections and items.

_NUM = "一二三四五六七八九十"
_SECTION_MARK = re.compile(rf"^\s*(?:[{_NUM}]+|\d+)\s*[、.．,，:：]\s*")
# Item numbering: strong marks are headings wherever they start a paragraph; weak ones (一是,
# 1.) also begin ordinary sentences, so they make a heading only with a heading's look.
_STRONG_MARK = re.compile(rf"^\s*[（(]\s*([{_NUM}]+)\s*[)）]\s*")
_WEAK_MARK = re.compile(
    rf"^\s*(?:([{_NUM}]+)\s*是\s*[，,：:]?|第([{_NUM}]+)\s*[，,、：:]?|([{_NUM}]+)\s*[、.．]"
    rf"|[（(]\s*(\d+)\s*[)）]|(\d+)\s*[、.．)）](?!\d))\s*"
)
_KEYWORDS = (
    (
        structure.BASIC,
        re.compile(r"基本情况|基本概况|小区概况|项目概况|小区简介|小区简况|基本信息"),
    ),
    (CRITERIA, re.compile(r"原则要求|基本要求|评选条件|基本条件|评价标准")),
    (ACTIVITIES, re.compile(r"[8八]\s*个\s*[“\"']?\s*一|规定活动|八项活动|8项活动")),
    (structure.RESULTS, re.compile(r"成效|亮点|成果|特色做法|经验做法")),
    (structure.PHOTOS, re.compile(r"图片|照片|图集")),
)
_APPENDIX = re.compile(r"^附\s*(?:件|图|表|录)?\s*[：:\d一二三四五六七八九十]")
HEADING_MAX = 40  # characters: a longer paragraph is text, whatever its look


def _number(text):
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUM.index(text[1]) + 1
    if len(text) == 1:
        return _NUM.index(text) + 1
    if len(text) == 2 and text.endswith("十"):
        return (_NUM.index(text[0]) + 1) * 10
    if len(text) == 3 and text[1] == "十":
        return (_NUM.index(text[0]) + 1) * 10 + _NUM.index(text[2]) + 1
    return None


def _looks_like_heading(block):
    return block.heading_level is not None or block.bold or block.numbered


_TOP_MARK = re.compile(rf"^\s*([{_NUM}]+)、")


def _section_of(block, next_number=None):
    """Which part of the report a paragraph opens, or None. `next_number`: the number the
    next part of the report would have (五 after 四): a short paragraph so numbered opens a
    part of its own even without a keyword ("五、存在问题"), which no box takes."""
    text = block.text.strip(_SPACES)
    if not text or len(normalized(text)) > HEADING_MAX:
        return None
    if _APPENDIX.match(text):  # 附：照片, 附件1 …, after the report proper
        return structure.PHOTOS if re.search(r"图|照片", text) else "other"
    marked = bool(_SECTION_MARK.match(text)) and not _STRONG_MARK.match(text)
    if not (marked or _looks_like_heading(block)):
        return None
    if block.heading_level is not None and block.heading_level >= 2 and not marked:
        return None
    for section, pattern in _KEYWORDS:
        if pattern.search(text):
            return section
    top = _TOP_MARK.match(text)
    in_sequence = top is not None and _number(top.group(1)) == next_number
    if in_sequence and not re.search(r"[。；;]", text.rstrip("。 ")):
        return "other"
    return None if not marked or block.heading_level != 1 else "other"


def _split_heading(block, text):
    """(title, body) of a paragraph that starts an item, the numbering already removed."""
    if block.bold_prefix:
        prefix = block.bold_prefix
        for mark in (_STRONG_MARK, _WEAK_MARK):
            prefix = mark.sub("", prefix, count=1)
        if prefix and text.startswith(prefix):
            return prefix.rstrip("。：:；;，, "), text[len(prefix) :]
    # A heading on a line of its own: its look says so, or it is short with no sentence in it.
    no_sentence = not re.search(r"[。；;]", text.rstrip("。 "))
    styled = block.heading_level is not None or block.bold
    if no_sentence and (styled or len(normalized(text)) <= HEADING_MAX):
        return text.rstrip("。：: "), ""
    match = re.match(r"([^。；;：:]{2,45})[。；;：:]", text)
    if match:
        return match.group(1), text[match.end() :]
    return text[:30], text


def similarity(heading, title):
    a, b = normalized(heading), normalized(title)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if b in a or (a in b and len(a) >= 4):
        return 0.9
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


MATCH = 0.6  # title similarity from which a heading names a box by its words


@dataclass
class _Candidate:
    number: int | None
    title: str
    body: str
    heading: str
    strong: bool


def _item_candidate(block, kind_titles):
    """An item heading in a requirements or activities section, or None."""
    text = block.text.strip(_SPACES)
    if not text:
        return None
    strong = _STRONG_MARK.match(text)
    weak = None if strong else _WEAK_MARK.match(text)
    mark = strong or weak
    rest = text[mark.end() :] if mark else text
    number = None
    if mark:
        number = _number(next(g for g in mark.groups() if g))
    title, body = _split_heading(block, rest)
    heading = (text[: mark.end()] if mark else "") + title
    best = max((similarity(title, t) for t in kind_titles), default=0)
    headed = _looks_like_heading(block) or bool(block.bold_prefix)
    if strong or ((weak or block.numbered) and (headed or best >= MATCH)):
        return _Candidate(number, title, body, heading, bool(strong))
    if _looks_like_heading(block) and best >= MATCH and len(normalized(title)) <= HEADING_MAX:
        return _Candidate(None, title, body, heading, False)
    return None


# ---------------------------------------------------------------------------------------------
# The report.


def read_report(data, criteria, requirements):
    """The Report in an uploaded .docx, for a campaign's criteria and required activities
    (each with .number and .title). ReportRefused for a file that is not a readable report."""
    document = open_report(data)
    return split_blocks(document_blocks(document), criteria, requirements)


def split_blocks(blocks, criteria, requirements):
    boxes = {
        CRITERIA: {c.number: c.title for c in criteria},
        ACTIVITIES: {r.number: r.title for r in requirements},
    }
    report = Report()
    section = None
    section_heading = _("报告开头")
    current = None  # [kind, number, heading, lines, by_number]
    collected = {structure.BASIC: [], structure.RESULTS: []}
    results_closed = False
    next_number = None  # of the report's next part (一、二、…), once one is seen
    taken = {CRITERIA: set(), ACTIVITIES: set()}
    unmatched_lines = []

    def close_item():
        nonlocal current
        if current is None:
            return
        kind, number, heading, lines, by_number = current
        text = clean_text(lines)
        if text == structure.EMPTY_BOX:
            text = ""
        report.items.append(Item(kind, number, heading, text, by_number))
        current = None

    def close_unmatched():
        if unmatched_lines:
            report.leftovers.append(
                Leftover(section_heading, clean_text(unmatched_lines[1:]) or "", unmatched_lines[0])
            )
            unmatched_lines.clear()

    def leftover(text, why):
        text = clean_line(text)
        if re.search(r"\w", text):  # a line of dots or dashes is layout, not text
            report.leftovers.append(Leftover(section_heading, text, why))

    for block in blocks:
        report.images += block.images
        if block.rows is not None:
            if section == structure.BASIC:
                report.facts.extend(_table_facts(block.rows))
                continue
            close_item()
            close_unmatched()
            if section == structure.RESULTS:
                results_closed = True
            leftover(block.text, _("表格未读入"))
            continue
        found = _section_of(block, next_number)
        if found:
            top = _TOP_MARK.match(block.text)
            if top and _number(top.group(1)):
                next_number = _number(top.group(1)) + 1
            close_item()
            close_unmatched()
            section = found
            section_heading = clean_line(block.text)
            if found != "other":
                report.sections_found.append(found)
            else:
                report.leftovers.append(
                    Leftover(section_heading, "", _("这一部分不属于推荐材料的固定结构，未读入"))
                )
            continue
        text = block.text
        if not text.strip(_SPACES):
            continue
        if _is_caption(block, text):
            leftover(text, _("图片说明，未读入；照片请在小区资料中上传"))
            continue
        if section in (CRITERIA, ACTIVITIES):
            candidate = _item_candidate(block, boxes[section].values())
            if candidate is not None:
                close_item()
                close_unmatched()
                number, by_number = _box_for(candidate, boxes[section], taken[section])
                if number is None:
                    why = (
                        _("与已读入的一项重复，未读入")
                        if candidate.number in taken[section]
                        else _("对应不到本次评选的任何一项，未读入")
                    )
                    unmatched_lines.extend([why, candidate.heading, candidate.body])
                    continue
                taken[section].add(number)
                heading = clean_line(candidate.heading)
                current = [section, number, heading, [candidate.body], by_number]
                continue
            if current is not None:
                current[3].append(text)
            elif unmatched_lines:
                unmatched_lines.append(text)
            else:
                leftover(text, _("不在任何一项之下，未读入"))
        elif section in collected:
            if section == structure.RESULTS and (
                results_closed or (block.heading_level is not None and block.heading_level >= 2)
            ):
                results_closed = True
                leftover(text, _("成效数据与指标请在小区资料中填写，未读入"))
                continue
            collected[section].append(text)
        elif section == structure.PHOTOS:
            leftover(text, _("照片请在小区资料中上传，图片说明未读入"))
        elif section == "other":
            leftover(text, _("这一部分不属于推荐材料的固定结构，未读入"))
        else:
            leftover(text, _("标题、署名等，未读入"))
    close_item()
    close_unmatched()
    if structure.BASIC in report.sections_found:
        report.overview = clean_text(collected[structure.BASIC])
        report.facts.extend(_text_facts(report.overview))
    if structure.RESULTS in report.sections_found:
        report.highlights = clean_text(collected[structure.RESULTS])
    report.facts = _first_of_each(report.facts)
    return report


_CAPTION = re.compile(rf"^\s*[（(]?\s*图\s*[\d{_NUM}]+[\s　.．:：、)）-]|^\s*[（(]?图为")


def _is_caption(block, text):
    """A photo's caption ("图1 小区新增儿童游乐园", Word's 题注 style): it goes with the photo."""
    style = (block.style or "").lower()
    if style in ("caption", "题注"):
        return True
    return len(text.strip()) <= 60 and bool(_CAPTION.match(text))


def _box_for(candidate, titles, taken):
    """(number, by_number) of the free box a heading goes to, or (None, False)."""
    scores = {n: similarity(candidate.title, t) for n, t in titles.items() if n not in taken}
    best = max(scores, key=lambda n: (scores[n], n == candidate.number), default=None)
    if best is not None and scores[best] >= MATCH:
        return best, False
    if candidate.number in scores:
        return candidate.number, True
    return None, False


# ---------------------------------------------------------------------------------------------
# Basic facts.

# Thousands may be set apart by a comma or a space ("1,250", "1 250"), as typists do.
_NUMBER = r"(?<![\d.])(\d{1,3}(?:[,，  \u2009\u202f]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_ABOUT = r"(约|近|逾|超过|余|大约)?"
MU = Decimal(2000) / Decimal(3)  # square metres in a 亩
CENT = Decimal("0.01")


def _decimal(text):
    try:
        return Decimal(re.sub(r"[,，\s\u2009\u202f]", "", text))
    except InvalidOperation:
        return None


def _area(number, wan, unit):
    """Square metres (Decimal, two places), and whether it was given in 亩."""
    value = _decimal(number)
    if value is None:
        return None, False
    if wan:
        value *= 10000
    if unit == "亩":
        return (value * MU).quantize(CENT), True
    if unit == "公顷":
        return (value * 10000).quantize(CENT), False
    return value.quantize(CENT), False


_FACT_PATTERNS = (
    (
        "households",
        re.compile(rf"{_ABOUT}\s*{_NUMBER}\s*(万)?\s*(余|多)?\s*户(?![型籍口主])"),
    ),
    (
        "land_area",
        re.compile(
            rf"占地(?:面积)?(?:为|约为|达|达到|共|总计)?{_ABOUT}\s*{_NUMBER}\s*(万)?\s*(平方米|㎡|m²|亩|公顷)"
        ),
    ),
    (
        "floor_area",
        re.compile(
            rf"(?:总)?建筑面积(?:为|约为|达|达到|共|总计)?{_ABOUT}\s*{_NUMBER}\s*(万)?\s*(平方米|㎡|m²)"
        ),
    ),
    ("plot_ratio", re.compile(r"容积率(?:仅|仅为|为|约为|约|是|只有|达)?\s*(\d+(?:\.\d+)?)")),
    (
        "green_coverage",
        re.compile(
            r"绿化(?:覆盖)?率(?:为|达|达到|高达|约为|约|超过)?\s*(约)?\s*(\d+(?:\.\d+)?)\s*[%％]"
        ),
    ),
    (
        "year_built",
        re.compile(
            r"(?:始?建(?:成|于)|竣工(?:于)?|交付(?:使用)?于?|建成于)\s*(\d{4})\s*年|(\d{4})\s*年(?:建成|竣工|交付)"
        ),
    ),
    (
        "property_company",
        re.compile(
            r"(?:由|物业服务企业为|物业服务企业是|物业公司为|物业公司是|物业服务单位为)“?"
            r"([^，。；,;“”、\s]{2,40}?(?:物业服务|物业管理|物业)[^，。；,;“”、\s]{0,20}?(?:有限责任公司|股份有限公司|有限公司|集团|公司|中心))"
        ),
    ),
)


def _sentences(text):
    return [s for s in re.split(r"(?<=[。；;！？!?\n])", text) if s.strip()]


def _text_facts(text):
    facts = []
    for sentence in _sentences(text):
        for name, pattern in _FACT_PATTERNS:
            match = pattern.search(sentence)
            if match:
                fact = _fact_from_match(name, match, sentence.strip())
                if fact is not None:
                    facts.append(fact)
    return facts


def _fact_from_match(name, match, source):
    groups = match.groups()
    if name == "households":
        about, number, wan, more = groups
        value = _decimal(number)
        if value is None or (value != value.to_integral() and not wan):
            return None
        if wan:
            value *= 10000
        return Fact(name, str(int(value)), source, about=bool(about or more))
    if name in ("land_area", "floor_area"):
        about, number, wan, unit = groups
        value, in_mu = _area(number, wan, unit)
        if value is None:
            return None
        extra = {"land_area_in_mu": in_mu} if name == "land_area" else {}
        if name == "floor_area":
            extra["floor_area_is_approximate"] = bool(about)
        # The estate records "约" of its floor area, not of its land area.
        return Fact(name, str(value), source, extra, about=bool(about) and name == "land_area")
    if name == "plot_ratio":
        value = _decimal(groups[0])
        return None if value is None else Fact(name, str(value), source)
    if name == "green_coverage":
        about, number = groups
        value = _decimal(number)
        return None if value is None else Fact(name, str(value), source, about=bool(about))
    if name == "year_built":
        return Fact(name, next(g for g in groups if g), source)
    if name == "property_company":
        return Fact(name, groups[0], source)
    return None


_TABLE_LABELS = (
    ("households", re.compile(r"户数|住户|总户数")),
    ("land_area", re.compile(r"占地")),
    ("floor_area", re.compile(r"建筑面积")),
    ("plot_ratio", re.compile(r"容积率")),
    # 绿地率 is another indicator than 绿化覆盖率, and not offered for it.
    ("green_coverage", re.compile(r"绿化(?:覆盖)?率")),
    ("year_built", re.compile(r"建成|竣工|交付")),
    ("property_company", re.compile(r"物业(?:服务)?(?:企业|公司|单位)|物业服务")),
)
_UNKNOWN = re.compile(r"^(?:未提供|不详|未知|暂无|无|—+|-+|/|／)?$")


def _table_facts(rows):
    """Facts from a 基本情况 table: rows of (label, value), two or more pairs in a row."""
    facts = []
    for cells in rows:
        for label, value in zip(cells[0::2], cells[1::2], strict=False):
            if _UNKNOWN.match(value.strip()):
                continue
            source = f"{label}：{value}"
            for name, pattern in _TABLE_LABELS:
                if not pattern.search(label):
                    continue
                fact = _table_fact(name, label, value, source)
                if fact is not None:
                    facts.append(fact)
                break
    return facts


def _table_fact(name, label, value, source):
    if name == "property_company":
        company = value.strip()
        return Fact(name, company, source) if 2 <= len(company) <= 100 else None
    if name == "year_built":
        match = re.search(r"(\d{4})\s*年?", value)
        return Fact(name, match.group(1), source) if match else None
    if name in ("land_area", "floor_area"):
        match = re.search(rf"{_ABOUT}\s*{_NUMBER}\s*(万)?\s*(平方米|㎡|m²|亩|公顷)?", value)
        if not match:
            return None
        about, number, wan, unit = match.groups()
        unit = unit or ("亩" if "亩" in label else "平方米")
        area, in_mu = _area(number, wan, unit)
        if area is None:
            return None
        extra = {"land_area_in_mu": in_mu} if name == "land_area" else {}
        if name == "floor_area":
            extra["floor_area_is_approximate"] = bool(about)
        return Fact(name, str(area), source, extra, about=bool(about) and name == "land_area")
    match = re.search(_NUMBER, value)
    if not match:
        return None
    number = _decimal(match.group(1))
    if number is None:
        return None
    about = bool(re.search(r"约|近|余|多", value))
    if name == "households":
        if "万" in value[match.end() : match.end() + 2]:
            number *= 10000
        if number != number.to_integral():
            return None
        return Fact(name, str(int(number)), source, about=about)
    return Fact(name, str(number), source, about=about)


def _first_of_each(facts):
    """One offer per field: a table's row before a sentence, an earlier sentence before a later."""
    seen = {}
    for fact in facts:
        seen.setdefault(fact.field, fact)
    return list(seen.values())
