"""Reading the group's Markdown table: every seed row, and broken rows reported, not fatal."""

import datetime as dt

from rag.papers.table import parse_table


def test_seed_has_33_papers_newest_first(seed_papers):
    assert len(seed_papers) == 33
    first = seed_papers[0]
    assert first.arxiv_id == "2405.18870"
    assert first.date == dt.date(2024, 5, 31)
    assert first.topics == ("心智理論",)
    assert first.title.startswith("LLMs achieve adult human performance")
    assert first.url == "https://arxiv.org/abs/2405.18870"


def test_topics_split_on_both_commas(seed_papers):
    by_id = {p.arxiv_id: p for p in seed_papers}
    assert by_id["2405.11157"].topics == ("PEFT 方法", "微調", "工具包")  # fullwidth ，
    assert by_id["2405.09818"].topics == ("多模態模型", "基礎模型")  # ASCII ,
    assert all(t and "," not in t and "，" not in t for p in seed_papers for t in p.topics)
    assert len({p.arxiv_id for p in seed_papers}) == 33


def test_every_seed_row_is_complete(seed_papers):
    for p in seed_papers:
        assert p.title and p.summary and p.topics
        assert dt.date(2024, 5, 1) <= p.date <= dt.date(2024, 5, 31)


BROKEN = """\
| 日期 | 名稱 | 摘要 | 主題 |
| --- | --- | --- | --- |
| 2024年5月31日 | [Good paper](https://arxiv.org/pdf/2405.18870) | 摘要一 | 心智理論 |
| 2024年5月30日 | Plain title without link | 摘要二 | 多模態模型 |
| 2024年5月30日 | [No id](https://example.com/paper) | 摘要三 | RAG |
| 2024年13月40日 | [Bad date](https://arxiv.org/abs/2405.20204) | 摘要四 | RAG |
| 2024年5月29日 | [Too few cells](https://arxiv.org/abs/2405.19888) | 摘要五 |
| 2024年5月28日 | [Second good](https://arxiv.org/abs/2405.19332v2) | 摘要六 | 對齊, 偏好優化 |
| 2024年5月27日 | [Duplicate](https://arxiv.org/abs/2405.18870) | 摘要七 | 心智理論 |
"""


def test_broken_rows_are_reported_with_line_and_reason_and_the_rest_kept():
    table = parse_table(BROKEN, "t.md")
    assert [p.arxiv_id for p in table.papers] == ["2405.18870", "2405.19332"]
    assert table.papers[1].topics == ("對齊", "偏好優化")
    reasons = {e.line: e.reason for e in table.errors}
    assert sorted(reasons) == [4, 5, 6, 7, 9]
    assert "link" in reasons[4]
    assert "no arXiv ID" in reasons[5]
    assert "date" in reasons[6]
    assert "cells" in reasons[7]
    assert "line 3" in reasons[9]
    assert str(table.errors[0]).startswith("t.md:4:")


def test_a_changed_summary_changes_the_fingerprint(seed_papers):
    from dataclasses import replace

    paper = seed_papers[0]
    assert replace(paper, summary=paper.summary + "。").content_hash != paper.content_hash
    assert replace(paper).content_hash == paper.content_hash
