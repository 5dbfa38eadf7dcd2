"""Photos as phones and cameras really write them (multi-picture JPEG, 16-bit PNG, animations),
and storage that fails halfway: an upload is stored whole or not at all, and a deleted photo
takes its files with it."""

import errno
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from estates.images import clean_photo
from estates.models import City, Estate, Photo

from .builders import make_estate, make_staff
from .test_admin_access import empty_inlines

pytestmark = pytest.mark.django_db

LINYI = "aozhengchengyuannanqu"
STORAGE_FULL = "存储空间不足，照片未保存。请联系系统管理员清理空间后再上传。"
RED, BLUE = (200, 30, 30), (30, 30, 200)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class FullDiskStorage(FileSystemStorage):
    """A disk with `free` bytes left: a write that needs more fails as on a full disk
    (ENOSPC), after the part that fitted is on disk."""

    def __init__(self, free=0, **kwargs):
        super().__init__(**kwargs)
        self.free = free

    def _save(self, name, content):
        return super()._save(name, _Filling(content, self))


class _Filling:
    def __init__(self, content, storage):
        self.content, self.storage = content, storage

    def chunks(self):
        for chunk in self.content.chunks():
            fits = chunk[: self.storage.free]
            self.storage.free -= len(fits)
            if fits:
                yield fits
            if len(fits) < len(chunk):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class ReadOnlyStorage(FileSystemStorage):
    """Storage that refuses every write, as a file system mounted read-only does."""

    def _save(self, name, content):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))


@pytest.fixture
def disk_with(settings):
    """Make the default storage a disk with so many bytes free."""

    def make(free):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": f"{__name__}.FullDiskStorage",
                "OPTIONS": {"free": free},
            },
        }

    return make


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def names_of(photo):
    return sorted(file.name for file in (photo.image, photo.image_medium, photo.image_thumb))


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


