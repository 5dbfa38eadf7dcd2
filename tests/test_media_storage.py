"""Media on S3-compatible object storage (DJANGO_MEDIA_STORAGE=s3://…): the address parsed in
settings, photos and their renditions, cover cards, report PDFs, backups and restores, all
against moto's S3 in memory."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from moto import mock_aws
from PIL import Image

from estates.images import STORAGE_FAILED_MESSAGE, clean_photo
from estates.models import Estate, Nomination, Photo
from estates.reports import pdf
from showcase.backup import signing
from showcase.settings import media_storage_from_url

from .builders import make_staff

pytestmark = pytest.mark.django_db

BUCKET = "meihao-media"
ROOT = Path(__file__).resolve().parents[1]


# The address --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "options", "origin"),
    [
        (
            "s3://meihao-media",
            {"bucket_name": BUCKET, "location": "", "querystring_auth": True},
            "https://meihao-media.s3.amazonaws.com",
        ),
        (
            "s3://meihao-media/site/media/?endpoint=http://127.0.0.1:9000&region=cn-north-1",
            {
                "location": "site/media",
                "endpoint_url": "http://127.0.0.1:9000",
                "region_name": "cn-north-1",
                "addressing_style": "path",
                "querystring_expire": 3600,
            },
            "http://127.0.0.1:9000",
        ),
        (
            "s3://meihao-media?endpoint=https://oss-cn-beijing.aliyuncs.com&style=virtual"
            "&expiry=86400",
            {"addressing_style": "virtual", "querystring_expire": 86400},
            "https://meihao-media.oss-cn-beijing.aliyuncs.com",
        ),
        (
            "s3://meihao-media/media?urls=public&domain=media.example.cn",
            {
                "querystring_auth": False,
                "custom_domain": "media.example.cn",
                "url_protocol": "https:",
            },
            "https://media.example.cn",
        ),
        (
            "s3://meihao-media?urls=public&domain=http://cdn.example.cn:8080/meihao/",
            {"custom_domain": "cdn.example.cn:8080/meihao", "url_protocol": "http:"},
            "http://cdn.example.cn:8080",
        ),
    ],
)
def test_media_storage_address_gives_the_storage_and_its_origin(url, options, origin):
    storage, found_origin = media_storage_from_url(url, page_cache_seconds=300)
    assert storage["BACKEND"] == "showcase.storage.MediaStorage"
    assert {key: storage["OPTIONS"][key] for key in options} == options
    assert storage["OPTIONS"]["file_overwrite"] is False
    assert found_origin == origin


@pytest.mark.parametrize(
    ("url", "chinese", "english"),
    [
        ("https://meihao-media", "只支持 s3:// 开头的地址", "only s3:// addresses"),
        ("s3://Meihao_Media", "存储桶名 'Meihao_Media' 不合规则", "bucket name"),
        ("s3://key:secret@meihao-media", "不能带密钥或端口", "may not carry keys"),
        ("s3://meihao-media/a//b", "含有空段", "empty, . or .."),
        ("s3://meihao-media?bucket=x", "不认识参数 'bucket'", "unknown parameter"),
        ("s3://meihao-media?region=a&region=b", "参数 region 写了两次", "given twice"),
        ("s3://meihao-media?endpoint=ftp://x", "不是 http:// 或 https://", "is not an http"),
        ("s3://meihao-media?urls=open", "只能是 signed", "must be signed"),
        ("s3://meihao-media?expiry=soon", "应是 60 到 604800 之间的秒数", "must be a number"),
        ("s3://meihao-media?expiry=300", "签名地址至少要有它的两倍", "twice that"),
        ("s3://meihao-media?urls=public&expiry=600", "只对 urls=signed 有意义", "only to"),
        ("s3://meihao-media?domain=media.example.cn", "只能与 urls=public 一起用", "needs"),
        ("s3://meihao-media?urls=public&domain=ftp://x", "应是域名", "must be a host"),
        ("s3://meihao-media?style=dns", "只能是 path 或 virtual", "must be path or virtual"),
    ],
)
def test_bad_media_storage_address_is_refused_in_chinese_and_english(url, chinese, english):
    with pytest.raises(ImproperlyConfigured) as refused:
        media_storage_from_url(url, page_cache_seconds=300)
    message = str(refused.value)
    assert message.startswith("DJANGO_MEDIA_STORAGE 设置有误：")
    assert chinese in message
    assert "DJANGO_MEDIA_STORAGE is invalid: " in message and english in message


def test_site_refuses_to_start_with_a_bad_media_storage_address():
    env = dict(os.environ, DJANGO_MEDIA_STORAGE="s3://meihao-media?urls=open")
    started = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode != 0
    assert "urls='open' 只能是 signed" in started.stderr


# Against S3 ---------------------------------------------------------------------------------


def use_bucket(settings, url):
    storage, _origin = media_storage_from_url(url, page_cache_seconds=300)
    settings.STORAGES = {**settings.STORAGES, "default": storage}


@pytest.fixture
def s3(settings, monkeypatch, tmp_path):
    """An empty bucket in moto's S3, the site's media storage under the prefix media/."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        use_bucket(settings, f"s3://{BUCKET}/media?region=us-east-1")
        yield client
    assert not (tmp_path / "media").exists()  # nothing went to the local folder


