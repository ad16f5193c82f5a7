"""What goes wrong that a front end tells the user apart: bad input, in plain words (an empty
question, a malformed ID, an unknown topic; `code` and `params` let a front end say it in
the user's language, the message is the English for logs and the CLI), and the paper store
out of reach."""

from __future__ import annotations


class InputError(ValueError):
    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


class StoreUnavailable(RuntimeError):
    """Chroma cannot be reached or opened; the message says what to do."""


class StoreBusy(StoreUnavailable):
    """Another process has the embedded Chroma directory open."""
