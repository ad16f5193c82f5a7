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

Words a paper uses can still be put together into something it does not say ("SPPO
只需一輪迭代即可收斂", "GPT-4o 的 ICL 數據效率高於 Gemini 1.5 Pro"). So each clause of a
sentence is also held against the clause of the paper it paraphrases, for what overlap
cannot see: a negation on one side only, a comparison or change the other way (or with
subject and object swapped), an "only"/"all" the paper does not state, a number the
paper states about something else, a word whose opposite the paper uses; a paper that
contradicts a sentence does not support it (`Claim.conflicts` says which and how). A
sentence about several papers at once ("Both toolkits ...", "兩者都 ...") must hold for
each of them, and papers support a sentence together only when each accounts for a
clause of it, not by lending their words to another paper's subject.

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
CHECKED = 0.3  # a paper accounting for this much of a sentence is checked for contradicting it (see _conflict)
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
    conflicts: tuple[tuple[str, str], ...] = ()  # (arXiv ID, how it contradicts the claim): negation, scope, ...

    def to_dict(self) -> dict:
        out = {"text": self.text, "sources": list(self.sources), "score": round(self.score, 3), "action": self.action}
        if self.conflicts:
            out["conflicts"] = [{"paper": i, "check": c} for i, c in self.conflicts]
        return out


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
    text: str = ""  # the sentence in Traditional script
    cue_clauses: list = field(default_factory=list)  # its clauses as read for negation, comparison, scope
    distributive: bool = False  # "Both ...", "All three ...", "兩者都 ...": true of each paper it names
    name_tokens: frozenset = frozenset()  # its names' tokens: the names count for them when clauses are aligned

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
    merged: list[tuple[frozenset, frozenset, frozenset]] = []
    for clause in clauses:  # "SPPO", "SELM 也指出": not a statement of its own, it joins the next
        if merged and sum(weights[w] for w in merged[-1][0] if weights[w] >= 0.5) < 1.0:
            prev = merged.pop()
            clause = (prev[0] | clause[0], prev[1] | clause[1], prev[2] | clause[2])
        merged.append(clause)
    clauses = merged
    together = _DISTRIBUTIVE.search(text)
    distributive = bool(together) and not _CONTRAST.search(text, together.end())  # "兩者都 ...，但 A ..., B ..."
    return _Units(weights, _glossed(text), names, numbers, clauses, text,
                  _claim_clauses(text, weights, names, numbers), distributive,
                  frozenset(t for name, _ in names for t in tokenize(name)))


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


_NONE = _Support(0.0, 0.0, frozenset(), frozenset(), frozenset())  # a paper that contradicts the sentence


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


# -- what a clause asserts beyond its words --------------------------------------------------
# Word overlap cannot tell "SPPO needs only one round" from "SPPO iterates", or "GPT-4o is
# more data-efficient than Gemini 1.5 Pro" from the reverse: both are written in the
# paper's own words. So each clause of a claim is also read for what overlap misses (a
# negation, the direction of a comparison and who is compared with whom, "only" and
# "all", a word whose opposite the paper states) and held against the clause of the
# paper it paraphrases: the one that shares most of its words. A paper that contradicts
# a claim does not support it. (benchmarks/citations measures each check: see its README.)
CHECKS = frozenset({"negation", "direction", "order", "scope", "antonym", "number", "distributive", "members"})

# A negation covers the rest of its clause ("沒有來自 GPT-4 的額外監督", "does not need an
# extra encoder"); one inside a word covers that word only ("非結構化", "不熟悉", "unseen").
_NEGATION = re.compile(
    r"\b(?:not(?! (?:when|if|because|only|just|always|necessarily|until)\b)|no|never|without|cannot|neither|nor|"
    r"none|unable|lacks?|lacking|fail(?:s|ed)? to|\w+n't)\b|"  # "not when ...": elided
    r"並非|而非|而不是|不是|沒有|沒|無法|無需|無須|未能|並未|從未|尚未|缺乏|缺少|"
    r"(?<!不得)(?<!得)不(?:需|必|用|能|會|可以|支援|支持|應|再|受|曾|要|包括|包含|使用|涉及|依賴|影響|改變|提供|一定|夠)",
    re.IGNORECASE)
_NEGATED_WORD = re.compile(
    r"\b(?:un(?!der|til|ion|iqu|it|iver|less|like|if)[a-z]{4,}|non-?[a-z]{3,}|in(?:feasib|suffici|effici|capab|"
    r"accura|consist|valid|abilit)\w*|impossib\w*|irrationa\w*)\b|"
    r"(?:不|無|非|未)(?!論|縫|常|來|過|同|斷|僅|只|但|少|管|久|如|及|錯|妨|得不)[\u3400-\u9fff]{1,3}",
    re.IGNORECASE)
# The direction of a comparison or change: up, down, or the same.
_UP = re.compile(
    r"\b(?:higher|more|greater|larger|bigger|better|faster|stronger|increas\w*|improv\w*|boost\w*|outperform\w*|"
    r"beats?|beating|surpass\w*|exceed\w*|above|superior|gains?|ahead|rais(?:es|ed|ing)|works? well|"
    r"performs? well|excel\w*)\b|很好|良好|出色|卓越|"
    r"高於|優於|超越|超過|勝過|強於|大於|多於|領先|高出|多出|超出|增益|[更較](?:高|好|強|多|大|快|優|佳)|提高|提升|增加|增強|"
    r"改進|改善|加快|加速|上升|擴大", re.IGNORECASE)
_DOWN = re.compile(
    r"\b(?:lower|less|fewer|smaller|worse|slower|weaker|decreas\w*|reduc\w*|drops?|dropped|degrad\w*|hurts?|"
    r"cuts?|below|inferior|trails?|trailing|lags?|lagging|underperform\w*|short of|declin\w*|shrinks?|cheaper|"
    r"los(?:e|es|ing)|loss (?:in|of)|harms?|damag\w*|fail(?:s|ed)?(?! to)|poor(?:ly)?)\b|不佳|較差|"
    r"低於|劣於|不如|不及|落後|弱於|小於|少於|[更較](?:低|差|弱|少|小|慢)|降低|下降|減少|縮小|削弱|損害|減慢|變慢|變差",
    re.IGNORECASE)
_SAME = re.compile(r"\b(?:similar\w*|comparabl[ey]|on par|(?:the )?same as|equal\w*|rival\w*|"
                   # "matches full fine-tuning"; not "a direct match", "matches features"
                   r"(?<!\ba )(?<!\bthe )(?<!\bdirect )(?<!\bbest )(?<!\bclosest )(?<!\bgood )(?<!\bweaker )"
                   r"(?<!\bstrong )"
                   r"match(?:es|ed)?(?! (?:features?|keypoints?|points|images?|pairs?|patterns?|descriptors?)\b)|"
                   r"as good as|close to|keeps?(?! \w+ing)|preserv\w*|maintain\w*|retain\w*)\b|"
                   r"相當|相似|相近|類似|匹敵|可比|一樣|[與和跟][^，。；]{1,15}?相同|持平|保持|維持|保留",
                   re.IGNORECASE)  # a relation: not "the same GPUs", "相同的參數數量"
_DIFFERENT = re.compile(r"\b(?:different from|differs? from|unlike)\b|[與和跟][^，。；]{1,15}?(?:不同|有別)",
                        re.IGNORECASE)  # a relation, not "different tasks"
# Who is compared with whom: "A ... than B", "A 高於 B", "A beats B" (B is the name after it).
_THAN = re.compile(r"\b(?:than|over|beats?|outperform\w*|surpass\w*|exceed\w*|trails?|above|below)\b|"
                   r"比|高於|低於|優於|劣於|超越|超過|勝過|不如|不及|落後於?|強於|弱於", re.IGNORECASE)
# Scope a paraphrase keeps: "only", "all".
_ONLY = re.compile(r"(?<![-\w])(?<!not )(?:only|solely|exclusively|merely)\b|"  # not "text-only", "not only"
                   r"(?<![不並])只(?!是|要)|(?<![不並])僅|唯一|不得不", re.IGNORECASE)
_ALL = re.compile(r"(?<!at )\b(?:all|every|entirely|always)\b(?! (?:two|three|four|five|\d+|of them|of these)\b)|"
                  r"所有|全部|一切|總是|始終|全都|完全(?!微調|開源)", re.IGNORECASE)
# Claims about several papers at once: each must support the predicate.
_DISTRIBUTIVE = re.compile(r"(?:^|[:：]\s*)(?:both|all (?:two|three|four|five|\d+)|each of (?:them|the)|neither)\b|"
                           r",\s*like [A-Z]|(?:兩|三|四|五|幾)(?:者|篇|個)[^，。；]{0,12}[都均]|"
                           r"[與和跟像]\s*\S{1,20}?\s*(?:一樣|相同)，", re.IGNORECASE)
_CONTRAST = re.compile(r"\b(?:but|while|whereas)\b|但|而|則", re.IGNORECASE)
# Words whose opposite a paper may state instead (both directions are checked).
_OPPOSITES = [
    (r"\bearly\b|早期", r"\blate\b|晚期"),
    (r"\bfree(?: of charge)?\b|免費", r"\bpaid\b|付費|有償"),
    (r"\bshared\b|共享|共用", r"\bseparate\w*\b|\bindependent\w*\b|單獨|獨立|分開|各自"),
    (r"\bopen[- ]sourced?\b|\bopen\b|開源|公開", r"\bclosed[- ]source\b|\bproprietary\b|閉源|專有"),
    (r"\bsparse\w*\b|稀疏", r"\bdense\w*\b|稠密|密集"),
    (r"\bstatic\w*\b|靜態", r"\bdynamic\w*\b|動態"),
    (r"\bdiscrete\w*\b|離散", r"\bcontinuous\w*\b|連續"),
    (r"\bsynthetic\b|合成", r"\breal(?:-world)? data\b|真實[數資]據|真實資料"),
    (r"\bexplicit\w*\b|顯式|明確", r"\bimplicit\w*\b|隱式|隱含"),
    (r"\bautomatic\w*\b|自動", r"\bmanual\w*\b|\bby hand\b|手動|手工"),
    (r"\bsequential\w*\b|順序|依序", r"\bparallel\w*\b|並行|平行"),
    (r"\bzero-shot\b|零樣本", r"\bfew-shot\b|少樣本"),
    (r"\bfamiliar\b|(?<!不)熟悉", r"\bunfamiliar\b|不熟悉|陌生"),
    (r"\bpixel space\b|[像畫]素空間", r"\bsemantic space\b|語[義意]空間"),
    (r"\bfrom scratch\b|從頭|從零", r"\bpre-?trained\b|預訓練"),
]
_OPPOSITES_RE = [(re.compile(a, re.IGNORECASE), re.compile(b, re.IGNORECASE)) for a, b in _OPPOSITES]
_CUE_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：—–]|\b(?:while|whereas|but|however)\b|但|"
                         r"(?<![反從因進然])而(?!且|言)|同時")  # not 反而, 從而
