"""How the bot replies: privately, in pages, and live while an answer is being written.

An answer operation is a coroutine; while it waits for a turn at the model it reports
the user's place in the line, and while the model writes it reports the growing text.
Both are shown by editing one message, the newest state at most once per `interval`
seconds to stay within Discord's rate limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

import discord

from bot import render
from bot.errors import user_message
from bot.i18n import language_for
from bot.pictures import Picture, show
from bot.render import NO_MENTIONS, Page, clip
from rag.answers.answer import Answer, Draft

log = logging.getLogger(__name__)

# run(on_text, on_queue) -> Answer: an answer operation with its progress callbacks.
Operation = Callable[[Callable[[Draft], None], Callable[[int], None]], Awaitable[Answer]]
# buttons(answer) -> the view under a finished answer (👍/👎, ⭐; see bot/cogs/feedback.py)
Buttons = Callable[[Answer], Awaitable["discord.ui.View | None"]]


class LiveMessage:
    """Shows the newest state pushed to it through `show`, one edit at a time, spaced by
    `interval`. A state is a function that makes the embed, called only when it is shown:
    the states never shown (most of a fast stream) cost nothing."""

    def __init__(self, show: Callable[[discord.Embed], Awaitable[object]], interval: float):
        self._show, self._interval = show, interval
        self._latest: Callable[[], discord.Embed | None] | None = None
        self._shown: dict | None = None
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._task: asyncio.Task | None = None

    def push(self, make: Callable[[], discord.Embed | None]) -> None:
        if self._stop.is_set():
            return
        self._latest = make
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            embed = self._latest()
            state = embed.to_dict() if embed is not None else self._shown
            if state != self._shown:  # past the first page a preview stops changing
                self._shown = state
                try:
                    await self._show(embed)
                except discord.HTTPException as exc:  # a lost preview is harmless: the final answer follows
                    log.warning("progress edit failed: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self._interval)

    async def close(self) -> None:
        """Stop; an edit already on its way lands first, so it cannot overwrite the final answer."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task


async def _run_live(run: Operation, title: str, language: str, show: Callable[[discord.Embed], Awaitable[object]],
                    interval: float) -> Answer:
    live = LiveMessage(show, interval)
    try:
        return await run(
            lambda draft: live.push(lambda: render.preview_embed(draft.text, title) if draft.text else None),
            lambda place: live.push(lambda: render.queue_embed(place, title, language)))
    finally:
        await live.close()


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """A note only the user sees. After a public defer the first follow-up would replace
    the public "thinking…" message, so that message goes first."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    # Only a public "thinking…" is ours to delete: after a deferred update (a button on a
    # member's /saved list) @original is the message the button sits on.
    if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
        with contextlib.suppress(discord.NotFound):
            await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def send_pages(interaction: discord.Interaction, pages: list[Page], view: discord.ui.View | None = None,
                     ephemeral: bool = False, picture: Picture | None = None, language: str = "en") -> None:
    """The deferred response becomes the first page (with the picture, if any); further
    pages follow in order. The `view` (buttons) goes under the last page."""
    last = {"view": view} if view is not None else {}
    files = {"attachments": [picture.file()]} if picture is not None else {}
    await interaction.edit_original_response(content=None, embeds=show(pages[0], picture, language),
                                             allowed_mentions=NO_MENTIONS, **files,
                                             **(last if len(pages) == 1 else {}))
    for n, page in enumerate(pages[1:], 2):
        await interaction.followup.send(embeds=page, allowed_mentions=NO_MENTIONS, ephemeral=ephemeral,
                                        **(last if n == len(pages) else {}))


async def answer_interaction(interaction: discord.Interaction, title: str, language: str, run: Operation,
                             interval: float, *, buttons: Buttons | None = None, ephemeral: bool = False,
                             picture: Callable[[Answer], Awaitable[Picture | None]] | None = None) -> None:
    """Run an answer operation for a deferred interaction, live in `@original`; `picture`
    draws the finished answer's picture (the comparison table, the digest chart)."""

    def preview(embed: discord.Embed):
        return interaction.edit_original_response(embed=embed, allowed_mentions=NO_MENTIONS)

    async with interaction.client.inflight.tracking(interaction.id, interaction.application_id, interaction.token,
                                                    language):
        answer = await _run_live(run, title, language, preview, interval)
        drawn = await picture(answer) if picture is not None else None
        await send_pages(interaction, render.answer_pages(answer, title), await make_buttons(buttons, answer),
                         ephemeral, drawn, language)


async def answer_in_channel(channel: discord.abc.Messageable, title: str, language: str, run: Operation,
                            interval: float, *, buttons: Buttons | None = None) -> None:
    """Run an answer operation for a channel or thread, live in one message."""
    message: discord.Message | None = None

    async def show(embed: discord.Embed) -> None:
        nonlocal message
        if message is None:
            message = await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        else:
            await message.edit(embed=embed, allowed_mentions=NO_MENTIONS)

    answer = await _run_live(run, title, language, show, interval)
    pages = render.answer_pages(answer, title)
    view = await make_buttons(buttons, answer)
    last = {"view": view} if view is not None else {}
    if message is None:
        await channel.send(embeds=pages[0], allowed_mentions=NO_MENTIONS, **(last if len(pages) == 1 else {}))
    else:
        await message.edit(embeds=pages[0], allowed_mentions=NO_MENTIONS, **(last if len(pages) == 1 else {}))
    for n, page in enumerate(pages[1:], 2):
        await channel.send(embeds=page, allowed_mentions=NO_MENTIONS, **(last if n == len(pages) else {}))


async def make_buttons(buttons: Buttons | None, answer: Answer) -> discord.ui.View | None:
    """The buttons for a finished answer; none when making them fails (the answer still shows)."""
    if buttons is None:
        return None
    try:
        return await buttons(answer)
    except Exception:
        log.exception("no buttons under this answer")
        return None


# -- buttons and modals --------------------------------------------------------------------
def guarded(callback: Callable[..., Awaitable[None]]):
    """A button or modal callback whose failure reaches the user in plain words (discord.py
    only logs what a DynamicItem's callback raises)."""

    @functools.wraps(callback)
    async def run(self, interaction: discord.Interaction, *args) -> None:
        try:
            await callback(self, interaction, *args)
        except Exception as exc:
            text = user_message(exc, language_for(interaction.locale), f"button {getattr(self, 'custom_id', '?')}")
            try:
                await send_private(interaction, text)
            except Exception as again:  # e.g. the interaction expired
                log.warning("could not tell the user about a failed button: %s", again)

    return run


async def acknowledge(interaction: discord.Interaction) -> None:
    """Within Discord's 3 seconds, before any work: a private "thinking…" the answer replaces."""
    await interaction.response.defer(ephemeral=True, thinking=True)


async def tell(interaction: discord.Interaction, text: str) -> None:
    await interaction.followup.send(clip(text, render.CONTENT), ephemeral=True, allowed_mentions=NO_MENTIONS)
