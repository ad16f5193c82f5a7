"""`paperbot run`, the unmodified command in a subprocess, as an operator starts it:
one clear line when the token is missing or rejected, and a working bot when Discord
(here a loopback one, through DISCORD_API_BASE / DISCORD_GATEWAY_URL) accepts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import SEED
from peers.discord import DiscordServer

PAPERBOT = str(Path(sys.executable).parent / "paperbot")
TOKEN = "loopback-bot-token"


def environment(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISCORD_TOKEN", "DISCORD_API_BASE", "DISCORD_GATEWAY_URL", "PAPERBOT_CONFIG")}
    return {**env, **extra}


def discord_env(server: DiscordServer, token: str) -> dict:
    return environment(DISCORD_TOKEN=token, DISCORD_API_BASE=server.api_base, DISCORD_GATEWAY_URL=server.gateway_url)


def write_config(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "config.toml"
    arxiv = "" if "[arxiv]" in text else "[arxiv]\nenrich = false\n"  # tests stay on 127.0.0.1
    path.write_text(f'[data]\ntables = []\nstate_dir = "state"\n{arxiv}{text}', encoding="utf-8")
    return path


def run(config: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([PAPERBOT, "--config", str(config), "run"], env=env, capture_output=True, text=True,
                          timeout=60)


def test_without_a_token_it_says_so_in_one_line(tmp_path):
    result = run(write_config(tmp_path), environment())
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "paperbot: DISCORD_TOKEN is not set: copy your bot's token from the Discord Developer Portal "
        "(your application → Bot → Reset Token) and export DISCORD_TOKEN=<token>"]
    assert not (tmp_path / "state").exists()  # nothing was opened


def test_a_rejected_token_is_one_line_too(tmp_path):
    with DiscordServer(token=TOKEN) as server:
        result = run(write_config(tmp_path), discord_env(server, "not-the-token"))
        assert server.requests_to("GET", "/users/@me")[0].status == 401
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"paperbot: Discord rejected DISCORD_TOKEN ({server.api_base}): reset the token in the Discord Developer "
        "Portal (your application → Bot → Reset Token) and export the new one"]
    assert "not-the-token" not in result.stderr


def test_a_refused_message_content_intent_says_where_to_enable_it(tmp_path):
    with DiscordServer(token=TOKEN, privileged_intents=()) as server:
        result = run(write_config(tmp_path), discord_env(server, TOKEN))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    # Logging in worked (and says so); the gateway refused the intent.
    assert result.stderr.splitlines()[-1] == (
        "paperbot: Discord refused the Message Content intent: enable it in the Discord Developer Portal "
        "(your application → Bot → Privileged Gateway Intents → Message Content Intent)")


def test_the_unmodified_command_logs_in_and_answers_paper(tmp_path, llm_server):
    # Embeddings from the loopback OpenAI-compatible server keep the first-use ingest quick.
    config = write_config(tmp_path, f'[embedding]\nbackend = "openai"\nmodel = "test-embed"\n'
                                    f'api_base = "{llm_server.base_url}"\n')
    config.write_text(config.read_text().replace("tables = []", f'tables = ["{SEED}"]'))
    with DiscordServer(token=TOKEN) as server:
        bot = subprocess.Popen([PAPERBOT, "--config", str(config), "run"], env=discord_env(server, TOKEN),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not server.connected:
                assert bot.poll() is None, bot.communicate()[1]
                assert time.monotonic() < deadline, "paperbot run did not connect"
                time.sleep(0.1)
            assert server.command_syncs[-1].scope == "global"
            inter = server.send_interaction("paper", {"id": "2405.14831"})
            inter.wait_until(lambda i: i.settled, timeout=10)
            (embed,) = inter.final_message().embeds
            assert embed["title"].startswith("HippoRAG") and embed["url"] == "https://arxiv.org/abs/2405.14831"
        finally:
            bot.send_signal(signal.SIGTERM)  # how a service manager stops it
            out, err = bot.communicate(timeout=20)
        assert bot.returncode == 0, err
        assert server.identify_payloads[0]["token"] == TOKEN
        assert not server.limit_violations
    assert "INFO bot.app: logged in as PaperBot" in err and "Traceback" not in err
    assert TOKEN not in out + err


def start(config: Path, server: DiscordServer) -> subprocess.Popen:
    bot = subprocess.Popen([PAPERBOT, "--config", str(config), "run"], env=discord_env(server, TOKEN),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return bot


def wait(condition, bot: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert bot.poll() is None, bot.communicate()[1]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_digest_is_posted_exactly_once_when_the_bot_is_killed_mid_post(tmp_path, llm_server):
    import datetime as dt

    from bot.schedule import WEEKDAYS, latest_slot
    from bot.state import DigestState, GuildDigest
    from rag.records import Database

    config = write_config(tmp_path, f'[embedding]\nbackend = "openai"\nmodel = "test-embed"\n'
                                    f'api_base = "{llm_server.base_url}"\n')
    config.write_text(config.read_text().replace("tables = []", f'tables = ["{SEED}"]'))
    now = dt.datetime.now(dt.timezone.utc)
    weekday = WEEKDAYS[now.weekday()]
    slot = latest_slot(now, weekday, "00:00", "UTC")
    db = Database(tmp_path / "state" / "paperbot.sqlite")
    with DiscordServer(token=TOKEN, nonce_ttl=0) as server:  # no nonce help: the restart must find the post
        DigestState(db).set(server.guild_id, GuildDigest(server.channels["digest"], weekday, "00:00", "UTC", "en",
                                                         last_slot=slot - dt.timedelta(days=7),
                                                         # every row of the table (May 2024) is new to it
                                                         cutoff=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)))
        server.fail_next_create("digest", "hold")  # Discord stores the first page and never answers
        bot = start(config, server)
        try:
            wait(lambda: server.held_requests == 1, bot, "the digest's first POST")
        finally:
            bot.kill()  # SIGKILL, mid-request
            bot.communicate(timeout=20)
        assert DigestState(db).guilds[server.guild_id].last_slot < slot  # not recorded as done

        bot = start(config, server)
        try:
            wait(lambda: DigestState(db).guilds[server.guild_id].last_slot == slot, bot, "the digest to finish")
        finally:
            bot.send_signal(signal.SIGTERM)
            out, err = bot.communicate(timeout=20)
        pages = server.messages_in("digest")
        footers = [e["footer"]["text"] for m in pages for e in m.embeds if "footer" in e]
        assert len(footers) == len(pages) == len(set(footers))  # every page once
        linked = {i for m in pages for e in m.embeds for f in e.get("fields", [])
                  for i in re.findall(r"arxiv\.org/abs/([\d.]+)\)", f["value"])}
        assert len(linked) == 33  # and none skipped
        assert DigestState(db).pending(server.guild_id) is None
        assert "Traceback" not in err


def test_no_secret_reaches_the_log_even_when_servers_echo_it(tmp_path, llm_server):
    import secrets as random

    from peers.llm_server import status, stream_error

    key, password, url_key = (f"{kind}-{random.token_hex(12)}" for kind in ("sk-loop", "pw", "urlkey"))
    base = llm_server.base_url.replace("http://", f"http://paperbot:{password}@")
    config = write_config(tmp_path, f'[llm]\nmodel = "test-model"\napi_base = "{base}"\nmax_retries = 0\n'
                                    f'[embedding]\nbackend = "openai"\nmodel = "test-embed"\n'
                                    f'api_base = "{llm_server.base_url}"\n'
                                    f'[discord]\ncooldown_seconds = 0\n')
    config.write_text(config.read_text().replace("tables = []", f'tables = ["{SEED}"]'))
    echo = f"Incorrect API key provided: {key}; see {base}/keys?api_key={url_key}"
    with DiscordServer(token=TOKEN) as server:
        bot = subprocess.Popen([PAPERBOT, "-v", "--config", str(config), "run"],
                               env={**discord_env(server, TOKEN), "OPENAI_API_KEY": key},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait(lambda: server.connected, bot, "the bot to connect")
            llm_server.script(status(401, body={"error": {"message": echo, "type": "invalid_request_error"}}),
                              stream_error("HippoRAG ", f"upstream rejected {key} at {base}?key={url_key}"))
            for _ in range(2):
                inter = server.send_interaction("ask", {"question": "What does HippoRAG do?"})
                # the offline answer, with its sources and a notice
                inter.wait_until(lambda i: i.final_message() and "Sources" in str(i.final_message().embeds), 20)
        finally:
            bot.send_signal(signal.SIGTERM)
            out, err = bot.communicate(timeout=20)
    for secret in (key, password, url_key, TOKEN):
        assert secret not in out + err
    assert "[secret]" in err  # the verbose log did carry them, masked
    assert "rejected the API key (401)" in err


def test_an_answer_cut_off_by_a_crash_is_followed_by_an_apology_after_the_restart(tmp_path, llm_server):
    from peers.llm_server import reply

    config = write_config(tmp_path, f'[embedding]\nbackend = "openai"\nmodel = "test-embed"\n'
                                    f'api_base = "{llm_server.base_url}"\n[llm]\nmodel = "test-model"\n'
                                    f'api_base = "{llm_server.base_url}"\n[discord]\ncooldown_seconds = 0\n')
    config.write_text(config.read_text().replace("tables = []", f'tables = ["{SEED}"]'))
    llm_server.default = reply(" ".join(["HippoRAG mimics the hippocampal index [1]."] * 200), chunk_delay=0.05)
    with DiscordServer(token=TOKEN) as server:
        bot = start(config, server)
        try:
            wait(lambda: server.connected, bot, "the bot to connect")
            # Asked in Chinese from an English Discord: the answer is in Chinese, so is the apology.
            asked = server.send_interaction("ask", {"question": "HippoRAG 做了什麼？"}, locale="en-US")
            wait(lambda: len(asked.responses) >= 2, bot, "the answer to start")  # deferred, then a draft
        finally:
            bot.kill()  # mid-answer
            bot.communicate(timeout=20)
        bot = start(config, server)
        try:
            wait(lambda: "重新啟動" in (asked.final_message().content or ""), bot, "the apology")
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.communicate(timeout=20)
    assert asked.final_message().content == "抱歉：paperbot 在寫這個回答時重新啟動了，回答因此遺失。請再問一次。"
    assert not asked.final_message().embeds and not server.limit_violations