_SOURCE_CLAUSE = re.compile(r"(?<!\d)[,.](?!\d)|[，。；;：:！？!?]|\b(?:while|whereas|but|however)\b|但|"
                            r"(?<![反從因進然])而(?!且|言)|同時")


@dataclass(frozen=True)
class _Cues:
    negated: frozenset  # tokens under a negation (and the glossary's English for its Chinese)
    negated_text: str  # the text under a negation, for the glossary's Chinese terms
    directions: frozenset  # (sign, dimension): +1 up, -1 down, 0 the same; speed, cost, size, quality or None
    only: bool
    all: bool


_DIMENSIONS = [  # what a comparison is about, when it says
    ("speed", re.compile(r"\b(?:speed|fast\w*|slow\w*|throughput|latency|quick\w*)\b|速度|快|慢|吞吐|延遲", re.IGNORECASE)),
    ("cost", re.compile(r"\b(?:cost\w*|cheap\w*|expensive|price)\b|成本|費用|開銷|便宜|昂貴", re.IGNORECASE)),
    ("size", re.compile(r"\b(?:size|smaller|larger|bigger|parameters?)\b|大小|規模|參數", re.IGNORECASE)),
    ("quality", re.compile(r"\b(?:perform\w*|accura\w*|quality|results?|scores?)\b|性能|效能|表現|效果|準確|品質|質量|分數",
                           re.IGNORECASE))]


