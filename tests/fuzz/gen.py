"""Fuzz cases, each made from its seed alone (so a seed is a reproducer)."""

from __future__ import annotations

import copy
import hashlib
import json
import random
from pathlib import Path

# ----------------------------------------------------------------------------- corpus inputs

CONLL = (
    "-DOCSTART- -X- -X- O\n"
    "\n"
    "EU NNP B-NP B-ORG\n"
    "rejects VBZ B-VP O\n"
    "German JJ B-NP B-MISC\n"
    "call NN I-NP O\n"
    ". . O O\n"
    "\n"
    "Peter NNP B-NP B-PER\n"
    "Blackburn NNP I-NP I-PER\n"
    "\n"
    "-DOCSTART- -X- -X- O\n"
    "\n"
    "Núñez NNP B-NP B-PER\n"
    "visited VBD B-VP O\n"
    "Zürich NNP B-NP B-LOC\n"
)

BIO = "Call\tO\nAna\tB-PER\nnow\tO\n\nFrom\tO\nOslo\tB-LOC\nto\tO\nSão\tB-LOC\nPaulo\tI-LOC\n"

CONLLU = (
    "# newdoc id = d1\n"
    "# sent_id = 1\n"
    "# text = I don't know.\n"
    "1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n"
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "2\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\n"
    "3\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_\n"
    "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No\n"
    "4.1\tit\tit\tPRON\tPRP\t_\t_\t_\t4:obj\t_\n"
    "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n"
    "\n"
    "# sent_id = 2\n"
    "# text = Ça va\n"
    "# text = repeated\n"
    "1\tÇa\tça\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
    "2\tva\taller\tVERB\tVBZ\t_\t0\troot\t_\t_\n"
)

TOKENS = "Call Ana now\nFrom Oslo to São Paulo\n\nJust  two\tspaces\n"

ODD_UNICODE = [
    "\u0301",  # combining acute
    "\u202e",  # right-to-left override
    "\u05d0\u05d1",  # Hebrew letters
    "\u00b2",  # superscript two (isdigit, not int)
    "\u0663",  # Arabic-Indic digit three
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\ufeff",  # BOM in the middle
    "\u00a0",  # no-break space
    "\u0085",  # next line
    "\u001c",  # file separator (str.split() splits on it)
    "\u3000",  # ideographic space
    "\u200b",  # zero-width space
    "\U0001f600",  # outside the BMP
    "\ud7ff",
    "\x00",
    "\x0b",
    "\x0c",
]

BAD_UTF8 = [
    b"\xff",
    b"\xc3",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\x80",
]

#: (reader name, base text) pairs the corpus area draws from.
READERS = [
    ("read_conll", CONLL),
    ("read_conll_declared", CONLL),
    ("read_conll", BIO),
    ("read_bio", BIO),
    ("read_conllu", CONLLU),
    ("read_conllu_surface", CONLLU),
    ("detect_format", CONLLU),
    ("detect_format", CONLL),
    ("tag_tokens", TOKENS),
    ("tag_conll", CONLL),
    ("tag_conllu", CONLLU),
    ("read_conll_whitespace", CONLL),
]


