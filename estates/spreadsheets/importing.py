"""Run an import all-or-nothing and describe every problem in Chinese, by row and column."""

from django.core.exceptions import ValidationError
from django.db import transaction


def column_names(resource):
    """Map both field names and attributes to the column header people see."""
    names = {}
    for name, field in resource.fields.items():
        names[name] = field.column_name
        if field.attribute:
            names[field.attribute] = field.column_name
    return names


def _messages(error):
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                (key, message)
                for key, messages in error.message_dict.items()
                for message in messages
            ]
        return [(None, message) for message in error.messages]
    return [(None, str(error))]


def describe(result, resource):
    """['第 3 行「户数（户）」：应为整数……', …] for every problem of an import result."""
    columns = column_names(resource)
    problems = []
    for number, errors in result.row_errors():
        for error in errors:
            for key, message in _messages(error.error):
                problems.append(_line(number, columns.get(key, key), message))
    for invalid in result.invalid_rows:
        for key, messages in invalid.error_dict.items():
            for message in messages:
                column = None if key == "__all__" else columns.get(key, key)
                problems.append(_line(invalid.number, column, message))
    for error in result.base_errors:
        problems.append(str(error.error))
    return sorted(problems, key=_row_of)


def _line(number, column, message):
    # import-export counts data rows from 1; in the spreadsheet the header is row 1.
    row = f"第 {number + 1} 行"
    return f"{row}「{column}」：{message}" if column else f"{row}：{message}"


def _row_of(line):
    try:
        return int(line.split(" ")[1])
    except (IndexError, ValueError):
        return 0


def run_import(resource, dataset, dry_run=False):
    """Import the dataset; write nothing at all if any row has a problem.

    Returns (result, problems)."""
    with transaction.atomic():
        result = resource.import_data(
            dataset, dry_run=True, raise_errors=False, collect_failed_rows=True
        )
        problems = describe(result, resource)
        if problems or dry_run:
            return result, problems
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, raise_errors=False)
        problems = describe(result, resource)
        if problems:
            transaction.set_rollback(True)
    return result, problems
