"""Every claim cited, and every citation true: rag.claims.attribute on answers a model
could write over the seed papers, and a floor on the citation benchmark."""

import inspect

import pytest

from rag.claims.attribution import ADDED, FRAMING, KEPT, REATTRIBUTED, REMOVED, attribute
from rag.claims.citations import check_citations
from rag.text.script import to_simplified

HIPPO, GNN_RAG, G_RAG, SPPO, SELM = "2405.14831", "2405.20139", "2405.18414", "2405.00675", "2405.19332"


@pytest.fixture(scope="module")
def papers(seed_papers):
    return {p.arxiv_id: p for p in seed_papers}


def sources(papers, *ids):
    return [papers[i] for i in ids]


def cited_by(attribution, fragment: str) -> tuple[str, ...]:
    """The arXiv IDs the user is shown for the claim containing `fragment`."""
    [claim] = [c for c in attribution.claims if fragment in c.text]
    return claim.sources


# -- markers that point at the wrong paper -------------------------------------------------------
def test_markers_swapped_between_three_papers_are_put_back(papers):
    given = sources(papers, HIPPO, GNN_RAG, G_RAG)
    swapped = ("HippoRAG mimics the hippocampal indexing theory with a knowledge graph and Personalized PageRank [2]. "
               "GNN-RAG retrieves answer candidates with a graph neural network and reaches state of the art on "
               "WebQSP and CWQ [3]. G-RAG reranks documents with a GNN between the retriever and the reader [1].")
    before, _ = check_citations(swapped, given, set(papers))
    assert "PageRank [1]" in before  # today's check renumbers the wrong markers and shows them

    result = attribute(swapped, given, "en")
    assert "PageRank [1]." in result.text and "CWQ [2]." in result.text and "reader [3]." in result.text
    assert cited_by(result, "HippoRAG") == (HIPPO,)
    assert cited_by(result, "WebQSP") == (GNN_RAG,)
    assert cited_by(result, "reranks") == (G_RAG,)
    assert {c.action for c in result.claims} == {REATTRIBUTED}


def test_a_wrong_marker_next_to_a_right_one_is_dropped(papers):
    given = sources(papers, SPPO, SELM)
    result = attribute("SPPO reaches a 28.53% length-controlled win rate on AlpacaEval 2.0 [1][2].", given, "en")
    assert result.text == "SPPO reaches a 28.53% length-controlled win rate on AlpacaEval 2.0 [1]."
    assert result.claims[0].cited == (SPPO, SELM) and result.claims[0].sources == (SPPO,)


def test_a_chinese_answer_with_the_wrong_marker_is_corrected(papers):
    given = sources(papers, SPPO, SELM)
    text = "SPPO 把對齊視為恆和雙人遊戲，以迭代策略更新逼近納什均衡 [2]。"
    assert attribute(text, given, "zh").text == "SPPO 把對齊視為恆和雙人遊戲，以迭代策略更新逼近納什均衡 [1]。"


# -- answers without markers ---------------------------------------------------------------------
def test_an_answer_without_markers_gets_the_right_ones(papers):
    given = sources(papers, HIPPO, GNN_RAG)
    unmarked = ("HippoRAG is a retrieval framework inspired by the hippocampal indexing theory of long-term memory. "
                "GNN-RAG reasons over a dense knowledge-graph subgraph with a graph neural network.")
    before, cited = check_citations(unmarked, given, set(papers))
    assert cited == []  # today this whole answer is thrown away

    result = attribute(unmarked, given, "en")
    assert result.text == ("HippoRAG is a retrieval framework inspired by the hippocampal indexing theory of "
                           "long-term memory [1]. GNN-RAG reasons over a dense knowledge-graph subgraph with a graph "
                           "neural network [2].")
    assert [c.action for c in result.claims] == [ADDED, ADDED]


