"""Rendering within Discord's limits, checked on the pure functions (the end-to-end
tests check the same through the loopback Discord)."""

from __future__ import annotations

import re

import pytest

from bot.render import answer_pages, split_text
from rag.answers.operations import Answer
from rag.claims.citations import Citation


@pytest.mark.parametrize("limit", [100, 1024, 4096])
def test_split_text_keeps_limits_links_and_markers_with_their_sentence(limit):
    text = " ".join(f"Claim {i} is made here [{i % 7 + 1}][{i % 3 + 1}]. "
                    f"See [the paper](https://arxiv.org/abs/2405.{i:05d})." for i in range(400))
    parts = split_text(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert " ".join(parts) == text
    for part in parts:
        assert re.fullmatch(r"(Claim|See) .*\.", part), "pieces are whole sentences"
        assert part.count("[") == part.count("]") and part.count("(") == part.count(")")


def test_split_text_breaks_chinese_after_a_sentence_and_its_marker():
    text = "這篇論文提出一種新的檢索方法，結合知識圖譜與個人化 PageRank。[1]" * 200
    parts = split_text(text, 1000)
    assert all(len(p) <= 1000 and p.endswith("。[1]") for p in parts)
    assert "".join(parts) == text


def test_split_text_prefers_paragraphs_then_lines():
    paragraphs = ["x" * 900, "y" * 900, "z" * 900]
    assert split_text("\n\n".join(paragraphs), 2000) == ["x" * 900 + "\n\n" + "y" * 900, "z" * 900]


def test_an_answer_with_many_sources_fits_discord_messages():
    citations = [Citation(n, f"2405.{n:05d}", f"A rather long paper title number {n} " * 4,
                          f"https://arxiv.org/abs/2405.{n:05d}") for n in range(1, 61)]
    text = "\n".join(f"• Paper {c.n} says something worth reading [{c.n}]" for c in citations) * 3
    answer = Answer("digest", text, citations, [], "offline", None, "en", notice="Offline mode.")
    pages = answer_pages(answer, "T" * 300)
    assert len(pages) > 1
    for page in pages:
        assert len(page) <= 10 and sum(len(e) for e in page) <= 6000
        for embed in page:
            assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
            assert len(embed.fields) <= 25 and all(len(f.value) <= 1024 for f in embed.fields)
    lines = [line for page in pages for e in page for f in e.fields for line in f.value.split("\n")]
    assert [int(re.match(r"\[(\d+)\] \[", line)[1]) for line in lines] == list(range(1, 61))
    assert pages[0][0].title == "T" * 255 + "…" and pages[-1][-1].footer.text == "Offline mode."
