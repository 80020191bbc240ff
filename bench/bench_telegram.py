"""Telegram webhook acknowledgement with the durable inbox, against aiogram's in-memory webhook handler.

The real wiring (SQLite file) and the real webhook route of `chatcrm run` (bot/telegram_inbox.py: the
secret checked, the update parsed and written to the inbox table before 200, concurrent calls sharing
one transaction), the inbox's runner handling every update through the dispatcher (a forwarded chat
captured as a lead, its card sent to a fake Bot API on 127.0.0.1). A separate load process posts
bursts of 200 concurrent updates from 200 chats. Printed per mode: acknowledgement latency p50 / p99
(medians over bursts), acknowledgements per second, and updates handled per second (acknowledged,
captured and answered). The reference, in the same run, is aiogram's `SimpleRequestHandler` with
`handle_in_background=True`, as the project used before the inbox: it answers before anything is
written (an update is lost if the process dies), so it is the floor the durable write is compared to.
Target: acknowledgement p99 < 100 ms (Telegram waits about a minute; WeChat's 5 s is the tighter rule
the same inbox meets).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.bursts import Post, drive, load

ROOT = Path(__file__).resolve().parents[1]
CONCURRENT = 200
BURSTS = 5
SECRET = "bench-secret"
REP_CHATS = 100  # bench_capture's reps have the chat ids 100, 101, ...


def _update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    sender = {"id": chat_id, "is_bot": False, "first_name": f"rep{chat_id}", "language_code": "zh-hans"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private"},
            "from": sender,
            "text": text,
        },
    }


# --- the load process: posts a burst per line it reads ---------------------------------------------


async def _load(url: str, bursts: int, first_id: int) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    def post(update: dict[str, Any]) -> Post:
        async def send(session: aiohttp.ClientSession) -> int:
            async with session.post(url, json=update, headers=headers) as r:
                await r.read()
                return r.status

        return send

    await load(
        [
            [
                post(
                    _update(
                        first_id + b * CONCURRENT + i, REP_CHATS + i, f"客户{i} 1391234{i:04d} 想了解报价"
                    )
                )
                for i in range(CONCURRENT)
            ]
            for b in range(bursts)
        ]
    )


# --- the server side ------------------------------------------------------------------------------


async def _run(durable: bool) -> dict[str, Any]:
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    from bench.bench_capture import _reps
    from bot.settings import Settings
    from bot.telegram import make_bot, make_dispatcher
    from bot.telegram_inbox import TelegramInbox
    from bot.wiring import build
    from crm.jobs import JobConfig
    from tests.support.fake_telegram import TOKEN, FakeTelegram

    def quiet_network_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # aiogram's "typing…" senders (ChatActionSender) die unobserved when the fake API, loaded
        # with 200 calls at once, resets a connection: not what is measured here.
        if not isinstance(context.get("exception"), TelegramNetworkError):
            loop.default_exception_handler(context)

    asyncio.get_running_loop().set_exception_handler(quiet_network_errors)
    work = Path(tempfile.mkdtemp(prefix="bench-telegram-"))
    settings = Settings(  # type: ignore[call-arg]
        CHATCRM_DATA_DIR=work / "data", CHATCRM_WHISPER_PRELOAD=False, CHATCRM_LOG_LEVEL="WARNING"
    )
    runtime = await build(settings)
    fake = FakeTelegram()
    await fake.start()
    bot = make_bot(TOKEN, fake.base_url)
    dp, _ = make_dispatcher(runtime.app, burst_seconds=settings.burst_seconds)
    web_app = web.Application()
    inbox: TelegramInbox | None = None
    if durable:
        config = JobConfig(queue="telegram", slots=16, together=True)
        inbox = TelegramInbox(runtime.app, dp, bot, config, polling=False)
        web_app.router.add_post("/telegram", inbox.webhook(SECRET))
        inbox.start()
    else:
        SimpleRequestHandler(dp, bot, secret_token=SECRET).register(web_app, path="/telegram")
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/telegram"
    result: dict[str, Any] = {}

    def answered() -> int:
        return sum(1 for c in fake.calls if c.method == "sendMessage")

    try:
        # The 200 chats are members: an admin founded the team, the reps joined by invites.
        await _reps(runtime.app, CONCURRENT)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bench_telegram", "--load", url, str(BURSTS), "1000",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        result.update(await drive(process, BURSTS, CONCURRENT, answered))
    finally:
        await runner.cleanup()
        if inbox is not None:
            await inbox.close(60)
        await dp.emit_shutdown(bot=bot)
        await bot.session.close()
        await fake.stop()
        await runtime.close()
    return result


def main() -> None:
    print(
        f"{CONCURRENT} concurrent webhook POSTs per burst (200 chats), {BURSTS} bursts, {os.cpu_count()} CPUs"
    )
    reference = asyncio.run(_run(durable=False))
    durable = asyncio.run(_run(durable=True))
    for name, r in (("aiogram in memory (ref)", reference), ("durable inbox", durable)):
        print(
            f"{name:>24}: ack p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms"
            f" (worst burst {r['worst_p99_ms']:.1f})  acks/s {r['acks_per_s']:.0f}"
            f"  handled updates/s {r['handled_per_s']:.0f}"
        )
    print(
        f"p99 ratio durable/in-memory: {durable['p99_ms'] / reference['p99_ms']:.2f};"
        f" handled ratio: {durable['handled_per_s'] / reference['handled_per_s']:.2f}"
        "  (target: p99 < 100 ms)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        asyncio.run(_load(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        main()
