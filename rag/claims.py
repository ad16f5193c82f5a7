"""Claims and the papers that support them: every sentence of an answer is checked
against the sources it was written from, and its citation markers are made true.

    attribution = attribute(text, papers, language)
    attribution.text     # the answer with corrected markers ([n] = n-th of `papers`)
    attribution.claims   # per sentence: its text, the arXiv IDs that support it, a score, what happened

A sentence is split from the answer (Chinese and English punctuation, list items,
lines); its support by each paper is how much of it the paper's text accounts for:
CJK-aware words and character bigrams against the title, summary and topics; English
words against the title, the English gloss and abstract, and the English terms the
glossary finds in the Chinese summary (an English sentence written from a Chinese
summary is the common case); numbers ("28.53%", "1.25 億" = "125M") and names
("WebQSP", "GPT-4") must be found in a supporting paper, because they survive
translation and are what a model invents. Simplified Chinese is read as Traditional.

Then, per sentence: a marker pointing at a paper that does not support it is moved to
the paper(s) that do; a sentence without a marker that a paper supports gets one
(answers of models that write no markers are kept); a factual sentence no paper
supports is removed, and listed in `claims` as removed; framing ("Here are three
papers:", headings, "希望有幫助") is left alone, losing only a marker that is wrong.
A sentence without its own marker is covered by the marker a reader would carry over
(later in its line, earlier in its line, or on its paragraph's bold heading) when that
paper supports it, so paragraph-level citations and the offline extracts stay as they
are.

Pure and deterministic: no network, no model unless `embed` is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag import glossary
from rag.lexical import tokenize
from rag.papers import Paper
from rag.script import to_traditional

KEPT, REATTRIBUTED, ADDED, REMOVED, FRAMING = "kept", "re-attributed", "added", "removed", "framing"

# Tuned on the tune half of benchmarks/citations (benchmarks/citations/README.md).
SUPPORTED = 0.40  # a paper accounts for at least this share of a sentence
NEAR_BEST = 0.75  # a cited paper within this fraction of the best one keeps its marker
CO_SUPPORT = 0.80  # another paper this close to the best one is cited too
MAX_ADDED = 3  # markers added to one sentence at most
# A sentence about several papers, supported by them together:
MEMBER = 0.35  # each accounts for at least this share of its words
MIN_GAIN = 0.05  # and adds at least this much to what the others account for
UNION_SUPPORTED = 0.55  # together they account for this much
CLAUSE_SUPPORTED = 0.5  # or for this much of the clause that names it
MAX_UNION = 4
FRAMING_KEEP = 0.7  # a marker on framing stays when its paper accounts for this much of it (a title heading)

_MARKERS = re.compile(r"\[(\s*\d+\s*(?:[,，、]\s*\d+\s*)*)\]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LINE_PREFIX = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]*|(?:[-*•·+]|\d{1,2}[.)])[ \t]+)?")
_BULLET = re.compile(r"^[ \t]*(?:[-*•·+]|\d{1,2}[.)])[ \t]+")
# A sentence ends at Chinese 。！？； or at . ! ? ; followed by a space (not a decimal
# point or an abbreviation), then may carry closing quotes, emphasis and markers.
SPLIT_CLAUSES = False  # also end a claim at ；/; (measured: see benchmarks/citations)
_END_SENTENCE = re.compile(r"[。！？]|[.!?](?=[\s\"'”’)\]）*_]|$)")
_END_CLAUSE = re.compile(r"[。！？；]|[.!?;](?=[\s\"'”’)\]）*_]|$)")
_TAIL = re.compile(r"[\"'”’」』)）*_]*(?:[ \t]*\[\s*\d+\s*(?:[,，、]\s*\d+\s*)*\])*")
_ABBREVIATIONS = frozenset("e.g i.e vs cf al etc approx fig eq no dr mr ms prof".split())


# -- the result -------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    text: str  # the sentence as shown, without markers
    sources: tuple[str, ...]  # arXiv IDs it is cited to after checking (own or carried-over markers)
    score: float  # how well its best supporting paper accounts for it, 0..1
    action: str  # kept, re-attributed, added, removed or framing
    cited: tuple[str, ...] = ()  # what the model had cited

    def to_dict(self) -> dict:
        return {"text": self.text, "sources": list(self.sources), "score": round(self.score, 3),
                "action": self.action}


@dataclass(frozen=True)
class Attribution:
    text: str  # markers are 1-based indexes into the given sources, ready for check_citations
    claims: list[Claim] = field(default_factory=list)

    @property
    def removed(self) -> list[Claim]:
        return [c for c in self.claims if c.action == REMOVED]

    @property
    def changed(self) -> bool:
        return any(c.action in (REATTRIBUTED, ADDED, REMOVED) for c in self.claims)


# -- splitting an answer into sentences ---------------------------------------------------
@dataclass
class _Sentence:
    start: int
    end: int
    line: int
    raw: str  # text[start:end], markers included
    bullet: bool
    heading: bool  # a line of its own that is a heading (# or bold only)
    markers: list[tuple[int, int, list[int]]] = field(default_factory=list)  # (start, end, numbers) in raw
    core: str = ""  # without markers and Markdown emphasis

    @property
    def cited(self) -> list[int]:
        return list(dict.fromkeys(n for _, _, ns in self.markers for n in ns))


def split_sentences(text: str) -> list[_Sentence]:
    """The sentences of `text` with their spans; everything between them is layout."""
    sentences: list[_Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        body_start = _LINE_PREFIX.match(line).end()
        bullet = bool(_BULLET.match(line))
        pos = body_start
        pieces = []
        while pos < len(line):
            while pos < len(line) and line[pos] in " \t":
                pos += 1
            if pos >= len(line):
                break
            end = _sentence_end(line, pos)
            pieces.append((pos, end))
            pos = end
        heading = len(pieces) == 1 and (line.lstrip().startswith("#") or _bold_only(line[pieces[0][0]:pieces[0][1]]))
        for start, end in pieces:
            raw = line[start:end]
            sentence = _Sentence(offset + start, offset + end, number, raw, bullet, heading)
            sentence.markers = [(m.start(), m.end(), [int(n) for n in re.split(r"[,，、]", m[1])])
                                for m in _MARKERS.finditer(raw)]
            core = " ".join(_MARKERS.sub(" ", raw).replace("**", "").replace("__", "").split())
            sentence.core = re.sub(r"\s+([。，、；：！？,.;:!?])", r"\1", core)
            sentences.append(sentence)
        offset += len(line) + 1
    return sentences


def _sentence_end(line: str, start: int) -> int:
    for match in (_END_CLAUSE if SPLIT_CLAUSES else _END_SENTENCE).finditer(line, start):
        if match[0] == "." and _not_an_end(line, start, match.start()):
            continue
        if line.count("**", start, match.start()) % 2:
            continue  # inside a bold title ("**Don't Forget to Connect! Improving RAG ...**")
        end = _TAIL.match(line, match.end()).end()
        return end
    return len(line.rstrip())


def _not_an_end(line: str, start: int, dot: int) -> bool:
    word = re.search(r"([A-Za-z0-9.]+)$", line[start:dot])
    if word and (word[1].lower().rstrip(".") in _ABBREVIATIONS or len(word[1]) == 1 and word[1].isupper()):
        return True
    return False


def _bold_only(raw: str) -> bool:
    stripped = _MARKERS.sub("", raw).strip()
    return bool(re.fullmatch(r"\*\*[^*]+\*\*[:：]?", stripped))


# -- what a paper says, in tokens, names and numbers ---------------------------------------------
_STOP = frozenset(
    "a an and are as at be been being by can could do does did for from has have had how i in into is it its "
    "me of on or our that the their them then there these this those to was were what which who why will with "
    "would about also both each either than too very more most less such via while whereas although though "
    "not no nor only just so if but because since between among across over under up down out own same other "
    "another one ones per using used use uses based it's they we you your yes here well instead rather "
    "further furthermore however moreover thus therefore hence when where whose any all some many much few "
    "several new first second finally end".split())
_GENERIC = frozenset(
    "paper papers work works study studies approach approaches method methods model models propose proposes "
    "proposed present presents introduce introduces show shows find finds found result results perform "
    "performance improve improves task tasks large language llm llms data train training achieve achieves "
    "framework system set setting settings way ways make makes help helps".split())
_ZH_GENERIC = frozenset(
    "作者 認為 指出 發現 表示 提出 研究 論文 這篇 此外 另外 以及 之間 這種 這些 那些 具體 來說 方面 透過 通過 使用 "
    "利用 進行 可以 能夠 一個 一種 兩者 三者 同樣 也是 則是 而是 主要 重點 方法 模型 結果 問題 提升 達到 顯示".split())
_LABELS = frozenset("date dates topic topics summary problem problems method methods result results title "
                    "authors author overview note".split())  # "Date:", "Topics:" are labels, not names
_LIST_WORDS = frozenset(
    "paper papers new topic topics most list week this these here following found 篇 論文 主題 新增 涵蓋 最多 本週 "
    "本期 清單 以下".split())
_ZH_FRAMING = re.compile(r"^(以下|下面|這裡|這些是|希望|如果您|如需|若需|有的|是的|沒有)|^(有|是|對|沒有|不)[，,]|"
                         r"清單(中|裡)?(有|沒有|並沒有|找不到)|如下[。：:]?$")
_EN_FRAMING = re.compile(
    r"^(here (is|are)|hope|i hope|let me know|feel free|happy (reading|to help)|sure|of course|yes|no|"
    r"in short|to sum up|(the )?(list|sources?) (do|does|did|has|have)|none of the (papers|sources)|"
    r"no (paper|source)|i (found|could not|couldn't|did not))\b|\bas follows\W*$", re.IGNORECASE)
# Statements about the list itself: "33 new papers in 19 topics", "Two papers carry the RLHF topic",
# "most on 多模態模型 (6), 對齊 (6)".
_LIST_STATS = re.compile(
    r"\d+\s*(new\s+)?(papers?|topics?)\b|\d+\s*(篇|個主題)|(\(\d+\)\D{1,30}){2,}|"
    r"^(two|three|four|five|several|\d+) (papers|works|studies)( in the list)? (carry|are|cover|look|fall)\b",
    re.IGNORECASE)


_STEMS_CACHE: dict[str, frozenset] = {}


def _stemset(name: str, words: frozenset) -> frozenset:
    """A word list as the stems tokenize() produces (computed once)."""
    if name not in _STEMS_CACHE:
        _STEMS_CACHE[name] = frozenset(t for w in words for t in tokenize(w))
    return _STEMS_CACHE[name]


_LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
_NUMBER = re.compile(r"(?<![A-Za-z0-9.,])(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s?(%|x|×|[kKmMbB](?![A-Za-z])|萬|億|千|"
                     r"百萬|十億|thousand|million|billion|trillion))?")
_MULTIPLIER = {"k": 1e3, "m": 1e6, "b": 1e9, "萬": 1e4, "億": 1e8, "千": 1e3, "百萬": 1e6, "十億": 1e9,
               "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# A number inside a name: GPT-4, Llama-3, v0.2, AlpacaEval 2.0, Mistral 7B (a capitalised word, a space).
_NAME_BEFORE = re.compile(r"(?:[A-Za-z][-.]?|\b[A-Z][A-Za-z0-9]*[ \-])$")
# Quantities in words: a claim stating one needs any of these values in the paper.
_NUMBER_WORDS = {"twice": (2.0,), "double": (2.0,), "doubles": (2.0,), "triple": (3.0,),
                 "half": (0.5, 50.0, 2.0), "halves": (0.5, 50.0, 2.0), "quarter": (0.25, 25.0, 4.0),
                 "兩倍": (2.0,), "二倍": (2.0,), "三倍": (3.0,), "一半": (0.5, 50.0, 2.0), "減半": (0.5, 50.0, 2.0),
                 "四分之一": (0.25, 25.0, 4.0)}
_SCORE_BEFORE = re.compile(r"(similarity|score|相似度|分數)\s*$", re.IGNORECASE)


def _numbers(text: str, claim: bool) -> set[float]:
    """The quantities a text states, as values (K/M/B, 萬/億, million... applied). A paper's
    text also gives the bare value; a number inside a name (GPT-4, Llama-3) is the name's,
    except a size with its unit (Mistral 7B → 7e9). A claim's years, dates, "(1)" list
    numbers and similarity scores are not facts to check."""
    if claim:
        text = re.sub(r"\b(19|20)\d{2}(-\d{2}(-\d{2})?)?\b", " ", text)
    text = re.sub(r"[（(]\d{1,3}[)）]", " ", text)
    values: set[float] = set()
    for match in _NUMBER.finditer(text):
        if re.fullmatch(r"\d{4}\.\d{4,5}", match[1]):
            continue  # an arXiv ID
        before, after = text[max(0, match.start() - 40):match.start()], text[match.end():match.end() + 1]
        unit = (match[2] or "").lower()
        raw = float(match[1].replace(",", ""))
        scaled = _round(raw * _MULTIPLIER.get(unit, 1))
        in_name = bool(_NAME_BEFORE.search(before)) or bool(re.match(r"[A-Za-z]", after))
        if claim and _SCORE_BEFORE.search(before):
            continue
        if in_name:
            if unit in ("k", "m", "b"):
                values.add(scaled)
            continue
        values.add(scaled)
        if not claim and unit in ("", "%", "x", "×"):
            values.add(_round(raw))  # "20%" states 20; "30 億" does not state 30
    lower = text.lower()
    for word, alternatives in _NUMBER_WORDS.items():
        if re.search(rf"(?<![a-z]){word}(?![a-z])", lower):
            # a claim's "half" is one quantity, met by any of its forms; a paper's text gives them all
            values.update([alternatives] if claim else alternatives)
    return values


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _norm_name(name: str) -> str:
    name = re.sub(r"[^a-z0-9]", "", name.lower())
    return name[:-1] if len(name) > 3 and name.endswith("s") and not name.endswith("ss") else name


def _names_in(text: str) -> set[str]:
    """Latin runs of a paper's text, alone and joined with up to three neighbours that
    follow after a space or hyphen (so "Llama 3 8B" matches "Llama-3-8B")."""
    runs = list(_LATIN_RUN.finditer(text))
    out: set[str] = set()
    for i, run in enumerate(runs):
        joined = run[0]
        out.add(_norm_name(joined))
        out.update(_norm_name(part) for part in re.split(r"[-.]", joined) if part)
        for prev, nxt in zip(runs[i:i + 3], runs[i + 1:i + 4]):
            if not re.fullmatch(r"[ \t\-]{1,2}", text[prev.end():nxt.start()]):
                break
            joined += nxt[0]
            out.add(_norm_name(joined))
    return out


# Parts joined by - or . continue a name when capitalised or numbered (Flan-PaLM, Llama-3-8B,
# v0.2), not when a plain word ("Mamba-based" is Mamba).
_PART = r"(?:[-.](?:[A-Z0-9][A-Za-z0-9]*|[a-z]+\d[A-Za-z0-9]*))*"
_TOKEN = (rf"(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Za-z]+[-.]?\d[A-Za-z0-9.]*|"
          rf"[A-Z][a-z]+){_PART}")
_NAME = re.compile(rf"(?<![A-Za-z0-9]){_TOKEN}(?:[ ](?:\d[A-Za-z0-9.]*|[A-Z][A-Za-z0-9]*{_PART}))*")
_OPENING = re.compile(r"(^|[:：.!?。—–\-·|\"“'‘(（])\s*$")


def _claim_names(core: str) -> list[tuple[str, str]]:
    """Names a claim relies on: mixed-case or digit-bearing tokens (WebQSP, GPT-4, LoRA), and
    capitalised words that do not open the sentence, a label or a quote (Hugging Face,
    Nash); each with the two words after it, for glossary phrases (Nash equilibrium)."""
    names = []
    chinese = bool(_CJK.search(core))  # Chinese has no capitals: a capitalised Latin word in it is a name
    for match in _NAME.finditer(core):
        words = match[0].rstrip(".").split(" ")
        opening = bool(_OPENING.search(core[:match.start()])) and not chinese
        # "Both GNN-RAG", "Results Parrot": a plain capitalised word that opens the
        # sentence, or a label or stop word, is not part of the name after it.
        while words and re.fullmatch(r"[A-Z][a-z]+", words[0]) and (
                opening or words[0].lower() in _STOP | _GENERIC | _LABELS):
            words, opening = words[1:], False
        word = " ".join(words)
        if not word or word.lower() in _LABELS or any(word == n for n, _ in names):
            continue
        following = " ".join(re.findall(r"[A-Za-z][A-Za-z\-]*", core[match.end():])[:2])
        names.append((word, following))
    return names


@dataclass(frozen=True)
class _Source:
    tokens: frozenset  # tokenize() of everything it says, and the glossary's English for its Chinese
    names: frozenset  # normalised Latin names
    numbers: frozenset
    zh_text: str  # lower-cased, for the glossary's Chinese terms, matched as substrings
    topics: frozenset  # tokens of its topic names


@lru_cache(maxsize=4096)
def _source(paper: Paper) -> _Source:
    topics = " ".join(paper.topics)
    everything = " ".join([paper.title, paper.summary, topics, paper.gloss, paper.abstract])
    english = " ".join(glossary.expand(paper.summary + " " + topics))  # 剪枝 → pruning
    return _Source(
        tokens=frozenset(tokenize(everything + " " + english)),
        names=frozenset(_names_in(everything)),
        numbers=frozenset(_numbers(" ".join([paper.title, paper.summary, paper.gloss, paper.abstract]), False)),
        zh_text=" ".join([paper.summary, topics, paper.title]).lower(),
        topics=frozenset(tokenize(topics)),
    )


# -- how well each paper accounts for a sentence ---------------------------------------
CRITICAL = 2.0  # a name or a number weighs as much as two words


@dataclass
class _Units:
    """What a sentence says: weighted words (tokens), and the names and numbers it states."""
    weights: dict[str, float]
    glossed: dict[str, tuple[str, ...]]  # English stem → the glossary's Chinese for its phrase
    names: list[tuple[str, str]]
    numbers: set[float]
    clauses: list[tuple[frozenset, frozenset, frozenset]] = field(default_factory=list)  # (words, names, numbers)

    @property
    def total(self) -> float:
        return sum(self.weights.values()) + CRITICAL * (len(self.names) + len(self.numbers))


_DATES = re.compile(r"\b(19|20)\d{2}(-\d{2}(-\d{2})?)?\b")


def _units(core: str) -> _Units:
    text = to_traditional(core)
    stop, generic = _stemset("stop", _STOP), _stemset("generic", _GENERIC | _ZH_GENERIC)
    tokens = [t for t in tokenize(_DATES.sub(" ", text)) if not re.fullmatch(r"[\d.]+", t)]
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    weights: dict[str, float] = {}
    for t, count in counts.items():
        if t in stop:
            continue
        if t in generic:
            weights[t] = 0.3
        elif _CJK.match(t) and len(t) == 2 and count == 1:
            weights[t] = 0.5  # a character bigram that is not also a word
        else:
            weights[t] = 1.0
    names, numbers = _claim_names(core), _numbers(text, True)
    clauses = []
    for clause in _CLAUSE.split(text):
        if clause.strip():
            words = frozenset(t for t in tokenize(_DATES.sub(" ", clause)) if t in weights)
            held = frozenset(i for i, (name, _) in enumerate(names)
                             if re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", clause))
            clauses.append((words, held, frozenset(_numbers(clause, True) & numbers)))
    return _Units(weights, _glossed(text), names, numbers, clauses)


_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：、—–]|\band\b|\bwhile\b|\bwhereas\b|而|以及|並且|和|與|及")


def _glossed(text: str) -> dict[str, tuple[str, ...]]:
    """English words of a sentence → the glossary's Chinese for the longest phrase they are in."""
    words = re.findall(r"[A-Za-z][A-Za-z\-]*", text)
    out: dict[str, tuple[str, ...]] = {}
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            if i + size > len(words):
                continue
            terms = _lookup(" ".join(words[i:i + size]).lower())
            if terms:
                for w in words[i:i + size]:
                    for stem in tokenize(w):
                        out[stem] = out.get(stem, ()) + terms
                break
        i += 1
    return out


