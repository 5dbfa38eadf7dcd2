"""Search keys: estate search that does not scan the table on PostgreSQL.

Chinese has no spaces, and most searches are one or two characters ("西城", "和平"), which a
trigram index (pg_trgm) cannot answer: a pattern needs three characters before it narrows
anything. So each estate keeps, in ``Estate.search_keys``, the single characters and the
character pairs of its name, district, subdistrict, community, city and property company, and
the suffixes of its name's pinyin that start at a syllable ("shuangqigandongli", "qigandongli",
…, "li"). On PostgreSQL a GIN index over ``to_tsvector('simple', search_keys)`` answers

- a Chinese query by the pairs it contains, all of which a matching field must contain (the
  index narrows, the substring test on the real columns then decides), and
- a pinyin query by prefix on the syllable suffixes ("qigan" finds 双旗杆东里).

SQLite, the embedded default for a single machine, tests the columns directly.
"""

import re

from django.db import connections
from django.db.models import BooleanField, Func, Q
from pypinyin import lazy_pinyin

# Characters that make up search tokens: CJK ideographs, and ASCII letters and digits.
# Anything else (spaces, punctuation, full-width forms) separates tokens, on both sides.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ASCII_RUN = re.compile(r"[a-z0-9]+")
_PINYIN_SYLLABLE = re.compile(r"[a-z0-9]+")
MAX_QUERY_LENGTH = 100


def _runs(text):
    text = (text or "").lower()
    return _CJK_RUN.findall(text) + _ASCII_RUN.findall(text)


def grams(text):
    """Single characters and adjacent pairs of each run: '东里' → {'东', '里', '东里'}."""
    tokens = set()
    for run in _runs(text):
        tokens.update(run)
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def query_grams(text):
    """The fewest tokens every match must hold: the pairs of each run (a run of one character
    stands for itself)."""
    tokens = set()
    for run in _runs(text):
        if len(run) == 1:
            tokens.add(run)
        else:
            tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def pinyin_suffixes(name):
    """'双旗杆东里' → shuangqigandongli, qigandongli, gandongli, dongli, li."""
    syllables = [
        "".join(_PINYIN_SYLLABLE.findall(part)) for part in lazy_pinyin((name or "").lower())
    ]
    syllables = [s for s in syllables if s]
    return {"".join(syllables[i:]) for i in range(len(syllables))}


def search_keys(estate):
    """The text stored in Estate.search_keys: space-separated, with spaces at both ends."""
    texts = [estate.name, estate.district, estate.subdistrict, estate.community]
    if estate.city_id:
        texts.append(estate.city.name)
    if estate.property_company_id:
        texts.append(estate.property_company.name)
    tokens = set()
    for text in texts:
        tokens |= grams(text)
    tokens |= pinyin_suffixes(estate.name)
    return " " + " ".join(sorted(tokens)) + " "


class MatchesTokens(Func):
    """``to_tsvector('simple', column) @@ to_tsquery('simple', query)``, the expression the
    GIN index estate_search_keys is built on (PostgreSQL only)."""

    output_field = BooleanField()

    def __init__(self, column, tsquery):
        self.tsquery = tsquery
        super().__init__(column)

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError("MatchesTokens needs PostgreSQL")

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return (
            f"to_tsvector('simple'::regconfig, {column}) @@ to_tsquery('simple'::regconfig, %s)",
            [*params, self.tsquery],
        )


def _quoted(token):
    # Tokens hold only letters, digits and ideographs; quoting keeps them single operands.
    return "'" + token + "'"


def estate_condition(query, using):
    """The filter for one search query on the database `using`; None when it is empty."""
    query = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    if not query:
        return None
    substring = (
        Q(name__icontains=query)
        | Q(district__icontains=query)
        | Q(subdistrict__icontains=query)
        | Q(community__icontains=query)
        | Q(city__name__icontains=query)
        | Q(property_company__name__icontains=query)
    )
    letters = "".join(_ASCII_RUN.findall(query.lower()))
    is_pinyin = bool(letters) and re.fullmatch(r"[A-Za-z0-9 ']+", query) is not None
    postgres = connections[using].vendor == "postgresql"
    required = query_grams(query)
    condition = substring
    # Conditions on the estate table alone, each answered by an index. PostgreSQL rechecks
    # them in this order on every row the indexes found, and to_tsvector() over a row's keys
    # costs far more than a prefix test: the initials come first, so the many rows they
    # find (a two-letter prefix matches about 5% of all names) skip the token tests.
    indexed = []
    if is_pinyin:
        # Initials from the start of the name (sqg → 双旗杆东里): the initials index.
        initials = Q(name_initials__startswith=letters)
        condition |= initials
        indexed.append(initials)
        if len(letters) >= 2:  # one letter would start a syllable of nearly every name
            if postgres:
                syllables = MatchesTokens("search_keys", _quoted(letters) + ":*")
                indexed.append(syllables)
            else:
                syllables = Q(search_keys__contains=" " + letters)
            condition |= syllables
    if postgres and required:
        indexed.append(MatchesTokens("search_keys", " & ".join(map(_quoted, sorted(required)))))
        # Every estate the condition accepts passes one of the indexed tests (a field that
        # holds the query holds all its pairs), so the planner can start from the indexes
        # and test the joined city and company names only on what they found.
        narrowed = indexed[0]
        for other in indexed[1:]:
            narrowed |= other
        condition = Q(narrowed) & condition
    return condition