def _cues(text: str) -> _Cues:
    spans = [_scope(text, m.end()) for m in _NEGATION.finditer(text)] + [m[0] for m in _NEGATED_WORD.finditer(text)]
    negated_text = " ".join(spans)
    english = " ".join(glossary.expand(negated_text)) if spans else ""
    negated = frozenset(tokenize(negated_text + " " + english)) if spans else frozenset()
    # a direction under a negation ("無法提高", "does not improve") is the negation's, not a direction
    under = [(m.start(), m.start() + 12) for m in _NEGATION.finditer(text)]
    directions = {(sign, _dimension(text, m.start(), m.end()))
                  for pattern, sign in ((_UP, 1), (_DOWN, -1), (_SAME, 0), (_DIFFERENT, 2))
                  for m in pattern.finditer(text) if not any(a <= m.start() < b for a, b in under)}
    only = [m for m in _ONLY.finditer(text) if not any(a <= m.start() < b for a, b in under)]
    every = [m for m in _ALL.finditer(text) if not any(a <= m.start() < b for a, b in under)]
    return _Cues(negated, negated_text.lower(), frozenset(directions), bool(only), bool(every))


def _dimension(text: str, start: int, end: int) -> str | None:
    """What a comparison word is about, when it says so itself or next to it: "faster",
    "更快", "速度提高", "降低模型性能", "lower cost", "performance better"."""
    word = text[start:end]
    before = text[max(0, start - 4):start]
    after = text[end:end + 6] if _CJK.search(word) else " ".join(text[end:end + 30].split()[:1])
    previous = "" if _CJK.search(word) else " ".join(text[max(0, start - 30):start].split()[-1:])
    for name, pattern in _DIMENSIONS:
        if pattern.search(word) or re.search(f"(?:{pattern.pattern})\\s*$", before, re.IGNORECASE) or \
                pattern.search(re.split(r"[，。；、的]", after)[0]) or (previous and pattern.fullmatch(previous)):
            return name
    return None


