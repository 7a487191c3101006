from butler.domain import identifiers


def test_references_are_short_readable_and_unambiguous():
    refs = {identifiers.new_reference("R") for _ in range(2000)}

    assert len(refs) == 2000
    for ref in refs:
        assert identifiers.is_reference(ref)
        assert len(ref) == 11
        assert not set(ref[2:]) & set("ILOU")


def test_typed_references_are_normalised():
    assert identifiers.normalize_reference(" r-7kq4 m2xp ") == "R-7KQ4-M2XP"
    assert identifiers.normalize_reference("R7KQ4M2XO") == "R-7KQ4-M2X0"
    assert identifiers.normalize_reference("RIL00ABCD") == "R-1100-ABCD"


def test_tokens_carry_at_least_128_random_bits_and_are_stored_as_a_hash():
    token = identifiers.new_token()

    assert len(token) * 6 >= 128
    assert token != identifiers.new_token()
    digest = identifiers.hash_token(token)
    assert token not in digest
    assert identifiers.token_matches(token, digest)
    assert not identifiers.token_matches(token + "x", digest)


def test_sealed_token_is_unreadable_without_the_key_and_round_trips_with_it():
    token = identifiers.new_token()

    sealed = identifiers.seal(token, "client-key-123")

    assert token not in sealed
    assert identifiers.unseal(sealed, "client-key-123") == token
    assert identifiers.unseal(sealed, "another-key-99") != token
