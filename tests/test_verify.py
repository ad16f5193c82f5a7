"""The model's second opinion on an answer's claims (rag/claims/verify.py, [claims] verify):
against the real 0.5B instruct model served by llama.cpp (the `local_model` fixture), and
against the loopback model server for what a real model or server does only sometimes
(malformed verdicts, refusals, failures)."""

from __future__ import annotations

import json
import re
from argparse import Namespace
from dataclasses import replace

import pytest

from conftest import llm_config, make_config
from peers.llm_server import reply, status
from rag.claims.verify import ENTAILED, NOT_STATED, Checked, Verifier, parse, strike
from rag.config import ClaimsSettings, ConfigError, LLMSettings, load_config
from rag.engine import Engine
from rag.models.chat import ChatModel
from rag.text.script import CJK

HIPPO = "2405.14831"
QUESTION = "Is there a retrieval method inspired by the hippocampus?"
SUPPORTED = "HippoRAG is inspired by the hippocampal indexing theory of human long-term memory [1]."
ALSO_SUPPORTED = "HippoRAG orchestrates LLMs, knowledge graphs and the Personalized PageRank algorithm [1]."


def model_at(base_url: str, model: str) -> ChatModel:
    """The client a group would configure for its verifier: temperature 0, a short reply."""
    return ChatModel(LLMSettings(model=model, api_base=base_url, temperature=0.0, max_tokens=200, timeout=300.0,
                                 max_retries=0), "unused", base_url)


def operations(engine: Engine) -> list[str]:
    return [r["operation"] for r in engine.ledger.db.query("SELECT operation FROM model_calls ORDER BY id")]


@pytest.fixture
def hipporag(seed_papers):
    return next(p for p in seed_papers if p.arxiv_id == HIPPO)


# -- through the answer path (the loopback server) ------------------------------------------------
async def test_a_sentence_the_verifier_rejects_is_left_out_and_counted_in_the_notice(seeded_kb, llm_server, tmp_path,
                                                                                    capsys):
    engine = Engine(llm_config(tmp_path, llm_server), kb=seeded_kb)  # verify: "model", the default with a model
    llm_server.script(reply(f"{SUPPORTED} {ALSO_SUPPORTED}"))
    llm_server.script_structured(reply('{"1": "yes", "2": "no"}'))
    answer = await engine.answerer.ask(QUESTION)
    assert "hippocampal indexing theory" in answer.text and "PageRank" not in answer.text
    assert "Left out 1 statement" in answer.notice
    assert [c["action"] for c in answer.claims] == ["kept", "removed"]
    written, verified = llm_server.chat_requests()  # one call for the whole answer
    asked = verified.json["messages"][-1]["content"]
    assert "Claim 1: HippoRAG is inspired" in asked and "Claim 2: HippoRAG orchestrates" in asked
    assert "海馬" in asked  # judged against the paper's own words, in its own language
    assert verified.json["response_format"]["json_schema"]["schema"]["required"] == ["1", "2"]
    assert operations(engine) == ["ask", "verify"]
    from cli.records import cmd_usage  # what `paperbot usage` shows: the verifier's calls, by name

    cmd_usage(Namespace(since=None, json=False), engine)
    assert re.search(r"^\s+verify\s+1 calls", capsys.readouterr().out, re.MULTILINE)


@pytest.mark.parametrize("question, said", [
    (QUESTION, "The second opinion on these statements was unavailable (the language model returned an error (500))"),
    ("有沒有受海馬體啟發的檢索方法？", "無法取得對這些陳述的第二意見（語言模型回傳錯誤（500））"),
    ("有没有受海马体启发的检索方法？", "第二意见"),  # the same words, in Simplified characters
])
async def test_a_failed_second_opinion_keeps_the_answer_and_says_so(seeded_kb, llm_server, tmp_path, question, said):
    engine = Engine(llm_config(tmp_path, llm_server, max_retries=0), kb=seeded_kb)
    llm_server.script(reply(SUPPORTED))
    llm_server.script_structured(status(500))
    answer = await engine.answerer.ask(question)
    assert answer.mode == "llm" and "[1]" in answer.text
    assert said in answer.notice
    assert operations(engine) == ["ask", "verify"]
    llm_server.script(reply(SUPPORTED))  # not cached unchecked: the next asker gets the second opinion
    again = await engine.answerer.ask(question)
    assert not again.cached and "second opinion" not in again.notice and "第二意见" not in again.notice


async def test_when_the_verifier_rejects_every_sentence_the_sources_are_shown_instead(seeded_kb, llm_server, tmp_path):
    engine = Engine(llm_config(tmp_path, llm_server), kb=seeded_kb)
    llm_server.script(reply(SUPPORTED))
    llm_server.script_structured(reply("All claims are supported."))  # malformed: not stated
    answer = await engine.answerer.ask(QUESTION)
    assert answer.mode == "offline" and "no listed paper supports its answer" in answer.notice


