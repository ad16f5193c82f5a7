"""The pictures: what a Discord user would see in the PNGs, and what the alt text says.

Everything is rendered for real (matplotlib Agg, the packaged fonts); pixels are read back
with Pillow, which matplotlib itself depends on.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import io
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rag.answers.offline import summary_parts
from rag.papers.table import read_tables
from rag.pictures import charts, fonts, layout
from rag.pictures.of_answers import count_topics, weekly_counts

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc
NOW = dt.datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
WEEKLY = [(dt.date(2024, 3, 11) + dt.timedelta(days=7 * i), n)
          for i, n in enumerate([0, 1, 0, 2, 0, 0, 3, 7, 0, 5, 7, 12])]
DIGEST_TOPICS = [("多模態模型", 4), ("對齊", 3), ("PEFT 方法", 2), ("RAG 優化", 1), ("基於知識圖譜與檢索增強生成的多跳問答推理方法研究", 1),
                 ("Retrieval-Augmented Generation with Remarkably Long English Topic Names", 1)]
MIXED = "多模態模型 Multimodal 🤖🚀✨ ❤️ αβγ"
UNCOVERED = "\ue000\U00010000"  # a Private Use Area code point and Linear B: no font in the chain has them


def pixels(chart: charts.Chart) -> np.ndarray:
    image = Image.open(io.BytesIO(chart.png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGBA"))


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def runs(mask: np.ndarray, minimum: int = 3) -> int:
    """Separate stretches of True at least `minimum` long along a line of pixels."""
    count = length = 0
    for value in list(mask) + [False]:
        if value:
            length += 1
        else:
            count += length >= minimum
            length = 0
    return count


def bar_count(chart: charts.Chart) -> int:
    """Horizontal bars in the picture: runs of bar colour down the column just inside their left end."""
    image = pixels(chart)[:, :, :3]
    is_bar = np.zeros(image.shape[:2], dtype=bool)
    for colour in (charts.ACCENT, charts.OTHER):
        is_bar |= (image == rgb(colour)).all(axis=2)
    left = int(np.argmax(is_bar.any(axis=0)))
    return runs(is_bar[:, left + 3])


def glyph_warnings(fn) -> list[str]:
    """Run fn and return matplotlib's "Glyph … missing from font(s)" warnings: each is a box drawn."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.fixture(scope="module")
def seed():
    return read_tables([ROOT / "data" / "papers.md"]).papers


def compare_columns(count: int, long: bool = False) -> list[dict]:
    body = ("大型語言模型（LLMs）在多跳問答方面表現卓越，但計算成本過高仍是主要挑戰。" * (12 if long else 1))
    return [{"n": n, "title": f"Paper {n}: Efficient Retrieval for Large Language Models", "date": dt.date(2024, 5, n),
             "topics": ["多模態模型", "RAG 優化"], "problem": body, "method": f"We propose Method-{n}. " * (20 if long else 1),
             "results": f"提升 {n}.5%。"} for n in range(1, count + 1)]


# -- the pictures -------------------------------------------------------------------------

def test_digest_is_an_opaque_png_of_the_stated_size(seed):
    chart = charts.digest_chart(DIGEST_TOPICS, WEEKLY, "zh", title="每週論文摘要 · 2024-05-27 – 2024-06-03")
    image = pixels(chart)
    assert image.shape[:2] == (chart.height, chart.width)
    assert 800 <= chart.width <= 1200 and chart.height <= 1200
    assert (image[:, :, 3] == 255).all()  # no transparency: same look on Discord's light and dark themes
    assert len(chart.png) < 1_000_000
    assert chart.details["weekly"] == WEEKLY
    assert bar_count(chart) == len(DIGEST_TOPICS)  # one bar per topic, the largest on top
    assert [label for label, _ in chart.details["topics"]] == [label for label, _ in DIGEST_TOPICS]