@lru_cache(maxsize=16384)
def _lookup(phrase: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in glossary.lookup(phrase) if _CJK.search(t))


@dataclass
class _Support:
    score: float  # weighted share of the sentence this paper accounts for, names and numbers included
    words: float  # share of its words alone
    matched: frozenset  # the words it accounts for
    names: frozenset  # indexes of the claim's names it holds
    numbers: frozenset  # the claim's numbers it holds

    def complete(self, units: _Units) -> bool:
        return len(self.names) == len(units.names) and len(self.numbers) == len(units.numbers)


def _support(units: _Units, source: _Source) -> _Support:
    matched = frozenset(u for u in units.weights if u in source.tokens or
                        any(t in source.zh_text for t in units.glossed.get(u, ())))
    names = frozenset(i for i, n in enumerate(units.names) if _has_name(n, source))
    numbers = frozenset(v for v in units.numbers
                        if (v in source.numbers if isinstance(v, float) else any(a in source.numbers for a in v)))
    return _score(units, matched, names, numbers)


def _score(units: _Units, matched, names, numbers) -> _Support:
    word_total = sum(units.weights.values())
    word_hit = sum(units.weights[u] for u in matched)
    total = units.total
    hit = word_hit + CRITICAL * (len(names) + len(numbers))
    return _Support(hit / total if total else 0.0, word_hit / word_total if word_total else 0.0,
                    frozenset(matched), frozenset(names), frozenset(numbers))


