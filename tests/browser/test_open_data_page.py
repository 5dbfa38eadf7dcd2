"""The open-data page at a phone's and a desktop's width: the field table readable without
sideways scrolling, each field code whole on its own line on a phone."""

import pytest

from .conftest import screenshot


@pytest.mark.parametrize("language", ["", "/en"])
def test_open_data_page_reads_at_phone_and_desktop_width(site, phone, desktop, language):
    for page in (phone, desktop):
        page.goto(f"{site}{language}/data/")
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        codes = page.locator(".data-fields tbody th code")
        assert codes.count() > 30
        # Every code on one line: never broken in the middle of a name.
        heights = page.evaluate(
            """() => [...document.querySelectorAll('.data-fields tbody th code')].map(
                c => [c.textContent, c.getClientRects().length])"""
        )
        assert [name for name, lines in heights if lines != 1] == []
        row = page.locator(".data-fields tbody tr", has=page.locator("code", has_text="honors"))
        code_box = row.locator("th").bounding_box()
        meaning_box = row.locator("td").bounding_box()
        if width < 700:  # labelled blocks: the meaning below its code, at the full width
            assert meaning_box["y"] >= code_box["y"] + code_box["height"] - 1
            assert meaning_box["width"] > width * 0.8
        else:  # a table: the meaning beside its code
            assert meaning_box["x"] > code_box["x"] + code_box["width"] - 1
        assert page.locator("a[rel=license]").inner_text() == "CC BY 4.0"
        assert page.locator(".data-facts time").count() == 1
        screenshot(page, f"open-data{language.replace('/', '-')}")
