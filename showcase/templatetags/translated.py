"""Data texts in the page's language. Editors enter English beside the Chinese (name_en,
tagline_en …); English pages show it, marked lang="en", and where there is none yet, the
Chinese text marked lang="zh-Hans" with a visible 中文原文 · Chinese original. Chinese pages
show the Chinese text as it is."""

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


def english_page():
    return (get_language() or "").startswith("en")


def original_mark():
    """The marker of an untranslated text: seen as 中文原文 · Chinese original, read once by a
    screen reader as "Chinese original" (the Chinese words say the same and are hidden)."""
    return format_html(
        '<small class="original-mark"><span aria-hidden="true"><span lang="zh-Hans">{}</span>'
        " · </span>{}</small>",
        "中文原文",
        _("中文原文"),
    )


@register.simple_tag
def translated(chinese, english="", mark=True):
    """A short text (a name, a tagline, a title) for the page's language.

    `mark`: whether an untranslated text gets the marker; pass a false value where one
    nearby already covers it, e.g. `mark=estate.name_en` for a tagline under a name that is
    marked when it has no English. Usable as `{% translated … as name %}`."""
    chinese, english = chinese or "", english or ""
    if not english_page():
        return conditional_escape(chinese)
    if english:
        return format_html('<span lang="en">{}</span>', english)
    if not chinese:
        return ""
    text = format_html('<span lang="zh-Hans">{}</span>', chinese)
    return format_html("{} {}", text, original_mark()) if mark else text


@register.simple_tag
def translated_label(campaign, mark=True):
    """A campaign's label ("2021 全国…活动", or its English title with the year)."""
    english = campaign.label(campaign.title_en) if campaign.title_en else ""
    return translated(campaign.label(), english, mark)


def lines_of(text):
    """Paragraphs of a text, one a line, or of a list of them (a page's own selection)."""
    lines = text if isinstance(text, list | tuple) else (text or "").splitlines()
    return [line.strip() for line in lines if line and line.strip()]


@register.simple_tag
def translated_paragraphs(chinese, english="", css_class="", mark=True):
    """A long text in a <div>, a <p> a paragraph: the English on English pages when there is
    some, else the Chinese, on English pages under a note that it is the original (`mark`
    as for `translated`). Either text is one paragraph a line, or a list of paragraphs."""
    chinese, english = lines_of(chinese), lines_of(english)
    attributes = format_html(' class="{}"', css_class) if css_class else ""
    text, note = chinese, ""
    if english_page():
        if english:
            text, attributes = english, format_html('{} lang="en"', attributes)
        elif chinese:
            attributes = format_html('{} lang="zh-Hans"', attributes)
            if mark:
                note = format_html(
                    '<p class="original-note" lang="en">{} {}</p>',
                    original_mark(),
                    _("这段文字尚未译成英文。"),
                )
    paragraphs = format_html_join("", "<p>{}</p>", ((line,) for line in text))
    if not paragraphs:
        return ""
    return format_html("<div{}>{}{}</div>", attributes, note, paragraphs)


@register.simple_tag
def original_marker():
    """The 中文原文 marker by itself, on English pages only: for a heading whose section's
    texts are the sources' Chinese (activities, figures, honours, a nomination report)."""
    return original_mark() if english_page() else ""
