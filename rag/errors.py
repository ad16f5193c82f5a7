"""Bad input, in plain words: what every operation raises when it cannot do what was asked
(an empty question, a malformed ID, an unknown topic). `code` and `params` let a front end
say it in the user's language; the message is the English for logs and the CLI."""

from __future__ import annotations


class InputError(ValueError):
    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code, self.params = code, params
