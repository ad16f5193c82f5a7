"""Answers paperbot writes itself, without a model: extracts of the best-matching
sentences, per-paper summaries, a side-by-side comparison, the reasons behind a
recommendation, and a summary's problem / method / results for the comparison table.
They quote the papers (the English abstract for an English reader when arXiv gave one,
else the group's Chinese summary) and cite them with the same [n] markers."""

from __future__ import annotations

import re

from rag.papers.table import Paper
from rag.search.retrieval import Hit
from rag.text import glossary
from rag.text.language import EN, ZH, base_language
from rag.text.sentences import first_sentences, joined, sentences
from rag.text.tokens import tokenize


def extracts(papers: list[Paper], question: str, language: str) -> str:
    wanted = set(tokenize(question + " " + " ".join(glossary.expand(question))))
    lines = [f"• **{p.title}** ({p.date.isoformat()}) — {best_sentences(text_for(p, language), wanted)} [{n}]"
             for n, p in enumerate(papers, 1)]
    intro = {EN: "The closest papers in the list:", ZH: "清單中最相關的論文："}[base_language(language)]
    return intro + "\n" + "\n".join(lines)

def summaries(papers: list[Paper], language: str) -> str:
    if len(papers) == 1:
        p = papers[0]
        return f"**{p.title}** [1]\n{p.date.isoformat()} · {'、'.join(p.topics)}\n\n{text_for(p, language)} [1]"
    return "\n".join(f"• **{p.title}** ({p.date.isoformat()}) — {first_sentences(text_for(p, language), 2)} [{n}]"
                     for n, p in enumerate(papers, 1))

def side_by_side(papers: list[Paper], language: str) -> str:
    labels = {EN: ("Date", "Topics", "Summary"), ZH: ("日期", "主題", "摘要")}[base_language(language)]
    blocks = [
        f"**[{n}] {p.title}**\n{labels[0]}: {p.date.isoformat()} · {labels[1]}: {'、'.join(p.topics)}\n"
        f"{labels[2]}: {first_sentences(text_for(p, language), 3)} [{n}]"
        for n, p in enumerate(papers, 1)
    ]
    shared = set(papers[0].topics).intersection(*(p.topics for p in papers[1:]))
    if shared:
        blocks.append({EN: "Shared topics: ", ZH: "共同主題："}[base_language(language)] + "、".join(sorted(shared)))
    return "\n\n".join(blocks)

def reason(hit: Hit, seed: Paper | None, target: str, language: str) -> str:
    lang = base_language(language)
    shared = [t for t in hit.paper.topics if seed and t in seed.topics]
    if not seed:
        shared = [t for t in hit.paper.topics if any(t.casefold() in x.casefold() or x.casefold() in t.casefold()
                                                    for x in [target, *glossary.expand(target)])]
    parts = []
    if shared:
        parts.append({EN: "shares topics ", ZH: "共同主題："}[lang] + "、".join(shared))
    words = sorted(set(tokenize(target)) & set(tokenize(f"{hit.paper.title} {hit.paper.summary}")), key=len,
                   reverse=True)[:4] if not seed else []
    if words:
        parts.append({EN: "mentions ", ZH: "提到 "}[lang] + ", ".join(words))
    if hit.dense_similarity:
        parts.append({EN: f"similarity {hit.dense_similarity:.2f}", ZH: f"相似度 {hit.dense_similarity:.2f}"}[lang])
    return "; ".join(parts) or {EN: "close in wording", ZH: "用詞相近"}[lang]


def text_for(paper: Paper, language: str) -> str:
    """What an offline answer quotes: the English abstract for an English reader when
    arXiv gave one, else the group's Chinese summary."""
    return paper.abstract if language == EN and paper.abstract else paper.summary


