"""Pictures for the places where text is hard to read: the digest's chart, the topics chart
and the comparison table, as PNG bytes with a text alternative.

Inputs are plain values (labels and counts, dates, dicts of strings), so this module needs
no knowledge base and never imports discord. matplotlib is imported on the first drawing
only (rag.pictures.fonts): importing this module, and every command that draws nothing,
pays nothing. Drawing uses matplotlib's object API (``Figure`` + Agg canvas), never pyplot,
so a bot may render in worker threads.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field

from rag.pictures import fonts, layout
from rag.text.language import EN, ZH, ZH_CN, base_language, localise

LANGUAGES = (ZH, ZH_CN, EN)

DPI = 100  # 1 px per 1/100 in: figure sizes below are pixels / 100
PT = DPI / 72  # pixels per point
ALT_LIMIT = 1000  # Discord's attachment description takes 1024 characters

# Colours: opaque white card with near-black text reads the same in Discord's light and dark
# themes; the accent is Discord's blurple (contrast 4.6:1 on white).
BACKGROUND = "#FFFFFF"
BORDER = "#D4D7DC"
TEXT = "#1E1F22"
MUTED = "#5C5E66"
GRID = "#E3E5E8"
ACCENT = "#5865F2"
ACCENT_SOFT = "#A9B0F8"
ACCENT_TEXT = "#4752C4"  # the accent as text on the header's tint: 5.6:1
OTHER = "#8E949C"
HEADER_FILL = "#EEF0FE"
LABEL_FILL = "#F4F5F7"

TOPICS_SHOWN = 25  # the topics chart: the largest 25, the rest summed as "other"
DIGEST_TOPICS_SHOWN = 12  # the digest sits beside the weekly panel: fewer bars

WORDS = {
    "other": {ZH: "其他（{n} 個主題）", EN: "other ({n} topics)"},
    "digest_topics": {ZH: "本週各主題新增論文（共 {total} 篇）", EN: "New papers by topic ({total} this week)"},
    "digest_empty": {ZH: "本週沒有新論文", EN: "No new papers this week"},
    "digest_weekly": {ZH: "過去 {weeks} 週每週新增論文", EN: "Papers added per week, last {weeks} weeks"},
    "week_axis": {ZH: "週起始日（{years} 年）", EN: "week starting ({years})"},
    "topics_title": {ZH: "各主題論文數", EN: "Papers per topic"},
    "topics_sub": {ZH: "（共 {k} 個主題）", EN: " ({k} topics)"},
    "rows": {
        ZH: {"date": "日期", "topics": "主題", "problem": "問題", "method": "方法", "results": "結果"},
        EN: {"date": "Date", "topics": "Topics", "problem": "Problem", "method": "Method", "results": "Results"},
    },
    "topic_join": {ZH: "、", EN: ", "},
}

# The comparison table: rows in order, and how many lines each may take before "…".
TABLE_ROWS = (("date", 1), ("topics", 2), ("problem", 5), ("method", 6), ("results", 6))
TITLE_LINES = 4


@dataclass(frozen=True)
class Chart:
    png: bytes
    width: int
    height: int
    alt: str  # what the picture shows, in words, in the requested language (≤ 1000 chars)
    details: dict = field(default_factory=dict, compare=False)  # what was drawn: bars, cells


# --------------------------------------------------------------------------------------
# Drawing.

def _word(key: str, language: str) -> str:
    """A word of the pictures in the reader's language and script."""
    return localise(WORDS[key][base_language(language)], language)


def _rows(language: str) -> dict[str, str]:
    return {name: localise(word, language) for name, word in WORDS["rows"][base_language(language)].items()}


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")


def _check_counts(pairs, what: str) -> list[tuple[str, int]]:
    out = []
    for item in pairs:
        try:
            label, count = item
        except (TypeError, ValueError):
            raise ValueError(f"{what}: expected (label, count) pairs, got {item!r}") from None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{what}: count for {label!r} must be a non-negative integer, got {count!r}")
        out.append((str(label), count))
    return out


def _figure(width: int, height: int):
    Figure, Canvas, _, _ = fonts.matplotlib()
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=BACKGROUND)
    Canvas(figure)
    return figure


def _png(figure) -> tuple[bytes, int, int]:
    buffer = io.BytesIO()
    # No Software/time metadata: the same picture gives the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND, metadata={"Software": None})
    width, height = figure.canvas.get_width_height()
    return buffer.getvalue(), width, height