def _mutate_text(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """One mutation of ``data`` and its name."""
    kind = rng.choice(
        [
            "flip",
            "truncate",
            "nul",
            "bad_utf8",
            "columns",
            "crlf",
            "cr",
            "long_line",
            "unicode",
            "bom",
            "blank",
            "duplicate_line",
            "join_lines",
            "tab_space",
            "docstart",
            "comment",
            "conllu_id",
            "whitespace_field",
        ]
    )
    b = bytearray(data)
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    pos = rng.randrange(len(b) + 1)
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            if b:
                j = rng.randrange(len(b))
                b[j] ^= 1 << rng.randrange(8)
        return bytes(b), kind
    if kind == "truncate":
        return bytes(b[:pos]), kind
    if kind == "nul":
        return bytes(b[:pos] + b"\x00" + b[pos:]), kind
    if kind == "bad_utf8":
        return bytes(b[:pos] + rng.choice(BAD_UTF8) + b[pos:]), kind
    if kind == "columns":
        sep = b"\t" if b"\t" in lines[i] else b" "
        fields = lines[i].split(sep)
        if rng.random() < 0.5 and len(fields) > 1:
            del fields[rng.randrange(len(fields))]
        else:
            fields.insert(rng.randrange(len(fields) + 1), rng.choice([b"X", b"", b"_"]))
        lines[i] = sep.join(fields)
        return b"\n".join(lines), kind
    if kind == "crlf":
        return b"\n".join(ln + (b"\r" if rng.random() < 0.5 else b"") for ln in lines), kind
    if kind == "cr":
        if rng.random() < 0.5:
            return data.replace(b"\n", b"\r"), "cr_only"
        return bytes(b[:pos] + b"\r" + b[pos:]), kind
    if kind == "long_line":
        tok = rng.choice([b"a", "é".encode(), b"x y", b"\t"]) * rng.choice([1000, 30000, 200000])
        lines[i] = lines[i] + tok if rng.random() < 0.5 else tok
        return b"\n".join(lines), kind
    if kind == "unicode":
        ch = rng.choice(ODD_UNICODE).encode("utf-8", "surrogatepass")
        return bytes(b[:pos] + ch + b[pos:]), kind
    if kind == "bom":
        return (b"\xef\xbb\xbf" + data) if rng.random() < 0.5 else bytes(
            b[:pos] + b"\xef\xbb\xbf" + b[pos:]
        ), kind
    if kind == "blank":
        lines.insert(i, rng.choice([b"", b" ", b"\t", b"\x0c", b" \t "]))
        return b"\n".join(lines), kind
    if kind == "duplicate_line":
        lines.insert(i, lines[i])
        return b"\n".join(lines), kind
    if kind == "join_lines":
        if i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + rng.choice([b" ", b"\t", b""]) + lines[i + 1]]
        return b"\n".join(lines), kind
    if kind == "tab_space":
        a, c = (b"\t", b" ") if rng.random() < 0.5 else (b" ", b"\t")
        lines[i] = lines[i].replace(a, c, rng.randint(1, 3))
        return b"\n".join(lines), kind
    if kind == "docstart":
        lines.insert(i, rng.choice([b"-DOCSTART-", b"-DOCSTART- -X- -X- O", b"-DOCSTART-x"]))
        return b"\n".join(lines), kind
    if kind == "comment":
        lines.insert(
            i,
            rng.choice(
                [b"# newdoc", b"# newdoc id = x", b"# k = v", b"#", b"# = ", b"# text = a = b"]
            ),
        )
        return b"\n".join(lines), kind
    if kind == "conllu_id":
        fields = lines[i].split(b"\t")
        fields[0] = rng.choice(
            [b"0", b"\xc2\xb2", b"1-1", b"2-1", b"1.1", b"1.", b"-1", b"9" * 30, b"1-99", b"01"]
        )
        lines[i] = b"\t".join(fields)
        return b"\n".join(lines), kind
    # whitespace_field
    sep = b"\t" if b"\t" in lines[i] else b" "
    fields = lines[i].split(sep)
    j = rng.randrange(len(fields))
    w = rng.choice([b" ", b"\t", b"\x0b", b"\x0c"])
    fields[j] = (w + fields[j]) if rng.random() < 0.5 else (fields[j] + w)
    lines[i] = sep.join(fields)
    return b"\n".join(lines), kind


def corpus_case(seed: int) -> dict:
    """``{"reader", "data" (bytes), "mutations"}`` for ``seed``."""
    rng = random.Random(f"corpus-{seed}")
    reader, base = READERS[seed % len(READERS)]
    data = base.encode("utf-8")
    names = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4])):
        data, name = _mutate_text(rng, data)
        names.append(name)
    if rng.random() < 0.5:
        data = data.rstrip(b"\n") if rng.random() < 0.5 else data + b"\n"
    return {"reader": reader, "data": data, "mutations": names}


