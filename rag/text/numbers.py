"""Quantities in a text however they are written, read one way for the lexical index and
the claim check alike:

    quantities("a 125-million-parameter model, 1.25 億參數, 0.125B, seven LLMs, 七個, 第六階")

- digits, with a scale (125M, 0.125B, 60k, 1.25 億, 30 亿, 125 million, 125-million-parameter)
  and what follows them (28.53%, 1.5x, 10 倍);
- English number words (seven, twenty-five, one hundred and twenty-five million, sixth);
- Chinese numerals in either script (七, 十二, 兩百五十萬, 三十億, 一點二五億, 第六, 百分之二十,
  雙人).

Each is a Quantity: its value with the scale applied, where it stands, how it was written,
and what a reader of it needs to know (an ordinal, a vague "數百", the measure word after
it). Which of them count as a claim's facts is rag.claims.mentions' decision; model sizes
as index tokens are rag.text.tokens'. Numerals are a closed part of each language's
grammar, so they are written here, not in a word list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIGITS, WORDS, CHARACTERS = "digits", "words", "characters"


@dataclass(frozen=True)
class Quantity:
    value: float  # scale applied: 125M and 1.25 億 are both 125000000.0
    start: int
    end: int
    form: str  # DIGITS, WORDS or CHARACTERS
    scaled: bool = False  # a scale was applied (K/M/B/T, thousand/million/..., 萬/億)
    unit: str = ""  # "%" or "x" (times, 倍) when it says so
    ordinal: bool = False  # sixth, 第六
    vague: bool = False  # 數百, 幾十, hundreds of: an order of magnitude, not a count
    after: str = ""  # the text right after it (a measure word: 個, 篇, 倍 ...), for the reader to judge


def _value(number: float) -> float:
    """A value as compared: 0.125 * 1e9 and 1.25 * 1e8 are one number."""
    return float(f"{number:.6g}")


# -- digits -------------------------------------------------------------------------------
_EN_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9,
              "t": 1e12, "trillion": 1e12}
# Chinese scales, both scripts, longest first.
_ZH_SCALES = {"萬億": 1e12, "万亿": 1e12, "千億": 1e11, "千亿": 1e11, "百億": 1e10, "百亿": 1e10,
              "十億": 1e9, "十亿": 1e9, "億": 1e8, "亿": 1e8, "千萬": 1e7, "千万": 1e7, "百萬": 1e6,
              "百万": 1e6, "十萬": 1e5, "十万": 1e5, "萬": 1e4, "万": 1e4, "千": 1e3}
_DIGITS = re.compile(
    r"(?<![A-Za-z0-9.,])(\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?:[ \t]?(%|[xX×](?![A-Za-z])|倍|[kKmMbBtT](?![A-Za-z])|" + "|".join(_ZH_SCALES) + r")"
    r"|[ \t-]?(percent|per cent|thousand|million|billion|trillion)\b)?")


def _digit_quantities(text: str) -> list[Quantity]:
    out = []
    for m in _DIGITS.finditer(text):
        suffix = (m[2] or m[3] or "").lower()
        value = float(m[1].replace(",", ""))
        scale = _EN_SCALES.get(suffix) or _ZH_SCALES.get(suffix)
        unit = "%" if suffix in ("%", "percent", "per cent") else "x" if suffix in ("x", "×", "倍") else ""
        out.append(Quantity(_value(value * (scale or 1)), m.start(), m.end(), DIGITS, bool(scale), unit,
                            after=text[m.end():m.end() + 4]))
    return out


# -- English words ------------------------------------------------------------------------
_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_ORDINALS = {w: i for i, w in enumerate(
    "third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), 3)}  # not first, second: ambiguous
_WORD_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER_WORD = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted([*_UNITS, *_TENS, *_ORDINALS, "hundred", *_WORD_SCALES], key=len, reverse=True))
    + r")(?![\w])", re.IGNORECASE)
_VAGUE_WORDS = {"dozens": 12.0, "hundreds": 1e2, "thousands": 1e3, "millions": 1e6, "billions": 1e9, "trillions": 1e12}
_VAGUE = re.compile(rf"(?<![\w-])(?:{'|'.join(_VAGUE_WORDS)})\b", re.IGNORECASE)


def _word_value(words: list[str]) -> tuple[float, bool]:
    """(value, ordinal) of number words in order ("one hundred and twenty-five million")."""
    total, current, ordinal = 0.0, 0.0, False
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word in _ORDINALS:
            current, ordinal = current + _ORDINALS[word], True
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _WORD_SCALES:
            total, current = total + (current or 1) * _WORD_SCALES[word], 0.0
    return total + current, ordinal


def _word_quantities(text: str) -> list[Quantity]:
    """Runs of number words joined by a space or hyphen ("twenty-five", "one hundred
    million"), or by "and" after hundred or a scale ("one hundred and twenty")."""
    runs: list[list[re.Match]] = []
    for m in _NUMBER_WORD.finditer(text):
        if runs:
            last = runs[-1][-1]
            gap = text[last.end():m.start()]
            if re.fullmatch(r"[ -]", gap) or (re.fullmatch(r"\s+and\s+", gap) and
                                               last[0].lower() in ("hundred", *_WORD_SCALES)):
                runs[-1].append(m)
                continue
        runs.append([m])
    out = []
    for run in runs:
        words = [m[0].lower() for m in run]
        value, ordinal = _word_value(words)
        start, end = run[0].start(), run[-1].end()
        unit = "%" if re.match(r"\s*(?:percent|per cent)\b", text[end:], re.IGNORECASE) else ""
        out.append(Quantity(_value(value), start, end, WORDS, any(w in _WORD_SCALES for w in words), unit,
                            ordinal, after=text[end:end + 24]))
    for m in _VAGUE.finditer(text):
        out.append(Quantity(_VAGUE_WORDS[m[0].lower()], m.start(), m.end(), WORDS, vague=True,
                            after=text[m.end():m.end() + 24]))
    return out


# -- Chinese numerals -----------------------------------------------------------------------
_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "雙": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"萬": 1e4, "万": 1e4, "億": 1e8, "亿": 1e8}
_ZH_NUMERAL = "〇零一二兩两雙双三四五六七八九十百千萬万億亿"
_ZH_RUN = re.compile(rf"(百分之)?(第)?([{_ZH_NUMERAL}]+(?:[點点][〇零一二三四五六七八九]+)?[萬万億亿]*)")
# Words whose numeral characters count nothing (統一, 十分, 萬一, 一些 ...): the run is not a number.
_NOT_NUMBERS = re.compile(r"十分|萬一|万一|千萬別|千万别|一些|一致|一起|一般|一直|一定|一旦|一樣|一样|一切|一邊|一边|"
                          r"一方面|一同|一時|一时|一再|一度|之一|唯一|統一|统一|同一|一流|一系列|不一|萬分|万分")