def _scope(text: str, start: int) -> str:
    """What a negation covers: the next few English words, or the next Chinese characters."""
    rest = re.split(r"[,.;:!?，。；：！？()（）]", text[start:], maxsplit=1)[0]
    if _CJK.search(rest[:3]):
        return rest[:30]
    return " ".join(rest.split()[:6])


@dataclass(frozen=True)
class _Clause:
    """A clause of a paper (or a sentence, or all of it, joined)."""
    raw: str  # as the paper writes it
    text: str  # the same, lower-cased
    tokens: frozenset  # its tokens and the glossary's English for its Chinese
    numbers: frozenset
    cues: _Cues
    sentence: int


@lru_cache(maxsize=4096)
def _source_clauses(paper: Paper) -> tuple[_Clause, ...]:
    """The paper's title, summary (and English gloss and abstract) in clauses."""
    out = []
    texts = [paper.title] + [t for t in (paper.summary, paper.gloss, paper.abstract) if t]
    sentence = 0
    for text in texts:
        for sent in re.split(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z])", text):  # as written: 文件 stays 文件
            sentence += 1
            for piece in _SOURCE_CLAUSE.split(sent):
                piece = piece.strip()
                if not piece or not re.search(r"[\w\u3400-\u9fff]", piece):
                    continue
                english = " ".join(glossary.expand(piece)) if _CJK.search(piece) else ""
                # words as the paper writes them (the glossary's terms); cues in the claim's phrasing
                out.append(_Clause(piece, piece.lower(), frozenset(tokenize(piece + " " + english)),
                                   frozenset(_numbers(piece, False)), _cues(to_traditional(piece)), sentence))
    return tuple(out)


@lru_cache(maxsize=4096)
def _source_sentences(paper: Paper) -> tuple[_Clause, ...]:
    """The paper's sentences, each as one clause (its clauses' words, cues together)."""
    out = []
    for clause in _source_clauses(paper):
        if out and out[-1].sentence == clause.sentence:
            last = out[-1]
            raw = last.raw + "，" + clause.raw
            out[-1] = _Clause(raw, raw.lower(), last.tokens | clause.tokens, last.numbers | clause.numbers,
                              _merge_cues(last.cues, clause.cues), clause.sentence)
        else:
            out.append(clause)
    return tuple(out)


@lru_cache(maxsize=4096)
def _source_whole(paper: Paper) -> _Clause:
    """The whole paper as one clause: what it holds anywhere."""
    out = None
    for c in _source_clauses(paper):
        out = c if out is None else _Clause(out.raw + "，" + c.raw, out.text + "，" + c.text, out.tokens | c.tokens,
                                            out.numbers | c.numbers, _merge_cues(out.cues, c.cues), 0)
    return out


def _merge_cues(a: _Cues, b: _Cues) -> _Cues:
    return _Cues(a.negated | b.negated, a.negated_text + " " + b.negated_text, a.directions | b.directions,
                 a.only or b.only, a.all or b.all)


@lru_cache(maxsize=4096)
def _own_names(paper: Paper) -> frozenset:
    """The names a paper goes by: its title's, and those the summary defines ("（SPPO）",
    "稱為 ... SELM", "提出了 M3")."""
    if ":" in paper.title:
        head = paper.title.split(":")[0]
        runs = [m[0] for m in _LATIN_RUN.finditer(head)]
        if len(head.split()) <= 3:
            runs.append(head)  # "PROMETHEUS 2", "JINA CLIP", "LoRA Land"
    else:  # "LoRA Learns Less and Forgets Less": its name-like words only
        runs = [m[0] for m in _NAME.finditer(paper.title)]
    names = {_norm_name(r) for r in runs}
    for match in re.finditer(r"(?:稱為|名為|提出了?|介紹了?|推出了?)[^，。；（(]{0,16}?[（(，,]?\s*([A-Za-z][A-Za-z0-9\-.]*)",
                             paper.summary):  # "稱為自我博弈偏好優化（SPPO）", "提出了 M3", not "（DPO）"
        names.add(_norm_name(match[1]))
    return frozenset(n for n in names if n)


@dataclass(frozen=True)
class _ClaimClause:
    text: str
    words: frozenset  # its tokens among the sentence's weighted words
    names: frozenset  # indexes into the sentence's names
    numbers: frozenset
    cues: _Cues
    subjects: frozenset  # names before a comparison ("A is faster than B"): indexes
    objects: frozenset  # names right after it (B)