# ----------------------------------------------------------------------------- model files

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2,
    3,
    7,
    255,
    2**31,
    2**31 - 1,
    2**32 + 1,
    2**53 + 1,
    2**63,
    -(2**63) - 1,
    10**40,
    1.5,
    1e308,
    -1e308,
    1e-320,
    1.5e9,
    "",
    "x",
    "file:/etc/passwd",
    "file:/dev/zero",
    "\x00",
    "<f8",
    ">f8",
    "|O",
    "<U8",
    "<i4",
    "<u8",
    "<f2",
    [],
    [0],
    [2**62],
    [0, 2**62],
    [-1],
    [1, 2, 3],
    {},
    {"a": 1},
    [[[[]]]],
    "B-PER",
    ["B-PER", "B-PER"],
]


def _json_paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _json_paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:50]):
            yield from _json_paths(v, (*prefix, i))


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    if isinstance(obj, list) and value is _DELETE:
        del obj[path[-1]]
    elif isinstance(obj, dict) and value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


_DELETE = object()


def _odd(rng: random.Random, old):
    r = rng.random()
    if r < 0.1:
        return _DELETE
    if r < 0.3 and isinstance(old, (int, float)) and not isinstance(old, bool):
        return rng.choice([old + 1, old - 1, old * 2, -old, old * 10**6, old + 2**32])
    if r < 0.4 and isinstance(old, list):
        return old[: rng.randrange(len(old) + 1)] + old[: rng.randint(0, 2)]
    if r < 0.45:
        deep: list = []
        for _ in range(rng.choice([10, 63, 70])):
            deep = [deep]
        return deep
    return copy.deepcopy(rng.choice(ODD_VALUES))


def _resign(raw: bytes, meta: dict) -> bytes:
    """The file ``raw`` with its container header replaced by ``meta`` (checksum recomputed)."""
    from crftagger.io import container

    pre = container._PREAMBLE
    hlen = pre.unpack(raw[: pre.size])[3]
    start = pre.size + hlen + container._pad(pre.size + hlen)
    payload = raw[start:]
    meta.pop("header_sha256", None)
    meta["header_sha256"] = hashlib.sha256(container._canonical(meta)).hexdigest()
    head = container._canonical(meta)
    out = pre.pack(container.SIGNATURE, 1, 0, len(head)) + head
    return out + b"\0" * container._pad(len(out)) + payload


def _header(raw: bytes) -> dict:
    from crftagger.io import container

    pre = container._PREAMBLE
    hlen = pre.unpack(raw[: pre.size])[3]
    return container.parse_json(raw[pre.size : pre.size + hlen], "<base>")


