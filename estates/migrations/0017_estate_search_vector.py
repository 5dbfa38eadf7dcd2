from django.db import migrations

# Estate search on PostgreSQL (estates/search.py) tests to_tsvector('simple', search_keys)
# @@ to_tsquery(…). Computed at query time, to_tsvector() over a row's keys cost about 50 µs,
# and a common word ("锦绣", matching 5% of 100,000 estates) had it computed for every row the
# list index walked (35 ms). The vector is now kept in a stored generated column, which
# PostgreSQL recomputes whenever search_keys changes, and the GIN index is built on it.
# Django does not know the column (SQLite has no tsvector); MatchesTokens names it.
ADD_COLUMN = (
    "ALTER TABLE estates_estate ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_keys)) STORED"
)
VECTOR_INDEX = "CREATE INDEX estate_search_vector ON estates_estate USING gin (search_vector)"
KEYS_INDEX = (
    "CREATE INDEX estate_search_keys ON estates_estate "
    "USING gin (to_tsvector('simple'::regconfig, search_keys))"
)


def add_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS estate_search_keys")
        schema_editor.execute(ADD_COLUMN)
        schema_editor.execute(VECTOR_INDEX)


def drop_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS estate_search_vector")
        schema_editor.execute("ALTER TABLE estates_estate DROP COLUMN IF EXISTS search_vector")
        schema_editor.execute(KEYS_INDEX)


class Migration(migrations.Migration):
    dependencies = [("estates", "0016_metric_is_latest")]

    operations = [migrations.RunPython(add_vector, drop_vector)]
