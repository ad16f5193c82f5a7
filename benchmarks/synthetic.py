"""Synthetic papers that look like the group's table: English titles, Traditional
Chinese summaries with English method names and numbers, topics from the seed list.
Deterministic for a given seed, so every run measures the same corpus."""

from __future__ import annotations

import datetime as dt
import random

from rag.papers.table import Paper

TOPICS = ["多模態模型", "對齊", "偏好優化", "RLHF", "PEFT 方法", "微調", "基於圖的 RAG", "RAG 優化", "LLM 代理",
          "小型語言模型", "狀態空間模型", "評估", "基準測試", "擴散", "模型編輯", "工具包", "事實性", "心智理論",
          "神經架構搜索", "線性表示分析", "Transformer 分析", "ICL", "調查研究", "基礎模型"]
TITLE_A = ["Efficient", "Scalable", "Robust", "Sparse", "Adaptive", "Hierarchical", "Contrastive", "Self-Supervised",
           "Multilingual", "Long-Context", "Retrieval-Augmented", "Graph-Based", "Parameter-Efficient", "Federated"]
TITLE_B = ["Alignment", "Reasoning", "Retrieval", "Fine-Tuning", "Distillation", "Quantization", "Pruning",
           "Preference Optimization", "Tokenization", "Memory", "Planning", "Evaluation", "Attention", "Decoding"]
TITLE_C = ["for Large Language Models", "in Vision-Language Models", "with Knowledge Graphs", "for Agents",
           "under Distribution Shift", "at Scale", "for Code Generation", "with Mixture of Experts"]
NAMES = ["Orca", "Falcon", "Heron", "Lynx", "Otter", "Marten", "Ibis", "Kestrel", "Puffin", "Tern", "Wren", "Vole"]
CLAUSES = [
    "大型語言模型（LLMs）在{task}方面表現卓越，但{problem}仍是主要挑戰。",
    "本研究提出 {name}，一種結合{method}與{method2}的新方法。",
    "我們在 {bench} 與 {bench2} 上進行實驗，結果顯示性能提升 {num}%。",
    "與現有方法相比，{name} 的推理速度提高 {x} 倍，並減少記憶體使用。",
    "此外，我們分析了{method}在{task}中的作用，並討論其局限性。",
    "代碼和模型可在 https://github.com/example/{slug} 獲得。",
]
TASKS = ["多跳問答", "程式碼生成", "數學推理", "圖像理解", "長文本摘要", "對話系統", "資訊檢索", "機器翻譯"]
PROBLEMS = ["計算成本過高", "幻覺問題", "泛化能力不足", "數據稀缺", "對齊不穩定", "推理延遲"]
METHODS = ["知識圖譜", "低秩適配器", "強化學習", "對比學習", "稀疏注意力", "檢索增強生成", "偏好優化", "模型剪枝",
           "知識蒸餾", "量化技術", "思維鏈提示", "狀態空間模型"]
BENCHES = ["MMLU", "GSM8K", "HumanEval", "MT-Bench", "AlpacaEval 2.0", "WebQSP", "COCO", "BEIR", "HotpotQA"]


def synthetic_papers(n: int, seed: int = 7) -> list[Paper]:
    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    papers = []
    for i in range(n):
        name = f"{rng.choice(NAMES)}-{i}"
        fill = dict(task=rng.choice(TASKS), problem=rng.choice(PROBLEMS), name=name, method=rng.choice(METHODS),
                    method2=rng.choice(METHODS), bench=rng.choice(BENCHES), bench2=rng.choice(BENCHES),
                    num=round(rng.uniform(1, 30), 1), x=round(rng.uniform(1.2, 10), 1), slug=name.lower())
        summary = "".join(c.format(**fill) for c in rng.sample(CLAUSES, 4))
        title = f"{name}: {rng.choice(TITLE_A)} {rng.choice(TITLE_B)} {rng.choice(TITLE_C)}"
        yymm = 2301 + (i // 90000)  # new-style IDs: at most 99999 per month
        papers.append(Paper(
            arxiv_id=f"{yymm}.{i % 90000 + 10000:05d}",
            title=title,
            date=start + dt.timedelta(days=rng.randrange(700)),
            summary=summary,
            topics=tuple(rng.sample(TOPICS, rng.choice((1, 1, 2, 3)))),
        ))
    return papers
