"""arXiv identifiers: the one parser every front end uses."""

from __future__ import annotations

import re
import unicodedata

# New style (2007+): YYMM.NNNN or YYMM.NNNNN; old style: archive[.SUBJ]/YYMMNNN.
_NEW = r"[0-9]{4}\.[0-9]{4,5}"
_OLD = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/[0-9]{7}"
_ID = re.compile(rf"^(?P<id>{_NEW}|{_OLD})(?:v(?P<version>[0-9]+))?$")
_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)

VALID_FORMS = (
    "2405.14831, 2405.14831v2, arXiv:2405.14831, https://arxiv.org/abs/2405.14831, "
    "https://arxiv.org/pdf/2405.14831v1 or an old-style ID such as hep-th/9901001"
)


class InvalidArxivId(ValueError):
    """The text is not an arXiv ID in any form we accept."""

    def __init__(self, text: str):
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"{shown!r} is not an arXiv ID; valid forms: {VALID_FORMS}")
        self.text = text


def parse_arxiv_id(text: str) -> str:
    """Normalise any accepted form to the bare, unversioned ID (``2405.14831``)."""
    candidate = unicodedata.normalize("NFKC", text).strip()  # full-width ２４０５．１４８３１ too
    if match := _URL.match(candidate):
        candidate = match["rest"]
    elif candidate[:6].lower() == "arxiv:":
        candidate = candidate[6:].strip()
    match = _ID.match(candidate)
    if not match:
        raise InvalidArxivId(text)
    return match["id"]


# An ID inside a sentence: a link that holds one (arxiv.org, alphaxiv, Hugging Face papers;
# <...> and [text](...) too), "arXiv:" and an ID, or a new-style ID on its own (month
# 01-12, so "2023.1234" or a version number is not one).
_LINK_END = r"[^\s<>()\[\]]*"
_MENTION = re.compile(
    rf"(?:https?://|www\.|(?<![\w.])arxiv\.org/){_LINK_END}?(?<![\w.])(?P<url>{_NEW}|{_OLD})(?:v[0-9]+)?(?!\w){_LINK_END}"
    rf"|arxiv:\s*(?P<tagged>{_NEW}|{_OLD})(?:v[0-9]+)?"
    r"|(?<![\w.])(?P<bare>[0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5})(?:v[0-9]+)?(?!\w|\.[0-9])",
    re.IGNORECASE,
)


def split_mentions(text: str) -> tuple[list[str], str]:
    """The arXiv IDs a question names (bare, in order, once each) and the question
    without them: "what's https://arxiv.org/abs/2405.14831v2 about?" names 2405.14831."""
    text = unicodedata.normalize("NFKC", text)
    ids = [m["url"] or m["tagged"] or m["bare"] for m in _MENTION.finditer(text)]
    return list(dict.fromkeys(ids)), _MENTION.sub(" ", text)


_LIST_SEPARATORS = re.compile(r"[\s,，、;]+")


def split_id_list(text: str) -> list[str]:
    """The items of a list of IDs or links as people type it: separated by spaces, commas
    (Chinese ones too) or semicolons."""
    return [w for w in _LIST_SEPARATORS.split(text) if w]


def looks_like_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def arxiv_url(arxiv_id: str) -> str:
    """The abstract page, which is what a reader wants to open from Discord."""
    return f"https://arxiv.org/abs/{arxiv_id}"