def big_jpeg():
    """Large enough for three different renditions (2400, 1200 and 480 pixels wide)."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((2600, 1800)).convert("RGB").save(buffer, format="JPEG")
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
    client.force_login(make_staff("editor"))  # the estate is public: not a province's to change
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


# A full disk ---------------------------------------------------------------------------------


def post_photo(client, data):
    client.force_login(make_staff("editor"))  # the estate is public: not a province's to change
    estate = Estate.objects.get(slug=LINYI)
    return client.post(
        reverse("admin:estates_photo_add"),
        {"estate": estate.pk, "image": upload(data), "caption": "中心花园", "display_order": 1},
    )


def test_full_disk_at_the_second_rendition_leaves_no_file_and_no_row(client, disk_with, media):
    data = big_jpeg()
    files = clean_photo(upload(data)).files
    # Room for the full size and half the medium one: the medium one is cut off.
    disk_with(len(files["full"]) + len(files["medium"]) // 2)
    response = post_photo(client, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["image"] == [STORAGE_FULL]
    assert STORAGE_FULL in response.content.decode()
    assert not Photo.objects.exists()
    assert files_in(media) == []


def test_full_disk_at_the_first_rendition_leaves_no_empty_file(client, disk_with, media):
    disk_with(0)
    for _attempt in range(2):  # the sender tries again
        response = post_photo(client, big_jpeg())
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["image"] == [STORAGE_FULL]
    assert not Photo.objects.exists()
    assert files_in(media) == []


def test_storage_error_other_than_full_is_refused_with_its_own_message(settings, media):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.ReadOnlyStorage"},
    }
    photo = Photo(estate=Estate.objects.get(slug=LINYI), caption="只读")
    with pytest.raises(ValidationError) as error:
        photo.store(clean_photo(upload(big_jpeg())))
    assert error.value.messages == [
        "照片写入存储时出错，未保存。请稍后重试；如仍不行，请联系系统管理员。"
    ]
    assert (photo.image.name, photo.image_medium.name, photo.image_thumb.name) == ("", "", "")
    assert files_in(media) == []


def estate_form(estate, **rows):
    data = {
        f.name: getattr(estate, f.attname)
        for f in Estate._meta.fields
        if f.editable and getattr(estate, f.attname) is not None and f.name != "id"
    }
    data.update(empty_inlines())
    data.update(rows)
    return data


def photo_rows(*rows):
    data = {"photos-TOTAL_FORMS": str(len(rows))}
    for i, (name, content, caption, cover) in enumerate(rows):
        data.update(
            {
                f"photos-{i}-image": upload(content, name),
                f"photos-{i}-caption": caption,
                f"photos-{i}-display_order": str(i + 1),
            }
        )
        if cover:
            data[f"photos-{i}-is_cover"] = "on"
    return data


def test_full_disk_at_the_second_photo_of_the_estate_form_keeps_nothing(
    client, disk_with, media, django_capture_on_commit_callbacks
):
    data = big_jpeg()
    files = clean_photo(upload(data)).files
    # The first photo fits whole; the second one's full size does not.
    disk_with(sum(len(f) for f in files.values()) + 1000)
    client.force_login(make_staff("ministry"))
    estate = Estate.objects.get(slug=LINYI)
    rows = photo_rows(("a.jpg", data, "一", False), ("b.jpg", data, "二", False))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:estates_estate_change", args=[estate.pk]), estate_form(estate, **rows)
        )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {}
    photos = response.context["inline_admin_formsets"][-1].formset
    assert [form.errors.get("image") for form in photos.forms] == [None, [STORAGE_FULL]]
    assert not Photo.objects.exists()
    assert files_in(media) == []


def test_photo_row_refused_for_another_reason_leaves_no_file(
    client, media, django_capture_on_commit_callbacks
):
    # Renditions are written while the form is checked; a refusal found later (two covers)
    # saves nothing, and the commit removes what was written.
    client.force_login(make_staff("ministry"))
    estate = Estate.objects.get(slug=LINYI)
    rows = photo_rows(("a.jpg", big_jpeg(), "一", True), ("b.jpg", big_jpeg(), "二", True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:estates_estate_change", args=[estate.pk]), estate_form(estate, **rows)
        )
    assert response.status_code == 200
    assert "每个小区只能有一张封面照片，请只勾选一张。" in response.content.decode()
    assert not Photo.objects.exists()
    assert files_in(media) == []


def test_photo_added_in_the_estate_form_keeps_its_files(
    client, media, django_capture_on_commit_callbacks
):
    client.force_login(make_staff("ministry"))
    estate = Estate.objects.get(slug=LINYI)
    rows = photo_rows(("a.jpg", big_jpeg(), "一", True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:estates_estate_change", args=[estate.pk]), estate_form(estate, **rows)
        )
    assert response.status_code == 302
    photo = Photo.objects.get(estate=estate)
    assert files_in(media) == names_of(photo)
    assert len(names_of(photo)) == 3


# Deleted photos take their files with them ---------------------------------------------------


def stored_photo(estate, caption="楼前小广场"):
    photo = Photo(estate=estate, caption=caption)
    photo.store(clean_photo(upload(big_jpeg())))
    photo.save()
    return photo


def test_photo_deleted_in_the_admin_takes_its_files(
    client, media, django_capture_on_commit_callbacks
):
    estate = make_estate(name="未公开小区")  # a published estate's photos cannot be deleted
    photo = stored_photo(estate)
    assert len(files_in(media)) == 3
    client.force_login(make_staff("ministry"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:estates_photo_delete", args=[photo.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert files_in(media) == []


def test_photos_of_a_deleted_estate_take_their_files(media, django_capture_on_commit_callbacks):
    estate = make_estate(name="要删除的小区")
    stored_photo(estate, "一")
    stored_photo(estate, "二")
    assert len(files_in(media)) == 6
    with django_capture_on_commit_callbacks(execute=True):
        estate.delete()
    assert files_in(media) == []


def test_queryset_delete_takes_the_files(media, django_capture_on_commit_callbacks):
    estate = make_estate(name="批量删除的小区")
    kept = stored_photo(estate, "留下")
    stored_photo(estate, "删除")
    with django_capture_on_commit_callbacks(execute=True):
        Photo.objects.filter(caption="删除").delete()
    assert files_in(media) == names_of(kept)


def test_rolled_back_delete_keeps_the_files(media, django_capture_on_commit_callbacks):
    photo = stored_photo(make_estate(name="反悔的小区"))
    pk, names = photo.pk, names_of(photo)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        photo.delete()
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert files_in(media) == names
    assert Photo.objects.filter(pk=pk).exists()


def test_file_another_row_refers_to_stays(media, django_capture_on_commit_callbacks):
    estate = make_estate(name="共用图片的小区")
    photo = stored_photo(estate)
    twin = Photo.objects.create(estate=estate, caption="同一张", image=photo.image.name)
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert files_in(media) == [twin.image.name]


def test_full_disk_while_adding_a_new_estate_with_a_photo_keeps_nothing(
    client, disk_with, media, django_capture_on_commit_callbacks
):
    data = big_jpeg()
    disk_with(1000)
    client.force_login(make_staff("provincial", "shandong"))
    linyi = City.objects.get(slug="linyi")
    form = {"name": "新小区带照片", "province": linyi.province_id, "city": linyi.pk}
    form.update(empty_inlines())
    form.update(photo_rows(("IMG_0001.jpg", data, "大门", True)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:estates_estate_add"), form)
    assert response.status_code == 200
    photos = response.context["inline_admin_formsets"][-1].formset
    assert [form.errors.get("image") for form in photos.forms] == [[STORAGE_FULL]]
    assert not Estate.objects.filter(name="新小区带照片").exists()
    assert files_in(media) == []


def test_new_estate_with_a_photo_is_saved_with_its_files(
    client, media, django_capture_on_commit_callbacks
):
    client.force_login(make_staff("provincial", "shandong"))
    linyi = City.objects.get(slug="linyi")
    form = {"name": "新小区带照片", "province": linyi.province_id, "city": linyi.pk}
    form.update(empty_inlines())
    form.update(photo_rows(("IMG_0001.jpg", phone_mpo(), "大门", True)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:estates_estate_add"), form)
    assert response.status_code == 302
    estate = Estate.objects.get(name="新小区带照片")
    photo = estate.photos.get()
    assert photo.image.name.startswith(f"photos/{estate.slug}/")
    assert files_in(media) == sorted(name for name in names_of(photo))
