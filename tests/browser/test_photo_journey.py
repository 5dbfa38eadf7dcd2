"""An editor adds a phone photo (a multi-picture JPEG, as many phones write) to a public estate
in the admin, in Chromium at phone and desktop width, and sees it stored and shown. (A public
estate's photos are not a province's to change: estates/pending.py.)"""

import io
from pathlib import Path

import pytest
from PIL import Image

from estates.models import Estate, Photo

from ..builders import make_staff
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "unused-in-tests"  # what builders.make_staff gives every account
LINYI = "aozhengchengyuannanqu"


def phone_mpo():
    """A photo as a phone writes it: MPO (a JPEG with a second picture after it), taken with
    the phone turned (EXIF orientation 6) and with GPS in its EXIF."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (35.0, 6.0, 1.0), 3: "E", 4: (118.0, 21.0, 2.0)}
    photo = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    buffer = io.BytesIO()
    photo.save(
        buffer,
        format="MPO",
        save_all=True,
        append_images=[Image.new("RGB", (320, 240), (30, 30, 200))],
        exif=exif,
    )
    return buffer.getvalue()


def serve_media(page, site, media):
    """The proxy serves /media/ in production (docs/deployment.md); here the browser is
    answered from MEDIA_ROOT directly."""

    def answer(route):
        relative = route.request.url.split("/media/", 1)[1]
        path = media / relative
        if path.is_file():
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404)

    page.route(f"{site}/media/**", answer)


def loaded(page, selector):
    image = page.locator(selector).first
    image.scroll_into_view_if_needed()  # the profile's photos load lazily
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )
    return image


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_editor_adds_a_phone_photo_to_a_public_estate(request, site, settings, tmp_path, device):
    settings.MEDIA_ROOT = media = Path(tmp_path / "media")
    page = request.getfixturevalue(device)
    serve_media(page, site, media)
    make_staff("editor", username="zhang-editor")
    estate = Estate.objects.get(slug=LINYI)

    page.goto(site + "/admin/login/")
    page.fill("#id_username", "zhang-editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(site + "/admin/")

    page.goto(site + "/admin/estates/estate/")
    page.click(f"#result_list a:text-is('{estate.name}')")
    page.wait_for_url(f"**/admin/estates/estate/{estate.pk}/change/")
    page.click("#photos-group .add-row a")
    taken = {"name": "IMG_20240501_093012.jpg", "mimeType": "image/jpeg", "buffer": phone_mpo()}
    page.set_input_files("#id_photos-0-image", files=[taken])
    page.fill("#id_photos-0-caption", "小区中心花园（手机拍摄）")
    page.fill("#id_photos-0-display_order", "1")
    page.click("input[name=_continue]")
    page.wait_for_url(f"**/admin/estates/estate/{estate.pk}/change/")
    assert page.locator(".errorlist li").all_inner_texts() == []
    assert page.locator(".messagelist .success").count() == 1

    photo = Photo.objects.get(estate=estate)
    assert (photo.width, photo.height) == (1200, 1600)  # turned upright by its orientation
    for file in (photo.image, photo.image_medium, photo.image_thumb):
        stored = Image.open(file.path)
        assert (stored.format, getattr(stored, "n_frames", 1)) == ("JPEG", 1)
        assert dict(stored.getexif()) == {}
    assert "IMG_" not in photo.image.name

    thumbnail = loaded(page, "#photos-group .field-thumbnail img")
    assert thumbnail.get_attribute("src") == photo.image_thumb.url
    screenshot(page, "photo-journey-admin")

    page.goto(site + estate.get_absolute_url())
    shown = loaded(page, ".photos-section img")
    assert shown.get_attribute("src") == photo.image_medium.url
    assert shown.get_attribute("alt") == "小区中心花园（手机拍摄）"
    shown.scroll_into_view_if_needed()
    screenshot(page, "photo-journey-profile")
