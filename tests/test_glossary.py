"""Behaviour tests for rag.text.glossary (bilingual query expansion)."""

import time

from rag.text import glossary
from rag.text.glossary import expand, lookup


def test_english_term_expands_to_chinese():
    assert "對齊" in expand("How does alignment work?")


def test_chinese_term_expands_to_english():
    out = expand("知識圖譜")
    assert "knowledge graph" in out
    assert "graph" not in out  # 圖譜 inside 知識圖譜 must not match on its own


def test_longest_phrase_wins_over_contained_word():
    out = expand("papers about knowledge graphs")
    assert "知識圖譜" in out
    assert "圖形" not in out  # the Chinese for plain 'graph'
    # ... but a standalone 'graph' is still found
    assert "圖形" in expand("reranking with a graph")


def test_case_insensitive():
    assert expand("ALIGNMENT") == expand("alignment") == expand("Alignment")
    assert "低秩適配" in expand("LORA")


def test_unknown_words():
    assert expand("hello world, what is for lunch?") == []
    assert expand("") == []
    assert lookup("banana") == []
    assert lookup("") == []


def test_word_boundaries():
    # 'rag' and 'graph' are glossary terms, 'paragraph' / 'dragon' are not
    assert expand("paragraph") == []
    assert expand("dragon") == []
    # ASCII terms next to CJK characters are still words
    assert "檢索增強生成" in expand("RAG的論文")


def test_inflections():
    assert "微調" in expand("Which models were fine-tuned on chat data?")
    assert "微調" in expand("finetuning")
    assert "微調" in expand("fine tuning")
    assert "大型語言模型" in expand("LLMs")
    assert "剪枝" in expand("pruned networks")
    assert "量化" in expand("quantized weights")


def test_order_and_dedup():
    out = expand("RLHF 與 強化學習 from human feedback，以及 DPO 和 RLHF")
    assert out.index("人類反饋強化學習") < out.index("直接偏好優化")
    assert len(out) == len(set(out))


def test_mixed_language_query():
    out = expand("LoRA微調的記憶體使用量")
    assert "低秩適配" in out
    assert "fine-tuning" in out
    assert "memory usage" in out


def test_paper_table_vocabulary():
    cases = {
        "困惑度": "perplexity",
        "心智理論": "theory of mind",
        "海馬": "hippocampus",
        "重排序": "reranking",
        "視覺標記": "visual token",
        "檢索增強生成": "retrieval-augmented generation",
        "狀態空間模型": "state space model",
        "參數高效微調": "parameter-efficient fine-tuning",
        "網絡架構搜索": "neural architecture search",
        "納什均衡": "nash equilibrium",
        "稀疏自編碼器": "sparse autoencoder",
        "圖神經網絡": "graph neural network",
    }
    for zh, en in cases.items():
        assert en in expand(f"有關{zh}的論文"), zh


def test_lookup():
    assert "對齊" in lookup("alignment")
    assert "knowledge graph" in lookup("知識圖譜")
    assert lookup("Fine Tuning") == lookup("fine-tuning")
    assert "reasoning" in lookup("推理") and "inference" in lookup("推理")
    assert "困惑度" in lookup("perplexity")


def test_results_are_copies():
    lookup("alignment").append("garbage")
    assert "garbage" not in lookup("alignment")
    expand("alignment").append("garbage")
    assert "garbage" not in expand("alignment")


def test_size_and_speed():
    entries = [
        line for line in glossary._TABLE.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert len(entries) >= 350
    query = (
        "Which recent papers study parameter-efficient fine-tuning with LoRA adapters, "
        "knowledge graphs for retrieval-augmented generation, and 心智理論 or 狀態空間模型 "
        "in large language models? 也想看剪枝與量化的方法"
    )
    assert 150 <= len(query) <= 250
    expand(query)
    n = 200
    start = time.perf_counter()
    for _ in range(n):
        expand(query)
    per_call = (time.perf_counter() - start) / n
    assert per_call < 0.005  # typically ~0.1 ms; generous bound against CI noise


def test_terms_live_in_a_data_file_a_researcher_can_edit():
    import pytest

    path = glossary._TABLE_FILE
    assert path.name == "glossary.txt" and path.parent.name == "text"
    assert "knowledge graph" in path.read_text(encoding="utf-8")
    # A new line in the file's format is parsed like the rest; a malformed one names its line.
    en2zh, zh2en = glossary._parse("wombat curriculum | wombat = 袋熊課程\n", "glossary.txt")
    assert en2zh["wombat"] == ("袋熊課程",) and zh2en["袋熊課程"] == ("wombat curriculum", "wombat")
    with pytest.raises(ValueError, match=r"glossary.txt:2: missing ' = '"):
        glossary._parse("a = 甲\nbroken line\n", "glossary.txt")
