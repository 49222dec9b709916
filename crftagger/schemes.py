"""Span tag schemes, written as data: decoding, validation, conversion.

Tags are ``"PREFIX-TYPE"`` strings plus ``"O"`` (outside). The type is
everything after the *first* hyphen, so ``"B-creative-work"`` has prefix
``"B"`` and type ``"creative-work"``; case is kept (``"I-timeRange"``).
Spans are :class:`Span` ``(type, start, end)`` with an END-EXCLUSIVE ``end``.

Schemes
-------
Every scheme is a table that gives each of its prefixes a *role*
(:class:`Role`), and a table of *writing rules* (which prefix a span uses for
its first, inner, last and only token). Nothing about a scheme is hidden in
an if-chain; :func:`decode` interprets the tables.

A role says, for a tag ``P-X``:

``begins``  ``True``: the tag always opens a new span; ``False``: it never
            does (it must continue a span of type ``X``); ``None``: it opens
            a span only when the previous token is outside, of another type,
            or closed its span.
``ends``    the same for closing: ``True`` the span always ends with this
            token, ``False`` it never does (the next token must continue it),
            ``None`` it ends when the next token is outside, of another type
            or opens a span.
``after_same``  the tag may only appear right after a tag of the same type
            (IOB1 ``B-``, which only separates two adjacent spans of a type).
``before_same`` the tag may only appear right before a tag of the same type
            (IOE1 ``E-``).

Between two tokens of the same type there is a span boundary when the left
role has ``ends=True`` or the right role has ``begins=True``; otherwise the
right token continues the span. A pair is invalid when a boundary falls where
a role forbids it (``ends=False`` on the left or ``begins=False`` on the
right), or when ``after_same`` / ``before_same`` is not met. The start and the
end of a sentence behave like ``O``.

==========  ======================  ========================================
scheme      prefixes                roles (begins, ends)
==========  ======================  ========================================
``io``      I                       I (None, None)
``iob1``    I B                     I (None, None); B (True, None), after_same
``iob2``    B I   (alias ``bio``)   B (True, None); I (False, None)
``ioe1``    I E                     I (None, None); E (None, True), before_same
``ioe2``    I E                     I (None, False); E (None, True)
``bioes``   B I E S (``iobes``)     B (True, False); I (False, False);
                                    E (False, True); S (True, True)
``bilou``   B I L U                 as bioes with L for E and U for S
==========  ======================  ========================================

Lenient decoding
----------------
``extract_spans(tags)`` without a scheme decodes as conlleval does: a span
starts at ``B-X``, or at ``I-X`` after ``O`` or another type; it ends at
``O``, at any ``B-``, or at a type change. This is the same table read with
every ``False`` relaxed to ``None``: B (True, None), I (None, None),
E and L (None, True), S and U (True, True). On tags whose prefixes are only
``B``, ``I`` and ``O``, or only ``I``, ``E`` and ``O``, the spans are exactly
conlleval.pl's. With B, I, E, S they are those of seqeval's default mode,
not conlleval.pl's: conlleval.pl reads ``E-X B-X`` as one chunk and has no
rule for ``S-`` (``S-X S-X`` is one chunk there). seqeval's default mode has
no rule for ``L-`` and ``U-`` either; here they are read as BILOU means them
(``crftagger.metrics`` documents these differences, and its
``mode="conlleval.pl"`` counts as conlleval.pl does).

Repair policies
---------------
Decoding with a scheme must decide what to do with a tag the scheme does not
allow where it stands (an orphan ``I-X`` after ``O`` in IOB2, an ``E-X``
without ``B-X`` in BIOES, a BIOES span left open by ``O``...):

``repair="error"`` (default)
    raise :class:`SchemeError` naming the first invalid position, the tag
    found, the previous tag and what was expected.
``repair="begin"``
    accept the tag anyway: an orphan continuation opens a span and a span
    that is not properly closed still ends where its type stops. This is
    conlleval's behaviour (``O I-X I-X`` is one span of type X).
``repair="outside"``
    read the offending tags as ``O``: an orphan continuation is dropped
    (and the continuations that follow it, which are orphans in turn), and a
    span that cannot be closed where it stops is dropped whole. The
    adjacency rules (IOB1's ``B-X`` only after an ``X`` tag, IOE1's ``E-X``
    only before one) look at the neighbouring tag as written, even when that
    tag is itself dropped: in IOB1 ``B-X B-X`` the first ``B-X`` is dropped
    and the second is a span. For IOB2, IOE2, BIOES and BILOU this gives
    exactly the spans of seqeval's strict mode, which counts only
    well-formed spans; for IOB1 and IOE1 those of seqeval's strict mode with
    the patterns its tables lack (``crftagger.metrics`` lists them: for
    ``I-B B-B I-B B-B B-A I-A`` seqeval's IOB1 loses the well-formed span
    ``B-B`` at 3 because ``B-X`` before ``B-Y`` is not among its end
    patterns). It is only used when asked.

Prefixes a scheme does not have (``E-`` in IOB2 data), tags without a type
and empty tags are always errors, whatever the policy.

Conversion
----------
:func:`convert` decodes with the source scheme and writes the spans with the
target's writing rules, so every valid sequence converts losslessly, except
into ``io``, which cannot separate two adjacent spans of the same type: then
:func:`convert` raises, unless ``lossy_ok=True``, which merges such spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from crftagger.errors import SchemeError

__all__ = [
    "OUTSIDE",
    "REPAIRS",
    "SCHEMES",
    "ALIASES",
    "DETECT_PRECEDENCE",
    "Role",
    "Scheme",
    "SchemeError",
    "Span",
    "compatible_schemes",
    "convert",
    "decode",
    "detect_scheme",
    "get_scheme",
    "is_boundary",
    "pair_allowed",
    "scheme_violations",
    "split_tag",
    "tags_from_spans",
    "validate",
    "validate_corpus",
    "extract_spans",
]

OUTSIDE = "O"
REPAIRS = ("error", "begin", "outside")


class Span(NamedTuple):
    """A labelled span of tokens ``start <= i < end`` (end-exclusive)."""

    type: str
    start: int
    end: int


@dataclass(frozen=True)
class Role:
    """What a prefix does in a scheme (see the module docstring)."""

    begins: bool | None
    ends: bool | None
    after_same: bool = False
    before_same: bool = False

    def relaxed(self) -> Role:
        """The lenient reading: ``False`` becomes ``None``, adjacency rules dropped."""
        return Role(
            None if self.begins is False else self.begins,
            None if self.ends is False else self.ends,
        )


@dataclass(frozen=True)
class Scheme:
    """A tag scheme as data.

    ``roles`` maps each prefix to its :class:`Role`. ``write`` maps the
    positions of a span (``"single"``, ``"first"``, ``"inside"``,
    ``"last"``) to the prefix used there; ``write_after_same`` and
    ``write_before_same`` override ``write`` for a span that directly follows
    (precedes) a span of the same type. ``separates_adjacent`` is False for a
    scheme that cannot tell two touching same-type spans from one.
    """

    name: str
    roles: dict[str, Role]
    write: dict[str, str]
    write_after_same: dict[str, str] = field(default_factory=dict)
    write_before_same: dict[str, str] = field(default_factory=dict)
    separates_adjacent: bool = True

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(self.roles)


_B_SINGLE = Role(True, None)
_B_START = Role(True, False)
_I_ANY = Role(None, None)
_I_CONT = Role(False, None)
_I_MID = Role(False, False)
_I_OPEN = Role(None, False)
_E_END = Role(None, True)
_E_LAST = Role(False, True)
_S_ONLY = Role(True, True)

SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme(
            "io",
            {"I": _I_ANY},
            {"single": "I", "first": "I", "inside": "I", "last": "I"},
            separates_adjacent=False,
        ),
        Scheme(
            "iob1",
            {"I": _I_ANY, "B": Role(True, None, after_same=True)},
            {"single": "I", "first": "I", "inside": "I", "last": "I"},
            write_after_same={"single": "B", "first": "B"},
        ),
        Scheme(
            "iob2",
            {"B": _B_SINGLE, "I": _I_CONT},
            {"single": "B", "first": "B", "inside": "I", "last": "I"},
        ),
        Scheme(
            "ioe1",
            {"I": _I_ANY, "E": Role(None, True, before_same=True)},
            {"single": "I", "first": "I", "inside": "I", "last": "I"},
            write_before_same={"single": "E", "last": "E"},
        ),
        Scheme(
            "ioe2",
            {"I": _I_OPEN, "E": _E_END},
            {"single": "E", "first": "I", "inside": "I", "last": "E"},
        ),
        Scheme(
            "bioes",
            {"B": _B_START, "I": _I_MID, "E": _E_LAST, "S": _S_ONLY},
            {"single": "S", "first": "B", "inside": "I", "last": "E"},
        ),
        Scheme(
            "bilou",
            {"B": _B_START, "I": _I_MID, "L": _E_LAST, "U": _S_ONLY},
            {"single": "U", "first": "B", "inside": "I", "last": "L"},
        ),
    )
}

ALIASES = {"bio": "iob2", "iobes": "bioes"}

#: Lenient (conlleval) roles: every prefix conlleval or seqeval's default mode knows.
LENIENT_ROLES: dict[str, Role] = {
    "B": _B_SINGLE,
    "I": _I_ANY,
    "E": _E_END,
    "L": _E_END,
    "S": _S_ONLY,
    "U": _S_ONLY,
}

#: Order in which :func:`detect_scheme` prefers schemes that fit equally well.
DETECT_PRECEDENCE = ("iob2", "io", "iob1", "ioe1", "ioe2", "bioes", "bilou")


def get_scheme(name: str | Scheme) -> Scheme:
    """Return the :class:`Scheme` called ``name`` (case-insensitive, aliases allowed)."""
    if isinstance(name, Scheme):
        return name
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    try:
        return SCHEMES[key]
    except KeyError:
        known = ", ".join(list(SCHEMES) + list(ALIASES))
        raise ValueError(f"unknown tag scheme {name!r}; expected one of: {known}") from None


def split_tag(tag: str) -> tuple[str, str]:
    """Split ``"PREFIX-TYPE"`` at the first hyphen; ``"O"`` gives ``("O", "")``.

    A tag without a hyphen other than ``O`` gives ``(tag, "")``; callers that
    need a type reject it.

    >>> split_tag("B-creative-work")
    ('B', 'creative-work')
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, typ = tag.partition("-")
    if not sep:
        return tag, ""
    return prefix, typ


