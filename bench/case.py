"""One measured case, run in its own process so its peak memory is its own.

Usage: python bench/case.py CASE [ARG]; prints one JSON line with seconds and rows.
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from estates.models import Estate  # noqa: E402
from estates.spreadsheets.formats import SafeCSV, SafeXLSX  # noqa: E402
from estates.spreadsheets.importing import run_import  # noqa: E402
from estates.spreadsheets.resources import EstateResource  # noqa: E402

FLOOR_COLUMNS = ["name", "slug", "province__name", "city__name", "district", "households"]


def export_app(path):
    call_command("export_estates", path, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return Estate.objects.count()


def export_floor(path):
    """The least the same work needs: the columns straight from the database to a file."""
    rows = Estate.objects.values_list(*FLOOR_COLUMNS).iterator(chunk_size=2000)
    return _write_plain(path, FLOOR_COLUMNS, rows)


def export_floor_full(path):
    """The floor of the export's own columns: the same values as export_estates writes, each
    latest metric value joined through Metric.is_latest, handed to a plain csv / openpyxl
    writer as they come."""
    from django.db.models import FilteredRelation, Q

    resource = EstateResource()
    kinds = {kind.code: kind.pk for kind in resource.metric_types}
    paths, joins = [], {}
    for field in resource.get_export_fields():
        attribute = field.attribute
        if attribute.startswith("latest_"):
            code = attribute.removeprefix("latest_").removesuffix("_date")
            joins[code] = FilteredRelation(
                "metrics",
                condition=Q(
                    metrics__is_latest=True,
                    metrics__metric_type_id=kinds[code],
                ),
            )
            paths.append(
                f"{code}_value__date" if attribute.endswith("_date") else f"{code}_value__value"
            )
        elif attribute in ("province", "city", "property_company"):
            paths.append(f"{attribute}__name")
        else:
            paths.append(attribute)
    rows = (
        Estate.objects.annotate(**{f"{code}_value": join for code, join in joins.items()})
        .order_by("province__display_order", "name_pinyin", "pk")
        .values_list(*paths)
        .iterator(chunk_size=2000)
    )
    return _write_plain(path, resource.get_export_headers(), rows)


def _write_plain(path, headers, rows):
    count = 0
    if path.endswith(".csv"):
        import csv

        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows:
                writer.writerow(row)
                count += 1
        return count
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("estates")
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
        count += 1
    workbook.save(path)
    return count


def import_app(path):
    fmt = SafeXLSX if path.endswith(".xlsx") else SafeCSV
    dataset = fmt().create_dataset(Path(path).read_bytes())
    result, problems = run_import(EstateResource(), dataset)
    if problems:
        raise SystemExit("import refused: " + problems[0])
    return result.totals["new"]


def import_floor(path):
    """bulk_create of the same rows with no checks at all: the file read with the csv module
    (the portal's reader hands its rows to the import's layout, not to a loop)."""
    import csv

    from estates.models import City

    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    city = City.objects.select_related("province").first()
    with transaction.atomic():
        objects = [
            Estate(name=row[0], slug=f"floor-{i}", province=city.province, city=city)
            for i, row in enumerate(rows)
        ]
        Estate.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


CASES = {
    "export_app": export_app,
    "export_floor": export_floor,
    "export_floor_full": export_floor_full,
    "import_app": import_app,
    "import_floor": import_floor,
}

if __name__ == "__main__":
    case, argument = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    rows = CASES[case](argument)
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
