"""The database side of a backup: a consistent snapshot, the dump, the migration state, the
sequences, and a restore that replaces everything in one transaction."""

from collections import Counter
from contextlib import contextmanager

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.loader import MigrationLoader

from . import serializer

# Rows a backup leaves out: sessions only log people in; after a restore everyone logs in again.
EXCLUDED_APPS = ("sessions",)

# What `migrate` itself writes into a new database (content types, permissions, the role
# groups of a data migration) and what the site writes for itself (the page-cache version,
# the stats page's figures): a database holding only these counts as empty.
MIGRATE_FILLS = (
    "contenttypes.contenttype",
    "auth.permission",
    "showcase.contentversion",
    "showcase.publicstatistics",
)


def label_of(model):
    return model._meta.label_lower


def dumped_models():
    """The models a backup holds, as dumpdata picks them: concrete, not proxies, not the
    auto-created tables of many-to-many fields (those travel with their model)."""
    return [
        model
        for app_config in apps.get_app_configs()
        if app_config.models_module is not None and app_config.label not in EXCLUDED_APPS
        for model in app_config.get_models()
        if not model._meta.proxy and model._meta.managed
    ]


def sequenced_models():
    """Every model whose primary key comes from a sequence, many-to-many tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if isinstance(model._meta.pk, models.AutoField)
        and not model._meta.proxy
        and model._meta.managed
    ]


@contextmanager
def snapshot(using):
    """Read the whole database as of one moment, without blocking the site's writers.

    PostgreSQL: one REPEATABLE READ, READ ONLY transaction. SQLite (WAL): one deferred read
    transaction, which sees a fixed snapshot while writers carry on (Django's own transactions
    here begin IMMEDIATE, which would hold the write lock for the whole backup).
    """
    connection = connections[using]
    if connection.in_atomic_block:  # already inside a transaction (e.g. a test): use it
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            cursor.execute("SELECT count(*) FROM sqlite_master")  # the snapshot starts here
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
    else:
        with transaction.atomic(using=using):
            yield


def dump(path, using):
    """Write every row (sessions aside) to `path` as JSON Lines, streamed from iterators."""
    serializer.register()
    call_command(
        "dumpdata",
        format=serializer.FORMAT,
        output=str(path),
        exclude=list(EXCLUDED_APPS),
        use_base_manager=True,
        database=using,
        verbosity=0,
    )


def count_rows(lines):
    """Rows per model label in a JSON Lines dump (an iterable of text lines)."""
    import json

    counts = Counter()
    for line in lines:
        if line.strip():
            counts[json.loads(line)["model"]] += 1
    return counts


def database_counts(using):
    return {label_of(model): model._base_manager.using(using).count() for model in dumped_models()}


def migration_state(using):
    """{app label: the latest applied migration} as recorded in the database."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = {}
    for app_label, name in loader.applied_migrations:
        applied.setdefault(app_label, []).append(name)

    def depth(app_label, name):
        node = (app_label, name)
        return len(loader.graph.forwards_plan(node)) if node in loader.graph.nodes else 0

    return {
        app_label: max(names, key=lambda name, app=app_label: (depth(app, name), name))
        for app_label, names in sorted(applied.items())
    }


def occupied(using):
    """[(model label, rows)] of the tables that hold data beyond what `migrate` writes."""
    from estates.roles import GROUP_NAMES

    found = []
    for model in dumped_models():
        label = label_of(model)
        if label in MIGRATE_FILLS:
            continue
        rows = model._base_manager.using(using)
        if label == "auth.group":
            rows = rows.exclude(name__in=GROUP_NAMES.values())
        count = rows.count()
        if count:
            found.append((label, count))
    return found


# Sequences ---------------------------------------------------------------------------------
#
# A restored database must hand out ids that were never used in it: not those of its rows,
# and not those of rows deleted before the backup, whose history records still carry them.
# Each sequence is therefore set to the largest of: the source's sequence (from the
# manifest), the largest id restored, and the sequence as it was here before the restore.
# The flush that starts a restore restarts the sequences (TRUNCATE … RESTART IDENTITY on
# PostgreSQL, sqlite_sequence on SQLite) inside the transaction, which makes every later
# change to them part of the transaction too: a failed restore leaves them as they were.


def read_sequences(using):
    """{model label: the last id handed out} for every sequenced model with a value."""
    connection = connections[using]
    found = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in sequenced_models():
                cursor.execute(
                    "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s)::regclass)",
                    [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column],
                )
                value = cursor.fetchone()[0]
                if value is not None:
                    found[label_of(model)] = int(value)
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name, seq FROM sqlite_sequence")
            by_table = dict(cursor.fetchall())
            for model in sequenced_models():
                value = by_table.get(model._meta.db_table)
                if value:
                    found[label_of(model)] = int(value)
    return found


