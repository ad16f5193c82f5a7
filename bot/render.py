"""Results as Discord messages: one renderer per result type, every Discord limit kept.

Long text is split at the best break before a limit (paragraph, line, sentence,
word) and never inside a `[n]` marker, a Markdown link or a URL; a marker stays with
the sentence it cites. Embeds are packed into as many messages as needed, each within
10 embeds and 6000 characters.
"""

from __future__ import annotations

import re

import discord

from bot.i18n import papers_label, t
from rag.answers.answer import Answer
from rag.papers.table import Paper, Table
from rag.store.enrich import EnrichReport
from rag.store.knowledge import IngestReport
from rag.store.meaning import Progress

CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBEDS_PER_MESSAGE = 10
CHARACTERS_PER_MESSAGE = 6000
PACKED = CHARACTERS_PER_MESSAGE - 100  # room for a marker added to a page's footer later
BLANK = "\u200b"  # a field name that shows nothing (Discord requires one)

COLOUR = discord.Colour.from_rgb(88, 101, 242)
NO_MENTIONS = discord.AllowedMentions.none()

Page = list[discord.Embed]  # the embeds of one message

# Spans a split must not cut: Markdown links (with the marker of a numbered source line),
# bare URLs, citation markers.
_UNBREAKABLE = re.compile(
    r"(?:\[\d+\] )?\[[^\[\]\n]*\]\(<?[^)\s]*>?\)|<?https?://\S+|\[\d+(?:\s*[,，、]\s*\d+)*\]")
_MARKER_NEXT = re.compile(r"[ \t]*\[\d")  # a marker right after a break in a line
# Break tiers, best first: paragraph, line, sentence (with its markers), clause or word. The
# first two only count past half the limit, so pages are not tiny.
_BREAKS = (
    (re.compile(r"\n\s*\n"), 0.5),
    (re.compile(r"\n"), 0.5),
    (re.compile(r"(?<=[.!?;:])(?:\s*\[\d+\])*\s+|(?<=[。！？；])(?:\s*\[\d+\])*\s*"), 0.0),  # markers stay
    (re.compile(r"(?<=[，、,])\s*|\s+"), 0.0),
)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>|@(everyone|here)\b")


def escape(text: str) -> str:
    """User text shown as Markdown (embed titles): no formatting, no link, no mention."""
    text = discord.utils.escape_markdown(text, ignore_links=False)
    text = text.replace("://", ":\u200b//")  # a bare URL would still be linked
    return _MENTION.sub(lambda m: m[0].replace("@", "@\u200b").replace("#", "#\u200b"), text)


def literal(text: str, limit: int = 100) -> str:
    """User text repeated in a message, shown as typed: a code span, so nothing in it
    becomes a link, a mention or formatting. Whitespace runs collapse; long text is cut."""
    text = clip(" ".join(str(text).split()), limit).replace("`", "ˋ")
    return f"`{text}`" if text else "` `"


