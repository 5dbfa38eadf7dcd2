"""Each estate's face on a page: {% estate_cover estate "card" %} for cards, "feature" for the
province feature's entries, "header" for the profile's header image, and
{% estate_share_image estate %} for its og:image (showcase/covers.py)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import covers

register = template.Library()

# How wide each use shows the image (CSS px), for the browser's pick from srcset: a card is
# the page's width on a phone and half of 60rem from 48rem; the others the text's width.
SIZES = {
    "card": "(min-width: 48rem) 29rem, calc(100vw - 2rem)",
    "feature": "(min-width: 38rem) 36rem, calc(100vw - 2rem)",
    "header": "(min-width: 60rem) 58rem, calc(100vw - 2rem)",
}


def _photo_width(photo, longest):
    """The width of a rendition whose longest side is at most `longest` (estates/images.py)."""
    if not photo.width or not photo.height:
        return None
    return round(photo.width * min(1, longest / max(photo.width, photo.height)))


def _card_alt(content):
    """What the generated card says, for a header image that is read out."""
    figures = "，".join(f"{f.label}{f.value}{f.unit}" for f in content.figures)
    parts = [content.name, content.place, content.tagline, figures]
    return "；".join(part for part in parts if part)


@register.simple_tag
def estate_cover(estate, use="card"):
    """An <img> of the estate's cover photo, else of its generated card, sized 1200×630 (the
    card's proportions, which covers.css keeps for photos too). Cards and feature entries
    carry the estate's name and place beside the image, so there it is decorative (alt="");
    the profile's header says what it shows. Runs no query: photos come from the page's
    prefetch (`covers` on lists, all photos on the profile)."""
    if use not in SIZES:
        raise template.TemplateSyntaxError(f"estate_cover: unknown use {use!r}")
    photo = covers.cover_photo(estate)
    header = use == "header"
    sizes = SIZES[use]
    alt = ""
    if photo is not None:
        sources = [(photo.medium_url, _photo_width(photo, 1200))]
        if header:
            alt = photo.caption
        else:
            sources.insert(0, (photo.thumb_url, _photo_width(photo, 480)))
        kind = "photo"
    else:
        version = None
        if header:
            content = covers.cover_content(estate)
            alt = _card_alt(content)
            # Named by what is drawn, as the share image is: one file for the page and a
            # share preview. The card repeats the page's title, so it is shown at the
            # feature's width, not the page's (covers.css).
            version = content.digest()
            sizes = SIZES["feature"]
        sources = [
            (covers.card_url(estate, width, version), width) for width in sorted(covers.CARD_WIDTHS)
        ]
        kind = "generated"
    srcset = ", ".join(f"{url} {width}w" for url, width in sources if width)
    return format_html(
        '<img src="{}"{} width="{}" height="{}" alt="{}" lang="zh-Hans" '
        'class="estate-cover estate-cover-{} estate-cover-{}" decoding="async"{}>',
        sources[-1][0],
        format_html(' srcset="{}" sizes="{}"', srcset, sizes) if srcset else "",
        covers.WIDTH,
        covers.HEIGHT,
        alt,
        use,
        kind,
        # The header loads at once (the first thing a reader sees), the others as they near.
        "" if header else mark_safe(' loading="lazy"'),
    )


@register.simple_tag(takes_context=True)
def estate_share_image(context, estate):
    """The absolute address of the estate's 1200×630 share image, for og:image."""
    return context["request"].build_absolute_uri(covers.share_url(estate))
