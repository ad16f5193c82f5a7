"""The citation benchmark: model replies over the seed papers with known truth, run
through the citation check, scored on what a reader is shown.

    python -m benchmarks.citations --direct          # attribute() on each reply (fast, ~2 s)
    python -m benchmarks.citations                   # the real pipeline, end to end (~15 s)
    python -m benchmarks.citations --wired           # end to end, as if attribute() were wired in
    python -m benchmarks.citations --direct --split holdout --failures
    python -m benchmarks.citations --direct --without negation,scope   # what those checks of rag.claims buy
    python -m benchmarks.citations --direct --meaning 0.3              # the multilingual model as one more signal
    python -m benchmarks.citations --build           # add new scenarios of scenarios.yaml to cases.jsonl

Cases (`citations/cases.jsonl`) are replies a model could write for ask, summarize,
compare, recommend and digest, in English, Traditional and Simplified Chinese. Each
claim starts with its truth (⟦2405.14831⟧ supported by that paper, ⟦-⟧ supported by
no source, ⟦~⟧ framing, ⟦~2405.14831⟧ a title heading that may carry that paper's
marker); markers are written by arXiv ID ([@2405.14831]) and become the [n] each paper
got in the prompt, so a case does not depend on retrieval order. See
citations/README.md for how the cases were written and split (tune / holdout / fresh /
blind).

Metrics (over the text the user finally sees):
- precision: shown (claim, paper) citations where the paper supports the claim / all
  shown citations. A claim's citations are its own markers or, without any, the ones
  a reader carries over (a later marker in the same line, an earlier one in the same
  line, or the marker of the bold heading its paragraph starts with).
- recall: supported claims shown with at least one correct citation / supported claims.
- unsupported shown: claims no source supports that are still in the text / all such.
- framing kept: framing sentences still in the text / all framing sentences.

`--direct` runs `rag.claims.attribute` then `check_citations` on each reply with the
case's papers as sources ("after"), next to `check_citations` alone ("before", today's
pipeline, where an answer without a valid marker is replaced by offline extracts). The
default mode runs each case through the real `Answerer` (real Chroma, the real
embedding model, the real openai client) against the loopback OpenAI-compatible server
in tests/peers, whose reply is the case's reply numbered as the request numbered its
sources: it measures whatever the pipeline does. The operations may be plain methods
or coroutines.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import inspect
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks" / "citations"
CASES = HERE / "cases.jsonl"
SCENARIOS = HERE / "scenarios.yaml"
SEED = ROOT / "data" / "papers.md"
ABSTRACTS = ROOT / "tests" / "peers" / "arxiv_seed.json"
TARGETS = {"precision": 0.95, "recall": 0.90, "unsupported_shown": 0.02}

_TRUTH = re.compile(r"⟦([^⟧]*)⟧")
_PLACEHOLDER = re.compile(r"\[@(\d{4}\.\d{4,5})\]")
_MARK = re.compile(r"\[(\s*\d+\s*(?:[,，、]\s*\d+\s*)*)\]")
_BULLET = re.compile(r"^\s*(?:[-*•·+]|\d+[.)])\s")
_LAYOUT_TAIL = re.compile(r"\n[\s\-*•·+>#]*$")


# -- cases ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Truth:
    text: str  # the claim as the model wrote it, markers included
    support: tuple[str, ...]  # arXiv IDs that support it
    kind: str  # "claim", "unsupported" or "framing"


@dataclass(frozen=True)
class Case:
    id: str
    scenario: str
    op: str
    lang: str  # en, zh (Traditional) or zh-CN (Simplified)
    kind: str  # correct, swapped, unmarked, invented, mixed, offline
    split: str  # tune, holdout, fresh, blind, tune-24 or held-24 (see citations/README.md)
    input: dict
    sources: tuple[str, ...]  # the papers in the prompt, in order (direct mode)
    annotated: str
    about: str = ""  # the kind of error its scenario is about (issue 24's cases: number-words, openers, ...)

    @property
    def reply(self) -> str:
        return parse_annotated(self.annotated)[0]

    @property
    def truths(self) -> list[Truth]:
        return parse_annotated(self.annotated)[1]


def parse_annotated(annotated: str) -> tuple[str, list[Truth]]:
    """The reply without truth marks, and each claim's truth, in order."""
    pieces = _TRUTH.split(annotated)
    reply, truths = pieces[0], []
    for label, text in zip(pieces[1::2], pieces[2::2]):
        claim = _LAYOUT_TAIL.sub("", text).strip()  # the next line's bullet is not part of it
        if label.startswith("~"):  # "~id": a heading that may carry that paper's marker
            truths.append(Truth(claim, tuple(i.strip() for i in label[1:].split(",") if i.strip()), "framing"))
        elif label == "-":
            truths.append(Truth(claim, (), "unsupported"))
        else:
            truths.append(Truth(claim, tuple(i.strip() for i in label.split(",")), "claim"))
        reply += text
    return reply, truths


