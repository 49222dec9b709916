"""Type-level extractors: functions of one token string.

Each function maps a token to a value string, or to ``None`` when the token
yields no attribute (a flag that is false, a prefix longer than the token, a
pattern that does not match). They are pure and deterministic, so the
feature extractor runs each of them once per word *type* and caches the
result as an integer id.

Character classes follow Python's Unicode string predicates, so ``Zürich``
is title case, ``東京`` has letters without case and ``😀`` is a symbol.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

TypeFunc = Callable[[str], "str | None"]

#: The value string that a true flag takes.
TRUE = "1"


# --------------------------------------------------------------------------- shapes
def _char_class(c: str) -> str:
    if c.isupper():
        return "X"
    if c.islower():
        return "x"
    if c.isdecimal():
        return "d"
    if c.isalpha():
        # a letter without case (CJK, Arabic, Hebrew, ...)
        return "o"
    return c


class _ClassTable(dict):
    """``ord(c) -> class`` for ``str.translate``, filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        cls = _char_class(chr(code))
        self[code] = cls
        return cls


_CLASSES = _ClassTable()
_RUNS = re.compile(r"(.)\1+", re.DOTALL)


def shape(token: str) -> str | None:
    """Long word shape: upper ``X``, lower ``x``, digit ``d``, caseless letter ``o``, others kept.

    ``"Xxxxx-dd"`` for ``"Hello-42"``; ``None`` for the empty token.
    """
    if not token:
        return None
    return token.translate(_CLASSES)


_COLLAPSED: dict[str, str] = {}


def _collapse(long_shape: str) -> str:
    """Runs of one character collapsed; cached, since word types share few shapes."""
    c = _COLLAPSED.get(long_shape)
    if c is None:
        if len(_COLLAPSED) > 200_000:
            _COLLAPSED.clear()
        c = _COLLAPSED[long_shape] = _RUNS.sub(r"\1", long_shape)
    return c


def short_shape(token: str) -> str | None:
    """Short word shape: the long shape with runs of one class collapsed (``"Xx-d"``)."""
    if not token:
        return None
    return _collapse(token.translate(_CLASSES))


# --------------------------------------------------------------------------- affixes
def prefix(n: int) -> TypeFunc:
    """The first ``n`` characters, for tokens of at least ``n`` characters."""
    if n < 1:
        raise ValueError(f"prefix length must be >= 1, found {n}")

    def f(token: str) -> str | None:
        return token[:n] if len(token) >= n else None

    f.__name__ = f"prefix{n}"
    f.batch = lambda tokens: [t[:n] if len(t) >= n else None for t in tokens]
    return f


def suffix(n: int) -> TypeFunc:
    """The last ``n`` characters, for tokens of at least ``n`` characters."""
    if n < 1:
        raise ValueError(f"suffix length must be >= 1, found {n}")

    def f(token: str) -> str | None:
        return token[-n:] if len(token) >= n else None

    f.__name__ = f"suffix{n}"
    f.batch = lambda tokens: [t[-n:] if len(t) >= n else None for t in tokens]
    return f


def identity(token: str) -> str | None:
    return token


def lower(token: str) -> str | None:
    return token.lower()


# ``f.batch(tokens) == [f(t) for t in tokens]``: list versions of the cheapest
# functions, which would otherwise spend most of their time in call overhead.
identity.batch = list
lower.batch = lambda tokens: [t.lower() for t in tokens]
shape.batch = lambda tokens: [t.translate(_CLASSES) if t else None for t in tokens]
short_shape.batch = lambda tokens: [_collapse(t.translate(_CLASSES)) if t else None for t in tokens]


# --------------------------------------------------------------------------- classes
def _flag(b: bool) -> str | None:
    return TRUE if b else None


def all_caps(token: str) -> str | None:
    """All cased characters are upper case and there is at least one (``USA``, ``U.S.``)."""
    return _flag(token.isupper())


def title_case(token: str) -> str | None:
    """Python's ``str.istitle``: ``Zürich``, ``O'Neil``, ``A``."""
    return _flag(token.istitle())


_DIGIT = re.compile(r"\d").search


def has_digit(token: str) -> str | None:
    """At least one decimal digit (any script)."""
    return _flag(_DIGIT(token) is not None)


def all_digits(token: str) -> str | None:
    return _flag(token.isdecimal())


def has_hyphen(token: str) -> str | None:
    return _flag("-" in token)


class _PunctTable(dict):
    """``ord(c) -> ""`` for punctuation (deleted by ``str.translate``), ``"x"`` otherwise."""

    def __missing__(self, code: int) -> str:
        v = "" if unicodedata.category(chr(code))[0] == "P" else "x"
        self[code] = v
        return v


_PUNCT = _PunctTable()


def punct_only(token: str) -> str | None:
    """Every character is Unicode punctuation (categories ``P*``)."""
    return _flag(bool(token) and not token.translate(_PUNCT))


def mixed_alnum(token: str) -> str | None:
    """At least one letter and at least one digit (``A4``, ``3rd``, ``COVID-19``)."""
    return _flag(_DIGIT(token) is not None and any(c.isalpha() for c in token))


