"""API key parsing and role checks (no database)."""

from __future__ import annotations

import pytest

from app.core.security import ApiKeys, Role, hash_key


def test_parse_plain_and_hashed_keys() -> None:
    keys = ApiKeys.parse(f"k1:admin, k2:reader,{hash_key('k3')}:writer")
    assert keys.role_of("k1") is Role.ADMIN
    assert keys.role_of("k2") is Role.READER
    assert keys.role_of("k3") is Role.WRITER
    assert keys.role_of("k4") is None
    assert keys.role_of("") is None


def test_roles_are_ordered() -> None:
    assert Role.READER < Role.WRITER < Role.ADMIN


@pytest.mark.parametrize("spec", ["justakey", "k:owner", ":admin"])
def test_bad_specs_name_the_fix(spec: str) -> None:
    with pytest.raises(ValueError, match="IDGRAPH_API_KEYS"):
        ApiKeys.parse(spec)


def test_empty_spec_has_no_keys() -> None:
    assert ApiKeys.parse("").entries == ()
