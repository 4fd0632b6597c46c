"""SPEC W2: staff find an account by the beginning of any word of its name, case-insensitively, by key - never a
Scan. Each word of the name (lower-cased, accents dropped) is one item in the Accounts table
(``nameword#<account_id>#<word>``, ``store.models.NameWordModel``) in the ``by_name_word`` index: partition the
word's first two letters, sort key ``<word>#<account_id>``. A search Queries the partition of what was typed with
``begins_with``. The items are written in the account's creation transaction (``account_service.open_account``);
accounts opened before are given theirs by ``scripts/ops/backfill_name_words.py``."""

from __future__ import annotations

import re
import unicodedata

from hourbank.store.models import NameWordModel

WORD_PREFIX = "nameword#"
MIN_QUERY = 2  # API.md: the name searched is at least 2 characters
MAX_WORDS = 20  # a name's words indexed (the account's creation transaction holds them with the account)
MAX_WORD = 60
_SPLIT = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """The distinct words of ``text``, lower-cased and without accents ("Café Ñandú" -> cafe, nandu), in order;
    one-letter words are left out (no search can be that short)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    out: list[str] = []
    for word in _SPLIT.split(plain):
        word = word[:MAX_WORD]
        if len(word) >= MIN_QUERY and word not in out:
            out.append(word)
    return out[:MAX_WORDS]


def word_items(account_id: str, name: str) -> list[NameWordModel]:
    """The index items of an account's name, one per word (their keys are the same however often made)."""
    return [
        NameWordModel(
            f"{WORD_PREFIX}{account_id}#{word}",
            owner_account_id=account_id,
            name_bucket=word[:MIN_QUERY],
            name_word=f"{word}#{account_id}",
        )
        for word in words(name)
    ]


def matches(name: str, wanted: list[str]) -> bool:
    """Every word typed begins some word of ``name`` ("acme cor" finds "Acme Corporation")."""
    have = words(name)
    return all(any(w.startswith(q) for w in have) for q in wanted)