def test_an_english_sentence_written_from_a_chinese_summary_is_attributed(papers):
    """No English text of these papers exists: only their Chinese summaries."""
    given = sources(papers, "2405.20541", "2405.09673")
    text = ("Pruning pretraining data by the perplexity of a 125M-parameter model improves a 3B-parameter model's "
            "downstream performance by up to 2.04. LoRA keeps the base model's performance outside the target "
            "domain better than full fine-tuning.")
    result = attribute(text, given, "en")
    assert cited_by(result, "Pruning") == ("2405.20541",)
    assert cited_by(result, "LoRA keeps") == ("2405.09673",)


def test_simplified_chinese_is_read_against_traditional_summaries(papers):
    given = sources(papers, HIPPO, "2405.20541")
    text = to_simplified("以 1.25 億參數模型的困惑度篩選數據，能讓 30 億參數模型的下游平均表現提升最多 2.04。")
    result = attribute(text, given, "zh-CN")
    assert result.claims[0].sources == ("2405.20541",)
    assert result.text.endswith("2.04 [2]。")


def test_a_sentence_covered_by_the_marker_at_the_end_of_its_paragraph_keeps_none(papers):
    given = sources(papers, HIPPO, GNN_RAG)
    text = ("HippoRAG is inspired by the hippocampal indexing theory. It runs Personalized PageRank over a "
            "knowledge graph [1].")
    result = attribute(text, given, "en")
    assert result.text == text
    assert result.claims[0].action == KEPT and result.claims[0].sources == (HIPPO,)


# -- what no paper says --------------------------------------------------------------------------
def test_an_invented_number_is_not_shown_as_a_cited_fact(papers):
    given = sources(papers, HIPPO, GNN_RAG)
    text = ("HippoRAG outperforms state-of-the-art RAG methods on multi-hop question answering by up to 20% [1]. "
            "It is 100 times faster than IRCoT [1].")
    result = attribute(text, given, "en")
    assert result.text == "HippoRAG outperforms state-of-the-art RAG methods on multi-hop question answering by up " \
                          "to 20% [1]."
    [removed] = result.removed
    assert removed.text.startswith("It is 100 times faster") and removed.action == REMOVED and removed.sources == ()


def test_an_invented_benchmark_and_an_invented_paper_are_removed(papers):
    given = sources(papers, GNN_RAG, G_RAG)
    text = ("- GNN-RAG reaches state-of-the-art results on WebQSP and CWQ [1].\n"
            "- GNN-RAG was also evaluated on HotpotQA and Natural Questions [1].\n"
            "- GraphRAG from Microsoft builds community summaries over an entity graph [2].")
    result = attribute(text, given, "en")
    assert result.text == "- GNN-RAG reaches state-of-the-art results on WebQSP and CWQ [1]."
    assert len(result.removed) == 2


def test_a_chinese_invented_claim_is_removed_and_the_rest_kept(papers):
    given = sources(papers, "2405.18870")
    text = "GPT-4 在第六階推理上超越了成人 [1]。研究共招募了 2,000 名成人受試者 [1]。"
    result = attribute(text, given, "zh")
    assert result.text == "GPT-4 在第六階推理上超越了成人 [1]。"


# -- numbers however they are written -------------------------------------------------------------
def test_a_number_in_words_or_characters_must_be_the_papers(papers):
    """The paper compares five LLMs and finds GPT-4 beyond adults at the sixth order."""
    given = sources(papers, "2405.18870")
    true = ["The study compares five LLMs with a newly collected adult benchmark [1].",
            "研究比較了五個 LLM 與成人基準 [1]。", "On sixth-order inferences GPT-4 exceeds adult performance [1].",
            "GPT-4 在第六階推理上超越成人 [1]。"]
    false = ["In total seven LLMs were compared [1].", "研究一共比較了七個 LLM [1]。",
             "Already on fourth-order inferences GPT-4 exceeds adults [1].", "GPT-4 在第三階推理上就超越了成人 [1]。"]
    result = attribute(" ".join(true + false), given, "en")
    assert result.text == " ".join(true)
    assert len(result.removed) == 4


