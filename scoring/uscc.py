"""Unified social credit code (统一社会信用代码, GB 32100-2015): validation and check character."""

from __future__ import annotations

# GB 32100-2015 §4.2: the code's character set is the digits and 21 capital letters (no I, O, Z, S, V).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 §4.3 and Annex B: weight of each of the first 17 positions for the check character.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


class UsccError(ValueError):
    """Why a code is no USCC: `reason` is a refusal code (diagnose.schemas.reasons words it), `params` fill it."""

    def __init__(self, message: str, reason: str, **params: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) for the first 17 characters, per GB 32100-2015 Annex B."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"USCC check: need exactly 17 characters, got {len(first17)}")
    bad = sorted({char for char in first17 if char not in _VALUE})
    if bad:
        raise ValueError(f"USCC check: characters {''.join(bad)!r} are not in the GB 32100 character set")
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    # Annex B: C18 = 31 - MOD(sum, 31); a result of 31 is written as 0.
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the code (upper-cased, trimmed) if it is a valid USCC, else raise ValueError saying why."""
    if not isinstance(code, str):
        raise ValueError(f"USCC must be text, got {type(code).__name__}")
    normalised = code.strip().upper()
    if len(normalised) != USCC_LENGTH:
        raise UsccError(f"USCC must be 18 characters, got {len(normalised)}", "uscc_length")
    bad = sorted({char for char in normalised if char not in _VALUE})
    if bad:
        raise UsccError(
            f"USCC contains characters outside GB 32100's set (no I, O, Z, S, V): {''.join(bad)!r}",
            "uscc_characters",
        )
    # §4.1: positions 3-8 are the administrative division code of GB/T 2260, always six digits.
    if not normalised[2:8].isdigit():
        raise UsccError(
            f"USCC positions 3-8 must be the 6-digit division code, got {normalised[2:8]!r}", "uscc_division"
        )
    expected = uscc_check_char(normalised[:17])
    if normalised[17] != expected:
        raise UsccError(
            f"USCC check character is {normalised[17]!r}, expected {expected!r}",
            "uscc_check",
            typed=normalised[17],
            expected=expected,
        )
    return normalised


def is_valid_uscc(code: str) -> bool:
    """True if `code` is a valid unified social credit code (exact form: 18 characters, upper case)."""
    try:
        return validate_uscc(code) == code
    except ValueError:
        return False


def make_uscc(seed_17_chars: str) -> str:
    """Complete 17 characters with their check character: for tests and demo data."""
    return validate_uscc(seed_17_chars + uscc_check_char(seed_17_chars.upper()))
