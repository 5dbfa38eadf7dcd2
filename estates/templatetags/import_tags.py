"""The import page's tables: the preview of what a file will do, and its problems, numbered by
the rows of the clerk's own sheet and limited to the columns the sheet has."""

from django import template

register = template.Library()

KINDS = {"new": "新增", "update": "更新", "skip": "未变", "delete": "删除"}


@register.inclusion_tag("admin/estates/import_preview_table.html")
def import_preview(result):
    """The rows of the file as they will be imported: 行 (the sheet's row), what happens, and
    the cells of the columns the sheet has (the others stay as they are)."""
    layout = getattr(result, "layout", None)
    headers = list(result.diff_headers)
    given = layout.given_headers if layout is not None else {}
    shown = [i for i, header in enumerate(headers) if header in given] or range(len(headers))
    rows = [
        {
            "number": getattr(row, "sheet_row", None),
            "kind": row.import_type,
            "label": KINDS.get(row.import_type, row.import_type),
            "cells": [row.diff[i] for i in shown] if row.diff else [],
        }
        for row in result.valid_rows()
    ]
    totals = {key: result.totals.get(key, 0) for key in ("new", "update", "skip")}
    return {
        "headers": [given.get(headers[i], headers[i]) for i in shown],
        "rows": rows,
        "totals": totals,
    }


@register.inclusion_tag("admin/estates/import_problems_table.html")
def import_problems(result):
    """Every problem: the file's own first, then one line per row and column."""
    problems = getattr(result, "problems", [])
    return {
        "general": [p for p in problems if getattr(p, "column", None) is None],
        "rows": [p for p in problems if getattr(p, "column", None) is not None],
    }
