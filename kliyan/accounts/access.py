"""Who may do what. Every page and endpoint asks `can(user, permission)` or calls `require`.

The matrix is written for people in docs/permissions.md; keep the two in step.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kliyan.accounts.models import Role
from kliyan.core.errors import AccessDenied


class Perm(StrEnum):
    VIEW_CUSTOMERS = "customers.view"          # contacts, companies, timeline, tasks
    EDIT_CUSTOMERS = "customers.edit"          # create and change contacts and companies
    LOG_INTERACTIONS = "interactions.log"      # interactions, notes, tasks, consent
    ARCHIVE_CUSTOMERS = "customers.archive"    # archive and restore
    MERGE_CUSTOMERS = "customers.merge"        # see likely duplicates, merge contacts into one
    DELETE_CUSTOMERS = "customers.delete"      # delete for good (erasure requests)
    VIEW_AUDIT = "audit.view"                  # audit entries of a contact, and the log
    MANAGE_CUSTOM_FIELDS = "customfields.manage"
    MANAGE_SETTINGS = "settings.manage"        # organisation settings
    MANAGE_USERS = "users.manage"              # users and other people's tokens
    USE_API_TOKENS = "tokens.own"              # create one's own API tokens
    VIEW_COMMERCE = "commerce.view"            # products, orders, invoices, balances, credit, screen pop
    EDIT_COMMERCE = "commerce.edit"            # take orders and record payments by hand
    INGEST_COMMERCE = "commerce.ingest"        # send products, stock, orders, invoices, payments from other systems; credit terms; exchange rates
    MANAGE_WEBHOOKS = "webhooks.manage"        # outbound webhook endpoints, deliveries, replays
    MANAGE_BACKUPS = "backups.manage"          # make backups of the whole database and download them
    IMPORT_DATA = "data.import"                # import people and companies from files; undo an import
    EXPORT_DATA = "data.export"                # export people and companies to CSV, Excel and vCard
    VIEW_KNOWLEDGE = "knowledge.view"          # knowledge base for staff: drafts, internal articles, history
    EDIT_KNOWLEDGE = "knowledge.edit"          # write articles and change draft translations
    PUBLISH_KNOWLEDGE = "knowledge.publish"    # publish, unpublish, change published text, delete articles
    VIEW_TICKETS = "tickets.view"              # the service desk: queue, tickets, their conversation and history
    WORK_TICKETS = "tickets.work"              # create tickets, reply, add notes, change status, assign
    MANAGE_SERVICE = "service.manage"          # ticket categories, teams, SLA policies, problems; every team's reports
    VIEW_SERVICE_REPORTS = "service.reports"   # service desk reports of one's own teams (service.manage: every team)
    VIEW_FEEDBACK = "feedback.view"            # survey results (an agent: their own tickets'; manager and up: everyone's)
    MANAGE_FEEDBACK = "feedback.manage"        # everyone's survey results; NPS campaigns
    SEND_MESSAGES = "messages.send"            # write to a contact (e-mail, SMS, WhatsApp, Messenger) and see the messages sent
    MANAGE_MARKETING = "marketing.manage"      # message templates, segments, campaigns, automations, the outbox of everyone


_VIEWER = {Perm.VIEW_CUSTOMERS, Perm.VIEW_COMMERCE, Perm.VIEW_TICKETS, Perm.VIEW_KNOWLEDGE}
_AGENT = _VIEWER | {Perm.EDIT_CUSTOMERS, Perm.LOG_INTERACTIONS, Perm.USE_API_TOKENS, Perm.EDIT_COMMERCE, Perm.WORK_TICKETS, Perm.EDIT_KNOWLEDGE, Perm.VIEW_FEEDBACK, Perm.VIEW_SERVICE_REPORTS, Perm.SEND_MESSAGES}
_MANAGER = _AGENT | {Perm.ARCHIVE_CUSTOMERS, Perm.MERGE_CUSTOMERS, Perm.VIEW_AUDIT, Perm.MANAGE_CUSTOM_FIELDS, Perm.INGEST_COMMERCE, Perm.IMPORT_DATA, Perm.EXPORT_DATA, Perm.MANAGE_SERVICE, Perm.PUBLISH_KNOWLEDGE, Perm.MANAGE_FEEDBACK, Perm.MANAGE_MARKETING}
_ADMIN = set(Perm)

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.AGENT: frozenset(_AGENT),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(_ADMIN),
}


def permissions_of(user: Any) -> frozenset[Perm]:
    """Return what `user` may do; nothing for anonymous or inactive users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ROLE_PERMISSIONS[Role.ADMIN]
    return ROLE_PERMISSIONS.get(user.role, frozenset())


def can(user: Any, perm: Perm) -> bool:
    return perm in permissions_of(user)


def require(user: Any, perm: Perm) -> None:
    """Raise AccessDenied unless `user` has `perm`."""
    if not can(user, perm):
        raise AccessDenied()
