"""Composition: builds the application object from settings, the only place that knows every part."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from bot.card_adapter import card_reader
from bot.charts import FunnelChart
from bot.documents import DocumentText
from bot.settings import Settings
from bot.sheets.reader import SpreadsheetFiles
from bot.sheets.writer import XlsxWriter
from bot.speech_adapter import WhisperSpeech, checkpoint_exists
from chat.app import App, Ports
from chat.delivery import ChannelNotifier
from crm.clock import SystemClock
from crm.ports import Clock
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from nlu.places import PlaceIndex
from reminders.digest import DigestConfig, DigestJob
from reminders.leads import LeadJob, LeadJobConfig
from reminders.nudges import NudgeJob
from reminders.scheduler import ReminderScheduler, SchedulerConfig
from reminders.workdays import ChineseWorkdays
from storage.database import Database
from storage.files import FileSpool, LocalBlobStore

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a running process holds: the app and the resources to close at the end."""

    settings: Settings
    database: Database
    app: App
    notifier: ChannelNotifier
    clock: Clock
    speech: WhisperSpeech | None = None

    async def close(self) -> None:
        await self.app.voice.aclose()
        await self.database.close()


async def build(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Runtime:
    """Applies migrations (unless told not to) and wires the application."""
    database = Database(settings.database)
    if migrate:
        await database.migrate()
    extractor = Extractor()
    extractor.warm_up()
    places = PlaceIndex()
    places.warm_up()
    notifier = ChannelNotifier()
    clock = clock or SystemClock()
    # Voice notes: ffprobe checks always; transcription when the Whisper checkpoint is there (the
    # model itself loads lazily, see speech_warm_up). Without it notes are kept for a later retry.
    audio = WhisperSpeech.from_settings(settings)
    speech = audio if checkpoint_exists(settings.whisper_model) else None
    if speech is None:
        logger.warning(
            "no Whisper checkpoint at %s: voice notes are kept but not transcribed", settings.whisper_model
        )
    ports = Ports(
        uow=database.uow,
        clock=clock,
        extractor=extractor,
        normalizer=Normalizer(),
        spool=FileSpool(settings.spool_dir),
        blobs=LocalBlobStore(settings.files_dir),
        notifier=notifier,
        speech=speech,
        audio=audio,
        # None (cards off, said so) when the engine cannot run here
        cards=card_reader(settings.max_file_mb, engine=settings.ocr_engine, workers=settings.ocr_workers),
        documents=DocumentText(),
        charts=FunnelChart(),
        calendar=ChineseWorkdays(),
        sheets=SpreadsheetFiles(),
        workbooks=XlsxWriter,
        places=places,
    )
    app = App(
        ports,
        default_timezone=settings.default_timezone,
        max_file_mb=settings.max_file_mb,
        ocr_workers=settings.ocr_workers,
    )
    app.inbox.max_waiting = settings.inbox_max_waiting
    # Whatever the assistant sends on its own goes only to members who still have access.
    notifier.reachable = app.members.is_active
    logger.info("chatcrm ready on %s", database.backend)
    return Runtime(
        settings=settings, database=database, app=app, notifier=notifier, clock=clock, speech=speech
    )


def background_services(runtime: Runtime) -> list[Coroutine[Any, Any, None]]:
    """Long-running jobs started beside the channels (reminders, digests, data-health nudges)."""
    app = runtime.app
    digests = DigestJob(
        app.digests,
        app.members,
        runtime.notifier,
        app.features.charts,
        runtime.clock,
        config=DigestConfig(lease_seconds=runtime.settings.digest_lease_seconds),
    )
    nudges = NudgeJob(
        app.data_health,
        app.members,
        runtime.notifier,
        runtime.clock,
        ready=lambda: bool(runtime.notifier.channels()),
    )
    jobs = [
        reminder_scheduler(runtime).run(),
        digests.run(),
        lead_job(runtime).run(),
        nudges.run(),
        app.inbox.keep_tidy(),  # expired nonces and old dedup keys of the channels' messages
    ]
    if runtime.speech is not None:
        if runtime.settings.whisper_preload:
            jobs.append(speech_warm_up(runtime.speech))
        # Notes a stopped process left half transcribed: done now, the minutes sent to their authors.
        jobs.append(resume_voice_notes(runtime))
    return jobs


async def resume_voice_notes(runtime: Runtime) -> None:
    try:
        await runtime.app.resume_voice_notes(
            runtime.notifier, ready=lambda: bool(runtime.notifier.channels())
        )
    except Exception:
        logger.exception("could not resume unfinished voice notes")


async def speech_warm_up(speech: WhisperSpeech) -> None:
    """Loads the Whisper model in a thread while the channels already answer text."""
    try:
        await asyncio.to_thread(speech.load)
    except Exception:
        # The first voice note will try again and keep the recording if it fails too.
        logger.exception("could not load the Whisper model")


def lead_job(runtime: Runtime) -> LeadJob:
    """Lead cards, unclaimed alerts and the daily reclaim; woken by every committed routed lead."""
    app = runtime.app
    job = LeadJob(
        app.pool,
        app.reclaim,
        app.members,
        runtime.notifier,
        runtime.clock,
        LeadJobConfig(poll_seconds=runtime.settings.lead_poll_seconds),
        ready=lambda: bool(runtime.notifier.channels()),
        funnels=app.deals.funnel,
    )
    app.ports.uow.subscribe(job.committed)
    return job


def reminder_scheduler(runtime: Runtime) -> ReminderScheduler:
    """Delivers due reminders through whichever channels this process runs (the notifier routes)."""
    settings = runtime.settings
    config = SchedulerConfig(
        poll_seconds=settings.reminder_poll_seconds,
        lease_seconds=settings.reminder_lease_seconds,
        retry_seconds=settings.reminder_retry_seconds,
        max_attempts=settings.reminder_max_attempts,
    )
    # Channels register their senders as they start (WeChat after its HTTP server is up): a reminder
    # claimed before any has would only fail and wait for its retry.
    return ReminderScheduler(
        runtime.app.reminders,
        runtime.notifier,
        runtime.clock,
        config,
        ready=lambda: bool(runtime.notifier.channels()),
    )
