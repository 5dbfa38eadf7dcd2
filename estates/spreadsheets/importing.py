"""Run an import all-or-nothing and describe every problem in Chinese, by the row number the
clerk sees in the sheet and the column's header as the sheet writes it."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from .cells import CellError
from .layout import Problem

logger = logging.getLogger(__name__)

UNEXPECTED = "这一行无法导入（系统出错，已记录）。请把文件发给管理员"


def column_names(resource, layout=None):
    """Map field names and attributes to the column's header as the sheet writes it."""
    given = layout.given_headers if layout is not None else {}
    names = {}
    for name, field in resource.fields.items():
        shown = given.get(field.column_name, field.column_name)
        names[name] = names[field.column_name] = shown
        if field.attribute:
            names[field.attribute] = shown
    return names


def _messages(error):
    """(column key or None, Chinese message) of an error raised while importing a row.

    Only our own messages reach the clerk: ValidationError (the model's and ours) and CellError.
    Anything else is a fault of the program, logged with its traceback, never shown."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                (key, message)
                for key, messages in error.message_dict.items()
                for message in dict.fromkeys(messages)  # the same message once
            ]
        return [(None, message) for message in dict.fromkeys(error.messages)]
    if isinstance(error, CellError):
        return [(None, str(error))]
    logger.error("Import row failed", exc_info=error)
    return [(None, UNEXPECTED)]


def describe(result, resource, layout=None):
    """Every problem of an import result, as Problem texts
    "第 7 行「户数」：应为整数……（表中填的是“约1250”）", sorted by row."""
    columns = column_names(resource, layout)
    numbers = layout.row_numbers if layout is not None else None
    problems = []

    def add(number, key, message, values):
        row = numbers[number - 1] if numbers and 0 < number <= len(numbers) else number + 1
        column = None if key in (None, "__all__") else columns.get(key, key)
        value = values.get(_header_of(resource, key)) if values else None
        problems.append(_line(row, column, message, value))

    for number, errors in result.row_errors():
        for error in errors:
            for key, message in _messages(error.error):
                add(number, key, message, error.row)
    for invalid in result.invalid_rows:
        values = dict(zip(result.diff_headers, invalid.values, strict=False))
        for key, messages in invalid.error_dict.items():
            for message in dict.fromkeys(messages):
                add(invalid.number, key, message, _raw_values(layout, invalid.number) or values)
    for error in result.base_errors:
        for _key, message in _messages(error.error):
            problems.append(Problem(message))
    return sorted(problems, key=lambda problem: problem.row or 0)


def _header_of(resource, key):
    for name, field in resource.fields.items():
        if key in (name, field.attribute, field.column_name):
            return field.column_name
    return key


def _raw_values(layout, number):
    if layout is None or not 0 < number <= len(layout.dataset):
        return None
    return dict(zip(layout.dataset.headers, layout.dataset[number - 1], strict=False))


def _line(row, column, message, value=None):
    # The value found, where the message does not quote it (ours quote what they speak of
    # in “…”; Django's own, such as 该字段不能为空, quote nothing).
    shown = _shown(value)
    if shown and "“" not in message:
        message = f"{message}（表中填的是“{shown}”）"
    text = f"第 {row} 行「{column}」：{message}" if column else f"第 {row} 行：{message}"
    return Problem(text, row=row, column=column, message=message)


def _shown(value):
    """A cell's value as the problem quotes it; a long text is not repeated."""
    if value is None:
        return ""
    text = str(value).strip()
    return "" if len(text) > 40 or "\n" in text else text


def run_import(resource, dataset, dry_run=False):
    """Import the dataset; write nothing at all if any row has a problem.

    One pass: the rows are checked as they are written, in one transaction that is rolled
    back when any row has a problem (or for a dry run). Returns (result, problems)."""
    with transaction.atomic():
        result = resource.import_data(
            dataset, dry_run=dry_run, raise_errors=False, collect_failed_rows=True
        )
        problems = result.problems
        if problems or dry_run:
            transaction.set_rollback(True)
    return result, problems
