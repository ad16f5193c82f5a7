"""The inbox table that /add writes: the group's row format, drafts, and safe writes."""

from __future__ import annotations

import datetime as dt
import fcntl
import multiprocessing
import random
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import SEED
from rag.papers.inbox import (
    DEFAULT_HEADER,
    DRAFT_MARKER,
    Inbox,
    InboxBusy,
    InboxError,
    InboxNotATable,
    InboxReadOnly,
    format_row,
)
from rag.papers.table import Paper, parse_row, parse_table


def paper(arxiv_id: str = "2406.01234", **fields) -> Paper:
    base = dict(title="Retrieval Heads Explain Long-Context Factuality", date=dt.date(2024, 6, 3),
                summary="本文提出檢索頭（retrieval heads）的概念。", topics=("RAG 優化", "長上下文"))
    return Paper(arxiv_id=arxiv_id, **{**base, **fields})


def table_of(path: Path):
    table = parse_table(path.read_text(encoding="utf-8"), str(path))
    assert table.errors == []
    return table


# -- rows -------------------------------------------------------------------------------

def test_a_row_is_in_the_group_format_and_every_seed_row_survives_rewriting(seed_papers):
    first = seed_papers[0]
    assert format_row(first).startswith(
        "| 2024年5月31日 | [LLMs achieve adult human performance on higher-order theory of mind tasks]"
        "(https://arxiv.org/abs/2405.18870) | 本論文探討")
    assert format_row(seed_papers[-1]).endswith(" | PEFT 方法，微調 |")
    for p in seed_papers:
        assert parse_row(format_row(p)) == p


AWKWARD = ["|", "||", "\\", "\\|", "[", "]", "](", ")", "(", "`", "*", "<b>", "&amp;", "，", "、", "；", "「」",
           "（註）", "：", "。", "？", "—", "…", " ", "  ", "\t", "摘要", "檢索", "RAG", "x", "2405.14831",
           "https://arxiv.org/abs/2405.14831", "<!-- note -->", "é", "😀"]
BREAKS = ["\n", "\r\n", "\r", "\u2028", "\x85", "\x0c", "\n\n"]


def awkward_text(rng: random.Random, n: int, breaks: bool = False) -> str:
    pool = AWKWARD + (BREAKS if breaks else [])
    return "".join(rng.choice(pool) for _ in range(n))


def test_awkward_cells_round_trip_exactly():
    rng = random.Random(20240531)
    for _ in range(500):
        title = " ".join(awkward_text(rng, rng.randint(1, 12)).split())
        summary = awkward_text(rng, rng.randint(1, 30)).strip()
        topics = tuple(dict.fromkeys(t for t in (" ".join(awkward_text(rng, rng.randint(1, 4))
                                                          .translate(str.maketrans("", "", "，,、;；")).split())
                                                 for _ in range(rng.randint(0, 3))) if t))
        if not title or not summary:
            continue
        p = paper(title=title, summary=summary, topics=topics, draft=rng.random() < 0.3,
                  date=dt.date(rng.randint(1991, 2030), rng.randint(1, 12), rng.randint(1, 28)))
        row = format_row(p)
        assert len(row.splitlines()) == 1
        assert parse_row(row) == p, row
        assert parse_table(f"{DEFAULT_HEADER[0]}\n{DEFAULT_HEADER[1]}\n{row}\n").errors == []


def test_line_breaks_and_separators_are_flattened_and_the_row_still_reads_back():
    rng = random.Random(7)
    for _ in range(300):
        p = paper(title=awkward_text(rng, 10, breaks=True) + "T", summary="S" + awkward_text(rng, 25, breaks=True),
                  topics=tuple(awkward_text(rng, 3, breaks=True) + "t" for _ in range(2)))
        row = format_row(p)
        assert len(row.splitlines()) == 1
        again = parse_row(row)
        assert format_row(again) == row  # nothing left to flatten: a fixed point
        assert again.arxiv_id == p.arxiv_id and again.date == p.date
    multi = paper(summary="第一段。\n\n第二段｜有 | 管線。", topics=("對齊, 偏好優化",))
    assert parse_row(format_row(multi)).summary == "第一段。 第二段｜有 | 管線。"
    assert parse_row(format_row(multi)).topics == ("對齊 偏好優化",)


def test_a_row_needs_a_title_and_a_summary():
    with pytest.raises(ValueError, match="summary"):
        format_row(paper(summary=" \n "))
    with pytest.raises(ValueError, match="title"):
        format_row(paper(title=""))


