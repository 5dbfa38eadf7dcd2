"""Photos are people's homes: every upload is decoded in full under a pixel limit, turned
upright, stripped of all metadata (GPS above all), re-encoded, and given the renditions the
public site shows. Anything else is refused with a message saying why.

A file with several pictures keeps its first: the photo of a phone's multi-picture JPEG (MPO),
the first frame of an animated WebP or PNG (APNG). GIF is not a photo format and is refused."""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; anything larger is refused before decoding
# Pillow's format name -> what the sender knows it as. Many phones and cameras write JPEGs with
# extra pictures (depth map, preview) that Pillow reads as MPO: they are JPEGs all the same.
ALLOWED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# (name, longest side in pixels) of each stored rendition; "full" replaces the upload.
RENDITIONS = (("full", 2400), ("medium", 1200), ("thumb", 480))
JPEG_QUALITY = 85
# Single-channel modes of more than 8 bits (a 16-bit grey PNG): their range is 0–65535.
WIDE_GREY_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N"}

STORAGE_FULL_MESSAGE = _("存储空间不足，照片未保存。请联系系统管理员清理空间后再上传。")
STORAGE_FAILED_MESSAGE = _("照片写入存储时出错，未保存。请稍后重试；如仍不行，请联系系统管理员。")


@dataclass
class CleanPhoto:
    files: dict  # rendition name -> ContentFile (JPEG)
    width: int
    height: int


def clean_photo(upload):
    """Check and clean one uploaded file; raises ValidationError with a Chinese message."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("图片文件过大（%(size)s MB），请上传不超过 %(limit)s MB 的照片。"),
            code="too_large",
            params={"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_UPLOAD_BYTES // 1024 // 1024},
        )
    upload.seek(0)
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("只接受 JPEG、PNG 或 WebP 格式的照片，这个文件是 %(format)s。"),
                    code="format",
                    params={"format": image.format or _("未知格式")},
                )
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(
                    _("图片像素过多（%(width)s×%(height)s），请缩小到 4000 万像素以内再上传。"),
                    code="too_many_pixels",
                    params={"width": image.width, "height": image.height},
                )
            image.seek(0)  # the first picture of an MPO or an animation; the others are dropped
            image.load()  # decode every pixel now: a truncated file fails here, not later
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("图片尺寸异常巨大，疑似“解压炸弹”，已拒绝。"), code="decompression_bomb"
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            _("无法识别为图片。只接受 JPEG、PNG 或 WebP 格式的照片。"), code="not_an_image"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("图片文件已损坏或不完整，请重新导出后再上传。"), code="broken_image"
        ) from None

    upright = ImageOps.exif_transpose(image)  # one frame: a plain image from here on
    if upright.mode in WIDE_GREY_MODES:
        # Pillow's convert() clips such values at 255 (a photo turns almost white): scale
        # 0–65535 down to 0–255 instead.
        upright = upright.convert("I").point(lambda value: value / 257).convert("L")
    if upright.has_transparency_data:
        # Flatten transparency onto white: photos are stored as JPEG.
        rgba = upright.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        upright = background
    elif upright.mode != "RGB":
        upright = upright.convert("RGB")

    files = {}
    for name, longest in RENDITIONS:
        copy = upright.copy()
        copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        # A fresh image written without exif/icc/xmp arguments carries no metadata at all.
        copy.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        files[name] = ContentFile(buffer.getvalue())
        if name == "full":
            width, height = copy.size
    return CleanPhoto(files=files, width=width, height=height)
