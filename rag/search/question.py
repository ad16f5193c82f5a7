"""A question read once. Everything the stages after it need of the text (what is visible
of it, its language and script, the arXiv IDs it names, its words for each lexical field,
its Chinese words, the key the caches use, its vector under each embedding model) is
worked out here, on first use, and kept with it: the rewriter, retrieval, the answer
operations and the caches all receive the same object.
"""

from __future__ import annotations

import unicodedata
from functools import cached_property

from rag.errors import InputError
from rag.papers.ids import InvalidArxivId, parse_arxiv_id, split_mentions
from rag.text.language import answer_language, base_language, visible_text
from rag.text.script import to_traditional
from rag.text.tokens import char_grams, chinese_words, title_tokens, tokenize


class Question:
    def __init__(self, text: str):
        self.text = text  # as typed, without invisible characters

    @classmethod
    def read(cls, raw: str, max_chars: int = 2000) -> Question:
        """A user's question, or InputError when it is empty (or invisible) or too long."""
        text = visible_text(raw)
        if not text:
            raise InputError("empty", "The question is empty; ask something about the papers.")
        if len(text) > max_chars:
            raise InputError("too_long", f"The question is {len(text)} characters long; the limit is {max_chars}.",
                             length=len(text), limit=max_chars)
        return cls(text)

    def __repr__(self) -> str:
        return f"Question({self.text!r})"

    @cached_property
    def folded(self) -> str:
        """Full-width ＨｉｐｐｏＲＡＧ and ２４０５．１４８３１ (Chinese input methods) as ASCII."""
        return unicodedata.normalize("NFKC", self.text)

    @cached_property
    def language(self) -> str:
        """What to answer in: en, zh (Traditional) or zh-CN (Simplified)."""
        return answer_language(self.text)

    @property
    def base_language(self) -> str:
        """en or zh, whatever the script: which language the question is in."""
        return base_language(self.language)

    @cached_property
    def key(self) -> str:
        """The same question however it was typed (Unicode form, case, spacing, Chinese
        script; an arXiv ID in any form is the bare ID): what caches are keyed by."""
        try:
            return parse_arxiv_id(self.text)
        except InvalidArxivId:
            pass
        return to_traditional(" ".join(self.folded.casefold().split()))

    @cached_property
    def _mentions(self) -> tuple[list[str], str]:
        return split_mentions(self.folded)

    @property
    def ids(self) -> list[str]:
        """The arXiv IDs it names, by ID or link, in order, once each."""
        return self._mentions[0]

    @property
    def without_ids(self) -> str:
        return self._mentions[1]

    @cached_property
    def words(self) -> list[str]:
        """Its tokens (rag.text.tokens): stemmed English, Chinese words and pairs, sizes."""
        return tokenize(self.folded)

    @cached_property
    def fields(self) -> dict[str, list[str]]:
        """Its tokens for each field of the lexical index."""
        return {"body": self.words, "abstract": self.words, "title": title_tokens(self.folded),
                "grams": char_grams(self.folded)}

    @cached_property
    def chinese_words(self) -> list[tuple[str, ...]]:
        return chinese_words(self.folded)

    @cached_property
    def _vectors(self) -> dict[str, list[float]]:
        return {}

    def vector(self, model, text: str | None = None) -> list[float]:
        """The query embedding under `model` (a LlamaIndex embedding) of the question, or of
        `text` made from it (e.g. its English words), computed once."""
        text = self.folded if text is None else text
        key = f"{getattr(model, 'model_name', type(model).__name__)}\0{text}"
        if key not in self._vectors:
            self._vectors[key] = model.get_query_embedding(text)
        return self._vectors[key]