def read_cases(path: Path = CASES) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(Case(row["id"], row["scenario"], row["op"], row["lang"], row["kind"], row["split"],
                              row["input"], tuple(row["sources"]), row["reply"], row.get("about", "")))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{number}: not a case ({exc})") from None
    return cases


def numbered(reply: str, order: list[str]) -> str:
    """[@id] → [n] as the prompt numbered the papers; a paper the prompt did not hold gets
    a number past the end (a marker to nothing, as a confused model writes)."""
    return _PLACEHOLDER.sub(lambda m: f"[{order.index(m[1]) + 1 if m[1] in order else len(order) + 1}]", reply)


# -- scoring what the reader sees --------------------------------------------------------
@dataclass
class Seen:
    truth: Truth
    shown: bool = False
    cited: tuple[str, ...] = ()  # arXiv IDs shown for it (own markers or carried over)

    @property
    def correct(self) -> int:
        return sum(1 for c in self.cited if c in self.truth.support)


@cache
def _fold(char: str) -> str:
    """One script for matching, character by character (positions must not move)."""
    from rag.text.script import to_traditional

    folded = to_traditional(char)
    return folded if len(folded) == 1 else char


def _skeleton(text: str):
    """The visible characters (no spaces, no Markdown emphasis, no markers), the line of
    each, and each marker group: (position, a line break came before it, numbers)."""
    chars, lines, marks = [], [], []
    line, fresh_line, i = 0, True, 0
    while i < len(text):
        match = _MARK.match(text, i)
        if match:
            marks.append((len(chars), fresh_line, [int(n) for n in re.split(r"[,，、]", match[1])]))
            i = match.end()
            continue
        char = text[i]
        if char == "\n":
            line, fresh_line = line + 1, True
        elif not (char.isspace() or char in "*_`"):
            chars.append(_fold(char))
            lines.append(line)
            fresh_line = False
        i += 1
    return "".join(chars), lines, marks


def _scripts(claim: str) -> list[str]:
    """A claim as written, and as the answer may show it in the asker's script: in
    Traditional with Taiwan phrasing (数据 → 資料) or in Simplified (rag.text.language.localise)."""
    from rag.text.script import to_simplified, to_traditional

    return list(dict.fromkeys([claim, to_traditional(claim), to_simplified(claim)]))


def evaluate(text: str, numbers: dict[int, str], truths: list[Truth]) -> list[Seen]:
    """Which claims the reader sees in `text`, and which papers each is shown citing."""
    skeleton, lines, marks = _skeleton(text)
    text_lines = text.split("\n")
    seen = [Seen(t) for t in truths]
    spans: list[tuple[int, int, int]] = []  # (start, end, index into seen)
    cursor = 0
    for index, truth in enumerate(truths):
        at, core = -1, ""
        for written in _scripts(_PLACEHOLDER.sub("", truth.text)):
            core = _skeleton(written)[0]
            at = skeleton.find(core, cursor) if core else -1
            if at >= 0:
                break
        if at >= 0:
            seen[index].shown = True
            spans.append((at, at + len(core), index))
            cursor = at + len(core)
    own: dict[int, list[int]] = defaultdict(list)
    for pos, fresh_line, nums in marks:
        owner = next((i for a, b, i in spans if a < pos < b), None)
        if owner is None:
            prev = next((s for s in reversed(spans) if s[1] <= pos), None)
            after = next((s for s in spans if s[0] >= pos), None)
            ends_prev = prev is not None and not any(c.isalnum() for c in skeleton[prev[1]:pos])
            starts_next = after is not None and after[0] == pos
            if starts_next and (fresh_line or not ends_prev):
                owner = after[2]  # "[2] G-RAG ..." opening a line
            elif ends_prev:
                owner = prev[2]  # "... claim [1]." or "**Title** [1]"
        if owner is not None:
            own[owner].extend(nums)

    def line_of(pos: int) -> int:
        return lines[min(pos, len(lines) - 1)] if lines else 0

    by_line = [(line_of(a), line_of(b - 1), i) for a, b, i in spans]
    for k, (first, last, i) in enumerate(by_line):
        nums = own.get(i, [])
        if not nums and truths[i].kind != "framing":
            # carried over, as a reader would: a later marker in the same line, an
            # earlier one in the same line, then the heading that opens the paragraph
            later = [j for f, _, j in by_line[k + 1:] if f == last and own.get(j)]
            earlier = [j for _, l, j in reversed(by_line[:k]) if l == first and own.get(j)]
            heading = _heading_of(first, text_lines)
            heads = [j for f, _, j in by_line if f == heading and own.get(j)] if heading is not None else []
            source = later[:1] or earlier[:1] or heads[:1]
            nums = own.get(source[0], []) if source else []
        seen[i].cited = tuple(dict.fromkeys(numbers[n] for n in nums if n in numbers))
    return seen