def keys(client, prefix="media/"):
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(entry["Key"] for entry in listed)


def read(client, key):
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def jpeg(colour=(40, 160, 60), size=(900, 600), exif=False):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}
        extra["exif"] = data
    image.save(buffer, format="JPEG", **extra)
    return buffer.getvalue()


def add_photo(estate, colour=(40, 160, 60), **fields):
    photo = Photo(estate=estate, caption="小区花园", **fields)
    photo.store(clean_photo(ContentFile(jpeg(colour), name="upload.jpg")))
    photo.save()
    return photo


def test_photo_uploaded_in_the_admin_is_stored_in_the_bucket_with_its_renditions(client, s3):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_staff("editor"))
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    response = client.post(
        reverse("admin:estates_photo_add"),
        {
            "estate": estate.pk,
            "image": SimpleUploadedFile("IMG_0001.jpg", jpeg(exif=True), "image/jpeg"),
            "caption": "小区中心花园",
            "display_order": 1,
        },
    )
    assert response.status_code == 302
    photo = Photo.objects.get(estate=estate)
    stem = photo.image.name.removeprefix("photos/aozhengchengyuannanqu/").removesuffix(".jpg")
    assert keys(s3) == sorted(
        f"media/photos/aozhengchengyuannanqu/{stem}{suffix}.jpg"
        for suffix in ("", "-medium", "-thumb")
    )
    stored = Image.open(io.BytesIO(read(s3, f"media/{photo.image_medium.name}")))
    assert (stored.format, dict(stored.getexif())) == ("JPEG", {})
    head = s3.head_object(Bucket=BUCKET, Key=f"media/{photo.image.name}")
    assert head["ContentType"] == "image/jpeg"
    assert head["CacheControl"] == "public, max-age=31536000"

    # The profile shows the photos from the storage's signed addresses.
    page = client.get(estate.get_absolute_url()).content.decode()
    prefix = f"https://{BUCKET}.s3.amazonaws.com/media/photos/aozhengchengyuannanqu/{stem}"
    medium = f'<img src="{prefix}-medium.jpg?'
    assert medium in page
    address = page.split(medium, 1)[1].split('"', 1)[0]
    assert "X-Amz-Signature=" in address and "X-Amz-Expires=3600" in address


def test_public_addresses_name_the_custom_domain(s3, settings):
    use_bucket(settings, f"s3://{BUCKET}/media?region=us-east-1&urls=public&domain=img.example.cn")
    photo = add_photo(Estate.objects.get(slug="lijingchangan"))
    assert photo.medium_url == f"https://img.example.cn/media/{photo.image_medium.name}"


def test_a_failing_storage_refuses_the_upload_in_chinese_and_keeps_nothing(s3, settings):
    use_bucket(settings, "s3://no-such-bucket/media?region=us-east-1")
    photo = Photo(estate=Estate.objects.get(slug="lijingchangan"), caption="照片")
    with pytest.raises(ValidationError) as refused:
        photo.store(clean_photo(ContentFile(jpeg(), name="upload.jpg")))
    assert refused.value.messages == [str(STORAGE_FAILED_MESSAGE)]
    assert isinstance(refused.value.__cause__, OSError)
    assert not photo.image
    assert keys(s3, "") == []


