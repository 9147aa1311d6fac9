"""SQL the ORM writes too slowly on a hot path.

The examinee's start, autosave and submit run thousands of times in a minute
(bench/bench_exam.py). For their few simple queries the ORM spent more CPU
compiling SQL than the database spent running it. These helpers write each
statement once per process from the models' own field lists. The rows become
instances through ``Model.from_db``, with the converters a queryset applies.

Reading the other way, a grouped statistics question can return tens of
thousands of rows (``values_fetched``, ``collector_paused``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from operator import itemgetter
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models
from django.db.models import QuerySet
from django.db.models.sql.constants import MULTI


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


def _converters(model: type[models.Model], fields: Sequence[Any]) -> list[tuple[int, Any, list[Any]]]:
    """(position, column, converters) of the fields that have converters on this connection."""
    table = model._meta.db_table
    found = []
    for index, field in enumerate(fields):
        col = field.get_col(table)
        converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if converters:
            found.append((index, col, converters))
    return found


def instances_from_rows(model: type[models.Model], fields: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """Model instances from their rows, with the converters a queryset would apply (SQLite datetimes, JSON).

    Fields not in ``fields`` are deferred, as with ``QuerySet.defer()``. The
    converters are looked up once for all the rows, as a queryset does: per row
    and field that lookup cost a graded attempt's 25 questions more than
    reading them.
    """
    if len(rows) == 0:
        return []
    converters = _converters(model, fields)
    attnames = [f.attname for f in fields]
    alias = connection.alias
    instances = []
    for row in rows:
        values = list(row)
        if len(values) != len(attnames):
            raise ValueError(f"{len(values)} values for {len(attnames)} fields of {model._meta.label}")
        for index, col, field_converters in converters:
            value = values[index]
            for converter in field_converters:
                value = converter(value, col, connection)
            values[index] = value
        instances.append(model.from_db(alias, attnames, values))
    return instances


def instance_from_row(model: type[models.Model], fields: Sequence[Any], values: Sequence[Any]) -> Any:
    """One model instance from its row (``instances_from_rows`` for one row)."""
    return instances_from_rows(model, fields, [values])[0]


def quote_name(name: str) -> str:
    """A table or column name quoted for this connection's database."""
    return connection.ops.quote_name(name)


@cache
def _joined_select(
    model: type[models.Model], related: str, exclude: tuple[str, ...]
) -> tuple[str, list[Any], list[Any]]:
    fk = model._meta.get_field(related)
    other = fk.related_model
    own = [f for f in model._meta.concrete_fields if f.name not in exclude]
    theirs = list(other._meta.concrete_fields)
    sql = (
        f"SELECT {', '.join(f't.{quote_name(f.column)}' for f in own)}, {', '.join(f'r.{quote_name(f.column)}' for f in theirs)} "  # noqa: S608 - names come from the models
        f"FROM {quote_name(model._meta.db_table)} t JOIN {quote_name(other._meta.db_table)} r ON r.{quote_name(other._meta.pk.column)} = t.{quote_name(fk.column)} "
        f"WHERE t.{quote_name(model._meta.pk.column)} = %s"
    )
    return sql, own, theirs


def get_with_related(model: type[models.Model], pk: Any, related: str, *, exclude: Sequence[str] = ()) -> Any:
    """``model.objects.select_related(related).defer(*exclude).get(pk=pk)``, with its SQL written once per process.

    On the submit path the ORM's compiling of that query cost more than running
    it (bench/bench_exam.py). Raises ``model.DoesNotExist`` like ``get()``.
    """
    sql, own, theirs = _joined_select(model, related, tuple(exclude))
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    instance = instance_from_row(model, own, row[: len(own)])
    model._meta.get_field(related).set_cached_value(
        instance, instance_from_row(theirs[0].model, theirs, row[len(own) :])
    )
    return instance


@cache
def _select_sql(
    model: type[models.Model], where: tuple[str, ...], order_by: tuple[str, ...], exclude: tuple[str, ...]
) -> tuple[str, list[Any], list[Any]]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f.name not in exclude]
    conditions = [meta.get_field(name) for name in where]
    sql = (
        f"SELECT {', '.join(quote_name(f.column) for f in fields)} FROM {quote_name(meta.db_table)} "  # noqa: S608 - names come from the model
        f"WHERE {' AND '.join(f'{quote_name(f.column)} = %s' for f in conditions)}"
    )
    if order_by:
        sql += " ORDER BY " + ", ".join(quote_name(meta.get_field(name).column) for name in order_by)
    return sql, fields, conditions