def _heading_of(line: int, text_lines: list[str]) -> int | None:
    """The bold or # heading line that opens this line's paragraph (not for list items)."""
    if line >= len(text_lines) or _BULLET.match(text_lines[line]):
        return None
    start = line
    while start > 0 and text_lines[start - 1].strip():
        start -= 1
    if start == line:
        return None
    head = text_lines[start].lstrip()
    return start if head.startswith(("**", "#")) else None


@dataclass
class Tally:
    pairs: int = 0
    correct: int = 0
    supported: int = 0
    recalled: int = 0
    unsupported: int = 0
    unsupported_shown: int = 0
    framing: int = 0
    framing_kept: int = 0
    supported_dropped: int = 0
    answers: int = 0
    thrown_away: int = 0
    unchanged: int = 0  # offline answers attribution left exactly as they were
    offline: int = 0

    def add(self, seen: list[Seen], thrown_away: bool = False) -> None:
        self.answers += 1
        self.thrown_away += thrown_away
        for s in seen:
            if s.shown:
                self.pairs += len(s.cited)
                self.correct += s.correct
            if s.truth.kind == "claim":
                self.supported += 1
                self.recalled += bool(s.shown and s.correct)
                self.supported_dropped += not s.shown
            elif s.truth.kind == "unsupported":
                self.unsupported += 1
                self.unsupported_shown += s.shown
            else:
                self.framing += 1
                self.framing_kept += s.shown

    def row(self) -> dict:
        def ratio(a, b):
            return round(a / b, 4) if b else None

        return {"precision": ratio(self.correct, self.pairs), "recall": ratio(self.recalled, self.supported),
                "unsupported_shown": ratio(self.unsupported_shown, self.unsupported),
                "framing_kept": ratio(self.framing_kept, self.framing),
                "supported_dropped": ratio(self.supported_dropped, self.supported),
                "thrown_away": ratio(self.thrown_away, self.answers),
                "offline_unchanged": ratio(self.unchanged, self.offline),
                "answers": self.answers, "claims": self.supported + self.unsupported + self.framing,
                "citations": self.pairs, "unsupported": self.unsupported, "unsupported_shown_n": self.unsupported_shown,
                "supported": self.supported, "supported_dropped_n": self.supported_dropped}


