"""The fonts pictures are drawn with, and which characters they can draw.

Fonts come from Python packages, never the system: Noto Sans CJK TC
(``cvttf-notosanscjk-regular``), DejaVu Sans (inside matplotlib), Noto Sans Symbols and the
monochrome Noto Emoji (``manimgx-fonts``, OFL-1.1). They are registered under private family
names, so a system font of the same name can never be picked instead. Every label goes
through ``sanitize``: a character no font in the chain has is drawn as U+FFFD, never as a
box. matplotlib is imported on the first drawing (or glyph check) only.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

# (private family name, package, file in the package): the fallback chain, in order.
# The CJK face comes first so Latin and CJK in one label share its design.
FONT_CHAIN = (
    ("paperbot-cjk", "cvttf_NotoSansCJK_Regular", "NotoSansCJKtc-Regular.otf"),
    ("paperbot-dejavu", "matplotlib", "mpl-data/fonts/ttf/DejaVuSans.ttf"),
    ("paperbot-symbols", "manimgx_fonts", "NotoSansSymbols[wght].ttf"),
    ("paperbot-emoji", "manimgx_fonts", "NotoEmoji[wght].ttf"),
)
INSTALL_HINT = "pip install matplotlib cvttf-notosanscjk-regular manimgx-fonts"
REPLACEMENT = "\ufffd"  # drawn for a character no font has: visible, and not a box


class ChartsUnavailable(RuntimeError):
    """matplotlib or a font package is missing; the caller can still post text."""


# Located in their packages, their charmaps read once, registered with matplotlib once.
@dataclass
class _Fonts:
    paths: list[Path]
    families: list[str]
    faces: list  # FreeType faces of the chain, for advance widths (used under _lock)
    owner: dict[int, int]  # code point -> index of the first font in the chain that has it
    advance: dict[int, float] = field(default_factory=dict)  # code point -> advance in em, filled on use
    registered_in: object = None  # the matplotlib FontManager holding our families


_lock = threading.Lock()
_loaded: _Fonts | None = None


def _package_file(package: str, name: str) -> Path:
    try:
        path = Path(str(resources.files(package).joinpath(name)))
    except ModuleNotFoundError:
        raise ChartsUnavailable(f"charts need the Python package that provides {package!r}: {INSTALL_HINT}") from None
    if not path.is_file():
        raise ChartsUnavailable(f"{name} is missing from the installed package {package!r}; reinstall it "
                                f"({INSTALL_HINT})")
    return path


def font_paths() -> list[Path]:
    """The font files of the fallback chain, in order (found in their packages)."""
    return [_package_file(package, name) for _, package, name in FONT_CHAIN]


def _fonts() -> _Fonts:
    """Open the chain's fonts once per process (thread-safe). Coverage comes from FreeType's
    Unicode charmaps: the very tables the renderer looks glyphs up in (fontTools reads the
    same cmaps over 10× slower for the 44k-character CJK face)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            try:
                from matplotlib import ft2font
            except ImportError:
                raise ChartsUnavailable(f"charts need matplotlib: {INSTALL_HINT}") from None
            paths = font_paths()
            faces = [ft2font.FT2Font(str(path)) for path in paths]
            owner: dict[int, int] = {}
            for index, face in enumerate(faces):
                for code in face.get_charmap():
                    owner.setdefault(code, index)
            _loaded = _Fonts(paths, [family for family, _, _ in FONT_CHAIN], faces, owner)
    return _loaded


def _advance(code: int) -> float:
    fonts = _fonts()
    width = fonts.advance.get(code)
    if width is None:
        from matplotlib import ft2font

        index = fonts.owner.get(code)
        if index is None:
            return 1.0
        with _lock:  # a FreeType face is not safe to use from two threads at once
            face = fonts.faces[index]
            glyph = face.load_char(code, flags=ft2font.LoadFlags.NO_SCALE)
            width = fonts.advance[code] = glyph.horiAdvance / face.units_per_EM
    return width


def matplotlib():
    """matplotlib's pieces, with our fonts registered in its current FontManager."""
    try:
        from matplotlib import font_manager, ft2font
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle
    except ImportError:
        raise ChartsUnavailable(f"charts need matplotlib: {INSTALL_HINT}") from None
    fonts = _fonts()
    with _lock:
        manager = font_manager.fontManager  # matplotlib may replace it after a cache rebuild
        if fonts.registered_in is not manager:
            for family, path in zip(fonts.families, fonts.paths):
                entry = font_manager.ttfFontProperty(ft2font.FT2Font(str(path)))
                manager.ttflist.append(dataclasses.replace(entry, name=family))
            getattr(manager._findfont_cached, "cache_clear", lambda: None)()  # as addfont does after adding
            fonts.registered_in = manager
    return Figure, FigureCanvasAgg, font_manager.FontProperties, Rectangle


def font(size: float):
    properties = matplotlib()[2]
    return properties(family=list(_fonts().families), size=size)


# -- glyph coverage, sanitising, width ------------------------------------------------------
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001f3fb-\U0001f3ff\U000e0000-\U000e0fff]"
)  # zero-width, joiners, direction marks, variation selectors, skin tones, tags: nothing to draw alone
_SPACES = re.compile(r"[\t\r\x0b\x0c\u2028\u2029\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def missing_glyphs(text: str) -> set[str]:
    """The characters of `text` (line breaks aside) that no font in the chain can draw."""
    owner = _fonts().owner
    return {ch for ch in text if ch != "\n" and ord(ch) not in owner}


def sanitize(text: str) -> str:
    """Text safe to draw: NFC, invisible controls removed, odd spaces made plain, and every
    run of characters the fonts lack replaced by one U+FFFD."""
    text = unicodedata.normalize("NFC", str(text))
    text = _IGNORABLE.sub("", text)
    text = _SPACES.sub(lambda m: " " if m.group() not in "\u2028\u2029" else "\n", text)
    owner = _fonts().owner
    out: list[str] = []
    for ch in text:
        if ch == "\n" or (ord(ch) in owner and unicodedata.category(ch) != "Cc"):
            out.append(ch)
        elif not out or out[-1] != REPLACEMENT:
            out.append(REPLACEMENT)
    return "".join(out)


def text_width(text: str) -> float:
    """Width of one line of (sanitised) text in em, from the fonts' advance widths."""
    advance = _fonts().advance
    return sum(advance.get(ord(ch)) or _advance(ord(ch)) for ch in text)