def length_bucket(bounds: Sequence[int] = (1, 2, 3, 4, 5, 7, 10)) -> TypeFunc:
    """Length bucket: ``"1"``.. for lengths up to the first bounds, then ``"6-7"``, ``"11+"``.

    ``bounds`` are the inclusive upper ends of the buckets, increasing.
    """
    b = [int(x) for x in bounds]
    if not b or b[0] < 0 or any(x >= y for x, y in zip(b, b[1:], strict=False)):
        raise ValueError(
            f"length bucket bounds must be increasing non-negative integers, found {list(bounds)}"
        )
    labels = []
    lo = 0
    for hi in b:
        labels.append(str(hi) if hi == lo else f"{lo}-{hi}")
        lo = hi + 1
    top = f"{lo}+"

    by_length = []
    for n in range(b[-1] + 2):
        by_length.append(next((lab for hi, lab in zip(b, labels, strict=True) if n <= hi), top))
    last = len(by_length) - 1

    def f(token: str) -> str | None:
        n = len(token)
        return by_length[n if n < last else last]

    f.__name__ = "length_bucket"
    return f


# --------------------------------------------------------------------------- patterns
# ASCII digits only in the patterns: ``\d`` would also accept other scripts' digits.
_D = "[0-9]"
PATTERNS: dict[str, re.Pattern] = {
    "year": re.compile(rf"(?:1{_D}|20){_D}{{2}}"),
    "decimal": re.compile(
        rf"[+-]?(?:{_D}{{1,3}}(?:,{_D}{{3}})+|{_D}*)\.{_D}+|[+-]?{_D}+,{_D}{{1,2}}"
    ),
    "ordinal": re.compile(
        rf"{_D}*1[123]th|(?:{_D}*[02-9])?(?:1st|2nd|3rd)|{_D}*[04-9]th", re.IGNORECASE
    ),
    "roman": re.compile(
        r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
    ),
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "url": re.compile(
        r"(?:(?:https?|ftp)://|www\.)[^\s]+"
        r"|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|edu|gov|io|co|uk|de|fr|info|biz)(?:/[^\s]*)?",
        re.IGNORECASE,
    ),
    "phone": re.compile(
        rf"\+?(?:\({_D}{{1,4}}\)[-. ]?)?{_D}{{2,4}}(?:[-. ]{_D}{{2,4}}){{1,4}}|\+{_D}{{7,15}}"
    ),
    "ip": re.compile(
        r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    ),
    "date": re.compile(
        rf"{_D}{{4}}-{_D}{{1,2}}-{_D}{{1,2}}|{_D}{{1,2}}[/.-]{_D}{{1,2}}[/.-](?:{_D}{{4}}|{_D}{{2}})"
    ),
    "time": re.compile(
        rf"(?:[01]?{_D}|2[0-3]):[0-5]{_D}(?::[0-5]{_D})?(?:[ap]\.?m\.?)?"
        rf"|(?:1[0-2]|0?[1-9])(?:[.:][0-5]{_D})?[ap]\.?m\.?",
        re.IGNORECASE,
    ),
    "money": re.compile(
        rf"(?:[A-Z]{{0,3}}[$€£¥]|[$€£¥])[0-9][0-9,]*(?:\.{_D}+)?[MBKmbk]?|{_D}[0-9,]*(?:\.{_D}+)?[$€£¥]"
    ),
    "percent": re.compile(rf"[+-]?{_D}+(?:[.,]{_D}+)?%"),
}

#: Pattern names in the order the ``pattern`` extractor tries them (most specific first).
PATTERN_ORDER = (
    "email",
    "url",
    "ip",
    "date",
    "time",
    "money",
    "percent",
    "phone",
    "year",
    "decimal",
    "ordinal",
    "roman",
)


def pattern_flag(name: str) -> TypeFunc:
    """Flag: the whole token matches the regular pattern ``name`` (see :data:`PATTERNS`)."""
    try:
        rx = PATTERNS[name]
    except KeyError:
        raise ValueError(f"unknown pattern {name!r}; expected one of {sorted(PATTERNS)}") from None
    full = rx.fullmatch

    def f(token: str) -> str | None:
        return TRUE if full(token) else None

    f.__name__ = f"pattern_{name}"
    return f


def _alternation() -> re.Pattern:
    parts = []
    for name in PATTERN_ORDER:
        rx = PATTERNS[name]
        flags = "i" if rx.flags & re.IGNORECASE else ""
        parts.append(
            f"(?P<{name}>(?{flags}:{rx.pattern}))" if flags else f"(?P<{name}>{rx.pattern})"
        )
    return re.compile("|".join(parts))


_FIRST = _alternation()


# Every pattern needs a digit, "@", "." or "://" somewhere, except roman numerals.
_MAYBE_PATTERN = re.compile(r"[0-9@.]|://|^[MDCLXVI]+$").search


def first_pattern(token: str) -> str | None:
    """Name of the first pattern of :data:`PATTERN_ORDER` the whole token matches."""
    if _MAYBE_PATTERN(token) is None:
        return None
    m = _FIRST.fullmatch(token)
    return m.lastgroup if m else None


# --------------------------------------------------------------------------- registry
def builtin_type_functions() -> dict[str, TypeFunc]:
    """Extractors available by name without parameters (templates refer to these names)."""
    reg: dict[str, TypeFunc] = {
        "w": identity,
        "lw": lower,
        "shape": shape,
        "sshape": short_shape,
        "allcap": all_caps,
        "title": title_case,
        "hasdigit": has_digit,
        "alldigit": all_digits,
        "hyphen": has_hyphen,
        "punct": punct_only,
        "alnum": mixed_alnum,
        "len": length_bucket(),
        "pattern": first_pattern,
    }
    for n in range(1, 5):
        reg[f"p{n}"] = prefix(n)
        reg[f"s{n}"] = suffix(n)
    for name in PATTERNS:
        reg[name] = pattern_flag(name)
    return reg
