"""Pinyin forms of Chinese names, for slugs and for search by pinyin or initials."""

import re

from pypinyin import Style, lazy_pinyin

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def full_pinyin(text):
    """'双旗杆东里' → 'shuangqigandongli'; digits and Latin letters are kept."""
    return _NON_SLUG.sub("", "".join(lazy_pinyin(text.lower())))


def pinyin_initials(text):
    """'双旗杆东里' → 'sqgdl'; '厂洼街7号院' → 'cwj7hy'."""
    return _NON_SLUG.sub("", "".join(lazy_pinyin(text.lower(), style=Style.FIRST_LETTER)))


def pinyin_slug(text, max_length=80):
    """A URL slug made of the name's full pinyin, e.g. 'shuangqigandongli'."""
    return full_pinyin(text)[:max_length]