def test_model_sizes_are_read_however_they_are_written(papers):
    """The summary: a model of 1.25 億參數 prunes the data of one of 30 億參數."""
    given = sources(papers, "2405.20541")
    true = ["A 125-million-parameter model's perplexity prunes the pretraining data of a 3-billion-parameter "
            "model [1].", "The reference model has 0.125B parameters [1].", "用一點二五億參數的模型計算困惑度 [1]。",
            "剪枝提升了三十億參數模型的下游性能 [1]。"]
    result = attribute(" ".join(true) + " A 1.25-billion-parameter model computes the perplexity [1].", given, "en")
    assert result.text == " ".join(true)
    assert [c.text for c in result.removed] == ["A 1.25-billion-parameter model computes the perplexity."]


def test_a_count_of_the_answers_own_papers_is_not_a_fact_to_find_in_them(papers):
    text = "兩篇論文都使用圖神經網絡 [1][2]。The two papers both use graph neural networks [1][2]."
    result = attribute(text, sources(papers, GNN_RAG, G_RAG), "zh")
    assert result.text == text and not result.removed


# -- answers that open with "Yes:" ------------------------------------------------------------------
def test_a_sentence_opening_with_yes_or_no_is_checked_for_what_follows(papers):
    """The paper: offline-trained policies classify pairs well but generate poorly."""
    given = sources(papers, "2405.08448")
    true = "不，離線算法訓練的策略在生成方面表現較差 [1]。"
    false = "是的，離線訓練的策略在生成方面表現出色 [1]。"
    result = attribute(f"Yes. {true}{false}", given, "zh")
    assert result.text == f"Yes. {true}"
    assert [c.action for c in result.claims] == [FRAMING, KEPT, REMOVED]


def test_an_opener_with_nothing_after_it_and_an_intro_after_it_stay_framing(papers):
    given = sources(papers, HIPPO)
    text = "Yes!\nYes, here are the relevant papers:\nHippoRAG runs Personalized PageRank over a knowledge graph [1]."
    result = attribute(text, given, "en")
    assert result.text == text
    assert [c.action for c in result.claims] == [FRAMING, FRAMING, KEPT]


# -- negatives said another way ---------------------------------------------------------------------
def test_a_negative_said_another_way_is_not_a_contradiction(papers):
    """The paper: offline-trained policies are good at classifying pairs but worse at generating
    (擅長對生成對進行分類，但在生成方面表現較差); online-trained ones the other way round."""
    given = sources(papers, "2405.08448")
    true = ["離線算法訓練的策略擅長對生成對進行分類，但不擅長生成 [1]。", "在線算法訓練的策略則擅長生成，卻不擅長分類 [1]。"]
    false = ["離線算法訓練的策略不擅長對生成對進行分類 [1]。", "在線算法訓練的策略在生成方面表現較差 [1]。"]
    result = attribute("".join(true + false), given, "zh")
    assert result.text == "".join(true)
    assert [conflicts for _, conflicts in kept_and_removed(result)[1]] == [(("2405.08448", "direction"),)] * 2


# -- what a paper's own words can still get wrong -------------------------------------------------
def kept_and_removed(result) -> tuple[list[str], list[tuple[str, tuple]]]:
    return ([c.text for c in result.claims if c.action != REMOVED],
            [(c.text, c.conflicts) for c in result.claims if c.action == REMOVED])


def test_a_comparison_the_other_way_round_is_removed(papers):
    """The paper: GPT-4o and Gemini 1.5 Pro start alike, Gemini 1.5 Pro learns faster from examples."""
    given = sources(papers, "2405.09798")
    text = ("Gemini 1.5 Pro shows higher ICL data efficiency than GPT-4o on most datasets [1]. "
            "GPT-4o shows higher ICL data efficiency than Gemini 1.5 Pro on most datasets [1].")
    result = attribute(text, given, "en")
    assert result.text == "Gemini 1.5 Pro shows higher ICL data efficiency than GPT-4o on most datasets [1]."
    assert kept_and_removed(result)[1] == [
        ("GPT-4o shows higher ICL data efficiency than Gemini 1.5 Pro on most datasets.", (("2405.09798", "order"),))]


