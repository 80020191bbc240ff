"""The schema, as SQLAlchemy Core tables. Alembic migrations under storage/migrations create it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
)

from storage.types import UTCDateTime

# Named constraints make migrations reproducible on both dialects (SQLite batch mode needs names).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON()


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = True, index: bool = True) -> Column[int]:
    return Column(name, Id, ForeignKey(target), nullable=nullable, index=index)


teams = Table(
    "teams",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("settings", Json, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
)

members = Table(
    "members",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("quiet_start", Time, nullable=True),
    Column("quiet_end", Time, nullable=True),
    Column("weekend_to_monday", Boolean, nullable=False, default=False),
    Column("awaiting", Json, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    # True while the language is a guess (no language code came with the member): the first message
    # clearly in one language settles it (crm.members.MemberService.observe_language).
    Column("lang_auto", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deactivated_at", UTCDateTime, nullable=True),
)

identities = Table(
    "identities",
    metadata,
    _id(),
    Column("channel", String(16), nullable=False),
    Column("external_id", String(128), nullable=False),
    _fk("member_id", "members.id", nullable=False),
    Column("chat_id", String(128), nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_identities_channel_external_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("code", String(64), primary_key=True),
    _fk("team_id", "teams.id", nullable=False),
    Column("role", String(16), nullable=False),
    _fk("created_by", "members.id", nullable=False, index=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    _fk("used_by", "members.id", index=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    _fk("revoked_by", "members.id", index=False),
)

# The admin claim code (crm.model.AdminClaim): at most one row, id 1, so that two processes starting on
# an empty database agree on one code (the second insert fails and reads the first's).
admin_claims = Table(
    "admin_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    _fk("used_by", "members.id", index=False),
)

customers = Table(
    "customers",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("owner_id", "members.id", nullable=False),
    Column("name", String(300), nullable=True),
    Column("name_key", String(300), nullable=False, default=""),
    Column("address", String(500), nullable=True),
    Column("province", String(64), nullable=True),
    Column("city", String(64), nullable=True),
    Column("district", String(64), nullable=True),
    Column("website", String(300), nullable=True),
    Column("follow_up", String(16), nullable=True),
    Column("budget_cny", BigInteger, nullable=True),
    Column("budget_min_cny", BigInteger, nullable=True),
    Column("timeline", String(200), nullable=True),
    Column("timeline_by", Date, nullable=True),
    Column("next_meeting", UTCDateTime, nullable=True),
    Column("needs", Json, nullable=False, default=list),
    Column("keywords", Json, nullable=False, default=list),
    Column("confirmed", Boolean, nullable=False, default=False),
    _fk("merged_into", "customers.id", index=False),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_customers_team_name_key", "team_id", "name_key"),
    Index("ix_customers_team_updated", "team_id", "updated_at"),
)

contacts = Table(
    "contacts",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False),
    _fk("owner_id", "members.id", nullable=False),
    _fk("customer_id", "customers.id"),
    Column("name", String(200), nullable=True),
    Column("title", String(200), nullable=True),
    Column("phones", Json, nullable=False, default=list),
    Column("emails", Json, nullable=False, default=list),
    Column("wechat_id", String(64), nullable=True),
    Column("qq", String(32), nullable=True),
    Column("website", String(300), nullable=True),
    Column("address", String(500), nullable=True),
    Column("province", String(64), nullable=True),
    Column("city", String(64), nullable=True),
    Column("district", String(64), nullable=True),
    Column("decision_role", String(32), nullable=True),
    _fk("merged_into", "contacts.id", index=False),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Lookup keys for dedup: exact identifiers (phone, e-mail, WeChat id) and blocking keys (name,
# company, company prefix), one row each, so that a candidate lookup is an index probe at any size.
contact_keys = Table(
    "contact_keys",
    metadata,
    _id(),
    Column("team_id", Id, nullable=False),
    _fk("contact_id", "contacts.id", nullable=False),
    Column("key", String(400), nullable=False),
    Index("ix_contact_keys_team_key", "team_id", "key"),
)

deals = Table(
    "deals",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False),
    _fk("customer_id", "customers.id", nullable=False),
    _fk("owner_id", "members.id", nullable=False),
    Column("title", String(300), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount_cny", BigInteger, nullable=True),
    Column("stage_entered_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("lost_reason", Text, nullable=True),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

files = Table(
    "files",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime", String(128), nullable=False),
    Column("path", String(500), nullable=False),
    Column("original_name", String(300), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("team_id", "sha256", name="uq_files_team_sha256"),
)

interactions = Table(
    "interactions",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("author_id", "members.id", nullable=False),
    _fk("customer_id", "customers.id"),
    _fk("contact_id", "contacts.id"),
    _fk("deal_id", "deals.id"),
    _fk("file_id", "files.id", index=False),
    Column("source", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("facts", Json, nullable=False, default=dict),
    Column("external_key", String(200), nullable=True, unique=True),
    Column("undone_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Voice notes: where the note stands (crm.model.VoiceStatus); NULL for other interactions.
    Column("voice_status", String(16), nullable=True),
)

commitments = Table(
    "commitments",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("owner_id", "members.id", nullable=False),
    _fk("customer_id", "customers.id"),
    _fk("deal_id", "deals.id"),
    _fk("interaction_id", "interactions.id"),
    Column("text", Text, nullable=False),
    Column("party", String(16), nullable=False),
    Column("due_at", UTCDateTime, nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("member_id", "members.id", nullable=False),
    _fk("customer_id", "customers.id", index=False),
    _fk("interaction_id", "interactions.id"),
    _fk("commitment_id", "commitments.id", index=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_reminders_status_due", "status", "due_at"),
)

audit = Table(
    "audit",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("actor_id", "members.id"),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False),
    Column("target_id", Id, nullable=True),
    Column("detail", Json, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_audit_target", "target_type", "target_id"),
    # `chatcrm audit --since`: a team's operations from a moment on.
    Index("ix_audit_team_created", "team_id", "created_at"),
)

# The field journal (crm.journal): one row per field an operation changed, or per record it created
# (`field` NULL), tied to the operation's audit entry. Undo reads one operation's rows; a record's history
# reads that record's rows, found by index rather than by scanning the audit log's JSON.
field_journal = Table(
    "field_journal",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("audit_id", "audit.id", nullable=False),
    Column("record_type", String(16), nullable=False),
    Column("record_id", Id, nullable=False),
    Column("field", String(32), nullable=True),
    Column("value_before", Json, nullable=True),
    Column("value_after", Json, nullable=True),
    Index("ix_field_journal_record", "record_type", "record_id"),
)

merges = Table(
    "merges",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    Column("kind", String(16), nullable=False),
    Column("survivor_id", Id, nullable=False),
    Column("merged_id", Id, nullable=False),
    _fk("actor_id", "members.id", nullable=False, index=False),
    Column("detail", Json, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Column("undone_at", UTCDateTime, nullable=True),
)

duplicate_flags = Table(
    "duplicate_flags",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False),
    Column("kind", String(16), nullable=False),
    _fk("contact_id", "contacts.id", nullable=False),
    _fk("candidate_id", "contacts.id", nullable=False, index=False),
    Column("score", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

processed_keys = Table(
    "processed_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# One-time codes that add a channel identity (WeChat, WeCom, Telegram) to an existing member.
link_codes = Table(
    "link_codes",
    metadata,
    Column("code", String(16), primary_key=True),
    _fk("member_id", "members.id", nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("used_channel", String(16), nullable=True),
)

# --- deals: evidence, stage history, digest deliveries -----------------------------------------

# A file, screenshot, forwarded chat or declaration offered as evidence for a deal's requirement.
# `deal_id` and `requirement` are empty while the member has not confirmed them yet (pending).
deal_evidence = Table(
    "deal_evidence",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("deal_id", "deals.id", index=False),
    _fk("author_id", "members.id", nullable=False, index=False),
    _fk("file_id", "files.id", index=False),
    _fk("interaction_id", "interactions.id", index=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requirement", String(64), nullable=True),
    Column("guess", String(64), nullable=True),
    Column("note", Text, nullable=True),
    Column("keywords", Json, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    _fk("confirmed_by", "members.id", index=False),
    Index("ix_deal_evidence_deal_status", "deal_id", "status"),
)

# Every stage or status change of a deal, with its author; an override keeps its reason and what was
# missing when the gate was passed.
deal_stage_changes = Table(
    "deal_stage_changes",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("deal_id", "deals.id", nullable=False),
    _fk("actor_id", "members.id", index=False),
    Column("from_stage", String(64), nullable=True),
    Column("to_stage", String(64), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("override_reason", Text, nullable=True),
    Column("lost_reason", Text, nullable=True),
    Column("missing", Json, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
)

# One row per member and local day, inserted when the digest is first claimed: the unique constraint
# makes one process its holder. A claim is a lease (`claimed_by` until `lease_until`, renewed while
# the digest is composed and sent); a claim whose lease ran out, or a failed send whose retry time
# (`lease_until` again) has come, is claimed again by any process, `attempts` counting the claims.
digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("member_id", "members.id", nullable=False, index=False),
    Column("local_date", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    UniqueConstraint("member_id", "local_date", name="uq_digest_deliveries_member_id_local_date"),
    Index("ix_digest_deliveries_team_date", "team_id", "local_date"),
)

# --- durable work: the inbox of channel messages and every other job of crm.jobs -----------------

# One row per unit of work to be done, written in the same transaction that acknowledges it (for the
# inbox: with the message's dedup key, before the channel is answered). A process claims a job with a
# lease (`lease_owner`, `lease_until`) that it renews while working, and settles it as done, to be
# retried at `not_before`, or failed. A lane's jobs (one sender's messages) run one at a time, in
# order; `key` is unique, so a job is written once whatever the number of deliveries and processes.
jobs = Table(
    "jobs",
    metadata,
    _id(),
    Column("queue", String(32), nullable=False),
    Column("lane", String(160), nullable=False),
    Column("key", String(200), nullable=False),
    Column("payload", Json, nullable=False, default=dict),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
    UniqueConstraint("key", name="uq_jobs_key"),
    Index("ix_jobs_queue_status_id", "queue", "status", "id"),
    Index("ix_jobs_queue_lane_status_id", "queue", "lane", "status", "id"),
)

# Keys remembered until they expire, shared by every process: the nonces of signed WeChat callbacks
# (a replayed request is recognised by any process within the timestamp window).
expiring_keys = Table(
    "expiring_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# The buttons last offered to a member on a text-only channel (WeChat, WeCom, the console), so that a
# number typed back picks one whichever process receives it.
chat_menus = Table(
    "chat_menus",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("member_id", Id, ForeignKey("members.id"), primary_key=True),
    Column("choices", Json, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
)

# One row per member and ISO week (its Monday), claimed with a lease before the weekly data-health nudge
# is sent: the unique constraint lets one process take it; a lease that runs out lets another resume.
nudge_deliveries = Table(
    "nudge_deliveries",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("member_id", "members.id", nullable=False, index=False),
    Column("week", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("claimed_until", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("member_id", "week", name="uq_nudge_deliveries_member_id_week"),
    Index("ix_nudge_deliveries_team_week", "team_id", "week"),
)

# The digest reads the last interaction and the open deals of a team with these.
Index(
    "ix_interactions_deal_last", interactions.c.deal_id, interactions.c.undone_at, interactions.c.created_at
)
Index("ix_deals_team_status", deals.c.team_id, deals.c.status)

# Spreadsheet imports (crm.imports): one row per import, with its counts and what its undo needs beyond
# the field journal of its audit entry (the review flags and reminders it made).
import_runs = Table(
    "import_runs",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False),
    _fk("actor_id", "members.id", index=False),
    _fk("audit_id", "audit.id", index=False),
    Column("file_name", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("rows", Integer, nullable=False, default=0),
    Column("counts", Json, nullable=False, default=dict),
    Column("detail", Json, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("undone_at", UTCDateTime, nullable=True),
)

# --- leads: routing, the public pool (公海), claims, alerts and reclaim (crm.leads) ------------------

# One arrival of a customer nobody owned (a form, a forward, a stranger on WeChat, an import, a reclaim):
# its source, the routing decision and reason, and while it waits in the pool the job bookkeeping of
# its notices and alerts (`lease_until` is a job's claim, as in reminders).
leads = Table(
    "leads",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    _fk("customer_id", "customers.id", nullable=False),
    _fk("contact_id", "contacts.id", index=False),
    _fk("interaction_id", "interactions.id", index=False),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("origin", String(200), nullable=True),
    _fk("assignee_id", "members.id", index=False),
    Column("assigned_by", String(16), nullable=True),
    Column("assigned_at", UTCDateTime, nullable=True),
    Column("pool", String(100), nullable=True),
    Column("territory", String(100), nullable=True),
    Column("region", String(40), nullable=True),
    Column("province", String(64), nullable=True),
    Column("city", String(64), nullable=True),
    Column("district", String(64), nullable=True),
    Column("code", String(12), nullable=True),
    Column("candidates", Json, nullable=False, default=list),
    Column("country", String(64), nullable=True),
    Column("reason", Json, nullable=False, default=dict),
    Column("pooled_at", UTCDateTime, nullable=True),
    Column("alert_stage", Integer, nullable=False, default=0),
    Column("alert_due_at", UTCDateTime, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("notify", Boolean, nullable=False, default=False),
    _fk("former_owner_id", "members.id", index=False),
    Column("lost_at", UTCDateTime, nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("external_ref", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("team_id", "idempotency_key", name="uq_leads_team_idempotency_key"),
    Index("ix_leads_team_status_pooled", "team_id", "status", "pooled_at"),
    Index("ix_leads_status_alert_due", "status", "alert_due_at"),
    Index("ix_leads_notify", "notify"),
    Index("ix_leads_assignee_assigned", "assignee_id", "assigned_at"),
    Index("ix_leads_team_external_ref", "team_id", "external_ref"),
    Index("ix_leads_team_created", "team_id", "created_at"),
)

# The inactive member who owns the records of a team's pool leads (one per team).
pool_owners = Table(
    "pool_owners",
    metadata,
    Column("team_id", Id, ForeignKey("teams.id"), primary_key=True, autoincrement=False),
    _fk("member_id", "members.id", nullable=False, index=False),
)

# When a member takes no leads: weekly days off (0 = Monday) and away periods ([start, end] dates).
member_availability = Table(
    "member_availability",
    metadata,
    Column("member_id", Id, ForeignKey("members.id"), primary_key=True, autoincrement=False),
    _fk("team_id", "teams.id", nullable=False, index=False),
    Column("weekly_off", Json, nullable=False, default=list),
    Column("away", Json, nullable=False, default=list),
)

# A team's daily runs (reclaim): the unique constraint lets one process run each per day.
lead_runs = Table(
    "lead_runs",
    metadata,
    _id(),
    _fk("team_id", "teams.id", nullable=False, index=False),
    Column("day", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    UniqueConstraint("team_id", "day", "kind", name="uq_lead_runs_team_day_kind"),
)

# Reclaim bookkeeping of a deal under its current owner: the one "+7 days" and the deadline warned of.
deal_reclaim = Table(
    "deal_reclaim",
    metadata,
    Column("deal_id", Id, ForeignKey("deals.id"), primary_key=True, autoincrement=False),
    _fk("owner_id", "members.id", nullable=False, index=False),
    Column("extended_at", UTCDateTime, nullable=True),
    Column("warned_for", UTCDateTime, nullable=True),
)
# Data health asks, deal by deal, whether its customer has an open reminder (a next step).
Index("ix_reminders_customer_status", reminders.c.customer_id, reminders.c.status)
