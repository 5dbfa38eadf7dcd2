"""The drawing of the estates' cover cards (showcase/covers.py decides what they show).

A card is 1200×630, the size link previews ask for, in the site's colours (static/css/site.css):
a red masthead with the site's mark, the estate's place, name and tagline, and up to three
figures on a white panel. Long names and taglines wrap, then shrink, then end in an ellipsis;
nothing runs off the card. The text is Chinese, as the estate's data is, in the font of
SHOWCASE_COVER_FONT (Noto Sans CJK from Debian's fonts-noto-cjk).
"""

import functools
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont, ImageOps

WIDTH, HEIGHT = 1200, 630
# Part of every digest: raise it when the drawing changes, and every card is drawn again.
DESIGN = "3"
# The site's colours (static/css/site.css).
RED = (179, 38, 30)
RED_DEEP = (150, 30, 24)
PAPER = (255, 255, 255)
TINT = (246, 243, 238)
TINT_DEEP = (236, 229, 218)
INK = (31, 35, 40)
MUTED = (87, 96, 106)
LINE = (216, 222, 228)
# The card is drawn in Chinese whatever the page's language, as the estate's data is; these
# words are part of the image, not of the page.
SITE_NAME = "美好家园"
SITE_MOTTO = "加强物业管理 共建美好家园"
CASE_LABEL = "典型案例"
ILLUSTRATIVE_LABEL = "示例"


# Fonts ---------------------------------------------------------------------------------------


def font_paths():
    """(regular, bold) font files; the bold one falls back to the regular one."""
    regular = settings.SHOWCASE_COVER_FONT
    bold = settings.SHOWCASE_COVER_FONT_BOLD
    return regular, bold if bold and os.path.isfile(bold) else regular


@functools.lru_cache(maxsize=16)
def face_index(path):
    """The Simplified Chinese face of a font collection (.ttc), else its first face."""
    for index in range(64):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family and family.endswith(" SC") and "Mono" not in family:
            return index
    return 0


@functools.lru_cache(maxsize=128)
def _font(path, size):
    return ImageFont.truetype(path, size, index=face_index(path))


def font(size, bold=False):
    regular, heavy = font_paths()
    return _font(heavy if bold else regular, size)


def _glyph(face, text):
    image = Image.new("L", (96, 96))
    ImageDraw.Draw(image).text((8, 8), text, font=face, fill=255)
    return image.tobytes()


@functools.lru_cache(maxsize=16)
def font_problem(path):
    """None when the font at `path` draws Chinese, else why not: "unset", "missing",
    "unreadable" or "no_chinese" (showcase/checks.py says it at start-up)."""
    if not path:
        return "unset"
    if not os.path.isfile(path):
        return "missing"
    try:
        face = ImageFont.truetype(path, 48, index=face_index(path))
    except OSError:
        return "unreadable"
    # A font without Chinese draws its empty-box glyph for every character, the same as for a
    # code point no font has.
    missing = _glyph(face, "\U0010fffd")
    blank = bytes(96 * 96)
    if any(_glyph(face, char) in (missing, blank) for char in "美好家园小区"):
        return "no_chinese"
    return None


def fonts_ready():
    return font_problem(font_paths()[0]) is None


# What is drawn -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    value: str
    unit: str
    label: str


@dataclass(frozen=True)
class CoverContent:
    name: str
    place: str
    tagline: str
    figures: tuple
    illustrative: bool

    def digest(self, *extra):
        """A name for the drawing of this content: equal exactly when the image would be."""
        fonts = [
            (path, os.path.getsize(path) if os.path.isfile(path) else 0) for path in font_paths()
        ]
        data = json.dumps([DESIGN, fonts, asdict(self), *extra], ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


# Text layout ---------------------------------------------------------------------------------

# Kept off the start of a line (closing punctuation) and off its end (opening punctuation).
NO_LINE_START = set("，。、；：！？）》」』”’〉】…—%·,.;:!?)]}")
NO_LINE_END = set("（《「『“‘〈【([{")
TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,'%\-]*|\s+|.")


def _tokens(text):
    """Pieces a line may break between: a Chinese character, a Latin word or number, a space;
    punctuation stays with its neighbour."""
    pieces = []
    for piece in TOKENS.findall(text):
        glued = piece[0] in NO_LINE_START or (pieces and pieces[-1][-1] in NO_LINE_END)
        if pieces and glued and not pieces[-1].isspace() and not piece.isspace():
            pieces[-1] += piece
            continue
        pieces.append(piece)
    return pieces


def _split_long(piece, face, width):
    parts, current = [], ""
    for char in piece:
        if current and face.getlength(current + char) > width:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current]


