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
summary is the common case); its numbers ("28.53%", "1.25 億" = "125M") and names
("WebQSP", "GPT-4") must be found in a supporting paper (rag.claims.mentions). Simplified
Chinese is read as Traditional.

Words a paper uses can still be put together into something it does not say ("SPPO
只需一輪迭代即可收斂", "GPT-4o 的 ICL 數據效率高於 Gemini 1.5 Pro"): a paper that
contradicts a sentence does not support it (rag.claims.contradictions: a negation on one side
only, a comparison or change the other way, an "only"/"all" the paper does not state,
...; `Claim.conflicts` says which and how). A sentence about several papers at once
("Both toolkits ...", "兩者都 ...") must hold for each of them, and papers support a
sentence together only when each accounts for a clause of it, not by lending their
words to another paper's subject.

Then, per sentence: a marker pointing at a paper that does not support it is moved to
the paper(s) that do; a sentence without a marker that a paper supports gets one
(answers of models that write no markers are kept); a factual sentence no paper
supports is removed, and listed in `claims` as removed; framing ("Here are three
papers:", headings, "希望有幫助") is left alone, losing only a marker that is wrong. A
sentence that opens by answering the question ("Yes: ...", "不，...") is checked for what
follows the answer, like any other.
A sentence without its own marker is covered by the marker a reader would carry over
(later in its line, earlier in its line, or on its paragraph's bold heading) when that
paper supports it, so paragraph-level citations and the offline extracts stay as they
are.

Pure and deterministic: no network, no model unless `embed` is given. The word lists
(stop words, framing, ...) are data: claims.txt beside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.claims import contradictions, evidence
from rag.claims.evidence import (
    DENSE_WEIGHT,
    NO_SUPPORT,
    Support,
    Units,
    blended,
    dense_similarities,
    meaning_similarities,
    meant,
    scored,
    source_of,
    stems_of,
    support_by,
    units_of,
)
from rag.claims.mentions import CRITICAL, norm_name, own_names
from rag.claims.sentences import Sentence, claim_of, rewrite, split_sentences
from rag.claims.titles import invented_titles
from rag.claims.words import FRAMING_CUES, LIST_STATS, LIST_WORDS
from rag.papers.table import Paper
from rag.text.tokens import tokenize

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
CHECKED = 0.3  # a paper accounting for this much of a sentence is checked for contradicting it
FRAMING_KEEP = 0.7  # a marker on framing stays when its paper accounts for this much of it (a title heading)
# What is checked (benchmarks/citations --without leaves some out): the contradictions, a
# claim about each of several papers ("distributive"), papers supporting one together
# ("members"), titles it quotes ("title").
CHECKS = contradictions.CHECKS | {"distributive", "members", "title"}



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


# -- deciding ------------------------------------------------------------------------------
@dataclass
class _Verdict:
    sentence: Sentence
    units: Units
    scores: list[Support]
    support: list[int]  # 0-based indexes of the papers that support it, best first
    framing: bool
    cited: list[int] = field(default_factory=list)  # 0-based indexes of the papers its markers point at
    final: list[int] = field(default_factory=list)  # 0-based indexes of its own markers after checking
    carried: list[int] = field(default_factory=list)  # markers it is covered by, from its line or heading
    action: str = KEPT
    removed: bool = False
    score: float = 0.0  # how well its supporters account for it together
    conflicts: dict = field(default_factory=dict)  # paper index → how it contradicts the sentence


def _supporters(units: Units, scores: list[Support], owners: list[frozenset], cited: list[int]
                ) -> tuple[list[int], float]:
    """The papers that support the sentence, best first, and how much of it they account for.

    One paper that holds every name and number and accounts for enough of the words
    supports it alone (with any other paper nearly as good). Otherwise a sentence about
    several papers ("Both GNN-RAG and HippoRAG ...") may be supported by several together:
    each must account for a fair share of the words on its own and add something the
    others lack, and together they must hold every name and number; a sentence of one
    clause is one statement, which one paper must hold. A sentence about each of several
    papers it names or cites ("Both ...", "兩者都 ...") must hold for each (see _each).
    Empty when nothing does. `owners`: each paper's own names; `cited`: the papers its
    markers point at."""
    if not scores or not units.total:
        return [], 0.0
    named = _named(units, scores, owners)
    meant = named if len(named) >= 2 else list(dict.fromkeys(cited))
    # "Both models ..." said of one paper is not a claim about each of several
    if units.reading.distributive and "distributive" in CHECKS and len(meant) >= 2:
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
        return scored(units, matched | s.matched, names | s.names, numbers | s.numbers).score - \
            scored(units, matched, names, numbers).score

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
    together = scored(units, matched, names, numbers)
    if len(chosen) < 2 or not together.complete(units) or together.score < UNION_SUPPORTED:
        return [], max(s.score for s in scores)
    return chosen, together.score


def _named(units: Units, scores: list[Support], owners: list[frozenset]) -> list[int]:
    """The papers a sentence names: by a name of their own that no other source holds
    ("SPPO", "NeMo-Aligner"; not "LoRA")."""
    holders = {i: [k for k, s in enumerate(scores) if i in s.names] for i in range(len(units.names))}
    return [j for j in range(len(scores))
            if any(holders[i] == [j] and norm_name(name) in owners[j]
                   for i, (name, _) in enumerate(units.names))]


def _each(units: Units, scores: list[Support], owners: list[frozenset], meant: list[int]
          ) -> tuple[list[int], float]:
    """A sentence about several papers at once ("Both toolkits were released by NVIDIA",
    "兩者都實作了 RLHF 和 DPO") is supported when each of them supports what it says of
    them: every name and number but the other papers' own names, and enough of the words.
    `meant`: the papers it names, or else those it cites (two or more)."""
    def alone(j: int) -> float:
        s = scores[j]
        missing = [i for i in range(len(units.names)) if i not in s.names]
        excused = [i for i in missing
                   if any(norm_name(units.names[i][0]) in owners[k] for k in range(len(owners)) if k != j)]
        if len(excused) < len(missing) or len(s.numbers) < len(units.numbers):
            return 0.0
        total = units.total - CRITICAL * len(excused)
        return (s.score * units.total) / total if total > 0 else 0.0

    each = {j: alone(j) for j in meant}
    chosen = sorted((j for j, v in each.items() if v >= SUPPORTED), key=lambda j: -each[j])
    if len(chosen) < len(meant):
        return [], max((s.score for s in scores), default=0.0)
    return chosen, min(each[j] for j in chosen)


def _member(units: Units, s: Support, names: frozenset, numbers: frozenset) -> bool:
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


def _structural_framing(sentence: Sentence, units: Units, claim: str) -> bool:
    """Headings, intros that end in a colon, questions, pleasantries, and statements about
    the list itself: they need no citation, and none is added. `claim`: the sentence
    without an opening "Yes:" (claim_of), which is framing when nothing follows it."""
    core = claim.strip()
    if not core or sentence.heading or re.search(r"[:：?？]$", core):
        return True
    if LIST_STATS.search(core):
        return True
    plain = re.sub(r"^[\W_]+", "", core)
    return bool(FRAMING_CUES.search(plain)) and not (units.names or units.numbers)


def _label_line(sentence: Sentence, topics: frozenset) -> bool:
    """A label and topic names only, as list metadata is written ("共同主題：多模態模型",
    "Shared topics: 對齊")."""
    match = re.fullmatch(r"([^:：。.!?]{1,24})[:：]\s*(.+)", sentence.core.strip())
    if not match or sentence.bullet:
        return False
    value = [t for t in tokenize(match[2]) if not re.fullmatch(r"[\d.]+", t)]
    return bool(value) and all(t in topics for t in value)


def _low_content(units: Units, topics: frozenset) -> bool:
    """Nothing a paper could be cited for: at most one content word beside the list's own
    vocabulary and topic names, and no name or number."""
    list_words = stems_of(LIST_WORDS)
    content = [u for u, w in units.weights.items() if w >= 1.0 and u not in list_words and u not in topics]
    return not units.names and not units.numbers and len(content) <= 1


def attribute(text: str, sources: list[Paper], language: str = "en", *, embed=None, meaning=None) -> Attribution:
    """Checks every sentence of `text` against `sources` (the papers the model was given,
    in prompt order; markers [n] are 1-based indexes into them) and returns the text with
    true markers, and per sentence what was decided. See the module's docstring."""
    sentences = split_sentences(text)
    if not sentences or not sources:
        return Attribution(text, [])
    features = [source_of(p) for p in sources]
    topics = frozenset().union(*(f.topics for f in features))
    dense = dense_similarities(sentences, sources, embed) if embed is not None and DENSE_WEIGHT else {}
    close = meaning_similarities(sentences, sources, meaning) if meaning is not None and evidence.MEANING_WEIGHT \
        else {}
    verdicts = []
    owners = [own_names(p) for p in sources]
    for k, sentence in enumerate(sentences):
        claim = claim_of(sentence.core)
        units = units_of(claim)
        scores = [support_by(units, f) for f in features]
        if k in dense:
            scores = [blended(s, sim) for s, sim in zip(scores, dense[k])]
        if k in close:
            scores = [meant(s, sim) for s, sim in zip(scores, close[k])]
        structural = _structural_framing(sentence, units, claim)
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
                reason = contradictions.conflict(units.reading, sources[j], CHECKS)
                if reason:
                    conflicts[j], scores[j] = reason, NO_SUPPORT
            if any(j in conflicts for j in todo):
                support, together = _supporters(units, scores, owners, cited)
        framing = structural or _label_line(sentence, topics) or (not support and _low_content(units, topics))
        invented = invented_titles(sentence.raw, sources, [*cited, *support]) if "title" in CHECKS else []
        if invented:  # a title no paper it cites has: nothing of the sentence is shown
            support, framing = [], False
            conflicts.update({j: "title" for j in invented})
        verdicts.append(_Verdict(sentence, units, scores, support, framing, cited, score=together,
                                 conflicts=conflicts))
    _decide_marked(verdicts)
    _decide_unmarked(verdicts, text)
    new_text = rewrite(text, verdicts)
    claims = [_claim(v, sources) for v in verdicts]
    return Attribution(new_text, claims)


def _citable(units: Units, scores: list[Support], support: list[int], cited: list[int]) -> list[int]:
    """The papers a sentence may end up cited to (see _fits), and those it cites."""
    return list(dict.fromkeys([*support, *[j for j in cited if scores[j].score >= CHECKED],
                               *_near_best(units, scores)]))


def _fits(v: _Verdict, j: int) -> bool:
    """Paper j may be cited for the sentence: it is one of its supporters, or nearly as
    good as the best one."""
    return j in v.support or j in _near_best(v.units, v.scores)


def _near_best(units: Units, scores: list[Support]) -> list[int]:
    """The papers that hold every name and number of a sentence and account for nearly as
    much of it as the best one."""
    best = max((s.score for s in scores), default=0.0)
    return [j for j, s in enumerate(scores)
            if s.complete(units) and s.score >= SUPPORTED and s.score >= NEAR_BEST * best]


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