def _zh_value(run: str) -> float | None:
    """The value of a run of Chinese numerals: 十二, 一百二十五萬, 三十億, 一點二五億, 二〇二四."""
    if "點" in run or "点" in run:
        head, _, tail = re.split(r"([點点])", run, maxsplit=1)
        digits = re.match(r"[〇零一二三四五六七八九]+", tail)[0]
        whole = _zh_value(head)
        if whole is None:
            return None
        fraction = float("0." + "".join(str(_ZH_DIGITS[c]) for c in digits))
        scale = 1.0
        for c in tail[len(digits):]:
            scale *= _ZH_BIG[c]
        return (whole + fraction) * scale
    if len(run) > 1 and all(c in _ZH_DIGITS for c in run):  # 二〇二四: digit by digit
        return float("".join(str(_ZH_DIGITS[c]) for c in run))
    total, section, current = 0.0, 0.0, 0.0
    for c in run:
        if c in _ZH_DIGITS:
            current = _ZH_DIGITS[c]
        elif c in _ZH_SMALL:
            section += (current or 1) * _ZH_SMALL[c]
            current = 0.0
        elif c in _ZH_BIG:
            section += current or (0 if section or total else 1)  # 萬 alone is ten thousand
            if _ZH_BIG[c] == 1e8:
                total = (total + section) * 1e8
            else:
                total += section * 1e4
            section, current = 0.0, 0.0
    return total + section + current


def _zh_quantities(text: str) -> list[Quantity]:
    out = []
    blocked = [(m.start(), m.end()) for m in _NOT_NUMBERS.finditer(text)]
    for m in _ZH_RUN.finditer(text):
        run = m[3]
        if any(a < m.end(3) and m.start(3) < b for a, b in blocked) and not m[2]:
            continue
        value = _zh_value(run)
        if value is None:
            continue
        before = text[max(0, m.start() - 1):m.start()]
        out.append(Quantity(_value(value), m.start(), m.end(), CHARACTERS,
                            scaled=any(c in _ZH_BIG for c in run), unit="%" if m[1] else
                            "x" if text[m.end():m.end() + 1] == "倍" else "",
                            ordinal=bool(m[2]), vague=before in ("數", "数", "幾", "几", "上"),
                            after=text[m.end():m.end() + 4]))
    return out


def quantities(text: str) -> list[Quantity]:
    """Every quantity in `text`, in order; where readings overlap (a digit run and a
    Chinese scale), the first and longest wins."""
    found = sorted(_digit_quantities(text) + _word_quantities(text) + _zh_quantities(text),
                   key=lambda q: (q.start, -q.end))
    out: list[Quantity] = []
    for q in found:
        if out and q.start < out[-1].end:
            continue
        out.append(q)
    return out


def size_token(value: float) -> str:
    """A model size as one index token: 1.25 億 / 125M / 0.125B → "125m", 30 億 / 3B → "3b"."""
    for unit, scale in (("t", 1e12), ("b", 1e9), ("m", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"