def wrap(text, face, width):
    lines, current = [], ""
    for piece in _tokens(text):
        if piece.isspace():
            if current:
                current += " "
            continue
        if face.getlength(current + piece) <= width:
            current += piece
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        if face.getlength(piece) > width:
            *whole, piece = _split_long(piece, face, width)
            lines.extend(whole)
        current = piece
    if current.strip():
        lines.append(current.rstrip())
    return lines


def fit(text, width, max_lines, sizes, bold=False):
    """(font, lines): the largest of `sizes` at which `text` takes at most `max_lines` lines of
    `width`; at the smallest, the last line is cut with an ellipsis."""
    for size in sizes:
        face = font(size, bold)
        lines = wrap(text, face, width)
        if len(lines) <= max_lines:
            return face, lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1]
    kept[-1] = last.rstrip("，、；：,;: ") + "…"
    return face, kept


# Drawing -------------------------------------------------------------------------------------


def _house(draw, box, colour):
    """The site's mark: a house with a gabled roof and a door (static/img/icon.svg)."""
    left, top, size = box
    scale = size / 64
    points = [
        (14, 34),
        (32, 18),
        (50, 34),
        (50, 48),
        (38, 48),
        (38, 38),
        (26, 38),
        (26, 48),
        (14, 48),
    ]
    draw.polygon([(left + x * scale, top + y * scale) for x, y in points], fill=colour)


def _backdrop(draw, base):
    """Quiet rooftops on the right, standing on `base`, in a deeper shade of the page's tint."""
    x = 1200 - 470
    for width, height in ((120, 150), (150, 230), (110, 180), (160, 270), (130, 200)):
        roof = base - height
        eave = roof + width * 0.42
        draw.polygon(
            [(x, base), (x, eave), (x + width / 2, roof), (x + width, eave), (x + width, base)],
            fill=TINT_DEEP,
        )
        x += width - 28