def test_cover_card_is_drawn_into_the_bucket_once_and_again_when_it_changes(client, s3):
    first = client.get("/estates/lijingchangan/cover.png")
    assert first.status_code == 200
    assert Image.open(io.BytesIO(b"".join(first.streaming_content))).size == (1200, 630)
    drawn = keys(s3, "media/covers/lijingchangan/")
    assert len(drawn) == 2
    digest = drawn[0].rsplit("/", 1)[1].split("-")[0]
    assert first["ETag"] == f'"{digest}-1200"'
    small = client.get("/estates/lijingchangan/cover-600.png")
    assert Image.open(io.BytesIO(b"".join(small.streaming_content))).size == (600, 315)
    unchanged = client.get("/estates/lijingchangan/cover.png", HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304

    estate = Estate.objects.get(slug="lijingchangan")
    estate.tagline = "用心服务，温暖每一位业主"
    estate.save()
    again = client.get("/estates/lijingchangan/cover.png")
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    redrawn = keys(s3, "media/covers/lijingchangan/")
    assert len(redrawn) == 2 and not set(redrawn) & set(drawn)  # the old drawing is removed


def test_cover_drawn_from_a_photo_in_the_bucket(client, s3):
    add_photo(Estate.objects.get(slug="lijingchangan"), is_cover=True)
    response = client.get("/estates/lijingchangan/cover.jpg")
    picture = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (picture.format, picture.size) == ("JPEG", (1200, 630))
    [stored] = [key for key in keys(s3) if key.startswith("media/covers/lijingchangan/")]
    assert stored.endswith("-photo.jpg")
    assert response["ETag"] == f'"{Path(stored).stem}"'


def test_cover_removed_from_the_bucket_meanwhile_is_drawn_again(client, s3):
    client.get("/estates/lijingchangan/cover.png")
    for key in keys(s3, "media/covers/"):
        s3.delete_object(Bucket=BUCKET, Key=key)
    response = client.get("/estates/lijingchangan/cover.png")
    assert response.status_code == 200
    assert len(keys(s3, "media/covers/lijingchangan/")) == 2


def test_report_pdf_is_kept_in_the_bucket_and_converted_once(s3, monkeypatch):
    conversions = []

    def convert(docx):
        conversions.append(len(docx))
        return b"%PDF-1.7 converted"

    monkeypatch.setattr(pdf, "docx_to_pdf", convert)
    nomination = Nomination.objects.select_related("estate", "campaign").first()
    assert pdf.report_pdf(nomination) == b"%PDF-1.7 converted"
    assert pdf.report_pdf(nomination) == b"%PDF-1.7 converted"
    assert len(conversions) == 1
    [kept] = keys(s3, "media/reports/pdf/")
    assert read(s3, kept) == b"%PDF-1.7 converted"


# Backups ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_with_the_bucket(s3, tmp_path, monkeypatch):
    monkeypatch.setenv(signing.KEY_VARIABLE, "backup-signing-key-of-the-test-site-0123456789")
    monkeypatch.delenv(signing.OLD_KEYS_VARIABLE, raising=False)
    call_command("load_seed", verbosity=0)
    estate = Estate.objects.get(slug="lijingchangan")
    kept, replaced = add_photo(estate), add_photo(estate, (200, 40, 40))
    s3.put_object(Bucket=BUCKET, Key="elsewhere/not-media.txt", Body=b"outside the prefix")
    before = {key: read(s3, key) for key in keys(s3)}
    archive = tmp_path / "site.zip"

    call_command("backup", str(archive), stdout=io.StringIO())

    with zipfile.ZipFile(archive) as opened:
        names = sorted(n for n in opened.namelist() if n.startswith("media/"))
        assert names == sorted(before)  # media/<name in the storage>, nothing outside it
        assert all(opened.read(key) == data for key, data in before.items())

    # Work goes on: a file changes, one is removed, one is added.
    changed = f"media/{replaced.image.name}"
    s3.put_object(Bucket=BUCKET, Key=changed, Body=b"changed after the backup")
    s3.delete_object(Bucket=BUCKET, Key=f"media/{kept.image_thumb.name}")
    s3.put_object(Bucket=BUCKET, Key="media/photos/later/new.jpg", Body=b"added later")
    Photo.objects.filter(pk=kept.pk).update(caption="改过的说明")

    out = io.StringIO()
    call_command("restore", str(archive), "--replace", stdout=out)

    assert {key: read(s3, key) for key in keys(s3)} == before
    assert Photo.objects.get(pk=kept.pk).caption == "小区花园"
    aside = [key for key in keys(s3, "") if ".before-restore-" in key]
    assert aside and all(key.startswith("media.before-restore-") for key in aside)
    assert {key.split("/", 1)[1]: read(s3, key) for key in aside} == {
        changed.removeprefix("media/"): b"changed after the backup",
        "photos/later/new.jpg": b"added later",
    }
    assert f"s3://{BUCKET}/media.before-restore-" in out.getvalue()
    assert read(s3, "elsewhere/not-media.txt") == b"outside the prefix"


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_plainly_when_the_bucket_cannot_be_read(s3, settings, tmp_path, monkeypatch):
    monkeypatch.setenv(signing.KEY_VARIABLE, "backup-signing-key-of-the-test-site-0123456789")
    use_bucket(settings, "s3://no-such-bucket/media?region=us-east-1")
    with pytest.raises(CommandError, match="读取对象存储 s3://no-such-bucket/media/ 时出错"):
        call_command("backup", str(tmp_path / "site.zip"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []
