"""Tests of the loopback Discord peer (tests/peers/discord/), driven by
a minimal real discord.py ``commands.Bot`` defined here (not the product bot).

The bot runs in the test's event loop; the server runs in its own thread.
Only ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` are redirected
(and restored by the ``server`` fixture).
"""

from __future__ import annotations

import asyncio
import datetime

import discord
import discord.gateway
import discord.http
import pytest
import pytest_asyncio
import yarl
from discord import app_commands
from discord.ext import commands

from peers.discord import INTENTS, DiscordServer

pytestmark = pytest.mark.asyncio

PAPERS = [f"Paper {i:02d}: attention variant" for i in range(40)] + [
    "Attention Is All You Need",
    "BERT: Pre-training of Deep Bidirectional Transformers",
    "Deep Residual Learning for Image Recognition",
]


class VoteView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.votes = 0

    @discord.ui.button(label="Helpful", custom_id="vote:up", style=discord.ButtonStyle.success)
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.votes += 1
        await interaction.response.edit_message(content=f"votes: {self.votes}", view=self)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


def paper_poll(hours: float = 24, answers: tuple[str, ...] = ("Attention", "BERT", "ResNet"),
               question: str = "Which paper next week?", multiple: bool = False) -> discord.Poll:
    poll = discord.Poll(question=question, duration=datetime.timedelta(hours=hours), multiple=multiple)
    for text in answers:
        poll.add_answer(text=text)
    return poll