def span_types(labels: Iterable[str]) -> list[str]:
    """The span types that ``labels`` name, sorted (``["B-PER", "I-PER", "O"]`` -> ``["PER"]``)."""
    return sorted({typ for typ in (split_tag(x)[1] for x in labels) if typ})


# ---------------------------------------------------------------------------
# decoding


def _quote(tag: str | None) -> str:
    return "start of sentence" if tag is None else repr(tag)


def _parse(tags: Sequence[str], i: int, roles: dict[str, Role], scheme_name: str):
    """Return ``None`` for ``O``, else ``(role, type)``; raise on a malformed tag."""
    tag = tags[i]
    if tag == OUTSIDE:
        return None
    if not isinstance(tag, str):
        raise SchemeError(
            f"position {i}: found {tag!r} (not a string); expected a tag such as 'B-PER' or 'O'",
            position=i,
            found=repr(tag),
            scheme=scheme_name,
        )
    prefix, typ = split_tag(tag)
    role = roles.get(prefix)
    if role is None or not typ:
        allowed = ", ".join(f"{p}-TYPE" for p in roles)
        why = "has no type" if prefix in roles else f"has prefix {prefix!r}"
        if not tag:
            why = "is empty"
        raise SchemeError(
            f"position {i}: tag {tag!r} {why}; {scheme_name} expects O or {allowed}",
            position=i,
            found=tag,
            previous=tags[i - 1] if i > 0 else None,
            expected=["O"] + [f"{p}-TYPE" for p in roles],
            scheme=scheme_name,
        )
    return role, typ


