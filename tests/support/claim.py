"""The admin claim code as `chatcrm run` prints it, read from the running process's stdout."""

from __future__ import annotations

import asyncio
import re

CLAIM = re.compile(r"/start ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})")


async def read_claim_code(process: asyncio.subprocess.Process, timeout: float = 90) -> str:
    """Reads stdout lines until the claim notice (the rest stays for `communicate()`)."""
    stdout = process.stdout
    assert stdout is not None, "start the process with stdout=PIPE"

    async def scan() -> str:
        while True:
            line = await stdout.readline()
            if not line:
                raise AssertionError("chatcrm run ended without printing an admin claim code")
            found = CLAIM.search(line.decode())
            if found:
                return found.group(1)

    return await asyncio.wait_for(scan(), timeout)