def thread_name(text: str) -> str:
    """A thread name from a question: Discord shows it as plain text, so only mentions and
    link syntax need defusing (backslashes would show)."""
    text = _MENTION.sub(lambda m: m[0].replace("@", "@\u200b").replace("#", "#\u200b"), " ".join(text.split()))
    return clip(text.replace("](", "] (").replace("://", ":\u200b//"), 100) or "?"


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, split where a reader would pause."""
    pieces, rest = [], text.strip()
    while len(rest) > limit:
        cut = _cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return pieces + [rest] if rest else pieces


def _cut(text: str, limit: int) -> int:
    spans = [m.span() for m in _UNBREAKABLE.finditer(text)]

    def allowed(at: int) -> bool:
        return (0 < at <= limit and not any(start < at < end for start, end in spans)
                and (text[at - 1] == "\n" or not _MARKER_NEXT.match(text, at)))

    for pattern, least in _BREAKS:
        for at in reversed([m.end() for m in pattern.finditer(text, 0, limit + 1)]):
            if at < limit * least:
                break
            if allowed(at) and text[:at].strip():
                return at
    # No pause at all: cut at the limit, moved back to the start of a span it would split.
    return next((start for start, end in spans if start < limit < end and start > 0), limit)


def pack(embeds: list[discord.Embed]) -> list[Page]:
    """Embeds into messages of at most 10 embeds and 6000 characters each."""
    pages: list[Page] = []
    size = 0
    for embed in embeds:
        if not pages or len(pages[-1]) == EMBEDS_PER_MESSAGE or size + len(embed) > PACKED:
            pages.append([])
            size = 0
        pages[-1].append(embed)
        size += len(embed)
    return pages


def _link(title: str, url: str) -> str:
    # Brackets in a title would end the Markdown link early.
    return f"[{clip(title, 200).replace('[', '(').replace(']', ')')}]({url})"


def authors_line(authors: tuple[str, ...], most: int = 3) -> str:
    """A. One, B. Two, C. Three et al."""
    shown = ", ".join(authors[:most])
    return f"{shown} et al." if len(authors) > most else shown


def _source(c) -> str:
    by = authors_line(c.authors)
    return _link(c.title, c.url) + (f" — {escape(by)}" if by else "")


def _text_embeds(text: str, title: str) -> list[discord.Embed]:
    embeds = [discord.Embed(description=part, colour=COLOUR) for part in split_text(text, DESCRIPTION)]
    embeds = embeds or [discord.Embed(description="…", colour=COLOUR)]
    embeds[0].title = clip(escape(title), TITLE)
    return embeds


def _field_embeds(groups: list[tuple[str, list[str]]]) -> list[discord.Embed]:
    """Named lists of lines as embed fields, continued in further fields and embeds."""
    embeds: list[discord.Embed] = []
    for name, lines in groups:
        for i, value in enumerate(split_text("\n".join(lines), FIELD_VALUE)):
            field_name = clip(name, FIELD_NAME) if i == 0 else BLANK
            if (not embeds or len(embeds[-1].fields) == FIELDS
                    or len(embeds[-1]) + len(field_name) + len(value) > CHARACTERS_PER_MESSAGE):
                embeds.append(discord.Embed(colour=COLOUR))
            embeds[-1].add_field(name=field_name, value=value, inline=False)
    return embeds


def add_footer(page: Page, text: str) -> Page:
    """Appends `text` to the footer of the page's last embed (within Discord's limits)."""
    last = page[-1]
    current = last.footer.text if last.footer and last.footer.text else ""
    budget = min(FOOTER, CHARACTERS_PER_MESSAGE - sum(len(e) for e in page) + len(current))
    last.set_footer(text=clip(current, max(0, budget - len(text) - 3)) + " · " + text if current else text)
    return page


def _with_footer(embeds: list[discord.Embed], footer: str) -> list[discord.Embed]:
    if footer:
        last = embeds[-1]
        last.set_footer(text=clip(footer, min(FOOTER, CHARACTERS_PER_MESSAGE - len(last))))
    return embeds


# -- renderers ----------------------------------------------------------------------
def answer_pages(answer: Answer, title: str) -> list[Page]:
    """An answer of any operation: its text, the papers compared side by side, the cited
    sources as a numbered list of links matching the [n] markers, the other sources."""
    language = answer.language
    embeds = _text_embeds(answer.text, title)
    if answer.operation == "compare" and answer.items:
        side_by_side = discord.Embed(colour=COLOUR)
        for item in answer.items:
            side_by_side.add_field(
                name=clip(item["title"], FIELD_NAME),
                value=clip(f"{item['date']} · {'、'.join(item['topics'])}\n{item['url']}", FIELD_VALUE),
                inline=True)
        embeds.append(side_by_side)
    embeds += _field_embeds([
        (t("label.sources", language), [f"[{c.n}] {_source(c)}" for c in answer.citations]),
        (t("label.also", language), [f"• {_source(c)}" for c in answer.sources]),
    ])
    # Which model wrote it (and any notice: left-out claims, a cut-off); an offline answer's
    # notice says why it is offline.
    if answer.mode == "llm" and answer.model:
        parts = [t("label.model", language, model=answer.model)]
        parts += [t("label.cached", language)] if answer.cached else []
        footer = " · ".join(parts + ([answer.notice] if answer.notice else []))
    else:
        footer = answer.notice or t("label.offline", language)
    return pack(_with_footer(embeds, footer))


def preview_embed(text: str, title: str) -> discord.Embed:
    """An answer still being written: the beginning of its text, within one embed."""
    parts = split_text(text, DESCRIPTION - 2)
    body = parts[0] + " …" if len(parts) > 1 else text.strip() + " ▍"
    return discord.Embed(title=clip(escape(title), TITLE), description=body, colour=COLOUR)


def queue_embed(place: int, title: str, language: str) -> discord.Embed:
    """A question waiting for its turn at the model."""
    return discord.Embed(title=clip(escape(title), TITLE), description=t("queue.waiting", language, place=place),
                         colour=COLOUR)


def paper_embed(paper: Paper, language: str) -> discord.Embed:
    embed = discord.Embed(title=clip(paper.title, TITLE), url=paper.url,
                          description=clip(paper.summary, DESCRIPTION), colour=COLOUR)
    embed.add_field(name="arXiv", value=_link(paper.arxiv_id, paper.url), inline=True)
    embed.add_field(name=t("label.date", language), value=paper.date.isoformat(), inline=True)
    embed.add_field(name=t("label.topics", language), value=clip("、".join(paper.topics) or "—", FIELD_VALUE),
                    inline=False)
    if paper.authors:
        embed.add_field(name=t("label.authors", language), value=clip(escape(authors_line(paper.authors, 8)),
                                                                      FIELD_VALUE), inline=False)
    return embed


def not_found_text(arxiv_id: str, suggestions: list[Paper], language: str) -> str:
    lines = [t("paper.not_listed", language, arxiv_id=arxiv_id)]
    if suggestions:
        lines.append(t("paper.suggestions", language))
        # <url> keeps Discord from previewing every suggestion.
        lines += [f"• `{p.arxiv_id}` {_link(p.title, f'<{p.url}>')}" for p in suggestions]
    return clip("\n".join(lines), CONTENT)


def search_pages(papers: list[Paper], title: str, language: str) -> list[Page]:
    """Papers found, best first: a linked title, authors, date and topics each."""
    if not papers:
        return pack(_text_embeds(t("search.none", language), t("title.search", language, query=title)))
    lines = []
    for n, p in enumerate(papers, 1):
        by = authors_line(p.authors)
        details = " · ".join(x for x in (escape(by) if by else "", p.date.isoformat(), "、".join(p.topics)) if x)
        lines.append(f"**{n}.** {_link(p.title, p.url)}\n{details}")
    return pack(_text_embeds("\n".join(lines), t("title.search", language, query=title)))


def topics_pages(topics: list[tuple[str, int]], language: str) -> list[Page]:
    lines = [f"**{topic}** — {papers_label(count, language)}" for topic, count in topics]
    return pack(_text_embeds("\n".join(lines), t("title.topics", language, count=len(topics))))


def added(results: list, user_id: int, language: str) -> tuple[str, list[discord.Embed]]:
    """What /add did: a line per paper that was not added, a card per paper in the list."""
    from rag.store.add import ADDED, FAILED, LISTED, UNKNOWN, WITHDRAWN

    new = [r for r in results if r.status == ADDED]
    lines = [t("add.added", language, user=f"<@{user_id}>", n=len(new))] if new else []
    for r in results:
        if r.status == LISTED:
            lines.append(t("add.listed", language, id=r.arxiv_id))
        elif r.status == UNKNOWN:
            lines.append(t("add.unknown", language, id=r.arxiv_id))
        elif r.status == WITHDRAWN:
            lines.append(t("add.withdrawn", language, id=r.arxiv_id))
        elif r.status == FAILED:
            lines.append(t("add.failed", language, id=r.arxiv_id, reason=clip(r.reason, 300)))
    if any(r.draft for r in new):
        lines.append(t("add.draft", language))
    cards = [paper_embed(r.paper, language) for r in results if r.status in (ADDED, LISTED) and r.paper]
    return clip("\n".join(lines), CONTENT), pack(cards)[0] if cards else []


def usage_embed(month: dict, today: dict, model: str | None, language: str) -> discord.Embed:
    """The ledger of this server: totals for the month and the day, then who and what spent it."""

    def line(block: dict) -> str:
        tokens = block["prompt_tokens"] + block["completion_tokens"]
        cost = f"US${block['cost_usd']:.4f}" + (f" + {block['unpriced_calls']} {t('usage.unpriced', language)}"
                                                if block["unpriced_calls"] else "")
        return t("usage.line", language, calls=block["calls"], cached=block["cached"], tokens=f"{tokens:,}", cost=cost)

    embed = discord.Embed(title=t("usage.title", language, since=month["since"][:10]), colour=COLOUR)
    embed.add_field(name=t("usage.month", language), value=clip(line(month["total"]), FIELD_VALUE), inline=False)
    embed.add_field(name=t("usage.today", language), value=clip(line(today["total"]), FIELD_VALUE), inline=False)
    embed.add_field(name=t("usage.cache", language), value=t("usage.saved", language, hits=month["total"]["cached"],
                                                               saved=f"US${month['total']['saved_usd']:.4f}"),
                    inline=False)
    for key, label in (("by_user", "usage.by_user"), ("by_operation", "usage.by_operation"),
                       ("by_model", "usage.by_model")):
        rows = [f"{f'<@{name}>' if key == 'by_user' and name.isdigit() else escape(name)}: {line(block)}"
                for name, block in list(month[key].items())[:10]]
        if rows:
            embed.add_field(name=t(label, language), value=split_text("\n".join(rows), FIELD_VALUE)[0], inline=False)
    if month["total"]["estimated_calls"]:
        embed.set_footer(text=t("usage.estimated", language, n=month["total"]["estimated_calls"]))
    elif not model:
        embed.set_footer(text=t("label.offline", language))
    return embed


def ingest_report_text(table: Table, report: IngestReport, total: int, language: str,
                       enriched: EnrichReport | None = None, meaning: Progress | None = None) -> str:
    text = t("reload.done", language, added=len(report.added), updated=len(report.updated),
             unchanged=len(report.unchanged), skipped=len(table.errors), total=total)
    if meaning is not None:
        text += "\n" + t("reload.meaning" if meaning.have >= meaning.total else "reload.meaning_filling", language,
                         have=meaning.have, total=meaning.total)
    if enriched is not None and enriched.skipped:
        text += "\n" + t("reload.arxiv_down", language)
    elif enriched is not None and (enriched.enriched or enriched.unknown):
        text += "\n" + t("reload.enriched", language, n=len(enriched.enriched), unknown=len(enriched.unknown))
    if table.errors:
        text += "\n" + t("reload.skipped", language) + "\n" + "\n".join(f"• {e}" for e in table.errors)
    return clip(text, CONTENT)



# -- feedback, saved papers, follows (bot/cogs/feedback.py, people.py, follows.py) ----------
def follow_text(kind: str, value: str, language: str) -> str:
    """A follow as the user reads it: the kind, and what they typed as a code span."""
    return t(f"follow.{kind}", language, value=literal(value, 60))


def saved_embed(papers: list[tuple[str, Paper | None]], first: int, total: int, page: int, pages: int,
                language: str) -> discord.Embed:
    """One page of a user's saved papers, numbered from `first` like its remove buttons."""
    lines = [f"**{n}.** " + (f"{_link(p.title, p.url)} · {p.date.isoformat()}" if p else
                             f"`{arxiv_id}` ({t('saved.gone', language)})")
             for n, (arxiv_id, p) in enumerate(papers, first)]
    embed = discord.Embed(title=t("saved.title", language, count=total),
                          description=clip("\n".join(lines), DESCRIPTION), colour=COLOUR)
    return embed.set_footer(text=t("saved.page", language, page=page, pages=pages))


