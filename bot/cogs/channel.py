"""Questions written in a channel: in the configured ask channels, or anywhere the bot is
mentioned. The answer goes in a thread started from the question; whatever is written
later in that thread is a follow-up, answered with the thread's earlier turns as history.

Reading messages needs the privileged Message Content intent (see the README).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.buttons import answer_buttons
from bot.cooldown import OnCooldown
from bot.errors import explain, user_message
from bot.i18n import t
from bot.render import NO_MENTIONS, thread_name
from bot.replies import answer_in_channel
from rag.text.language import answer_language, visible_text

if TYPE_CHECKING:
    from bot.app import PaperBot

HISTORY_MESSAGES = 50  # how far back a thread is read
HISTORY_TURNS = 4  # earlier question/answer pairs handed to the model


class ChannelQuestions(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot
        self.ask_channels = set(bot.config.discord.ask_channels)

    def _question(self, message: discord.Message) -> str:
        """The text without the bot's mention; other user mentions as readable @names."""
        names = {user.id: f"@{user.display_name}" for user in message.mentions if user.id != self.bot.user.id}
        return visible_text(re.sub(r"<@!?(\d+)>", lambda m: names.get(int(m[1]), ""), message.content))

    def _mentions_me(self, message: discord.Message) -> bool:
        # Not `mentioned_in`: that is also true for @everyone, which must not summon the bot.
        return any(user.id == self.bot.user.id for user in message.mentions)

    def _is_ask_channel(self, channel) -> bool:
        return channel.name in self.ask_channels or str(channel.id) in self.ask_channels

    def _is_my_thread(self, channel) -> bool:
        """A thread the bot started for an answer (not a paper club session's, where members
        talk among themselves and mention the bot to ask it something)."""
        return (isinstance(channel, discord.Thread) and channel.owner_id == self.bot.user.id
                and self.bot.engine.club.by_thread(channel.id) is None)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None:
            return
        channel = message.channel
        follow_up = self._is_my_thread(channel)
        if not (follow_up or self._mentions_me(message)
                or (isinstance(channel, discord.TextChannel) and self._is_ask_channel(channel))):
            return
        question = self._question(message)
        language = answer_language(question)
        if not question:
            await message.reply(t("ask.hint", language), mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        if left := self.bot.cooldown_left(message.author.id):
            await message.reply(explain(OnCooldown(left), language), mention_author=False,
                                allowed_mentions=NO_MENTIONS)
            return
        try:
            history = await self._history(channel, message) if follow_up else []
            # A thread cannot hold another thread: a mention inside one is answered in place.
            if isinstance(channel, discord.TextChannel):
                channel = await message.create_thread(name=thread_name(question))
            async with channel.typing():
                await answer_in_channel(
                    channel, question, language,
                    lambda on_text, on_queue: self.bot.answerer.ask(
                        question, history=history, on_text=on_text, on_queue=on_queue,
                        caller=self.bot.caller(message.author, message.guild)),
                    self.bot.config.discord.stream_edit_interval,
                    buttons=answer_buttons(self.bot, question, message.author.id, message.guild.id))
                await self.bot.get_cog("Adding").offer(channel, question, language)
        except Exception as exc:  # the bot keeps running; the asker learns what happened
            await channel.send(user_message(exc, language, f"question in #{channel}"), allowed_mentions=NO_MENTIONS)

    async def _history(self, thread: discord.Thread, before: discord.Message) -> list[tuple[str, str]]:
        """Earlier (question, answer) turns of a thread; the first question is the message
        the thread was started from. Answers are read back from the answer embeds' text."""
        turns: list[tuple[str, list[str]]] = []
        if thread.parent is not None:
            try:
                turns.append((self._question(await thread.parent.fetch_message(thread.id)), []))
            except (discord.NotFound, discord.Forbidden):  # deleted, or not a thread started from a message
                pass
        messages = [m async for m in thread.history(limit=HISTORY_MESSAGES, before=before)]
        for m in reversed(messages):
            if m.author.id == self.bot.user.id:
                if turns:
                    turns[-1][1].extend(e.description for e in m.embeds if e.description)
            elif not m.author.bot:
                turns.append((self._question(m), []))
        return [(q, "\n".join(a)) for q, a in turns if q and a][-HISTORY_TURNS:]


async def setup(bot: PaperBot) -> None:
    await bot.add_cog(ChannelQuestions(bot))
