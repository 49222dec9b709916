"""Type-level extractors on hand-picked tokens (ASCII, non-ASCII, empty, very long)."""

from __future__ import annotations

import pytest

from crftagger.features import text

LONG = "a" * 5000 + "B" * 5000 + "1" * 10


@pytest.mark.parametrize(
    "token, long_shape, short",
    [
        ("Hello-42", "Xxxxx-dd", "Xx-d"),
        ("Zürich", "Xxxxxx", "Xx"),
        ("東京", "oo", "o"),
        ("😀", "😀", "😀"),
        ("U.S.", "X.X.", "X.X."),
        ("iPhone15", "xXxxxxdd", "xXxd"),
        ("ÉCOLE", "XXXXX", "X"),
        ("", None, None),
        (LONG, "x" * 5000 + "X" * 5000 + "d" * 10, "xXd"),
    ],
)
def test_shapes(token, long_shape, short):
    assert text.shape(token) == long_shape
    assert text.short_shape(token) == short


def test_shape_keeps_punctuation_and_other_symbols():
    assert text.shape("a|b") == "x|x"
    assert text.short_shape("--ab--") == "-x-"
    assert text.shape("x\u200by") == "x\u200bx"


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_prefix_suffix(n):
    p, s = text.prefix(n), text.suffix(n)
    assert p("Zürich") == "Zürich"[:n]
    assert s("Zürich") == "Zürich"[-n:]
    assert p("東京") == ("東京"[:n] if n <= 2 else None)
    assert s("😀") == ("😀" if n == 1 else None)
    assert p("") is None and s("") is None
    assert p(LONG) == "a" * n and s(LONG) == "1" * n


def test_affix_length_must_be_positive():
    with pytest.raises(ValueError, match="prefix length"):
        text.prefix(0)
    with pytest.raises(ValueError, match="suffix length"):
        text.suffix(-1)


@pytest.mark.parametrize(
    "token, flags",
    [
        ("USA", {"allcap"}),
        ("U.S.", {"allcap", "title"}),
        ("Zürich", {"title"}),
        ("ZÜRICH", {"allcap"}),
        ("東京", set()),
        ("😀", set()),
        ("2024", {"hasdigit", "alldigit"}),
        ("A4", {"hasdigit", "alnum", "allcap", "title"}),
        ("COVID-19", {"hasdigit", "alnum", "hyphen", "allcap"}),
        ("well-known", {"hyphen"}),
        ("...", {"punct"}),
        ("«»", {"punct"}),
        ("$", set()),  # a currency symbol is not punctuation (category Sc)
        ("", set()),
        ("٣", {"hasdigit", "alldigit"}),  # Arabic-Indic digit three
        (LONG, {"hasdigit", "alnum"}),
    ],
)
def test_character_classes(token, flags):
    funcs = {
        "allcap": text.all_caps,
        "title": text.title_case,
        "hasdigit": text.has_digit,
        "alldigit": text.all_digits,
        "hyphen": text.has_hyphen,
        "punct": text.punct_only,
        "alnum": text.mixed_alnum,
    }
    got = {name for name, f in funcs.items() if f(token) == text.TRUE}
    assert got == flags
    for f in funcs.values():
        assert f(token) in (None, text.TRUE)


def test_length_bucket():
    f = text.length_bucket()
    assert [f("x" * n) for n in (0, 1, 2, 5, 6, 7, 8, 10, 11, 500)] == [
        "0-1",
        "0-1",
        "2",
        "5",
        "6-7",
        "6-7",
        "8-10",
        "8-10",
        "11+",
        "11+",
    ]
    g = text.length_bucket([0, 3])
    assert [g(""), g("ab"), g("abcd")] == ["0", "1-3", "4+"]
    with pytest.raises(ValueError, match="increasing"):
        text.length_bucket([3, 3])