async def test_lexical_and_off_make_no_verifier_call(seeded_kb, llm_server, tmp_path):
    for mode in ("lexical", "off"):
        config = replace(llm_config(tmp_path / mode, llm_server), claims=ClaimsSettings(verify=mode))
        engine = Engine(config, kb=seeded_kb)
        assert engine.verifier is None
        llm_server.script(reply(f"{SUPPORTED} Quantum annealing speeds up protein folding forty times [1]."))
        answer = await engine.answerer.ask(QUESTION)
        assert operations(engine) == ["ask"]
        assert ("protein" in answer.text) == (mode == "off")  # off: only the markers are checked
    assert not any("response_format" in r.json for r in llm_server.chat_requests())


def test_the_verifier_is_the_writer_unless_another_model_or_server_is_named(llm_server, tmp_path, monkeypatch):
    config = llm_config(tmp_path, llm_server)
    engine = Engine(config)
    assert config.verify_mode == "model" and engine.verifier.llm is engine.llm
    monkeypatch.setenv("CHECKER_KEY", "sk-checker-secret")
    other = replace(config, claims=ClaimsSettings(model="small-judge", api_base="http://127.0.0.1:9/v1",
                                                  api_key_env="CHECKER_KEY"))
    engine = Engine(other)
    verifier = engine.verifier.llm
    assert (verifier.model, verifier.base_url, verifier.client.api_key) == ("small-judge", "http://127.0.0.1:9/v1",
                                                                           "sk-checker-secret")
    assert verifier.gate is engine.llm.gate and verifier.ledger is engine.ledger
    assert "http://127.0.0.1:9/v1" in other.urls  # logs mask what a configured URL may hide
    assert make_config(tmp_path).verify_mode == "lexical"  # no model: the words alone


@pytest.mark.parametrize("toml, message", [
    ('[claims]\nverify = "maybe"', "claims.verify: 'maybe' is not one of model, lexical, off"),
    ('[claims]\nverify = "model"', 'claims.verify: "model" needs a language model'),
    ('[claims]\napi_key_env = "MY KEY"', "claims.api_key_env: 'MY KEY' is not an environment variable's name"),
    ('[claims]\nverify = "model"\napi_key_env = "PAPERBOT_NO_SUCH_KEY"',
     "claims.api_key_env: the environment variable PAPERBOT_NO_SUCH_KEY is not set"),
])
def test_invalid_claims_settings_say_what_is_allowed_in_one_line(tmp_path, monkeypatch, toml, message):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PAPERBOT_NO_SUCH_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and "\n" not in str(info.value).strip()


# -- the verifier itself (the loopback server) -----------------------------------------------------
@pytest.mark.parametrize("written", [
    "All three claims are supported.",  # prose, not JSON
    '["yes", "yes"]',  # JSON of another shape
    '{"1": "yes"',  # cut off
])
async def test_a_malformed_reply_counts_every_sentence_as_not_stated(llm_server, hipporag, written):
    llm_server.script_structured(reply(written))
    claims = [Checked("HippoRAG builds a knowledge graph.", (hipporag,)), Checked("It uses PageRank.", (hipporag,))]
    judgement = await Verifier(model_at(llm_server.base_url, "test-model")).judge(claims)
    assert judgement.malformed
    assert [v.verdict for v in judgement.verdicts] == [NOT_STATED, NOT_STATED]
    assert judgement.rejected == [c.text for c in claims]


async def test_a_missing_or_unknown_verdict_counts_as_not_stated(llm_server, hipporag):
    llm_server.script_structured(reply('```json\n{"1": "yes", "3": "probably"}\n```'))
    claims = [Checked(f"Claim {n}.", (hipporag,)) for n in (1, 2, 3)]
    judgement = await Verifier(model_at(llm_server.base_url, "test-model")).judge(claims)
    assert [v.verdict for v in judgement.verdicts] == [ENTAILED, NOT_STATED, NOT_STATED]
    assert not judgement.malformed


async def test_no_call_without_a_cited_claim(llm_server):
    judgement = await Verifier(model_at(llm_server.base_url, "test-model")).judge([Checked("Framing.", ())])
    assert judgement.verdicts == [] and judgement.completion is None
    assert llm_server.chat_requests() == []


async def test_a_server_that_refuses_json_schemas_is_asked_again_without_one(hipporag):
    from peers.llm_server import LLMServer

    with LLMServer(rejects=frozenset({"response_format"})) as server:
        server.script(reply('{"1": "yes"}'))
        judgement = await Verifier(model_at(server.base_url, "test-model")).judge(
            [Checked("HippoRAG builds a knowledge graph.", (hipporag,))])
        first, second = server.chat_requests()
    assert [v.verdict for v in judgement.verdicts] == [ENTAILED]
    assert "response_format" in first.json and "response_format" not in second.json