@pytest.mark.parametrize("true, false", [
    ("SPPO reaches its results without extra supervision from GPT-4 [1].",
     "SPPO relies on extra supervision from GPT-4 [1]."),
    ("OpenRLHF 與 Hugging Face 無縫整合 [1]。", "OpenRLHF 不支援 Hugging Face [1]。"),
])
def test_what_the_paper_negates_is_not_shown_as_its_finding(papers, true, false):
    given = sources(papers, SPPO if "SPPO" in true else "2405.11143")
    result = attribute(f"{true} {false}", given, "en")
    assert result.text == true
    [(_, conflicts)] = kept_and_removed(result)[1]
    assert conflicts == ((given[0].arxiv_id, "negation"),)


@pytest.mark.parametrize("paper, true, false, check", [
    (HIPPO, "Integrating HippoRAG into IRCoT brings further gains [1].",
     "Integrating HippoRAG into IRCoT hurts its performance [1].", "direction"),
    ("2405.09673", "LoRA 提供的正則化比權重衰減和隨機失活更強 [1]。", "LoRA 提供的正則化比權重衰減和隨機失活更弱 [1]。", "direction"),
    ("2405.01481", "NeMo-Aligner scales to hundreds of GPUs [1].", "NeMo-Aligner only runs on a single GPU [1].", "scope"),
    ("2405.09818", "Chameleon 是基於早期融合的混合模態模型 [1]。", "Chameleon 是基於晚期融合的混合模態模型 [1]。", "antonym"),
    ("2405.01470", "WildChat was collected by giving users free access to ChatGPT [1].",
     "WildChat was collected from paid crowd workers [1].", "antonym"),
    # Numbers swapped within the paper: each measures what the paper says it measures.
    (HIPPO, "Its single-step retrieval is 10-30 times cheaper and 6-13 times faster than IRCoT [1].",
     "Its single-step retrieval is 10-30 times faster and 6-13 times cheaper than IRCoT [1].", "number"),
    ("2405.18377", "LLaMA-NAS 讓模型大小減少 1.5 倍、吞吐量加速 1.3 倍 [1]。", "LLaMA-NAS 讓模型大小減少 1.3 倍、吞吐量加速 1.5 倍 [1]。",
     "number"),
    # A model the paper only compares against is not its component.
    (GNN_RAG, "GNN-RAG outperforms or matches GPT-4 on multi-hop and multi-entity questions [1].",
     "GPT-4 serves as the LLM that performs the final KGQA reasoning step in GNN-RAG [1].", "role"),
    ("2405.00732", "4 位元的 LoRA 微調模型平均比 GPT-4 高出 10 分 [1]。", "LoRAX 以 GPT-4 作為共享的基礎模型權重 [1]。", "role"),
])
def test_a_claim_the_paper_contradicts_in_its_own_words_is_removed(papers, paper, true, false, check):
    """Changes the other way, an "only" the paper does not state, a word whose opposite it uses,
    numbers swapped within the paper, a baseline presented as the method's component."""
    result = attribute(f"{true} {false}", sources(papers, paper), "en")
    assert result.text == true
    [(_, conflicts)] = kept_and_removed(result)[1]
    assert conflicts == ((paper, check),)


def test_a_title_no_cited_paper_has_takes_its_sentence_with_it(papers):
    given = sources(papers, HIPPO)
    true = "海馬體啟發的論文是《HippoRAG: Neurobiologically Inspired Long-Term Memory for Large Language Models》 [1]。"
    false = "海馬體啟發的論文是《人類長-memory理論》 [1]。"
    result = attribute(true + false, given, "zh")
    assert result.text == true
    assert kept_and_removed(result)[1] == [("海馬體啟發的論文是《人類長-memory理論》。", ((HIPPO, "title"),))]


@pytest.mark.parametrize("quoted", ["“Graph Rerankers Are All You Need”", "**Graph Rerankers Are All You Need**",
                                    "the paper titled \"Connected Documents Answer Better\""])
