"""How the bot replies: privately, in pages, and streaming while the model writes.

The answer operations block (embedding, Chroma, HTTP), so they run in a worker thread;
the text they stream comes back to the event loop and is shown by message edits, the
newest text at most once per `interval` seconds to stay within Discord's rate limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

from bot import render
from bot.render import NO_MENTIONS, Page
from rag.answers import Answer

log = logging.getLogger(__name__)

Operation = Callable[[Callable[[str], None]], Answer]  # run(on_text) -> Answer, blocking


class StreamedEdits:
    """Shows the newest streamed text through `show`, one call at a time, spaced by `interval`."""

    def __init__(self, show: Callable[[str], Awaitable[object]], interval: float):
        self._show, self._interval = show, interval
        self._loop = asyncio.get_running_loop()
        self._latest = ""
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._task: asyncio.Task | None = None

    def on_text(self, text: str) -> None:
        """Called from the worker thread with the growing, citation-checked text."""
        self._loop.call_soon_threadsafe(self._push, text)

    def _push(self, text: str) -> None:
        if self._stop.is_set():
            return
        self._latest = text
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                await self._show(self._latest)
            except discord.HTTPException as exc:  # a lost preview is harmless: the final answer follows
                log.warning("streaming edit failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    async def close(self) -> None:
        """Stop; an edit already on its way lands first, so it cannot overwrite the final answer."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task


async def _run_streaming(run: Operation, title: str, show: Callable[[discord.Embed], Awaitable[object]],
                         interval: float) -> Answer:
    shown = None

    async def show_preview(text: str) -> None:
        nonlocal shown
        embed = render.preview_embed(text, title)
        if embed.description != shown:  # past the first page the preview stops changing
            shown = embed.description
            await show(embed)

    streamed = StreamedEdits(show_preview, interval)
    try:
        return await asyncio.to_thread(run, streamed.on_text)
    finally:
        await streamed.close()


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """A note only the user sees. After a public defer the first follow-up would replace
    the public "thinking…" message, so that message goes first."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    with contextlib.suppress(discord.NotFound):
        await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def send_pages(interaction: discord.Interaction, pages: list[Page]) -> None:
    """The deferred response becomes the first page; further pages follow in order."""
    await interaction.edit_original_response(content=None, embeds=pages[0], allowed_mentions=NO_MENTIONS)
    for page in pages[1:]:
        await interaction.followup.send(embeds=page, allowed_mentions=NO_MENTIONS)


async def answer_interaction(interaction: discord.Interaction, title: str, run: Operation, interval: float) -> None:
    """Run an answer operation for a deferred interaction, streaming into `@original`."""

    def show(embed: discord.Embed):
        return interaction.edit_original_response(embed=embed, allowed_mentions=NO_MENTIONS)

    answer = await _run_streaming(run, title, show, interval)
    await send_pages(interaction, render.answer_pages(answer, title))


async def answer_in_channel(channel: discord.abc.Messageable, title: str, run: Operation, interval: float) -> None:
    """Run an answer operation for a channel or thread, streaming into one message."""
    message: discord.Message | None = None

    async def show(embed: discord.Embed) -> None:
        nonlocal message
        if message is None:
            message = await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        else:
            await message.edit(embed=embed, allowed_mentions=NO_MENTIONS)

    answer = await _run_streaming(run, title, show, interval)
    pages = render.answer_pages(answer, title)
    if message is None:
        await channel.send(embeds=pages[0], allowed_mentions=NO_MENTIONS)
    else:
        await message.edit(embeds=pages[0], allowed_mentions=NO_MENTIONS)
    for page in pages[1:]:
        await channel.send(embeds=page, allowed_mentions=NO_MENTIONS)
