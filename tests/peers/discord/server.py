"""``DiscordServer``: the loopback Discord composed from its parts (see the package docstring)."""

from __future__ import annotations

import itertools
import threading
from typing import Iterable, Optional, Union

from aiohttp import web

from ..loopback import LoopbackServer
from .channels import ChannelRoutes
from .commands import CommandRoutes
from .constants import API_PREFIX, PRIVILEGED_INTENTS
from .faults import FaultsMixin
from .gateway import GatewayConnection, GatewayMixin, GatewaySession
from .guild import GuildRoutes
from .interactions import InteractionsMixin
from .members import MembersMixin
from .messages import MessagesMixin
from .polls import PollsMixin
from .queries import QueriesMixin
from .records import CommandSync, Interaction, MessageRecord, RequestRecord, Violation
from .responses import ResponseRoutes
from .rest import RestMixin
from .world import WorldMixin


class DiscordServer(WorldMixin, QueriesMixin, MembersMixin, InteractionsMixin, MessagesMixin, GatewayMixin,
                    RestMixin, GuildRoutes, CommandRoutes, ChannelRoutes, ResponseRoutes, PollsMixin, FaultsMixin,
                    LoopbackServer):
    """A loopback Discord. See the package docstring (peers/discord/__init__.py).

    Parameters
    ----------
    guild_name, channel_names: the world to create.
    bot_name: the bot's username.
    token: if given, REST calls without ``Authorization: Bot <token>`` get 401
        (and IDENTIFY with another token is closed with 4004).
    heartbeat_interval_ms: sent in HELLO.
    interaction_deadline: seconds the bot has to send the interaction callback.
    privileged_intents: privileged intents the application is allowed to use.
    echo_bot_messages: dispatch MESSAGE_CREATE for the bot's own messages.
    nonce_ttl: seconds a message nonce is enforced (Discord: a few minutes); 0 turns it off.
    """

    _loop_thread_name = "discord-loopback"

    def __init__(self, *, guild_name: str = "Paper Reading Club",
                 channel_names: Iterable[str] = ("general", "ask-papers", "digest"),
                 bot_name: str = "PaperBot", token: Optional[str] = None,
                 heartbeat_interval_ms: int = 41250, interaction_deadline: float = 3.0,
                 privileged_intents: Iterable[str] = PRIVILEGED_INTENTS,
                 echo_bot_messages: bool = True, nonce_ttl: float = 300.0):
        self.token = token
        self.nonce_ttl = nonce_ttl
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.privileged_intents = tuple(privileged_intents)
        self.echo_bot_messages = echo_bot_messages

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._last_snowflake = 0
        self._seq_counter = itertools.count(1)

        # network (thread, loop, port: see LoopbackServer)
        super().__init__()

        # records
        self._requests: list[RequestRecord] = []
        self._violations: list[Violation] = []
        self._interactions: dict[str, Interaction] = {}  # token -> record
        self._interaction_list: list[Interaction] = []
        self._messages: dict[int, MessageRecord] = {}
        self._message_order: list[int] = []
        self._thread_ids: list[int] = []
        self._command_syncs: list[CommandSync] = []
        self._global_commands: list[dict] = []
        self._guild_commands: dict[int, list[dict]] = {}
        self._identifies: list[dict] = []
        self._gateway_connections: list[dict] = []
        self._dispatched: list[tuple[str, dict]] = []
        self._reactions: list[dict] = []
        self._typing: list[int] = []
        self._presences: list[dict] = []
        self._sessions: dict[str, GatewaySession] = {}
        self._connections: list[GatewayConnection] = []
        self._ready_sessions = 0
        self._route_table = self._build_routes()
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}  # (channel, nonce) -> first message, when
        self._create_faults: list[tuple[int, Union[int, str], int]] = []  # (channel, fault, creates to let by)
        self._held = 0
        self._closed_dms: set[int] = set()  # users whose DMs refuse the bot (see close_dms)
        self._poll_votes: dict[int, dict[int, list[int]]] = {}  # poll message -> answer id -> voters
        self._poll_expiry: dict[int, float] = {}  # open polls: message id -> when they end (server clock)
        self._clock_offset = 0.0  # what advance_clock added to the wall clock

        self._build_world(guild_name, channel_names, bot_name)

    # -- lifecycle

    def start(self) -> "DiscordServer":
        if self._thread is not None:  # unlike LLMServer, starting twice is a no-op
            return self
        return super().start()

    @property
    def port(self) -> Optional[int]:  # None until started (LLMServer's raises instead)
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._handle_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_rest)
        return app

    async def _shutdown(self) -> None:
        for conn in list(self._connections):
            conn.closed = True
            try:
                await conn.ws.close(code=1001, message=b"server stopping")
            except Exception:
                pass
        await super()._shutdown()
