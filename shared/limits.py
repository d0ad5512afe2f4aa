"""Bounds on every input, in one place: the text and list types the request models use, and the
JSON reader the HTTP layer parses bodies with.

Text types carry their limits into the OpenAPI documents (maxLength, pattern, maxItems):

- `Name`: a person's or organisation's name (200 characters), `ShortText` (300), `Title` (500):
  one line, no control characters at all — they end up in e-mail headers and CSV cells;
- `Text`: free text up to 5,000 characters; line breaks and tabs allowed, other control
  characters not;
- `Code`: an identifier-like code (letters, digits, `._:-`, 60 characters).

`items(n)` bounds a list. Bodies themselves are bounded by the HTTP layer (`read_json`): size
(SAVIVALDA_MAX_BODY_BYTES), nesting depth, integer digits and non-finite numbers.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints

# One line: no C0/C1 control character, no DEL, no line or paragraph separator.
SINGLE_LINE = r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029]*$"
# Text: line breaks and tabs allowed, other control characters not.
MULTI_LINE = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=SINGLE_LINE)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=SINGLE_LINE)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=SINGLE_LINE)]
Text = Annotated[str, StringConstraints(max_length=5000, pattern=MULTI_LINE)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]

MAX_ITEMS = 100  # lists of codes, themes, countries ...
# A path parameter that is not a uuid (a code, a template name): printable ASCII, 200 characters.
# It may start with `-` or `_`: self-service codes are base64url (A-Z a-z 0-9 - _).
PATH_SEGMENT = r"[A-Za-z0-9_\-][A-Za-z0-9._~:@+\-]{0,199}"
MAX_OFFSET = 1_000_000  # paging further than this is a scan, not a page


def items(n: int = MAX_ITEMS, **kwargs) -> Any:
    """Field(max_length=n): at most n items in a list."""
    return Field(max_length=n, **kwargs)


# ---------------------------------------------------------------- JSON bodies

MAX_JSON_DEPTH = 32
MAX_INT_DIGITS = 30  # beyond any count, amount or id; far below Python's 4,300-digit guard
MAX_NUMBER_CHARS = 60


class JsonLimitError(ValueError):
    """The body is JSON but exceeds a limit (depth, number size, non-finite number)."""


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in raw JSON (strings skipped), without parsing it."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        if match[0] in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonLimitError(f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonLimitError(f"a number written with {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonLimitError(f"the number {text} is out of range")
    return value


def _constant(name: str):
    raise JsonLimitError(f"{name} is not a JSON number")


# A JSON string can hold a control character only escaped (\u0000-\u001f, or \b \f); an even run of
# backslashes before the escape is itself escaped backslashes.
_CONTROL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\(?:u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|[bf])")
_CONTROL = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]")


def has_control_characters(text: str) -> bool:
    """Control characters other than tab and line breaks (no text field of the API takes them)."""
    return _CONTROL.search(text) is not None


def read_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads with limits. Raises JsonLimitError (a limit: 422), or ValueError/UnicodeDecodeError
    (not JSON: 400). No string in the body may hold a control character other than tab and line
    breaks (NUL and the like break e-mail headers, CSV cells and PostgreSQL text)."""
    depth = json_depth(raw)
    if depth > max_depth:
        raise JsonLimitError(f"JSON nested {depth} levels deep (at most {max_depth})")
    data = json.loads(raw.decode("utf-8"), parse_int=_int, parse_float=_float, parse_constant=_constant)
    if _CONTROL_ESCAPE.search(raw):
        raise JsonLimitError("a string holds a control character (only tab and line breaks are allowed)")
    return data
