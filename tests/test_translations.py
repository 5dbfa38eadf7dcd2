"""The English translation is complete, compiled, and used on /en/ pages."""

import gettext
from pathlib import Path

import polib
import pytest

from .html import parse

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"


def test_every_message_is_translated_and_keeps_its_placeholders():
    catalog = polib.pofile(str(LOCALE / "django.po"))
    assert catalog.untranslated_entries() == []
    assert catalog.fuzzy_entries() == []
    for entry in catalog.translated_entries():
        for placeholder in polib_placeholders(entry.msgid):
            translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
            for text in translations:
                assert placeholder in text, (entry.msgid, text)


def polib_placeholders(text):
    import re

    return set(re.findall(r"%\([a-z_]+\)s", text))


def test_compiled_catalog_matches_the_source():
    """django.mo is committed (no GNU gettext needed to run the site); it must be current."""
    source = polib.pofile(str(LOCALE / "django.po"))
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in source.translated_entries():
        key = entry.msgid if not entry.msgctxt else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            assert compiled._catalog.get(key) == entry.msgstr, entry.msgid


@pytest.mark.django_db
def test_english_profile_reads_in_english(client):
    tree = parse(client.get("/en/estates/aozhengchengyuannanqu/").content)
    headings = [h.clean_text() for h in tree.find("main").find_all("h2")]
    assert headings[0] == "Overview"
    facts = {
        row.find("dt").clean_text(): row.find("dd").clean_text()
        for row in tree.find("dl", class_="facts").find_all("div")
    }
    assert facts["Households"] == "1,250 households"
    assert facts["Land area"] == "299 mu (about 199,333 m²)"
    assert facts["Total floor area"] == "about 340,000 m²"
    values = tree.find("ul", class_="metrics").find_all("span", class_="metric-value")
    dates = [value.find("small").clean_text() for value in values if value.find("small")]
    assert dates == ["December 31, 2022", "December 31, 2021"]
    strip = [li.clean_text() for li in tree.find("ul", class_="key-facts").find_all("small")]
    assert strip == ["December 31, 2022", "December 31, 2021"]
    peer = tree.find("ul", class_="metrics").find("p", class_="peer").clean_text()
    assert peer == (
        "Above the median of the selected estates, 96% (3 selected estates have this figure)"
    )
    assert tree.find(class_="views").clean_text().endswith(" views")