def _has_name(name: tuple[str, str], source: _Source) -> bool:
    """The paper holds the name (any spacing or hyphenation), or the glossary's Chinese for it
    alone or with the words that follow; a multi-word name word by word."""
    word, following = name
    if _norm_name(word) in source.names:
        return True
    words = following.split()
    for size in range(len(words), -1, -1):  # Nash equilibrium → 納什均衡
        if any(t in source.zh_text for t in _lookup(" ".join([word, *words[:size]]).lower())):
            return True
    parts = word.split()
    return len(parts) > 1 and all(_has_name((p, ""), source) for p in parts)


# -- deciding ------------------------------------------------------------------------------
@dataclass
class _Verdict:
    sentence: _Sentence
    units: _Units
    scores: list[_Support]
    support: list[int]  # 0-based indexes of the papers that support it, best first
    framing: bool
    cited: list[int] = field(default_factory=list)  # 0-based indexes of the papers its markers point at
    final: list[int] = field(default_factory=list)  # 0-based indexes of its own markers after checking
    carried: list[int] = field(default_factory=list)  # markers it is covered by, from its line or heading
    action: str = KEPT
    removed: bool = False
    score: float = 0.0  # how well its supporters account for it together


def _supporters(units: _Units, scores: list[_Support]) -> tuple[list[int], float]:
    """The papers that support the sentence, best first, and how much of it they account for.

    One paper that holds every name and number and accounts for enough of the words
    supports it alone (with any other paper nearly as good). Otherwise a sentence about
    several papers ("Both GNN-RAG and HippoRAG ...") may be supported by several together:
    each must account for a fair share of the words on its own and add something the
    others lack, and together they must hold every name and number. Empty when nothing
    does."""
    if not scores or not units.total:
        return [], 0.0
    complete = [j for j, s in enumerate(scores) if s.complete(units) and s.score >= SUPPORTED]
    if complete:
        best = max(scores[j].score for j in complete)
        chosen = sorted((j for j in complete if scores[j].score >= CO_SUPPORT * best), key=lambda j: -scores[j].score)
        return chosen, best
    order = sorted(range(len(scores)), key=lambda j: -scores[j].score)
    chosen: list[int] = []
    matched, names, numbers = frozenset(), frozenset(), frozenset()

    def gain(j: int) -> float:
        s = scores[j]
        return _score(units, matched | s.matched, names | s.names, numbers | s.numbers).score - \
            _score(units, matched, names, numbers).score

    while len(chosen) < MAX_UNION:
        candidates = [j for j in order if j not in chosen and _member(units, scores[j], names, numbers)]
        if not candidates:
            break
        j = max(candidates, key=gain)
        if gain(j) < MIN_GAIN:
            break
        chosen.append(j)
        s = scores[j]
        matched, names, numbers = matched | s.matched, names | s.names, numbers | s.numbers
    together = _score(units, matched, names, numbers)
    if len(chosen) < 2 or not together.complete(units) or together.score < UNION_SUPPORTED:
        return [], max(s.score for s in scores)
    return chosen, together.score