def select_where(
    model: type[models.Model], where: dict[str, Any], *, order_by: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Any]:
    """``model.objects.filter(**where).order_by(*order_by).defer(*exclude)`` for equality conditions on fields."""
    sql, fields, conditions = _select_sql(model, tuple(where), tuple(order_by), tuple(exclude))
    params = [
        field.get_db_prep_value(value, connection) for field, value in zip(conditions, where.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return instances_from_rows(model, fields, rows)


@cache
def _update_sql(
    model: type[models.Model], where: tuple[str, ...], columns: tuple[str, ...]
) -> tuple[str, list[Any], list[Any]]:
    meta = model._meta
    conditions = [meta.get_field(name) for name in where]
    fields = [meta.get_field(name) for name in columns]
    sql = (
        f"UPDATE {quote_name(meta.db_table)} SET {', '.join(f'{quote_name(f.column)} = %s' for f in fields)} "  # noqa: S608 - names come from the model
        f"WHERE {' AND '.join(f'{quote_name(f.column)} = %s' for f in conditions)}"
    )
    return sql, fields, conditions


def update_where(model: type[models.Model], where: dict[str, Any], values: dict[str, Any]) -> int:
    """``model.objects.filter(**where).update(**values)`` for equality conditions; returns the rows changed."""
    sql, fields, conditions = _update_sql(model, tuple(where), tuple(values))
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(), strict=True)]
    params += [
        field.get_db_prep_value(value, connection) for field, value in zip(conditions, where.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, prepared: bool = False
) -> None:
    """INSERT many rows of ``fields`` (attnames, e.g. ``learner_id``; no ``auto_now_add`` magic).

    ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` elsewhere. ``bulk_create``
    builds an instance and prepares every value field by field through the
    expression machinery: for the 100,000 rows of a training import that cost
    several times the database's own work (bench/bench_import_data.py).

    Values are plain Python (int, str, bool, None, aware datetime, date,
    Decimal). psycopg adapts those itself for COPY, so on PostgreSQL they go as
    given (preparing them field by field was two thirds of the CPU time); elsewhere
    each field's ``get_db_prep_save`` prepares them. With ``prepared=True`` the
    caller has already adapted every value with the backend's own adapters
    (``connection.ops.adapt_json_value`` …), and they go as given on every backend.
    Call inside the caller's transaction.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            if not prepared:
                rows = [
                    [field.get_db_prep_save(value, connection) for field, value in zip(columns, row, strict=True)]
                    for row in rows
                ]
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(rows))  # noqa: S608


_FETCH_CHUNK = 10_000  # rows per fetch (tests shrink it to cross chunks)


def values_fetched(values: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset, as ``list(values)`` gives them,
    fetched in large chunks and converted a column at a time. Django's own
    iteration fetches 100 rows at a time and runs the converters row by row,
    which for a grouping by enterprise (50,000 groups) costs a third again
    over the database's own time (bench/bench_analytics.py)."""
    compiler = values.query.get_compiler(values.db)
    chunks = compiler.execute_sql(MULTI, chunk_size=_FETCH_CHUNK)
    rows: list[tuple[Any, ...]] = [row for chunk in chunks for row in chunk]  # the drivers' own tuples
    return _converted(rows, compiler, values.db, offset=0)


def _converted(rows: list[tuple[Any, ...]], compiler: Any, alias: str, *, offset: int) -> list[tuple[Any, ...]]:
    """``rows`` with the converters of ``compiler``'s columns applied, a column at a
    time; those columns start at ``offset`` in each row."""
    if not rows:
        return rows
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    if not converters:
        return rows
    db = connections[alias]
    columns = [list(column) for column in zip(*rows, strict=True)]
    for pos, (convs, expression) in converters.items():
        column = columns[offset + pos]
        for convert in convs:
            if not _already_converted(convert, expression, column):
                column[:] = [convert(value, expression, db) for value in column]
    return list(zip(*columns, strict=True))


def _already_converted(convert: Any, expression: Any, column: list[Any]) -> bool:
    """Whether ``convert`` is an expression's own ``int()``/``float()`` coercion (a
    ``COUNT``'s, say) and every value of ``column`` already has that type or is None:
    the driver gave what the coercion would, and 50,000 calls of it are skipped."""
    if getattr(expression, "convert_value", None) is not convert:
        return False
    internal = expression.output_field.get_internal_type()
    kind = float if internal == "FloatField" else int if internal.endswith("IntegerField") else None
    return kind is not None and set(map(type, column)) <= {kind, type(None)}


def values_named(values: QuerySet[Any], model: type[models.Model], key: str) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset whose first column is a primary key of
    ``model``, each led by that object's ``key`` field and ``name``:
    ``(key, name, *row)``, ordered by name (Python's order of strings), then primary
    key; rows whose object is gone come last, with ``None`` for both.

    SQL joins the names on (one statement): for a grouping by enterprise (50,000
    rows) that spares fetching every enterprise into a dict to look each row up. The
    rows are sorted here: ordering in SQL costs as much or more (a sort that spills
    to disk beside the grouping's), and would need a collation equal to Python's.
    """
    compiler = values.query.get_compiler(values.db)
    try:
        inner, params = compiler.as_sql()
    except EmptyResultSet:  # ``none()`` or ``pk__in=[]``: no statement to run
        return []
    db = connections[values.db]
    quote = db.ops.quote_name
    first = compiler.select[0][2]
    if not first:
        raise ValueError("values_named needs a values_list whose first column has a name")
    meta = model._meta
    pk = quote(meta.pk.column)
    sql = (
        f"SELECT o.{quote(meta.get_field(key).column)}, o.{quote(meta.get_field('name').column)}, g.* "  # noqa: S608 - quoted identifiers only
        f"FROM ({inner}) g LEFT JOIN {quote(meta.db_table)} o ON o.{pk} = g.{quote(first)}"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = _converted(cursor.fetchall(), compiler, values.db, offset=2)
    gone = [row for row in rows if row[1] is None]
    return sorted((row for row in rows if row[1] is not None), key=itemgetter(1, 2)) + gone


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection while building a large result.

    Building the 50,000 rows of a statistics question grouped by enterprise
    allocates a few hundred thousand objects; each allocation burst sets off
    the collector, and its full passes walk every object the process holds.
    That took 40 % of such a question (309 ms of which 140 ms collecting, at
    1M people). The rows hold no cycles; what garbage arrives meanwhile waits
    for the next collection. The switch is process-wide, so it only turns the
    collector back on if it found it on (another thread's pause may have begun
    first, and the last one to end turns it back on)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
