"""Composition: builds the application object from settings, the only place that knows every part."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.settings import Settings
from crm.app import App, Ports
from crm.clock import SystemClock
from crm.ports import Clock
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.database import Database
from storage.files import FileSpool

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a running process holds: the app and the resources to close at the end."""

    settings: Settings
    database: Database
    app: App

    async def close(self) -> None:
        await self.database.close()


async def build(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Runtime:
    """Applies migrations (unless told not to) and wires the application."""
    database = Database(settings.database)
    if migrate:
        await database.migrate()
    extractor = Extractor()
    extractor.warm_up()
    ports = Ports(
        uow=database.uow,
        clock=clock or SystemClock(),
        extractor=extractor,
        normalizer=Normalizer(),
        spool=FileSpool(settings.spool_dir),
    )
    app = App(ports, default_timezone=settings.default_timezone)
    logger.info("chatcrm ready on %s", database.backend)
    return Runtime(settings=settings, database=database, app=app)
