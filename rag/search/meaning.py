"""How much a question's ranking trusts the multilingual model (rag.models.e5) beside words
and MiniLM.

Alone, e5 ranks far below the hybrid (seed questions at 1,033 papers, recall@1 0.50 English
/ 0.65 Chinese against 0.955 / 0.955), and a naive fusion of the two halves e5's own
Chinese score; but it reads Chinese wording the lexical rules never saw. So its cosine is
added after coverage (which scales a paper by the share of the question's words it holds:
before it, a paper saying 低秩適應 for the question's 低秩適配 would be scaled to nothing), as
a term standardised per question over the store (e5 cosines sit in a narrow band, 0.78-0.90
for everything, and the band moves with the question), weighted by the kind of question.
The rule was chosen on the tune half of tests/eval/meaning-split.json and is reported on the
held half (benchmarks/README.md, "Meaning").
"""

from __future__ import annotations

import numpy as np

from rag.text.language import ZH

# Weight of the e5 term (0..1) against the hybrid's best candidate (1.0), by the question's
# language, used only when e5 disagrees with the hybrid's first paper: it prefers the second.
# English questions: none (the hybrid's glossary, dictionary and MiniLM already read English;
# e5 prefers 2025-26 neighbours there). Chosen on the tune halves at 1,033 and 10,033 papers
# together, against weights by language alone, by script, a margin gate, a confidence gate and
# e5's nearest papers as extra candidates (benchmarks/README.md, "Meaning").
WEIGHT = {ZH: 0.5, "en": 0.0}
RIVALS = 2  # e5 is heard when its favourite among the hybrid's first RIVALS is not the first


def weight(language: str) -> float:
    return WEIGHT.get(language, 0.0)


def term(cosines: np.ndarray, has: np.ndarray) -> np.ndarray:
    """0..1 per paper: the question's cosine standardised over the papers that have a vector,
    relative to the best of them; 0 below their mean and for papers without a vector."""
    out = np.zeros(len(cosines), dtype=np.float32)
    if has.sum() < 2:
        return out
    known = cosines[has]
    z = (known - known.mean()) / (known.std() + 1e-9)
    best = float(z.max())
    out[has] = np.maximum(z, 0.0) / max(best, 1e-9)
    return out


def fuse(score: np.ndarray, meaning: np.ndarray, w: float) -> np.ndarray:
    """The candidates' scores (after coverage; -inf outside them) relative to the best, plus
    `w` times the e5 term, when e5 disagrees with the hybrid's first paper; else unchanged."""
    finite = np.isfinite(score)
    if not w or finite.sum() < 2:
        return score
    top = np.argpartition(-score, RIVALS - 1)[:RIVALS]
    top = top[np.argsort(-score[top], kind="stable")]
    if not meaning[top].max() > meaning[top[0]]:
        return score
    best = float(score[finite].max())
    return np.where(finite, score / (best if best > 0 else 1.0) + w * meaning, score)
