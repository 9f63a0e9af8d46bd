"""Which tables a backup holds, in which order they load, and at which migration state.

A backup records the migrations applied to its database; the tables are read and loaded
through the *historical* models of that state (what the migrations describe), not the
models of the code, so a backup made by an older Kliyan loads into a database migrated to
the same older state and is then migrated forward like any database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps.registry import Apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from kliyan.backup.errors import BackupRefused

# Not in a backup: logins (a session means nothing on another server or with another secret
# key), the task queue (tasks are short and idempotent; the schedule and the outboxes, which
# are rows, drive them again) and the backups themselves (files on this machine).
SKIPPED_MODELS = frozenset({"sessions.session", "django_tasks_database.dbtaskresult", "backup.backup"})
# Rows `migrate` creates by itself: the restore replaces them with the backup's, ids and all,
# so every reference to a content type or a permission stays right.
CREATED_BY_MIGRATE = ("auth.permission", "contenttypes.contenttype")
# Tables that may hold rows in a database nothing has been restored into yet.
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


@dataclass(frozen=True)
class DeferredKey:
    """A foreign key loaded after its table: it may point to a row that is not loaded yet."""

    column: str
    # Self-references in primary-key order point backwards except now and then (a category
    # moved under a newer one); only values above the row's own key wait. Keys to a table
    # loaded later (a cycle) always wait.
    self_reference: bool
    nullable: bool


@dataclass
class TablePlan:
    model: type[models.Model]
    label: str
    table: str
    fields: list[models.Field]
    deferred: list[DeferredKey] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    @property
    def member(self) -> str:
        return f"tables/{self.table}.ndjson"

    @property
    def pk_column(self) -> str:
        return self.model._meta.pk.column


@dataclass
class SchemaState:
    """A migration state: the applied migrations per app and the models they describe."""

    loader: MigrationLoader
    targets: list[tuple[str, str | None]]
    migrations: dict[str, list[str]]
    at_latest: bool

    def apps(self) -> Apps:
        nodes = [t for t in self.targets if t[1] is not None]
        return self.loader.project_state(nodes, at_end=True).apps


def _leaves(nodes: set[tuple[str, str]], loader: MigrationLoader) -> list[tuple[str, str]]:
    """Return, per app, the last migration of `nodes` (the one none of the others follows)."""
    leaves = []
    for node in sorted(nodes):
        children = loader.graph.node_map[node].children
        if not any(child in nodes and child[0] == node[0] for child in children):
            leaves.append(node)
    return leaves


def _closure(targets: Iterable[tuple[str, str]], loader: MigrationLoader) -> set[tuple[str, str]]:
    nodes: set[tuple[str, str]] = set()
    for target in targets:
        nodes.update(loader.graph.forwards_plan(target))
    return nodes


def current_state(connection: BaseDatabaseWrapper) -> SchemaState:
    """Return the migration state of the database behind `connection` (what a backup records)."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = {key for key in MigrationRecorder(connection).applied_migrations() if key in loader.graph.nodes}
    migrations: dict[str, list[str]] = {}
    for app, name in sorted(applied):
        migrations.setdefault(app, []).append(name)
    targets = _leaves(applied, loader)
    return SchemaState(loader, list(targets), migrations, at_latest=applied == set(loader.graph.nodes))


def state_of_backup(connection: BaseDatabaseWrapper, migrations: dict[str, list[str]], made_by: str) -> SchemaState:
    """Return the state a backup's migrations describe; refuse one this code cannot reach."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    installed = set(loader.migrated_apps) | set(loader.unmigrated_apps)
    foreign = sorted(set(migrations) - installed)
    if foreign:
        raise BackupRefused(
            _("This backup holds data of parts of Kliyan this installation does not have: %(apps)s.")
            % {"apps": ", ".join(foreign)},
            code="unknown_apps",
        )
    replaced_by = {old: key for key, migration in loader.replacements.items() for old in migration.replaces}
    nodes: set[tuple[str, str]] = set()
    unknown = []
    for app, names in migrations.items():
        for name in names:
            key = (app, name)
            if key in loader.graph.nodes:
                nodes.add(key)
            elif key in replaced_by and replaced_by[key] in loader.graph.nodes:
                nodes.add(replaced_by[key])
            else:
                unknown.append(f"{app}.{name}")
    if unknown:
        shown = ", ".join(sorted(unknown)[:5]) + (" …" if len(unknown) > 5 else "")
        raise BackupRefused(
            _("This backup was made by a newer version of Kliyan (%(version)s): its database has changes this version "
              "does not know (%(migrations)s). Install that version or a newer one, then restore.")
            % {"version": made_by or "?", "migrations": shown},
            code="newer_schema",
        )
    leaves = _leaves(nodes, loader)
    targets: list[tuple[str, str | None]] = list(leaves)
    targets += [(app, None) for app in sorted(loader.migrated_apps) if app not in {a for a, _n in leaves}]
    at_latest = _closure(leaves, loader) == set(loader.graph.nodes)
    return SchemaState(loader, targets, {a: list(n) for a, n in migrations.items()}, at_latest=at_latest)


def migrate_to(connection: BaseDatabaseWrapper, state: SchemaState) -> None:
    """Bring the (empty) database to exactly the backup's migration state."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(state.targets)
    if plan:
        executor.migrate(state.targets, plan=plan)


def _backed_up(model: type[models.Model]) -> bool:
    meta = model._meta
    return meta.managed and not meta.proxy and not meta.swapped and meta.label_lower not in SKIPPED_MODELS


def _keys(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is not None]


def table_plans(apps: Apps) -> list[TablePlan]:
    """Return every table to back up, each after the tables its foreign keys point to.

    A depth-first walk puts parents first; a key that closes a cycle (or points to its own
    table) becomes a deferred key, set once the rows it points to are loaded.
    """
    models_ = [m for m in apps.get_models(include_auto_created=True) if _backed_up(m)]
    by_label = {m._meta.label_lower: m for m in models_}
    order: list[TablePlan] = []
    state: dict[str, str] = {}

    def visit(model: type[models.Model]) -> None:
        label = model._meta.label_lower
        state[label] = "visiting"
        deferred = []
        for key in _keys(model):
            parent = key.related_model._meta.label_lower
            if parent == label or state.get(parent) == "visiting":
                deferred.append(DeferredKey(column=key.column, self_reference=parent == label, nullable=key.null))
            elif parent in by_label and parent not in state:
                visit(by_label[parent])
        state[label] = "done"
        order.append(TablePlan(model=model, label=label, table=model._meta.db_table,
                               fields=list(model._meta.concrete_fields), deferred=deferred))

    for model in models_:
        if model._meta.label_lower not in state:
            visit(model)
    return order
