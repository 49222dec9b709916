"""Pattern recognizers: a regular expression finds candidates, a validator keeps the real ones.

==============  ==============================================================
type            candidates and validation
==============  ==============================================================
``EMAIL``       ``local@domain.tld``; local part at most 64 characters, the
                whole address at most 254, domain labels of letters, digits
                and inner hyphens, a top-level domain of 2-63 letters
``PHONE``       runs of digits, spaces, dots, dashes, brackets and a leading
                ``+`` (at least 6 digits), parsed by ``phonenumbers.PhoneNumberMatcher`` with the
                default region and leniency ``VALID`` (the number must be a
                valid number of its country)
``CREDIT_CARD`` 13 to 19 digits, single spaces or dashes between them; Luhn
                checksum and a known issuer prefix and length (:data:`CARD_ISSUERS`)
``IBAN``        two-letter country, two check digits, the country's length
                (:data:`IBAN_LENGTHS`, 46 countries; others are not detected),
                ISO 7064 mod-97 checksum; upper case, spaces allowed
``IP_ADDRESS``  IPv4 dotted quads and IPv6 addresses, checked by :mod:`ipaddress`
``URL``         ``http://``, ``https://`` or ``www.`` then a host name with a
                top-level domain of letters (or an IPv4 address), optional
                port, path, query; trailing punctuation left out
``DATE``        day, month and year in the layouts ``2024-03-12``,
                ``12/03/2024`` (either order of day and month), ``12.03.2024``,
                ``12 March 2024``, ``12th of March 2024``, ``March 12, 2024``,
                ``Mar 12 2024``; the date must exist (dates without a year are
                left to the CRF)
``US_SSN``      ``ddd-dd-dddd``: area not 000, 666 or 900-999, group not 00,
                serial not 0000, not one of the numbers published in
                advertisements (078-05-1120, 219-09-9999)
``UK_NINO``     two prefix letters, six digits, a suffix A-D (spaces between
                pairs allowed): first letter not D F I Q U V, second not
                D F I O Q U V, prefix not BG GB KN NK NT TN ZZ
==============  ==============================================================

Every detection is a :class:`Detection` with character offsets into the
text (end exclusive: ``text[d.start:d.end] == d.text``), a score and its
source, ``"pattern:<recognizer>"``. All the detections of these recognizers
passed their validator (``validated=True``), which gives them priority over
the CRF's spans in :mod:`crftagger.pii.analyzer`.
"""

from __future__ import annotations

import calendar
import datetime
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from crftagger.errors import CrftaggerError


class PIIError(CrftaggerError, ValueError):
    """Bad options or input for PII detection and masking."""


@dataclass(frozen=True)
class Detection:
    """A piece of personal data found in a text (offsets end-exclusive)."""

    type: str
    start: int
    end: int
    text: str
    score: float
    source: str
    validated: bool = False

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(float(self.score), 6),
            "source": self.source,
        }


# --------------------------------------------------------------------------- validators


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum of a string of digits."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


#: Card issuers: (name, prefixes (a range ``(lo, hi)`` of prefixes of one length), lengths).
CARD_ISSUERS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("visa", ((4, 4),), (13, 16, 19)),
    ("mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("amex", ((34, 34), (37, 37)), (15,)),
    ("discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    ("diners", ((300, 305), (36, 36), (38, 39)), (14, 15, 16, 17, 18, 19)),
    ("jcb", ((3528, 3589),), (16, 17, 18, 19)),
    ("jcb", ((1800, 1800), (2131, 2131)), (15,)),
    ("unionpay", ((62, 62),), (16, 17, 18, 19)),
    ("maestro", ((50, 50), (56, 58), (63, 63), (67, 67)), (13, 14, 15, 16, 17, 18, 19)),
)


_CARD_FIRST_DIGITS = frozenset(str(lo)[0] for _, ranges, _ in CARD_ISSUERS for lo, _ in ranges)


def card_issuer(digits: str) -> str | None:
    """The issuer whose prefix and length ``digits`` has (None: no known issuer)."""
    return _issuer(digits[:4], len(digits))


@lru_cache(maxsize=4096)
def _issuer(prefix: str, length: int) -> str | None:
    for name, ranges, lengths in CARD_ISSUERS:
        if length not in lengths:
            continue
        for lo, hi in ranges:
            n = len(str(lo))
            if len(prefix) >= n and prefix[:n].isdigit() and lo <= int(prefix[:n]) <= hi:
                return name
    return None


def credit_card_valid(number: str) -> bool:
    """13-19 digits (spaces and dashes ignored) with a known issuer prefix and a Luhn checksum."""
    digits = re.sub(r"[ -]", "", number)
    return (
        13 <= len(digits) <= 19
        and digits.isdigit()
        and card_issuer(digits) is not None
        and luhn_valid(digits)
    )


#: IBAN length per country (ISO 13616 registry), for the countries detected.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "TR": 26,
}  # fmt: skip


