"""Every feature of the conversation, built from the ports and registered in one place.

Each feature is a controller (chat/<feature>/controller.py) with a view beside it; `build` makes the
crm services they use, then registers the features in the order below. Order matters in two places:

- file routes are asked in registration order until one takes the file: spreadsheets first (a file
  captioned /import, which is never evidence; where files have no captions, a spreadsheet after
  /import, else the question what it is for), then deals (documents are evidence, and so is a
  photo whose caption or reply names a deal), then cards (any other photo is a business card, and
  photos sent together are read together);
- typed text goes to a pending answer first, then to the recognizers in registration order (only deals
  has one: "推进到方案匹配", "王总是财务负责人", replies to a deal card), then is captured (leads).

A new feature is a new controller and view module registered here; nothing in the registry changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat.cards.controller import Cards
from chat.channels.controller import Channels
from chat.data_health.controller import DataHealth
from chat.deals.charts import FunnelCharts
from chat.deals.controller import Deals
from chat.history.controller import History
from chat.leads.controller import Leads
from chat.members.controller import Members
from chat.ports import Ports
from chat.registry import Registry
from chat.reminders.controller import Reminders
from chat.sheets.controller import Sheets
from chat.territories.controller import TerritoryFeature
from chat.voice.controller import VoiceNotes
from crm.capture import CaptureService
from crm.cards import CardService
from crm.checkin import CheckInService
from crm.customers import CustomerService
from crm.data_health_service import DataHealthService
from crm.deals import DealService
from crm.digest import DigestService
from crm.exports import ExportService
from crm.history import HistoryService
from crm.import_routing import TerritoryOwners
from crm.imports import ImportService
from crm.inbox import Inbox
from crm.intake import Intake
from crm.linking import LinkService
from crm.members import MemberService
from crm.menus import MenuService
from crm.model import DEFAULT_TIMEZONE
from crm.places import NoPlaces
from crm.pool import PoolService
from crm.reclaim import ReclaimService
from crm.reminders import ReminderService
from crm.roster import RosterService
from crm.routing import LeadRouter
from crm.voice import VoiceService


@dataclass(frozen=True, slots=True)
class Limits:
    default_timezone: str = DEFAULT_TIMEZONE  # of new members; each may change theirs
    max_file_mb: int = 20  # the largest file accepted from a member
    ocr_workers: int = 1  # card photos read at once


@dataclass(frozen=True, slots=True)
class Features:
    """The registry with every feature on it, the features the channels call directly, and the crm
    services behind them (for the composition root, the command line and tests)."""

    registry: Registry
    # the conversation
    onboarding: Members
    leads: Leads
    reminder_actions: Reminders
    channels: Channels
    voice_notes: VoiceNotes
    deal_actions: Deals
    card_actions: Cards
    sheet_actions: Sheets
    territories: TerritoryFeature
    history_actions: History
    health_actions: DataHealth
    charts: FunnelCharts
    # the domain
    members: MemberService
    roster: RosterService
    capture: CaptureService
    customers: CustomerService
    reminders: ReminderService
    links: LinkService
    checkins: CheckInService
    inbox: Inbox
    menus: MenuService
    voice: VoiceService
    deals: DealService
    digests: DigestService
    cards: CardService
    imports: ImportService
    exports: ExportService
    pool: PoolService
    reclaim: ReclaimService
    intake: Intake
    history: HistoryService
    data_health: DataHealthService


def build(ports: Ports, limits: Limits) -> Features:
    max_bytes = limits.max_file_mb * 1024 * 1024
    members = MemberService(ports.uow, ports.clock, limits.default_timezone)
    roster = RosterService(ports.uow, ports.clock)
    capture = CaptureService(ports.uow, ports.clock, ports.extractor, ports.normalizer, ports.spool)
    customers = CustomerService(ports.uow, ports.clock, ports.normalizer)
    reminders = ReminderService(ports.uow, ports.clock)
    # Pending reminders written by any unit of work wake the reminder scheduler after the commit.
    ports.uow.subscribe(reminders.committed)
    voice = VoiceService(
        ports.uow,
        ports.clock,
        ports.extractor,
        ports.normalizer,
        ports.spool,
        members,
        blobs=ports.blobs,
        speech=ports.speech,
        probe=ports.audio,
        max_bytes=max_bytes,
    )
    deals = DealService(
        ports.uow,
        ports.clock,
        ports.extractor,
        ports.normalizer,
        blobs=ports.blobs,
        documents=ports.documents,
        max_bytes=max_bytes,
    )
    router = LeadRouter(ports.normalizer, ports.places or NoPlaces())
    pool = PoolService(ports.uow, ports.clock, router, ports.extractor)
    reclaim = ReclaimService(ports.uow, ports.clock, router)
    intake = Intake(pool, ports.normalizer, ports.extractor, ports.clock)
    digests = DigestService(ports.uow, ports.clock, calendar=ports.calendar, pool=pool)
    # At most `ocr_workers` tesseract runs at once.
    cards = CardService(
        ports.uow,
        ports.clock,
        capture,
        customers,
        ports.extractor,
        ports.normalizer,
        reader=ports.cards,
        blobs=ports.blobs,
        max_bytes=max_bytes,
        ocr_workers=limits.ocr_workers,
    )
    links = LinkService(ports.uow, ports.clock)
    checkins = CheckInService(ports.uow, ports.clock)
    charts = FunnelCharts(ports.charts)
    imports = ImportService(
        ports.uow,
        ports.clock,
        ports.normalizer,
        ports.sheets,
        ports.owners or TerritoryOwners(router),
        blobs=ports.blobs,
    )
    exports = ExportService(ports.uow, ports.clock, ports.workbooks)

    registry = Registry(members)
    # Members: /help, /lang, /cancel and the cancel button (/start and /invite are the channels'), and
    # the operators' /members and /invites with their buttons.
    onboarding = Members(members, roster)
    onboarding.register(registry)
    # Leads: the lead card's buttons and its pending field answer, /find /customer /undo /review, and
    # what typed text nobody recognizes becomes (a capture).
    leads = Leads(capture, customers, members)
    leads.register(registry)
    # Reminders: /reminders, /settings, the buttons of a delivered reminder and the answer to "when?".
    reminder_actions = Reminders(reminders, members, ports.clock, ports.extractor)
    reminder_actions.register(registry)
    # Channels: one member on several channels (/link) and the check-in button.
    channels = Channels(links, checkins, members)
    channels.register(registry)
    # Voice notes: the minutes' buttons and pending answers, /terms.
    voice_notes = VoiceNotes(voice, members)
    voice_notes.register(registry)
    # Spreadsheets: /import (a file with that caption, or the template), /export, undo of an import; its
    # file route comes before the deals' (an .xlsx sent to be imported is not evidence). On a channel
    # without captions it asks what a spreadsheet is for and may hand it on to the routes after it.
    sheet_actions = Sheets(imports, exports, ports.workbooks, members, max_bytes=max_bytes)
    sheet_actions.register(registry)
    # Territories and the pool: /pool /lead /away /territories, claim, assign and reclaim buttons, the
    # territory file (a file route before deals', which takes other .toml files as stage files), the
    # forwarded chat after /lead, and "route to the team" on a manager's lead card.
    territories = TerritoryFeature(pool, reclaim, members, ports.clock, ports.extractor, intake)
    territories.register(registry)
    leads.take_bursts("lead", territories.forwarded)
    leads.annotate(territories.capture_offer)
    # Deals: /deals /deal /advance /pipeline /digest /stages, deal buttons, typed stage changes and
    # roles, files as evidence (the first file route), the answer to a photo nobody takes, and the
    # evidence offer on a captured chat's lead card.
    deal_actions = Deals(deals, digests, members, charts, ports.notifier)
    deal_actions.register(registry)
    leads.annotate(deal_actions.capture_offer)
    # Business cards: the last file route (photos nobody before took), their "fix" buttons, /card.
    card_actions = Cards(cards, members)
    card_actions.register(registry)
    # History: /history and its paging buttons (a customer's audit trail).
    history = HistoryService(ports.uow)
    history_actions = History(history)
    history_actions.register(registry)
    # Data health: /health (the weekly nudge is a job in reminders/ that renders with its view).
    data_health = DataHealthService(ports.uow, ports.clock, calendar=ports.calendar)
    health_actions = DataHealth(data_health)
    health_actions.register(registry)

    return Features(
        registry=registry,
        onboarding=onboarding,
        leads=leads,
        reminder_actions=reminder_actions,
        channels=channels,
        voice_notes=voice_notes,
        deal_actions=deal_actions,
        card_actions=card_actions,
        sheet_actions=sheet_actions,
        territories=territories,
        history_actions=history_actions,
        health_actions=health_actions,
        charts=charts,
        members=members,
        roster=roster,
        capture=capture,
        customers=customers,
        reminders=reminders,
        links=links,
        checkins=checkins,
        inbox=Inbox(ports.uow, ports.clock),
        menus=MenuService(ports.uow, ports.clock),
        voice=voice,
        deals=deals,
        digests=digests,
        cards=cards,
        imports=imports,
        exports=exports,
        pool=pool,
        reclaim=reclaim,
        intake=intake,
        history=history,
        data_health=data_health,
    )
