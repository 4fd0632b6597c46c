"""SPEC W2 (issue 21): staff find an account by name - case-insensitive, the beginning of any word of it, at
least 2 characters - served by the ``by_name_word`` index (one Query, never a Scan), and accounts opened before
it by the backfill (``scripts/ops/backfill_name_words.py``)."""

from __future__ import annotations

import secrets

import pytest

from devstack.lambda_client import claims
from hourbank.store.models import NameWordModel

pytestmark = pytest.mark.integration


def names_found(api, billing, query: str, **extra) -> list[str]:
    reply = api.get("/accounts", as_=billing, query={"name": query, **extra})
    assert reply.status == 200, reply
    return [a["name"] for a in reply.body["items"]]


@pytest.fixture
def named(make_account):
    tag = secrets.token_hex(3)  # words of this module's own, so other accounts never match
    made = {
        "harbour": make_account("member", name=f"Harbour Bakery Z{tag}"),
        "cafe": make_account("non_member", name=f"Café Ñandú Z{tag}"),
        "acme": make_account("member", name=f"Z{tag} Acme Corporation"),
    }
    return tag, made


def test_any_word_beginning_finds_the_account_case_insensitively_W2(api, billing, named):
    tag, _ = named
    assert names_found(api, billing, f"z{tag}") and len(names_found(api, billing, f"z{tag}")) == 3
    assert names_found(api, billing, f"BAK z{tag}") == [f"Harbour Bakery Z{tag}"]  # every word typed begins one
    assert names_found(api, billing, f"cafe Z{tag}") == [f"Café Ñandú Z{tag}"]  # accents do not matter
    assert names_found(api, billing, f"nand z{tag}") == [f"Café Ñandú Z{tag}"]
    assert names_found(api, billing, f"corp z{tag}") == [f"Z{tag} Acme Corporation"]
    assert names_found(api, billing, f"z{tag}", plan="non_member") == [f"Café Ñandú Z{tag}"]
    assert names_found(api, billing, f"orporation z{tag}") == []  # the beginning of a word, not the middle


def test_pages_of_a_name_search_follow_their_cursor_W2(api, billing, named):
    tag, made = named
    seen, cursor = [], None
    for _ in range(5):
        query = {"name": f"z{tag}", "limit": "1", **({"cursor": cursor} if cursor else {})}
        body = api.get("/accounts", as_=billing, query=query).body
        seen += [a["account_id"] for a in body["items"]]
        cursor = body["cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made.values())


@pytest.mark.parametrize("query", ["a", " ", "-", "é"])
def test_a_name_search_needs_two_letters_W2(api, billing, query):
    reply = api.get("/accounts", as_=billing, query={"name": query})
    assert reply.status == 400 and "name" in reply.body["error"]["message"], reply


def test_customers_cannot_search_W2(api, make_account):
    account = make_account("member")
    assert api.get("/accounts", as_=claims("customer", account_id=account), query={"name": "acme"}).status == 403


def test_the_backfill_indexes_accounts_opened_before_W2(api, billing, make_account):
    from ops.backfill_name_words import backfill

    tag = secrets.token_hex(3)
    account = make_account("member", name=f"Old Mill Y{tag}")
    for item in NameWordModel.query(f"nameword#{account}#old"), NameWordModel.query(f"nameword#{account}#mill"):
        for word in item:
            word.delete()
    for word in NameWordModel.query(f"nameword#{account}#y{tag}"):
        word.delete()
    assert names_found(api, billing, f"y{tag}") == []  # opened before the index: not found
    assert backfill() >= 3
    assert names_found(api, billing, f"mill y{tag}") == [f"Old Mill Y{tag}"]
    assert backfill() == 0  # twice changes nothing