def _claim_clauses(text: str, weights: dict, names: list, numbers: set) -> list[_ClaimClause]:
    out = []
    positions = {i: m.start() for i, (name, _) in enumerate(names)
                 for m in [re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text)] if m}
    cursor = 0
    for piece in _CUE_CLAUSE.split(text):
        if not piece or not piece.strip():
            continue
        offset = text.find(piece, cursor)
        cursor = offset + len(piece)
        words = frozenset(t for t in tokenize(_DATES.sub(" ", piece)) if t in weights)
        found = {i for i, p in positions.items() if offset <= p < cursor}
        held = frozenset(_numbers(piece, True) & numbers)
        than = _THAN.search(piece)
        subjects = objects = frozenset()
        if than:
            at = offset + than.start()
            after = {i: p for i, p in positions.items() if offset + than.end() <= p < cursor}
            objects = frozenset([min(after, key=after.get)]) if after else frozenset()
            # its subject: the first name before it in its clause, else in the sentence
            before = {i: p for i, p in positions.items() if p < at and i not in objects}
            mine = {i: p for i, p in before.items() if p >= offset} or before
            subjects = frozenset([min(mine, key=mine.get)]) if mine else frozenset()
        out.append(_ClaimClause(piece, words, frozenset(found), held, _cues(piece), subjects, objects))
    # a clause that is only a name ("SELM, like SPPO, ...") belongs to the next; one too small
    # to stand for anything ("效果反而下降") to the one before
    name_tokens = {t for name, _ in names for t in tokenize(name)}

    def content(c: _ClaimClause) -> float:
        return sum(weights[w] for w in c.words - name_tokens)

    merged: list[_ClaimClause] = []
    for clause in out:
        if merged and not merged[-1].words - name_tokens:
            clause = _join_clauses(merged.pop(), clause)
        elif merged and content(clause) < 1.5 and not clause.numbers:
            clause = _join_clauses(merged.pop(), clause)
        merged.append(clause)
    return merged


def _join_clauses(a: _ClaimClause, b: _ClaimClause) -> _ClaimClause:
    text = a.text + "，" + b.text
    return _ClaimClause(text, a.words | b.words, a.names | b.names, a.numbers | b.numbers, _cues(text),
                        a.subjects | b.subjects, a.objects | b.objects)


ALIGNED = 0.5  # a paper's clause is the one a claim's clause paraphrases when it shares this much of it
NEARLY = 0.85  # ... or nearly as much as the best one
ALIGN_WORD = 1.0  # words that count for it: not generic words, not Chinese character pairs
COMMON_NAME = 3  # a name in this many of a paper's clauses weighs as little as its own name there


def _overlap(clause: _ClaimClause, units: "_Units", other: _Clause, own: frozenset = frozenset()) -> float:
    """How much of a claim's clause a paper's clause holds; names in `own` (the paper's own,
    or found in many of its clauses) say little about which one the claim paraphrases."""
    hit = sum(units.weights[w] for w in clause.words - units.name_tokens if units.weights[w] >= ALIGN_WORD and
              (w in other.tokens or any(t in other.text for t in units.glossed.get(w, ()))))
    hit += sum(0.5 if _norm_name(units.names[i][0]) in own else CRITICAL
               for i in clause.names if _find_name(units.names[i][0], other.text) is not None)
    hit += CRITICAL * len(clause.numbers & other.numbers)
    return hit


@lru_cache(maxsize=4096)
def _name_pattern(raw: str) -> re.Pattern:
    """A name with any spacing or hyphenation between its parts (Gemini 1.5 Pro, GPT-4o)."""
    parts = re.findall(r"[A-Za-z0-9.]+", raw)
    return re.compile(r"(?<![a-z0-9])" + r"[\s\-]*".join(map(re.escape, parts)) + r"s?(?![a-z0-9])", re.IGNORECASE)


def _clause_total(clause: _ClaimClause, units: "_Units", own: frozenset = frozenset()) -> float:
    return sum(units.weights[w] for w in clause.words - units.name_tokens if units.weights[w] >= ALIGN_WORD) + \
        CRITICAL * len(clause.numbers) + sum(0.5 if _norm_name(units.names[i][0]) in own else CRITICAL
                                             for i in clause.names)


