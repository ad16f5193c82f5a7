"""Answers paperbot writes itself, without a model: extracts of the best-matching
sentences, per-paper summaries, a side-by-side comparison, the reasons behind a
recommendation, and a summary's problem / method / results for the comparison table.
They quote the papers (the English abstract for an English reader when arXiv gave one,
else the group's Chinese summary) and cite them with the same [n] markers."""

from __future__ import annotations

import re

from rag.papers.table import Paper
from rag.search.retrieval import DENSE_RELEVANT, Hit
from rag.text import glossary
from rag.text.language import EN, ZH, base_language
from rag.text.script import CJK_CHARS
from rag.text.sentences import first_sentences, joined, sentences
from rag.text.tokens import tokenize

# A question about how papers differ is answered side by side, not as extracts.
_COMPARING = re.compile(r"\b(?:differ\w*|compar\w*|vs\.?|versus|better than|contrast)\b|區別|差異|差別|不同|比較|哪個好|区别|差异|比较",
                        re.IGNORECASE)


def extracts(papers: list[Paper], question: str, language: str) -> str:
    if len(papers) >= 2 and _COMPARING.search(question):
        return differences(papers[:3], language)
    wanted = set(tokenize(question + " " + " ".join(glossary.expand(question))))
    lines = [f"• **{p.title}** ({p.date.isoformat()}) — {best_sentences(text_for(p, language), wanted)} [{n}]"
             for n, p in enumerate(papers, 1)]
    intro = {EN: "The closest papers in the list:", ZH: "清單中最相關的論文："}[base_language(language)]
    return intro + "\n" + "\n".join(lines)


def differences(papers: list[Paper], language: str) -> str:
    """How papers differ, from their own summaries: each one's problem, method and results."""
    lang = base_language(language)
    labels = {EN: ("How they differ, from their summaries:", "problem", "method", "results"),
              ZH: ("它們的差別（摘自各篇摘要）：", "問題", "方法", "結果")}[lang]
    blocks = []
    for n, paper in enumerate(papers, 1):
        parts = summary_parts(text_for(paper, language), per_part=1)
        lines = [f"{label}: {parts[key]} [{n}]" for label, key in zip(labels[1:], ("problem", "method", "results"))
                 if parts[key]]
        blocks.append(f"**[{n}] {paper.title}**\n" + "\n".join(lines))
    return labels[0] + "\n\n" + "\n\n".join(blocks)


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
    """Why a paper is recommended, in the reader's words: the topics it shares (English ones
    for an English reader), the words of the interest it says, else that it is close in meaning."""
    lang = base_language(language)
    shared = [t for t in hit.paper.topics if seed and t in seed.topics]
    if not seed:
        shared = [t for t in hit.paper.topics if any(t.casefold() in x.casefold() or x.casefold() in t.casefold()
                                                    for x in [target, *glossary.expand(target)])]
    parts = []
    if shared:
        parts.append({EN: "shares the topics ", ZH: "共同主題："}[lang] + "、".join(_topic_name(t, lang) for t in shared))
    said = _words_said(target, hit.paper) if not seed else []
    if said:
        parts.append({EN: "mentions ", ZH: "提到 "}[lang] + ", ".join(f"“{w}”" for w in said))
    if not parts and hit.dense_similarity >= DENSE_RELEVANT:
        parts.append({EN: "close in meaning", ZH: "意思相近"}[lang])
    return "; ".join(parts) or {EN: "close in wording", ZH: "用詞相近"}[lang]


def _topic_name(topic: str, lang: str) -> str:
    """A topic as an English reader reads it: the glossary's English beside the list's name."""
    if lang != EN or topic.isascii():
        return topic
    english = next((terms[0] for terms in glossary.translations(topic) if terms and terms[0].isascii()), None)
    return f"{english} ({topic})" if english else topic


def _words_said(target: str, paper: Paper, most: int = 4) -> list[str]:
    """The interest's own words (as typed, not stems) that the paper's text holds."""
    held = set(tokenize(f"{paper.title} {paper.summary} {paper.abstract}"))
    words = re.findall(rf"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*|[{CJK_CHARS}]{{2,}}", target)
    said = [w for w in dict.fromkeys(words) if (toks := set(tokenize(w))) and toks <= held]
    return said[:most]


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
# "code is at …", "released under the Apache 2.0 licence": nothing for the table
_NOT_A_PART = re.compile(r"https?://|github|licen[cs]e|許可證|授權", re.IGNORECASE)
# A sentence's first word that only links it to the one before: the cell stands alone.
_CONNECTIVE = re.compile(r"^(?:首先|其次|此外|另外|再者|同時|最後|最终|然而|因此|"
                         r"first(?:ly)?|second(?:ly)?|moreover|furthermore|in addition|finally|however|thus)[，,：:\s]+",
                         re.IGNORECASE)


def summary_parts(summary: str, per_part: int = 2) -> dict[str, str]:
    """A summary split into its problem, method and results (by cue words), for the
    comparison table when no model wrote them. Each sentence serves one part: method, results
    and problem each take their best-cued sentence not yet taken, problems leaning early in
    the summary and results late; a second sentence only when well cued. A part without a cued sentence takes an unused one
    (problem the first, method the next, results the last); with none left it stays empty,
    never a repeat. Links and licences are not parts."""
    found = sentences(summary)
    usable = [i for i, s in enumerate(found) if not _NOT_A_PART.search(s)]
    chosen: dict[str, list[int]] = {part: [] for part in _CUES}
    if not usable:
        return {part: "" for part in ("problem", "method", "results")}
    last = max(len(found) - 1, 1)
    taken: set[int] = set()
    for part, cues in _CUES.items():  # method, results, problem: the clearest cues choose first
        scored = []
        for i in usable:
            hits = sum(cue in found[i].lower() for cue in cues)
            if hits and i not in taken:
                lean = {"results": i / last, "problem": 1 - i / last}.get(part, 0.0)
                scored.append((hits + lean, hits, -i))
        scored.sort(reverse=True)
        chosen[part] = [-i for rank, (_, hits, i) in enumerate(scored[:per_part]) if rank == 0 or hits >= 2]
        taken.update(chosen[part])
    for part, pick in (("problem", min), ("method", min), ("results", max)):
        left = [i for i in usable if i not in taken]
        if not chosen[part] and left:
            chosen[part].append(pick(left))
            taken.add(chosen[part][0])
    return {part: joined([_standalone(found[i]) for i in sorted(chosen[part])], summary)
            for part in ("problem", "method", "results")}


def _standalone(sentence: str) -> str:
    """The sentence without a first word that only linked it to the one before."""
    rest = _CONNECTIVE.sub("", sentence)
    return rest[:1].upper() + rest[1:] if rest != sentence else sentence