def test_an_invented_title_in_quotes_or_bold_is_removed(papers, quoted):
    result = attribute(f"{quoted} introduces G-RAG, a GNN-based reranker between the retriever and the reader [2].",
                       sources(papers, GNN_RAG, G_RAG), "en")
    assert result.text == "" and result.removed[0].conflicts == ((G_RAG, "title"),)


def test_a_real_title_or_part_of_one_stays_and_its_marker_goes_to_its_paper(papers):
    given = sources(papers, GNN_RAG, G_RAG)
    text = ("“Don't Forget to Connect! Improving RAG with Graph-based Reranking” introduces G-RAG, a GNN-based reranker "
            "between the retriever and the reader [1]. In 《GNN-RAG》, a GNN reasons over a dense knowledge-graph "
            "subgraph to retrieve answer candidates [1].")
    result = attribute(text, given, "en")
    assert not result.removed
    assert cited_by(result, "Don't Forget") == (G_RAG,) and cited_by(result, "dense knowledge-graph") == (GNN_RAG,)


def test_a_claim_about_both_papers_must_hold_for_each(papers):
    given = sources(papers, "2405.11143", "2405.01481")  # OpenRLHF, NeMo-Aligner: only the latter has SteerLM
    result = attribute("Both toolkits implement RLHF and DPO [1][2]. Both toolkits implement SteerLM [1][2].",
                       given, "en")
    assert result.text == "Both toolkits implement RLHF and DPO [1][2]."
    assert cited_by(result, "RLHF and DPO") == ("2405.11143", "2405.01481")


def test_one_papers_name_does_not_borrow_anothers_finding(papers):
    """SELM explores; approximating a Nash equilibrium by self-play is SPPO's."""
    given = sources(papers, SPPO, SELM)
    result = attribute("SPPO approximates the Nash equilibrium through iterative policy updates [1]. "
                       "SELM, like SPPO, approximates a Nash equilibrium through self-play [2].", given, "en")
    assert result.text == "SPPO approximates the Nash equilibrium through iterative policy updates [1]."


def test_why_a_claim_was_removed_is_ready_for_json(papers):
    result = attribute("NeMo-Aligner only runs on a single GPU [1].", sources(papers, "2405.01481"), "en")
    assert result.claims[0].to_dict() == {"text": "NeMo-Aligner only runs on a single GPU.", "sources": [],
                                          "score": result.claims[0].score, "action": REMOVED,
                                          "conflicts": [{"paper": "2405.01481", "check": "scope"}]}


# -- framing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("framing", ["Here are the relevant papers:", "以下是相關論文：", "Hope this helps!",
                                     "**Method**", "有的，清單中有一篇。", "Does it scale?"])
def test_framing_is_left_alone(papers, framing):
    given = sources(papers, HIPPO)
    text = f"{framing}\nHippoRAG builds a knowledge graph and runs Personalized PageRank over it [1]."
    result = attribute(text, given, "en")
    assert result.text == text
    assert result.claims[0].action == FRAMING


def test_a_wrong_marker_on_framing_is_dropped_and_a_title_heading_keeps_its_own(papers):
    given = sources(papers, HIPPO, GNN_RAG)
    text = "Here are two papers on graphs and retrieval [1]:\n**HippoRAG** [1]\nIt runs Personalized PageRank [1]."
    result = attribute(text, given, "en")
    assert result.text == "Here are two papers on graphs and retrieval:\n**HippoRAG** [1]\nIt runs Personalized " \
                          "PageRank [1]."


# -- layout ----------------------------------------------------------------------------------------
def test_layout_is_kept_byte_for_byte_except_the_markers(papers):
    given = sources(papers, SELM, SPPO)
    text = ("**Method**\n"
            "- **SELM** [2]: a bilevel objective that is optimistically biased towards high-reward responses.\n"
            "- **SPPO** [1]: treats alignment as a constant-sum two-player game and approximates the Nash equilibrium.\n"
            "\n"
            "  1. SPPO reaches a 28.53% win rate on AlpacaEval 2.0 [1].\n")
    result = attribute(text, given, "en")
    assert result.text == text.replace("**SELM** [2]", "**SELM** [1]").replace("**SPPO** [1]", "**SPPO** [2]") \
        .replace("2.0 [1].", "2.0 [2].")