def is_boundary(left: tuple[Role, str] | None, right: tuple[Role, str] | None) -> bool:
    """Whether a span boundary lies between two tags, each ``None`` (``O`` or the sentence
    edge) or ``(role, type)``: always between different types, and between two tags of one
    type when the left role always ends its span or the right one always begins one."""
    if left is None or right is None or left[1] != right[1]:
        return True
    return left[0].ends is True or right[0].begins is True


def pair_allowed(left: tuple[Role, str] | None, right: tuple[Role, str] | None) -> bool:
    """Whether ``right`` may follow ``left`` (each ``None`` or ``(role, type)``; module docstring)."""
    if left is None and right is None:
        return True
    if left is not None and right is not None and left[1] == right[1]:
        if is_boundary(left, right):  # two spans of one type meet
            return left[0].ends is not False and right[0].begins is not False
        return True  # continuation
    if left is not None:
        if left[0].ends is False or left[0].before_same:
            return False
    if right is not None:
        if right[0].begins is False or right[0].after_same:
            return False
    return True


def _expected_after(prev_tag: str | None, cur_tag: str | None, scheme: Scheme) -> list[str]:
    """Tags of the scheme (plus O) that may follow ``prev_tag``; types from both tags."""
    roles = scheme.roles
    types = []
    for t in (prev_tag, cur_tag):
        if t is not None and t != OUTSIDE:
            typ = split_tag(t)[1]
            if typ and typ not in types:
                types.append(typ)
    left = None
    if prev_tag is not None and prev_tag != OUTSIDE:
        p, typ = split_tag(prev_tag)
        if p in roles:
            left = (roles[p], typ)
    out = []
    if pair_allowed(left, None):
        out.append(OUTSIDE)
    for typ in types:
        for p, r in roles.items():
            if pair_allowed(left, (r, typ)):
                out.append(f"{p}-{typ}")
    return out