def test_same_input_gives_the_same_bytes_in_separate_processes():
    script = (
        "import datetime as dt, hashlib, sys; sys.path.insert(0, '.');"
        "from rag.pictures import charts; from tests.test_charts import DIGEST_TOPICS, WEEKLY, compare_columns;"
        "c = [charts.digest_chart(DIGEST_TOPICS, WEEKLY, 'en', title='Digest'),"
        " charts.topics_chart([(f'主題 {i}', 40 - i) for i in range(40)], 'zh'),"
        " charts.compare_table(compare_columns(3), 'zh')];"
        "print(' '.join(hashlib.sha256(x.png).hexdigest() for x in c))"
    )
    outputs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                              timeout=120).stdout.strip() for _ in range(2)]
    assert outputs[0] == outputs[1] and len(outputs[0].split()) == 3
    chart = charts.digest_chart(DIGEST_TOPICS, WEEKLY, "en", title="Digest")
    assert hashlib.sha256(chart.png).hexdigest() == outputs[0].split()[0]  # and the same in this process
    assert b"Software" not in chart.png and b"tIME" not in chart.png


def test_rendering_in_worker_threads_gives_the_same_pictures():
    jobs = [lambda: charts.digest_chart(DIGEST_TOPICS, WEEKLY, "zh"),
            lambda: charts.topics_chart(DIGEST_TOPICS, "en"),
            lambda: charts.compare_table(compare_columns(4), "en")] * 3
    serial = [job().png for job in jobs]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda job: job().png, jobs))
    assert threaded == serial


# -- glyphs: no tofu ----------------------------------------------------------------------

def test_cjk_english_and_emoji_label_has_every_glyph():
    assert fonts.missing_glyphs(MIXED) == set()
    labels = [(MIXED, 5), ("Emoji ✨ 新主題 🧪", 3), ("對齊", 2)]
    drawn = []
    assert glyph_warnings(lambda: drawn.append(charts.digest_chart(labels, WEEKLY, "zh"))) == []
    assert drawn[0].details["topic_labels"][0].replace("\n", "") == "多模態模型 Multimodal 🤖🚀✨ ❤ αβγ"  # only VS16 dropped


def test_a_character_no_font_has_is_caught_and_not_drawn_as_a_box():
    assert fonts.missing_glyphs(f"對齊 {UNCOVERED} ok") == set(UNCOVERED)
    assert fonts.sanitize(f"對齊{UNCOVERED}ok") == "對齊\ufffdok"  # a visible substitute, one per run
    assert fonts.missing_glyphs(fonts.sanitize(f"對齊{UNCOVERED}ok")) == set()

    # Drawn raw, matplotlib would put a box there (it says so) ...
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def raw():
        figure = Figure()
        FigureCanvasAgg(figure)
        figure.text(0.1, 0.5, f"對齊 {UNCOVERED}", fontproperties=fonts.font(12))
        figure.canvas.draw()
    assert glyph_warnings(raw)

    # ... while every chart draws the substitute instead.
    results = []
    assert glyph_warnings(lambda: results.extend([
        charts.digest_chart([(f"私用區{UNCOVERED}", 2)], WEEKLY, "zh"),
        charts.topics_chart([(f"Linear B {UNCOVERED}", 2), ("對齊", 1)], "en"),
        charts.compare_table([{**c, "title": c["title"] + UNCOVERED} for c in compare_columns(2)], "en"),
    ])) == []
    assert results[0].details["topic_labels"] == ["私用區\ufffd"]
    assert results[1].details["labels"][0] == "Linear B \ufffd"
    assert "\ufffd" in "".join(results[2].details["headers"][0])


def test_fonts_come_from_the_packages_never_the_system():
    from matplotlib import font_manager

    found = font_manager.fontManager._find_fonts_by_props(fonts.font(12))
    assert [Path(str(path)) for path in found] == fonts.font_paths()
    assert not any(str(path).startswith("/usr/share/fonts") for path in found)  # the system has a DejaVu Sans too
    with pytest.raises(fonts.ChartsUnavailable, match="pip install"):
        fonts._package_file("no_such_font_package", "Font.otf")


# -- the topics chart ---------------------------------------------------------------------

