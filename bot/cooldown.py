"""The per-user cooldown on everything that calls the language model."""

from __future__ import annotations

import time

import discord
from discord import app_commands


class OnCooldown(app_commands.CheckFailure):
    def __init__(self, retry_after: float):
        super().__init__(f"on cooldown for {retry_after:.1f} s")
        self.retry_after = retry_after


class Cooldowns:
    """One cooldown per user, shared by all LLM-backed commands and channel questions,
    so switching commands does not get around it."""

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds, self._clock = seconds, clock
        self._until: dict[int, float] = {}

    def hit(self, user_id: int) -> float:
        """Seconds left to wait; 0 means go ahead (and the cooldown starts now)."""
        now = self._clock()
        left = self._until.get(user_id, 0.0) - now
        if left > 0:
            return left
        if len(self._until) > 1000:  # forget users whose cooldown is over
            self._until = {u: until for u, until in self._until.items() if until > now}
        self._until[user_id] = now + self.seconds
        return 0.0


def llm_cooldown():
    """App-command check: the caller's cooldown, when a language model answers."""

    async def predicate(interaction: discord.Interaction) -> bool:
        left = interaction.client.cooldown_left(interaction.user.id)
        if left:
            raise OnCooldown(left)
        return True

    return app_commands.check(predicate)