def model_case(seed: int, base: Path, out: Path) -> str:
    """Write the fuzzed model file for ``seed`` (made from ``base``) to ``out``; return its kind."""
    import numpy as np

    from crftagger.io import container

    rng = random.Random(f"model-{seed}")
    raw = base.read_bytes()
    kind = ["bytes", "truncate", "fields", "arrays", "blocks", "sweep"][seed % 6]
    if kind == "bytes":
        b = bytearray(raw)
        hlen = container._PREAMBLE.unpack(raw[: container._PREAMBLE.size])[3]
        for _ in range(rng.randint(1, 8)):
            j = rng.randrange(len(b)) if rng.random() < 0.5 else rng.randrange(32 + hlen)
            b[j] = rng.randrange(256)
        out.write_bytes(bytes(b))
        return kind
    if kind == "truncate":
        cut = rng.randrange(len(raw))
        out.write_bytes(raw[:cut] + (b"\0" * rng.randint(0, 64) if rng.random() < 0.3 else b""))
        return kind
    if kind == "sweep":  # every header path in turn (one per sweep case), an odd value each time
        meta = _header(raw)
        paths = [p for p in _json_paths(meta) if p and p[-1] != "header_sha256"]
        p = paths[(seed // 6) % len(paths)]
        try:
            _set(meta, p, _odd(rng, _get(meta, p)))
            out.write_bytes(_resign(raw, meta))
        except (KeyError, IndexError, TypeError, ValueError, UnicodeEncodeError):
            out.write_bytes(raw)
            return kind + "-unwritable"
        return kind
    if kind == "blocks":
        meta = _header(raw)
        for _ in range(rng.randint(1, 3)):
            paths = [p for p in _json_paths(meta) if p and p[0] in ("blocks", "payload_nbytes")]
            paths += [p for p in _json_paths(meta) if len(p) == 1]
            p = rng.choice(paths)
            try:
                _set(meta, p, _odd(rng, _get(meta, p)))
            except (KeyError, IndexError, TypeError):
                pass
        try:
            out.write_bytes(_resign(raw, meta))
        except (ValueError, TypeError, UnicodeEncodeError):
            out.write_bytes(raw)
        return kind
    arrays, fields = container.load(base)
    if kind == "fields":
        for _ in range(rng.randint(1, 3)):
            paths = [p for p in _json_paths(fields) if p]
            p = rng.choice(paths)
            try:
                _set(fields, p, _odd(rng, _get(fields, p)))
            except (KeyError, IndexError, TypeError):
                pass
    else:  # arrays: values, dtypes, shapes and string lists changed, all written validly
        names = sorted(arrays)
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(names)
            if name not in arrays:
                continue
            a = arrays[name]
            r = rng.random()
            if isinstance(a, list):
                if r < 0.3:
                    arrays[name] = a[: rng.randrange(len(a) + 1)]
                elif r < 0.6:
                    arrays[name] = a + [rng.choice(["", "x", "\x00", "B-X", a[0] if a else "y"])]
                else:
                    arrays[name] = list(reversed(a))
            elif r < 0.25:
                del arrays[name]
            elif r < 0.5 and a.size:
                flat = a.reshape(-1).copy()
                v = rng.choice([-1, 2**31 - 1, 10**6, 0, 1, -(2**31)])
                if flat.dtype.kind == "f":
                    v = rng.choice([float("nan"), float("inf"), 1e308, -1e308, 0.0, 1e15])
                elif flat.dtype.kind == "b":
                    v = not flat[0]
                with np.errstate(all="ignore"):
                    flat[rng.randrange(flat.size)] = np.array(v).astype(flat.dtype)
                arrays[name] = flat.reshape(a.shape)
            elif r < 0.7:
                dt = rng.choice(["<i4", "<i8", "<f8", "<f4", "<u1", "|b1", "<u8", "<i2"])
                with np.errstate(all="ignore"):
                    arrays[name] = a.astype(dt)
            elif r < 0.85:
                arrays[name] = a.reshape(-1)[: rng.randrange(a.size + 1)]
            else:
                arrays[name] = np.concatenate([a.reshape(-1), a.reshape(-1)[:3]])
    try:
        container.save(out, arrays, fields)
    except Exception:  # the writer refuses what it cannot write: keep the base file
        out.write_bytes(raw)
        return kind + "-unwritable"
    return kind


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def crfsuite_case(seed: int, base: Path, out: Path) -> str:
    """Write a mutated copy of the CRFsuite file ``base`` to ``out``; return the mutation kind."""
    rng = random.Random(f"crfsuite-{seed}")
    raw = bytearray(base.read_bytes())
    kind = ["truncate", "bytes", "words", "header", "extend"][seed % 5]
    if kind == "truncate":
        out.write_bytes(bytes(raw[: rng.randrange(len(raw))]))
        return kind
    if kind == "bytes":
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
    elif kind == "words":  # a 32-bit little-endian word set to an odd value
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(0, len(raw) - 4) & ~3
            v = rng.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, len(raw), len(raw) + 4, 12])
            raw[j : j + 4] = v.to_bytes(4, "little")
    elif kind == "header":  # the first 64 bytes hold the file's offsets and counts
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(4, 64)
            raw[j] = rng.randrange(256)
    else:
        raw += bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    out.write_bytes(bytes(raw))
    return kind


# ----------------------------------------------------------------------------- API inputs

ODD_TOKENS = [
    "",
    " ",
    "a b",
    "\t",
    "\n",
    "\x00",
    "x" * 100_000,
    "é" * 5000,
    "\u202e\u05d0",
    "\U0001f600",
    "\ud800",
    "²",
    "\u2028",
    "-DOCSTART-",
    "B-PER",
]
ODD_ANY = [
    None,
    0,
    -1,
    10**400,
    float("nan"),
    float("inf"),
    1e308,
    b"bytes",
    b"\xff",
    [],
    [[]],
    [[[]]],
    {},
    {"a": 1},
    "",
    "word",
    ("a", "b"),
    object(),
    True,
]


