"""How the portal's nomination reports look: an official document after GB/T 9704 (A4, 仿宋
三号 body on a fixed line pitch, 黑体 and 楷体 headings, "— 1 —" page numbers), set in the
styles of a python-docx document so that Word, WPS and LibreOffice agree.

python-docx's font.name sets only the Latin font; Chinese text takes w:eastAsia, which is set
here in every style. The default template's theme fonts (a Japanese Mincho) are removed, and
each Chinese font is declared in the font table with its English name, GB2312 charset and
kind, so that a computer without it substitutes one of the same kind instead of any font.
"""

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

FANGSONG = "仿宋"
SONG = "宋体"
HEI = "黑体"
KAI = "楷体"
XIAOBIAOSONG = "方正小标宋简体"

# name: (English name, PANOSE as Windows writes it, family). Family is the kind a substitute
# is chosen by: roman for the serif faces, swiss for 黑体.
FONT_TABLE = {
    FANGSONG: ("FangSong", "02010609060101010101", "roman"),
    SONG: ("SimSun", "02010600030101010101", "roman"),
    HEI: ("SimHei", "02010609060101010101", "swiss"),
    KAI: ("KaiTi", "02010609060101010101", "roman"),
    XIAOBIAOSONG: ("FZXiaoBiaoSong-B05S", "02000000000000000000", "roman"),
}
GB2312_CHARSET = "86"

# Sizes by their Chinese names.
ERHAO = Pt(22)  # 二号: the title
SANHAO = Pt(16)  # 三号: body and headings
SIHAO = Pt(14)  # 四号: page numbers, captions
XIAOSI = Pt(12)  # 小四: tables

# The type area of GB/T 9704 holds 22 lines: 225 mm / 22 ≈ 28.9 pt per line.
LINE_PITCH = Pt(28.9)
TABLE_LINE = Pt(20)
NO_SPACE = Pt(0)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
COLUMN_WIDTH = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]
TEXT_HEIGHT = PAGE_HEIGHT - MARGINS["top"] - MARGINS["bottom"]
BLACK = RGBColor(0, 0, 0)
GREY = RGBColor(0x80, 0x80, 0x80)

STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# Styles of the portal's own (the template's names are Word's built-in ones).
FIGURE = "Figure"
TABLE_TEXT = "Table Text"
TABLE_HEADING = "Table Heading"


def set_up(document):
    """Page, styles, font table and page numbers of a new python-docx document."""
    _drop_template_leftovers(document)
    _page(document)
    _styles(document)
    _font_table(document)
    _page_numbers(document)


