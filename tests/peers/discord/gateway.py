"""The gateway: websocket sessions, IDENTIFY/RESUME, intent filtering and DISPATCH."""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import threading
from typing import Any, Callable, Optional

from aiohttp import WSMsgType, web

from .constants import INTENTS, PRIVILEGED_INTENTS


class GatewaySession:
    """A gateway session (survives reconnects for RESUME)."""

    def __init__(self, session_id: str, intents: int, identify: dict):
        self.session_id = session_id
        self.intents = intents
        self.identify = identify
        self.seq = 0
        self.buffer: list[dict] = []  # every dispatched frame, for RESUME replay
        self.conn: Optional[GatewayConnection] = None


class GatewayConnection:
    def __init__(self, ws: web.WebSocketResponse, query: dict, path: str):
        self.ws = ws
        self.query = query
        self.path = path
        self.queue: asyncio.Queue = asyncio.Queue()
        self.session: Optional[GatewaySession] = None
        self.closed = False
        self.heartbeats = 0

    def send(self, frame: dict) -> None:
        if not self.closed:
            self.queue.put_nowait(frame)


class GatewayMixin:
    """Gateway side of :class:`DiscordServer` (its state is set up in server.py)."""

    def _call_in_loop(self, fn: Callable, *args: Any) -> None:
        loop = self._loop
        if loop is None:
            return
        if threading.current_thread() is self._thread:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def _filter_for_session(self, session: GatewaySession, event: str, data: dict) -> Optional[dict]:
        intents = session.intents
        if event.startswith("MESSAGE_REACTION"):
            return data if intents & INTENTS["guild_reactions"] else None
        if event.startswith("MESSAGE_POLL_VOTE"):
            return data if intents & INTENTS["guild_polls" if "guild_id" in data else "dm_polls"] else None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"):
            is_dm = "guild_id" not in data
            if not intents & INTENTS["dm_messages" if is_dm else "guild_messages"]:
                return None
            if event != "MESSAGE_DELETE" and not intents & INTENTS["message_content"] and not is_dm:
                author = int(data.get("author", {}).get("id", 0))
                mentioned = any(int(m["id"]) == self.bot_id for m in data.get("mentions", []))
                if author != self.bot_id and not mentioned:
                    data = dict(data, content="", embeds=[], attachments=[], components=[])
                    data.pop("poll", None)
        if event.startswith(("THREAD_", "CHANNEL_", "GUILD_")) and not intents & INTENTS["guilds"]:
            if event not in ("GUILD_CREATE", "GUILD_MEMBERS_CHUNK"):
                return None
        return data

    def _dispatch(self, event: str, data: dict) -> None:
        """Send a DISPATCH to every identified session (server loop only)."""
        with self._lock:
            self._dispatched.append((event, data))
            sessions = list(self._sessions.values())
            for session in sessions:
                filtered = self._filter_for_session(session, event, data)
                if filtered is None:
                    continue
                session.seq += 1
                frame = {"op": 0, "t": event, "s": session.seq, "d": filtered}
                session.buffer.append(frame)
                if session.conn is not None:
                    session.conn.send(frame)
            self._cond.notify_all()

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, dict(request.query), request.path)
        info = {"path": request.path, "query": dict(request.query), "ops": [], "resumed": False,
                "close_code": None}
        with self._lock:
            self._connections.append(conn)
            self._gateway_connections.append(info)
            conn_index = len(self._gateway_connections) - 1

        async def writer() -> None:
            while True:
                frame = await conn.queue.get()
                if frame is None:
                    break
                try:
                    await ws.send_str(json.dumps(frame))
                except (ConnectionError, RuntimeError):
                    break
                if frame.get("op") == -1:  # pragma: no cover
                    break

        writer_task = asyncio.ensure_future(writer())
        conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms,
                                   "_trace": ["loopback-gateway"]}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        await self._close_conn(conn, 4002, "Decode error")
                        break
                    with self._lock:
                        self._gateway_connections[conn_index]["ops"].append(frame.get("op"))
                    close = await self._on_gateway_frame(conn, frame)
                    if close:
                        with self._lock:
                            self._gateway_connections[conn_index]["close_code"] = close[0]
                        await self._close_conn(conn, *close)
                        break
                elif msg.type == WSMsgType.BINARY:
                    await self._close_conn(conn, 4002, "Binary frames are not supported by the loopback")
                    break
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            conn.closed = True
            conn.queue.put_nowait(None)
            with self._lock:
                if conn.session is not None and conn.session.conn is conn:
                    conn.session.conn = None
                if conn in self._connections:
                    self._connections.remove(conn)
                if self._gateway_connections[conn_index]["close_code"] is None:
                    self._gateway_connections[conn_index]["close_code"] = ws.close_code
                self._cond.notify_all()
            try:
                await asyncio.wait_for(writer_task, 1)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                writer_task.cancel()
        return ws

    async def _close_conn(self, conn: GatewayConnection, code: int, reason: str) -> None:
        # let queued frames go out first
        for _ in range(50):
            if conn.queue.empty():
                break
            await asyncio.sleep(0.01)
        conn.closed = True
        await conn.ws.close(code=code, message=reason.encode())

    async def _on_gateway_frame(self, conn: GatewayConnection, frame: dict) -> Optional[tuple[int, str]]:
        op, d = frame.get("op"), frame.get("d")
        if op == 1:  # heartbeat
            conn.heartbeats += 1
            conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # identify
            return self._identify(conn, d or {})
        elif op == 6:  # resume
            return self._resume(conn, d or {})
        elif op == 3:  # presence
            with self._lock:
                self._presences.append(d)
        elif op == 8:  # request guild members
            self._members_chunk(conn, d or {})
        elif op in (4,):  # voice state: ignore
            pass
        else:
            return 4001, "Unknown opcode"
        return None

    def _identify(self, conn: GatewayConnection, d: dict) -> Optional[tuple[int, str]]:
        if conn.session is not None:
            return 4005, "Already authenticated"
        if self.token is not None and d.get("token") != self.token:
            return 4004, "Authentication failed"
        intents = d.get("intents")
        if intents is None:
            return 4013, "Invalid intent(s)"
        disallowed = [n for n in PRIVILEGED_INTENTS if intents & INTENTS[n] and n not in self.privileged_intents]
        with self._lock:
            self._identifies.append(copy.deepcopy(d))
        if disallowed:
            return 4014, "Disallowed intent(s)"
        session = GatewaySession(secrets.token_hex(16), intents, d)
        ready = {
            "v": 10, "user": dict(self.users[self.bot_id], verified=True, mfa_enabled=False, email=None,
                                  locale="en-US"),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": session.session_id, "resume_gateway_url": self.gateway_url,
            "session_type": "normal", "application": {"id": str(self.application_id), "flags": self.app_flags},
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "user_settings": {}, "geo_ordered_rtc_regions": ["loopback"], "auth": {},
            "_trace": ["loopback-gateway"],
        }
        if d.get("shard"):
            ready["shard"] = d["shard"]
        with self._lock:
            self._sessions[session.session_id] = session
            session.conn = conn
            conn.session = session
            # READY and GUILD_CREATE go to this session only
            for event, data in (("READY", ready), ("GUILD_CREATE", self._guild_payload(full=True))):
                session.seq += 1
                frame = {"op": 0, "t": event, "s": session.seq, "d": data}
                session.buffer.append(frame)
                conn.send(frame)
                self._dispatched.append((event, data))
            self._ready_sessions += 1
            self._cond.notify_all()
        return None

    def _resume(self, conn: GatewayConnection, d: dict) -> Optional[tuple[int, str]]:
        with self._lock:
            session = self._sessions.get(d.get("session_id") or "")
            if session is None or (self.token is not None and d.get("token") != self.token):
                conn.send({"op": 9, "d": False, "s": None, "t": None})
                return None
            seq = d.get("seq") or 0
            if session.conn is not None and session.conn is not conn:
                session.conn.closed = True
            session.conn = conn
            conn.session = session
            for frame in session.buffer:
                if frame["s"] > seq:
                    conn.send(frame)
            session.seq += 1
            frame = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["loopback-gateway"]}}
            session.buffer.append(frame)
            conn.send(frame)
            for info in reversed(self._gateway_connections):
                if info["ops"] and info["ops"][-1] == 6:
                    info["resumed"] = True
                    break
            self._cond.notify_all()
        return None

    def _members_chunk(self, conn: GatewayConnection, d: dict) -> None:
        with self._lock:
            ids = d.get("user_ids")
            query = (d.get("query") or "").lower()
            limit = d.get("limit") or 0
            members = []
            for uid, u in self.users.items():
                if ids is not None and str(uid) not in {str(i) for i in (ids if isinstance(ids, list) else [ids])}:
                    continue
                if query and not u["username"].lower().startswith(query):
                    continue
                members.append(self._member_payload(uid))
            if limit:
                members = members[:limit]
            data = {"guild_id": str(self.guild_id), "members": members, "chunk_index": 0, "chunk_count": 1,
                    "not_found": [], "nonce": d.get("nonce")}
            if conn.session is not None:
                conn.session.seq += 1
                frame = {"op": 0, "t": "GUILD_MEMBERS_CHUNK", "s": conn.session.seq, "d": data}
                conn.session.buffer.append(frame)
                conn.send(frame)


    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every live connection (the bot should RESUME)."""
        def go():
            for conn in list(self._connections):
                conn.send({"op": 7, "d": None, "s": None, "t": None})
        self._call_in_loop(go)