def _violation(tags, i, scheme: Scheme, what: str) -> SchemeError:
    prev = tags[i - 1] if i > 0 else None
    found = tags[i] if i < len(tags) else None
    found_s = "end of sentence" if found is None else repr(found)
    expected = _expected_after(prev, found, scheme)
    if found is None:
        # what could have stood at the last position instead
        before = tags[i - 2] if i >= 2 else None
        expected = [
            t
            for t in _expected_after(before, prev, scheme)
            if pair_allowed(_maybe(t, scheme), None)
        ]
        msg = (
            f"position {i - 1}: tag {prev!r} cannot end the sentence in {scheme.name} "
            f"({what}); expected one of {', '.join(map(repr, expected))} there"
        )
        return SchemeError(
            msg, position=i - 1, found=prev, previous=before, expected=expected, scheme=scheme.name
        )
    msg = (
        f"position {i}: found {found_s} after {_quote(prev)}, which {scheme.name} does not "
        f"allow ({what}); expected one of {', '.join(map(repr, expected))}"
    )
    return SchemeError(
        msg, position=i, found=found, previous=prev, expected=expected, scheme=scheme.name
    )


def _maybe(tag: str, scheme: Scheme):
    if tag == OUTSIDE:
        return None
    p, typ = split_tag(tag)
    return scheme.roles[p], typ