def iban_valid(iban: str) -> bool:
    """Country code, country length and the ISO 7064 mod-97 checksum (spaces ignored)."""
    s = iban.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s) or IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def ipv4_valid(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def ipv6_valid(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


_SSN_ADVERTISED = frozenset({"078051120", "219099999"})


def ssn_valid(ssn: str) -> bool:
    """US social security number rules (see the module docstring)."""
    m = re.fullmatch(r"(\d{3})-(\d{2})-(\d{4})", ssn)
    if not m:
        return False
    area, group, serial = m.groups()
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_ADVERTISED


_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino_valid(nino: str) -> bool:
    """UK National Insurance number format (see the module docstring)."""
    s = nino.replace(" ", "")
    if not re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", s):
        return False
    return s[:2] not in _NINO_BAD_PREFIXES


def email_valid(address: str) -> bool:
    """E-mail syntax (see the module docstring)."""
    if len(address) > 254 or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return 0 < len(local) <= 64 and _EMAIL_RE.fullmatch(address) is not None and "." in domain


# --------------------------------------------------------------------------- recognizers

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-]){_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}\b")
_URL_RE = re.compile(
    r"(?<![\w@./-])(?:https?://|www\.)"
    rf"(?:(?:{_LABEL}\.)+[A-Za-z]{{2,63}}|\d{{1,3}}(?:\.\d{{1,3}}){{3}})"
    r"(?::\d{1,5})?"
    r"(?:[/?#][^\s<>\"']*)?",
    re.IGNORECASE,
)
_URL_TRAIL = ".,;:!?)]}'\""
_DIGIT_RUN_RE = re.compile(r"(?<![\w-])\d+(?:[ -]\d+)*(?![\w-])")
_DIGIT_GROUP_RE = re.compile(r"\d+")
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){8,32}")
_IPV4_RE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])"
)
_SSN_RE = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_NINO_RE = re.compile(r"(?<![\w])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)")
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+|\(\d)?\d[\d ().\-/]{5,22}\d(?![\w])")

_MONTH_NAMES = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_NAMES.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_NAMES["sept"] = 9
_MONTH = "(?P<month>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[6-9]|20|21)\d\d)"
_DATE_RES = (
    re.compile(r"(?<![\w/.-])(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)(?![\w]|[-/.]\d)"),
    re.compile(r"(?<![\w/.-])(?P<a>\d\d?)/(?P<b>\d\d?)/" + _YEAR + r"(?![\w]|[-/.]\d)"),
    re.compile(r"(?<![\w/.-])(?P<day>\d\d?)\.(?P<month>\d\d?)\.(?P<year>\d{4})(?![\w]|[-/.]\d)"),
    re.compile(rf"(?<![\w]){_DAY}(?: of)? {_MONTH},? {_YEAR}(?!\w)", re.IGNORECASE),
    re.compile(rf"(?<![\w]){_MONTH} {_DAY},? {_YEAR}(?!\w)", re.IGNORECASE),
)


def _date_exists(year: str, month: str, day: str) -> bool:
    try:
        m = int(month) if month.isdigit() else _MONTH_NAMES[month.lower().rstrip(".")]
        datetime.date(int(year), m, int(day))
    except (ValueError, KeyError):
        return False
    return True


@dataclass(frozen=True)
class PatternRecognizer:
    """A named recognizer: ``find(text)`` yields ``(start, end)`` of validated matches."""

    name: str
    type: str
    score: float
    find: Callable[[str], Iterable[tuple[int, int]]]

    def analyze(self, text: str) -> list[Detection]:
        return [
            Detection(self.type, a, b, text[a:b], self.score, f"pattern:{self.name}", True)
            for a, b in self.find(text)
        ]


def _regex_validated(regex: re.Pattern, valid: Callable[[str], bool]):
    def find(text: str) -> Iterator[tuple[int, int]]:
        for m in regex.finditer(text):
            if valid(m.group()):
                yield m.span()

    return find


def _find_urls(text: str) -> Iterator[tuple[int, int]]:
    for m in _URL_RE.finditer(text):
        a, b = m.span()
        while b > a and text[b - 1] in _URL_TRAIL:
            # keep a closing bracket whose opening bracket is part of the URL
            if text[b - 1] == ")" and text.count("(", a, b) >= text.count(")", a, b):
                break
            b -= 1
        if b > a:
            yield a, b