class Report:
    """Tallies by pipeline ("before"/"after") and by operation, language, kind and split."""

    def __init__(self):
        self.tallies: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.failures: list[dict] = []
        self.errors: list[str] = []  # end to end: cases the pipeline refused (InputError)

    def add(self, pipeline: str, case: Case, seen: list[Seen], thrown_away: bool = False,
            unchanged: bool | None = None) -> None:
        for axis, value in (("all", "all"), ("op", case.op), ("lang", case.lang), ("kind", case.kind),
                            ("split", case.split), *([("about", case.about)] if case.about else [])):
            tally = self.tallies[(pipeline, axis, value)]
            tally.add(seen, thrown_away)
            if unchanged is not None:
                tally.offline += 1
                tally.unchanged += unchanged
        if pipeline != "before":
            for s in seen:
                wrong = [c for c in s.cited if c not in s.truth.support] if s.shown else []
                missed = s.truth.kind == "claim" and not (s.shown and s.correct)
                leaked = s.truth.kind == "unsupported" and s.shown
                if wrong or missed or leaked:
                    self.failures.append({"case": case.id, "claim": s.truth.text[:160], "truth": s.truth.kind,
                                          "support": list(s.truth.support), "shown": s.shown,
                                          "cited": list(s.cited)})

    def to_dict(self) -> dict:
        out: dict = defaultdict(lambda: defaultdict(dict))
        for (pipeline, axis, value), tally in sorted(self.tallies.items()):
            out[pipeline][axis][value] = tally.row()
        timing = {k: {"p50_ms": round(statistics.median(v), 2), "p95_ms": round(_p95(v), 2), "n": len(v)}
                  for k, v in self.timings.items() if v}
        return {"results": out, "timing": timing, "targets": TARGETS, "failures": self.failures, "errors": self.errors}

    def print(self) -> None:
        data = self.to_dict()["results"]
        cols = ["precision", "recall", "unsupported_shown", "framing_kept", "supported_dropped", "thrown_away",
                "offline_unchanged", "answers", "claims"]
        print("| pipeline | slice | " + " | ".join(cols) + " |")
        print("|---|---|" + "---:|" * len(cols))
        for pipeline in data:
            for axis in ("all", "split", "op", "lang", "kind", "about"):
                for value, row in data[pipeline].get(axis, {}).items():
                    cells = ["—" if row[c] is None else f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
                             for c in cols]
                    print(f"| {pipeline} | {axis}={value} | " + " | ".join(cells) + " |")
        for name, t in self.to_dict()["timing"].items():
            print(f"{name}: p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms over {t['n']} answers")
        for error in self.errors:
            print(f"no answer: {error}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# -- direct mode ---------------------------------------------------------------------
def seed_papers(abstracts: bool = False) -> dict:
    from rag.papers.table import parse_table

    papers = {p.arxiv_id: p for p in parse_table(SEED.read_text(encoding="utf-8"), str(SEED)).papers}
    if abstracts:
        meta = json.loads(ABSTRACTS.read_text(encoding="utf-8"))["papers"]
        papers = {i: replace(p, abstract=meta.get(i, {}).get("abstract", "")) for i, p in papers.items()}
    return papers


def _language(case: Case) -> str:
    return "zh-CN" if case.lang == "zh-CN" else case.lang


class SeedMeaning:
    """The multilingual model for `attribute(meaning=...)`: sentences as queries, each seed
    paper's title and Chinese summary as a passage, embedded once per run."""

    def __init__(self):
        from rag.models import e5

        self.model, self.e5, self.vectors = e5.load(), e5, {}

    def query(self, text: str):
        return self.model.query(text)

    def papers(self, papers: list) -> list:
        todo = [p for p in papers if p.arxiv_id not in self.vectors]
        for start in range(0, len(todo), self.e5.BATCH):
            batch = todo[start : start + self.e5.BATCH]
            made = self.model.passages([self.e5.passage_text(p.title, p.summary) for p in batch])
            self.vectors.update(zip((p.arxiv_id for p in batch), made))
        return [self.vectors[p.arxiv_id] for p in papers]


def run_direct(cases: list[Case], abstracts: bool = False, embed=None, meaning=None) -> Report:
    from rag.claims.citations import check_citations

    try:
        from rag.claims.attribution import attribute
    except ImportError:  # before rag.claims exists: today's pipeline only
        attribute = None
    catalog = seed_papers(abstracts)
    known = set(catalog)
    report = Report()
    for case in cases:
        papers = [catalog[i] for i in case.sources]
        renumber = case.op != "digest"  # the digest's listing fixes the numbers
        reply = numbered(case.reply, list(case.sources))
        truths = case.truths
        for pipeline in ("before", "after") if attribute else ("before",):
            text = reply
            unchanged = None
            if pipeline == "after":
                start = time.perf_counter()
                text = attribute(reply, papers, _language(case), embed=embed, meaning=meaning).text
                report.timings["attribute" + (" + embed" if embed else "") + (" + meaning" if meaning else "")].append(
                    (time.perf_counter() - start) * 1000)
                if case.kind == "offline":
                    unchanged = text == reply
            shown, cited = check_citations(text, papers, known, renumber)
            thrown_away = not cited and case.kind != "offline"
            numbers = ({n: p.arxiv_id for n, p in enumerate(cited, 1)} if renumber
                       else {n: p.arxiv_id for n, p in enumerate(papers, 1)})
            seen = evaluate("" if thrown_away else shown, numbers, truths)
            report.add(pipeline, case, seen, thrown_away, unchanged)
    return report


# -- end to end ----------------------------------------------------------------------
class Pipeline:
    """The real thing on the seed papers: a knowledge base in a temporary state dir (real
    Chroma, the real embedding model), the loopback OpenAI-compatible model, and two
    Answerers over them, one with the model (through the real openai client), one
    offline. Works whether the operations are plain methods or coroutines."""

    def __enter__(self) -> "Pipeline":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        sys.path.insert(0, str(ROOT / "tests"))  # the tests' loopback OpenAI-compatible server
        from peers.llm_server import LLMServer
        from rag.answers.operations import Answerer
        from rag.config import Config, DataSettings, LLMSettings
        from rag.models.chat import make_llm
        from rag.store.knowledge import KnowledgeBase

        self._tmp = tempfile.TemporaryDirectory(prefix="paperbot-citations-")
        self.server = LLMServer().__enter__()
        tmp = Path(self._tmp.name)
        config = Config(data=DataSettings(tables=(str(SEED),), state_dir=str(tmp / "state")), base_dir=tmp,
                        llm=LLMSettings(model="bench", api_base=self.server.base_url, timeout=30.0, max_retries=0))
        self.kb = KnowledgeBase(config)
        self.kb.ingest(list(seed_papers().values()))
        self.online, self.offline = Answerer(self.kb, make_llm(config)), Answerer(self.kb, None)
        self.since = min(p.added_at for p in self.kb.catalog.values()) - dt.timedelta(seconds=1)
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)
        self._tmp.cleanup()

    async def run(self, op: str, args: dict, reply_for=None):
        """One operation; `reply_for(sources)` writes the model's reply from the arXiv IDs
        of the request's <source> blocks, in order. Returns (answer, those IDs)."""
        from peers.llm_server import reply

        given: list[str] = []
        engine = self.offline if reply_for is None else self.online
        if reply_for is not None:
            def answer(request: dict) -> object:
                prompt = request["messages"][-1]["content"]
                given.extend(re.findall(r'<source id="\d+" arxiv="([^"]+)"', prompt))
                return reply(reply_for(given))

            self.server.script(answer)
        args = dict(args)
        language = args.pop("language", None)
        if op == "ask":
            result = engine.ask(args["question"])
        elif op == "summarize":
            result = engine.summarize(args["target"], language=language)
        elif op == "compare":
            result = engine.compare(args["ids"], language=language or "zh")
        elif op == "recommend":
            result = engine.recommend(args["target"], k=args.get("k", 5), language=language)
        else:
            result = engine.digest(self.since, language=language or "zh")
        result = await result if inspect.isawaitable(result) else result
        self.server.reset()
        return result, given


