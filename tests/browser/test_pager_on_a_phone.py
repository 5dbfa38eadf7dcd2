"""In Chromium at 390 px: a reader walks a list of many pages with the pager's first and last
links, each big enough for a thumb, the pager fitting the screen without sideways scrolling."""

import pytest

from ..growth import grow
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_phone_reader_jumps_to_the_last_page_and_back(site, phone, desktop, monkeypatch):
    from showcase import views

    grow(24)
    monkeypatch.setattr(views, "ESTATES_PER_PAGE", 4)
    phone.goto(f"{site}/estates/")
    pager = phone.locator("nav.pager")
    total = int(pager.locator("span").inner_text().split("共 ")[1].split(" 页")[0])
    assert total >= 6
    for link in pager.locator("a").all():
        assert link.bounding_box()["height"] >= 44
    pager.get_by_role("link", name="最后一页").click()
    phone.wait_for_url(f"**/estates/?page={total}")
    assert f"（第 {total} 页）" in phone.title()
    assert phone.locator("nav.pager span").inner_text() == f"第 {total} 页，共 {total} 页"
    phone.locator("nav.pager").get_by_role("link", name="上一页").click()
    phone.wait_for_url(f"**/estates/?page={total - 1}")
    screenshot(phone, "pager-near-the-end")
    assert phone.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    phone.locator("nav.pager").get_by_role("link", name="第一页").click()
    phone.wait_for_url("**/estates/?page=1")
    assert phone.locator(".estate-cards li").count() == 4
    desktop.goto(f"{site}/estates/?page=3")
    screenshot(desktop, "pager-middle")
