"""Pictures in Discord messages: a PNG attachment shown inside the first embed of an
answer, with its text alternative both as the attachment's description and in the embed
(for screen readers and search). Drawing runs in the answerer's CPU pool; when the charts
cannot be drawn (a font package missing, say) the message goes out as text."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.i18n import t
from bot.render import CHARACTERS_PER_MESSAGE, FIELD_VALUE, Page, clip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Picture:
    png: bytes
    name: str  # the attachment's file name
    alt: str  # what it shows, in words

    def file(self) -> discord.File:
        return discord.File(io.BytesIO(self.png), filename=self.name, description=clip(self.alt, 1024))


async def draw(bot, make: Callable[[], object], name: str) -> Picture | None:
    """`make()` returns a rag.pictures.charts.Chart (or None); drawn off the event loop."""
    try:
        chart = await bot.answerer.offload(make)
    except Exception:  # a picture is a bonus: the text answer still goes out
        log.exception("no picture %s; posting text only", name)
        return None
    return Picture(chart.png, name, chart.alt) if chart is not None else None


def show(page: Page, picture: Picture | None, language: str) -> Page:
    """The picture inside the page's first embed, its description beside it."""
    if picture is not None:
        page[0].set_image(url=f"attachment://{picture.name}")
        label = t("label.picture", language)
        room = min(FIELD_VALUE, CHARACTERS_PER_MESSAGE - sum(len(e) for e in page) - len(label))
        if room >= 80 and len(page[0].fields) < 25:  # else the attachment's description carries it alone
            page[0].add_field(name=label, value=clip(picture.alt, room), inline=False)
    return page