def api_case(seed: int):
    """``(call, args)``: which API to call and a random odd input built from the seed."""
    rng = random.Random(f"api-{seed}")
    call = ["tag", "tag", "tag_batch", "marginals", "nbest", "parse", "spans", "fit", "predict"][
        seed % 9
    ]
    if call in ("tag", "marginals", "spans"):
        return call, _odd_sentence(rng)
    if call == "tag_batch":
        return call, [_odd_sentence(rng) for _ in range(rng.randint(0, 3))]
    if call == "nbest":
        return call, (_odd_sentence(rng), rng.choice([0, 1, 5, -1, 10**9, 2.5, None, "3", True]))
    if call == "parse":
        return call, rng.choice(
            [
                "Call Ana now.",
                "",
                " \n ",
                "x" * 50_000,
                "\x00\x00",
                "\ud800 a",
                None,
                b"bytes",
                "Ana\u2028Oslo\u202e.",
                "a " * 20000,
                123,
            ]
        )
    if call == "fit":
        return call, (_odd_xseq(rng), _odd_yseq(rng))
    return call, _odd_xseq(rng)


def _odd_sentence(rng: random.Random):
    r = rng.random()
    if r < 0.2:
        return rng.choice(ODD_ANY)
    toks = []
    for _ in range(rng.choice([0, 1, 2, 3, 5, 50, 2000])):
        toks.append(rng.choice(ODD_TOKENS) if rng.random() < 0.3 else rng.choice(["Ana", "now"]))
    if r < 0.35 and toks:
        toks[rng.randrange(len(toks))] = rng.choice(ODD_ANY)
    return toks


def _odd_item(rng: random.Random):
    r = rng.random()
    if r < 0.5:
        return {"w:" + rng.choice(["a", "b"]): 1.0, "bias": 1.0}
    if r < 0.6:
        return rng.choice(["a", "b", "w:a"])
    if r < 0.7:
        return [rng.choice(["a", "b"])]
    key = rng.choice(["a", "", "\x00", "é", "x" * 10000, b"k", b"\xff", 1, None])
    val = rng.choice(
        [
            1.0,
            0,
            -1,
            1e50,
            1e30,
            float("nan"),
            10**400,
            "s",
            b"v",
            b"\xff",
            {"n": 2.0},
            [1],
            None,
            True,
        ]
    )
    return {key: val}


def _odd_xseq(rng: random.Random):
    if rng.random() < 0.1:
        return rng.choice(ODD_ANY)
    return [[_odd_item(rng) for _ in range(rng.randint(0, 4))] for _ in range(rng.randint(0, 4))]


def _odd_yseq(rng: random.Random):
    if rng.random() < 0.1:
        return rng.choice(ODD_ANY)
    labels = ["O", "N", "", "\x00", "a b", None, 1, b"N", "é"]
    return [
        [rng.choice(labels) if rng.random() < 0.1 else rng.choice(["O", "N"]) for _ in range(4)]
        for _ in range(rng.randint(0, 4))
    ]


# ----------------------------------------------------------------------------- CLI arguments


