"""Search keys: estate search that does not scan the table on PostgreSQL.

Chinese has no spaces, and most searches are one or two characters ("西城", "和平"), which a
trigram index (pg_trgm) cannot answer: a pattern needs three characters before it narrows
anything. So each estate keeps, in ``Estate.search_keys``, the single characters and the
character pairs of its name, district, subdistrict, community, city and property company, and
the suffixes of its name's pinyin that start at a syllable ("shuangqigandongli", "qigandongli",
…, "li"). On PostgreSQL a GIN index over their vector (``to_tsvector('simple', search_keys)``,
kept in a generated column by migration 0017, so no search computes it per row) answers

- a Chinese query of one or two characters exactly: a field holds them when the keys do;
- a longer one by the pairs it contains, all of which a matching field must contain (the
  index narrows, the substring test on the real columns then decides), and
- a pinyin query by prefix on the syllable suffixes ("qigan" finds 双旗杆东里).

SQLite, the embedded default for a single machine, tests the keys or the columns by scanning.
"""

import re

from django.db import connections
from django.db.models import BooleanField, F, Func, Q
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
    """``search_vector @@ to_tsquery('simple', query)`` on PostgreSQL: the estate's kept
    vector of its search_keys (a stored generated column, migration 0017, that the GIN index
    estate_search_vector is built on)."""

    output_field = BooleanField()

    def __init__(self, tsquery):
        self.tsquery = tsquery
        # search_keys stands for the row: the vector column sits beside it, under the same
        # table alias, but Django does not know it (SQLite has no tsvector).
        super().__init__(F("search_keys"))

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError("MatchesTokens needs PostgreSQL")

    def as_postgresql(self, compiler, connection, **extra):
        keys, params = compiler.compile(self.source_expressions[0])
        table = keys.rsplit(".", 1)[0]
        return (
            f"{table}.search_vector @@ to_tsquery('simple'::regconfig, %s)",
            [*params, self.tsquery],
        )


def _quoted(token):
    # Tokens hold only letters, digits and ideographs; quoting keeps them single operands.
    return "'" + token + "'"


def _any(conditions):
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def _tokens(tokens, postgres):
    """Estates whose keys hold every one of `tokens`, each as a whole key (on PostgreSQL the
    GIN index answers it)."""
    if postgres:
        return Q(MatchesTokens(" & ".join(map(_quoted, sorted(tokens)))))
    condition = Q()
    for token in tokens:
        condition &= Q(search_keys__contains=f" {token} ")
    return condition


def estate_condition(query, using):
    """The filter for one search query on the database `using`; None when it is empty."""
    query = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    if not query:
        return None
    lowered = query.lower()
    letters = "".join(_ASCII_RUN.findall(lowered))
    is_pinyin = bool(letters) and re.fullmatch(r"[A-Za-z0-9 ']+", query) is not None
    postgres = connections[using].vendor == "postgresql"
    # Prefix tests on the estate table, each answered by an index. PostgreSQL rechecks a
    # condition's parts in order on every row the indexes found, and to_tsvector() over a
    # row's keys costs far more than a prefix test: the initials come first, so the many rows
    # they find (a two-letter prefix matches about 5% of all names) skip the token tests.
    pinyin = []
    if is_pinyin:
        # Initials from the start of the name (sqg → 双旗杆东里): the initials index.
        pinyin.append(Q(name_initials__startswith=letters))
        if len(letters) >= 2:  # one letter would start a syllable of nearly every name
            pinyin.append(
                Q(MatchesTokens(_quoted(letters) + ":*"))
                if postgres
                else Q(search_keys__contains=" " + letters)
            )
    if [lowered] == _runs(query) and len(query) <= 2:
        # One or two characters of one run, the most common Chinese search ("锦绣", "西城"):
        # a field holds them exactly when the keys hold them as a token, so the token test
        # alone decides, without the substring test on six columns of three tables (which
        # took most of the time when a common word matches thousands of estates). A pinyin
        # query's token is among the keys its syllable prefix finds already.
        if len(pinyin) == 2:
            return _any(pinyin)
        return _any([*pinyin, _tokens([lowered], postgres)])
    substring = (
        Q(name__icontains=query)
        | Q(district__icontains=query)
        | Q(subdistrict__icontains=query)
        | Q(community__icontains=query)
        | Q(city__name__icontains=query)
        | Q(property_company__name__icontains=query)
    )
    condition = _any([*pinyin, substring])
    required = query_grams(query)
    if postgres and required:
        # Every estate the condition accepts passes one of the indexed tests (a field that
        # holds the query holds all its pairs), so the planner can start from the indexes
        # and test the joined city and company names only on what they found.
        pairs = _tokens(required, postgres)
        condition = _any([*pinyin, pairs]) & condition
    return condition
