"""Reasoning kept out of answers: `<think>…</think>` blocks, removed from streamed text."""

from __future__ import annotations


class ThinkFilter:
    """Removes <think>…</think> blocks from streamed text, even when a tag is split
    across chunks; an unclosed block hides everything after it (it is reasoning)."""

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self):
        self.visible, self._pending, self._inside = "", "", False

    def feed(self, piece: str) -> str:
        """Adds a chunk; returns the visible text so far."""
        text = self._pending + piece
        self._pending = ""
        while text:
            if not self._inside and (close := text.find(self.CLOSE)) >= 0 and \
                    (text.find(self.OPEN) < 0 or close < text.find(self.OPEN)):
                # A close without an open: the template opened the block in the prompt,
                # so everything so far was reasoning.
                self.visible, text = "", text[close + len(self.CLOSE):]
                continue
            tag = self.CLOSE if self._inside else self.OPEN
            at = text.find(tag)
            if at >= 0:
                if not self._inside:
                    self.visible += text[:at]
                text, self._inside = text[at + len(tag):], not self._inside
                continue
            keep = _partial_suffix(text, tag)  # a tag may be cut at the chunk's end
            if not self._inside:
                self.visible += text[: len(text) - keep]
            self._pending = text[len(text) - keep:] if keep else ""
            break
        return self.visible.lstrip()

    def finish(self) -> str:
        if not self._inside:
            self.visible += self._pending
        self._pending = ""
        return self.visible.strip()


def _partial_suffix(text: str, tag: str) -> int:
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0
