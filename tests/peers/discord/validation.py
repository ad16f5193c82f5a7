"""What Discord rejects that discord.py does not check: message, embed, component,
autocomplete and command limits, and the Discord-style error they become."""

from __future__ import annotations

import re
from typing import Any, Optional

from .constants import FLAG_IS_COMPONENTS_V2

# Limits Discord enforces (discord.py does not)
LIMITS = {
    "content": 2000,
    "embeds": 10,
    "embed_title": 256,
    "embed_description": 4096,
    "embed_fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer_text": 2048,
    "author_name": 256,
    "embed_total": 6000,
    "action_rows": 5,
    "row_components": 5,
    "button_label": 80,
    "custom_id": 100,
    "select_options": 25,
    "placeholder": 150,
    "choices": 25,
    "choice_name": 100,
    "choice_value": 100,
    "modal_title": 45,
    "thread_name": 100,
    "command_name": 32,
    "command_description": 100,
    "command_options": 25,
    "command_total": 4000,
}

# Polls, from Discord's API docs (discord-api-docs, developers/resources/poll.mdx):
# "The maximum length of `text` is 300 for the question, and 55 for any answer",
# "Each of the answers available in the poll, up to 10", "duration: Number of hours the
# poll should be open for, up to 32 days. Defaults to 24" (32 days = 768 hours).
POLL_LIMITS = {"question": 300, "answer": 55, "answers": 10, "max_hours": 768}

_COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


