"""Photos as phones and cameras really write them: multi-picture JPEG, 16-bit PNG, animations."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from estates.images import clean_photo
from estates.models import Estate, Photo

from .builders import make_staff

pytestmark = pytest.mark.django_db

LINYI = "aozhengchengyuannanqu"
RED, BLUE = (200, 30, 30), (30, 30, 200)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(data, name="IMG_0001.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def phone_mpo(size=(640, 480)):
    """What many phones write: a JPEG with a second picture after it (Pillow reads MPO), the
    camera's orientation (turn 90° clockwise) and GPS in the first picture's EXIF."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneCam"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    buffer = io.BytesIO()
    Image.new("RGB", size, RED).save(
        buffer,
        format="MPO",
        save_all=True,
        append_images=[Image.new("RGB", (160, 120), BLUE)],
        exif=exif,
    )
    return buffer.getvalue()


def animated(format, **options):
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (120, 80), RED), Image.new("RGB", (120, 80), BLUE)
    first.save(buffer, format=format, save_all=True, append_images=[second], **options)
    return buffer.getvalue()


def decoded(content):
    content.seek(0)
    return Image.open(io.BytesIO(content.read()))


def near(colour, expected, tolerance=3):
    """JPEG keeps a flat colour within a few levels."""
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


# Multi-picture JPEG (MPO) --------------------------------------------------------------------


def test_mpo_phone_photo_is_kept_upright_without_metadata():
    data = phone_mpo()
    original = Image.open(io.BytesIO(data))
    assert (original.format, original.n_frames) == ("MPO", 2)
    cleaned = clean_photo(upload(data))
    full = decoded(cleaned.files["full"])
    assert full.format == "JPEG"
    assert full.size == (480, 640)  # orientation 6 applied: portrait now
    assert (cleaned.width, cleaned.height) == (480, 640)
    assert dict(full.getexif()) == {}
    assert "exif" not in full.info and "mp" not in full.info and "mpinfo" not in full.info
    assert getattr(full, "n_frames", 1) == 1
    assert near(full.getpixel((240, 320)), RED)  # the first picture, not the second


def test_mpo_through_the_admin_is_stored_as_one_jpeg(client):
    client.force_login(make_staff("provincial", "shandong"))
    estate = Estate.objects.get(slug=LINYI)
    response = client.post(
        reverse("admin:estates_photo_add"),
        {
            "estate": estate.pk,
            "image": upload(phone_mpo()),
            "caption": "手机拍的楼道",
            "display_order": 1,
        },
    )
    assert response.status_code == 302
    photo = Photo.objects.get(estate=estate)
    for file in (photo.image, photo.image_medium, photo.image_thumb):
        stored = Image.open(file.path)
        assert (stored.format, getattr(stored, "n_frames", 1)) == ("JPEG", 1)
        assert dict(stored.getexif()) == {}
    assert (photo.width, photo.height) == (480, 640)


# 16-bit PNG ----------------------------------------------------------------------------------


def test_16_bit_grey_png_is_scaled_to_8_bit():
    # Four flat 64-pixel-wide bands: 0, 25700, 51400 and 65535 of 65535.
    grey = Image.new("I;16", (256, 64))
    for band, value in enumerate([0, 25700, 51400, 65535]):
        grey.paste(value, (band * 64, 0, band * 64 + 64, 64))
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).mode == "I;16"
    cleaned = clean_photo(upload(buffer.getvalue(), "scan.png", "image/png"))
    full = decoded(cleaned.files["full"])
    assert full.mode == "RGB"
    assert [full.getpixel((band * 64 + 32, 32)) for band in range(4)] == [
        (0, 0, 0),
        (100, 100, 100),
        (200, 200, 200),
        (255, 255, 255),
    ]


# Animations: the first frame of WebP and PNG, GIF refused ------------------------------------


def test_animated_webp_keeps_its_first_frame():
    cleaned = clean_photo(upload(animated("WEBP", lossless=True), "a.webp", "image/webp"))
    full = decoded(cleaned.files["full"])
    assert (full.format, getattr(full, "n_frames", 1), full.size) == ("JPEG", 1, (120, 80))
    assert near(full.getpixel((60, 40)), RED)


def test_animated_png_keeps_its_first_frame():
    data = animated("PNG")
    assert Image.open(io.BytesIO(data)).n_frames == 2
    cleaned = clean_photo(upload(data, "a.png", "image/png"))
    full = decoded(cleaned.files["full"])
    assert (full.format, getattr(full, "n_frames", 1)) == ("JPEG", 1)
    assert near(full.getpixel((60, 40)), RED)


def test_animated_gif_is_refused_by_format():
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(animated("GIF"), "a.gif", "image/gif"))
    assert error.value.messages == ["只接受 JPEG、PNG 或 WebP 格式的照片，这个文件是 GIF。"]


def test_photo_form_help_text_states_the_frame_rule(client):
    client.force_login(make_staff("provincial", "shandong"))
    page = client.get(reverse("admin:estates_photo_add")).content.decode()
    assert "JPEG、PNG 或 WebP，不超过 15 MB；动图只保留第一帧，不接受 GIF。" in page