def draw_card(content):
    """The 1200×630 cover card of `content` (an RGB image)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), TINT)
    draw = ImageDraw.Draw(image)
    margin = 64
    inner = WIDTH - 2 * margin

    # The masthead: the site's mark and name, and what this is.
    draw.rectangle((0, 0, WIDTH, 96), fill=RED)
    draw.rectangle((0, HEIGHT - 8, WIDTH, HEIGHT), fill=RED)
    draw.ellipse((margin, 20, margin + 56, 76), outline=PAPER, width=3)
    _house(draw, (margin + 4, 22, 48), PAPER)
    draw.text((margin + 76, 60), SITE_NAME, font=font(32, bold=True), fill=PAPER, anchor="ls")
    motto_x = margin + 76 + font(32, bold=True).getlength(SITE_NAME) + 20
    draw.text((motto_x, 58), SITE_MOTTO, font=font(22), fill=(246, 214, 210), anchor="ls")
    label = CASE_LABEL
    label_font = font(24, bold=True)
    right = WIDTH - margin
    if content.illustrative:
        # Marked as the campaign is: its selection is an example, not an official result.
        tag_font = font(22, bold=True)
        tag_width = tag_font.getlength(ILLUSTRATIVE_LABEL) + 24
        draw.rounded_rectangle((right - tag_width, 32, right, 66), radius=17, fill=PAPER)
        draw.text(
            (right - tag_width / 2, 57), ILLUSTRATIVE_LABEL, font=tag_font, fill=RED, anchor="ms"
        )
        right -= tag_width + 14
    draw.text((right, 58), label, font=label_font, fill=PAPER, anchor="rs")

    # The figures: a white panel along the foot, one column each.
    panel_top = HEIGHT
    if content.figures:
        panel_top = HEIGHT - 48 - 132
    _backdrop(draw, panel_top + 40)
    if content.figures:
        draw.rounded_rectangle(
            (margin, panel_top, WIDTH - margin, HEIGHT - 48), radius=12, fill=PAPER, outline=LINE
        )
        column = inner / len(content.figures)
        for i, figure in enumerate(content.figures):
            left = margin + i * column + 32
            if i:
                x = margin + i * column
                draw.line((x, panel_top + 28, x, HEIGHT - 48 - 28), fill=LINE, width=2)
            room = column - 56
            unit_font = font(26, bold=True)
            unit_width = unit_font.getlength(figure.unit) + (6 if figure.unit else 0)
            value_font, _lines = fit(
                figure.value, room - unit_width, 1, range(56, 27, -2), bold=True
            )
            baseline = panel_top + 72
            draw.text((left, baseline), figure.value, font=value_font, fill=RED, anchor="ls")
            if figure.unit:
                unit_x = left + value_font.getlength(figure.value) + 6
                draw.text((unit_x, baseline), figure.unit, font=unit_font, fill=RED, anchor="ls")
            label_face, label_lines = fit(figure.label, room, 1, range(22, 15, -1))
            draw.text(
                (left, panel_top + 108), label_lines[0], font=label_face, fill=MUTED, anchor="ls"
            )

    # The estate: place, name and tagline, centred in the room between masthead and figures.
    place_face = font(28)
    name_face, name_lines = fit(content.name, inner, 2, range(88, 47, -4), bold=True)
    blocks = [(place_face, [content.place], 1.0, RED, 16)]
    blocks.append((name_face, name_lines, 1.18, INK, 20))
    if content.tagline:
        tagline_face, tagline_lines = fit(content.tagline, inner, 2, range(40, 25, -2), bold=True)
        blocks.append((tagline_face, tagline_lines, 1.35, RED_DEEP, 0))
    height = sum(
        face.size * (1 + (len(lines) - 1) * pitch) + gap for face, lines, pitch, _c, gap in blocks
    )
    top = 96 + max(24, (panel_top - 96 - height) / 2)
    for face, lines, pitch, colour, gap in blocks:
        for n, line in enumerate(lines):
            baseline = top + face.size * (0.88 + n * pitch)
            if face is place_face:
                draw.rectangle((margin, baseline - 22, margin + 6, baseline + 2), fill=RED)
                draw.text((margin + 18, baseline), line, font=face, fill=colour, anchor="ls")
            else:
                draw.text((margin, baseline), line, font=face, fill=colour, anchor="ls")
        top += face.size * (1 + (len(lines) - 1) * pitch) + gap
    return image


def draw_photo_cover(photo_file, content):
    """A 1200×630 share image cut from a cover photo, the estate's name on a dark band."""
    with Image.open(photo_file) as source:
        picture = ImageOps.fit(ImageOps.exif_transpose(source).convert("RGB"), (WIDTH, HEIGHT))
    shade = Image.new("L", (1, HEIGHT))
    for y in range(HEIGHT):
        shade.putpixel((0, y), int(max(0, (y - HEIGHT * 0.45) / (HEIGHT * 0.55)) * 200))
    picture.paste(Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0)), mask=shade.resize((WIDTH, HEIGHT)))
    draw = ImageDraw.Draw(picture)
    margin = 56
    draw.rounded_rectangle((margin, 40, margin + 172, 88), radius=24, fill=RED)
    draw.text((margin + 86, 74), SITE_NAME, font=font(28, bold=True), fill=PAPER, anchor="ms")
    if content.illustrative:
        draw.rounded_rectangle((margin + 184, 44, margin + 264, 84), radius=20, fill=PAPER)
        draw.text(
            (margin + 224, 72), ILLUSTRATIVE_LABEL, font=font(24, bold=True), fill=RED, anchor="ms"
        )
    bottom = HEIGHT - 48
    if content.tagline:
        face, lines = fit(content.tagline, WIDTH - 2 * margin, 1, range(34, 23, -2))
        draw.text((margin, bottom), lines[0], font=face, fill=PAPER, anchor="ls")
        bottom -= face.size + 24
    face, lines = fit(content.name, WIDTH - 2 * margin, 1, range(72, 39, -4), bold=True)
    draw.text((margin, bottom), lines[0], font=face, fill=PAPER, anchor="ls")
    draw.text(
        (margin, bottom - face.size - 8), content.place, font=font(26), fill=PAPER, anchor="ls"
    )
    return picture