def raise_sequences(using, *floors):
    """Move every sequence to at least its table's largest id and each of `floors`
    ({label: last id}); sequences only ever move forward here."""
    connection = connections[using]
    ops = connection.ops
    for model in sequenced_models():
        label, table, column = label_of(model), model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({ops.quote_name(column)}) FROM {ops.quote_name(table)}")
            largest = cursor.fetchone()[0] or 0
            target = max([largest, *(floor.get(label, 0) for floor in floors)])
            if connection.vendor == "postgresql":
                sequence = "pg_get_serial_sequence(%s, %s)"
                params = [ops.quote_name(table), column]
                if target:
                    cursor.execute(f"SELECT setval({sequence}, %s, true)", [*params, target])
                else:
                    cursor.execute(f"SELECT setval({sequence}, 1, false)", params)
            elif connection.vendor == "sqlite" and target:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = max(seq, %s) WHERE name = %s",
                    [target, table],
                )
                if cursor.rowcount == 0:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, target]
                    )


def reset_sequences(using):
    """What `manage.py sqlsequencereset` prints, for every app, executed."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), sequenced_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# Restore -----------------------------------------------------------------------------------

LOAD_BATCH = 1000


def load(path, using):
    """Insert every row of a dump exactly as it is, streamed, a batch of rows per statement.

    What loaddata does, faster: rows go in raw (no save() methods, no signals, auto_now
    fields keep their stored times), foreign keys are checked once at the end. Many-to-many
    pairs travel with their row, as dumpdata writes them.
    """
    from django.core import serializers

    connection = connections[using]
    tables = set()

    def insert(items):
        try:
            write(items)
        except (DatabaseError, ValueError) as error:
            label = items[0].object._meta.label
            raise LoadRefused(f"载入 {label} 时数据库拒绝了数据：{error}") from error

    def write(items):
        model = type(items[0].object)
        meta = model._meta
        tables.add(meta.db_table)
        objects = [item.object for item in items]
        if meta.parents:  # multi-table inheritance: let Django write each table
            for item in items:
                item.save(using=using, save_m2m=False)
        else:
            # QuerySet._insert with raw=True is the insert save_base(raw=True) performs
            # (loaddata's), for many rows at once.
            fields = [f for f in meta.local_concrete_fields if not f.generated]
            size = max(1, connection.ops.bulk_batch_size(fields, objects))
            for start in range(0, len(objects), size):
                model._base_manager.using(using)._insert(
                    objects[start : start + size], fields=fields, raw=True, using=using
                )
        for name in {name for item in items for name in item.m2m_data or {}}:
            field = meta.get_field(name)
            through = field.remote_field.through
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            pairs = [
                through(**{source: item.object.pk, target: pk})
                for item in items
                for pk in item.m2m_data.get(name, ())
            ]
            tables.add(through._meta.db_table)
            through._base_manager.using(using).bulk_create(pairs, batch_size=LOAD_BATCH)

    batch = []
    with path.open(encoding="utf-8") as stream, connection.constraint_checks_disabled():
        for item in serializers.deserialize(serializer.FORMAT, stream, using=using):
            if batch and (
                type(item.object) is not type(batch[0].object) or len(batch) >= LOAD_BATCH
            ):
                insert(batch)
                batch = []
            batch.append(item)
        if batch:
            insert(batch)
    connection.check_constraints(table_names=sorted(tables))


def replace_all(data_path, using, expected_counts, source_sequences, before_commit=None):
    """Empty every table and load the dump, in one transaction; returns the rows per model.

    Raises on any failure, after which the database is as it was. `before_commit` runs last
    inside the transaction (the media swap), so its failure rolls the database back too.
    """
    from django.contrib.contenttypes.models import ContentType

    from showcase.cache import VERSION_ROW
    from showcase.models import ContentVersion

    serializer.register()
    connection = connections[using]
    try:
        with transaction.atomic(using=using):
            sequences_before = read_sequences(using)
            version_before = (
                ContentVersion.objects.using(using)
                .filter(pk=VERSION_ROW)
                .values_list("version", flat=True)
                .first()
                or 0
            )
            connection.ops.execute_sql_flush(
                sql_flush(no_style(), connection, reset_sequences=True)
            )
            load(data_path, using)
            counts = database_counts(using)
            wrong = {
                label: (expected_counts.get(label, 0), count)
                for label, count in counts.items()
                if count != expected_counts.get(label, 0)
            }
            if wrong:
                raise RestoreMismatch(wrong)
            # Pages cached before the restore must never be served for the restored data:
            # give the content version a number neither database has used.
            restored = (
                ContentVersion.objects.using(using)
                .filter(pk=VERSION_ROW)
                .values_list("version", flat=True)
                .first()
                or 0
            )
            ContentVersion.objects.using(using).update_or_create(
                pk=VERSION_ROW, defaults={"version": max(version_before, restored) + 1}
            )
            reset_sequences(using)
            raise_sequences(using, source_sequences, sequences_before)
            if before_commit is not None:
                before_commit()
    finally:
        ContentType.objects.clear_cache()
    return counts


class LoadRefused(Exception):
    """The database refused a row of the dump (the message names the model)."""


class RestoreMismatch(Exception):
    """The rows loaded differ from the manifest's counts: {label: (expected, loaded)}."""

    def __init__(self, wrong):
        super().__init__(wrong)
        self.wrong = wrong