def test_topics_chart_shows_the_largest_25_and_sums_the_rest_as_other():
    topics = [(f"主題 {i}", 300 - i) for i in range(200)]
    chart = charts.topics_chart(topics, "zh")
    bars = chart.details["bars"]
    assert len(bars) == 26 and bar_count(chart) == 26
    assert bars[:25] == topics[:25]
    assert bars[25] == ("其他（175 個主題）", sum(count for _, count in topics[25:]))
    assert "其他" in chart.alt and str(sum(count for _, count in topics[25:])) in chart.alt

    english = charts.topics_chart(topics[:27], "en")
    assert english.details["bars"][-1] == ("other (2 topics)", topics[25][1] + topics[26][1])
    assert bar_count(english) == 26


def test_topics_chart_with_26_or_fewer_topics_names_them_all(seed):
    counts = count_topics(p.topics for p in seed)
    chart = charts.topics_chart(counts[:26], "zh")
    assert chart.details["other"] is None and chart.details["bars"] == counts[:26] and bar_count(chart) == 26
    assert counts[0] == ("多模態模型", 9)  # the seed's biggest topic, counted once per paper
    assert "多模態模型（9 篇）" in chart.alt


def test_long_labels_are_shortened_with_an_ellipsis_not_clipped():
    long = "很長的主題名稱關於大型語言模型的對齊與安全性研究以及其他許多事情"
    chart = charts.topics_chart([(long, 3), ("對齊", 1)], "zh")
    label = chart.details["labels"][0]
    assert label.endswith("…") and long.startswith(label[:-1]) and "\n" not in label
    assert fonts.text_width(label) <= 20.5


# -- the comparison table -----------------------------------------------------------------

@pytest.mark.parametrize("count", [2, 3, 4])
def test_compare_table_has_one_column_per_paper_and_every_cell_cites_it(count):
    chart = charts.compare_table(compare_columns(count), "zh")
    assert len(chart.details["cells"]) == count
    for n, (header, cells) in enumerate(zip(chart.details["headers"], chart.details["cells"]), 1):
        assert header[0].startswith(f"[{n}]")
        assert set(cells) == {"date", "topics", "problem", "method", "results"}
        for text in cells.values():
            assert text.endswith(f"[{n}]")
    # In the picture: the header band is split into `count` paper cells.
    image = pixels(chart)[:, :, :3]
    band = (image[24] == rgb(charts.HEADER_FILL)).all(axis=1)
    assert runs(band, minimum=50) == count


def test_compare_table_wraps_long_text_and_caps_its_height():
    chart = charts.compare_table(compare_columns(4, long=True), "en")
    assert chart.height < 1000 and chart.width == 1200
    problem = chart.details["cells"][0]["problem"]
    assert problem.endswith("…[1]") and len(problem.split("\n")) == dict(charts.TABLE_ROWS)["problem"]
    method = chart.details["cells"][2]["method"].split("\n")
    assert method[-1].endswith("… [3]") and all(line.split()[0].startswith(("We", "propose", "Method")) or
                                                  line.startswith("Method") for line in method)


def test_compare_table_with_seed_papers_in_english(seed):
    papers = [p for p in seed if p.arxiv_id in ("2405.20139", "2405.14831")]
    columns = [{"n": n, "title": p.title, "date": p.date, "topics": list(p.topics), **summary_parts(p.summary)}
               for n, p in enumerate(papers, 1)]
    chart = charts.compare_table(columns, "en")
    assert "GNN-RAG" in chart.alt and "HippoRAG" in chart.alt and "Comparison table of 2 papers" in chart.alt
    assert "GNN-RAG" in chart.details["cells"][0]["method"]


def test_summary_parts_finds_problem_method_and_results():
    parts = summary_parts("Large models are costly to serve. However, existing caches lack reuse. "
                                 "We propose FooCache, a prefix cache for agents. Experiments show a 3x speedup "
                                 "and 20% less memory. Code is at https://github.com/x/y.")
    assert parts == {"problem": "Existing caches lack reuse.",  # a cell stands alone: no "However,"
                     "method": "We propose FooCache, a prefix cache for agents.",
                     "results": "Experiments show a 3x speedup and 20% less memory."}
    assert summary_parts("") == {"problem": "", "method": "", "results": ""}