def _member(units: _Units, s: _Support, names: frozenset, numbers: frozenset) -> bool:
    """A paper may join the papers supporting a sentence together when it accounts for a fair
    share of the sentence, or for most of the clause where a name or number only it holds
    stands ("..., Meteor's Mamba-based traversal of rationales, ...")."""
    new_names, new_numbers = s.names - names, s.numbers - numbers
    if not (new_names or new_numbers):
        return s.words >= MEMBER
    words, held, stated = frozenset(), frozenset(), frozenset()
    for c_words, c_names, c_numbers in units.clauses:
        if (c_names & new_names or c_numbers & new_numbers) and not (c_names & names or c_numbers & numbers):
            words, held, stated = words | c_words, held | c_names, stated | c_numbers  # a clause of its own
    total = sum(units.weights[w] for w in words) + CRITICAL * (len(held) + len(stated))
    hit = sum(units.weights[w] for w in words & s.matched) + CRITICAL * (len(held & s.names) + len(stated & s.numbers))
    return total > 0 and hit / total >= CLAUSE_SUPPORTED


DENSE_WEIGHT = 0.0  # share of an English sentence's score from `embed`; measured no gain, so off (see the benchmark)


def _english_text(paper: Paper) -> str:
    """What the English-only embedding model can read of a paper."""
    english = " ".join(t for t in glossary.expand(paper.summary) if not _CJK.search(t))
    return " ".join(x for x in [paper.title, paper.gloss, paper.abstract[:1500], english] if x)