def decode(
    tags: Sequence[str],
    scheme: str | Scheme | None = None,
    repair: str = "error",
    on_violation=None,
) -> list[Span]:
    """Decode ``tags`` into spans with ``scheme``'s roles and a repair policy.

    ``scheme=None`` is lenient conlleval decoding (``repair`` is then
    irrelevant). ``on_violation``, when given, is called with each
    :class:`SchemeError` met under ``"begin"`` or ``"outside"`` (used to count
    violations without stopping).
    """
    if repair not in REPAIRS:
        raise ValueError(f"unknown repair policy {repair!r}; expected one of {', '.join(REPAIRS)}")
    if scheme is None:
        sch = None
        roles = LENIENT_ROLES
        name = "conlleval decoding"
    else:
        sch = get_scheme(scheme)
        roles = sch.roles
        name = sch.name
    n = len(tags)
    spans: list[Span] = []
    open_type: str | None = None  # type of the span being read
    open_role: Role | None = None
    open_start = 0
    prev_type: str | None = None  # type of tag i-1 as written (None = outside)

    def report(i, what):
        err = _violation(tags, i, sch, what)
        if repair == "error":
            raise err
        if on_violation is not None:
            on_violation(err)

    for i in range(n + 1):
        cur = _parse(tags, i, roles, name) if i < n else None
        if open_type is not None:
            if cur is not None and not is_boundary((open_role, open_type), cur):
                open_role = cur[0]  # continuation: always allowed
                prev_type = cur[1]
                continue
            ok = open_role.ends is not False
            if open_role.before_same and not (cur is not None and cur[1] == open_type):
                ok = False
            if not ok and sch is not None:
                report(i, f"{open_type} span cannot end here")
                if repair == "outside":
                    open_type = None  # the whole span reads as O
            if open_type is not None:
                spans.append(Span(open_type, open_start, i))
                open_type = None
        if cur is None:
            prev_type = None
            continue
        role, typ = cur
        # adjacency rules look at the neighbour as written, even one that is read as O
        ok = role.begins is not False and not (role.after_same and prev_type != typ)
        prev_type = typ
        if not ok and sch is not None:
            report(i, f"{tags[i]!r} cannot begin a span here")
            if repair == "outside":
                continue
        open_type, open_role, open_start = typ, role, i
    return spans


def extract_spans(
    tags: Sequence[str], scheme: str | Scheme | None = None, repair: str = "error"
) -> list[Span]:
    """Spans of one tag sequence, in order (end-exclusive offsets).

    ``scheme=None``: lenient conlleval decoding (right for IOB1 and IOB2 and
    tolerant of E-/S-/L-/U-). With a scheme name: strict decoding for that
    scheme; invalid tags are handled by ``repair`` (see the module docstring).

    >>> extract_spans(["B-PER", "I-PER", "O", "I-LOC"])
    [Span(type='PER', start=0, end=2), Span(type='LOC', start=3, end=4)]
    """
    return decode(tags, scheme, repair)


def validate(tags: Sequence[str], scheme: str | Scheme) -> None:
    """Raise :class:`SchemeError` at the first position ``scheme`` does not allow."""
    decode(tags, scheme, "error")


def validate_corpus(
    sequences: Iterable[Any],
    scheme: str | Scheme,
    column: str | None = None,
    source: str | None = None,
) -> int:
    """Validate every sequence of a corpus; return the number of sequences.

    ``sequences`` holds lists of tags or ``Sentence`` objects (then ``column``
    names the tag column, ``sentence.columns[column]``). The error names the
    sentence index and, for sentences, their file and line (``source`` is the
    fallback file name).
    """
    n = 0
    for k, seq in enumerate(sequences):
        n += 1
        src, line = source, None
        if hasattr(seq, "columns"):
            if column is None:
                raise ValueError("validate_corpus needs column= for Sentence objects")
            src = getattr(seq, "source", None) or source
            line = getattr(seq, "line", None)
            tags = seq.columns[column]
        else:
            tags = seq
        try:
            validate(tags, scheme)
        except SchemeError as exc:
            raise exc.locate(k, src, line) from None
    return n