def _frame(figure) -> None:
    """A thin border: the white card keeps its edge on Discord's light theme too."""
    Rectangle = fonts.matplotlib()[3]
    figure.add_artist(Rectangle((0, 0), 1, 1, transform=figure.transFigure, fill=False, edgecolor=BORDER,
                                linewidth=1.5))


def _hbars(ax, bars: list[tuple[str, int]], label_em: float, label_lines: int, size: float,
           other: str | None = None, slots: int = 0) -> list[str]:
    """Horizontal bars, the first on top, each with its count at its end. The scale follows the
    named topics: an "other" bar longer than the longest of them is cut at the scale's end and
    marked with a break (its count is still written), so it cannot squash the rest. With
    `slots` > len(bars) the bars keep their thickness and stand at the top."""
    slots = max(slots, len(bars))
    ys = list(range(slots - 1, slots - 1 - len(bars), -1))
    counts = [count for _, count in bars]
    named = [count for label, count in bars if label != other] or counts
    top = max(max(named), 1)
    clip = top * 1.08
    lengths = [min(count, clip) if label == other else count for label, count in bars]
    colors = [OTHER if label == other else ACCENT for label, _ in bars]
    drawn = ax.barh(ys, lengths, height=0.68, color=colors)
    labels = [layout.label(label, label_em, label_lines) for label, _ in bars]
    ax.set_yticks(ys, labels=labels, fontproperties=fonts.font(size), color=TEXT, parse_math=False, linespacing=1.1)
    ax.bar_label(drawn, labels=[str(c) for c in counts], padding=4, fontproperties=fonts.font(size * 0.92),
                 color=TEXT, parse_math=False)
    for y, (label, count) in zip(ys, bars):
        if label == other and count > clip:  # a white "//" across the bar: it goes on beyond the scale
            for dx in (0.045, 0.07):
                ax.plot([clip * (1 - dx) - top * 0.012, clip * (1 - dx) + top * 0.012], [y - 0.42, y + 0.42],
                        color=BACKGROUND, linewidth=2.2, solid_capstyle="butt")
    ax.set_xlim(0, top * 1.22)
    ax.set_ylim(-0.6, slots - 0.4)
    ax.tick_params(axis="y", length=0, pad=6)
    ax.xaxis.set_visible(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_facecolor(BACKGROUND)
    return labels


def _sorted_counts(pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(pairs, key=lambda item: -item[1])  # stable: ties keep the caller's order


def _limit_alt(text: str, language: str) -> str:
    text = localise(text, language)
    return text if len(text) <= ALT_LIMIT else text[: ALT_LIMIT - 1].rstrip() + "…"


def _plain(text: str) -> str:
    """Text for the alt: Discord shows it with the reader's own fonts, so only controls go."""
    kept = "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cs") or ch == "\n")
    return " ".join(kept.split())


def _top_words(pairs: list[tuple[str, int]], language: str, n: int = 5) -> str:
    if base_language(language) == ZH:
        return "、".join(f"{_plain(label)}（{count} 篇）" for label, count in pairs[:n])
    return ", ".join(f"{_plain(label)} ({count})" for label, count in pairs[:n])


