"""An unknown reference and a known one with a wrong token take the same path to the same
404: one projected read of the token hash, one constant-time comparison, nothing else
(the timing itself is measured by bench/tracking_timing.py, figures in docs/architecture.md)."""
import pytest

from butler.domain import identifiers
from butler.domain.errors import NotFound
from butler.services import cases

REFERENCE, TOKEN = "R-7KQ4-M2XP", "the-real-token-0123456789abcdef"


class Repo:
    """Records what the lookup asks of the repository."""

    def __init__(self, known: dict[str, str]):
        self.known, self.calls = known, []

    def token_hash(self, reference):
        self.calls.append("token_hash")
        return self.known.get(reference)

    def get(self, reference):
        self.calls.append("get")
        return {"reference": reference} if reference in self.known else None


@pytest.fixture
def compared(monkeypatch):
    seen = []
    real = identifiers.token_matches

    def token_matches(token, token_hash):
        seen.append(token_hash)
        return real(token, token_hash)

    monkeypatch.setattr(identifiers, "token_matches", token_matches)
    return seen


def test_unknown_reference_and_wrong_token_do_the_same_work(compared):
    unknown, wrong = Repo({}), Repo({REFERENCE: identifiers.hash_token(TOKEN)})

    for repo in (unknown, wrong):
        with pytest.raises(NotFound):
            cases.find_for_resident(repo, REFERENCE, "a-wrong-token-0123456789abcdef")

    assert unknown.calls == wrong.calls == ["token_hash"]
    assert compared == [cases.UNKNOWN_TOKEN_HASH, identifiers.hash_token(TOKEN)]
    assert len(cases.UNKNOWN_TOKEN_HASH) == len(identifiers.hash_token(TOKEN))  # compare_digest on equal lengths


def test_only_the_right_token_reads_the_case(compared):
    repo = Repo({REFERENCE: identifiers.hash_token(TOKEN)})

    assert cases.find_for_resident(repo, REFERENCE.lower(), TOKEN) == {"reference": REFERENCE}
    assert repo.calls == ["token_hash", "get"]
