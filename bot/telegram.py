"""The Telegram runtime: long polling (default) or a webhook, the command menu, a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram.utils.chat_action import ChatActionMiddleware
from aiohttp import web

from bot.telegram_inbox import TelegramInbox
from bot.wiring import Runtime
from chat.app import App
from crm.inputs import ChatMessage
from crm.jobs import JobConfig
from crm.model import Channel
from handlers.telegram import build_router
from handlers.telegram.burst import BurstCollector
from handlers.telegram.cards import AlbumItem
from handlers.telegram.middlewares import ActorMiddleware, InflightMiddleware
from handlers.telegram.notify import TelegramNotifier
from handlers.telegram.private import PrivateChatsOnly

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0
ALBUM_QUIET_SECONDS = 1.0

COMMANDS = {
    "zh": [
        ("help", "使用帮助"),
        ("find", "查找客户"),
        ("customer", "客户卡片"),
        ("history", "客户变更记录"),
        ("reminders", "待办提醒"),
        ("settings", "提醒设置（免打扰、时区）"),
        ("deals", "进行中的商机"),
        ("deal", "商机卡片"),
        ("advance", "推进商机阶段"),
        ("pipeline", "销售漏斗"),
        ("digest", "早报（现在看 / 设置时间）"),
        ("stages", "销售阶段配置"),
        ("pool", "公海线索（领取）"),
        ("lead", "分配线索给团队（经理）"),
        ("away", "休假设置（不接新线索）"),
        ("territories", "辖区与公海规则"),
        ("import", "表格导入客户（发文件时作说明；单发得模板）"),
        ("export", "导出为 Excel"),
        ("undo", "撤销上一条记录"),
        ("lang", "切换语言"),
        ("link", "关联微信 / 企业微信"),
        ("invite", "邀请成员（经理）"),
        ("invites", "未使用的邀请（经理）"),
        ("members", "团队成员：停用、角色（经理）"),
        ("review", "疑似重复审核（经理）"),
        ("health", "数据健康（经理看团队）"),
        ("terms", "语音识别的产品词表"),
        ("cancel", "取消当前操作"),
    ],
    "en": [
        ("help", "How to use chatcrm"),
        ("find", "Search your customers"),
        ("customer", "A customer's card"),
        ("history", "A customer's change history"),
        ("reminders", "Your pending reminders"),
        ("settings", "Quiet hours, weekends, timezone"),
        ("deals", "Open deals"),
        ("deal", "A deal's card"),
        ("advance", "Advance a deal"),
        ("pipeline", "The funnel with its chart"),
        ("digest", "Morning digest (now, or its time)"),
        ("stages", "Sales stages"),
        ("pool", "Leads in the pool (claim)"),
        ("lead", "Route a lead to the team (managers)"),
        ("away", "Time off (no new leads)"),
        ("territories", "Territories and pool rules"),
        ("import", "Import customers (caption of a file; alone: the template)"),
        ("export", "Export to Excel"),
        ("undo", "Undo your last capture"),
        ("lang", "Switch language"),
        ("link", "Link WeChat / WeCom"),
        ("invite", "Invite a member (managers)"),
        ("invites", "Open invites (managers)"),
        ("members", "Team: deactivate, roles (managers)"),
        ("review", "Possible duplicates (managers)"),
        ("health", "Data health (team for managers)"),
        ("terms", "Product words for voice notes"),
        ("cancel", "Cancel the current step"),
    ],
}


def make_bot(token: str, api_url: str | None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    return Bot(token=token, session=session, default=DefaultBotProperties(link_preview_is_disabled=True))


def make_dispatcher(app: App, *, burst_seconds: float, **extra: Any) -> tuple[Dispatcher, InflightMiddleware]:
    """The dispatcher with its workflow data (`app`, `bursts`), middlewares and routers."""
    bursts: BurstCollector[ChatMessage] = BurstCollector(quiet=burst_seconds)
    # An album's photos arrive within a second of each other; no need to wait as long as for a burst.
    albums: BurstCollector[AlbumItem] = BurstCollector(quiet=min(burst_seconds, ALBUM_QUIET_SECONDS))
    dp = Dispatcher(app=app, bursts=bursts, albums=albums, **extra)
    inflight = InflightMiddleware()
    private = PrivateChatsOnly()
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(inflight)
        # before the actor is resolved: nothing from a group reaches a member lookup or a handler
        observer.outer_middleware(private)
        observer.outer_middleware(ActorMiddleware())
    # Posts in a channel the bot was added to: explained once there, as in a group.
    dp.channel_post.outer_middleware(private)
    dp.message.middleware(ChatActionMiddleware())
    dp.include_router(build_router())

    async def on_shutdown() -> None:
        # Updates under way: end the open bursts at once and let their handlers store and answer
        # before the session closes (what is not finished is in the inbox, for the next process).
        bursts.flush_all()
        albums.flush_all()
        await inflight.drain(SHUTDOWN_GRACE_SECONDS)

    dp.shutdown.register(on_shutdown)
    return dp, inflight


async def register_commands(bot: Bot) -> None:
    for lang, commands in COMMANDS.items():
        await bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in commands],
            scope=BotCommandScopeDefault(),
            language_code=None if lang == "en" else lang,
        )


class TelegramRuntime:
    """Telegram as `chatcrm run` runs it (bot.channels.ChannelRuntime): the webhook mounted at
    /telegram on the shared HTTP server when TELEGRAM_WEBHOOK_URL is set, else long polling; either
    way every update goes through the durable inbox (bot/telegram_inbox.py)."""

    max_body = None  # the webhook's JSON updates: aiohttp's default limit

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        assert settings.telegram_bot_token is not None
        self.runtime = runtime
        self.bot = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
        self.dp, _ = make_dispatcher(runtime.app, burst_seconds=settings.burst_seconds)
        self.webhook_url = settings.telegram_webhook_url
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value() if secret else None
        self.inbox = TelegramInbox(
            runtime.app, self.dp, self.bot, inbox_config(runtime), polling=not self.webhook_url
        )
        self._polling: asyncio.Task[None] | None = None

    def mount(self, web_app: web.Application) -> None:
        if not self.webhook_url:
            return
        assert self._secret is not None  # settings refuse a webhook without its secret
        web_app.router.add_post("/telegram", self.inbox.webhook(self._secret))

    async def start(self) -> None:
        self.runtime.notifier.register(Channel.TELEGRAM, TelegramNotifier(self.bot))
        await register_commands(self.bot)
        self.inbox.start()
        if self.webhook_url:
            await self.bot.set_webhook(
                self.webhook_url, secret_token=self._secret, drop_pending_updates=False
            )
            logger.info("Telegram: webhook at /telegram")
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        # One update at a time into the inbox (milliseconds each): getUpdates confirms an offset only
        # after the updates before it were written, so none is lost to a crash.
        self._polling = asyncio.create_task(
            self.dp.start_polling(
                self.bot, handle_signals=False, close_bot_session=False, handle_as_tasks=False
            )
        )
        logger.info("Telegram: long polling")

    async def stop(self) -> None:
        """Ends long polling (its dispatcher shutdown ends the open bursts and lets running handlers
        finish). A webhook stops taking updates with the HTTP server."""
        polling = self._polling
        if polling is None:
            return
        if not polling.done():
            await self.dp.stop_polling()
        await polling

    async def close(self) -> None:
        if self._polling is None:
            await self.dp.emit_shutdown(bot=self.bot)
        await self.inbox.close(SHUTDOWN_GRACE_SECONDS)
        await self.bot.session.close()


def inbox_config(runtime: Runtime) -> JobConfig:
    settings = runtime.settings
    return JobConfig(
        queue=Channel.TELEGRAM.value,
        slots=settings.telegram_workers,
        lease_seconds=settings.inbox_lease_seconds,
        poll_seconds=settings.inbox_poll_seconds,
        max_attempts=settings.inbox_max_attempts,
        retry_seconds=settings.inbox_retry_seconds,
        together=True,
    )
