"""Short codes for phone reports, in the domain: one-time, expiring, burned by wrong tries,
and the same work (one scrypt) for every answer, so the answer's time tells nothing."""
from datetime import datetime, timedelta, timezone

import pytest

from butler.domain import phone_codes
from butler.domain.phone_codes import StoredCode, exchange, issue

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
TOKEN = "tk_" + "A" * 32


@pytest.fixture
def kdf_calls(monkeypatch):
    calls = []
    real = phone_codes._keys
    monkeypatch.setattr(phone_codes, "_keys", lambda *a: calls.append(a) or real(*a))
    return calls


def stored_after(code_and_stored):
    return StoredCode.from_text(code_and_stored[1].to_text())  # as read back from the table


def test_the_right_code_gives_the_token_once_and_clears_itself():
    code, stored = issue(TOKEN, NOW)

    result = exchange(StoredCode.from_text(stored.to_text()), code.lower(), NOW)

    assert (result.token, result.keep, result.changed) == (TOKEN, None, True)


@pytest.mark.parametrize("case", ["unknown", "wrong", "expired", "burned", "right", "garbage"])
def test_every_answer_costs_one_scrypt(kdf_calls, case):
    code, stored = issue(TOKEN, NOW)
    kdf_calls.clear()
    stored = {"unknown": None, "expired": stored, "burned": StoredCode(**{**stored.__dict__, "tries": 5})}.get(case, stored)
    typed = {"wrong": "ZZZZZZZZ" if code != "ZZZZ-ZZZZ" else "YYYYYYYY", "garbage": "?"}.get(case, code)
    now = NOW + timedelta(days=15) if case == "expired" else NOW

    result = exchange(stored, typed, now)

    assert len(kdf_calls) == 1
    assert (result.token is not None) == (case == "right")


def test_wrong_tries_are_counted_and_the_last_burns_the_code():
    code, stored = issue(TOKEN, NOW)
    wrong = "ZZZZZZZZ" if code != "ZZZZ-ZZZZ" else "YYYYYYYY"
    for tries in range(1, phone_codes.MAX_TRIES):
        stored = exchange(stored, wrong, NOW).keep
        assert stored.tries == tries

    assert exchange(stored, wrong, NOW).keep is None


def test_codes_avoid_look_alike_letters_and_read_in_groups_of_four():
    codes = {issue(TOKEN, NOW)[0] for _ in range(20)}

    assert all(len(c) == 9 and c[4] == "-" and not set(c) & set("ILOU") for c in codes)
    assert phone_codes.normalize(" 7kq4 m2xo ") == "7KQ4M2X0"