def cli_case(seed: int, files: dict) -> tuple[list[str], bytes]:
    """``(argv, stdin bytes)`` for ``crftagger tag/train/evaluate/convert/inspect``."""
    rng = random.Random(f"cli-{seed}")
    cmd = ["tag", "tag", "train", "evaluate", "convert", "inspect"][seed % 6]
    path = lambda: rng.choice(  # noqa: E731
        [
            files["model"],
            files["conll"],
            files["bio"],
            files["conllu"],
            files["garbage"],
            files["missing"],
            files["folder"],
            files["empty"],
            "-",
            "/dev/null",
            "",
        ]
    )
    odd = lambda: rng.choice(  # noqa: E731
        [
            "0",
            "-1",
            "1",
            "3",
            "1e9",
            "nan",
            "inf",
            "x",
            "",
            "\x00",
            "-",
            "--",
            "99999999999999999999",
            "é",
            "a,b",
            "word,pos",
            "ner",
            "iob2",
            "bioes",
            "tag",
            "upos",
        ]
    )
    argv = [cmd]
    opts = {
        "tag": [
            "-m",
            "--input-format",
            "--output-format",
            "--whole-file",
            "--columns",
            "--doc-column",
            "--spans",
            "--output-scheme",
            "--marginals",
            "--nbest",
            "--feature-set",
            "--batch-size",
            "--o-bias",
        ],
        "train": [
            "--format",
            "--label",
            "-o",
            "--task",
            "--columns",
            "--label-column",
            "--feature-set",
            "--scheme",
            "--train-scheme",
            "--dev",
            "--dev-fraction",
            "--limit",
            "--order",
            "--engine",
            "--algorithm",
            "--c1",
            "--c2",
            "--epsilon",
            "--min-freq",
            "--all-possible-states",
            "--memory-budget",
            "--work-budget",
            "--no-column-check",
        ],
        "evaluate": [
            "-d",
            "-r",
            "-o",
            "--strict",
            "--scheme",
            "--conlleval-pl",
            "--docstart",
            "--labels",
            "--confusion",
            "-m",
            "--columns",
            "--label-column",
            "--format",
            "--limit",
        ],
        "convert": ["--from", "--to", "--column", "-d", "--repair", "--lossy-ok", "-o"],
        "inspect": ["--top", "--explain", "--position", "--labels-shown", "--feature-set"],
    }[cmd]
    flags = {
        "--whole-file",
        "--spans",
        "--marginals",
        "--all-possible-states",
        "--no-column-check",
        "-r",
        "--strict",
        "--conlleval-pl",
        "--labels",
        "--confusion",
        "--lossy-ok",
    }
    choices = {
        "--input-format": ["text", "tokens", "conll", "conllu", "jsonl"],
        "--output-format": ["inline", "tags", "conll", "jsonl"],
        "--format": ["auto", "conll", "conllu"],
        "--engine": ["numba", "crfsuite"],
        "--algorithm": ["lbfgs", "l2sgd", "ap", "pa", "arow"],
        "--from": ["bilou", "bioes", "iob1", "iob2", "conlleval"],
        "--to": ["bilou", "bioes", "io", "iob2"],
        "--repair": ["error", "begin", "outside"],
        "--docstart": ["token", "boundary"],
        "--label": ["upos", "xpos"],
        "--task": ["tag", "slots"],
        "--feature-set": ["pii", "ner", "pos", "chunk", "basic", "nope"],
        "--columns": ["word,ner", "word,pos,chunk,ner", "word,tag", "word", "a,a"],
        "-o": [files["out"], files["folder"], files["readonly"] + "/m.crftagger", "/dev/full"],
    }
    if cmd == "train":
        argv += [path() for _ in range(rng.randint(0, 2))]
        argv += ["--max-iterations", str(rng.choice([0, 1, 3, -1])), "-o", files["out"]]
    elif cmd in ("tag", "inspect"):
        if rng.random() < 0.9:
            argv += ["-m" if cmd == "tag" else "", files["model"] if rng.random() < 0.8 else path()]
            argv = [a for a in argv if a]
        if cmd == "tag" and rng.random() < 0.6:
            argv.append(path())
    else:
        if rng.random() < 0.8:
            argv.append(path())
    for _ in range(rng.randint(0, 4)):
        o = rng.choice(opts)
        argv.append(o)
        if o in flags:
            continue
        if o in choices and rng.random() < 0.8:
            argv.append(rng.choice(choices[o]))
        elif o not in ("-m",):
            argv.append(odd())
        else:
            argv.append(path())
    stdin = rng.choice(
        [
            CONLL.encode(),
            BIO.encode(),
            CONLLU.encode(),
            TOKENS.encode(),
            b'["Call", "Ana"]\n{"tokens": ["x"]}\n',
            b"\xff\xfe bad",
            b"",
            b"a\rb\rc",
            b"\x00" * 10,
        ]
    )
    return argv, stdin


def case_json(obj) -> str:
    return json.dumps(obj)