def run_end_to_end(cases: list[Case], wired: bool = False) -> Report:
    """Each case through the real Answerer against the loopback model. `wired` measures
    the pipeline as it will be once rag.answers runs rag.claims.attribute before
    check_citations (by wrapping the check it calls), before that change is made."""
    report = Report()
    if wired:
        import rag.answers.compose
        from rag.claims.attribution import attribute
        from rag.claims.citations import check_citations

        def attributed(text, sources, known, renumber=True):
            return check_citations(attribute(text, sources, "en").text, sources, known, renumber)

        rag.answers.compose.check_citations = attributed

    async def run_all(pipeline: Pipeline) -> None:
        from rag.errors import InputError

        for case in cases:
            start = time.perf_counter()
            try:
                if case.kind == "offline":
                    answer, given = await pipeline.run(case.op, case.input)
                    given = list(case.sources)
                else:
                    answer, given = await pipeline.run(case.op, case.input,
                                                       lambda ids, case=case: numbered(case.reply, ids))
                    report.timings["answer end to end"].append((time.perf_counter() - start) * 1000)
            except InputError as exc:  # the user gets no answer: nothing of it is shown
                pipeline.server.reset()
                report.errors.append(f"{case.id}: {exc}")
                report.add("pipeline" + (" (wired)" if wired else ""), case, evaluate("", {}, case.truths), True)
                continue
            # A paper retrieval did not give the model cannot support anything it says.
            truths = [t if t.kind != "claim" or set(t.support) & set(given)
                      else Truth(t.text, (), "unsupported") for t in case.truths]
            numbers = {c.n: c.arxiv_id for c in answer.citations}
            thrown_away = answer.mode != "llm" and case.kind != "offline"
            report.add("pipeline" + (" (wired)" if wired else ""), case,
                       evaluate("" if thrown_away else answer.text, numbers, truths), thrown_away)

    with Pipeline() as pipeline:
        asyncio.run(run_all(pipeline))
    return report