def _dense(sentences: list[_Sentence], sources: list[Paper], embed) -> dict[int, list[float]]:
    """Cosine similarity of each English sentence to each paper's English text, from one
    batched call of `embed(texts) -> vectors`."""
    import numpy as np

    english = [k for k, s in enumerate(sentences) if s.core and not _CJK.search(s.core)]
    if not english:
        return {}
    vectors = np.asarray(embed([sentences[k].core for k in english] + [_english_text(p) for p in sources]),
                         dtype=float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    claims, papers = vectors[:len(english)], vectors[len(english):]
    return {k: list(row) for k, row in zip(english, claims @ papers.T)}


def _blend(s: _Support, similarity: float) -> _Support:
    """The lexical score moved toward the embedding similarity (0.2 → 0, 0.7 → 1)."""
    dense = min(1.0, max(0.0, (similarity - 0.2) / 0.5))
    return _Support((1 - DENSE_WEIGHT) * s.score + DENSE_WEIGHT * dense, s.words, s.matched, s.names, s.numbers)


def _structural_framing(sentence: _Sentence, units: _Units) -> bool:
    """Headings, intros that end in a colon, questions, pleasantries, and statements about
    the list itself: they need no citation, and none is added."""
    core = sentence.core.strip()
    if not core or sentence.heading or re.search(r"[:：?？]$", core):
        return True
    if _LIST_STATS.search(core):
        return True
    plain = re.sub(r"^[\W_]+", "", to_traditional(core))
    return bool(_ZH_FRAMING.search(plain) or _EN_FRAMING.search(plain)) and not (units.names or units.numbers)


def _label_line(sentence: _Sentence, topics: frozenset) -> bool:
    """A label and topic names only, as list metadata is written ("共同主題：多模態模型",
    "Shared topics: 對齊")."""
    match = re.fullmatch(r"([^:：。.!?]{1,24})[:：]\s*(.+)", sentence.core.strip())
    if not match or sentence.bullet:
        return False
    value = [t for t in tokenize(match[2]) if not re.fullmatch(r"[\d.]+", t)]
    return bool(value) and all(t in topics for t in value)


def _low_content(units: _Units, topics: frozenset) -> bool:
    """Nothing a paper could be cited for: at most one content word beside the list's own
    vocabulary and topic names, and no name or number."""
    list_words = _stemset("list", _LIST_WORDS)
    content = [u for u, w in units.weights.items() if w >= 1.0 and u not in list_words and u not in topics]
    return not units.names and not units.numbers and len(content) <= 1


def attribute(text: str, sources: list[Paper], language: str = "en", *, embed=None) -> Attribution:
    """Checks every sentence of `text` against `sources` (the papers the model was given,
    in prompt order; markers [n] are 1-based indexes into them) and returns the text with
    true markers, and per sentence what was decided. See the module's docstring."""
    sentences = split_sentences(text)
    if not sentences or not sources:
        return Attribution(text, [])
    features = [_source(p) for p in sources]
    topics = frozenset().union(*(f.topics for f in features))
    dense = _dense(sentences, sources, embed) if embed is not None and DENSE_WEIGHT else {}
    verdicts = []
    for k, sentence in enumerate(sentences):
        units = _units(sentence.core)
        scores = [_support(units, f) for f in features]
        if k in dense:
            scores = [_blend(s, sim) for s, sim in zip(scores, dense[k])]
        support, together = _supporters(units, scores)
        framing = _structural_framing(sentence, units) or _label_line(sentence, topics) or \
            (not support and _low_content(units, topics))
        cited = [n - 1 for n in sentence.cited if 1 <= n <= len(sources)]  # a marker to no source counts as none
        verdicts.append(_Verdict(sentence, units, scores, support, framing, cited, score=together))
    _decide_marked(verdicts)
    _decide_unmarked(verdicts, text)
    new_text = _rewrite(text, verdicts)
    claims = [_claim(v, sources) for v in verdicts]
    return Attribution(new_text, claims)


def _fits(v: _Verdict, j: int) -> bool:
    """Paper j may be cited for the sentence: it is one of its supporters, or it holds every
    name and number in it and accounts for nearly as much of it as the best one."""
    if j in v.support:
        return True
    s = v.scores[j]
    best = max(x.score for x in v.scores)
    return s.complete(v.units) and s.score >= SUPPORTED and s.score >= NEAR_BEST * best


def _decide_marked(verdicts: list[_Verdict]) -> None:
    for v in verdicts:
        cited = v.cited
        if not cited:
            continue
        if v.framing:  # its markers stay only where they are true
            # a heading that names the paper ("**HippoRAG** [1]")
            v.final = [j for j in cited if v.scores[j].names and v.scores[j].score >= FRAMING_KEEP]
            v.action = FRAMING
        elif not v.support:
            v.final, v.action, v.removed = [], REMOVED, True
        else:
            final = [j for j in cited if _fits(v, j)] or v.support[:MAX_ADDED]
            final += [j for j in v.support if j not in final and j in _uncovered(v, final)]
            v.final = final
            v.action = KEPT if set(final) == set(cited) else REATTRIBUTED


def _uncovered(v: _Verdict, chosen: list[int]) -> set[int]:
    """Supporters that hold a name or number the chosen papers lack."""
    names = set().union(*(v.scores[c].names for c in chosen))
    numbers = set().union(*(v.scores[c].numbers for c in chosen))
    return {j for j in v.support if (v.scores[j].names - names) or (v.scores[j].numbers - numbers)}


def _decide_unmarked(verdicts: list[_Verdict], text: str) -> None:
    """A supported sentence without a marker keeps none when the marker a reader carries
    over to it (see _carried) is right for it, and gets its own otherwise. Markers added
    change what neighbours carry over, so this repeats until nothing changes."""
    lines = text.split("\n")
    for v in verdicts:
        if not v.cited:
            if v.framing:
                v.action = FRAMING
            elif not v.support:
                v.action, v.removed = REMOVED, True
    changed = True
    while changed:
        changed = False
        for k, v in enumerate(verdicts):
            if v.cited or v.framing or v.removed or v.action == ADDED:
                continue
            carried = _carried(verdicts, k, lines)
            if carried and all(_fits(v, j) for j in carried):
                v.action, v.carried = KEPT, carried  # a reader already reads it as cited right
            else:
                v.final, v.carried, v.action, changed = v.support[:MAX_ADDED], [], ADDED, True


def _carried(verdicts: list[_Verdict], k: int, lines: list[str]) -> list[int]:
    """The markers a reader carries over to sentence k: a later one in its line, an earlier
    one in its line, or the one on the bold heading that opens its paragraph."""
    me = verdicts[k].sentence
    for v in verdicts[k + 1:]:
        if v.sentence.line != me.line:
            break
        if v.final and not v.removed:
            return v.final
    for v in reversed(verdicts[:k]):
        if v.sentence.line != me.line:
            break
        if v.final and not v.removed:
            return v.final
    if me.bullet:
        return []
    start = me.line
    while start > 0 and lines[start - 1].strip():
        start -= 1
    if start == me.line or not lines[start].lstrip().startswith(("**", "#")):
        return []
    for v in verdicts:
        if v.sentence.line == start and v.final and not v.removed:
            return v.final
    return []


def _claim(v: _Verdict, sources: list[Paper]) -> Claim:
    shown = [] if v.removed else v.final or v.carried
    score = v.score if v.support else max((s.score for s in v.scores), default=0.0)
    return Claim(v.sentence.core, tuple(sources[j].arxiv_id for j in shown), round(score, 3), v.action,
                 tuple(sources[j].arxiv_id for j in v.cited))


# -- rewriting the text -----------------------------------------------------------------
def _rewrite(text: str, verdicts: list[_Verdict]) -> str:
    """The text with each changed sentence's markers rewritten and removed sentences cut
    out (with the space they leave; a line left empty goes whole); the rest unchanged."""
    by_line: dict[int, list[_Verdict]] = {}
    for v in verdicts:
        by_line.setdefault(v.sentence.line, []).append(v)
    out_lines, offset = [], 0
    for number, line in enumerate(text.split("\n")):
        line_start, offset = offset, offset + len(line) + 1
        vs = by_line.get(number, [])
        if vs and all(v.removed for v in vs):
            continue
        pieces, pos = [], 0
        for v in vs:
            a, b = v.sentence.start - line_start, v.sentence.end - line_start
            if v.removed:
                pieces.append(line[pos:a])
                pos = b
                follow = re.match(r"[ \t]+", line[pos:])
                if follow:
                    pos += follow.end()
                elif pieces[-1].endswith((" ", "\t")):
                    pieces[-1] = pieces[-1].rstrip(" \t")
            elif set(v.final) != set(n - 1 for n in v.sentence.cited):
                pieces += [line[pos:a], _remark(v.sentence, v.final)]
                pos = b
        pieces.append(line[pos:])
        out_lines.append("".join(pieces))
    return "\n".join(out_lines)


def _remark(s: _Sentence, final: list[int]) -> str:
    """The sentence with its markers set to `final` (0-based): markers that stay are left
    where they are, new ones go where the last marker was, or at the end of the sentence
    before its closing punctuation."""
    raw = s.raw
    keep = set(final)
    placed: set[int] = set()
    pieces, pos = [], 0
    last_group_end = None
    for start, end, numbers in s.markers:
        pieces.append(raw[pos:start])
        kept = [n for n in numbers if n - 1 in keep and n - 1 not in placed]
        placed.update(n - 1 for n in kept)
        if kept:
            pieces.append("".join(f"[{n}]" for n in kept))
        elif pieces and pieces[-1].endswith(" ") and not raw[end:end + 1].isalnum():
            pieces[-1] = pieces[-1][:-1]
        pos = end
        last_group_end = sum(len(p) for p in pieces)
    pieces.append(raw[pos:])
    body = "".join(pieces)
    new = [j for j in final if j not in placed]
    if not new:
        return body
    marks = "".join(f"[{j + 1}]" for j in new)
    if last_group_end is not None and s.markers and any(n - 1 in placed for _, _, ns in s.markers for n in ns):
        return body[:last_group_end] + marks + body[last_group_end:]
    if last_group_end is not None and s.markers:
        # every marker was wrong: the new ones take the place of the last
        at = last_group_end
        prefix = body[:at]
        spacer = "" if not prefix or prefix.endswith((" ", "\t")) or at == 0 else " "
        return prefix + spacer + marks + (" " if at == 0 and not body[at:at + 1].isspace() else "") + body[at:]
    at = _insertion_point(body)
    spacer = "" if body[:at].endswith((" ", "\t")) else " "
    return body[:at] + spacer + marks + body[at:]


def _insertion_point(body: str) -> int:
    """Before the sentence's closing punctuation (and quotes), after any emphasis."""
    match = re.search(r"[。！？；.!?;:：,，][\"'”’」』)）]*\s*$", body)
    return match.start() if match else len(body.rstrip())
