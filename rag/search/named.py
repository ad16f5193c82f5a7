"""What a question names, and what a named paper stands for: a paper's name as the
question says it (HippoRAG, GNN-RAG), and the text that finds papers like it."""

from __future__ import annotations

import re

from rag.papers.table import Paper
from rag.store import lexical
from rag.text import glossary
from rag.text.tokens import chinese_words, tokenize

_NAME_LIKE = re.compile(r"\S*(?:[a-z][A-Z]|[A-Z]{2}|\d|-)\S*")  # HippoRAG, GNN-RAG, MoRA, PROMETHEUS 2


def mentions_name(text: str, paper: Paper) -> bool:
    """Whether `text` says the paper's name: the part of its title before a colon, when that
    looks like a name (a capital inside a word, an acronym, a digit or a hyphen: HippoRAG,
    not "Parrot"), as a whole word, in any case."""
    if ":" not in paper.title:
        return False
    name = lexical.name_of(paper.title).strip()
    return bool(_NAME_LIKE.search(name)) and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text,
                                                        re.IGNORECASE) is not None


def like(paper: Paper) -> str:
    """What to search for papers like this one: its title, gloss, topics and the English
    of its summary's terms."""
    return " ".join([paper.title, paper.gloss, " ".join(paper.topics), *glossary.expand(paper.summary)])


def says_something(text: str) -> bool:
    """Whether a text has a word to search for (jieba's words for Chinese: the character
    pairs of "有沒有跟" are not one)."""
    return any(t.isascii() for t in tokenize(text)) or bool(chinese_words(text))