def digest_chart(topic_counts: list[tuple[str, int]], weekly: list[tuple[dt.date, int]], language: str,
                 title: str = "", total: int | None = None) -> Chart:
    """The digest's picture: this week's new papers per topic (largest first, the 12 largest
    and the rest as "other") and, beside it, papers added per week (`weekly`, oldest first,
    e.g. from `weekly_counts`). `total` is the number of new papers (default: the counts' sum,
    right when each paper is counted under one topic, as the digest groups them)."""
    _check_language(language)
    pairs = _sorted_counts(_check_counts(topic_counts, "topic_counts"))
    pairs = [(label, count) for label, count in pairs if count > 0]
    weeks = []
    for item in weekly:
        try:
            day, count = item
        except (TypeError, ValueError):
            raise ValueError(f"weekly: expected (date, count) pairs, got {item!r}") from None
        if not isinstance(day, dt.date):
            raise ValueError(f"weekly: {day!r} is not a date")
        _check_counts([(day, count)], "weekly")
        weeks.append((day, count))
    if not pairs and not weeks:
        raise ValueError("nothing to draw: no topic counts and no weekly series")
    total = sum(count for _, count in pairs) if total is None else total

    shown, other_label = _with_other(pairs, DIGEST_TOPICS_SHOWN, language)
    width = 1200
    rows = max(len(shown), 6)
    height = int(160 + rows * 46 + (44 if title else 0))
    figure = _figure(width, height)
    figure.set_layout_engine("constrained", h_pad=0.12, w_pad=0.15, wspace=0.06)
    if title:
        figure.suptitle(layout.label(title, 44, 2), fontproperties=fonts.font(18), color=TEXT, parse_math=False)
    if weeks:
        left, right = figure.subplots(1, 2, width_ratios=[1.3, 1])
    else:
        left, right = figure.subplots(1, 1), None

    heading = _word("digest_topics", language).format(total=total)
    left.set_title(layout.label(heading, 30), fontproperties=fonts.font(15), color=TEXT, loc="left", pad=12, parse_math=False)
    if shown:
        drawn_labels = _hbars(left, shown, 12.5, 2, 13, other_label, slots=rows)
    else:
        drawn_labels = []
        left.axis("off")
        left.text(0.5, 0.5, _word("digest_empty", language), ha="center", va="center", transform=left.transAxes,
                  fontproperties=fonts.font(15), color=MUTED, parse_math=False)

    if right is not None:
        xs = list(range(len(weeks)))
        counts = [count for _, count in weeks]
        colors = [ACCENT_SOFT] * (len(weeks) - 1) + [ACCENT]
        bars = right.bar(xs, counts, width=0.72, color=colors)
        right.bar_label(bars, labels=[str(c) for c in counts], padding=3, fontproperties=fonts.font(11.5), color=TEXT,
                        parse_math=False)
        labels = [f"{day.month}/{day.day}" for day, _ in weeks]
        slot = width * 0.33 / len(weeks)  # the panel takes about a third of the width once laid out
        crowded = max(fonts.text_width(label) for label in labels) * 10.5 * PT > 0.75 * slot  # labels would touch
        right.set_xticks(xs, labels=labels, fontproperties=fonts.font(10.5), color=MUTED, parse_math=False,
                         rotation=40 if crowded else 0, ha="right" if crowded else "center",
                         rotation_mode="anchor")
        right.set_xlim(-0.6, len(weeks) - 0.4)
        right.set_ylim(0, max(max(counts, default=0), 1) * 1.18)
        right.yaxis.set_visible(False)
        right.tick_params(axis="x", length=0, pad=4)
        for name, spine in right.spines.items():
            spine.set_visible(name == "bottom")
        right.spines["bottom"].set_color(GRID)
        years = sorted({day.year for day, _ in weeks})
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
        right.set_xlabel(_word("week_axis", language).format(years=span), fontproperties=fonts.font(11), color=MUTED,
                         parse_math=False)
        right.set_title(_word("digest_weekly", language).format(weeks=len(weeks)), fontproperties=fonts.font(15),
                        color=TEXT, loc="left", pad=12, parse_math=False)
        right.set_facecolor(BACKGROUND)
    _frame(figure)
    png, w, h = _png(figure)

    alt = _digest_alt(pairs, weeks, total, language)
    return Chart(png, w, h, alt, {"topics": shown, "topic_labels": drawn_labels, "weekly": weeks, "total": total})


def _with_other(pairs: list[tuple[str, int]], keep: int, language: str) -> tuple[list[tuple[str, int]], str | None]:
    """The largest `keep` and one "other" bar for the rest (unless only one would be left out)."""
    if len(pairs) <= keep + 1:
        return pairs, None
    rest = pairs[keep:]
    label = _word("other", language).format(n=len(rest))
    return pairs[:keep] + [(label, sum(count for _, count in rest))], label


def _weeks_words(weeks: list[tuple[dt.date, int]], language: str) -> str:
    if base_language(language) == ZH:
        return "、".join(f"{day.month}/{day.day} {count} 篇" for day, count in weeks)
    return ", ".join(f"{day.month}/{day.day}: {count}" for day, count in weeks)


