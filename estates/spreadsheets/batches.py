"""What an import asks the database once per batch of rows rather than once per row.

A file of 10,000 estates used to cost a dozen round trips a row: a savepoint around it, its
foreign keys looked up again, its slug tried, its check constraints asked, its insert, its
history record's insert, its metric values'. Here the same questions are asked for a whole
batch: the check constraints of its estates evaluated together, its slugs in one or two
queries, its rows inserted with bulk_create together with their history records. The
answers and the messages are the same as row by row.
"""

import datetime
import operator
from collections import Counter
from decimal import Decimal
from functools import reduce
from operator import or_

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

from .. import models as domain
from ..models.checks import failed_checks
from ..pinyin import full_pinyin, pinyin_initials, pinyin_slug
from ..search import search_keys

# Rows read, checked and written together: large enough that the queries of a batch cost
# little beside its rows, small enough that its look-ups stay short.
BATCH_ROWS = 500
# Slug prefixes asked about in one query (an OR of LIKEs, kept within SQLite's depth).
PREFIXES_PER_QUERY = 200


class Unanswerable(Exception):
    """A condition this module does not evaluate itself: the database is asked."""


NUMBERS = (int, float, Decimal, datetime.date)
COMPARE = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _both(results):
    """SQL's AND of true, false and unknown (None)."""
    if False in results:
        return False
    return None if None in results else True


def _either(results):
    """SQL's OR of true, false and unknown (None)."""
    if True in results:
        return True
    return None if None in results else False


def _constants(condition, found):
    """The expressions of a condition that name no field (the latest year allowed): the same
    for every row, asked once per batch."""
    for child in condition.children:
        if isinstance(child, models.Q):
            _constants(child, found)
        elif hasattr(child[1], "resolve_expression"):
            found.append(child[1])
    return found


def _holds(condition, instance, constants):
    """Whether the instance's values pass the condition, in SQL's three-valued logic (None:
    unknown, which a check constraint lets pass). Comparisons of numbers and dates and
    IS NULL only: anything else raises Unanswerable."""
    results = []
    for child in condition.children:
        if isinstance(child, models.Q):
            results.append(_holds(child, instance, constants))
            continue
        path, value = child
        name, _, lookup = path.partition("__")
        lookup = lookup or "exact"
        try:
            actual = getattr(instance, instance._meta.get_field(name).attname)
        except FieldDoesNotExist:
            raise Unanswerable(path) from None
        if lookup == "isnull":
            results.append((actual is None) == bool(value))
            continue
        if lookup not in COMPARE:
            raise Unanswerable(path)
        if hasattr(value, "resolve_expression"):
            value = constants[id(value)]
        if actual is None or value is None:
            results.append(None)
        elif isinstance(actual, NUMBERS) and isinstance(value, NUMBERS):
            results.append(COMPARE[lookup](actual, value))
        else:
            raise Unanswerable(path)
    result = _both(results) if condition.connector == models.Q.AND else _either(results)
    return (None if result is None else not result) if condition.negated else result