def test_the_decision_is_the_probability_of_yes_against_the_threshold():
    def logprobs(p_yes: float) -> list[dict]:
        import math

        alts = [{"token": "yes", "logprob": math.log(p_yes)}, {"token": "no", "logprob": math.log(1 - p_yes)}]
        return [{"token": '{"', "top_logprobs": []}, {"token": "1", "top_logprobs": []},
                {"token": '":"', "top_logprobs": []}, {"token": "no", "top_logprobs": alts},
                {"token": '"}', "top_logprobs": []}]

    from rag.claims.verify import p_yes

    assert p_yes(tuple(logprobs(0.2)), 1) == [pytest.approx(0.2)]
    assert p_yes((), 1) == [None]  # a server without logprobs: the written word decides


def test_parse_is_strict():
    assert parse('{"1": "yes", "2": "no"}', 2) == ["yes", "no"]
    assert parse('{"1": "Yes", "2": "entailed"}', 2) == [None, None]  # only the words asked for
    assert parse('Sure! {"1": "yes"}', 1) is None
    assert parse(json.dumps({"1": ["yes"]}), 1) == [None]


def test_strike_takes_out_the_rejected_sentences_and_the_lines_they_leave_empty():
    text = ("HippoRAG is inspired by the hippocampus [1]. It works without any graph [1]. It beats RAG by 20% [1].\n"
            "- **G-RAG** reranks documents [2].\n"
            "- GraphRAG builds community summaries [2].\n"
            "\n"
            "Both target multi-hop questions [1][3].")
    assert strike(text, ["It works without any graph.", "GraphRAG builds community summaries."]) == (
        "HippoRAG is inspired by the hippocampus [1]. It beats RAG by 20% [1].\n"
        "- **G-RAG** reranks documents [2].\n"
        "\n"
        "Both target multi-hop questions [1][3].")
    assert strike(text, []) == text


# -- the real model --------------------------------------------------------------------------------
async def test_the_real_model_writes_cited_answers_in_the_askers_script_and_judges_them(local_model, seeded_kb,
                                                                                      tmp_path):
    """The 0.5B instruct model as writer and verifier, through the normal ask path, in the
    three languages a member asks in."""
    from dataclasses import replace as with_

    from peers.local_model import MODEL_ALIAS
    from rag.config import RetrievalSettings
    from rag.text.script import script_of

    config = llm_config(tmp_path, local_model, model=MODEL_ALIAS, timeout=240.0, max_retries=0, max_tokens=160,
                        temperature=0.0, concurrency=1)
    config = with_(config, retrieval=RetrievalSettings(top_k=2))  # a short prompt: ~20 s an answer on 2 cores
    engine = Engine(config, kb=seeded_kb)
    assert config.verify_mode == "model"
    answers = {}
    for question, script in [(QUESTION, "latin"), ("有沒有受海馬體啟發的檢索方法？", "traditional"),
                             ("有没有受海马体启发的检索方法？", "simplified")]:
        before = len(operations(engine))
        answer = answers[question] = await engine.answerer.ask(question)
        made = operations(engine)[before:]
        assert made.count("verify") <= 1 and made.count("ask") == 1, made
        assert answer.citations, answer.text
        if answer.mode == "llm":  # the model's own words, each statement cited
            from rag.claims.sentences import split_sentences

            shown = [s for s in split_sentences(answer.text) if not s.heading and len(s.core) > 12]
            assert shown and all(s.cited for s in shown), answer.text
        if script == "latin":
            assert not CJK.search(answer.text), answer.text
        else:
            assert script_of(answer.text) == script, answer.text
    assert "verify" in operations(engine)
    for answer in answers.values():
        print(answer.mode, "|", answer.notice, "|", answer.text)


@pytest.mark.xfail(strict=True, reason="the 0.5B model says yes to it (P(yes) about 0.6, alone or beside a true claim, "
                                       "in English and Chinese): it cannot be the verifier the issue's targets need")
async def test_the_real_model_rejects_a_clearly_false_claim(local_model, hipporag):
    from peers.local_model import MODEL_ALIAS

    verifier = Verifier(model_at(local_model.base_url, MODEL_ALIAS))
    judgement = await verifier.judge([Checked("HippoRAG is an image generation model trained on cat photos.",
                                              (hipporag,))])
    assert not judgement.malformed and judgement.completion.usage.prompt_tokens > 0
    assert judgement.verdicts[0].verdict != ENTAILED, judgement.verdicts