def _conflict(units: "_Units", paper: Paper) -> str | None:
    """Why the paper contradicts the claim, or None. Per clause of the claim, against the
    paper's clause it paraphrases (sharing at least ALIGNED of what the paper holds of it;
    failing one, its sentence): "negation", it negates what the claim asserts or the
    reverse; "direction", it changes or compares the other way; "scope", it lacks the
    claim's "only" or "all"; "order", its comparison has the claim's subject and object the
    other way round. For the whole claim: "number", the paper states its number about
    something else; "antonym", the claim uses a word whose opposite the paper states."""
    clauses, whole = _source_clauses(paper), _source_whole(paper)
    # names the paper uses in many clauses (its own, "LoRA" in a LoRA paper) say little about which one is meant
    own = frozenset(_norm_name(name) for name, _ in units.names
                    if _norm_name(name) in _own_names(paper) or
                    sum(_find_name(name, c.text) is not None for c in clauses) >= COMMON_NAME)
    previous = None
    for clause in units.cue_clauses:
        # how much of the clause the paper holds anywhere: the share a clause of it must hold
        total = _overlap(clause, units, whole, own)
        about = clause
        if total < 1.5 and previous is not None and clause.cues.directions and \
                not (clause.names or clause.numbers) and _clause_total(clause, units) <= 4:
            # "..., 效果反而下降": it says how what the clause before says went
            about, clause = previous, _join_clauses(previous, clause)
            total = _overlap(about, units, whole, own)
        if total < 1.5:
            continue
        overlaps = [_overlap(about, units, c, own) for c in clauses]
        best = max(overlaps, default=0.0)
        previous = clause
        aligned = [k for k, o in enumerate(overlaps) if best >= max(1.5, ALIGNED * total) and o >= NEARLY * best]
        near = sorted({j for k in aligned for j in (k - 1, k, k + 1)
                       if 0 <= j < len(clauses) and clauses[j].sentence == clauses[k].sentence})
        if not aligned:  # its words are spread over a sentence's clauses: the sentence is what it paraphrases
            sentences = _source_sentences(paper)
            per = [_overlap(clause, units, c, own) for c in sentences]
            top = max(per, default=0.0)
            if top >= max(1.5, ALIGNED * total):
                clauses = sentences
                aligned = near = [k for k, o in enumerate(per) if o >= NEARLY * top]
        if "negation" in CHECKS and aligned and all(_negated_otherwise(clause, units, clauses, k) for k in aligned):
            return "negation"
        if "direction" in CHECKS and aligned and clause.cues.directions:
            stated = frozenset().union(*(clauses[j].cues.directions for j in near))
            if clause.numbers:  # the paper's clauses stating its numbers say which way they go
                stated |= frozenset().union(*(c.cues.directions for c in _source_clauses(paper)
                                              if clause.numbers & c.numbers))
            for group in _by_dimension(clause.cues.directions):  # "slower but more accurate": each must hold
                same, opposite = _signs(group, stated)
                if opposite and not same:
                    return "direction"
        if "scope" in CHECKS and (clause.cues.only or clause.cues.all):
            where = [clauses[j] for j in near] if aligned else list(clauses)
            if clause.cues.only and not any(c.cues.only for c in where):
                return "scope"
            if clause.cues.all and not any(c.cues.all for c in where):
                return "scope"
        if "order" in CHECKS and clause.subjects and clause.objects and clause.cues.directions:
            if _compared_the_other_way(clause, units, _source_clauses(paper)):
                return "order"
        clauses = _source_clauses(paper)
    if "number" in CHECKS and units.numbers:
        # a number the paper states, but about something else: none of the sentence's words
        # or names, nor what it measures (cost, speed, ...), is in the paper's sentence with it
        context = _ClaimClause(units.text, frozenset(units.weights), frozenset(range(len(units.names))),
                               frozenset(), _cues(units.text), frozenset(), frozenset())
        dimensions = {d for _, d in context.cues.directions if d}
        for number in units.numbers:
            if not isinstance(number, float):
                continue
            stating = [c for c in _source_sentences(paper) if number in c.numbers]
            if stating and not any(_overlap(context, units, c, own) >= 1.0 or
                                   dimensions & {d for _, d in c.cues.directions if d} for c in stating):
                return "number"
    if "antonym" in CHECKS:
        claim, said = units.text.lower(), _paper_text(paper)
        for a, b in _OPPOSITES_RE:
            for mine, other in ((a, b), (b, a)):
                if mine.search(claim) and not mine.search(said) and other.search(said):
                    return "antonym"
    return None


def _by_dimension(directions: frozenset) -> list[frozenset]:
    """A claim's directions, one group per dimension ("matches or exceeds" is one claim;
    "slower but more accurate" two)."""
    groups: dict = {}
    for sign, dim in directions:
        groups.setdefault(dim, set()).add((sign, dim))
    return [frozenset(g) for g in groups.values()]


def _signs(claim: frozenset, stated: frozenset) -> tuple[set, set]:
    """The claim's directions a paper's directions agree with, and those they oppose, on
    the same dimension (or where either does not say which)."""
    same, opposite = set(), set()
    for sign, dim in claim:
        for other, other_dim in stated:
            if dim and other_dim and dim != other_dim:
                continue
            if other == sign:
                same.add((sign, dim))
            elif {sign, other} == {0, 2} or (sign in (1, -1) and other == -sign) or \
                    (sign in (0, 1, -1) and other in (0, 1, -1) and (sign == 0) != (other == 0)):
                opposite.add((sign, dim))
    return same, opposite