def following_embed(follows: list[tuple[str, str]], paused: bool, language: str) -> discord.Embed:
    lines = [f"**{n}.** {follow_text(kind, value, language)}" for n, (kind, value) in enumerate(follows, 1)]
    if paused:
        lines.append("\n" + t("following.paused", language))
    embed = discord.Embed(title=t("following.title", language, count=len(follows)),
                          description=clip("\n".join(lines), DESCRIPTION), colour=COLOUR)
    return embed.set_footer(text=t("following.footer", language))


def follow_dm_embed(matches: list[tuple[Paper, list[tuple[str, str]]]], since: str, until: str,
                    language: str) -> discord.Embed:
    """The weekly DM: each new paper that matches, best first, with the follows it matched."""
    budget = (DESCRIPTION - 50) // max(len(matches), 1)
    lines = []
    for n, (paper, because) in enumerate(matches, 1):
        reasons = t("dm.because", language, follows=", ".join(follow_text(k, v, language) for k, v in because))
        topics = "、".join(paper.topics)
        head = f"**{n}.** {_link(paper.title, paper.url)}"
        lines.append(head + "\n" + clip(f"{paper.date.isoformat()} · {topics} · {reasons}", max(budget - len(head), 40)))
    embed = discord.Embed(title=clip(t("dm.title", language, since=since, until=until), TITLE),
                          description=clip("\n\n".join(lines), DESCRIPTION), colour=COLOUR)
    return embed.set_footer(text=t("dm.footer", language))


def feedback_embed(counts: dict, language: str, since: str | None = None) -> discord.Embed:
    """Vote counts for admins: totals, then by command, mode, model, and the 👎 reasons."""
    embed = discord.Embed(title=t("feedback.title", language, up=counts["up"], down=counts["down"],
                                  answers=counts["answers"]), colour=COLOUR)
    if since:
        embed.description = t("feedback.since", language, date=since)
    for group in ("by_operation", "by_mode", "by_model"):
        lines = [f"`{clip(name, 60)}` {c['up']} 👍 · {c['down']} 👎" for name, c in counts[group].items()]
        if lines:
            embed.add_field(name=t(f"feedback.{group}", language), value=clip("\n".join(lines), FIELD_VALUE),
                            inline=True)
    if counts["reasons"]:
        lines = [f"{t(f'reason.{r}', language)}: {n}" for r, n in sorted(counts["reasons"].items(), key=lambda x: -x[1])]
        embed.add_field(name=t("feedback.reasons", language), value=clip("\n".join(lines), FIELD_VALUE), inline=False)
    return embed
