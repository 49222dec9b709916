"""Replace detected personal data: one operator per type, and a reversible mapping.

=============  ===================================================================
operator       replacement (parameters)
=============  ===================================================================
``redact``     ``[PERSON]``; ``numbered=true``: ``[PERSON_1]``, ``[PERSON_2]``, the
               same original text always the same number (reversible)
``mask``       every character replaced by ``char`` (default ``*``) but the last
               ``keep_last`` (default 0): ``4111 1111 1111 1111`` -> ``***************1111``
``hash``       the first ``length`` (default 16, 8 to 64) hex digits of
               SHA-256(``salt`` + text); the salt must be given (here or to
               :class:`Anonymizer`), so equal texts hash alike only under one salt
``pseudonym``  a fake value of the same kind (Faker, ``locale`` default ``en_US``):
               a name for ``PERSON``, a city for ``LOCATION``, a company for
               ``ORGANIZATION``, an e-mail address, a phone number, a URL, a date,
               a card number, an IBAN, an IP address of the same version, an SSN;
               other types keep the shape of the original (letters for letters,
               digits for digits). Deterministic: the fake depends only on the
               seed, the type and the original text, and differs from every other
               fake of the same call (reversible)
``keep``       the original text
=============  ===================================================================

Reversible mapping
------------------
The replacements of the reversible operators (``pseudonym``, numbered
``redact``) are collected in ``MaskResult.mapping`` (replacement -> original);
:func:`deanonymize` puts the originals back. :meth:`Anonymizer.anonymize`
checks that ``deanonymize(result.text, result.mapping)`` gives back the text
exactly (no replacement already occurs in the text; otherwise new fakes are
drawn), so a text masked with reversible operators only is restored exactly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from crftagger.pii.recognizers import Detection, PIIError


@dataclass
class _State:
    """What one document (or one session of documents) has replaced so far."""

    table: dict[tuple[str, str, str], str] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)  # replacement -> original
    counters: dict[str, int] = field(default_factory=dict)
    attempt: int = 0
    text: str = ""


class Operator:
    """Base class: ``replace(detection, state, anonymizer) -> str``."""

    name: ClassVar[str] = ""
    params: ClassVar[tuple[str, ...]] = ()
    reversible: bool = False

    def replace(self, d: Detection, state: _State, anon: Anonymizer) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.params if p != "salt")
        return f"{type(self).__name__}({args})"


def _bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.lower() in ("true", "1", "yes")
    raise PIIError(f"{name}: found {value!r}; expected true or false")


def _int(name: str, value, lo: int, hi: int) -> int:
    try:
        n = int(value)
        if isinstance(value, bool) or (isinstance(value, float) and n != value):
            raise ValueError
    except (TypeError, ValueError):
        raise PIIError(f"{name}: found {value!r}; expected an integer in [{lo}, {hi}]") from None
    if not lo <= n <= hi:
        raise PIIError(f"{name}: found {n}; expected an integer in [{lo}, {hi}]")
    return n


class Redact(Operator):
    name = "redact"
    params = ("numbered",)

    def __init__(self, numbered: bool | str = False):
        self.numbered = _bool("redact numbered", numbered)
        self.reversible = self.numbered

    def replace(self, d, state, anon):
        if not self.numbered:
            return f"[{d.type}]"
        key = (self.name, d.type, d.text)
        if key not in state.table:
            n = state.counters.get(d.type, 0)
            while True:
                n += 1
                tag = f"[{d.type}_{n}]"
                if tag not in state.text and tag not in state.originals:
                    break
            state.counters[d.type] = n
            state.table[key] = tag
        return state.table[key]


class Mask(Operator):
    name = "mask"
    params = ("char", "keep_last")

    def __init__(self, char: str = "*", keep_last: int | str = 0):
        if not isinstance(char, str) or len(char) != 1:
            raise PIIError(f"mask char: found {char!r}; expected one character")
        self.char = char
        self.keep_last = _int("mask keep_last", keep_last, 0, 1000)

    def replace(self, d, state, anon):
        n = len(d.text)
        k = min(self.keep_last, n)
        return self.char * (n - k) + d.text[n - k :]


class Hash(Operator):
    name = "hash"
    params = ("salt", "length")

    def __init__(self, salt: str | None = None, length: int | str = 16):
        if salt is not None and (not isinstance(salt, str) or not salt):
            raise PIIError(f"hash salt: found {salt!r}; expected a non-empty string")
        self.salt = salt
        self.length = _int("hash length", length, 8, 64)

    def replace(self, d, state, anon):
        salt = self.salt if self.salt is not None else anon.salt
        if salt is None:
            raise PIIError(
                f"operator 'hash' for {d.type}: found no salt; expected an explicit salt "
                "(Anonymizer(salt=...), hash:salt=..., or --salt on the command line)"
            )
        return hashlib.sha256((salt + d.text).encode("utf-8")).hexdigest()[: self.length]


class Keep(Operator):
    name = "keep"

    def replace(self, d, state, anon):
        return d.text


def _same_shape(fake, original: str) -> str:
    out = []
    for ch in original:
        if ch.isdigit():
            out.append(str(fake.random_digit()))
        elif ch.isalpha():
            c = fake.random_uppercase_letter()
            out.append(c if ch.isupper() else c.lower())
        else:
            out.append(ch)
    return "".join(out)


def _one_word_name(fake, original: str) -> str:
    return fake.first_name() if len(original.split()) == 1 else fake.name()


#: Faker generators of :class:`Pseudonym`, per type.
FAKERS: dict[str, Any] = {
    "PERSON": _one_word_name,
    "LOCATION": lambda f, o: f.city(),
    "ORGANIZATION": lambda f, o: f.company(),
    "EMAIL": lambda f, o: f.email(),
    "PHONE": lambda f, o: f.phone_number(),
    "URL": lambda f, o: f.url(),
    "DATE": lambda f, o: f.date(pattern="%d %B %Y"),
    "CREDIT_CARD": lambda f, o: f.credit_card_number(),
    "IBAN": lambda f, o: f.iban(),
    "IP_ADDRESS": lambda f, o: f.ipv6() if ":" in o else f.ipv4(),
    "US_SSN": lambda f, o: f.ssn(),
    "MONEY": lambda f, o: f.pricetag(),
}


class Pseudonym(Operator):
    name = "pseudonym"
    params = ("locale",)
    reversible = True

    def __init__(self, locale: str = "en_US"):
        if not isinstance(locale, str):
            raise PIIError(f"pseudonym locale: found {locale!r}; expected a locale like en_US")
        self.locale = locale
        self._faker = None

    def faker(self):
        if self._faker is None:
            from faker import Faker

            try:
                self._faker = Faker(self.locale)
            except AttributeError:
                raise PIIError(
                    f"pseudonym locale: found {self.locale!r}; expected a Faker locale like en_US"
                ) from None
        return self._faker

    def replace(self, d, state, anon):
        key = (self.name, d.type, d.text)
        if key in state.table:
            return state.table[key]
        fake = self.faker()
        make = FAKERS.get(d.type, _same_shape)
        for k in range(100):
            material = f"{anon.seed}\x1f{d.type}\x1f{d.text}\x1f{state.attempt}\x1f{k}"
            fake.seed_instance(
                int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big")
            )
            value = make(fake, d.text) if k < 50 else _same_shape(fake, d.text) + f"-{k}"
            if (
                value
                and value != d.text
                and value not in state.originals
                and value not in state.text
            ):
                break
        else:  # pragma: no cover - 100 draws all taken
            raise PIIError(f"pseudonym: found no unused fake for {d.type} {d.text!r}")
        state.table[key] = value
        return value


#: Operator names and their classes.
OPERATORS: dict[str, type[Operator]] = {
    cls.name: cls for cls in (Redact, Mask, Hash, Pseudonym, Keep)
}


def make_operator(spec) -> Operator:
    """An operator from its name, ``"name:key=value,key=value"``, ``{"type": name, ...}`` or itself."""
    if isinstance(spec, Operator):
        return spec
    if isinstance(spec, str):
        name, _, rest = spec.partition(":")
        params: dict[str, Any] = {}
        for item in filter(None, rest.split(",")):
            k, eq, v = item.partition("=")
            if not eq:
                raise PIIError(
                    f"operator {spec!r}: found the parameter {item!r}; expected key=value"
                )
            params[k.strip()] = v.strip()
    elif isinstance(spec, Mapping):
        params = dict(spec)
        name = params.pop("type", None)
    else:
        raise PIIError(
            f"operator: found {type(spec).__name__}; expected a name, a dict or an Operator"
        )
    cls = OPERATORS.get(name.strip().lower() if isinstance(name, str) else "")
    if cls is None:
        raise PIIError(f"operator: found {name!r}; expected one of {', '.join(OPERATORS)}")
    unknown = [k for k in params if k not in cls.params]
    if unknown:
        raise PIIError(
            f"operator {cls.name}: found the parameter {unknown[0]!r}; expected "
            + (", ".join(cls.params) if cls.params else "no parameter")
        )
    return cls(**params)


@dataclass(frozen=True)
class MaskedItem:
    """One replaced detection: offsets in the original text and in the masked text."""

    type: str
    start: int
    end: int
    text: str
    new_start: int
    new_end: int
    replacement: str
    operator: str
    score: float
    source: str

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "new_start": self.new_start,
            "new_end": self.new_end,
            "replacement": self.replacement,
            "operator": self.operator,
            "score": round(float(self.score), 6),
            "source": self.source,
        }


@dataclass(frozen=True)
class MaskResult:
    """The masked text, what was replaced, and the reversible mapping (replacement -> original)."""

    text: str
    items: list[MaskedItem]
    mapping: dict[str, str]


def deanonymize(masked_text: str, mapping: Mapping[str, str]) -> str:
    """Put the originals of ``mapping`` (replacement -> original) back into ``masked_text``.

    Replacements are matched left to right, the longest first at each position.
    """
    if not mapping:
        return masked_text
    keys = sorted(mapping, key=len, reverse=True)
    regex = re.compile("|".join(re.escape(k) for k in keys))
    return regex.sub(lambda m: mapping[m.group()], masked_text)


class Anonymizer:
    """Apply an operator per type to detections.

    Parameters
    ----------
    operators : dict, optional
        ``{type or "DEFAULT": operator}`` (a name, ``"mask:keep_last=4"``, a dict
        or an :class:`Operator`); default ``{"DEFAULT": "redact"}``.
    seed : int
        Seed of the pseudonyms.
    salt : str, optional
        Salt of the ``hash`` operators that have none of their own.
    """

    def __init__(
        self, operators: Mapping[str, Any] | None = None, seed: int = 0, salt: str | None = None
    ):
        if operators is not None and not isinstance(operators, Mapping):
            raise PIIError(
                f"operators: found {type(operators).__name__}; expected a dict {{type: operator}}"
            )
        ops = {"DEFAULT": "redact", **dict(operators or {})}
        self.operators = {}
        for type_, spec in ops.items():
            if not isinstance(type_, str) or not type_:
                raise PIIError(f"operators: found the key {type_!r}; expected a PII type name")
            try:
                self.operators[type_] = make_operator(spec)
            except PIIError as exc:
                raise PIIError(f"operator of {type_}: {exc}") from None
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise PIIError(f"seed: found {seed!r}; expected an integer")
        if salt is not None and (not isinstance(salt, str) or not salt):
            raise PIIError(f"salt: found {salt!r}; expected a non-empty string")
        self.seed = seed
        self.salt = salt
        for type_, op in self.operators.items():
            if isinstance(op, Hash) and op.salt is None and salt is None:
                raise PIIError(
                    f"operator 'hash' for {type_}: found no salt; expected an explicit salt "
                    "(Anonymizer(salt=...), hash:salt=..., or --salt on the command line)"
                )

    def operator(self, type_: str) -> Operator:
        return self.operators.get(type_, self.operators["DEFAULT"])

    def session(self) -> _State:
        """A state to pass to several :meth:`anonymize` calls, so they replace alike."""
        return _State()

    def anonymize(
        self, text: str, detections: Sequence[Detection], session: _State | None = None
    ) -> MaskResult:
        """Replace ``detections`` (non-overlapping) in ``text``."""
        dets = sorted(detections, key=lambda d: (d.start, d.end))
        for a, b in zip(dets, dets[1:], strict=False):
            if b.start < a.end:
                raise PIIError(
                    f"detections overlap: {a.type} {a.start}:{a.end} and {b.type} {b.start}:{b.end}"
                )
        base = session if session is not None else _State()
        for attempt in range(8):
            state = _State(
                dict(base.table), dict(base.originals), dict(base.counters),
                base.attempt + attempt, text,
            )  # fmt: skip
            result = self._apply(text, dets, state)
            if deanonymize(result.text, result.mapping) == _restorable(text, result):
                if session is not None:
                    session.table, session.originals = state.table, state.originals
                    session.counters = state.counters
                return result
        raise PIIError(  # pragma: no cover - needs a text holding its own placeholders
            "could not build a reversible mapping: the text already holds the replacements"
        )

    def _apply(self, text: str, dets: Sequence[Detection], state: _State) -> MaskResult:
        out: list[str] = []
        items = []
        mapping: dict[str, str] = {}
        pos = new = 0
        for d in dets:
            if text[d.start : d.end] != d.text:
                raise PIIError(
                    f"detection {d.type} at {d.start}:{d.end}: found {text[d.start : d.end]!r} "
                    f"in the text; expected {d.text!r}"
                )
            op = self.operator(d.type)
            rep = op.replace(d, state, self)
            if op.reversible:
                state.originals[rep] = d.text
                mapping[rep] = d.text
            out.append(text[pos : d.start])
            new += d.start - pos
            items.append(
                MaskedItem(
                    d.type,
                    d.start,
                    d.end,
                    d.text,
                    new,
                    new + len(rep),
                    rep,
                    op.name,
                    d.score,
                    d.source,
                )
            )
            out.append(rep)
            new += len(rep)
            pos = d.end
        out.append(text[pos:])
        return MaskResult("".join(out), items, mapping)


def _restorable(text: str, result: MaskResult) -> str:
    """``text`` with the non-reversible replacements applied (what deanonymize must give back)."""
    out, pos = [], 0
    for it in result.items:
        out.append(text[pos : it.start])
        out.append(it.text if it.replacement in result.mapping else it.replacement)
        pos = it.end
    out.append(text[pos:])
    return "".join(out)
