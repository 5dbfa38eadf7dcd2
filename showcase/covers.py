"""Each estate's face: its cover photo where it has one, else a generated cover card.

What the card shows is read here from the estate (its name, place, tagline, and up to three
figures it knows; never a 0 for an unknown) and drawn by showcase/cover_art.py. Files are kept
in the media storage (a folder under MEDIA_ROOT, or object storage that every app server
shares) under covers/<slug>/, named by a digest of everything drawn: a change of the data
draws a new file (the old ones are removed), an unchanged estate is drawn once, on the first
request for it. The views serve them at stable addresses: /estates/<slug>/cover.png (and
cover-600.png for cards), and cover.jpg, cut from the estate's cover photo.
"""

import functools
import io
import logging
import os
import tempfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.urls import reverse
from django.views.decorators.http import require_safe
from PIL import Image

from estates.models import Estate, Metric, Nomination, Photo
from estates.numbers import plain_number, two_places

from . import cache as page_cache
from .cover_art import HEIGHT, WIDTH, CoverContent, Figure, draw_card, draw_photo_cover, fonts_ready

CARD_WIDTHS = (1200, 600)
HEADLINE_METRICS = ("satisfaction", "fee_collection")
logger = logging.getLogger(__name__)
# Browsers keep an image this long before asking again (an ETag makes asking cheap).
MAX_AGE = 3600


# What a card shows ---------------------------------------------------------------------------


def _prefetched(estate, name):
    return name in getattr(estate, "_prefetched_objects_cache", {})


def latest_metrics(estate):
    """{code: the estate's latest Metric} of the headline metrics; from the rows the page has
    fetched already when it has them."""
    if _prefetched(estate, "metrics"):
        rows = [metric for metric in estate.metrics.all() if metric.is_latest]
    else:
        rows = Metric.objects.filter(
            estate=estate, is_latest=True, metric_type__code__in=HEADLINE_METRICS
        ).select_related("metric_type")
    return {m.metric_type.code: m for m in rows if m.metric_type.code in HEADLINE_METRICS}


def only_illustrative(estate):
    """Public only through campaigns marked 示例数据: the card says 示例 too."""
    nominations = getattr(estate, "public_nominations", None)
    if nominations is None:
        nominations = Nomination.objects.public().filter(estate=estate).select_related("campaign")
    nominations = list(nominations)
    return bool(nominations) and all(n.campaign.is_illustrative for n in nominations)


def figures_of(estate, metrics):
    """Up to three figures the estate knows, the most telling first; unknown ones are left
    out, never shown as 0."""
    found = []
    for code in HEADLINE_METRICS:
        metric = metrics.get(code)
        if metric is not None and metric.value is not None:
            kind = metric.metric_type
            when = f"（{metric.date.year}年）" if metric.date else ""
            found.append(
                Figure(plain_number(two_places(metric.value)), kind.unit, kind.name + when)
            )
    if estate.households is not None:
        found.append(Figure(plain_number(estate.households), "户", "小区住户"))
    if estate.year_built is not None:
        found.append(Figure(str(estate.year_built), "年", "建成年份"))
    elif estate.construction_period and len(estate.construction_period) <= 8:
        found.append(Figure(estate.construction_period, "", "建成年代"))
    if estate.residents is not None:
        found.append(Figure(plain_number(estate.residents), "人", "居住人数"))
    if estate.buildings is not None:
        found.append(Figure(plain_number(estate.buildings), "栋", "楼栋"))
    return tuple(found[:3])


def place_of(estate):
    parts = [estate.province.short_name]
    if estate.city.name != estate.province.name:
        parts.append(estate.city.name)
    if estate.district:
        parts.append(estate.district)
    return "·".join(parts)


def cover_content(estate, metrics=None, illustrative=None):
    """What the card of `estate` shows (its province and city loaded with it)."""
    metrics = latest_metrics(estate) if metrics is None else metrics
    return CoverContent(
        name=estate.name.strip(),
        place=place_of(estate),
        tagline=" ".join(estate.tagline.split()),
        figures=figures_of(estate, metrics),
        illustrative=only_illustrative(estate) if illustrative is None else illustrative,
    )


# Files ---------------------------------------------------------------------------------------


def covers_folder(estate):
    """The estate's folder in the media storage (a storage name, not a local path)."""
    return f"covers/{estate.slug}"


def _local_path(name):
    """The file's path when the media storage is a local folder, else None (object storage)."""
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return None


def _write(name, image, **options):
    """Store the drawing under `name` (or, should another server have stored it meanwhile,
    a name beside it); returns the stored name. A request reading the file never sees half
    of it: a local file is written aside and renamed, an object is whole once stored."""
    buffer = io.BytesIO()
    image.save(buffer, **options)
    path = _local_path(name)
    if path is None:
        return default_storage.save(name, ContentFile(buffer.getvalue()))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def _clear_others(folder, keep, suffix):
    """Remove the estate's earlier drawings of one kind (a card's .png, a photo's .jpg)."""
    try:
        _folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for old in names:
        if old.endswith(suffix) and not old.startswith((keep, ".")):
            default_storage.delete(f"{folder}/{old}")


