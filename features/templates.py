"""Feature templates: which extractor values, at which offsets, make an attribute.

A :class:`Template` is a sequence of literal strings around slots; slot ``j``
reads extractor ``slots[j].extractor`` at offset ``slots[j].offset`` from the
current token. The attribute name is ``literals[0] + v_1 + literals[1] + ...
+ v_n + literals[n]``. Two notations produce templates:

* CRFsuite's names: ``"w[-1]|w[0]"`` gives attributes ``"w[-1]|w[0]=He|reckons"``;
  ``"lw[-2..2]"`` is shorthand for the five windows ``lw[-2]`` .. ``lw[2]``;
  ``"lw{-10..-5}"`` is a bag: one template per offset, all writing the same
  name (``"lw{-10..-5}=arriving"`` wherever *arriving* stands 5 to 10 tokens
  to the left), without padding. A value found twice counts twice.
* CRF++ template files: ``U01:%x[-1,0]/%x[0,0]`` gives ``"U01:He/reckons"``
  (column 0 is the token, column ``j`` the ``j``-th extra column).

Out-of-sentence slots are padded (``pad=True``: the value is the padding
string of that side and distance, ``_B-1``, ``_B+2``, as CRF++) or suppress the
attribute (``pad=False``, as CRFsuite's example scripts). A template with no
slot is a constant attribute of every token (``where="all"``), of the first
token (``"first"``, e.g. ``__BOS__``) or of the last (``"last"``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crftagger.errors import TemplateError

WHERE = ("all", "first", "last")


@dataclass(frozen=True)
class Slot:
    extractor: str
    offset: int


@dataclass(frozen=True)
class Template:
    """Literals around slots; ``len(literals) == len(slots) + 1``."""

    literals: tuple[str, ...]
    slots: tuple[Slot, ...] = ()
    where: str = "all"
    pad: bool = True

    def __post_init__(self):
        if len(self.literals) != len(self.slots) + 1:
            raise TemplateError(
                f"a template with {len(self.slots)} slots needs {len(self.slots) + 1} literals, "
                f"found {len(self.literals)}"
            )
        if self.where not in WHERE:
            raise TemplateError(f"template position {self.where!r}; expected one of {WHERE}")
        if not self.slots and not self.literals[0]:
            raise TemplateError("a template without slots needs a non-empty name")

    def render(self, values: Sequence[str]) -> str:
        """The attribute name for slot values ``values``."""
        lits = self.literals
        parts = [lits[0]]
        for v, lit in zip(values, lits[1:], strict=True):
            parts.append(v)
            parts.append(lit)
        return "".join(parts)

    @property
    def extractors(self) -> tuple[str, ...]:
        return tuple(s.extractor for s in self.slots)

    def label(self) -> str:
        """A readable description (the CRFsuite name or the CRF++ line)."""
        if not self.slots:
            return self.literals[0]
        return self.render([f"%{s.extractor}[{s.offset}]" for s in self.slots])

    def to_dict(self) -> dict:
        return {
            "literals": list(self.literals),
            "slots": [[s.extractor, s.offset] for s in self.slots],
            "where": self.where,
            "pad": self.pad,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Template:
        try:
            return cls(
                literals=tuple(str(x) for x in d["literals"]),
                slots=tuple(Slot(str(e), int(o)) for e, o in d.get("slots", [])),
                where=str(d.get("where", "all")),
                pad=bool(d.get("pad", True)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TemplateError(f"bad template description {d!r}: {exc}") from None


# --------------------------------------------------------------------------- CRFsuite names
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_.:-]*)\[(-?\d+)(?:\.\.(-?\d+))?\]$")
_BAG = re.compile(r"([A-Za-z_][A-Za-z0-9_.:-]*)\{(-?\d+)\.\.(-?\d+)\}$")


def conjunction(parts: Sequence[tuple[str, int]], pad: bool = True) -> Template:
    """Template for ``(extractor, offset)`` parts named CRFsuite-style (``w[-1]|w[0]=a|b``)."""
    if not parts:
        raise TemplateError("a conjunction needs at least one (extractor, offset) part")
    name = "|".join(f"{e}[{int(o)}]" for e, o in parts)
    lits = (name + "=",) + ("|",) * (len(parts) - 1) + ("",)
    return Template(lits, tuple(Slot(e, int(o)) for e, o in parts), "all", pad)


def bag(extractor: str, lo: int, hi: int) -> list[Template]:
    """Templates of the bag ``extractor{lo..hi}``: the values at offsets ``lo..hi`` under one name.

    Out-of-sentence offsets add nothing (no padding); the current token may
    be part of the range.
    """
    lo, hi = int(lo), int(hi)
    if hi < lo:
        raise TemplateError(f"bag {extractor}{{{lo}..{hi}}} is empty; expected FROM <= TO")
    name = f"{extractor}{{{lo}..{hi}}}="
    return [Template((name, ""), (Slot(extractor, o),), "all", False) for o in range(lo, hi + 1)]


def parse(spec: str, pad: bool = True) -> list[Template]:
    """Templates of one CRFsuite-style string.

    ``"w[0]"``, ``"w[-1]|w[0]"``, ``"pos[-2]|pos[-1]|pos[0]"``, a window
    ``"lw[-2..2]"`` (one template per offset) or a bag ``"lw{-10..-5}"``
    (:func:`bag`). The constant ``"__BOS__"`` / ``"__EOS__"`` give the first
    / last token attributes, ``"bias"`` a constant attribute of every token.
    """
    s = spec.strip()
    m = _BAG.match(s)
    if m:
        return bag(m.group(1), int(m.group(2)), int(m.group(3)))
    if "{" in s or "}" in s:
        raise TemplateError(
            f"template {spec!r}: a bag is written NAME{{FROM..TO}} and stands alone"
        )
    if s in ("__BOS__", "__EOS__"):
        return [Template((s,), (), "first" if s == "__BOS__" else "last", pad)]
    if s == "bias":
        return [Template(("bias",), (), "all", pad)]
    parts = s.split("|")
    parsed = []
    for p in parts:
        m = _PART.match(p.strip())
        if not m:
            raise TemplateError(
                f"template {spec!r}: cannot read {p!r}; expected NAME[OFFSET] or NAME[FROM..TO], "
                "parts joined by '|'"
            )
        parsed.append((m.group(1), int(m.group(2)), m.group(3)))
    if any(r is not None for _, _, r in parsed):
        if len(parsed) != 1:
            raise TemplateError(
                f"template {spec!r}: a window range NAME[FROM..TO] must stand alone"
            )
        name, lo, hi = parsed[0]
        hi = int(hi)
        if hi < lo:
            raise TemplateError(
                f"template {spec!r}: window {lo}..{hi} is empty; expected FROM <= TO"
            )
        return [conjunction([(name, o)], pad) for o in range(lo, hi + 1)]
    return [conjunction([(n, o) for n, o, _ in parsed], pad)]


def parse_many(specs: Iterable[str | dict | Template], pad: bool = True) -> list[Template]:
    """Templates from strings (see :func:`parse`), dicts (:meth:`Template.from_dict`) or templates."""
    out: list[Template] = []
    for s in specs:
        if isinstance(s, Template):
            out.append(s)
        elif isinstance(s, dict):
            out.append(Template.from_dict(s))
        elif isinstance(s, str):
            out.extend(parse(s, pad))
        else:
            raise TemplateError(f"template {s!r}: expected a string, a dict or a Template")
    return out


# --------------------------------------------------------------------------- CRF++ files
_MACRO = re.compile(r"%x\[\s*(-?\d+)\s*,\s*(\d+)\s*\]")


@dataclass
class TemplateFile:
    """The content of a CRF++ template file."""

    templates: list[Template]
    #: a bare ``B`` line: label bigram (transition) features
    bigram: bool
    #: the highest column index referenced (0 = token)
    max_column: int


def column_extractor(index: int) -> str:
    """Extractor name of CRF++ column ``index`` (``w`` for the token column 0)."""
    return "w" if index == 0 else f"col{index}"


def parse_crfpp(text: str, source: str = "<string>") -> TemplateFile:
    """Parse CRF++ template text (``U``/``B`` lines, ``#`` comments, blank lines).

    ``U`` lines become padded templates whose literals are the line's text
    around its ``%x[row,col]`` macros. A bare ``B`` line turns on label
    bigrams (always present in this CRF); a ``B`` line with macros asks for
    observation-dependent transitions, which a first-order CRF with one
    weight per label pair does not have, so it is an error.
    """
    templates: list[Template] = []
    bigram = False
    max_col = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind = line[0]
        if kind not in "UB":
            raise TemplateError(
                f"{source}, line {lineno}: found {line!r}; expected a template starting with U or B"
            )
        macros = list(_MACRO.finditer(line))
        rest = _MACRO.sub("", line)
        if "%x" in rest:
            raise TemplateError(
                f"{source}, line {lineno}: malformed macro in {line!r}; expected %x[ROW,COL] "
                "with integer ROW and non-negative COL"
            )
        if kind == "B":
            if macros:
                raise TemplateError(
                    f"{source}, line {lineno}: found {line!r}; bigram templates with %x macros "
                    "(observation-dependent transitions) are not supported; expected a bare 'B'"
                )
            bigram = True
            continue
        lits = []
        slots = []
        pos = 0
        for m in macros:
            lits.append(line[pos : m.start()])
            row, col = int(m.group(1)), int(m.group(2))
            slots.append(Slot(column_extractor(col), row))
            max_col = max(max_col, col)
            pos = m.end()
        lits.append(line[pos:])
        templates.append(Template(tuple(lits), tuple(slots), "all", True))
    return TemplateFile(templates, bigram, max_col)


def read_crfpp(path: str | os.PathLike, encoding: str = "utf-8") -> TemplateFile:
    """Read a CRF++ template file (see :func:`parse_crfpp`)."""
    path = os.fspath(path)
    try:
        with open(path, encoding=encoding) as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise TemplateError(
            f"{path}: cannot decode as {encoding} ({exc.reason}); expected {encoding} text"
        ) from None
    return parse_crfpp(text, source=path)
