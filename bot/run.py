"""`paperbot run`: start the bot with DISCORD_TOKEN, against Discord or wherever the
settings point (`[discord] api_base`, `gateway_url`; $DISCORD_API_BASE, $DISCORD_GATEWAY_URL).

Start-up failures an operator can fix are one line on stderr and exit code 2 (3 when
Discord cannot be reached), never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from bot.app import PaperBot
from rag.config import Config, DiscordSettings
from rag.engine import Engine
from rag.logs import mask

BAD_INPUT, UNAVAILABLE = 2, 3
# The event loop gives the GIL up at every socket and SQLite call; while the CPU thread runs
# Python (the claim checks of finished answers) it then waits up to a switch interval to get
# it back, CPython's default 5 ms. Finishing one answer takes dozens of such calls, so fifty
# answers finishing together held lookups back for seconds; 0.5 ms bounds each wait.
SWITCH_INTERVAL = 0.0005
MISSING_TOKEN = ("DISCORD_TOKEN is not set: copy your bot's token from the Discord Developer Portal "
                 "(your application → Bot → Reset Token) and export DISCORD_TOKEN=<token>")
REJECTED_TOKEN = ("Discord rejected DISCORD_TOKEN ({api}): reset the token in the Discord Developer Portal "
                  "(your application → Bot → Reset Token) and export the new one")
NO_CONTENT_INTENT = ("Discord refused the Message Content intent: enable it in the Discord Developer Portal "
                     "(your application → Bot → Privileged Gateway Intents → Message Content Intent)")
UNREACHABLE = "Discord could not be reached at {api}: {reason}"


def point_at(settings: DiscordSettings) -> None:
    """Where discord.py finds Discord: every REST call (interactions and webhooks too) is
    built on `Route.BASE`, and a plain Bot connects to `DEFAULT_GATEWAY` without asking."""
    discord.http.Route.BASE = settings.api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


async def launch(bot: PaperBot, token: str) -> asyncio.Task:
    """Log in and connect; returns the task running the bot once it is ready.
    A failure before that (rejected token, refused intent, no Discord) is raised here."""
    running = asyncio.create_task(bot.start(token))
    ready = asyncio.create_task(bot.wait_until_ready())
    await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        await bot.close()
        running.result()  # raises what stopped it
    return running


async def _serve(bot: PaperBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))  # service managers stop with it
    async with bot:
        await (await launch(bot, token))


def main(config: Config, open_engine: Callable[[], Engine]) -> int:
    """Run until stopped. `open_engine` gives the engine with its knowledge base ready
    (ingesting on first use), called once the token is known to be there."""
    token = config.discord_token.strip()
    if not token:
        return _fail(MISSING_TOKEN, BAD_INPUT)
    logging.getLogger("bot").setLevel(logging.INFO)  # the bot's own start-up and error lines
    sys.setswitchinterval(SWITCH_INTERVAL)
    point_at(config.discord)
    engine = open_engine()
    try:
        asyncio.run(_serve(PaperBot(engine), token))
    except discord.LoginFailure:
        return _fail(REJECTED_TOKEN.format(api=config.discord.api_base), BAD_INPUT)
    except discord.PrivilegedIntentsRequired:
        return _fail(NO_CONTENT_INTENT, BAD_INPUT)
    except (aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        return _fail(UNREACHABLE.format(api=config.discord.api_base, reason=exc or type(exc).__name__), UNAVAILABLE)
    return 0


def _fail(message: str, code: int) -> int:
    print(f"paperbot: {mask(message)}", file=sys.stderr)
    return code
