"""Model validation that asks the database about all check constraints in one query.

Django's ``full_clean()`` validates each check constraint with a query of its own (inside a
transaction, a savepoint around each: three round trips), and builds the instance's field
values into that query afresh every time. An estate has nine check constraints, so a
spreadsheet import of 10,000 rows, validated in its preview and again when written, spent
half its time there. ``CheckedModel`` asks the same question once: one SELECT with one
column per constraint, each the constraint's own condition as Django would test it (a NULL
result passes, as in the database). The errors are the same, constraint by constraint; other
constraints (unique ones) are validated by Django as before.
"""

import logging
from contextlib import nullcontext

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

logger = logging.getLogger(__name__)


def failed_checks(instance, model, constraints, exclude=None, using="default"):
    """The check constraints among `constraints` that the instance's values break."""
    against = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
    # Only the values the conditions name (Django builds every field into the query, a
    # third of the time an import row takes); a name left out fails as it would otherwise.
    named = set().union(*(models.Q(c.condition).referenced_base_fields for c in constraints))
    query = Query(None)
    for name, value in against.items():
        if name not in named:
            continue
        if not hasattr(value, "resolve_expression"):
            value = models.Value(value)
        query.add_annotation(value, name, select=False)
    asked = []
    for constraint in constraints:
        condition = models.ExpressionWrapper(
            models.Q(constraint.condition), output_field=models.BooleanField()
        )
        passes = Coalesce(condition, models.Value(True), output_field=models.BooleanField())
        try:
            query.add_annotation(passes, f"check_{len(asked)}")
        except FieldError:
            continue  # it names a field left out of validation: Django skips it too
        asked.append(constraint)
    if not asked:
        return []
    connection = connections[using]
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as error:
        # As Django does for each constraint: the database will still refuse a bad row.
        logger.warning("Got a database error checking %s: %s", model._meta.label, error)
        return []
    return [constraint for constraint, passed in zip(asked, row, strict=True) if not passed]


class CheckedModel(models.Model):
    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model_class, model_constraints in self.get_constraints():
            checks = [c for c in model_constraints if isinstance(c, models.CheckConstraint)]
            failed = {id(c) for c in failed_checks(self, model_class, checks, exclude, using)}
            # In Django's order, so the messages come out as they would.
            for constraint in model_constraints:
                try:
                    if id(constraint) in failed:
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                    if not isinstance(constraint, models.CheckConstraint):
                        constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