# -- building cases.jsonl from scenarios.yaml -------------------------------------------------
def build(refresh: bool = False) -> list[dict]:
    """Every scenario as written (correct) and as models get it wrong: markers swapped
    between papers, no markers at all, invented sentences, and a mix of wrong extra
    markers, markers on framing and half the markers missing; Simplified copies of some
    Chinese replies; the offline writers' own answers.

    A scenario already in cases.jsonl keeps the papers its prompt held when it was
    written (retrieval changes; a reply is written against one prompt), and the offline
    answers stay as recorded: only new scenarios are sent through the pipeline, unless
    `refresh` asks it again for everything."""
    import yaml

    from rag.text.script import to_simplified

    scenarios = yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))
    recorded: dict[str, list[str]] = {}
    offline: list[dict] = []
    if not refresh and CASES.exists():
        for row in map(json.loads, filter(str.strip, CASES.read_text(encoding="utf-8").splitlines())):
            if row["kind"] == "offline":
                offline.append(row)
            else:
                recorded.setdefault(row["scenario"], row["sources"])
    sources = {sc["id"]: recorded[sc["id"]] for sc in scenarios if sc["id"] in recorded}
    new = [sc for sc in scenarios if sc["id"] not in sources]

    async def from_pipeline(pipeline: Pipeline):
        asked = await _sources_for(new, pipeline)
        return asked, (offline or await _offline_cases(pipeline))

    if new or not offline:
        with Pipeline() as pipeline:
            asked, offline = asyncio.run(from_pipeline(pipeline))
        sources.update(asked)
    rows = []
    for number, sc in enumerate(scenarios):
        split = sc.get("split") or ("tune" if number % 2 == 0 else "holdout")
        srcs = sources[sc["id"]]
        base = dict(scenario=sc["id"], op=sc["op"], lang=sc["lang"], split=split, input=sc["input"], sources=srcs,
                    **({"about": sc["about"]} if sc.get("about") else {}))
        reply = sc["reply"]
        variants = {"correct": reply, "unmarked": _unmarked(_with_invented(reply, sc) if number % 2 else reply),
                    "invented": _with_invented(reply, sc), "mixed": _mixed(reply, srcs)}
        if len(srcs) > 1:
            variants["swapped"] = _swapped(reply, srcs)
        for kind, text in variants.items():
            rows.append({"id": f"{sc['id']}/{kind}", "kind": kind, **base, "reply": text})
        if sc["lang"] == "zh" and number % 3 != 2:  # some in Simplified, as a zh-CN answer is written
            simplified_input = {k: to_simplified(v) if isinstance(v, str) and k != "language" else v
                                for k, v in sc["input"].items()}
            if "language" in simplified_input:
                simplified_input["language"] = "zh-CN"
            for kind in ("correct", "unmarked"):
                rows.append({"id": f"{sc['id']}/{kind}-simplified", "kind": kind, **base, "lang": "zh-CN",
                             "input": simplified_input, "reply": to_simplified(variants[kind])})
    rows.extend(offline)
    return rows


def _chunks(annotated: str) -> tuple[str, list[list[str]]]:
    pieces = _TRUTH.split(annotated)
    return pieces[0], [[label, text] for label, text in zip(pieces[1::2], pieces[2::2])]


def _join(head: str, chunks: list[list[str]]) -> str:
    return head + "".join(f"⟦{label}⟧{text}" for label, text in chunks)


def _split_tail(text: str) -> tuple[str, str]:
    match = _LAYOUT_TAIL.search(text)
    content = text[:match.start()] if match else text.rstrip()
    return content, text[len(content):]


def _with_invented(annotated: str, scenario: dict) -> str:
    head, chunks = _chunks(annotated)
    for item in sorted(scenario.get("invented", []), key=lambda x: -x["after"]):
        content, tail = _split_tail(chunks[item["after"]][1])
        chunks[item["after"]][1] = content + item["text"] + tail
        head, chunks = _chunks(_join(head, chunks))
    return _join(head, chunks)


def _unmarked(annotated: str) -> str:
    return re.sub(r" ?\[@[\d.]+\]", "", annotated)


