"""REST plumbing: the route table, request bodies (JSON or multipart), Discord's
response headers, and recording every request."""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any, Callable

from aiohttp import web

from .records import MessageRecord, RequestRecord, Violation
from .validation import DiscordError


class RestMixin:
    """REST side of :class:`DiscordServer`; the handlers live in guild.py, commands.py,
    channels.py, polls.py and responses.py."""
    def _build_routes(self) -> list[tuple[str, re.Pattern, Callable, str]]:
        """(method, compiled path regex, handler, bucket key); first match wins."""
        s = r"(\d+)"
        table = [
            ("GET", r"/gateway", self._r_gateway),
            ("GET", r"/gateway/bot", self._r_gateway),
            ("GET", r"/users/@me", self._r_me),
            ("GET", rf"/users/{s}", self._r_user),
            ("POST", r"/users/@me/channels", self._r_create_dm),
            ("GET", r"/oauth2/applications/@me", self._r_app),
            ("GET", r"/applications/@me", self._r_app),
            ("PUT", rf"/applications/{s}/commands", self._r_put_commands),
            ("GET", rf"/applications/{s}/commands", self._r_get_commands),
            ("POST", rf"/applications/{s}/commands", self._r_upsert_command),
            ("GET", rf"/applications/{s}/commands/{s}", self._r_get_command),
            ("PATCH", rf"/applications/{s}/commands/{s}", self._r_edit_command),
            ("DELETE", rf"/applications/{s}/commands/{s}", self._r_delete_command),
            ("PUT", rf"/applications/{s}/guilds/{s}/commands", self._r_put_commands),
            ("GET", rf"/applications/{s}/guilds/{s}/commands", self._r_get_commands),
            ("POST", rf"/applications/{s}/guilds/{s}/commands", self._r_upsert_command),
            ("GET", rf"/applications/{s}/guilds/{s}/commands/permissions", self._r_command_permissions),
            ("GET", rf"/applications/{s}/guilds/{s}/commands/{s}", self._r_get_command),
            ("PATCH", rf"/applications/{s}/guilds/{s}/commands/{s}", self._r_edit_command),
            ("DELETE", rf"/applications/{s}/guilds/{s}/commands/{s}", self._r_delete_command),
            ("GET", rf"/guilds/{s}", self._r_guild),
            ("GET", rf"/guilds/{s}/channels", self._r_guild_channels),
            ("GET", rf"/guilds/{s}/roles", self._r_guild_roles),
            ("GET", rf"/guilds/{s}/members", self._r_guild_members),
            ("GET", rf"/guilds/{s}/members/{s}", self._r_guild_member),
            ("GET", rf"/guilds/{s}/threads/active", self._r_active_threads),
            ("GET", rf"/channels/{s}", self._r_channel),
            ("GET", rf"/channels/{s}/messages", self._r_history),
            ("POST", rf"/channels/{s}/messages", self._r_create_message),
            ("GET", rf"/channels/{s}/messages/{s}", self._r_get_message),
            ("PATCH", rf"/channels/{s}/messages/{s}", self._r_edit_message),
            ("DELETE", rf"/channels/{s}/messages/{s}", self._r_delete_message),
            ("POST", rf"/channels/{s}/typing", self._r_typing),
            ("PUT", rf"/channels/{s}/messages/{s}/reactions/([^/]+)/@me", self._r_add_reaction),
            ("DELETE", rf"/channels/{s}/messages/{s}/reactions/([^/]+)/@me", self._r_remove_reaction),
            ("POST", rf"/channels/{s}/messages/{s}/threads", self._r_thread_from_message),
            ("GET", rf"/channels/{s}/polls/{s}/answers/(\d+)", self._r_poll_voters),
            ("POST", rf"/channels/{s}/polls/{s}/expire", self._r_end_poll),
            ("POST", rf"/channels/{s}/threads", self._r_thread),
            ("PUT", rf"/channels/{s}/thread-members/@me", self._r_no_content),
            ("DELETE", rf"/channels/{s}/thread-members/@me", self._r_no_content),
            ("GET", rf"/channels/{s}/threads/archived/(?:public|private)", self._r_archived_threads),
            ("GET", rf"/channels/{s}/users/@me/threads/archived/private", self._r_archived_threads),
            ("POST", rf"/interactions/{s}/([^/]+)/callback", self._r_callback),
            ("GET", rf"/webhooks/{s}/([^/]+)/messages/@original", self._r_get_original),
            ("PATCH", rf"/webhooks/{s}/([^/]+)/messages/@original", self._r_edit_original),
            ("DELETE", rf"/webhooks/{s}/([^/]+)/messages/@original", self._r_delete_original),
            ("POST", rf"/webhooks/{s}/([^/]+)", self._r_followup),
            ("GET", rf"/webhooks/{s}/([^/]+)/messages/{s}", self._r_get_followup),
            ("PATCH", rf"/webhooks/{s}/([^/]+)/messages/{s}", self._r_edit_followup),
            ("DELETE", rf"/webhooks/{s}/([^/]+)/messages/{s}", self._r_delete_followup),
        ]
        return [(m, re.compile(p + "$"), fn, f"{m} {p}") for m, p, fn in table]

    async def _read_body(self, request: web.Request) -> tuple[Any, list]:
        files: list = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            payload = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                blob = await part.read(decode=False)
                if part.name == "payload_json":
                    payload = json.loads(blob.decode("utf-8"))
                elif part.filename is not None:
                    files.append((part.name, part.filename, bytes(blob)))
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw.decode("utf-8")), files
        except ValueError:
            return raw.decode("utf-8", "replace"), files

    def _response(self, status: int, body: Any, route_key: str) -> web.Response:
        bucket = hashlib.sha1(route_key.encode()).hexdigest()[:32]
        headers = {
            "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1.0:.3f}", "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket, "X-RateLimit-Scope": "user",
        }
        if status == 204 or body is None:
            return web.Response(status=204 if status < 300 else status, headers=headers)
        # discord.py's json_or_text wants *exactly* "application/json" (no charset)
        headers["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode("utf-8"), headers=headers)

    async def _handle_rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = RequestRecord(method=request.method, path=path, query=dict(request.query), json=body,
                               files=files, headers={k: v for k, v in request.headers.items()
                                                     if k.lower() in ("authorization", "x-audit-log-reason",
                                                                      "content-type", "user-agent")})
        with self._lock:
            self._requests.append(record)
        route_key = f"{request.method} {path}"
        try:
            if self.token is not None and not path.startswith(("/interactions/", "/webhooks/")):
                if request.headers.get("Authorization") != f"Bot {self.token}":
                    raise DiscordError(401, 0, "401: Unauthorized")
            for method, rx, fn, key in self._route_table:
                if method != request.method:
                    continue
                m = rx.match(path)
                if m:
                    record.route, route_key = key, key
                    status, out = await fn(record, *m.groups())
                    break
            else:
                record.unhandled = True
                status, out = (204, None) if request.method == "DELETE" else (200, {})
        except DiscordError as exc:
            status, out = exc.status, exc.body()
            if exc.violation:
                with self._lock:
                    self._violations.append(Violation(exc.violation, request.method, path, exc.status, exc.code,
                                                      exc.message, exc.errors, record))
        with self._lock:
            record.status, record.response = status, out
            self._cond.notify_all()
        return self._response(status, out, route_key)

    async def _handle_attachment(self, request: web.Request) -> web.Response:
        aid = request.match_info["attachment_id"]
        with self._lock:
            for m in self._messages.values():
                for att, (filename, blob) in zip(m.attachments, m.files):
                    if att["id"] == aid:
                        return web.Response(body=blob, content_type=att["content_type"])
        return web.Response(status=404)

    # Each handler: async (record, *path_groups) -> (status, body)

    def _files(self, record: RequestRecord) -> list[tuple[str, bytes]]:
        return [(fn, blob) for _name, fn, blob in record.files]

    def _known_channel(self, cid: str) -> dict:
        ch = self._channels.get(int(cid))
        if ch is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return ch

    def _known_message(self, cid: str, mid: str) -> MessageRecord:
        rec = self._messages.get(int(mid))
        if rec is None or rec.deleted or rec.channel_id != int(cid):
            raise DiscordError(404, 10008, "Unknown Message")
        return rec

    async def _r_no_content(self, record, *_):
        return 204, None
