"""Writing demo rows in batches: PostgreSQL's COPY, or bulk_create elsewhere; the big tables'
secondary indexes are set aside while seeding and rebuilt once."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models

from forum.demo.plan import BATCH_SIZE
from forum.models import (
    Agreement,
    Comment,
    CommentRevision,
    Mention,
    Notification,
    ThreadFollow,
    ThreadReadState,
)

# Writing rows -----------------------------------------------------------------------------------


@dataclass
class Table:
    model: type[models.Model]
    fields: list
    columns: list[str]
    json_fields: set[str]
    defaults: dict


class Loader:
    """Buffers rows (dicts keyed by attribute name) and writes them in batches.

    PostgreSQL: one COPY per batch, text format, values adapted by psycopg. Elsewhere:
    `bulk_create`. Fields a row leaves out get their model default, so a column added to a model
    later does not break seeding. Only the models in `explicit_pk` take the primary key from the
    row; the others get theirs from the database.
    """

    def __init__(self, *, until: datetime, explicit_pk: Iterable[type[models.Model]], batch_size: int = BATCH_SIZE):
        self.postgres = connection.vendor == "postgresql"
        self.until = until
        self.explicit_pk = set(explicit_pk)
        self.batch_size = batch_size
        self.buffers: dict[type, list[dict]] = defaultdict(list)
        self.tables: dict[type, Table] = {}
        self.written: Counter = Counter()
        self.before_write: dict[type, Callable[[list[dict]], None]] = {}

    def _table(self, model) -> Table:
        table = self.tables.get(model)
        if table is None:
            fields = []
            for f in model._meta.concrete_fields:
                if f.primary_key and model not in self.explicit_pk:
                    continue
                if not self.postgres and f.get_internal_type() == "SearchVectorField":
                    continue
                fields.append(f)
            defaults = {}
            for f in fields:
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    defaults[f.attname] = self.until
                elif f.has_default():
                    defaults[f.attname] = f.get_default()
                elif f.null:
                    defaults[f.attname] = None
                else:
                    defaults[f.attname] = "" if isinstance(f, (models.CharField, models.TextField)) else None
            table = Table(
                model=model,
                fields=fields,
                columns=[f.column for f in fields],
                json_fields={f.attname for f in fields if isinstance(f, models.JSONField)},
                defaults=defaults,
            )
            self.tables[model] = table
        return table

    def add(self, model, row: dict) -> None:
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.batch_size:
            self.flush(model)

    def flush(self, model) -> None:
        rows = self.buffers.pop(model, None)
        if not rows:
            return
        if model in self.before_write:
            self.before_write[model](rows)
        table = self._table(model)
        if self.postgres:
            self._copy(table, rows)
        else:
            self._bulk_create(table, rows)
        self.written[model] += len(rows)

    def flush_all(self, order: Iterable[type] = ()) -> None:
        for model in [*order, *list(self.buffers)]:
            self.flush(model)

    def _copy(self, table: Table, rows: list[dict]) -> None:
        names = [f.attname for f in table.fields]
        defaults = table.defaults
        json_fields = table.json_fields
        quoted = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        sql = f"COPY {connection.ops.quote_name(table.model._meta.db_table)} ({quoted}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = []
                for name in names:
                    value = row.get(name, defaults[name])
                    if name in json_fields:
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)

    def _bulk_create(self, table: Table, rows: list[dict]) -> None:
        model = table.model
        names = [f.attname for f in table.fields]
        objects = [model(**{name: row.get(name, table.defaults[name]) for name in names}) for row in rows]
        model.objects.bulk_create(objects, batch_size=500)


# Secondary indexes on PostgreSQL ----------------------------------------------------------------

BIG_TABLES = [
    Comment,
    CommentRevision,
    Agreement,
    Mention,
    Notification,
    ThreadFollow,
    ThreadReadState,
]


def secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes on `tables` that back no constraint (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s)
              AND t.relnamespace = 'public'::regnamespace
              AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY t.relname, i.relname
            """,
            [tables],
        )
        return list(cursor.fetchall())


class IndexesSetAside:
    """Drop the secondary indexes of the big tables now and rebuild them at the end (PostgreSQL).

    Used inside the seeding transaction: if anything fails the drops are rolled back with it.
    """

    def __init__(self, models_: list[type[models.Model]]):
        self.tables = [m._meta.db_table for m in models_]
        self.indexes: list[tuple[str, str]] = []

    def drop(self) -> None:
        if connection.vendor != "postgresql":
            return
        self.indexes = secondary_indexes(self.tables)
        with connection.cursor() as cursor:
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def rebuild(self) -> None:
        if not self.indexes:
            return
        with connection.cursor() as cursor:
            # Foreign keys are checked at commit by default; an index cannot be built while those
            # checks wait, so run them now (every referenced row has been written by this point).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in self.indexes:
                cursor.execute(definition)


# Templates ----------------------------------------------------------------------------------------