def test_a_removed_bullet_takes_its_line_with_it(papers):
    given = sources(papers, HIPPO)
    text = "Findings:\n• HippoRAG beats RAG methods by up to 20% on multi-hop QA [1]\n• It won a best paper award [1]\nEnd."
    assert attribute(text, given, "en").text == \
        "Findings:\n• HippoRAG beats RAG methods by up to 20% on multi-hop QA [1]\nEnd."


def test_no_sources_or_no_text_changes_nothing(papers):
    assert attribute("", sources(papers, HIPPO), "en").text == ""
    assert attribute("Anything [1].", [], "en").text == "Anything [1]."


def test_claims_are_ready_for_json(papers):
    result = attribute("HippoRAG runs Personalized PageRank over a knowledge graph [1].", sources(papers, HIPPO), "en")
    assert result.claims[0].to_dict() == {"text": "HippoRAG runs Personalized PageRank over a knowledge graph.",
                                          "sources": [HIPPO], "score": result.claims[0].score, "action": KEPT}
    assert 0 < result.claims[0].score <= 1


# -- the offline answers -------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["ask_en", "ask_zh", "summarize", "compare", "recommend"])
async def test_offline_answers_pass_untouched(seeded_kb, operation):
    from rag.answers.operations import Answerer

    engine = Answerer(seeded_kb)
    call = {
        "ask_en": lambda: engine.ask("Is there a retrieval method inspired by the hippocampus?"),
        "ask_zh": lambda: engine.ask("如何減少多模態模型的視覺標記數量？"),
        "summarize": lambda: engine.summarize("2405.14831"),
        "compare": lambda: engine.compare(["2405.19332", "2405.00675"], language="en"),
        "recommend": lambda: engine.recommend("2405.20139", k=4),
    }[operation]()
    answer = await call if inspect.isawaitable(call) else call
    given = [seeded_kb.catalog[c.arxiv_id] for c in [*answer.citations, *answer.sources]]
    result = attribute(answer.text, given, answer.language)
    assert result.text == answer.text
    assert not result.removed and all(c.action in (KEPT, FRAMING) for c in result.claims)


# -- the benchmark, as a floor -----------------------------------------------------------------------
# (precision ≥, recall ≥, unsupported shown ≤) per split: a little under what rag.claims reached
# (benchmarks/citations/README.md). "blind" was written before the checks for contradictions and
# measured once before its failures were read; its floor is what it showed after that. tune-24
# and held-24 are issue 24's kinds of error (numbers in words, openers, titles, ...).
FLOORS = {"tune": (0.96, 0.96, 0.15), "holdout": (0.98, 0.96, 0.03), "fresh": (0.97, 0.90, 0.06),
          "blind": (0.89, 0.93, 0.36), "tune-24": (0.95, 0.95, 0.12), "held-24": (0.89, 0.97, 0.35)}


def test_the_citation_benchmark_stays_above_its_floor():
    """Direct mode on every case of benchmarks/citations, split by split."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT))  # benchmarks/ is not an installed package
    from benchmarks.citations import read_cases, run_direct

    results = run_direct(read_cases()).to_dict()["results"]
    after, before = results["after"], results["before"]["all"]["all"]
    for split, (precision, recall, unsupported) in FLOORS.items():
        row = after["split"][split]
        assert row["precision"] >= precision and row["recall"] >= recall, (split, row)
        assert row["unsupported_shown"] <= unsupported, (split, row)
    assert after["all"]["all"]["framing_kept"] >= 0.90 and after["all"]["all"]["offline_unchanged"] == 1.0
    assert before["precision"] < 0.8 and before["recall"] < 0.7  # today's check alone, on the same cases