@pytest.mark.parametrize(
    "name, yes, no",
    [
        ("year", ["1999", "2024", "1066"], ["999", "2100", "19999", "19a9", "٢٠٢٠"]),
        (
            "decimal",
            ["3.14", "-0.5", "1,234.56", "0,5", ".5"],
            ["3", "1,234", "3.", "a.5", "1.2.3"],
        ),
        (
            "ordinal",
            ["1st", "2nd", "3rd", "4th", "11th", "12TH", "21st", "113th"],
            ["1th", "11st", "2rd", "th"],
        ),
        ("roman", ["XIV", "MCMXC", "IV", "I"], ["IIII", "xiv", "VX", "", "MMMM"]),
        ("email", ["john.doe@example.com", "a+b@x.co.uk"], ["john@", "@x.com", "a@b"]),
        (
            "url",
            ["https://example.org/a?b=1", "http://localhost", "www.ex.com", "example.com/path"],
            ["example", "http//x"],
        ),
        (
            "phone",
            ["555-123-4567", "+44-20-7946-0958", "(555)123-4567", "+14155552671"],
            ["555", "12-3", "2024"],
        ),
        ("ip", ["192.168.0.1", "8.8.8.8"], ["256.1.1.1", "1.2.3", "1.2.3.4.5"]),
        ("date", ["2024-01-31", "31/01/2024", "1/2/03", "31.12.1999"], ["2024", "1/2", "2024-1"]),
        (
            "time",
            ["12:30", "23:59:59", "5pm", "10a.m.", "3.30pm"],
            ["25:00", "12:60", "3.14", "13pm"],
        ),
        ("money", ["$5", "€1,000.50", "US$3.5M", "5$", "£20"], ["5", "$", "$a"]),
        ("percent", ["5%", "-3.5%", "100%"], ["%", "5 %", "a%"]),
    ],
)
def test_patterns(name, yes, no):
    f = text.pattern_flag(name)
    for t in yes:
        assert f(t) == text.TRUE, (name, t)
    for t in no:
        assert f(t) is None, (name, t)


def test_unknown_pattern_is_an_error():
    with pytest.raises(ValueError, match="unknown pattern"):
        text.pattern_flag("zip")


def test_first_pattern_order_and_agreement_with_flags():
    assert text.first_pattern("1999") == "year"
    assert text.first_pattern("3.14") == "decimal"
    assert text.first_pattern("192.168.0.1") == "ip"
    assert text.first_pattern("a@b.com") == "email"
    assert text.first_pattern("word") is None
    assert text.first_pattern("") is None
    assert text.first_pattern(LONG) is None
    samples = [
        "1999",
        "3.14",
        "12:30",
        "$5",
        "5%",
        "XIV",
        "2024-01-31",
        "555-123-4567",
        "a@b.com",
        "www.x.com",
        "8.8.8.8",
        "3rd",
        "hello",
        "Zürich",
        "😀",
        "",
        "1,234.5",
    ]
    for t in samples:
        expected = next((n for n in text.PATTERN_ORDER if text.pattern_flag(n)(t)), None)
        assert text.first_pattern(t) == expected, t


def test_identity_and_lower():
    assert text.identity("Zürich") == "Zürich"
    assert text.lower("ZÜRICH") == "zürich"
    assert text.lower("東京") == "東京"
    assert text.lower("") == ""


def test_builtin_registry_names():
    reg = text.builtin_type_functions()
    for name in [
        "w",
        "lw",
        "shape",
        "sshape",
        "p1",
        "p4",
        "s1",
        "s4",
        "allcap",
        "title",
        "hasdigit",
        "alldigit",
        "hyphen",
        "punct",
        "alnum",
        "len",
        "pattern",
        "year",
        "decimal",
        "ordinal",
        "roman",
        "email",
        "url",
        "phone",
        "ip",
        "date",
        "time",
        "money",
        "percent",
    ]:
        assert name in reg
    assert reg["s3"]("reckons") == "ons"
    assert reg["year"]("1987") == "1"