def test_the_draft_marker_round_trips_and_changes_the_fingerprint():
    draft = paper(summary="We propose retrieval heads. They matter for factuality.", draft=True)
    row = format_row(draft)
    assert f"| {DRAFT_MARKER} We propose" in row
    back = parse_row(row)
    assert back.draft is True and back.summary == "We propose retrieval heads. They matter for factuality."
    accepted = replace(back, draft=False)
    assert accepted.content_hash != back.content_hash  # accepting the draft re-stores the paper
    assert parse_row(row.replace(DRAFT_MARKER + " ", "")).draft is False


# -- the file -------------------------------------------------------------------------

def test_the_first_append_creates_the_file_with_the_group_header(tmp_path):
    inbox = Inbox(tmp_path / "data" / "added.md", header_source=SEED)
    assert inbox.append([paper()]) == ["2406.01234"]
    lines = inbox.path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == SEED.read_text(encoding="utf-8").splitlines()[:2]
    assert tuple(lines[:2]) == DEFAULT_HEADER  # the built-in header is the same one
    assert [p.arxiv_id for p in table_of(inbox.path).papers] == ["2406.01234"]
    assert [p.arxiv_id for p in inbox.read().papers] == ["2406.01234"]


def test_papers_already_there_are_not_written_again(tmp_path):
    inbox = Inbox(tmp_path / "added.md")
    assert inbox.append([paper("2406.00001"), paper("2406.00002"), paper("2406.00001")]) == ["2406.00001",
                                                                                          "2406.00002"]
    assert inbox.append([paper("2406.00002"), paper("2406.00003")]) == ["2406.00003"]
    assert inbox.append([paper("2406.00003")]) == []
    assert [p.arxiv_id for p in table_of(inbox.path).papers] == ["2406.00001", "2406.00002", "2406.00003"]


def test_a_broken_row_still_counts_as_present_and_is_kept(tmp_path):
    path = tmp_path / "added.md"
    path.write_text(f"{DEFAULT_HEADER[0]}\n{DEFAULT_HEADER[1]}\n"
                    "| 2024年13月3日 | [Typo in the date](https://arxiv.org/abs/2406.00001) | 摘要 | RAG |\n",
                    encoding="utf-8")
    assert Inbox(path).append([paper("2406.00001"), paper("2406.00002")]) == ["2406.00002"]
    text = path.read_text(encoding="utf-8")
    assert "Typo in the date" in text and text.count("2406.00001") == 1


def test_text_around_the_table_stays_and_rows_join_the_table(tmp_path):
    path = tmp_path / "added.md"
    path.write_text(f"# Papers added from Discord\r\n\r\n{DEFAULT_HEADER[0]}\r\n{DEFAULT_HEADER[1]}\r\n"
                    f"{format_row(paper('2406.00001'))}\r\n\r\nRows below the table are not read.\r\n",
                    encoding="utf-8")
    Inbox(path).append([paper("2406.00002")])
    lines = path.read_bytes().decode().split("\r\n")
    assert lines[0] == "# Papers added from Discord"
    assert "2406.00002" in lines[5] and lines[6] == "" and lines[7] == "Rows below the table are not read."
    assert [p.arxiv_id for p in table_of(path).papers] == ["2406.00001", "2406.00002"]


def test_replace_summary_writes_the_chinese_summary_once(tmp_path):
    inbox = Inbox(tmp_path / "added.md")
    english = "We propose retrieval heads, a small set of attention heads that fetch facts."
    inbox.append([paper("2406.00001", summary=english, draft=True, topics=()), paper("2406.00002")])
    assert inbox.read().papers[0].draft is True

    assert inbox.replace_summary("arXiv:2406.00001v2", "本文提出檢索頭。", ("長上下文", "可解釋性")) is True
    first, second = table_of(inbox.path).papers
    assert (first.draft, first.summary, first.topics) == (False, "本文提出檢索頭。", ("長上下文", "可解釋性"))
    assert DRAFT_MARKER not in inbox.path.read_text(encoding="utf-8")
    assert second == paper("2406.00002")

    before = inbox.path.read_bytes()
    assert inbox.replace_summary("2406.00001", "再寫一次。") is False  # no longer a draft
    assert inbox.replace_summary("2406.00002", "不是草稿。") is False
    assert inbox.replace_summary("2406.09999", "不在表中。") is False
    assert inbox.path.read_bytes() == before