def _swapped(annotated: str, sources: list[str]) -> str:
    cited = list(dict.fromkeys(_PLACEHOLDER.findall(annotated)))
    if len(cited) > 1:
        mapping = {a: b for a, b in zip(cited, cited[1:] + cited[:1])}
    else:
        mapping = {cited[0]: next(s for s in sources if s != cited[0])}
    return _PLACEHOLDER.sub(lambda m: f"[@{mapping.get(m[1], m[1])}]", annotated)


def _mixed(annotated: str, sources: list[str]) -> str:
    head, chunks = _chunks(annotated)
    marked = 0
    for chunk in chunks:
        label, text = chunk
        content, tail = _split_tail(text)
        if label.startswith("~"):
            end = re.search(r"[:：.。!！]?$", content).start()
            chunk[1] = f"{content[:end]} [@{sources[0]}]{content[end:]}{tail}"
            continue
        found = list(_PLACEHOLDER.finditer(content))
        if not found:
            continue
        marked += 1
        truth = set(label.split(","))
        if marked % 3 == 1:
            wrong = next((s for s in sources if s not in truth and f"[@{s}]" not in content), None)
            if wrong:
                last = found[-1]
                content = content[:last.end()] + f"[@{wrong}]" + content[last.end():]
        elif marked % 3 == 2:
            content = _unmarked(content)
        chunk[1] = content + tail
    return _join(head, chunks)


async def _sources_for(scenarios: list[dict], pipeline: "Pipeline") -> dict[str, list[str]]:
    """The papers each scenario's prompt holds, in order, as the real pipeline picks them."""
    out, problems = {}, []
    for sc in scenarios:
        _, given = await pipeline.run(sc["op"], sc["input"], lambda ids: "—")
        out[sc["id"]] = list(given)
        missing = set(_PLACEHOLDER.findall(sc["reply"])) - set(given)
        if missing:
            problems.append(f"{sc['id']}: the reply cites {sorted(missing)}, which the prompt does not hold "
                            f"(it holds {given})")
    if problems:
        raise ValueError("\n".join(problems))
    return out


OFFLINE_INPUTS = [
    ("ask", "en", {"question": "Is there a retrieval method inspired by the hippocampus?"}),
    ("ask", "en", {"question": "How can graphs help retrieval-augmented generation?"}),
    ("ask", "zh", {"question": "線上對齊和離線對齊有什麼差別？"}),
    ("ask", "zh", {"question": "如何減少多模態模型的視覺標記數量？"}),
    ("summarize", "zh", {"target": "2405.14831"}),
    ("summarize", "en", {"target": "2405.19888", "language": "en"}),
    ("summarize", "zh", {"target": "PEFT 方法"}),
    ("summarize", "en", {"target": "RLHF"}),
    ("compare", "en", {"ids": ["2405.19332", "2405.00675"], "language": "en"}),
    ("compare", "zh", {"ids": ["2405.17430", "2405.15574", "2405.09818"], "language": "zh"}),
    ("recommend", "zh", {"target": "2405.20139"}),
    ("recommend", "en", {"target": "preference alignment of language models"}),
    ("digest", "en", {"language": "en"}),
    ("digest", "zh", {"language": "zh"}),
]


async def _offline_cases(pipeline: "Pipeline") -> list[dict]:
    """The offline writers' answers, with every extract labelled by the paper it is from.
    The digest's listing is left out: it is appended after the citation check."""
    rows = []
    for number, (op, lang, args) in enumerate(OFFLINE_INPUTS):
        answer, _ = await pipeline.run(op, args)
        ids = [c.arxiv_id for c in answer.citations] + [c.arxiv_id for c in answer.sources]
        text = answer.text.split("\n\n**")[0] if op == "digest" else answer.text
        reply = "⟦~⟧" + text if op == "digest" else _label_offline(text, ids)
        rows.append({"id": f"offline-{op}-{number}", "scenario": f"offline-{op}-{number}", "op": op, "lang": lang,
                     "kind": "offline", "split": "tune" if number % 2 == 0 else "holdout", "input": args,
                     "sources": ids, "reply": reply})
    return rows


_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=\.)\s+")


