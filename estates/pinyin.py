"""Pinyin forms of Chinese names, for slugs and for search by pinyin or initials.

pypinyin reads by its phrase data (built from phrase-pinyin-data), then by each character's
most common reading. Estate names need a few readings of their own, set here once for every
caller of pypinyin in the process (estates/search.py too), when this module is imported.
"""

import re

from pypinyin import Style, lazy_pinyin, load_phrases_dict, load_single_dict

_NON_SLUG = re.compile(r"[^a-z0-9]+")

# The reading a character has in a name when no phrase says otherwise. 都 in a name is a city
# (首都, 成都, and so 金都, 绿都, 华都, 新都, 鑫都 …: dū), never "all" (dōu), pypinyin's first
# reading; 长 is long (长安, 长宁, 长桥: cháng) unless a phrase makes it elder (长者, 村长 stay
# zhǎng). The other readings stay listed, second.
NAME_CHARACTERS = {
    "都": "dū,dōu",
    "长": "cháng,zhǎng",
}

# Words of estate names that the phrase data lacks or reads otherwise. pypinyin-dict's larger
# phrase lists were tried instead: cc_cedict adds about 64 MB and 0.6 s to every process for
# the handful of names below, and large_pinyin 221 MB and 2 s, while reading 乐都 as lèdōu.
NAME_PHRASES = {
    "朝阳": [["cháo"], ["yáng"]],  # facing the sun, as Beijing's 朝阳区; the data gives zhāo
    "单县": [["shàn"], ["xiàn"]],  # the county in Shandong
    "昌都": [["chāng"], ["dū"]],  # the city in Tibet; the data's 昌都县 reads dōu
    "重华": [["chóng"], ["huá"]],  # 重华苑, 重华里: the name of Shun
}

load_single_dict({ord(character): readings for character, readings in NAME_CHARACTERS.items()})
load_phrases_dict(NAME_PHRASES)


def full_pinyin(text):
    """'双旗杆东里' → 'shuangqigandongli'; digits and Latin letters are kept."""
    return _NON_SLUG.sub("", "".join(lazy_pinyin(text.lower())))


def pinyin_initials(text):
    """'双旗杆东里' → 'sqgdl'; '厂洼街7号院' → 'cwj7hy'."""
    return _NON_SLUG.sub("", "".join(lazy_pinyin(text.lower(), style=Style.FIRST_LETTER)))


def pinyin_slug(text, max_length=80):
    """A URL slug made of the name's full pinyin, e.g. 'shuangqigandongli'. Made once, when an
    estate is added: Estate.save() keeps a slug it has, however its name is read later."""
    return full_pinyin(text)[:max_length]