def test_a_draft_someone_accepted_by_hand_is_left_alone(tmp_path):
    inbox = Inbox(tmp_path / "added.md")
    inbox.append([paper(summary="An English summary we decided to keep.", draft=True)])
    inbox.path.write_text(inbox.path.read_text(encoding="utf-8").replace(DRAFT_MARKER + " ", ""), encoding="utf-8")
    before = inbox.path.read_bytes()
    assert inbox.replace_summary("2406.01234", "中文摘要。") is False
    assert inbox.path.read_bytes() == before


def test_the_hand_edited_table_is_never_the_inbox():
    before = SEED.read_bytes()
    with pytest.raises(InboxError, match="hand-edited"):
        Inbox(SEED, header_source=SEED)
    assert SEED.read_bytes() == before


# -- failures lose nothing ----------------------------------------------------------------

@pytest.fixture
def restore_modes():
    touched: list[tuple[Path, int]] = []

    def chmod(path: Path, mode: int) -> None:
        touched.append((path, path.stat().st_mode))
        path.chmod(mode)

    yield chmod
    for path, mode in reversed(touched):
        path.chmod(mode)


def test_a_read_only_file_is_a_clear_error_and_unchanged(tmp_path, restore_modes):
    inbox = Inbox(tmp_path / "added.md")
    inbox.append([paper("2406.00001")])
    before = inbox.path.read_bytes()
    restore_modes(inbox.path, 0o444)
    with pytest.raises(InboxReadOnly, match="read-only") as caught:
        inbox.append([paper("2406.00002")])
    assert "chmod" in str(caught.value)
    assert inbox.path.read_bytes() == before


def test_a_read_only_folder_is_a_clear_error(tmp_path, restore_modes):
    folder = tmp_path / "data"
    folder.mkdir()
    restore_modes(folder, 0o555)
    with pytest.raises(InboxReadOnly, match="folder .* is read-only"):
        Inbox(folder / "added.md").append([paper()])
    assert list(folder.iterdir()) == []


def test_a_lock_held_too_long_is_busy_and_nothing_is_written(tmp_path):
    inbox = Inbox(tmp_path / "added.md", lock_timeout=0.3)
    inbox.append([paper("2406.00001")])
    before = inbox.path.read_bytes()
    with open(inbox.lock_path, "a") as other_writer:
        fcntl.flock(other_writer, fcntl.LOCK_EX)
        with pytest.raises(InboxBusy, match="another paperbot process"):
            inbox.append([paper("2406.00002")])
    assert inbox.path.read_bytes() == before
    assert inbox.append([paper("2406.00002")]) == ["2406.00002"]  # free again


@pytest.mark.parametrize("content", [b"just some notes\nno table here\n", b"\x89PNG\r\n\x1a\n\x00\x00binary"])
def test_a_file_that_is_not_a_table_is_left_alone(tmp_path, content):
    path = tmp_path / "added.md"
    path.write_bytes(content)
    with pytest.raises(InboxNotATable, match="left as it is"):
        Inbox(path).append([paper()])
    assert path.read_bytes() == content


def test_no_temp_files_are_left_behind(tmp_path):
    inbox = Inbox(tmp_path / "added.md")
    inbox.append([paper("2406.00001")])
    inbox.append([paper("2406.00002", draft=True, summary="English.")])
    inbox.replace_summary("2406.00002", "中文。")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".added.md.lock", "added.md"]


# -- several processes at once ------------------------------------------------------------

def _append_from_another_process(path: str, ids: list[str], start) -> None:
    start.wait()
    inbox = Inbox(Path(path), lock_timeout=30)
    for arxiv_id in ids:
        inbox.append([paper(arxiv_id)])


def run_processes(path: Path, id_lists: list[list[str]]) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    workers = [ctx.Process(target=_append_from_another_process, args=(str(path), ids, start)) for ids in id_lists]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * len(workers)


def test_concurrent_adds_of_the_same_paper_write_one_row(tmp_path):
    path = tmp_path / "added.md"
    shared = [f"2406.0004{k}" for k in range(5)]  # every process adds these five, in turn
    run_processes(path, [shared + [f"2406.0010{n}"] for n in range(4)])
    ids = [p.arxiv_id for p in table_of(path).papers]
    assert sorted(ids) == shared + [f"2406.0010{n}" for n in range(4)]  # each once
    assert path.read_text(encoding="utf-8").count(DEFAULT_HEADER[0]) == 1


def test_concurrent_writers_lose_no_rows(tmp_path):
    path = tmp_path / "added.md"
    run_processes(path, [[f"2406.{n}{k:04d}" for k in range(8)] for n in range(1, 4)])
    assert len(table_of(path).papers) == 24
