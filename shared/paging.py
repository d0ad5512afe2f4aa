"""Pages of a list: a limit, a sort and an opaque cursor (keyset pagination).

A cursor names the sort it belongs to and the sort key of the last item of the page (its sort
value and its id), base64url-encoded JSON. The next page continues strictly after that key, so an
item added or removed meanwhile never makes another one appear twice or be skipped, and a page
costs the same however deep it is (the query starts at the key through the sort's index).

Every list answers with the same JSON array as before; when there is more, the answer carries
`X-Next-Cursor: <cursor>` and `Link: <…?cursor=…>; rel="next"` (docs/enrollment.md, "Lists";
docs/grants.md, "Consultants' desk"). Enrollment's lists and grants' application list share it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from uuid import UUID

from shared.errors import RuleViolation

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_CURSOR = 400  # characters: a cursor holds one sort value and one id
MAX_SEARCH = 100


@dataclass(frozen=True)
class Sort:
    """A sort a list offers: its public name (`-name` = descending) and the key's kind."""

    name: str
    descending: bool = False
    kind: str = "text"  # text, int or time: how the cursor's value is read back


@dataclass(frozen=True)
class After:
    """Where the next page starts: strictly after (value, id) in the sort's order."""

    value: object
    id: UUID


def sort_of(requested: str | None, offered: dict[str, Sort], default: str) -> Sort:
    """The sort asked for (`sort=name` or `sort=-name`), refused with 422 naming `sort` if not offered."""
    name = requested or default
    if name not in offered:
        raise RuleViolation(f"sort must be one of {', '.join(sorted(offered))}", field="sort")
    return offered[name]


def encode_cursor(sort: Sort, value, item_id: UUID) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps({"s": sort.name, "v": value, "i": str(item_id)}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: Sort) -> After | None:
    """The key a cursor continues after; a cursor that is malformed or from another sort is 422
    naming `cursor` (never a 500, never silently the first page)."""
    if cursor is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or data.get("s") != sort.name:
            raise ValueError("another sort")
        value = data["v"]
        if sort.kind == "time":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive time")
        elif sort.kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError("not an integer")
        elif sort.kind == "text" and not isinstance(value, str):
            raise ValueError("not a text")
        return After(value, UUID(data["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise RuleViolation("not a cursor of this list and sort: start again without it", field="cursor") from None


@dataclass(frozen=True)
class Page:
    """One page of a list and the cursor of the next (None: this is the last)."""

    items: list
    next_cursor: str | None


def page_of(rows: list, limit: int, sort: Sort, key) -> Page:
    """`rows` as fetched with limit + 1 (one more shows there is a next page); `key(row)` is the
    row's (sort value, id)."""
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    value, item_id = key(rows[-1])
    return Page(rows, encode_cursor(sort, value, item_id))


def page_headers(next_cursor: str | None, path: str, args: dict) -> dict[str, str]:
    """X-Next-Cursor and an RFC 8288 Link to the next page (the same query with the cursor)."""
    if next_cursor is None:
        return {}
    query = urlencode({**{k: v for k, v in args.items() if k != "cursor" and v is not None}, "cursor": next_cursor},
                      doseq=True)
    return {"X-Next-Cursor": next_cursor, "Link": f'<{path}?{query}>; rel="next"'}


def listing(page: Page, items: list, path: str, query) -> tuple[int, list, dict]:
    """A page answered as the same JSON array as always, with X-Next-Cursor and a Link to the next
    page when there is one; `query` is the list's pydantic query model (its `limit` and filters go
    into the Link)."""
    args = query.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"cursor"})
    if "limit" not in args and page.next_cursor:
        args["limit"] = query.limit
    return 200, items, page_headers(page.next_cursor, path, args)


def search_term(text: str | None) -> str | None:
    """A search text as compared: trimmed, case-folded; blank means no search."""
    if text is None or not text.strip():
        return None
    return text.strip().casefold()


def sorts(*specs: str) -> dict[str, Sort]:
    """Sorts from "name:kind" specs; "-name" is the descending one."""
    found = {}
    for spec in specs:
        name, kind = spec.split(":")
        found[name] = Sort(name, name.startswith("-"), kind)
    return found


def after_in_memory(items: list, key, sort: Sort, after: After | None) -> list:
    """The keyset step for a list sorted in the process (the course catalogue): items strictly after
    `after` in the sort's order; `key(item)` is (sort value, id)."""
    def position(item):
        value, item_id = key(item)
        return (value, str(item_id))
    items = sorted(items, key=position, reverse=sort.descending)
    if after is None:
        return items
    mark = (after.value, str(after.id))
    return [i for i in items if (position(i) < mark if sort.descending else position(i) > mark)]


# The Lithuanian alphabet's order (Č after C, Š after S, Ž after Z, Y between Į and J; the letters
# with ogonek and ū right after their base letter), for lists sorted by a title in the process.
LITHUANIAN = "aąbcčdeęėfghiįyjklmnoprsštuųūvzž"
_ORDER = {letter: chr(0xE000 + n) for n, letter in enumerate(LITHUANIAN)}


def lithuanian_key(text: str) -> str:
    """A text key that sorts case-insensitively in Lithuanian alphabetical order (other characters
    by code point, before the letters)."""
    return "".join(_ORDER.get(char, char) for char in text.casefold())
