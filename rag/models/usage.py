"""What the model costs and who may spend it: the ledger of model calls, the price
table, and budgets.

Every call is a row in `model_calls` (see `rag/migrations/0002_usage.sql`): tokens as
the server reported them, or a local count marked as estimated when it reported none;
cost from `[prices]`, or unknown (NULL, never a silent 0) for a model without a price.
Days and months are UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from rag.config import BudgetSettings, Limits, Price
from rag.records import Database, utc_now

ANSWER_OPERATIONS = ("ask", "summarize", "compare", "recommend", "digest")


@dataclass(frozen=True)
class Caller:
    """Who a model call is for: a Discord member (ID, server, roles) or the command line."""

    user: str = "cli"
    guild: str = ""
    roles: tuple[str, ...] = ()  # role IDs and names, for budget tiers
    unlimited: bool = False  # no per-member limits (admins, the operator, the bot's own digest)


CLI = Caller("cli", unlimited=True)
BOT = Caller("paperbot", unlimited=True)


def day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: dt.datetime) -> dt.datetime:
    return day_start(now).replace(day=1)


def next_month(now: dt.datetime) -> dt.datetime:
    start = month_start(now)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def cost(prices: dict[str, Price], model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    price = prices.get(model)
    if price is None:
        return None
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


class Ledger:
    def __init__(self, db: Database, prices: dict[str, Price], clock=utc_now):
        self.db, self.prices, self.clock = db, prices, clock

    def record(self, *, caller: Caller, operation: str, model: str, prompt_tokens: int = 0,
               completion_tokens: int = 0, estimated: bool = False, seconds: float = 0.0, outcome: str = "ok",
               cached: bool = False, saved_usd: float | None = None) -> int:
        """One model call (or cache hit); returns its row ID."""
        spent = 0.0 if cached else cost(self.prices, model, prompt_tokens, completion_tokens)
        with self.db.transaction() as tx:
            row = tx.execute(
                "INSERT INTO model_calls (at, guild, user, operation, model, prompt_tokens, completion_tokens, "
                "estimated, cost_usd, cached, saved_usd, seconds, outcome) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.clock().isoformat(), caller.guild, caller.user, operation, model, prompt_tokens,
                 completion_tokens, int(estimated), spent, int(cached), saved_usd, round(seconds, 3), outcome))
            return row.lastrowid

    def amend(self, call_id: int, outcome: str) -> None:
        """A call's outcome decided after it returned (e.g. its answer was not shown)."""
        self.db.execute("UPDATE model_calls SET outcome = ? WHERE id = ?", (outcome, call_id))

    def spent(self, since: dt.datetime, *, user: str | None = None, guild: str | None = None) -> dict:
        """Answers asked of the model, tokens and cost of real calls (not cache hits) since a
        moment, for a member or a server. Extra calls made for an answer (query rewriting)
        count in tokens and cost, not as requests."""
        where, params = ["at >= ?", "cached = 0"], [since.isoformat()]
        if user is not None:
            where.append("user = ?")
            params.append(user)
        if guild is not None:
            where.append("guild = ?")
            params.append(guild)
        (row,) = self.db.query(
            f"SELECT COALESCE(SUM(operation IN ({','.join('?' * len(ANSWER_OPERATIONS))})), 0) AS requests, "
            "COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, "
            f"COALESCE(SUM(cost_usd), 0) AS cost FROM model_calls WHERE {' AND '.join(where)}",
            (*ANSWER_OPERATIONS, *params))
        return dict(row)

    def report(self, since: dt.datetime, until: dt.datetime | None = None, guild: str | None = None) -> dict:
        """Totals and breakdowns (per user, operation, model) of the calls in a period."""
        where, params = ["at >= ?"], [since.isoformat()]
        if until is not None:
            where.append("at < ?")
            params.append(until.isoformat())
        if guild is not None:
            where.append("guild = ?")
            params.append(guild)
        rows = self.db.query(f"SELECT * FROM model_calls WHERE {' AND '.join(where)}", tuple(params))

        def empty() -> dict:
            return {"calls": 0, "cached": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0,
                    "unpriced_calls": 0, "estimated_calls": 0, "saved_usd": 0.0, "fallbacks": 0, "errors": 0}

        total, by = empty(), {"user": defaultdict(empty), "operation": defaultdict(empty), "model": defaultdict(empty)}
        for row in rows:
            for block in (total, by["user"][row["user"]], by["operation"][row["operation"]], by["model"][row["model"]]):
                block["calls"] += 1
                block["cached"] += row["cached"]
                block["prompt_tokens"] += row["prompt_tokens"]
                block["completion_tokens"] += row["completion_tokens"]
                block["estimated_calls"] += row["estimated"]
                block["saved_usd"] += row["saved_usd"] or 0.0
                block["fallbacks"] += row["outcome"].startswith("fallback")
                block["errors"] += row["outcome"].startswith("error")
                if row["cost_usd"] is None:
                    block["unpriced_calls"] += 1
                else:
                    block["cost_usd"] += row["cost_usd"]
        return {"since": since.isoformat(), "until": until.isoformat() if until else None, "total": total,
                **{f"by_{name}": dict(sorted(blocks.items(), key=lambda kv: -kv[1]["cost_usd"]))
                   for name, blocks in by.items()}}


@dataclass(frozen=True)
class OverBudget:
    """A limit reached: which, how far, and when it resets."""

    limit: str  # requests | tokens | guild_cost
    allowed: float
    used: float
    resets: dt.datetime


class Budget:
    def __init__(self, settings: BudgetSettings, ledger: Ledger):
        self.settings, self.ledger = settings, ledger

    def limits_for(self, caller: Caller) -> Limits:
        """The base limits, or the most generous tier among the caller's roles (0 = none wins)."""
        options = [Limits(self.settings.user_daily_requests, self.settings.user_daily_tokens)]
        options += [self.settings.tiers[r] for r in caller.roles if r in self.settings.tiers]

        def most(values: list[int]) -> int:
            return 0 if 0 in values else max(values)

        return Limits(most([o.user_daily_requests for o in options]), most([o.user_daily_tokens for o in options]))

    def check(self, caller: Caller) -> OverBudget | None:
        """None when the caller may use the model now."""
        now = self.ledger.clock()
        if self.settings.guild_monthly_usd and caller.guild:
            month = self.ledger.spent(month_start(now), guild=caller.guild)
            if month["cost"] >= self.settings.guild_monthly_usd:
                return OverBudget("guild_cost", self.settings.guild_monthly_usd, month["cost"], next_month(now))
        if caller.unlimited:
            return None
        limits = self.limits_for(caller)
        if not (limits.user_daily_requests or limits.user_daily_tokens):
            return None
        today = self.ledger.spent(day_start(now), user=caller.user)
        tomorrow = day_start(now) + dt.timedelta(days=1)
        if limits.user_daily_requests and today["requests"] >= limits.user_daily_requests:
            return OverBudget("requests", limits.user_daily_requests, today["requests"], tomorrow)
        if limits.user_daily_tokens and today["tokens"] >= limits.user_daily_tokens:
            return OverBudget("tokens", limits.user_daily_tokens, today["tokens"], tomorrow)
        return None
