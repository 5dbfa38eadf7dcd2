"""Uploads are checked and cleaned: files the tests make, good and bad."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from estates.images import MAX_UPLOAD_BYTES, clean_photo
from estates.models import Estate, Photo

from .builders import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_with_gps(width=640, height=480, orientation=6):
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotated 90° clockwise when shown
    exif[0x010F] = "TestCam"
    gps = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def messages_of(error):
    return error.value.messages


def test_jpeg_is_turned_upright_and_loses_gps_and_camera_data():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    cleaned = clean_photo(upload(original))
    full = Image.open(io.BytesIO(cleaned.files["full"].read()))
    assert full.size == (480, 640)  # orientation 6 applied: portrait now
    assert (cleaned.width, cleaned.height) == (480, 640)
    assert dict(full.getexif()) == {}
    assert "exif" not in full.info and "icc_profile" not in full.info
    thumb = Image.open(io.BytesIO(cleaned.files["thumb"].read()))
    assert max(thumb.size) == 480
    medium = Image.open(io.BytesIO(cleaned.files["medium"].read()))
    assert max(medium.size) == 640  # never enlarged


def test_png_with_transparency_is_flattened_to_jpeg():
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    cleaned = clean_photo(upload(buffer.getvalue(), "a.png", "image/png"))
    result = Image.open(io.BytesIO(cleaned.files["full"].read()))
    assert result.format == "JPEG"
    assert result.getpixel((10, 10)) == (255, 255, 255)


def test_decompression_bomb_is_refused():
    # A small file that claims an enormous canvas.
    image = Image.new("1", (12000, 12000))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(buffer.getvalue(), "bomb.png", "image/png"))
    assert messages_of(error) == [
        "图片像素过多（12000×12000），请缩小到 4000 万像素以内再上传。"
    ] or (messages_of(error) == ["图片尺寸异常巨大，疑似“解压炸弹”，已拒绝。"])


def test_truncated_png_is_refused():
    image = Image.new("RGB", (400, 400), (10, 120, 200))
    image.putpixel((5, 5), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(data[: len(data) // 2], "cut.png", "image/png"))
    assert messages_of(error) == ["图片文件已损坏或不完整，请重新导出后再上传。"]


def test_svg_with_script_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(svg, "logo.svg", "image/svg+xml"))
    assert messages_of(error) == ["无法识别为图片。只接受 JPEG、PNG 或 WebP 格式的照片。"]


def test_text_file_named_jpg_is_refused():
    with pytest.raises(ValidationError) as error:
        clean_photo(upload("这不是图片".encode(), "fake.jpg"))
    assert messages_of(error) == ["无法识别为图片。只接受 JPEG、PNG 或 WebP 格式的照片。"]


def test_gif_is_refused_by_format():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(buffer.getvalue(), "a.gif", "image/gif"))
    assert messages_of(error) == ["只接受 JPEG、PNG 或 WebP 格式的照片，这个文件是 GIF。"]


def test_oversized_file_is_refused_before_decoding():
    big = upload(b"\xff" * (MAX_UPLOAD_BYTES + 1), "big.jpg")
    with pytest.raises(ValidationError) as error:
        clean_photo(big)
    assert messages_of(error) == ["图片文件过大（15.0 MB），请上传不超过 15 MB 的照片。"]


def test_too_many_pixels_is_refused():
    image = Image.new("L", (8000, 6000))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with pytest.raises(ValidationError) as error:
        clean_photo(upload(buffer.getvalue(), "huge.png", "image/png"))
    assert messages_of(error) == ["图片像素过多（8000×6000），请缩小到 4000 万像素以内再上传。"]


def test_upload_through_the_admin_stores_clean_renditions(client):
    # An editor: the estate is public, so a province's photo would wait for review.
    client.force_login(make_staff("editor"))
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    response = client.post(
        reverse("admin:estates_photo_add"),
        {
            "estate": estate.pk,
            "image": upload(jpeg_with_gps(), "IMG_0001 张三家门口.jpg"),
            "caption": "小区中心花园",
            "display_order": 1,
            "is_cover": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    photo = Photo.objects.get(estate=estate)
    assert photo.image.name.startswith("photos/aozhengchengyuannanqu/")
    assert "张三" not in photo.image.name
    stored = Image.open(photo.image.path)
    assert dict(stored.getexif()) == {}
    assert photo.image_thumb and photo.image_medium
    assert (photo.width, photo.height) == (480, 640)
    page = client.get(estate.get_absolute_url()).content.decode()
    assert photo.image_medium.url in page


def test_bad_upload_through_the_admin_changes_nothing(client):
    client.force_login(make_staff("provincial", "shandong"))
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    response = client.post(
        reverse("admin:estates_photo_add"),
        {"estate": estate.pk, "image": upload(b"GIF89a not really", "x.jpg"), "caption": "坏文件"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"] == [
        "无法识别为图片。只接受 JPEG、PNG 或 WebP 格式的照片。"
    ]
    assert not Photo.objects.exists()


def test_two_covers_in_one_save_are_refused(client):
    from .test_admin_access import empty_inlines

    client.force_login(make_staff("ministry"))
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    data = {**empty_inlines()}
    data.update(
        {
            "photos-TOTAL_FORMS": "2",
            "photos-0-image": upload(jpeg_with_gps(), "a.jpg"),
            "photos-0-caption": "一",
            "photos-0-display_order": "1",
            "photos-0-is_cover": "on",
            "photos-1-image": upload(jpeg_with_gps(), "b.jpg"),
            "photos-1-caption": "二",
            "photos-1-display_order": "2",
            "photos-1-is_cover": "on",
        }
    )
    form_data = {
        f.name: getattr(estate, f.attname)
        for f in Estate._meta.fields
        if f.editable and getattr(estate, f.attname) is not None and f.name != "id"
    }
    form_data.update(data)
    response = client.post(reverse("admin:estates_estate_change", args=[estate.pk]), form_data)
    assert response.status_code == 200
    assert "每个小区只能有一张封面照片，请只勾选一张。" in response.content.decode()
    assert not Photo.objects.exists()