def card_files(estate, content):
    """{width: storage name} of the card of `estate`, drawn now unless this content was
    drawn before."""
    digest = content.digest()
    folder = covers_folder(estate)
    names = {width: f"{folder}/{digest}-{width}.png" for width in CARD_WIDTHS}
    if not all(default_storage.exists(name) for name in names.values()):
        card = draw_card(content)
        for width, name in names.items():
            drawn = (
                card
                if width == WIDTH
                else card.resize((width, width * HEIGHT // WIDTH), Image.LANCZOS)
            )
            # A palette of 128 colours: the card is flat colour and anti-aliased text, and
            # a third of the size of a full-colour PNG.
            names[width] = _write(
                name, drawn.quantize(128, dither=Image.Dither.NONE), format="PNG", optimize=True
            )
        _clear_others(folder, digest, ".png")
    return names


def photo_file(estate, content, photo):
    """The storage name of the share image cut from `photo`, drawn now unless drawn before."""
    digest = content.digest(photo.image.name)
    folder = covers_folder(estate)
    name = f"{folder}/{digest}-photo.jpg"
    if not default_storage.exists(name):
        with photo.image.storage.open(photo.image.name, "rb") as source:
            picture = draw_photo_cover(source, content)
        name = _write(name, picture, format="JPEG", quality=85, optimize=True, progressive=True)
        _clear_others(folder, digest, ".jpg")
    return name


# Addresses -----------------------------------------------------------------------------------


def cover_photo(estate):
    """The photo marked 封面, from the rows the page fetched with the estate (lists fetch
    `covers`, the profile all its photos); never a query of its own, so a list of cards costs
    none per estate. None where the page fetched no photos."""
    covers = getattr(estate, "covers", None)
    if covers is not None:
        return covers[0] if covers else None
    if _prefetched(estate, "photos"):
        return next((photo for photo in estate.photos.all() if photo.is_cover), None)
    return None


def card_url(estate, width=WIDTH, version=None):
    """The address of the estate's card. A list does not know what a card draws (that needs
    the estate's metrics), so it names the estate's last save: an edit of the estate fetches
    the card afresh, and a change anywhere else (a draft of another estate) leaves the page
    and the browser's copy alone. A change made without saving the estate (a metric sheet)
    reaches browsers when their copy expires (MAX_AGE); the server always draws the card
    of the data as it is."""
    name = "estate_cover" if width == WIDTH else "estate_cover_small"
    url = reverse(name, kwargs={"slug": estate.slug})
    if version is None:
        version = int(estate.updated_at.timestamp())
    return f"{url}?v={version}"


def share_url(estate):
    """The address of the estate's 1200×630 share image (og:image), naming what is drawn: a
    changed card gets a new address, which link previews fetch afresh, and an unchanged one
    keeps its address whatever else changes. For a profile, whose estate comes with its
    metrics, nominations and photos (else they are read)."""
    content = cover_content(estate)
    photo = cover_photo(estate)
    if photo is not None:
        url = reverse("estate_photo_cover", kwargs={"slug": estate.slug})
        return f"{url}?v={content.digest(photo.image.name)}"
    return card_url(estate, version=content.digest())


# Views ---------------------------------------------------------------------------------------


def _published_estate(slug):
    estate = Estate.objects.published().select_related("province", "city").filter(slug=slug).first()
    if estate is None:
        raise Http404
    return estate


def _locate(slug, kind, fresh=False):
    """The stored files of a published estate's card ("card") or photo cover ("photo"), as
    {width: storage name}, kept in the cache for the current content version: a request for
    an unchanged estate reads nothing but the version."""
    key = f"cover:{page_cache.current_version()}:{kind}:{slug}"
    found = None if fresh else cache.get(key)
    if found is not None:
        return found
    estate = _published_estate(slug)
    content = cover_content(estate)
    if kind == "photo":
        photo = Photo.objects.filter(estate=estate, is_cover=True).first()
        if photo is None:
            raise Http404
        found = {WIDTH: photo_file(estate, content, photo)}
    else:
        found = card_files(estate, content)
    cache.set(key, found, settings.PUBLIC_PAGE_CACHE_SECONDS)
    return found


def _serve(request, name, content_type, filename, open_file):
    """Answer with the file `name` (opened by `open_file` only when the browser's copy is
    not the current one), tagged by its name, which names what is drawn."""
    tag = f'"{PurePosixPath(name).stem}"'
    if tag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = FileResponse(open_file(name), content_type=content_type, filename=filename)
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def _open_static(path):
    return open(path, "rb")  # FileResponse closes it


def _open_stored(name):
    return default_storage.open(name, "rb")


@functools.cache
def _warn_once():
    logger.warning(
        "封面卡片字体不可用（%s），各小区的封面以网站的通用分享图代替；"
        "见 manage.py check 的 showcase.W002。",
        settings.SHOWCASE_COVER_FONT,
    )


@require_safe
def card_image(request, slug, width=WIDTH):
    """/estates/<slug>/cover.png: the estate's generated card (404 unless published). Without a
    font that draws Chinese, the site's plain share image stands in (the check says why)."""
    if not fonts_ready():
        _published_estate(slug)
        _warn_once()
        share = finders.find("img/share.png")
        return _serve(request, share, "image/png", f"{slug}.png", _open_static)
    return _serve_located(request, slug, "card", width, "image/png")


@require_safe
def photo_image(request, slug):
    """/estates/<slug>/cover.jpg: the share image cut from the estate's cover photo."""
    return _serve_located(request, slug, "photo", WIDTH, "image/jpeg")


def _serve_located(request, slug, kind, width, content_type):
    name = f"{slug}.{'jpg' if kind == 'photo' else 'png'}"
    try:
        return _serve(request, _locate(slug, kind)[width], content_type, name, _open_stored)
    except FileNotFoundError:
        # Removed since the cache named it (the estate changed meanwhile): look again.
        stored = _locate(slug, kind, fresh=True)[width]
        return _serve(request, stored, content_type, name, _open_stored)
