"""WeChat callback acknowledgement under load while a voice note transcribes, with the durable inbox.

The real callback server (aiohttp on 127.0.0.1, wechatpy-made safe-mode envelopes, AES and signature
checks) with the real wiring (SQLite file, Whisper base on the CPU) and a fake WeChat API. Each
"success" comes after the message was written to the inbox table (crm.inbox: dedup key, nonce and the
message in one transaction, concurrent callbacks sharing it); the inbox's runner handles it after. A rep
sends an espeak-ng AMR voice note of the bench sentences (about 90 s); while it is being transcribed, a
separate load process posts bursts of 200 concurrent text messages from 200 users. Printed:
acknowledgement latency p50 / p99 per burst (medians over bursts), acknowledgements per second,
messages handled per second (decrypted, claimed, captured or answered, reply sent to the fake API), the
same without a transcription for comparison.
Target: acknowledgement p99 < 100 ms while a voice note transcribes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.bursts import Post, drive, load

ROOT = Path(__file__).resolve().parents[1]
CONCURRENT = 200
BURSTS = 5
SENTENCES = ROOT / "tests" / "data" / "audio" / "zh_sentences.txt"


# --- the load process: builds envelopes up front, then posts a burst per line it reads -------------


async def _load(url: str, bursts: int, burst_id: int) -> None:
    from tests.support import wechat as wx

    env = wx.Envelopes("safe")

    def post(query: dict[str, str], body: str) -> Post:
        async def send(session: aiohttp.ClientSession) -> int:
            async with session.post(url, params=query, data=body.encode()) as r:
                await r.read()
                return r.status

        return send

    # Envelopes are made (and timestamped) before the bursts; their timestamps stay in the window.
    await load(
        [
            [
                post(*env.post(wx.text(f"o-load-{burst_id}-{b}-{i}", f"客户{i} 1391234{i:04d} 想了解报价")))
                for i in range(CONCURRENT)
            ]
            for b in range(bursts)
        ]
    )


# --- the server side ------------------------------------------------------------------------------


async def _run(voice: bool) -> dict[str, Any]:
    from aiohttp import web

    from bot.settings import Settings
    from bot.wechat.runtime import WeChatChannel, WeChatConfig, favour_the_event_loop, web_application
    from bot.wiring import build
    from tests.support import wechat as wx
    from tests.support.amr import speak_amr
    from tests.support.fake_wechat import APP_ID, SECRET, FakeWeChat

    favour_the_event_loop()  # as `chatcrm run` does when WeChat is on
    work = Path(tempfile.mkdtemp(prefix="bench-wechat-"))
    settings = Settings(  # type: ignore[call-arg]
        CHATCRM_DATA_DIR=work / "data",
        CHATCRM_WHISPER_MODEL=str(ROOT / "models" / "whisper-base.pt"),
        CHATCRM_WHISPER_PRELOAD=False,
        CHATCRM_LOG_LEVEL="WARNING",
    )
    runtime = await build(settings)
    fake = FakeWeChat()
    await fake.start()
    config = WeChatConfig(wx.TOKEN, wx.AES_KEY, APP_ID, SECRET, api_url=fake.base_url, workers=4)
    channel = WeChatChannel(runtime.app, config, runtime.notifier)
    web_app = web_application()
    channel.mount(web_app)
    channel.start()
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/wechat"
    env = wx.Envelopes("safe")
    result: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as session:

            async def post(xml: str) -> None:
                query, body = env.post(xml)
                async with session.post(url, params=query, data=body.encode()) as r:
                    assert r.status == 200

            def minutes_sent() -> int:
                return sum("拜访纪要" in t for t in fake.texts("o-rep"))

            await post(wx.text("o-rep", "/start"))
            await asyncio.wait_for(channel.idle(), 60)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.bench_wechat", "--load", url, str(BURSTS), "1" if voice else "0",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            if voice:
                # Warm the model first so that the bursts meet a transcription, not a model load.
                fake.media["warm"] = (speak_amr("你好。", work), "audio/amr")
                await post(wx.message_xml("o-rep", "voice", MediaId="warm", Format="amr"))
                await asyncio.wait_for(channel.idle(), 300)
                text = "".join(SENTENCES.read_text(encoding="utf-8").split())
                amr = speak_amr(text, work)
                fake.media["note"] = (amr, "audio/amr")
                result["voice_bytes"] = len(amr)
                sent_before = len(fake.sent)
                minutes_before = minutes_sent()
                await post(wx.message_xml("o-rep", "voice", MediaId="note", Format="amr"))
                # The service shows "transcribing…" once the note is stored and queued for the engine.
                await fake.wait_for(lambda: len(fake.sent) > sent_before, timeout=120)
                voice_started = time.perf_counter()

                async def minutes_arrive() -> float:
                    await fake.wait_for(lambda: minutes_sent() > minutes_before, timeout=600)
                    return time.perf_counter() - voice_started

                watcher = asyncio.create_task(minutes_arrive())

            during = 0

            def after_burst() -> None:
                nonlocal during
                if voice and not watcher.done():
                    during += 1  # the whole burst was acknowledged and handled before the minutes

            result.update(await drive(process, BURSTS, CONCURRENT, lambda: channel.handled, after_burst))
            result.update(bursts=BURSTS, bursts_during_transcription=during if voice else None)
            if voice:
                result["transcription_s"] = round(await watcher, 1)
    finally:
        await runner.cleanup()
        await channel.close(60)
        await fake.stop()
        await runtime.close()
    return result


def main() -> None:
    print(f"{CONCURRENT} concurrent callback POSTs per burst, {BURSTS} bursts, {os.cpu_count()} CPUs")
    quiet = asyncio.run(_run(voice=False))
    busy = asyncio.run(_run(voice=True))
    for name, r in (("no transcription", quiet), ("voice note transcribing", busy)):
        print(
            f"{name:>24}: ack p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms"
            f" (worst burst {r['worst_p99_ms']:.1f})  acks/s {r['acks_per_s']:.0f}"
            f"  handled msgs/s {r['handled_per_s']:.0f}"
        )
    print(
        f"bursts that met the transcription: {busy['bursts_during_transcription']}/{busy['bursts']};"
        f" voice note {busy['voice_bytes']} bytes AMR-NB 12.2k (~{(busy['voice_bytes'] - 6) / 1600:.0f} s),"
        f" minutes {busy['transcription_s']} s after its status message"
    )
    ratio = busy["p99_ms"] / quiet["p99_ms"]
    print(f"p99 ratio busy/quiet: {ratio:.2f}  (target: p99 < 100 ms while transcribing)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        asyncio.run(_load(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        main()
