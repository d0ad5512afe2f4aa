"""Pages of a list (keyset pagination): the rules live in shared/paging.py, which grants' lists use
too; enrollment's modules import them from here."""

from shared.paging import (  # noqa: F401  (re-exported)
    DEFAULT_LIMIT,
    MAX_CURSOR,
    MAX_LIMIT,
    MAX_SEARCH,
    After,
    Page,
    Sort,
    after_in_memory,
    decode_cursor,
    encode_cursor,
    lithuanian_key,
    page_headers,
    page_of,
    search_term,
    sort_of,
    sorts,
)
