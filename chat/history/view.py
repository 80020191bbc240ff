"""How a customer's history reads in chat: one block per operation, newest first, with who, when, what
it came from and each changed field from what to what; buttons page through it and undo a merge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from chat import format as fmt
from chat.leads.view import customer_name
from chat.messages import has, t
from chat.views import Act, Button, Reply, rows
from crm.facts import Region
from crm.history import HistoryPage, Operation
from crm.journal import GROUPS
from crm.model import Customer, FieldChange, Lang, Member

MAX_CHANGES = 8  # lines per operation; the rest is counted
MAX_VALUE = 60  # characters of one value
MAX_MERGE_BUTTONS = 2
# A page fits one Telegram message (4096 characters), so that paging edits it in place; operations
# past this are left to the next page.
PAGE_CHARS = 3500


class HistoryAct(StrEnum):
    """The history's buttons (codes unique across the registry)."""

    OPEN = "ho"  # target: customer id: the newest page
    OLDER = "hb"  # target: customer id; arg: the entry id to list before
    NEWER = "hn"  # target: customer id; arg: the entry id to list after


def usage(lang: Lang) -> Reply:
    return Reply(t(lang, "history.usage"))


def choices(lang: Lang, customers: Sequence[Customer]) -> Reply:
    buttons = [Button(customer_name(lang, c), HistoryAct.OPEN, c.id) for c in customers]
    return Reply(t(lang, "history.choose"), rows(*buttons, width=1))


def page(member: Member, history: HistoryPage, *, replace: bool = False) -> Reply:
    lang = member.lang
    lines = [t(lang, "history.head", customer=customer_name(lang, history.customer))]
    if not history.operations:
        lines.append(t(lang, "history.none"))
    shown: list[Operation] = []
    older = history.older
    for operation in history.operations:
        block = ["", *_operation(member, history, operation)]
        if shown and sum(len(line) + 1 for line in lines + block) > PAGE_CHARS:
            older = shown[-1].entry.id  # the rest starts the next page
            break
        lines += block
        shown.append(operation)
    if shown and older is None and history.newer is not None:
        lines += ["", t(lang, "history.page.end")]
    customer = history.customer.id
    paging = [
        Button(t(lang, "history.button.newer"), HistoryAct.NEWER, customer, str(history.newer))
        if history.newer is not None
        else None,
        Button(t(lang, "history.button.older"), HistoryAct.OLDER, customer, str(older))
        if older is not None
        else None,
    ]
    undo = [
        Button(t(lang, "history.button.undo_merge", merge=op.merge.id), Act.UNDO_MERGE, op.merge.id)
        for op in shown
        if op.merge is not None
        and op.merge.undone_at is None
        and (op.merge.actor_id == member.id or member.role.sees_team)
    ][:MAX_MERGE_BUTTONS]
    return Reply("\n".join(lines), (*rows(*paging), *rows(*undo, width=1)), replace=replace)


def _operation(member: Member, history: HistoryPage, operation: Operation) -> list[str]:
    lang = member.lang
    entry = operation.entry
    if operation.actor is not None:
        who = operation.actor.name
    elif entry.actor_id is not None:
        who = history.members.get(entry.actor_id) or t(lang, "history.someone", id=entry.actor_id)
    else:
        who = t(lang, "history.system")
    head = t(
        lang,
        "history.line.head",
        when=fmt.when(lang, entry.created_at, member.tz),
        who=who,
        what=_what(lang, operation),
    )
    lines = [head]
    reason = entry.detail.get("reason")
    if entry.action == "deal.override" and isinstance(reason, str) and reason:
        lines.append("  " + t(lang, "history.reason", reason=_cut(reason)))
    merge = operation.merge
    if merge is not None:
        kind = merge.kind
        lines.append(
            "  "
            + t(
                lang,
                "history.merge.of",
                merged=history.labels.get((kind, merge.merged_id)) or "?",
                merged_id=merge.merged_id,
                survivor=history.labels.get((kind, merge.survivor_id)) or "?",
                survivor_id=merge.survivor_id,
            )
            + (t(lang, "history.merge.undone_since") if merge.undone_at is not None else "")
        )
    shown = _change_lines(member, history, operation.changes)
    lines += ["  " + line for line in shown[:MAX_CHANGES]]
    if len(shown) > MAX_CHANGES:
        lines.append("  " + t(lang, "history.more", count=len(shown) - MAX_CHANGES))
    if operation.others:
        items = [
            t(lang, f"history.other.{kind}", count=count)
            for kind, count in sorted(operation.others.items())
            if has(f"history.other.{kind}")
        ]
        if items:
            lines.append("  " + t(lang, "history.others", items=_join(lang, items)))
    return lines