def _digest_alt(pairs, weeks, total, language) -> str:
    parts = []
    if base_language(language) == ZH:
        if pairs:
            more = "等" if len(pairs) > 5 else ""
            parts.append(f"長條圖：本週新增 {total} 篇論文，分屬 {len(pairs)} 個主題；最多的是{_top_words(pairs, ZH)}{more}。")
        else:
            parts.append("長條圖：本週沒有新論文。")
        if weeks:
            first = weeks[0][0]
            parts.append(f"旁邊是過去 {len(weeks)} 週每週新增的論文數（自 {first.year} 年 {first.month} 月 {first.day} 日起，"
                         f"以週起始日標示）：{_weeks_words(weeks, ZH)}。")
    else:
        if pairs:
            more = ", …" if len(pairs) > 5 else ""
            parts.append(f"Bar chart: {total} new papers this week in {len(pairs)} topics; most in "
                         f"{_top_words(pairs, EN)}{more}.")
        else:
            parts.append("Bar chart: no new papers this week.")
        if weeks:
            parts.append(f"Beside it, papers added per week over the last {len(weeks)} weeks (by week start, from "
                         f"{weeks[0][0].isoformat()}): {_weeks_words(weeks, EN)}.")
    return _limit_alt(" ".join(parts) if base_language(language) == EN else "".join(parts), language)


def topics_chart(topic_counts: list[tuple[str, int]], language: str, title: str = "") -> Chart:
    """Every topic and its paper count, largest first: the 25 largest, the rest summed as one
    "other" bar (26 topics are all shown, as 26 bars)."""
    _check_language(language)
    pairs = _sorted_counts(_check_counts(topic_counts, "topic_counts"))
    if not pairs:
        raise ValueError("nothing to draw: no topics")
    shown, other_label = _with_other(pairs, TOPICS_SHOWN, language)
    width = 1000
    height = int(150 + len(shown) * 36)
    figure = _figure(width, height)
    figure.set_layout_engine("constrained", h_pad=0.15, w_pad=0.2)
    ax = figure.subplots()
    heading = (title or _word("topics_title", language)) + _word("topics_sub", language).format(k=len(pairs))
    figure.suptitle(layout.label(heading, 50), x=0.02, ha="left", fontproperties=fonts.font(17), color=TEXT, parse_math=False)
    drawn_labels = _hbars(ax, shown, 20, 1, 12.5, other_label)
    _frame(figure)
    png, w, h = _png(figure)

    if base_language(language) == ZH:
        alt = f"長條圖：共 {len(pairs)} 個主題，依論文數排列；最多的是{_top_words(pairs, ZH, 8)}"
        if other_label:
            rest = pairs[TOPICS_SHOWN:]
            alt += f"；其餘 {len(rest)} 個主題合計為「其他」（{sum(c for _, c in rest)} 篇）"
        alt += "。"
    else:
        alt = f"Bar chart of {len(pairs)} topics by number of papers; largest: {_top_words(pairs, EN, 8)}"
        if other_label:
            rest = pairs[TOPICS_SHOWN:]
            alt += f"; the other {len(rest)} topics together as \"other\" ({sum(c for _, c in rest)})"
        alt += "."
    return Chart(png, w, h, _limit_alt(alt, language), {"bars": shown, "labels": drawn_labels, "other": other_label})