# -- alt text -----------------------------------------------------------------------------

def test_digest_alt_text_names_the_biggest_topics_and_the_numbers():
    zh = charts.digest_chart(DIGEST_TOPICS, WEEKLY, "zh", total=12)
    assert zh.alt.startswith("長條圖：本週新增 12 篇論文，分屬 6 個主題")
    assert "多模態模型（4 篇）、對齊（3 篇）、PEFT 方法（2 篇）" in zh.alt
    assert "過去 12 週" in zh.alt and "5/27 12 篇" in zh.alt and "4/29 7 篇" in zh.alt
    en = charts.digest_chart(DIGEST_TOPICS, WEEKLY, "en", total=12)
    assert "12 new papers this week in 6 topics; most in 多模態模型 (4), 對齊 (3), PEFT 方法 (2)" in en.alt
    assert "5/27: 12" in en.alt and "last 12 weeks" in en.alt
    assert len(zh.alt) <= charts.ALT_LIMIT and len(en.alt) <= charts.ALT_LIMIT


def test_digest_of_an_empty_week_still_shows_the_trend():
    chart = charts.digest_chart([], WEEKLY[:-1] + [(WEEKLY[-1][0], 0)], "en")
    assert "no new papers this week" in chart.alt
    assert chart.details["topics"] == []


# -- the pure helpers ---------------------------------------------------------------------

def test_weekly_counts_uses_the_digest_windows():
    added = [NOW, NOW - dt.timedelta(days=7), NOW - dt.timedelta(days=7, seconds=-1), NOW + dt.timedelta(seconds=1),
             NOW - dt.timedelta(days=84), NOW - dt.timedelta(days=83), dt.datetime(2024, 6, 1), None]
    weekly = weekly_counts(added, NOW)
    assert len(weekly) == 12
    assert weekly[0] == (dt.date(2024, 3, 11), 1)  # 84 days back is the first window's open end: not counted
    assert weekly[-1] == (dt.date(2024, 5, 27), 3)  # (now-7d, now]: the digest's own window; naive = UTC
    assert weekly[-2][1] == 1  # exactly 7 days back closes the previous window
    taipei = NOW.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert weekly_counts(added, taipei) == weekly  # same windows, labelled in local dates


def test_wrap_breaks_cjk_by_width_and_english_at_spaces():
    text = "大型語言模型在高階心智理論任務中達到成人水準，心智理論指的是人類以遞迴方式推理多種心理狀態的能力。"
    lines = layout.wrap(text, 10)
    assert "".join(lines) == text
    assert all(fonts.text_width(line) <= 10 for line in lines)
    assert not any(line.startswith(("，", "。")) for line in lines)
    cited = layout.wrap("類以遞迴方式推理多種心理狀態的能力。[3]", 10)
    assert cited[-1].endswith("力。[3]")  # a citation never opens a line alone
    english = layout.wrap("Retrieval-Augmented Generation for Large Language Models", 12)
    assert " ".join(english) == "Retrieval-Augmented Generation for Large Language Models"
    assert all(fonts.text_width(line) <= 12 for line in english)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="language"):
        charts.topics_chart([("對齊", 1)], "fr")
    with pytest.raises(ValueError, match="2 to 4"):
        charts.compare_table(compare_columns(1), "zh")
    with pytest.raises(ValueError, match="2 to 4"):
        charts.compare_table(compare_columns(4) + compare_columns(1), "zh")
    with pytest.raises(ValueError, match="non-negative"):
        charts.topics_chart([("對齊", -1)], "zh")
    with pytest.raises(ValueError, match="no topics"):
        charts.topics_chart([], "zh")
    with pytest.raises(ValueError, match="not a date"):
        charts.digest_chart([("對齊", 1)], [("2024-05-27", 3)], "zh")
    with pytest.raises(ValueError, match="repeat"):
        charts.compare_table([{"n": 1, "title": "A"}, {"n": 1, "title": "B"}], "en")


def test_importing_the_module_does_not_import_matplotlib():
    script = ("import sys; import rag.pictures.charts; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'fontTools', 'numpy', 'PIL'}))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