def _negated_otherwise(clause: _ClaimClause, units: "_Units", clauses: tuple, k: int) -> bool:
    """The paper's clause k negates words the claim's clause asserts, or asserts words the
    claim negates, and shares no negation with it (a word the claim negates that the paper
    negates anywhere counts as shared: "不需要原始數據" / "幾乎無數據")."""
    other = clauses[k]
    mismatch = agree = 0.0

    def negated_in(c: _Cues, word: str, glossed: tuple) -> bool:
        return word in c.negated or any(t in c.negated_text for t in glossed)

    for w in clause.words:
        weight = units.weights[w]
        glossed = units.glossed.get(w, ())
        if weight < 0.5 or not (w in other.tokens or any(t in other.text for t in glossed)):
            continue
        mine, theirs = w in clause.cues.negated, negated_in(other.cues, w, glossed)
        if mine and (theirs or any(negated_in(c.cues, w, glossed) for c in clauses)):
            agree += weight  # the paper negates it too ("不需要原始數據" / "幾乎無數據")
        elif mine != theirs:
            mismatch += weight
    for i in clause.names:
        raw = units.names[i][0]
        if _find_name(raw, other.text) is None:
            continue
        mine = _find_name(raw, clause.cues.negated_text) is not None
        theirs = _find_name(raw, other.cues.negated_text) is not None
        if mine and theirs:
            agree += CRITICAL
        elif mine != theirs:
            mismatch += CRITICAL
    return mismatch >= 1.0 and not agree


# A name in a paper's Chinese text: HippoRAG, GPT-4o, Gemini 1.5 Pro, PaLM 2, IRCoT.
_SOURCE_NAME = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9]*(?:[ \-.]?[A-Z0-9][A-Za-z0-9]*)+|"
                          r"[A-Z][a-z]+[A-Z0-9][A-Za-z0-9\-.]*|[A-Z]{2,}[A-Za-z0-9\-.]*|[A-Za-z]+-\d[A-Za-z0-9.\-]*)")


def _compared_the_other_way(clause: _ClaimClause, units: "_Units", clauses: tuple) -> bool:
    """"A is better than B" where the paper's comparison closest to it (sharing most of
    its words; the one with its number, when it has one; on the same dimension) has B as
    its subject in that direction, or A in the other. The subject of a comparison in the
    paper is the first name in its clause before it, or in the nearest clause before that
    in the sentence. Each of the claim's comparisons is held to this ("slower but more
    accurate than IRCoT")."""
    candidates = [k for k, c in enumerate(clauses) if any(sign for sign, _ in c.cues.directions)]
    if clause.numbers:
        numbered = [k for k in candidates if clause.numbers & clauses[k].numbers]
        candidates = numbered or candidates
    subjects = {}
    for k in candidates:
        c = clauses[k]
        overlap = _overlap(clause, units, c)
        for j in range(k, -1, -1):
            if clauses[j].sentence != c.sentence:
                break
            raw = clauses[j].raw
            if j == k:  # the subject stands before the comparison ("A 比 B 高出", "A beats B")
                raw = raw[:min((m.start() for p in (_UP, _DOWN, _THAN) for m in [p.search(raw)] if m),
                               default=len(raw))]
            else:
                overlap += _overlap(clause, units, clauses[j])
            first = _SOURCE_NAME.search(raw)
            if first:
                subjects[k] = (first[0].lower(), overlap)
                break
    for group in _by_dimension(clause.cues.directions):
        evidence = []  # (overlap, the paper says otherwise)
        for k, (subject, overlap) in subjects.items():
            same, opposite = _signs(group, clauses[k].cues.directions)
            if not (same or opposite):
                continue
            if any(_find_name(units.names[i][0], subject) is not None for i in clause.subjects):
                evidence.append((overlap, bool(opposite) and not same))
            elif any(_find_name(units.names[i][0], subject) is not None for i in clause.objects):
                evidence.append((overlap, bool(same) and not opposite))
        if evidence and max(evidence, key=lambda e: (e[0], not e[1]))[1]:  # a tie: no verdict
            return True
    return False


@lru_cache(maxsize=4096)
def _paper_text(paper: Paper) -> str:
    """Everything the paper says, in the claim's phrasing (to_traditional: 像素 → 畫素)."""
    return to_traditional(" ".join([paper.title, paper.summary, paper.gloss, paper.abstract])).lower()


@lru_cache(maxsize=65536)
def _find_name(raw: str, text: str) -> int | None:
    """Where a name (or the glossary's Chinese for it) first stands in a lower-cased text."""
    match = _name_pattern(raw).search(text)
    if match:
        return match.start()
    for term in _lookup(raw.lower()):
        at = text.find(term)
        if at >= 0:
            return at
    return None


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
    conflicts: dict = field(default_factory=dict)  # paper index → how it contradicts the sentence