def _drop_template_leftovers(document):
    """The template's thumbnail (a blank page) and its Word 2010 copy of the styles, which
    would keep the theme fonts for Word 2010."""
    package = document.part.package
    for rId, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rId]
    for rId, rel in list(document.part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            document.part.drop_rel(rId)


def _page(document):
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = Mm(15)
    # The page number sits about 7 mm below the type area.
    section.footer_distance = Mm(22)


def _fonts(rpr_owner, name):
    """Latin, Chinese and complex-script font of a style's run properties, without themes."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), name)


def _paragraph_style(
    style,
    font,
    size,
    *,
    bold=False,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent=True,
    line=LINE_PITCH,
    before=NO_SPACE,
    after=NO_SPACE,
    keep_with_next=False,
):
    style.font.name = font
    _fonts(style.element, font)
    style.font.size = size
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = BLACK
    fmt = style.paragraph_format
    fmt.alignment = align
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing, fmt.line_spacing_rule = line, WD_LINE_SPACING.EXACTLY
    fmt.space_before, fmt.space_after = before, after
    fmt.keep_with_next = keep_with_next
    fmt.widow_control = True
    ind = style.element.get_or_add_pPr().get_or_add_ind()
    for attribute in list(ind.attrib):
        del ind.attrib[attribute]
    ind.set(qn("w:left"), "0")
    if indent:
        # Two characters of the style's own size; firstLineChars is what Word and WPS read.
        ind.set(qn("w:firstLine"), str(int(size.pt * 2 * 20)))
        ind.set(qn("w:firstLineChars"), "200")
    else:
        ind.set(qn("w:firstLine"), "0")
        ind.set(qn("w:firstLineChars"), "0")
    ppr = style.element.pPr
    for tag in ("w:pBdr", "w:contextualSpacing"):
        for element in ppr.findall(qn(tag)):
            ppr.remove(element)


def _styles(document):
    styles = document.styles
    # The template's hundred table designs go unused; without them the styles pane is
    # shorter and python-docx, which looks a style up by walking the list, is much faster.
    for style in list(styles):
        if style.type == WD_STYLE_TYPE.TABLE and style.name not in ("Normal Table", "Table Grid"):
            style.delete()
    root = styles.element
    # Theme fonts win over named ones in Word: remove every theme reference first.
    for fonts in root.iter(qn("w:rFonts")):
        for attribute in list(fonts.attrib):
            if attribute.lower().endswith("theme"):
                del fonts.attrib[attribute]
    defaults = root.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), FANGSONG)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")

    _paragraph_style(styles["Normal"], FANGSONG, SANHAO)
    _paragraph_style(
        styles["Title"],
        XIAOBIAOSONG,
        ERHAO,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=Pt(36),
        after=Pt(6),
    )
    _paragraph_style(
        styles["Subtitle"],
        KAI,
        SANHAO,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        after=LINE_PITCH,
    )
    _paragraph_style(styles["Heading 1"], HEI, SANHAO, keep_with_next=True)
    # Bold: where 楷体 is missing its stand-in is the body's serif, and must still stand out.
    _paragraph_style(styles["Heading 2"], KAI, SANHAO, bold=True, keep_with_next=True)
    _paragraph_style(styles["Heading 3"], FANGSONG, SANHAO, bold=True, keep_with_next=True)
    _paragraph_style(
        styles["Caption"],
        FANGSONG,
        SIHAO,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=None,
        after=Pt(12),
    )
    _paragraph_style(
        styles["Footer"], SONG, SIHAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, line=None
    )
    figure = styles.add_style(FIGURE, WD_STYLE_TYPE.PARAGRAPH)
    figure.base_style = styles["Normal"]
    # Single spacing: a picture in a paragraph of fixed line height is cut to that height.
    _paragraph_style(
        figure,
        FANGSONG,
        SANHAO,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=None,
        before=Pt(6),
        keep_with_next=True,
    )
    for name, font, bold, align in (
        (TABLE_TEXT, SONG, False, WD_ALIGN_PARAGRAPH.LEFT),
        (TABLE_HEADING, HEI, False, WD_ALIGN_PARAGRAPH.CENTER),
    ):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        _paragraph_style(style, font, XIAOSI, bold=bold, align=align, indent=False, line=TABLE_LINE)


def _font_table(document):
    part = next(
        rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.FONT_TABLE
    )
    fonts = parse_xml(part.blob)
    for name, (alternate, panose, family) in FONT_TABLE.items():
        for old in fonts.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                fonts.remove(old)
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (
            ("w:altName", alternate),
            ("w:panose1", panose),
            ("w:charset", GB2312_CHARSET),
            ("w:family", family),
            ("w:pitch", "variable"),
        ):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        fonts.append(font)
    # A generic part: python-docx keeps its bytes and has no API to change them.
    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(document):
    """ "— 1 —" centred below the type area, the number a PAGE field."""
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.style = document.styles["Footer"]
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text
    end = paragraph.add_run()
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end._r.append(char)
    paragraph.add_run(" —")


def add_paragraph(document, text="", style="Normal"):
    """A paragraph at the end of the document, a little apart from a table just before it."""
    body = document.element.body
    after_table = len(body) >= 2 and body[-2].tag == qn("w:tbl")  # body[-1] is the sectPr
    # The default style is Normal: naming it would cost python-docx a walk of the styles.
    paragraph = document.add_paragraph(text, style=None if style == "Normal" else style)
    if after_table:
        paragraph.paragraph_format.space_before = Pt(8)
    return paragraph


def table(document, rows, widths, header=None):
    """A bordered table of text rows in the table styles; `header` repeats on each page."""
    grid = document.add_table(rows=0, cols=len(widths))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    # Style ids set on the cells' XML: through python-docx's style setter each cell would
    # cost a walk of the document's styles.
    ids = {name: document.styles[name].style_id for name in (TABLE_HEADING, TABLE_TEXT)}
    lines = ([(header, TABLE_HEADING)] if header else []) + [(row, TABLE_TEXT) for row in rows]
    for index, (values, style) in enumerate(lines):
        cells = grid.add_row().cells
        for cell, width, value in zip(cells, widths, values, strict=True):
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph._p.style = ids[style]
            paragraph.add_run(value)
        if header and index == 0:
            repeat = OxmlElement("w:tblHeader")
            grid.rows[0]._tr.get_or_add_trPr().append(repeat)
    return grid
