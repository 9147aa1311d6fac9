"""SQL the ORM writes too slowly on a hot path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Give each row its own values: ``rows`` are ``(pk, value of fields[0], …)``.

    One ``UPDATE … FROM (VALUES …)`` on PostgreSQL, ``executemany`` elsewhere.
    ``bulk_update`` builds a ``CASE`` per field and row through the expression
    machinery; for the 20 questions of a graded attempt or a batch of proctoring
    monitors that cost more than everything else the caller does (measured
    with bench/bench_exam.py and bench/bench_ws.py).
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    prepared = [
        [meta.pk.get_db_prep_value(row[0], connection)]
        + [field.get_db_prep_save(value, connection) for field, value in zip(columns, row[1:], strict=True)]
        for row in rows
    ]
    table = connection.ops.quote_name(meta.db_table)
    pk = connection.ops.quote_name(meta.pk.column)
    names = [connection.ops.quote_name(field.column) for field in columns]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = [meta.pk.rel_db_type(connection)] + [field.cast_db_type(connection) for field in columns]
            row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            assignments = ", ".join(f"{name} = v.{name}" for name in names)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - names come from the model
                f"FROM (VALUES {', '.join([row_sql] * len(prepared))}) AS v({pk}, {', '.join(names)}) "
                f"WHERE t.{pk} = v.{pk}",
                [value for row in prepared for value in row],
            )
        else:
            assignments = ", ".join(f"{name} = %s" for name in names)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 - names come from the model
                [[*row[1:], row[0]] for row in prepared],
            )