def constraint_errors(instances, model, using="default"):
    """{index in `instances`: ValidationError} of the instances whose values break one of the
    model's check constraints, with the messages and in the order CheckedModel's
    validate_constraints gives for one instance.

    The conditions are comparisons of a field with a number or a date, or IS NULL: they are
    evaluated here as the database evaluates them (a NULL comparison is unknown, and an
    unknown condition passes), and what they compare with that names no field (the latest
    year allowed, which is the database's) is asked of the database once for the batch. A
    condition of another kind is asked of the database row by row, as before."""
    if not instances:
        return {}
    groups = instances[0].get_constraints()
    checks = [
        constraint
        for _model, constraints in groups
        for constraint in constraints
        if isinstance(constraint, models.CheckConstraint)
    ]
    expressions = []
    for constraint in checks:
        _constants(models.Q(constraint.condition), expressions)
    constants = {}
    if expressions:
        query = Query(None)
        for number, expression in enumerate(expressions):
            query.add_annotation(expression, f"constant_{number}")
        row = query.get_compiler(using=using).execute_sql(SINGLE)
        constants = {id(e): value for e, value in zip(expressions, row, strict=True)}
    errors = {}
    for index, instance in enumerate(instances):
        try:
            broken = {
                id(c) for c in checks if _holds(models.Q(c.condition), instance, constants) is False
            }
        except Unanswerable:
            broken = {id(c) for c in failed_checks(instance, model, checks, using=using)}
        found = {}
        # In Django's order, so the messages come out as they would.
        for model_class, constraints in groups:
            for constraint in constraints:
                try:
                    if id(constraint) in broken:
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                    if not isinstance(constraint, models.CheckConstraint):
                        constraint.validate(model_class, instance, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        found.setdefault(constraint.fields[0], []).append(error)
                    else:
                        found = error.update_error_dict(found)
        if found:
            errors[index] = ValidationError(found)
    return errors


def fill_kept_fields(estate):
    """What Estate.save() keeps on the row, for estates inserted with bulk_create (which calls
    no save()): the pinyin, the search keys, the province's order and the version.
    (tests/test_import_batches.py compares the two on the same estate.)"""
    estate.name_pinyin = full_pinyin(estate.name)
    estate.name_initials = pinyin_initials(estate.name)
    estate.search_keys = search_keys(estate)
    if estate.province_id:
        estate.province_order = estate.province.display_order
    estate.version = (estate.version or 0) + 1


class Slugs:
    """The slugs Estate._unique_slug would give new estates saved one after another in a
    file's order (its name's pinyin; when taken, with its city's; then numbered), worked out
    for a batch of names at once: one query for the batch, one more per PREFIXES_PER_QUERY
    names already taken. Remembers every slug this import gave or was given."""

    def __init__(self):
        self.taken = set()  # slugs known to be taken: in the database, or in this import
        self.asked = set()  # bases the database was asked about
        self.prefixed = set()  # bases whose every slug in the database (base…) is in `taken`
        self.bases = {}  # name: base

    def base(self, name):
        if name not in self.bases:
            self.bases[name] = pinyin_slug(name, max_length=70) or "xiaoqu"
        return self.bases[name]

    def reserve(self, slug):
        """A slug a row gives for its new estate: no other may have it."""
        self.taken.add(slug)

    def prepare(self, names):
        """Ask the database about the slugs these names would have."""
        counts = Counter(self.base(name) for name in names)
        new = set(counts) - self.asked
        if new:
            self.taken |= set(
                domain.Estate.objects.filter(slug__in=new).values_list("slug", flat=True)
            )
            self.asked |= new
        self._read_prefixed(
            base
            for base in counts
            if base not in self.prefixed and (base in self.taken or counts[base] > 1)
        )

    def _read_prefixed(self, bases):
        bases = sorted(bases)
        for start in range(0, len(bases), PREFIXES_PER_QUERY):
            prefixes = bases[start : start + PREFIXES_PER_QUERY]
            condition = reduce(or_, (models.Q(slug__startswith=prefix) for prefix in prefixes))
            self.taken |= set(
                domain.Estate.objects.filter(condition).values_list("slug", flat=True)
            )
        self.prefixed |= set(bases)

    def slug_for(self, estate):
        base = self.base(estate.name)
        if base not in self.asked:
            self.prepare([estate.name])
        slug = base
        if base in self.taken:
            # Same name elsewhere: add the city, then a number.
            if base not in self.prefixed:
                self._read_prefixed([base])
            with_city = f"{base}-{estate.city.slug}"[:76] if estate.city_id else base
            slug, n = with_city, 2
            while slug in self.taken:
                slug, n = f"{with_city}-{n}", n + 1
        self.taken.add(slug)
        return slug
