"""A loopback Discord (REST API v10 + gateway) for end-to-end bot tests.

``DiscordServer`` runs an aiohttp application on ``127.0.0.1`` (a free port)
in a background thread with its own event loop.  The bot under test is a real
discord.py client running in the test's event loop; it talks real HTTP and a
real websocket to this server.  Nothing inside discord.py is mocked: only the
two base URLs are redirected.

Typical use (pytest-asyncio)::

    import discord, discord.gateway, discord.http, yarl
    from peers.discord import DiscordServer

    with DiscordServer() as server:
        discord.http.Route.BASE = server.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
        bot = MyBot(intents=..., guild_ready_timeout=0.1)
        task = asyncio.create_task(bot.start("any-token"))
        await asyncio.wait_for(bot.wait_until_ready(), 10)

        # a user runs /ask question:"what is attention?" in #ask-papers
        inter = server.send_interaction("ask", {"question": "what is attention?"},
                                        channel="ask-papers", user=server.member_id)
        await inter.wait_settled()                # defer + follow-up / edit arrived
        assert "Attention" in inter.final_message().content
        assert not server.limit_violations        # nothing Discord would reject

        # a user writes in a channel; the bot answers in a thread
        server.send_message("hi <@%d>" % server.bot_id, channel="general")
        thread = await server.wait_for_thread()
        reply = await server.wait_for_message(thread["id"])

        await bot.close(); await task
    # restore Route.BASE / DEFAULT_GATEWAY afterwards (see tests/test_discord_peer.py)

The world
---------
One guild (``guild_id``, ``guild_name``, owned by ``owner_id``), text channels
(``channels``: name -> id; by default ``general``, ``ask-papers``, ``digest``),
the bot user (``bot_id``; the application id ``application_id`` is the same
snowflake, as on real Discord), and human users: ``owner_id`` (guild owner),
``admin_id`` (role ``admin_role_id`` with Manage Server) and ``member_id`` (a
plain member).  ``add_user`` / ``add_channel`` / ``add_role`` extend it.  Wherever the API
takes a ``channel`` or ``user`` you may pass an id or a name
("ask-papers", "admin", "member", "owner", or a username).

Every id is a real snowflake generated from the current time, so discord.py's
``created_at``-based logic (e.g. interaction expiry) behaves normally.

Gateway
-------
``/gateway`` speaks JSON text frames (the ``compress`` query parameter that
discord.py adds is recorded and ignored; discord.py only inflates binary
frames).  HELLO -> IDENTIFY -> READY -> one GUILD_CREATE per guild; heartbeats
are ACKed; RESUME replays missed events and sends RESUMED; op 8 (request guild
members) is answered with GUILD_MEMBERS_CHUNK.  Events are filtered by the
IDENTIFY intents the way Discord does (no GUILD_MESSAGES -> no MESSAGE_CREATE;
no MESSAGE_CONTENT -> empty content/embeds/attachments/components unless the
bot wrote or is mentioned in the message).  Messages the bot posts are echoed
back as MESSAGE_CREATE, like real Discord, so a bot that does not ignore its
own messages misbehaves here too.  Requesting a privileged intent that is not
in ``privileged_intents`` closes the socket with 4014.

REST
----
Implemented (all under ``/api/v10``): users/@me, users/{id}, DM channel
creation, oauth2/applications/@me, gateway(/bot), application command
PUT/GET/POST/PATCH/DELETE (global and guild), guild/channel/role/member GETs,
channel messages (create/edit/delete/get/history), typing, reactions,
threads (from a message and standalone, join, active/archived lists),
poll answer voters and End Poll, interaction callbacks, ``@original`` get/edit/delete, follow-ups
create/get/edit/delete.  Any other route answers 200 ``{}`` (204 for DELETE)
and is recorded with ``unhandled=True`` (see ``unhandled_requests``).

Every response carries generous ``X-RateLimit-*`` headers and the bare
``Content-Type: application/json`` that discord.py's ``json_or_text``
requires.

Validation (what discord.py does not check but Discord rejects)
----------------------------------------------------------------
Every message-creating/editing request (channel messages, interaction
callbacks, ``@original`` edits, follow-ups) is checked: content <= 2000,
<= 10 embeds, title <= 256, description <= 4096, <= 25 fields, field name
<= 256 / value <= 1024 (both non-empty), footer <= 2048, author name <= 256,
<= 6000 embed characters per message, no empty messages, <= 5 action rows
of <= 5 components, button label <= 80, custom_id <= 100, <= 25 select
options.  Autocomplete results: <= 25 choices, names 1-100, string values
<= 100.  Modals: title <= 45.  Thread names 1-100.  Command sync payloads:
name/description/option/choice rules.  Interaction protocol: callback
within ``interaction_deadline`` seconds (3 s like Discord), only once,
follow-ups/edits only after it, callback type valid for the interaction type.
Channel posts need Send Messages.  A violation is answered with a
Discord-style error (400 + code 50035 and a nested ``errors`` object, or the
specific code) AND appended to ``limit_violations`` -- assert it stays empty.

Nonces: a channel message created with ``nonce`` and ``enforce_nonce`` is remembered
for ``nonce_ttl`` seconds; a second create with the same nonce in that channel returns
the first message, as Discord does.  Faults for crash tests: ``fail_next_create(channel, 500)`` stores the
next message and then answers 500; ``fail_next_create(channel, "hold")`` stores it and
never answers (``held_requests`` counts them) -- the bot can be killed meanwhile.

Direct messages: ``POST /users/@me/channels`` opens (or finds) a user's DM channel;
``dms_to(user)`` lists what the bot sent there.  ``close_dms(user)`` makes Discord refuse
messages to that user as it does for a member whose DMs are closed (or who blocked the
bot): 403 with code 50007 "Cannot send messages to this user" (not a violation: the bot
cannot know beforehand).

Polls (polls.py says where each shape comes from): a message created with a
``poll`` (channel, interaction response, follow-up, or an edit of a deferred
response) is checked as Discord checks it (question 1-300 characters, 1-10
answers of 1-55, duration 1-768 hours, no poll on other edits, no edit of a
poll message) and carries a poll object with ``answer_id`` 1..n, ``expiry``
and ``results``.  ``vote(member, message, answer_id)`` / ``unvote(...)``
change the counts and dispatch MESSAGE_POLL_VOTE_ADD / _REMOVE, which only
a bot with GUILD_MESSAGE_POLLS (``INTENTS["guild_polls"]``, in discord.py's
``Intents.default()``) receives.  A poll ends at its expiry on the server's
clock (``now()``, moved on by ``advance_clock(seconds)``), by ``end_poll(message)``,
or by the bot's End Poll: results become final, MESSAGE_UPDATE carries them,
and a POLL_RESULT message (type 46) follows.  ``polls()`` and
``voters(message, answer_id)`` let tests look.

Mentions: each message's ``allowed_mentions`` is recorded and
``MessageRecord.pings`` says who would really have been pinged (users, roles,
@everyone, replied user), using Discord's rules and the bot's permissions
(the bot role has Mention Everyone, i.e. worst case).

Deferred interactions follow Discord: the first follow-up after a type-5
defer *replaces* the loading message (it becomes ``@original`` and keeps the
defer's ephemerality).

Records (all read-only snapshots, safe from any thread): ``requests``,
``unhandled_requests``, ``limit_violations``, ``interactions``,
``all_messages``, ``messages_in(channel)``, ``threads``, ``synced_commands``,
``command_syncs``, ``global_commands``, ``guild_commands``,
``identify_payloads``, ``intents``, ``gateway_connections``, ``dispatched``,
``reactions``, ``typing``, ``presences``.

Threading: user actions (``send_interaction``, ``send_message``, ``click``,
...) are plain functions that build the payload, hand it to the server loop
and return at once; they never wait on the bot, so calling them from the
bot's event loop cannot deadlock.  Waiting is done with the ``async``
``wait_*`` helpers (polling, they yield to the bot) or, from another thread,
with the blocking ``Interaction.wait_until``.

Layout
------
``server.py`` composes ``DiscordServer`` from one mixin per room: ``world.py``
(guild, users, roles, channels, permissions), ``queries.py`` (records and
waits for tests), ``members.py`` and ``interactions.py`` (what people do),
``messages.py`` (the message store), ``gateway.py`` (websocket sessions and
DISPATCH), ``rest.py`` (plumbing and the route table) with its handlers in
``guild.py``, ``commands.py``, ``channels.py`` and ``responses.py``,
``polls.py`` (native polls) and ``faults.py``.  ``records.py`` holds what
tests read, ``validation.py`` what Discord rejects, ``constants.py``
Discord's numbers.

discord.py 2.7.1 quirks this server accounts for
------------------------------------------------
* ``json_or_text`` parses JSON only if Content-Type is exactly
  ``application/json``; aiohttp's ``json_response`` appends a charset, so
  responses are built by hand.
* ``DiscordWebSocket.DEFAULT_GATEWAY`` is a ``yarl.URL``; ``from_client``
  appends ``?v=10&encoding=json&compress=zlib-stream`` (``zstd-stream`` when
  zstandard is importable).  Only *binary* frames are inflated, so plain
  text frames work whatever ``compress`` says.  Resumes go to READY's
  ``resume_gateway_url``.  A plain Client never calls ``GET /gateway/bot``.
* ``Client.close()`` asks for close code 1000, but aiohttp first wakes the
  pending ``receive()`` and ``poll_event`` closes with **4000** -- so the
  server normally records 4000 for a clean shutdown.
* The command tree looks an interaction up by ``data.guild_id``: guild
  commands need it, global ones must not have it (else CommandNotFound);
  ``send_interaction`` sets it from where the command was synced.
* A thread started from a message has the message's id; discord.py builds
  the Thread from the REST answer but only caches it on THREAD_CREATE.
* ``with_response=1`` callbacks must answer ``{"interaction": {...},
  "resource": {...}}``; ``resource.message`` becomes the InteractionMessage.
* Interaction ``id`` must be a current snowflake (expiry is derived from it).
"""

from .constants import INTENTS, PERMISSIONS
from .records import CommandSync, Interaction, MessageRecord, RequestRecord, ResponseEvent, Violation
from .server import DiscordServer
from .validation import DiscordError

__all__ = [
    "DiscordServer",
    "Interaction",
    "MessageRecord",
    "RequestRecord",
    "ResponseEvent",
    "Violation",
    "CommandSync",
    "DiscordError",
    "INTENTS",
    "PERMISSIONS",
]