class MiniBot(commands.Bot):
    """The smallest bot that exercises every flow the peer supports."""

    def __init__(self, guild_id: int, *, message_content: bool = True, **intent_flags: bool) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        for flag, value in intent_flags.items():
            setattr(intents, flag, value)
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.1, help_command=None)
        self.guild_id = guild_id
        self.app_errors: list[BaseException] = []
        self.seen_messages: list[discord.Message] = []
        self.poll_events: list[tuple] = []  # (event name, user id, answer id)
        self.raw_edits: list[discord.RawMessageUpdateEvent] = []
        self.note_may_go = asyncio.Event()  # /refuse holds its private note until the test sets this

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)

        @app_commands.command(name="echo", description="Echo text back (deferred)")
        @app_commands.describe(text="What to echo")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"echo: {text}", allowed_mentions=discord.AllowedMentions.none())

        @app_commands.command(name="secret", description="Answer only to the caller")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("only you can see this", ephemeral=True)

        @app_commands.command(name="paper", description="Look up a paper")
        @app_commands.describe(title="Paper title", limit="How many hits")
        async def paper(interaction: discord.Interaction, title: str, limit: int = 3) -> None:
            embed = discord.Embed(title=title[:256], description=f"top {limit} hits")
            await interaction.response.send_message(embed=embed)

        @paper.autocomplete("title")
        async def paper_title(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            hits = [p for p in PAPERS if current.lower() in p.lower()]
            return [app_commands.Choice(name=p, value=p) for p in hits[:25]]

        @app_commands.command(name="vote", description="A message with a button")
        async def vote(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("votes: 0", view=VoteView())

        digest = app_commands.Group(name="digest", description="Digest admin")

        @digest.command(name="post", description="Post the digest to a channel")
        async def digest_post(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
            await interaction.response.defer(ephemeral=True)
            await channel.send(embed=discord.Embed(title="Weekly digest", description="3 new papers"))
            await interaction.edit_original_response(content=f"posted to #{channel.name}")

        @app_commands.command(name="feedback", description="Open a feedback form")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @app_commands.command(name="slow", description="Answers without deferring")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            await interaction.response.send_message("too late")

        @app_commands.command(name="poll", description="Ask which paper to read (deferred)")
        async def poll(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(poll=paper_poll())

        @app_commands.command(name="refuse", description="Defers publicly, then refuses privately")
        async def refuse(interaction: discord.Interaction) -> None:
            # the product bot's error path (bot/replies.py send_private): a follow-up would
            # replace the public "thinking…" message, so that goes first, then the note
            await interaction.response.defer(thinking=True)
            await interaction.delete_original_response()
            await self.note_may_go.wait()
            await interaction.followup.send("no, and only you see this", ephemeral=True)

        for cmd in (echo, secret, paper, vote, digest, feedback, slow, poll, refuse):
            self.tree.add_command(cmd, guild=guild)

        @self.tree.error
        async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError):
            self.app_errors.append(error)

        await self.tree.sync(guild=guild)

    async def on_raw_poll_vote_add(self, event: discord.RawPollVoteActionEvent) -> None:
        self.poll_events.append(("raw_add", event.user_id, event.answer_id))

    async def on_raw_poll_vote_remove(self, event: discord.RawPollVoteActionEvent) -> None:
        self.poll_events.append(("raw_remove", event.user_id, event.answer_id))

    async def on_poll_vote_add(self, user: discord.abc.User, answer: discord.PollAnswer) -> None:
        self.poll_events.append(("add", user.id, answer.id))

    async def on_poll_vote_remove(self, user: discord.abc.User, answer: discord.PollAnswer) -> None:
        self.poll_events.append(("remove", user.id, answer.id))

    async def on_raw_message_edit(self, event: discord.RawMessageUpdateEvent) -> None:
        self.raw_edits.append(event)

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)
        if message.author.bot or not isinstance(message.channel, discord.TextChannel):
            return
        thread = await message.create_thread(name=f"Re: {message.content[:40] or 'question'}")
        await thread.send(f"You asked: {message.content}", allowed_mentions=discord.AllowedMentions.none())


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def server():
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with DiscordServer() as srv:
        discord.http.Route.BASE = srv.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(srv.gateway_url)
        try:
            yield srv
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def start_bot(bot: commands.Bot) -> asyncio.Task:
    task = asyncio.create_task(bot.start("loopback-token"))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task.done():
            task.result()  # re-raise the login/connect failure
        raise TimeoutError("bot did not become ready")
    return task


@pytest_asyncio.fixture
async def bot(server):
    bot = MiniBot(server.guild_id)
    task = await start_bot(bot)
    yield bot
    if not bot.is_closed():
        await bot.close()
    await asyncio.wait_for(task, 5)


# ------------------------------------------------------------------ tests


async def test_login_ready_and_guild_cache(server, bot):
    assert bot.user.id == server.bot_id
    assert bot.application_id == server.application_id
    guild = bot.get_guild(server.guild_id)
    assert guild is not None and guild.name == server.guild_name
    assert {c.name for c in guild.text_channels} == {"general", "ask-papers", "digest"}
    assert guild.get_channel(server.channels["ask-papers"]).name == "ask-papers"
    assert guild.owner_id == server.owner_id
    assert guild.me is not None
    # login went through REST, then the gateway with JSON encoding
    paths = [r.path for r in server.requests]
    assert paths[:2] == ["/users/@me", "/oauth2/applications/@me"]
    conn = server.gateway_connections[0]
    assert conn["query"]["encoding"] == "json" and conn["query"]["v"] == "10"
    assert server.has_intent("message_content") and server.has_intent("guild_messages")
    assert server.intents == bot.intents.value
    assert not server.unhandled_requests
    assert not server.limit_violations


async def test_command_sync_payload_recorded(server, bot):
    sync = server.command_syncs[-1]
    assert sync.scope == "guild" and sync.guild_id == server.guild_id
    by_name = {c["name"]: c for c in server.synced_commands}
    assert set(by_name) == {"echo", "secret", "paper", "vote", "digest", "feedback", "slow", "poll", "refuse"}
    (post,) = by_name["digest"]["options"]
    assert post["type"] == 1 and post["options"][0]["type"] == 7  # subcommand with a channel option
    assert all(int(c["id"]) for c in by_name.values())
    (text,) = by_name["echo"]["options"]
    assert (text["name"], text["type"], text["required"], text["description"]) == ("text", 3, True, "What to echo")
    title, limit = by_name["paper"]["options"]
    assert title["autocomplete"] is True and limit["type"] == 4 and not limit.get("required")
    # discord.py caches the returned ids
    assert server.guild_commands == server.synced_commands


async def test_echo_defers_then_follows_up(server, bot):
    inter = server.send_interaction("echo", {"text": "hello <@%d>" % server.admin_id}, channel="ask-papers")
    final = await inter.wait_settled()
    assert [r.kind for r in inter.responses] == ["callback", "followup"]
    assert inter.callback_type == 5 and inter.deferred and not inter.ephemeral
    assert final.content == f"echo: hello <@{server.admin_id}>"
    # Discord: the first follow-up after a defer replaces the "thinking" message
    assert final is inter.original and not final.loading
    assert final.allowed_mentions == {"parse": []} and not final.pinged_anyone
    assert server.messages_in("ask-papers") == [final]
    assert not bot.app_errors and not server.limit_violations


async def test_a_deferred_answer_is_not_settled_while_its_thinking_message_is_only_deleted(server, bot):
    """Between deleting the public "thinking…" message and the private follow-up the user
    sees nothing: waiting for the answer must not return in that gap (it did, so a test
    read no answer there about one run in five)."""
    inter = server.send_interaction("refuse", channel="ask-papers")
    await inter.wait_for(lambda i: any(r.kind == "delete_original" for r in i.responses))
    assert not inter.settled and inter.final_message() is None
    bot.note_may_go.set()
    note = await inter.wait_settled()
    assert [r.kind for r in inter.responses] == ["callback", "delete_original", "followup"]
    assert note.ephemeral and note.content == "no, and only you see this"
    assert server.messages_in("ask-papers") == []  # the public "thinking…" is gone, the note is private
    assert not bot.app_errors and not server.limit_violations


async def test_ephemeral_response_flag(server, bot):
    inter = server.send_interaction("secret", user="admin", channel="general")
    await inter.wait_settled()
    assert inter.callback_type == 4
    assert inter.callback.flags & 64
    assert inter.ephemeral and inter.final_message().content == "only you can see this"
    assert server.messages_in("general") == []  # ephemeral messages are not in the channel


async def test_autocomplete_returns_choices(server, bot):
    choices = await server.send_autocomplete("paper", "title", "attention")
    assert len(choices) == 25  # 41 hits, the bot caps at Discord's limit
    assert all("attention" in c["name"].lower() for c in choices)
    choices = await server.send_autocomplete("paper", "title", "residual")
    assert choices == [{"name": "Deep Residual Learning for Image Recognition",
                        "value": "Deep Residual Learning for Image Recognition"}]
    assert server.interactions[-1].callback_type == 8
    # then the user picks it: the command gets the typed options
    inter = server.send_interaction("paper", {"title": choices[0]["value"], "limit": 5})
    msg = await inter.wait_settled()
    assert msg.embeds[0]["title"] == choices[0]["value"] and msg.embeds[0]["description"] == "top 5 hits"
    assert not server.limit_violations


async def test_unknown_command_or_option_is_refused_client_side(server, bot):
    with pytest.raises(LookupError):
        server.send_interaction("nope")
    with pytest.raises(ValueError):
        server.send_interaction("echo", {"txt": "typo"})
    with pytest.raises(ValueError):
        server.send_interaction("echo", {})


async def test_channel_message_creates_thread_and_reply(server, bot):
    question = server.send_message("what is RLHF? @everyone", channel="general", author="member")
    thread = await server.wait_for_thread()
    assert thread["type"] == 11 and int(thread["parent_id"]) == server.channels["general"]
    assert int(thread["id"]) == question.id  # threads from a message share its id
    reply = await server.wait_for_message(thread["id"])
    assert reply.content == "You asked: what is RLHF? @everyone"
    assert not reply.pings["everyone"]  # AllowedMentions.none() suppressed it
    assert server.get_message(question.id).thread_id == question.id
    # discord.py cached the thread from THREAD_CREATE
    await server.wait_for(lambda: bot.get_channel(question.id) is not None, what="thread cached")
    assert isinstance(bot.get_channel(question.id), discord.Thread)
    # the bot saw its own echoed reply and ignored it: still one thread
    await server.wait_for(lambda: any(m.id == reply.id for m in bot.seen_messages), what="echo of the reply")
    assert len(server.threads) == 1 and server.messages_in("general") == []
    assert not server.limit_violations


async def test_message_content_intent_is_enforced(server):
    bot = MiniBot(server.guild_id, message_content=False)
    task = await start_bot(bot)
    try:
        assert not server.intents & INTENTS["message_content"]
        server.send_message("hidden text", channel="digest")
        server.send_message(f"<@{server.bot_id}> visible text", channel="digest")
        await server.wait_for(lambda: len(bot.seen_messages) >= 2, what="two messages")
        assert [m.content for m in bot.seen_messages[:2]] == ["", f"<@{server.bot_id}> visible text"]
    finally:
        await bot.close()
        await task


async def test_too_long_messages_are_rejected_and_recorded(server, bot):
    channel = bot.get_channel(server.channels["digest"])
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("x" * 2001)
    assert err.value.status == 400 and err.value.code == 50035
    assert "content" in str(err.value)
    (violation,) = server.limit_violations
    assert violation.path == f"/channels/{server.channels['digest']}/messages"
    assert violation.errors[0][0] == ("content",)
    assert server.messages_in("digest") == []

    with pytest.raises(discord.HTTPException):
        await channel.send(embed=discord.Embed(description="d" * 4097))
    # through an interaction: the follow-up is too long -> error reaches the bot
    inter = server.send_interaction("echo", {"text": "y" * 2000})
    await inter.wait_for(lambda i: i.errors)
    await server.wait_for(lambda: bot.app_errors, what="app command error")
    assert inter.errors[0].kind == "followup" and inter.errors[0].status == 400
    assert len(server.limit_violations) == 3
    await channel.send("x" * 2000)  # exactly at the limit is fine
    assert len(server.limit_violations) == 3


async def test_button_click_updates_message(server, bot):
    inter = server.send_interaction("vote", channel="general")
    msg = await inter.wait_settled()
    assert msg.components[0]["components"][0]["custom_id"] == "vote:up"
    click = server.click(msg, "vote:up", user="admin")
    await click.wait_settled()
    assert click.callback_type == 7
    assert server.get_message(msg.id).content == "votes: 1" and server.get_message(msg.id).edited


async def test_subcommand_with_channel_option_and_edit_original(server, bot):
    inter = server.send_interaction("digest post", {"channel": "digest"}, user="admin", channel="general")
    final = await inter.wait_settled()
    assert [r.kind for r in inter.responses] == ["callback", "edit_original"]
    assert inter.ephemeral and final.content == "posted to #digest"
    (post,) = server.messages_in("digest")
    assert post.embeds[0]["title"] == "Weekly digest" and post.source == "channel"


async def test_modal_round_trip(server, bot):
    opened = server.send_interaction("feedback")
    await opened.wait_for_callback()
    assert opened.callback_type == 9 and opened.modal["title"] == "Feedback"
    submitted = server.submit_modal(opened, {"feedback:text": "great bot"})
    assert (await submitted.wait_settled()).content == "thanks: great bot"


async def test_interaction_deadline_and_permissions_are_enforced(server, bot):
    server.interaction_deadline = 0.1  # Discord allows 3 s; the command sleeps 0.3 s
    inter = server.send_interaction("slow")
    await server.wait_for(lambda: bot.app_errors, what="app command error")
    assert inter.errors[0].status == 404 and inter.errors[0].error["code"] == 10062
    assert isinstance(bot.app_errors[0].__cause__ or bot.app_errors[0], discord.NotFound)

    read_only = server.add_channel("announcements", bot_can_send=False)
    await server.wait_for(lambda: bot.get_channel(read_only), what="CHANNEL_CREATE")
    with pytest.raises(discord.Forbidden):
        await bot.get_channel(read_only).send("hello")
    assert [(v.kind, v.code) for v in server.limit_violations] == [("protocol", 10062), ("permission", 50013)]


async def test_reconnect_resumes_session(server, bot):
    server.request_reconnect()
    await server.wait_for(lambda: len(server.gateway_connections) == 2 and server.connected, what="reconnect")
    assert server.gateway_connections[1]["resumed"] is True
    assert len(server.identify_payloads) == 1
    inter = server.send_interaction("echo", {"text": "after resume"})
    assert (await inter.wait_settled()).content == "echo: after resume"


async def test_bot_closes_cleanly(server):
    bot = MiniBot(server.guild_id)
    task = await start_bot(bot)
    assert server.connected
    await bot.close()
    assert await asyncio.wait_for(task, 5) is None
    await server.wait_for(lambda: not server.connected, what="gateway closed")
    # discord.py asks for 1000, but aiohttp wakes the pending receive() first and
    # poll_event() closes with 4000 before close(1000) reaches the wire.
    assert server.gateway_connections[-1]["close_code"] in (1000, 4000)
    assert not server.limit_violations and not server.unhandled_requests


# ------------------------------------------------------------------ polls


def events(bot: MiniBot, *names: str) -> list[tuple]:
    return [e for e in bot.poll_events if e[0] in names]


async def test_a_poll_is_voted_on_and_ends_at_its_expiry(server, bot):
    channel = bot.get_channel(server.channels["general"])
    message = await channel.send(poll=paper_poll(hours=24))
    (record,) = server.polls()
    assert record.id == message.id
    assert [(a["answer_id"], a["poll_media"]["text"]) for a in record.poll["answers"]] == [
        (1, "Attention"), (2, "BERT"), (3, "ResNet")]
    assert record.poll["results"] == {"answer_counts": [], "is_finalized": False}
    # discord.py reads the poll back from the answer: expiry 24 h after the message
    assert message.poll.duration == datetime.timedelta(hours=24)
    assert message.poll.expires_at - message.created_at == pytest.approx(datetime.timedelta(hours=24),
                                                                         abs=datetime.timedelta(seconds=5))

    server.vote("member", record, 1)
    server.vote("admin", record, 1)
    server.vote("owner", record, 2)
    server.unvote("owner", record, 2)
    server.vote("owner", record, 3)
    await server.wait_for(lambda: len(bot.poll_events) == 5, what="five raw vote events")
    assert bot.poll_events == [("raw_add", server.member_id, 1), ("raw_add", server.admin_id, 1),
                               ("raw_add", server.owner_id, 2), ("raw_remove", server.owner_id, 2),
                               ("raw_add", server.owner_id, 3)]
    # Intents.default() has no members intent, so discord.py finds no cached member and
    # dispatches only the raw events; nor does it count the votes on its cached message.
    cached = discord.utils.get(bot.cached_messages, id=message.id)
    assert [a.vote_count for a in cached.poll.answers] == [0, 0, 0]
    assert server.voters(record, 1) == [server.member_id, server.admin_id]
    with pytest.raises(ValueError):
        server.vote("member", record, 2)  # one answer per member unless the poll allows more
    with pytest.raises(ValueError):
        server.vote("bot", record, 2)  # apps never vote

    assert server.advance_clock(23 * 3600) == []  # an hour to go: still open
    assert not server.get_message(message.id).poll["results"]["is_finalized"]
    (result,) = server.advance_clock(3600)
    assert result.data["type"] == 46 and result.reference_id == message.id
    fields = {f["name"]: f["value"] for f in result.embeds[0]["fields"]}
    assert fields == {"poll_question_text": "Which paper next week?", "victor_answer_votes": "2",
                      "total_votes": "3", "victor_answer_id": "1", "victor_answer_text": "Attention"}
    with pytest.raises(ValueError):
        server.vote("owner", record, 1)  # ended

    # the bot hears the MESSAGE_UPDATE with final results, then the POLL_RESULT message
    await server.wait_for(lambda: any(m.type is discord.MessageType.poll_result for m in bot.seen_messages),
                          what="the poll result message")
    update = next(e for e in bot.raw_edits if e.message_id == message.id)
    assert update.message.poll.is_finalized()
    announced = next(m for m in bot.seen_messages if m.type is discord.MessageType.poll_result)
    assert announced.reference.message_id == message.id
    assert announced.system_content == "PaperBot's poll Which paper next week? has closed."
    # discord.py copies the winner from the result message onto its cached poll
    assert cached.poll.victor_answer.text == "Attention" and cached.poll.victor_answer.vote_count == 2
    assert cached.poll.total_votes == 3

    fetched = await channel.fetch_message(message.id)
    assert fetched.poll.is_finalized()
    assert [a.vote_count for a in fetched.poll.answers] == [2, 0, 1]
    voters = [user.id async for user in fetched.poll.answers[0].voters()]
    assert sorted(voters) == sorted([server.member_id, server.admin_id])
    first = [user.id async for user in fetched.poll.answers[0].voters(limit=1)]
    assert first == [min(server.member_id, server.admin_id)]  # Discord pages voters by user id
    assert server.requests_to("GET", r"/polls/")[-1].query == {"limit": "1"}
    assert [user.id async for user in fetched.poll.answers[1].voters()] == []
    assert not server.limit_violations and not server.unhandled_requests


async def test_a_bot_with_the_members_intent_counts_votes_and_ends_its_poll_early(server):
    bot = MiniBot(server.guild_id, members=True)
    task = await start_bot(bot)
    try:
        channel = bot.get_channel(server.channels["ask-papers"])
        message = await channel.send(poll=paper_poll(multiple=True))
        await server.wait_for(lambda: discord.utils.get(bot.cached_messages, id=message.id), what="echo")
        server.vote("member", message.id, 2)
        server.vote("member", message.id, 3)  # multiselect: a second answer
        server.vote("admin", message.id, 1)
        await server.wait_for(lambda: len(events(bot, "add")) == 3, what="three vote events")
        assert events(bot, "add") == [("add", server.member_id, 2), ("add", server.member_id, 3),
                                      ("add", server.admin_id, 1)]
        cached = discord.utils.get(bot.cached_messages, id=message.id)
        assert [a.vote_count for a in cached.poll.answers] == [1, 1, 1]

        # End Poll ends it at once, and only once
        ended = await message.end_poll()
        assert ended.poll.is_finalized() and [a.vote_count for a in ended.poll.answers] == [1, 1, 1]
        with pytest.raises(discord.HTTPException) as err:
            await message.end_poll()
        assert err.value.code == 520001
        # a tie names no victor, yet says the top count and the total
        result = await server.wait_for_message("ask-papers", predicate=lambda m: m.data["type"] == 46)
        fields = {f["name"]: f["value"] for f in result.embeds[0]["fields"]}
        assert fields == {"poll_question_text": "Which paper next week?", "victor_answer_votes": "1",
                          "total_votes": "3"}
        assert [(v.kind, v.code) for v in server.limit_violations] == [("protocol", 520001)]
    finally:
        await bot.close()
        await task


async def test_poll_vote_events_need_the_polls_intent(server):
    bot = MiniBot(server.guild_id, polls=False)
    task = await start_bot(bot)
    try:
        assert not server.has_intent("guild_polls")
        message = await bot.get_channel(server.channels["general"]).send(poll=paper_poll())
        server.vote("member", message.id, 1)
        server.send_message("after the vote", channel="general")
        await server.wait_for(lambda: any(m.content == "after the vote" for m in bot.seen_messages),
                              what="the next message")
        assert bot.poll_events == []
        assert ("MESSAGE_POLL_VOTE_ADD", {"user_id": str(server.member_id), "channel_id": str(message.channel.id),
                                          "message_id": str(message.id), "answer_id": 1,
                                          "guild_id": str(server.guild_id)}) in server.dispatched
    finally:
        await bot.close()
        await task


async def test_polls_are_checked_as_discord_checks_them(server, bot):
    channel = bot.get_channel(server.channels["digest"])
    bad = [paper_poll(question="q" * 301), paper_poll(answers=()), paper_poll(answers=tuple("abcdefghijk")),
           paper_poll(answers=("a" * 56,)), paper_poll(hours=0.5), paper_poll(hours=769)]
    for poll in bad:
        with pytest.raises(discord.HTTPException) as err:
            await channel.send(poll=poll)
        assert err.value.status == 400 and err.value.code == 50035
    paths = [v.errors[0][0] for v in server.limit_violations]
    assert paths == [("poll", "question", "text"), ("poll", "answers"), ("poll", "answers"),
                     ("poll", "answers", 0, "poll_media", "text"), ("poll", "duration"), ("poll", "duration")]
    assert server.polls() == []

    # at the limits is fine: 300, 10 answers of 55, 768 hours (32 days)
    message = await channel.send(poll=paper_poll(question="q" * 300, answers=tuple("a" * 55 for _ in range(10)),
                                                 hours=768))
    assert len(message.poll.answers) == 10 and message.poll.duration == datetime.timedelta(hours=768)
    # a poll message cannot be edited, and an edit cannot add a poll
    with pytest.raises(discord.HTTPException) as err:
        await message.edit(content="changed my mind")
    assert err.value.code == 520003
    # End Poll: not for a message without a poll, nor for a member's poll
    plain = server.send_message("no poll here", channel="digest")
    with pytest.raises(discord.HTTPException) as err:
        await (await channel.fetch_message(plain.id)).end_poll()
    assert err.value.code == 520006
    theirs = server.send_message("", channel="digest", author="admin", poll={
        "question": {"text": "Lunch?"}, "answers": [{"poll_media": {"text": "Noodles"}}], "duration": 1})
    with pytest.raises(discord.Forbidden):
        await (await channel.fetch_message(theirs.id)).end_poll()
    assert len(server.limit_violations) == 9
    # the member's one-hour poll ends on time by itself, on the server's clock
    assert server.advance_clock(3600 - 0.2) == []
    await server.wait_for(lambda: server.get_message(theirs.id).poll["results"]["is_finalized"],
                          what="the poll to run out")
    assert not message.poll.is_finalized() and not server.get_message(message.id).poll["results"]["is_finalized"]


async def test_a_deferred_response_can_become_a_poll_but_nothing_else_can(server, bot):
    inter = server.send_interaction("poll", channel="general")
    final = await inter.wait_settled()
    assert [r.kind for r in inter.responses] == ["callback", "edit_original"]
    assert final is inter.original and not final.loading
    assert [a["poll_media"]["text"] for a in final.poll["answers"]] == ["Attention", "BERT", "ResNet"]
    assert server.polls() == [final]
    server.vote("member", final, 2)
    result = server.end_poll(final)  # its time runs out now
    assert {f["name"]: f["value"] for f in result.embeds[0]["fields"]}["victor_answer_text"] == "BERT"
    assert not server.limit_violations