def _label_offline(text: str, ids: list[str]) -> str:
    """Truth marks for the offline formats: each extract sentence belongs to the paper of
    its line's marker (or of its block's heading); intros and shared topics are framing."""
    out, block_id = [], None
    for line in text.split("\n"):
        if not line.strip():
            out.append(line)
            block_id = None
            continue
        found = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
        paper = ids[found[0] - 1] if found else block_id
        if line.startswith("**"):
            block_id = paper
            if line.rstrip().endswith("**") or re.fullmatch(r"\*\*.*\*\* \[\d+\]", line):
                out.append(f"⟦~{paper}⟧" + _by_id(line, ids))  # the title heading
                continue
        if paper is None or re.match(r"^(Shared topics|共同主題)", line):
            out.append("⟦~⟧" + _by_id(line, ids))
            continue
        prefix = re.match(r"^(• )?", line)[0]
        body = _by_id(line[len(prefix):], ids)
        sentences = [s for s in _SENTENCE_END.split(body) if s]
        out.append(prefix + "".join(f"⟦{paper}⟧{s}" if s.strip() else s for s in _rejoin(body, sentences)))
    return "\n".join(out)


def _rejoin(body: str, sentences: list[str]) -> list[str]:
    """Sentences with the separators between them kept, so the text is unchanged; a
    trailing marker stays with the sentence before it."""
    pieces, pos = [], 0
    for s in sentences:
        at = body.find(s, pos)
        if at > pos:
            pieces[-1] += body[pos:at] if pieces else ""
        pieces.append(s)
        pos = at + len(s)
    merged = []
    for piece in pieces:
        if merged and re.fullmatch(r"\s*(\[@[\d.]+\]\s*)+", piece):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _by_id(text: str, ids: list[str]) -> str:
    return re.sub(r"\[(\d+)\]", lambda m: f"[@{ids[int(m[1]) - 1]}]", text)


# -- command line ----------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--direct", action="store_true", help="attribute() on each reply, no pipeline")
    parser.add_argument("--build", action="store_true", help="regenerate cases.jsonl from scenarios.yaml")
    parser.add_argument("--split", choices=["tune", "holdout", "fresh", "blind", "tune-24", "held-24"],
                        help="only these cases")
    parser.add_argument("--about", help="only the cases about this kind of error (number-words, openers, ...)")
    parser.add_argument("--refresh", action="store_true",
                        help="with --build: ask the pipeline again for every scenario's sources and the offline answers")
    parser.add_argument("--op", help="only this operation")
    parser.add_argument("--abstracts", action="store_true",
                        help="direct mode: papers carry the English abstracts of tests/peers/arxiv_seed.json")
    parser.add_argument("--embed", action="store_true", help="direct mode: pass the embedding model to attribute()")
    parser.add_argument("--meaning", type=float, metavar="WEIGHT",
                        help="direct mode: the multilingual model's sentence-source similarity at this weight "
                             "(rag.claims.evidence.MEANING_WEIGHT)")
    parser.add_argument("--wired", action="store_true",
                        help="end to end, as if rag.answers ran attribute() before check_citations")
    parser.add_argument("--without", default="",
                        help="direct mode: leave out these of rag.claims.attribution.CHECKS (comma-separated), to see what each buys")
    parser.add_argument("--json", type=Path, help="write the results (and every failure) here")
    parser.add_argument("--failures", action="store_true", help="print the claims scored wrong")
    args = parser.parse_args(argv)

    if args.build:
        rows = build(refresh=args.refresh)
        CASES.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} cases written to {CASES.relative_to(ROOT)}")
        return 0
    cases = [c for c in read_cases() if (not args.split or c.split == args.split) and (not args.op or c.op == args.op)
             and (not args.about or c.about == args.about)]
    if args.without:
        import rag.claims.attribution

        unknown = set(args.without.split(",")) - rag.claims.attribution.CHECKS
        if unknown:
            parser.error(f"--without: no such check {sorted(unknown)}; the checks are {sorted(rag.claims.attribution.CHECKS)}")
        rag.claims.attribution.CHECKS = rag.claims.attribution.CHECKS - set(args.without.split(","))
    if args.direct:
        embed = None
        if args.embed:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from rag.config import EmbeddingSettings
            from rag.models.embeddings import load_embed_model

            model = load_embed_model(EmbeddingSettings())
            embed = model.get_text_embedding_batch
        meaning = None
        if args.meaning is not None:
            import rag.claims.evidence

            rag.claims.evidence.MEANING_WEIGHT = args.meaning
            meaning = SeedMeaning()
        report = run_direct(cases, abstracts=args.abstracts, embed=embed, meaning=meaning)
    else:
        report = run_end_to_end(cases, wired=args.wired)
    report.print()
    if args.failures:
        for failure in report.failures:
            print(json.dumps(failure, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
