"""The `paperbot` command as a user and a script see it: output, JSON shapes, exit codes."""

import json
import subprocess
import sys

import pytest

from cli.main import main
from conftest import SEED

BROKEN_ROW = "| 2024年6月1日 | A paper without a link | 摘要 | 對齊 |\n"


@pytest.fixture(scope="module")
def config_path(tmp_path_factory):
    """A config whose state is shared by this module's tests (ingested on first use)."""
    root = tmp_path_factory.mktemp("cli")
    path = root / "config.toml"
    # arXiv lookups are tested against the loopback arXiv peer (test_add.py); here they are off.
    # The multilingual model's vectors are tested in test_meaning.py: off here (33 papers take it seconds).
    path.write_text(f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\n[arxiv]\nenrich = false\n'
                    '[embedding]\nmeaning = false\n')
    return path


def run(capsys, config_path, *argv):
    code = main(["--config", str(config_path), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_first_search_ingests_the_table_and_answers(capsys, config_path):
    code, out, err = run(capsys, config_path, "search", "theory of mind", "--json")
    assert code == 0
    results = json.loads(out)
    assert results[0]["arxiv_id"] == "2405.18870"
    assert set(results[0]) >= {"arxiv_id", "title", "score"}
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("form", ["2405.14831", "2405.14831v2", "arXiv:2405.14831",
                                  "https://arxiv.org/abs/2405.14831", "https://arxiv.org/pdf/2405.14831v1"])
def test_paper_lookup_by_any_id_form(capsys, config_path, form):
    code, out, _ = run(capsys, config_path, "paper", form, "--json")
    assert code == 0
    paper = json.loads(out)
    assert set(paper) >= {"arxiv_id", "title", "date", "summary", "topics", "url"}
    assert paper["arxiv_id"] == "2405.14831"
    assert paper["title"].startswith("HippoRAG")
    assert paper["date"] == "2024-05-23"
    assert paper["topics"] == ["RAG 優化"]


def test_paper_text_output_shows_title_link_and_summary(capsys, config_path):
    code, out, _ = run(capsys, config_path, "paper", "2405.14831")
    assert code == 0
    assert "HippoRAG" in out and "https://arxiv.org/abs/2405.14831" in out and "海馬" in out


def test_unknown_paper_exits_1_and_suggests_close_ids(capsys, config_path):
    code, _, err = run(capsys, config_path, "paper", "2405.14832")
    assert code == 1
    assert "2405.14832 is not in the paper list; `paperbot add 2405.14832` adds it from arXiv" in err
    assert "2405.14831" in err  # the ID one keystroke away is suggested


def test_an_id_the_list_lacks_names_the_command_that_adds_it_and_no_unrelated_paper(capsys, config_path):
    code, _, err = run(capsys, config_path, "paper", "2406.99999")
    assert code == 1 and "paperbot add 2406.99999" in err and "did you mean" not in err


def test_a_paper_can_be_looked_up_by_its_title_as_on_discord(capsys, config_path):
    for title in ("HippoRAG", "hipporag: neurobiologically inspired long-term memory for large language models"):
        code, out, _ = run(capsys, config_path, "paper", title, "--json")
        assert code == 0 and json.loads(out)["arxiv_id"] == "2405.14831"
    code, _, err = run(capsys, config_path, "paper", "no such title anywhere")
    assert code == 2 and "no paper in the list has a title like" in err


def test_malformed_id_exits_2_and_shows_a_valid_form(capsys, config_path):
    code, _, err = run(capsys, config_path, "paper", "not-an-id")
    assert code == 2
    assert "not an arXiv ID" in err and "2405.14831" in err


def test_search_in_chinese_with_filters(capsys, config_path):
    code, out, _ = run(capsys, config_path, "search", "知識圖譜", "--json", "--k", "10")
    assert code == 0
    ids = [r["arxiv_id"] for r in json.loads(out)]
    assert ids[0] == "2405.20139"  # GNN-RAG: the knowledge-graph paper
    code, out, _ = run(capsys, config_path, "search", "模型", "--topic", "多模態", "--since", "2024-05-27", "--json", "--k", "20")
    results = json.loads(out)
    assert results and all("多模態模型" in r["topics"] and r["date"] >= "2024-05-27" for r in results)


def test_unknown_topic_is_bad_input(capsys, config_path):
    code, _, err = run(capsys, config_path, "search", "anything", "--topic", "underwater basket weaving")
    assert code == 2 and "no topic matches" in err


def test_topics_with_counts(capsys, config_path):
    code, out, _ = run(capsys, config_path, "topics", "--json")
    topics = {t["topic"]: t["count"] for t in json.loads(out)}
    assert code == 0
    assert topics["多模態模型"] >= 8
    assert topics["心智理論"] == 1


def test_ingest_reports_broken_rows_and_exits_nonzero(capsys, config_path, tmp_path):
    table = tmp_path / "more.md"
    seed = SEED.read_text(encoding="utf-8")
    table.write_text(seed + BROKEN_ROW, encoding="utf-8")
    line = seed.count("\n") + 1
    code, out, err = run(capsys, config_path, "ingest", str(table), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["added"] + report["unchanged"] == 33 and report["total"] == 33
    assert report["skipped"][0]["line"] == line and "link" in report["skipped"][0]["reason"]
    assert f"{table}:{line}" in err


def test_ingest_of_a_missing_file_is_bad_input(capsys, config_path, tmp_path):
    code, _, err = run(capsys, config_path, "ingest", str(tmp_path / "nope.md"))
    assert code == 2 and "no such table" in err


def test_invalid_config_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[store]\nmode = "cloud"\n')
    proc = subprocess.run([sys.executable, "-m", "cli.main", "--config", str(bad), "topics"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "paperbot: store.mode: 'cloud' is not one of embedded, server"


def test_eval_measures_retrieval_with_the_models_search_phrasings(capsys, tmp_path, llm_server):
    from peers.llm_server import reply

    questions = tmp_path / "vague.jsonl"
    questions.write_text(json.dumps({"q": "any tips on what I should read?", "lang": "en", "gold": ["2405.14831"]}) + "\n")
    offline = tmp_path / "offline.toml"
    offline.write_text(f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\n[arxiv]\nenrich = false\n'
                       '[embedding]\nmeaning = false\n')
    code, out, err = run(capsys, offline, "eval", str(questions), "--rewrite")
    assert code == 2 and "--rewrite needs a model" in err
    code, out, _ = run(capsys, offline, "eval", str(questions), "--json")
    assert json.loads(out)["results"][0]["ranked"][:1] != ["2405.14831"]  # alone, the question says nothing

    with_model = tmp_path / "model.toml"
    with_model.write_text(offline.read_text() + f'[llm]\nmodel = "test-model"\napi_base = "{llm_server.base_url}"\n')
    llm_server.script(reply("hippocampal indexing theory long-term memory retrieval\nknowledge graph PageRank"))
    code, out, _ = run(capsys, with_model, "eval", str(questions), "--rewrite", "--json")
    report = json.loads(out)
    assert code == 0 and report["summary"]["rewritten"] == 1
    assert report["results"][0]["ranked"][0] == "2405.14831"
    assert len(llm_server.chat_requests()) == 1


def test_answers_follow_the_language_asked_for(capsys, config_path):
    code, out, _ = run(capsys, config_path, "ask", "有哪些論文在講 LoRA 的改進？", "--lang", "en", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["language"] == "en" and answer["text"].startswith("The closest papers")
    code, out, _ = run(capsys, config_path, "ask", "What are the downsides of LoRA?", "--lang", "zh-CN", "--json")
    answer = json.loads(out)
    assert answer["language"] == "zh-CN" and answer["text"].startswith("清单中最相关的论文")  # Simplified
    assert "論" not in answer["text"] and "论" in answer["text"]
    code, out, _ = run(capsys, config_path, "ask", "有没有结合知识图谱的检索方法？", "--lang", "zh", "--json")
    assert json.loads(out)["language"] == "zh"  # Traditional, as asked, though the question is Simplified


def test_pictures_follow_the_script_asked_for(capsys, config_path, tmp_path):
    chart = tmp_path / "compare.png"
    code, _, err = run(capsys, config_path, "compare", "2405.19332", "2405.00675", "--lang", "zh-CN",
                       "--chart", str(chart))
    assert code == 0 and chart.read_bytes().startswith(b"\x89PNG")
    assert "问题" in err and "問題" not in err  # the table's words, in Simplified (its description says them)
    code, _, err = run(capsys, config_path, "topics", "--lang", "zh-CN", "--chart", str(tmp_path / "t.png"))
    assert code == 0 and "长条图" in err and "多模态模型" in err and "多模態" not in err


def test_a_picture_must_be_named_as_the_png_it_is(capsys, config_path, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, config_path, "topics", "--chart", str(tmp_path / "t.jpg"))
    assert exit_.value.code == 2 and "pictures are PNG files" in capsys.readouterr().err
    assert not (tmp_path / "t.jpg").exists()


def test_a_missing_table_is_said_by_every_command(capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[data]\ntables = ["nope/papers.md"]\nstate_dir = "state"\n[arxiv]\nenrich = false\n')
    for argv in (["search", "protein folding"], ["topics"], ["ask", "what is new?"], ["paper", "2405.14831"]):
        code, _, err = run(capsys, config, *argv)
        assert code == 2 and "no such table" in err and "nope/papers.md" in err, argv


@pytest.mark.parametrize("query", ["protein folding", "🤔🤖📄🔥", "how to bake sourdough bread", "圍巾的編織方法"])
def test_a_search_about_nothing_in_the_list_says_so(capsys, config_path, query):
    code, out, _ = run(capsys, config_path, "search", query)
    assert code == 1 and out.startswith("No paper in the list is about that.")
    code, out, _ = run(capsys, config_path, "search", query, "--json")
    assert code == 1 and json.loads(out) == []



def test_doctor_says_what_is_configured_and_whether_each_part_answers(capsys, tmp_path, llm_server, monkeypatch):
    from peers.arxiv_server import ArxivServer
    from peers.llm_server import reply

    with ArxivServer() as arxiv:
        arxiv.add_entry("2405.14831", "HippoRAG", "An abstract.")
        config = tmp_path / "config.toml"
        config.write_text(f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\n'
                          f'[arxiv]\napi_base = "{arxiv.api_base}"\nmin_interval = 0.01\n'
                          f'[llm]\nmodel = "test-model"\napi_base = "{llm_server.base_url}"\ntimeout = 2.0\n')
        monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz012345")
        llm_server.script(reply("ok"))
        code, out, _ = run(capsys, config, "doctor", "--json")
        states = {c["part"]: c["state"] for c in json.loads(out)}
        assert code == 0 and set(states.values()) == {"ok"}, out
        assert "MTIzNDU2" not in out  # the token is never shown
        claims = next(c["said"] for c in json.loads(out) if c["part"] == "claims")
        assert "second opinion from test-model" in claims  # a model is configured: it checks the claims too

        monkeypatch.setenv("DISCORD_TOKEN", "my-token")  # pasted something else
        code, out, _ = run(capsys, config, "doctor")
        assert code == 2 and "wrong discord" in out and "does not look like a bot token" in out
    monkeypatch.delenv("DISCORD_TOKEN")
    code, out, _ = run(capsys, config, "doctor")  # arXiv has gone away
    assert code == 3 and "down  arxiv" in out and "off   discord" in out
