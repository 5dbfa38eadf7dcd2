"""SQL expressions used in check constraints.

Django's ``Now()`` compiles on SQLite to ``STRFTIME(..., 'NOW')``, which SQLite refuses inside a
CHECK constraint as non-deterministic; ``CURRENT_TIMESTAMP`` is allowed. Both databases compare
in UTC here, one day ahead, so a value entered just after midnight in Beijing is never refused;
forms check the exact date in the site's time zone.
"""

from django.db import models


class LatestAllowedDate(models.Func):
    """Tomorrow's date (UTC): the latest date the database accepts for a past event."""

    output_field = models.DateField()
    template = "(CURRENT_DATE + 1)"
    arity = 0

    def as_sqlite(self, compiler, connection, **extra_context):
        return "DATE(CURRENT_TIMESTAMP, '+1 day')", []


class LatestAllowedYear(models.Func):
    """The year of tomorrow's date (UTC): the latest year the database accepts."""

    output_field = models.IntegerField()
    template = "CAST(EXTRACT(YEAR FROM CURRENT_DATE + 1) AS INTEGER)"
    arity = 0

    def as_sqlite(self, compiler, connection, **extra_context):
        return "CAST(STRFTIME('%%Y', CURRENT_TIMESTAMP, '+1 day') AS INTEGER)", []