def _what(lang: Lang, operation: Operation) -> str:
    entry, origin = operation.entry, operation.origin
    action = (
        t(lang, f"history.action.{entry.action}") if has(f"history.action.{entry.action}") else entry.action
    )
    if origin is None:
        return action
    if origin.kind == "import":
        said = (
            t(lang, "history.origin.import_file", file=_cut(origin.file))
            if origin.file
            else t(lang, "history.origin.import")
        )
        return said + (f" · {t(lang, 'history.origin.row', row=origin.row)}" if origin.row else "")
    source = t(lang, f"source.{origin.source.value}") if origin.source else "?"
    if entry.action == "capture":
        excerpt = f"「{origin.excerpt}」" if lang is Lang.ZH and origin.excerpt else ""
        if lang is Lang.EN and origin.excerpt:
            excerpt = f" “{origin.excerpt}”"
        return t(lang, "history.origin.capture", source=source, excerpt=excerpt)
    return t(lang, "history.origin.on", action=action, source=source)


# --- the changes ---------------------------------------------------------------------------------------

# The field whose line shows a group (crm.journal.GROUPS) that changed together.
_GROUP_LEADS = {"budget_cny", "timeline", "stage", "status"}
_FIELD_KEYS = {
    ("customer", "name"): "field.customer",
    ("contact", "name"): "field.name",
    ("deal", "title"): "field.deal",
    "budget_cny": "field.budget",
    "amount_cny": "history.field.amount_cny",
    "timeline": "field.timeline",
    "next_meeting": "field.next_meeting",
    "needs": "field.needs",
    "keywords": "history.field.keywords",
    "follow_up": "field.follow_up",
    "stage": "field.stage",
    "status": "field.status",
    "title": "field.title",
    "phones": "field.phone",
    "emails": "field.email",
    "wechat_id": "field.wechat",
    "qq": "field.qq",
    "address": "field.address",
    "region": "field.region",
    "website": "field.website",
    "decision_role": "field.decision_role",
    "owner_id": "history.field.owner_id",
    "confirmed": "history.field.confirmed",
    "lost_reason": "history.field.lost_reason",
}


def _group_of(kind: str, name: str) -> frozenset[str] | None:
    return next((group for group in GROUPS.get(kind, ()) if name in group), None)


def _change_lines(member: Member, history: HistoryPage, changes: Sequence[FieldChange]) -> list[str]:
    lang = member.lang
    lines: list[str] = []
    # A group's fields, by record, so that a budget reads as one range and a stage as one name.
    grouped: dict[tuple[str, int, frozenset[str]], dict[str, FieldChange]] = {}
    for change in changes:
        if change.field is not None:
            group = _group_of(change.record_type, change.field)
            if group is not None:
                grouped.setdefault((change.record_type, change.record_id, group), {})[change.field] = change
    for change in changes:
        record = _record(lang, history, change.record_type, change.record_id)
        name = change.field
        if name is None:
            lines.append(t(lang, "history.created", record=record))
            continue
        group = _group_of(change.record_type, name)
        if group is not None:
            if name not in _GROUP_LEADS:
                continue
            members = grouped[(change.record_type, change.record_id, group)]
            before, after = (_group_value(member, history, members, side) for side in ("before", "after"))
            if before == after:
                continue
            lines.append(_line(lang, record, _field_label(lang, change.record_type, name), before, after))
            continue
        special = _special(lang, history, record, change)
        if special is not None:
            lines.append(special)
            continue
        before = _value(member, history, change.record_type, name, change.before)
        after = _value(member, history, change.record_type, name, change.after)
        if before != after:
            lines.append(_line(lang, record, _field_label(lang, change.record_type, name), before, after))
    return lines


def _line(lang: Lang, record: str, label: str, before: str, after: str) -> str:
    return t(lang, "history.change", record=record, field=label, before=before, after=after)


