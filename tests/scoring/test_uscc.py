"""Unified social credit code validation (GB 32100-2015)."""

from __future__ import annotations

import pytest

from scoring.uscc import is_valid_uscc, make_uscc, uscc_check_char, validate_uscc

# Public registrations whose check characters exercise digits and letters.
REAL_CODES = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100716105852F"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("seed", ["91320412MA0000010", "12320500466287153", "5132048250000000Y"])
def test_make_uscc_appends_the_check_character(seed: str) -> None:
    code = make_uscc(seed)
    assert code[:17] == seed
    assert validate_uscc(code) == code


def test_check_character_31_is_written_as_zero() -> None:
    # Find a seed whose weighted sum is a multiple of 31 by adjusting the last character.
    seed = next(
        f"9132041200000000{c}"
        for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"
        if uscc_check_char(f"9132041200000000{c}") == "0"
    )
    assert make_uscc(seed).endswith("0")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y44", "check character"),
        ("91350100M000100I43", "outside GB 32100"),
        ("9135A100M000100Y43", "division code"),
    ],
)
def test_invalid_codes_say_why(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_uscc(code)
    assert not is_valid_uscc(code)


def test_lower_case_is_normalised_by_validate_but_not_exact() -> None:
    assert validate_uscc(" 9144030071526726xg ") == "9144030071526726XG"
    assert not is_valid_uscc("9144030071526726xg")