def _find_cards(text: str) -> Iterator[tuple[int, int]]:
    """Card numbers inside runs of digit groups (single spaces or dashes between groups).

    At each group, the longest valid number of whole groups starting there is
    taken, so ``+44 20 7946 0958 4111 1111 1111 1111`` still gives the card.
    """
    for run in _DIGIT_RUN_RE.finditer(text):
        groups = [g.span() for g in _DIGIT_GROUP_RE.finditer(text, run.start(), run.end())]
        i = 0
        while i < len(groups):
            best = None
            digits = ""
            if text[groups[i][0]] in _CARD_FIRST_DIGITS:
                for j in range(i, len(groups)):
                    digits += text[groups[j][0] : groups[j][1]]
                    if len(digits) > 19:
                        break
                    if len(digits) >= 13 and card_issuer(digits) and luhn_valid(digits):
                        best = j
            if best is None:
                i += 1
            else:
                yield groups[i][0], groups[best][1]
                i = best + 1


def _find_ibans(text: str) -> Iterator[tuple[int, int]]:
    for m in _IBAN_RE.finditer(text):
        a = m.start()
        length = IBAN_LENGTHS.get(text[a : a + 2])
        if length is None:
            continue
        n, b = 0, a
        while b < m.end() and n < length:
            if text[b] != " ":
                n += 1
            b += 1
        if n == length and not (b < len(text) and text[b].isalnum()) and iban_valid(text[a:b]):
            yield a, b


def _find_dates(text: str) -> Iterator[tuple[int, int]]:
    for k, regex in enumerate(_DATE_RES):
        for m in regex.finditer(text):
            g = m.groupdict()
            if k == 1:  # day and month in either order
                ok = _date_exists(g["year"], g["b"], g["a"]) or _date_exists(
                    g["year"], g["a"], g["b"]
                )
            else:
                ok = _date_exists(g["year"], g["month"], g["day"])
            if ok:
                yield m.span()


def _phone_finder(region: str | None, leniency: str = "VALID"):
    import phonenumbers

    level = getattr(phonenumbers.Leniency, leniency)

    def find(text: str) -> Iterator[tuple[int, int]]:
        # valid card numbers would win over a phone number inside them: blank them first
        # (same length, so the offsets hold), which also spares phonenumbers long digit runs
        cards = list(_find_cards(text))
        if cards:
            parts, pos = [], 0
            for a, b in cards:
                parts += [text[pos:a], " " * (b - a)]
                pos = b
            text = "".join(parts) + text[pos:]
        for m in _PHONE_RE.finditer(text):
            a, b = m.span()
            if a > 0 and text[a - 1] == "(" and text[a] != "(":
                a -= 1  # "(555) 123-4567" starting at the bracket
            if sum(c.isdigit() for c in text[a:b]) < 6:
                continue  # too few digits for any phone number
            for pm in phonenumbers.PhoneNumberMatcher(text[a:b], region, leniency=level):
                yield a + pm.start, a + pm.end

    return find


def check_region(region: str | None) -> str | None:
    """The upper-cased region code, checked against phonenumbers' list (None: international only)."""
    if region is None:
        return None
    import phonenumbers

    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise PIIError(
            f"region: found {region!r}; expected a two-letter region code known to "
            "phonenumbers (US, GB, DE, FR, ...)"
        )
    return region.upper()


#: Names of the pattern recognizers, in the order they run.
RECOGNIZER_NAMES = (
    "email",
    "url",
    "phone",
    "credit_card",
    "iban",
    "ipv4",
    "ipv6",
    "date",
    "us_ssn",
    "uk_nino",
)


def default_recognizers(region: str | None = "US", dates: bool = True) -> list[PatternRecognizer]:
    """The recognizers of the module docstring; phone numbers read with ``region`` as default."""
    region = check_region(region)
    recs = [
        PatternRecognizer("email", "EMAIL", 1.0, _regex_validated(_EMAIL_RE, email_valid)),
        PatternRecognizer("url", "URL", 0.9, _find_urls),
        PatternRecognizer("phone", "PHONE", 0.9, _phone_finder(region)),
        PatternRecognizer("credit_card", "CREDIT_CARD", 1.0, _find_cards),
        PatternRecognizer("iban", "IBAN", 1.0, _find_ibans),
        PatternRecognizer("ipv4", "IP_ADDRESS", 0.95, _regex_validated(_IPV4_RE, ipv4_valid)),
        PatternRecognizer("ipv6", "IP_ADDRESS", 0.95, _regex_validated(_IPV6_RE, ipv6_valid)),
        PatternRecognizer("date", "DATE", 0.85, _find_dates),
        PatternRecognizer("us_ssn", "US_SSN", 0.85, _regex_validated(_SSN_RE, ssn_valid)),
        PatternRecognizer("uk_nino", "UK_NINO", 0.85, _regex_validated(_NINO_RE, nino_valid)),
    ]
    return [r for r in recs if dates or r.name != "date"]