def _supporters(units: _Units, scores: list[_Support], owners: list[frozenset] | None = None,
                cited: list[int] | None = None) -> tuple[list[int], float]:
    """The papers that support the sentence, best first, and how much of it they account for.

    One paper that holds every name and number and accounts for enough of the words
    supports it alone (with any other paper nearly as good). Otherwise a sentence about
    several papers ("Both GNN-RAG and HippoRAG ...") may be supported by several together:
    each must account for a fair share of the words on its own and add something the
    others lack, and together they must hold every name and number; a sentence of one
    clause is one statement, which one paper must hold. A sentence about each of several
    papers it names or cites ("Both ...", "兩者都 ...") must hold for each (see _each).
    Empty when nothing does."""
    if not scores or not units.total:
        return [], 0.0
    owners = owners or [frozenset()] * len(scores)
    named = _named(units, scores, owners)
    meant = named if len(named) >= 2 else list(dict.fromkeys(cited or []))
    if units.distributive and "distributive" in CHECKS and len(meant) >= 2:  # "Both models ..." of one paper: no
        return _each(units, scores, owners, meant)
    complete = [j for j, s in enumerate(scores) if s.complete(units) and s.score >= SUPPORTED]
    if complete:
        best = max(scores[j].score for j in complete)
        chosen = sorted((j for j in complete if scores[j].score >= CO_SUPPORT * best), key=lambda j: -scores[j].score)
        return chosen, best
    if "members" in CHECKS and len(units.clauses) < 2:
        return [], max(s.score for s in scores)  # one paper's name, another's finding: not together
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


def _named(units: _Units, scores: list[_Support], owners: list[frozenset]) -> list[int]:
    """The papers a sentence names: by a name of their own that no other source holds
    ("SPPO", "NeMo-Aligner"; not "LoRA")."""
    holders = {i: [k for k, s in enumerate(scores) if i in s.names] for i in range(len(units.names))}
    return [j for j in range(len(scores))
            if any(holders[i] == [j] and _norm_name(name) in owners[j]
                   for i, (name, _) in enumerate(units.names))]


def _each(units: _Units, scores: list[_Support], owners: list[frozenset], meant: list[int]
          ) -> tuple[list[int], float]:
    """A sentence about several papers at once ("Both toolkits were released by NVIDIA",
    "兩者都實作了 RLHF 和 DPO") is supported when each of them supports what it says of
    them: every name and number but the other papers' own names, and enough of the words.
    `meant`: the papers it names, or else those it cites (two or more)."""
    def alone(j: int) -> float:
        s = scores[j]
        missing = [i for i in range(len(units.names)) if i not in s.names]
        excused = [i for i in missing
                   if any(_norm_name(units.names[i][0]) in owners[k] for k in range(len(owners)) if k != j)]
        if len(excused) < len(missing) or len(s.numbers) < len(units.numbers):
            return 0.0
        total = units.total - CRITICAL * len(excused)
        return (s.score * units.total) / total if total > 0 else 0.0

    each = {j: alone(j) for j in meant}
    chosen = sorted((j for j, v in each.items() if v >= SUPPORTED), key=lambda j: -each[j])
    if len(chosen) < len(meant):
        return [], max((s.score for s in scores), default=0.0)
    return chosen, min(each[j] for j in chosen)


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
    owners = [_own_names(p) for p in sources]
    for k, sentence in enumerate(sentences):
        units = _units(sentence.core)
        scores = [_support(units, f) for f in features]
        if k in dense:
            scores = [_blend(s, sim) for s, sim in zip(scores, dense[k])]
        structural = _structural_framing(sentence, units)
        cited = [n - 1 for n in sentence.cited if 1 <= n <= len(sources)]  # a marker to no source counts as none
        support, together = _supporters(units, scores, owners, cited)
        conflicts: dict[int, str] = {}
        checked: set[int] = set()
        while not structural:  # only papers it could be cited to are read for contradictions
            todo = [j for j in _citable(units, scores, support, cited) if j not in checked]
            if not todo:
                break
            checked.update(todo)
            for j in todo:
                reason = _conflict(units, sources[j])
                if reason:
                    conflicts[j], scores[j] = reason, _NONE
            if any(j in conflicts for j in todo):
                support, together = _supporters(units, scores, owners, cited)
        framing = structural or _label_line(sentence, topics) or (not support and _low_content(units, topics))
        verdicts.append(_Verdict(sentence, units, scores, support, framing, cited, score=together,
                                 conflicts=conflicts))
    _decide_marked(verdicts)
    _decide_unmarked(verdicts, text)
    new_text = _rewrite(text, verdicts)
    claims = [_claim(v, sources) for v in verdicts]
    return Attribution(new_text, claims)


def _citable(units: _Units, scores: list[_Support], support: list[int], cited: list[int]) -> list[int]:
    """The papers a sentence may end up cited to: its supporters, those it cites, and any
    that holds all its names and numbers and nearly as much of it as the best (see _fits)."""
    best = max((s.score for s in scores), default=0.0)
    near = [j for j, s in enumerate(scores)
            if s.complete(units) and s.score >= SUPPORTED and s.score >= NEAR_BEST * best]
    return list(dict.fromkeys([*support, *[j for j in cited if scores[j].score >= CHECKED], *near]))


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
                 tuple(sources[j].arxiv_id for j in v.cited),
                 tuple((sources[j].arxiv_id, reason) for j, reason in v.conflicts.items()))


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