def _record(lang: Lang, history: HistoryPage, kind: str, record_id: int) -> str:
    if kind == "customer" and record_id == history.customer.id:
        return t(lang, "history.record.customer")
    name = history.labels.get((kind, record_id)) or f"#{record_id}"
    if kind == "customer":
        return f"{t(lang, 'history.record.customer')}「{name}」" if lang is Lang.ZH else f"customer “{name}”"
    if kind in ("contact", "deal"):
        return t(lang, f"history.record.{kind}", name=_cut(name))
    return f"{kind} #{record_id}"


def _field_label(lang: Lang, kind: str, name: str) -> str:
    key = _FIELD_KEYS.get((kind, name)) or _FIELD_KEYS.get(name)
    return t(lang, key) if isinstance(key, str) else name


def _special(lang: Lang, history: HistoryPage, record: str, change: FieldChange) -> str | None:
    """Archiving, merging and moving read as what happened rather than as values."""
    name, before, after = change.field, change.before, change.after
    if name == "archived_at":
        return t(lang, "history.archived" if after is not None else "history.restored", record=record)
    if name == "merged_into":
        if after is None:
            return t(lang, "history.unmerged", record=record)
        target = history.labels.get((change.record_type, int(after))) if isinstance(after, int) else None
        return t(lang, "history.merged_into", record=record, target=_cut(target or f"#{after}"))
    if name == "customer_id" and isinstance(after, int) and after != before:
        target = history.labels.get(("customer", after)) or f"#{after}"
        return t(lang, "history.moved", record=record, target=_cut(target))
    return None


def _group_value(member: Member, history: HistoryPage, fields: dict[str, FieldChange], side: str) -> str:
    lang = member.lang

    def of(name: str) -> Any:
        change = fields.get(name)
        return getattr(change, side) if change is not None else None

    if "budget_cny" in fields:
        high, low = of("budget_cny"), of("budget_min_cny")
        if not isinstance(high, int):
            return t(lang, "history.empty")
        return fmt.money_range(lang, low if isinstance(low, int) else None, high)
    if "timeline" in fields or "timeline_by" in fields:
        said, by = of("timeline"), of("timeline_by")
        if isinstance(said, str) and said:
            return _cut(said)
        return _day(lang, by) if isinstance(by, str) else t(lang, "history.empty")
    if "stage" in fields:
        stage = of("stage")
        return fmt.stage(lang, history.funnel, stage) if isinstance(stage, str) else t(lang, "history.empty")
    status, reason = of("status"), of("lost_reason")
    if not isinstance(status, str):
        return t(lang, "history.empty")
    if status == "lost" and isinstance(reason, str) and reason:
        return t(lang, "history.status.lost_reason", reason=_cut(reason))
    return t(lang, f"history.status.{status}") if has(f"history.status.{status}") else status


def _value(member: Member, history: HistoryPage, kind: str, name: str, value: Any) -> str:
    lang = member.lang
    if value is None or value in ("", []):
        return t(lang, "history.empty")
    if name == "phones" and isinstance(value, list):
        return _cut(_join(lang, [fmt.phone(str(p)) for p in value]))
    if isinstance(value, list):
        return _cut(_join(lang, [str(item) for item in value]))
    if name == "region" and isinstance(value, dict):
        region = Region(value.get("province"), value.get("city"), value.get("district"))
        return _cut(region.label()) or t(lang, "history.empty")
    if name == "follow_up" and has(f"follow_up.{value}"):
        return t(lang, f"follow_up.{value}")
    if name == "decision_role" and has(f"deal.role.{value}"):
        return t(lang, f"deal.role.{value}")
    if name == "owner_id" and isinstance(value, int):
        return history.members.get(value) or t(lang, "history.someone", id=value)
    if name == "amount_cny" and isinstance(value, int):
        return fmt.money(lang, value)
    if isinstance(value, bool):
        return t(lang, "history.yes" if value else "history.no")
    if name.endswith("_at") or name == "next_meeting":
        moment = _moment(value)
        if moment is not None:
            return fmt.when(lang, moment, member.tz)
    return _cut(str(value))


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _day(lang: Lang, value: str) -> str:
    try:
        return fmt.day(lang, date.fromisoformat(value))
    except ValueError:
        return _cut(value)


def _join(lang: Lang, items: Sequence[str]) -> str:
    return ("、" if lang is Lang.ZH else ", ").join(items)


def _cut(text: str | None) -> str:
    said = " ".join((text or "").split())
    return said if len(said) <= MAX_VALUE else said[: MAX_VALUE - 1] + "…"
