"""deploy/: the systemd units a group runs paperbot with, and the files beside them.

What a maintainer would trip over: a unit systemd refuses, a unit that starts a command
paperbot does not have, an environment file that misses a variable paperbot reads (or
names one it never reads), a config that puts paperbot's files where the unit forbids
writing, a bot and a Chroma server that disagree about the port.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import BAD_INPUT, build_parser
from rag.config import StoreSettings, load_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted(p.name for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))
CHECKOUT = "/srv/paperbot"  # where the units expect the checkout
VENV_BIN = Path(sys.executable).parent  # this checkout's venv: paperbot, chroma, python


def unit(name: str) -> configparser.ConfigParser:
    """A unit file's sections (the last value of a repeated key; `Environment` lines are read with `all_values`)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", ""))
    return parser


def all_values(name: str, key: str) -> list[str]:
    return [line.partition("=")[2].strip() for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines()
            if line.startswith(f"{key}=")]


def exec_start(name: str) -> list[str]:
    return shlex.split(unit(name)["Service"]["ExecStart"])


def test_the_folder_holds_the_bot_the_store_and_the_ingest():
    assert {"paperbot.service", "paperbot-chroma.service", "paperbot-ingest.service",
            "paperbot-ingest.timer"} <= set(UNITS)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian: apt-get install systemd)")
def test_systemd_accepts_every_unit(tmp_path):
    """`systemd-analyze verify` checks the syntax, every directive's value and that each
    command exists; the units name /srv/paperbot, so they are checked pointing at this checkout."""
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = text.replace(f"{CHECKOUT}/.venv/bin/", f"{VENV_BIN}/").replace(CHECKOUT, str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", *UNITS], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if any(u in line for u in UNITS)]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr


@pytest.mark.parametrize("name, command", [("paperbot.service", "run"), ("paperbot-ingest.service", "ingest")])
def test_the_units_start_paperbot_commands_that_exist(name, command):
    argv = exec_start(name)
    assert argv[0] == f"{CHECKOUT}/.venv/bin/paperbot"
    assert "paperbot" in (ROOT / "pyproject.toml").read_text()  # [project.scripts] paperbot = ...
    assert (VENV_BIN / "paperbot").is_file()
    args = build_parser().parse_args(argv[1:])  # exits (fails the test) on an unknown command or option
    assert args.command == command
    assert args.config == f"{CHECKOUT}/config.toml"
    assert unit(name)["Service"]["WorkingDirectory"] == CHECKOUT


def test_the_bot_is_not_restarted_on_what_only_an_operator_can_fix():
    service = unit("paperbot.service")["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == str(BAD_INPUT)  # bad token, intent or config (bot/run.py)


def test_the_bot_and_the_ingest_use_the_chroma_server_and_its_secrets():
    for name in ("paperbot.service", "paperbot-ingest.service"):
        section = unit(name)["Unit"]
        assert "paperbot-chroma.service" in section["After"] and "paperbot-chroma.service" in section["Wants"]
        assert unit(name)["Service"]["EnvironmentFile"] == "/etc/paperbot/paperbot.env"
    assert unit("paperbot-ingest.timer")["Timer"]["OnCalendar"]


def test_the_chroma_unit_serves_where_the_config_looks():
    argv = exec_start("paperbot-chroma.service")
    assert argv[:2] == [f"{CHECKOUT}/.venv/bin/chroma", "run"]
    options = dict(zip(argv[2::2], argv[3::2]))
    config = load_config(DEPLOY / "config.toml.example")
    assert config.store.mode == "server"
    assert (options["--host"], int(options["--port"])) == (config.store.host, config.store.port)
    assert (options["--host"], int(options["--port"])) == (StoreSettings.host, StoreSettings.port)
    assert (VENV_BIN / "chroma").is_file()
    usage = subprocess.run([str(VENV_BIN / "chroma"), "run", "--help"], capture_output=True, text=True, timeout=60)
    assert all(option in usage.stdout for option in options), usage.stdout + usage.stderr
    assert Path(options["--path"]).is_relative_to("/var/lib/paperbot")


def test_the_example_config_keeps_everything_paperbot_writes_where_the_units_may_write():
    """ProtectSystem=strict: a path outside StateDirectory/CacheDirectory is read-only to the bot."""
    service = unit("paperbot.service")["Service"]
    writable = [Path("/var/lib") / d for d in service["StateDirectory"].split()]
    writable += [Path(p.lstrip("-")) for p in service.get("ReadWritePaths", "").split()]
    cache_dirs = [Path("/var/cache") / d for d in service["CacheDirectory"].split()]
    config = load_config(DEPLOY / "config.toml.example")
    for path in (config.state_dir, config.inbox_path.parent, config.cache_dir):
        assert any(path.is_relative_to(w) for w in writable + cache_dirs), path
    environment = " ".join(all_values("paperbot.service", "Environment"))
    caches = dict(kv.split("=", 1) for kv in environment.split())
    for variable in ("XDG_CACHE_HOME", "MPLCONFIGDIR"):
        assert any(Path(caches[variable]).is_relative_to(c) for c in cache_dirs), variable


def _variables_read_by_config() -> set[str]:
    """Every environment variable rag/config.py reads: os.environ.get("X") / os.environ["X"], and
    the keys of a table a function reads os.environ with (the overrides, DISCORD_API_BASE...)."""
    tree = ast.parse((ROOT / "rag" / "config.py").read_text(encoding="utf-8"))
    names = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and "os.environ" in ast.unparse(n)):
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "os.environ.get":
                names |= {a.value for a in node.args[:1] if isinstance(a, ast.Constant)}
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                names |= {node.slice.value} if isinstance(node.slice, ast.Constant) else set()
            elif isinstance(node, ast.Dict):
                names |= {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return names


def test_the_environment_file_names_exactly_what_paperbot_reads():
    text = (DEPLOY / "paperbot.env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    read = _variables_read_by_config()
    assert {"DISCORD_TOKEN", "OPENAI_API_KEY"} <= read
    assert named == read
    set_lines = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.M))
    assert set(set_lines) == {"DISCORD_TOKEN", "OPENAI_API_KEY"}  # the rest are optional, commented out
    assert all(value == "" for value in set_lines.values())  # an example holds no secret