# ---------------------------------------------------------------------------
# writing and conversion


def tags_from_spans(
    spans: Iterable[Span | tuple], length: int, scheme: str | Scheme, lossy_ok: bool = False
) -> list[str]:
    """Write non-overlapping ``spans`` as ``length`` tags in ``scheme``.

    Raises :class:`SchemeError` when spans overlap, fall outside
    ``[0, length)`` or are empty, and when ``scheme`` cannot represent them
    (two adjacent same-type spans in ``io``) unless ``lossy_ok=True``, in
    which case such spans are written as one.
    """
    sch = get_scheme(scheme)
    ordered = sorted((Span(*s) for s in spans), key=lambda s: (s.start, s.end))
    tags = [OUTSIDE] * length
    prev: Span | None = None
    for k, sp in enumerate(ordered):
        if not sp.type or not isinstance(sp.type, str):
            raise SchemeError(f"span {sp} has no type", scheme=sch.name)
        if not (0 <= sp.start < sp.end <= length):
            raise SchemeError(
                f"span {tuple(sp)} is empty or outside the sequence of length {length}; "
                f"expected 0 <= start < end <= {length}",
                scheme=sch.name,
            )
        if prev is not None and sp.start < prev.end:
            raise SchemeError(
                f"spans {tuple(prev)} and {tuple(sp)} overlap; {sch.name} tags need "
                f"non-overlapping spans",
                scheme=sch.name,
            )
        after_same = prev is not None and prev.end == sp.start and prev.type == sp.type
        if after_same and not sch.separates_adjacent and not lossy_ok:
            raise SchemeError(
                f"{sch.name} cannot separate the adjacent {sp.type} spans {tuple(prev)} and "
                f"{tuple(sp)}; they would read as one span (pass lossy_ok=True to merge them)",
                position=sp.start,
                scheme=sch.name,
            )
        nxt = ordered[k + 1] if k + 1 < len(ordered) else None
        before_same = nxt is not None and nxt.start == sp.end and nxt.type == sp.type
        rules = dict(sch.write)
        if after_same:
            rules.update(sch.write_after_same)
        single_rules = dict(rules)
        if before_same:
            single_rules.update(sch.write_before_same)
        if sp.end - sp.start == 1:
            tags[sp.start] = f"{single_rules['single']}-{sp.type}"
        else:
            tags[sp.start] = f"{rules['first']}-{sp.type}"
            for i in range(sp.start + 1, sp.end - 1):
                tags[i] = f"{sch.write['inside']}-{sp.type}"
            last = sch.write_before_same.get("last") if before_same else None
            tags[sp.end - 1] = f"{last or sch.write['last']}-{sp.type}"
        prev = sp
    return tags


def convert(
    tags: Sequence[str],
    src: str | Scheme | None,
    dst: str | Scheme,
    repair: str = "error",
    lossy_ok: bool = False,
) -> list[str]:
    """Convert one tag sequence from scheme ``src`` to scheme ``dst`` via its spans.

    ``src=None`` decodes leniently (conlleval). ``repair`` handles tags that
    ``src`` does not allow (see the module docstring); ``lossy_ok`` allows a
    target that cannot represent the spans (``io``) to merge adjacent spans.

    >>> convert(["I-PER", "I-PER", "B-PER", "O"], "iob1", "bioes")
    ['B-PER', 'E-PER', 'S-PER', 'O']
    """
    spans = decode(tags, src, repair)
    return tags_from_spans(spans, len(tags), dst, lossy_ok=lossy_ok)


# ---------------------------------------------------------------------------
# detection


