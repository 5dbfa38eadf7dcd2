from django.db import migrations

# The GIN index behind estate search on PostgreSQL (estates/search.py): the query
# to_tsvector('simple', search_keys) @@ to_tsquery('simple', …) of EstateQuerySet.search()
# needs it, or every search reads the whole estate table. SQLite has no such index type and
# searches by scanning, which is what a single-machine site needs.
SEARCH_INDEX = (
    "CREATE INDEX estate_search_keys ON estates_estate "
    "USING gin (to_tsvector('simple'::regconfig, search_keys))"
)

# The national figures of the home and stats pages (showcase.views.published_by_province and
# the stats page's types): published estates counted, households summed and types counted,
# read from this index alone. A covering (INCLUDE) index is PostgreSQL's; SQLite reads the
# table.
SUMMARY_INDEX = (
    "CREATE INDEX estate_public_by_province ON estates_estate (province_id) "
    "INCLUDE (households, estate_type) WHERE is_published"
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)
        schema_editor.execute(SUMMARY_INDEX)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS estate_search_keys")
        schema_editor.execute("DROP INDEX IF EXISTS estate_public_by_province")


class Migration(migrations.Migration):
    # Its own migration: PostgreSQL refuses to build an index on a table that the previous
    # migration's data updates left with pending constraint checks in the same transaction.
    dependencies = [("estates", "0012_estate_search_and_list_keys")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