def best_sentences(summary: str, wanted: set[str], n: int = 2) -> str:
    found = sentences(summary)
    scored = sorted(range(len(found)), key=lambda i: -len(wanted & set(tokenize(found[i]))))
    chosen = sorted(scored[:n]) if wanted and any(wanted & set(tokenize(s)) for s in found) else list(range(n))
    return joined([found[i] for i in chosen if i < len(found)], summary)


_ROWS = {"problem": ("problem", "問題", "问题", "motivation", "動機"), "method": ("method", "方法", "approach"),
         "results": ("result", "結果", "结果", "finding")}
_LINE_MARKER = re.compile(r"^[\s*•·+-]*\[(\d+)\]\s*[:：-]?\s*")


def compare_cells(text: str, n: int) -> dict[int, dict[str, str]]:
    """{paper number: {problem|method|results: its line}} from a comparison written in
    sections (a heading, then a line per paper starting with its number)."""
    cells: dict[int, dict[str, str]] = {}
    row = None
    for line in text.splitlines():
        heading = line.strip().strip("*#_:：- ").casefold()
        named = next((r for r, words in _ROWS.items() if any(heading.startswith(w) for w in words)), None)
        if named and len(heading) <= 20:
            row = named
            continue
        if row and (marker := _LINE_MARKER.match(line)) and 1 <= int(marker[1]) <= n:
            cell = re.sub(r"\s*\[\d+\]", "", line[marker.end():]).strip(" *")
            if cell:
                cells.setdefault(int(marker[1]), {})[row] = cell
    return cells


_CUES = {  # words that mark a sentence of a summary as stating the problem, the method or the results
    "method": ("提出", "介紹", "引入", "推出", "設計了", "開發了", "我們的方法", "propose", "introduce",
               "present", "we design", "we develop"),
    "results": ("結果", "實驗", "顯示", "表明", "證明", "超越", "優於", "提升", "提高", "達到", "最先進", "%",
                "result", "experiment", "outperform", "achiev", "improv", "show", "state-of-the-art"),
    "problem": ("然而", "但", "挑戰", "問題", "限制", "不足", "困難", "缺乏", "難以", "瓶頸", "低效",
                "however", "but ", "challenge", "problem", "limitation", "lack", "struggle", "costly"),
}
_CODE_LINK = re.compile(r"https?://|github", re.IGNORECASE)  # "code is at …" says nothing for the table


def summary_parts(summary: str, per_part: int = 2) -> dict[str, str]:
    """A summary split into its problem, method and results sentences (by cue words), for the
    comparison table when no model wrote them. Parts choose in the order method, results,
    problem, each taking its best-cued sentences not yet taken (results lean late in the
    summary, problems early); a part without cues gets the first, second or last sentence."""
    sentences_ = sentences(summary)
    if not sentences_:
        return {"problem": "", "method": "", "results": ""}
    last = len(sentences_) - 1
    taken: set[int] = set()
    chosen: dict[str, list[int]] = {}
    for part, cues in _CUES.items():
        scored = []
        for index, sentence in enumerate(sentences_):
            lowered = sentence.lower()
            hits = sum(cue in lowered for cue in cues)
            if not hits or _CODE_LINK.search(sentence):
                continue
            lean = index / max(last, 1)  # 0 at the start, 1 at the end
            score = hits + {"results": lean, "problem": 1 - lean}.get(part, 0.0)
            scored.append((index not in taken, score, -index, index, hits))
        # A sentence already taken is shared only when no other has this part's cues
        # ("we propose X, which reaches the state of the art" is method and results at once).
        scored.sort(reverse=True)
        picked = sorted(index for rank, (fresh, _, _, index, hits) in enumerate(scored[:per_part])
                        if (fresh or not scored[0][0]) and (rank == 0 or hits >= 2))  # a 2nd only if well cued
        if not picked:
            fallback = {"problem": 0, "method": min(1, last), "results": last}[part]
            picked = [fallback] if fallback not in taken else []
        taken.update(picked)
        chosen[part] = picked
    return {part: joined([sentences_[i] for i in chosen[part]], summary) for part in ("problem", "method", "results")}