def scheme_violations(
    sequences: Iterable[Sequence[str]], schemes: Iterable[str] | None = None
) -> dict[str, int | None]:
    """Count the positions each scheme does not allow in ``sequences``.

    A scheme that lacks a prefix used in the data gets ``None``. Counting
    reads invalid tags as ``repair="begin"`` does, so each slip is counted
    once.
    """
    names = list(schemes) if schemes is not None else list(DETECT_PRECEDENCE)
    seqs = [list(s) for s in sequences]
    prefixes = set()
    for k, seq in enumerate(seqs):
        for i, tag in enumerate(seq):
            if tag == OUTSIDE:
                continue
            p, typ = split_tag(tag)
            if not typ or p not in LENIENT_ROLES:
                raise SchemeError(
                    f"sequence {k}, position {i}: tag {tag!r} is not O or PREFIX-TYPE with a "
                    f"prefix among {', '.join(LENIENT_ROLES)}",
                    position=i,
                    found=tag,
                )
            prefixes.add(p)
    out: dict[str, int | None] = {}
    for name in names:
        sch = get_scheme(name)
        if not prefixes <= set(sch.roles):
            out[sch.name] = None
            continue
        count = 0

        def bump(_err):
            nonlocal count
            count += 1

        for seq in seqs:
            decode(seq, sch, "begin", on_violation=bump)
        out[sch.name] = count
    return out


def compatible_schemes(sequences: Iterable[Sequence[str]]) -> list[str]:
    """Every scheme that allows all ``sequences``, in :data:`DETECT_PRECEDENCE` order.

    More than one name means the data are ambiguous (``["io", "iob1", "ioe1"]``
    for data with only ``I-`` and ``O`` tags; all seven for data with only
    ``O``); :func:`detect_scheme` returns the first.
    """
    return [name for name, c in scheme_violations(sequences).items() if c == 0]


def detect_scheme(
    sequences: Iterable[Sequence[str]],
    tolerance: float = 0.0,
    candidates: Iterable[str] | None = None,
) -> str:
    """Return the scheme that fits all ``sequences`` (lists of tags).

    A scheme fits when it has every prefix used and allows every position;
    with ``tolerance > 0`` it may violate up to ``tolerance * n_tokens``
    positions (real corpora have slips: CoNLL-2003 ``eng.train`` is IOB1 with
    two ``B-`` tags after ``O``). Among fitting schemes the one with the
    fewest violations wins; ties go by :data:`DETECT_PRECEDENCE`:
    ``iob2, io, iob1, ioe1, ioe2, bioes, bilou``. So data with only ``O``
    is ``iob2``; data with only ``I-`` and ``O`` tags is ``io`` (it is also
    valid IOB1 and IOE1 and decodes to the same spans in all three);
    ``B-`` after ``O`` rules out IOB1, an ``I-`` start rules out IOB2.
    Raises :class:`SchemeError` (listing the violation counts) when nothing fits.

    This differs on purpose from seqeval's ``auto_detect``, which looks only
    at the set of prefixes used: there IOB1 data (CoNLL-2003) are IOB2, whose
    strict reading then drops every span that starts with ``I-``, IOE1 data
    are IOE2, and data that no scheme allows are accepted. Here a scheme must
    allow the data (up to ``tolerance``), and IO, IOB1 and IOE1 are among the
    answers.
    """
    seqs = [list(s) for s in sequences]
    n_tokens = sum(len(s) for s in seqs)
    names = [get_scheme(c).name for c in candidates] if candidates else list(DETECT_PRECEDENCE)
    counts = scheme_violations(seqs, names)
    limit = tolerance * n_tokens
    fitting = [
        (c, DETECT_PRECEDENCE.index(name) if name in DETECT_PRECEDENCE else 99, name)
        for name, c in counts.items()
        if c is not None and c <= limit
    ]
    if not fitting:
        detail = ", ".join(
            f"{k}: {'missing prefixes' if v is None else f'{v} invalid positions'}"
            for k, v in counts.items()
        )
        raise SchemeError(
            f"no tag scheme fits these {len(seqs)} sequences ({detail}); "
            f"expected one scheme with at most {limit:g} invalid positions"
        )
    return min(fitting)[2]
