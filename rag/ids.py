"""arXiv identifiers: the one parser every front end uses."""

from __future__ import annotations

import re

# New style (2007+): YYMM.NNNN or YYMM.NNNNN; old style: archive[.SUBJ]/YYMMNNN.
_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
_ID = re.compile(rf"^(?P<id>{_NEW}|{_OLD})(?:v(?P<version>\d+))?$")
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
    candidate = text.strip()
    if match := _URL.match(candidate):
        candidate = match["rest"]
    elif candidate[:6].lower() == "arxiv:":
        candidate = candidate[6:].strip()
    match = _ID.match(candidate)
    if not match:
        raise InvalidArxivId(text)
    return match["id"]


def looks_like_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def arxiv_url(arxiv_id: str) -> str:
    """The abstract page, which is what a reader wants to open from Discord."""
    return f"https://arxiv.org/abs/{arxiv_id}"