class DiscordError(Exception):
    """Raised inside handlers; becomes a Discord-style error response."""

    def __init__(self, status: int, code: int, message: str, errors: Optional[list] = None,
                 violation: Optional[str] = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors or []
        self.violation = violation  # kind to record in limit_violations, or None

    def body(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = _errors_tree(self.errors)
        return body


def _errors_tree(errors: list) -> dict:
    tree: dict = {}
    for path, code, text in errors:
        node = tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": text})
    return tree


def invalid_form(errors: list) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors, violation="limit")


def check_str(errors: list, path: tuple, value: Any, maximum: int, *, minimum: int = 0,
               required: bool = False) -> int:
    """Validate one string field; return its length (0 when absent)."""
    if value is None:
        if required:
            errors.append((path, "BASE_TYPE_REQUIRED", "This field is required"))
        return 0
    if not isinstance(value, str):
        errors.append((path, "BASE_TYPE_STRING", "Could not interpret value as string."))
        return 0
    n = len(value)
    if required and minimum == 0 and n == 0:
        errors.append((path, "BASE_TYPE_REQUIRED", "This field is required"))
    elif n > maximum or n < minimum:
        if minimum:
            errors.append((path, "BASE_TYPE_BAD_LENGTH", f"Must be between {minimum} and {maximum} in length."))
        else:
            errors.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {maximum} or fewer in length."))
    return n


def validate_embeds(embeds: Any, errors: list) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errors.append((("embeds",), "BASE_TYPE_ARRAY", "Must be an array."))
        return
    if len(embeds) > LIMITS["embeds"]:
        errors.append((("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {LIMITS['embeds']} or fewer in length."))
    total = 0
    for i, e in enumerate(embeds):
        p = ("embeds", i)
        total += check_str(errors, p + ("title",), e.get("title"), LIMITS["embed_title"])
        total += check_str(errors, p + ("description",), e.get("description"), LIMITS["embed_description"])
        fields = e.get("fields") or []
        if len(fields) > LIMITS["embed_fields"]:
            errors.append((p + ("fields",), "BASE_TYPE_MAX_LENGTH",
                           f"Must be {LIMITS['embed_fields']} or fewer in length."))
        for j, f in enumerate(fields):
            total += check_str(errors, p + ("fields", j, "name"), f.get("name"), LIMITS["field_name"],
                                required=True)
            total += check_str(errors, p + ("fields", j, "value"), f.get("value"), LIMITS["field_value"],
                                required=True)
        if e.get("footer") is not None:
            total += check_str(errors, p + ("footer", "text"), e["footer"].get("text"), LIMITS["footer_text"],
                                required=True)
        if e.get("author") is not None:
            total += check_str(errors, p + ("author", "name"), e["author"].get("name"), LIMITS["author_name"],
                                required=True)
    if total > LIMITS["embed_total"]:
        errors.append((("embeds",), "MAX_EMBED_SIZE_EXCEEDED",
                       f"Embed size exceeds maximum size of {LIMITS['embed_total']}"))


def validate_components(components: Any, errors: list, *, flags: int = 0) -> None:
    if not components:
        return
    if flags & FLAG_IS_COMPONENTS_V2:  # not validated in depth
        return
    if len(components) > LIMITS["action_rows"]:
        errors.append((("components",), "BASE_TYPE_MAX_LENGTH",
                       f"Must be {LIMITS['action_rows']} or fewer in length."))
    for i, row in enumerate(components):
        children = row.get("components") or []
        if row.get("type") != 1:
            errors.append((("components", i, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be 1."))
        if len(children) > LIMITS["row_components"]:
            errors.append((("components", i, "components"), "BASE_TYPE_MAX_LENGTH",
                           f"Must be {LIMITS['row_components']} or fewer in length."))
        for j, c in enumerate(children):
            p = ("components", i, "components", j)
            check_str(errors, p + ("custom_id",), c.get("custom_id"), LIMITS["custom_id"])
            check_str(errors, p + ("label",), c.get("label"), LIMITS["button_label"])
            check_str(errors, p + ("placeholder",), c.get("placeholder"), LIMITS["placeholder"])
            if c.get("options") is not None and len(c["options"]) > LIMITS["select_options"]:
                errors.append((p + ("options",), "BASE_TYPE_MAX_LENGTH",
                               f"Must be {LIMITS['select_options']} or fewer in length."))


def validate_message_payload(payload: dict) -> list:
    """Return a list of ``(path, code, text)`` errors for a message create/edit body."""
    errors: list = []
    check_str(errors, ("content",), payload.get("content"), LIMITS["content"])
    validate_embeds(payload.get("embeds"), errors)
    validate_components(payload.get("components"), errors, flags=int(payload.get("flags") or 0))
    if payload.get("poll") is not None:
        validate_poll(payload["poll"], errors, flags=int(payload.get("flags") or 0))
    return errors


def validate_poll(poll: Any, errors: list, *, flags: int = 0) -> None:
    """A poll create request object (discord-api-docs, resources/poll.mdx, "Poll Create
    Request Object"); error codes in the style of Discord's Invalid Form Body."""
    if not isinstance(poll, dict):
        errors.append((("poll",), "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"))
        return
    if flags & FLAG_IS_COMPONENTS_V2:  # message.mdx: with IS_COMPONENTS_V2, a poll "will fail with a 400"
        errors.append((("poll",), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                       "The 'poll' field cannot be used when using MessageFlags.IS_COMPONENTS_V2"))
    check_str(errors, ("poll", "question", "text"), _text_of(poll.get("question")), POLL_LIMITS["question"],
              minimum=1, required=True)
    answers = poll.get("answers")
    if not isinstance(answers, list) or not 1 <= len(answers) <= POLL_LIMITS["answers"]:
        errors.append((("poll", "answers"), "BASE_TYPE_BAD_LENGTH",
                       f"Must be between 1 and {POLL_LIMITS['answers']} in length."))
    for i, answer in enumerate(answers if isinstance(answers, list) else []):
        media = answer.get("poll_media") if isinstance(answer, dict) else None
        check_str(errors, ("poll", "answers", i, "poll_media", "text"), _text_of(media), POLL_LIMITS["answer"],
                  minimum=1, required=True)
    duration = poll.get("duration")
    if duration is not None:
        # The docs say integer. discord.py sends `timedelta.total_seconds() / 3600`, a float such
        # as 24.0, which works against Discord; the loopback takes whole floats, refuses fractions.
        whole = not isinstance(duration, bool) and isinstance(duration, (int, float)) and float(duration).is_integer()
        if not whole:
            errors.append((("poll", "duration"), "NUMBER_TYPE_COERCE", f"Value \"{duration}\" is not int."))
        elif not 1 <= duration <= POLL_LIMITS["max_hours"]:
            code = "NUMBER_TYPE_MAX" if duration > POLL_LIMITS["max_hours"] else "NUMBER_TYPE_MIN"
            errors.append((("poll", "duration"), code,
                           f"Duration must be between 1 and {POLL_LIMITS['max_hours']} hours."))
    if poll.get("layout_type") not in (None, 1):  # poll.mdx "Layout Type": only DEFAULT (1)
        errors.append((("poll", "layout_type"), "ENUM_TYPE_COERCE",
                       f"Value \"{poll['layout_type']}\" is not a valid enum value."))
    if poll.get("allow_multiselect") is not None and not isinstance(poll["allow_multiselect"], bool):
        errors.append((("poll", "allow_multiselect"), "BASE_TYPE_BOOLEAN", "Must be either true or false."))


def _text_of(media: Any) -> Any:
    """A poll media object's text (None when the object is missing or not an object)."""
    return media.get("text") if isinstance(media, dict) else None


def is_empty_message(payload: dict, has_files: bool) -> bool:
    return not ((payload.get("content") or "").strip() or payload.get("embeds") or payload.get("components")
                or payload.get("sticker_ids") or payload.get("poll") or has_files or payload.get("attachments"))


def validate_choices(choices: Any, errors: list) -> None:
    choices = choices or []
    if len(choices) > LIMITS["choices"]:
        errors.append((("data", "choices"), "BASE_TYPE_MAX_LENGTH", f"Must be {LIMITS['choices']} or fewer in length."))
    for i, c in enumerate(choices):
        check_str(errors, ("data", "choices", i, "name"), c.get("name"), LIMITS["choice_name"], minimum=1,
                   required=True)
        if isinstance(c.get("value"), str):
            check_str(errors, ("data", "choices", i, "value"), c["value"], LIMITS["choice_value"])


def validate_command(cmd: dict, errors: list, path: tuple) -> int:
    """Validate one application command (or option) schema; return its character count."""
    total = 0
    name = cmd.get("name")
    is_context_menu = path == () and cmd.get("type", 1) in (2, 3)
    if is_context_menu:  # user/message commands: any 1-32 chars, no description
        total += check_str(errors, path + ("name",), name, LIMITS["command_name"], minimum=1, required=True)
    else:  # chat-input commands and options: lowercase, no spaces, 1-32
        if not (isinstance(name, str) and _COMMAND_NAME_RE.match(name) and name == name.lower()):
            errors.append((path + ("name",), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        total += len(name) if isinstance(name, str) else 0
        total += check_str(errors, path + ("description",), cmd.get("description"),
                            LIMITS["command_description"], minimum=1, required=True)
    options = cmd.get("options") or []
    if len(options) > LIMITS["command_options"]:
        errors.append((path + ("options",), "BASE_TYPE_MAX_LENGTH",
                       f"Must be {LIMITS['command_options']} or fewer in length."))
    seen_optional = False
    names = set()
    for i, opt in enumerate(options):
        p = path + ("options", i)
        if opt.get("name") in names:
            errors.append((p + ("name",), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                           "Option names must be unique"))
        names.add(opt.get("name"))
        if opt.get("type") not in (1, 2):
            if opt.get("required"):
                if seen_optional:
                    errors.append((p, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                   "Required options must be placed before non-required options"))
            else:
                seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > LIMITS["choices"]:
            errors.append((p + ("choices",), "BASE_TYPE_MAX_LENGTH", f"Must be {LIMITS['choices']} or fewer in length."))
        if choices and opt.get("autocomplete"):
            errors.append((p + ("autocomplete",), "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID",
                           "Autocomplete cannot be set with choices"))
        for j, ch in enumerate(choices):
            total += check_str(errors, p + ("choices", j, "name"), ch.get("name"), LIMITS["choice_name"],
                                minimum=1, required=True)
            if isinstance(ch.get("value"), str):
                total += check_str(errors, p + ("choices", j, "value"), ch["value"], LIMITS["choice_value"])
        total += validate_command(opt, errors, p)
    return total