def compare_table(columns: list[dict], language: str) -> Chart:
    """A table image of 2–4 papers, one column each: a header with the paper's number [n] and
    title, then date, topics, problem, method and results; every cell ends with [n]. Long
    text is wrapped by character width and cut with "…" past a fixed number of lines."""
    _check_language(language)
    if not 2 <= len(columns) <= 4:
        raise ValueError(f"compare_table takes 2 to 4 papers, got {len(columns)}")
    for column in columns:
        if not isinstance(column, dict) or "n" not in column or not str(column.get("title", "")).strip():
            raise ValueError(f"each column needs at least 'n' and 'title', got {column!r}")
    numbers = [str(column["n"]).strip() for column in columns]
    if not all(number.isdigit() for number in numbers):
        raise ValueError(f"paper numbers must be whole numbers (cited as [n]), got {numbers}")
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"paper numbers repeat: {numbers}")

    k = len(columns)
    width = 1000 if k == 2 else 1200
    margin, label_w, pad = 20, 96, 12
    col_w = (width - 2 * margin - label_w) / k
    size, header_size = 12.5, 13.5
    line_h, header_line_h = size * PT * 1.45, header_size * PT * 1.4
    em, header_em = size * PT, header_size * PT
    text_em = (col_w - 2 * pad) / em - 0.4  # a little slack for kerning

    header_cells, body = [], {name: [] for name, _ in TABLE_ROWS}
    for n, column in zip(numbers, columns):
        prefix = f"[{n}] "
        title_lines = layout.fit(prefix + str(column["title"]), (col_w - 2 * pad) / header_em - 0.4, TITLE_LINES)
        header_cells.append(title_lines)
        for name, max_lines in TABLE_ROWS:
            value = column.get(name)
            if name == "topics" and isinstance(value, (list, tuple)):
                value = _word("topic_join", language).join(str(t) for t in value)
            if isinstance(value, (dt.date, dt.datetime)):
                value = value.isoformat()[:10]
            value = " ".join(str(value).split()) if value not in (None, "") else "—"
            tight = unicodedata.east_asian_width(value[-1]) in "WF"  # "。[1]" reads better than "。 [1]"
            body[name].append(layout.fit(value, text_em, max_lines, suffix=f"{'' if tight else ' '}[{n}]"))

    header_h = max(len(lines) for lines in header_cells) * header_line_h + 2 * pad
    row_h = {name: max(len(cell) for cell in body[name]) * line_h + 2 * pad for name, _ in TABLE_ROWS}
    height = int(round(2 * margin + header_h + sum(row_h.values())))
    figure = _figure(width, height)
    Rectangle = fonts.matplotlib()[3]
    font, header_font, label_font = fonts.font(size), fonts.font(header_size), fonts.font(size)

    def box(x, y, w, h, color):  # pixel coordinates from the top left
        figure.add_artist(Rectangle((x / width, 1 - (y + h) / height), w / width, h / height,
                                    transform=figure.transFigure, facecolor=color, edgecolor=BORDER, linewidth=1))

    def lines_at(x, y, lines, font, step, color, first_color=None, first_prefix=""):
        for i, line in enumerate(lines):
            ty = 1 - (y + (i + 0.78) * step) / height  # baseline about 3/4 down the line box
            if i == 0 and first_prefix and line.startswith(first_prefix.strip()):
                figure.text(x / width, ty, first_prefix.strip(), fontproperties=font, color=first_color,
                            va="baseline", parse_math=False)
                offset = fonts.text_width(first_prefix) * font.get_size_in_points() * PT
                figure.text((x + offset) / width, ty, line[len(first_prefix):].lstrip(), fontproperties=font,
                            color=color, va="baseline", parse_math=False)
            else:
                figure.text(x / width, ty, line, fontproperties=font, color=color, va="baseline", parse_math=False)

    y = margin
    box(margin, y, label_w, header_h, LABEL_FILL)
    for i, lines in enumerate(header_cells):
        x = margin + label_w + i * col_w
        box(x, y, col_w, header_h, HEADER_FILL)
        lines_at(x + pad, y + pad, lines, header_font, header_line_h, TEXT, ACCENT_TEXT, f"[{numbers[i]}] ")
    y += header_h
    row_names = _rows(language)
    for r, (name, _) in enumerate(TABLE_ROWS):
        h = row_h[name]
        box(margin, y, label_w, h, LABEL_FILL)
        lines_at(margin + pad, y + pad, [row_names[name]], label_font, line_h, MUTED)
        for i, lines in enumerate(body[name]):
            x = margin + label_w + i * col_w
            box(x, y, col_w, h, BACKGROUND if r % 2 else "#FAFAFB")
            lines_at(x + pad, y + pad, lines, font, line_h, TEXT)
        y += h
    png, w, h = _png(figure)

    cells = [{name: "\n".join(body[name][i]) for name, _ in TABLE_ROWS} for i in range(k)]
    titles = [f"[{n}] {_plain(column['title'])}" for n, column in zip(numbers, columns)]  # whole, not cut
    if base_language(language) == ZH:
        alt = (f"比較表：{k} 篇論文並排，每篇一欄，列出日期、主題、問題、方法與結果。"
               + "；".join(f"{t}（{_plain(c.get('date') or '—')[:10]}）" for t, c in zip(titles, columns)) + "。")
    else:
        alt = (f"Comparison table of {k} papers, one column each, with rows for date, topics, problem, method "
               "and results. " + "; ".join(f"{t} ({_plain(c.get('date') or '—')[:10]})"
                                           for t, c in zip(titles, columns)) + ".")
    return Chart(png, w, h, _limit_alt(alt, language), {"headers": header_cells, "cells": cells})
