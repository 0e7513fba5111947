"""Check characters of China's two national identifiers, as pure functions.

GB 11643-1999 is the citizen identity number (居民身份证号码); GB 32100-2015 is the unified social
credit code (统一社会信用代码) of organisations. Terminals are expected to reject mistyped numbers,
but the contract checks again because a wrong number would silently split one applicant in two.
"""

from __future__ import annotations

from datetime import date

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECKS = "10X98765432"
_DIGITS = frozenset("0123456789")

# The credit code alphabet leaves out I, O, Z, S and V, which read too much like digits.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_DEFAULT_BIRTH = date(1985, 6, 15)


def _all_digits(s: str) -> bool:
    # str.isdigit() would also accept full-width and other Unicode digits.
    return bool(s) and all(c in _DIGITS for c in s)


def _is_birth_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def resident_id_check_char(body17: str) -> str:
    """Return the GB 11643 check character for a 17-digit body."""
    if len(body17) != 17 or not _all_digits(body17):
        raise ValueError("a resident id body is 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(body17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECKS[total % 11]


def is_valid_resident_id(s: str) -> bool:
    """Tell whether an 18-character resident id has a real birth date and the right check char."""
    if len(s) != 18:
        return False
    body, check = s[:17], s[17].upper()
    if not _all_digits(body) or not _is_birth_date(body[6:14]):
        return False
    return resident_id_check_char(body) == check


def credit_code_check_char(body17: str) -> str:
    """Return the GB 32100 check character for a 17-character body."""
    if len(body17) != 17 or any(c not in CREDIT_ALPHABET for c in body17):
        raise ValueError(f"a credit code body is 17 characters of {CREDIT_ALPHABET}")
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(s: str) -> bool:
    """Tell whether an 18-character unified social credit code has the right check char."""
    code = s.upper()
    if len(code) != 18 or any(c not in CREDIT_ALPHABET for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def make_resident_id(region: str = "330106", birth: date = _DEFAULT_BIRTH, seq: str = "123") -> str:
    """Build a valid resident id (for tests and fixtures) from region, birth date and sequence."""
    if len(region) != 6 or not _all_digits(region):
        raise ValueError("region is 6 digits")
    if len(seq) != 3 or not _all_digits(seq):
        raise ValueError("seq is 3 digits")
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq}"
    return body + resident_id_check_char(body)


def make_credit_code(body17: str) -> str:
    """Append the GB 32100 check character to a 17-character body."""
    body = body17.upper()
    return body + credit_code_check_char(body)
