"""``crftagger tag``: tag text with a trained model, streaming from a file or stdin.

Input formats (``--input-format``):

``text``
    raw text, one document per line (``--whole-file``: the whole input is
    one document); the model's tokeniser splits it into sentences and
    tokens with character offsets (:mod:`crftagger.text`).
``tokens`` (default)
    one sentence per line, tokens separated by white space; an empty line
    is an empty sentence (answered by an empty line).
``conll``
    one token per line, columns separated by white space (the token first,
    then the columns the feature set reads, named by ``--columns``); a blank
    line ends a sentence. Every token line must have as many columns as the
    first one. A ``-DOCSTART-`` line opens a document (so document-level
    features see the same documents as ``evaluate`` does) and is written
    back with an ``O`` tag; ``--doc-column NAME`` names a column of
    ``--columns`` that holds a document id instead.
``conllu``
    CoNLL-U (``# newdoc`` opens a document); the answers are written as a
    tag column appended to each word line.
``jsonl``
    one JSON value per line: a list of tokens, or an object with ``"tokens"``,
    any extra columns (``{"tokens": [...], "pos": [...]}``) and optionally
    ``"doc_id"``.

Output (``--output-format``; default ``jsonl`` for text and JSON lines,
``inline`` for tokens, ``conll`` for CoNLL and CoNLL-U): ``jsonl`` writes an
object per document (text: ``text``, ``tokens`` with ``start``/``end``
character offsets and tags, ``sentences``, ``spans`` with label, character
and token offsets, text and confidence) or per sentence (``tokens``,
``tags`` and, with ``--spans``, ``spans``); ``inline`` writes text with
spans bracketed (``[PER Barack Obama] visited ...``) for text input and
``token/TAG`` pairs for tokens; ``tags`` only the tags; ``conll`` one token
per line with its tag. With ``--spans`` and a sentence text output, each
sentence is followed by one line per span:
``#span<TAB>start<TAB>end<TAB>type<TAB>confidence<TAB>text`` (end-exclusive
token offsets; confidence = probability of exactly that span).

Tags come out in IOB2 (``--output-scheme`` for another), whatever scheme the
training corpus used. ``--marginals`` adds every label's probability per
token (the model's labels), ``--nbest K`` the K best taggings of each
sentence with their probabilities (``conll`` output: ``# k probability``
before each, as ``crf_test -n``; ``-n K`` too). ``-v1`` (as ``crf_test -v1``) adds the
probability of each sentence's tagging and of each token's tag, ``-v2`` every label's as well.
``--force-column`` names a column of labels to force (``_`` free), as ``wapiti label --force``.

Sentences are read and answered in batches (``--batch-size``, whole
documents at a time), so a large input streams through in bounded memory.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from crftagger.errors import TagInputError


@dataclass
class Item:
    """A sentence to tag, or a line to write back as it is (``raw`` without tokens)."""

    tokens: list[str] | None
    columns: dict = field(default_factory=dict)
    raw: list[str] | None = None
    line: int = 0
    doc_id: str | None = None
    passthrough: str | None = None


_FIELD_SEP = re.compile(r"[ \t\f\v]+")


def split_fields(line: str, name: str, lineno: int) -> list[str]:
    """Fields of a token line: separated by runs of ASCII white space (spaces, tabs, form
    feeds), so a token keeps any other character (no-break spaces, U+2028, control
    characters); the line end (LF or CR LF) is removed and a carriage return elsewhere is
    refused."""
    text = line.removesuffix("\n").removesuffix("\r")
    cr = text.find("\r")
    if cr >= 0:
        raise TagInputError(
            f"{name}:{lineno}: carriage return inside a line: found a CR at character {cr + 1} "
            "(a file with CR-only line ends reads as one line); expected lines that end in LF "
            "or CR LF"
        )
    text = text.strip(" \t\f\v")
    return _FIELD_SEP.split(text) if text else []


def read_tokens(lines: Iterable[str], name: str) -> Iterator[Item]:
    for lineno, line in enumerate(lines, 1):
        yield Item(split_fields(line, name, lineno), line=lineno)


def read_conll_stream(
    lines: Iterable[str], name: str, columns: list[str], doc_column: str | None = None
) -> Iterator[Item]:
    """Sentences of a CoNLL stream, with ``-DOCSTART-`` lines passed through as document boundaries."""
    from crftagger.corpora.conll import DOCSTART, is_docstart

    n_fields = first = None
    start = 0
    doc_id: str | None = None
    n_docs = 0
    toks: list[str] = []
    cols: dict[str, list[str]] = {}
    raw: list[str] = []
    doc_index = columns.index(doc_column) if doc_column else None
    dcol: str = doc_column or ""

    def sentence() -> Item:
        did = doc_id
        if doc_index is not None:
            did = cols.pop(dcol)[0]
        return Item(toks, cols, raw, start, did)

    for lineno, line in enumerate(lines, 1):
        fields = split_fields(line, name, lineno)
        line = line.removesuffix("\n").removesuffix("\r")
        if not fields:
            if toks:
                yield sentence()
                toks, cols, raw = [], {}, []
            continue
        if fields[0] == DOCSTART and is_docstart(line.strip(" \t\f\v")):
            if toks:
                yield sentence()
                toks, cols, raw = [], {}, []
            doc_id = f"doc-{n_docs}"
            n_docs += 1
            yield Item(None, line=lineno, passthrough=line)
            continue
        if not toks:
            start = lineno
        if n_fields is None:
            n_fields, first = len(fields), lineno
            if columns and len(columns) > n_fields:
                raise TagInputError(
                    f"{name}:{lineno}: found {n_fields} fields; --columns names {len(columns)} "
                    f"({','.join(columns)})"
                )
        elif len(fields) != n_fields:
            raise TagInputError(
                f"{name}:{lineno}: found {len(fields)} fields; expected {n_fields} as on line {first} "
                "(every token line has the same number of columns)"
            )
        if doc_index is not None and toks and fields[doc_index] != cols[dcol][0]:
            raise TagInputError(
                f"{name}:{lineno}: document id {fields[doc_index]!r} changes inside a sentence "
                f"(the sentence started on line {start} in document {cols[dcol][0]!r})"
            )
        toks.append(fields[0])
        for i, c in enumerate(columns[1:], 1):
            cols.setdefault(c, []).append(fields[i])
        raw.append(line)
    if toks:
        yield sentence()


def read_conllu_stream(lines: Iterable[str], name: str) -> Iterator[Item]:
    """Sentences of a CoNLL-U stream (:func:`crftagger.corpora.conllu.iter_sentences`), each
    with its comment, range and empty-node lines to write back as they are."""
    from crftagger.corpora.conllu import iter_sentences

    for sent, raw in iter_sentences(lines, name, with_lines=True):
        yield Item(sent.tokens, {}, list(raw), sent.line or 0, sent.doc_id)


def read_jsonl(lines: Iterable[str], name: str) -> Iterator[Item]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise TagInputError(f"{name}:{lineno}: not valid JSON ({exc})") from None
        doc_id = None
        if isinstance(obj, dict):
            toks = obj.get("tokens")
            doc_id = obj.get("doc_id")
            if doc_id is not None and not isinstance(doc_id, (str, int)):
                raise TagInputError(
                    f"{name}:{lineno}: doc_id must be a string or an integer, found {doc_id!r}"
                )
            extra = {k: v for k, v in obj.items() if k != "tokens" and isinstance(v, list)}
        else:
            toks, extra = obj, {}
        if not isinstance(toks, list) or not all(isinstance(t, str) for t in toks):
            raise TagInputError(
                f'{name}:{lineno}: expected a list of token strings or an object with "tokens", '
                f"found {line.strip()[:60]!r}"
            )
        for k, v in extra.items():
            if len(v) != len(toks):
                raise TagInputError(
                    f"{name}:{lineno}: column {k!r} has {len(v)} values for {len(toks)} tokens"
                )
        yield Item(toks, extra, None, lineno, None if doc_id is None else str(doc_id))


def _batches(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    """Batches of about ``size`` sentences that never cut a document in two."""
    batch: list[Item] = []
    n = 0
    last = None
    for it in items:
        boundary = it.doc_id is None or it.doc_id != last or it.tokens is None
        if n >= size and boundary:
            yield batch
            batch, n = [], 0
        batch.append(it)
        if it.tokens is not None:
            n += 1
            last = it.doc_id
        else:
            last = None
    if batch:
        yield batch


#: What a forced-label column holds for a free token (decoded as usual).
FREE_LABELS = ("_", "")


def _check_output(input_format, output_format, marginals, nbest):
    text_outputs = {
        "text": ("jsonl", "inline", "conll"),
        "tokens": ("inline", "tags", "jsonl"),
        "jsonl": ("jsonl", "inline", "tags"),
        "conll": ("conll", "jsonl", "inline", "tags"),
        "conllu": ("conll", "jsonl", "inline", "tags"),
    }[input_format]
    if output_format not in text_outputs:
        raise TagInputError(
            f"--output-format {output_format} does not go with --input-format {input_format}; "
            f"expected one of {', '.join(text_outputs)}"
        )
    if (marginals or nbest) and output_format in ("inline", "tags"):
        raise TagInputError(
            f"--marginals, --nbest and -v are written in the jsonl and conll outputs, not "
            f"{output_format}"
        )


def tag_stream(
    tagger,
    lines: Iterable[str],
    out,
    *,
    name: str = "<stdin>",
    input_format: str = "tokens",
    output_format: str | None = None,
    columns: list[str] | None = None,
    spans: bool = False,
    batch_size: int = 256,
    output_scheme: str | None = None,
    marginals: bool = False,
    nbest: int = 0,
    whole_file: bool = False,
    doc_column: str | None = None,
    force_column: str | int | None = None,
    verbose: int = 0,
) -> int:
    """Tag every sentence (or document) of ``lines`` and write the answers to ``out``; return the count.

    ``force_column`` (a column name, or its 1-based position with the token
    as column 1; CoNLL and JSON-lines input) holds labels to force, ``_``
    for a free token. ``verbose`` is CRF++'s ``-v``: 1 adds the probability
    of each sentence's tagging and of each token's tag, 2 also every label's
    marginal (``marginals``).
    """
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise TagInputError(f"-v: found {verbose!r}; expected 0, 1 or 2")
    if verbose == 2:
        marginals = True
    if output_format is None:
        output_format = {
            "text": "jsonl",
            "tokens": "inline",
            "conll": "conll",
            "conllu": "conll",
            "jsonl": "jsonl",
        }[input_format]
    _check_output(input_format, output_format, marginals or verbose, nbest)
    if isinstance(nbest, bool) or not isinstance(nbest, int) or nbest < 0:
        raise TagInputError(f"--nbest: expected a positive number of taggings, found {nbest!r}")
    from crftagger.decode.constrained import MAX_NBEST

    if nbest > MAX_NBEST:
        raise TagInputError(f"--nbest: found {nbest}; expected at most {MAX_NBEST} taggings")
    # a Pipeline answers through its last tagger and reads words only
    final = getattr(tagger, "final", tagger)
    if final is not tagger and (marginals or nbest or verbose or force_column is not None):
        raise TagInputError(
            "--marginals, --nbest, -v and --force-column are answered by a single tagger, "
            "not a pipeline"
        )
    if force_column is not None:
        if input_format not in ("conll", "jsonl"):
            raise TagInputError(
                f"--force-column reads a column of CoNLL or JSON-lines input, not {input_format}"
            )
        if marginals and verbose != 2:
            raise TagInputError(
                "--marginals are the model's probabilities without forced labels; they do not "
                "go with --force-column (-v1 gives the probabilities given the forced labels)"
            )
        if verbose == 2:
            raise TagInputError(
                "-v2 writes the model's marginals, which do not take forced labels into account; "
                "with --force-column use -v1"
            )
    if output_scheme is not None:
        from crftagger.errors import TaggerError

        try:
            final.output_scheme = output_scheme
        except TaggerError as exc:
            raise TagInputError(f"--output-scheme: {exc}") from None
    spans = spans and bool(final.constraints.span_labels)
    needed = list(tagger.feature_set.columns) if final is tagger else []
    conllu_field = None
    if input_format == "conllu":
        if marginals:
            raise TagInputError("--marginals with CoNLL-U input: use --output-format jsonl")
        conllu_field = {"upos": 3, "xpos": 4}.get(final.info.get("label_column"), 9)
    if input_format == "text":
        if verbose:
            raise TagInputError(
                "-v with --input-format text: use --marginals, or tokenised input (-f tokens, "
                "conll or jsonl)"
            )
        return _tag_texts(
            tagger, lines, out, name, output_format, batch_size, marginals, nbest, whole_file
        )
    if doc_column and input_format != "conll":
        raise TagInputError("--doc-column goes with --input-format conll")
    force = None
    if input_format == "conll":
        cols = list(columns or ["word", *needed])
        if force_column is not None:
            force, cols = _force_name(force_column, cols, needed)
        if doc_column and doc_column not in cols[1:]:
            raise TagInputError(
                f"--doc-column {doc_column!r} is not one of the --columns {','.join(cols)}"
            )
        reader = read_conll_stream(lines, name, cols, doc_column)
    elif input_format == "conllu":
        if needed:
            raise TagInputError(
                f"{name}: the model reads the column(s) {', '.join(needed)} besides the words; "
                "CoNLL-U input gives the words only"
            )
        reader = read_conllu_stream(lines, name)
    elif input_format == "jsonl":
        if force_column is not None:
            if not isinstance(force_column, str) or force_column.isdigit():
                raise TagInputError(
                    f"--force-column {force_column}: JSON-lines input names its columns; expected "
                    'the key of the forced labels (e.g. {"tokens": [...], "forced": [...]})'
                )
            force = force_column
        reader = read_jsonl(lines, name)
    else:
        if needed:
            raise TagInputError(
                f"{name}: the model reads the input column(s) {', '.join(needed)} besides the words, "
                f"which plain token lines do not have; give them with --input-format conll "
                f"--columns word,{','.join(needed)} or --input-format jsonl "
                f'(objects with "tokens" and {", ".join(repr(c) for c in needed)})'
            )
        reader = read_tokens(lines, name)
    n = 0
    for batch in _batches(reader, batch_size):
        items = [it for it in batch if it.tokens is not None]
        answers = _answer(tagger, items, name, n, spans, marginals, nbest, needed, force, verbose)
        k = 0
        for it in batch:
            if it.tokens is None:
                if output_format == "conll" and it.passthrough is not None:
                    sep = "\t" if "\t" in it.passthrough else " "
                    out.write(f"{it.passthrough}{sep}O\n\n")
                elif output_format == "jsonl" and it.passthrough is not None:
                    out.write(json.dumps({"docstart": it.passthrough}) + "\n")
                continue
            tags, found, marg, best, conf = answers[k]
            _write(out, output_format, it, tags, found, marg, best, conllu_field, conf)
            k += 1
        n += len(items)
        out.flush()
    return n


def _force_name(force_column, cols: list[str], needed) -> tuple[str, list[str]]:
    """The column name of ``--force-column`` (a name of ``cols`` or a 1-based position, the
    token being column 1) and the columns to read (unnamed ones added up to it)."""
    text = str(force_column)
    if text.isdigit():
        pos = int(text)
        if pos < 2:
            raise TagInputError(
                f"--force-column {text}: column 1 holds the tokens; expected the position of the "
                "forced-label column (2 or more), counting the token as column 1"
            )
        cols = cols + [f"column{j}" for j in range(len(cols) + 1, pos + 1)]
        return cols[pos - 1], cols
    if text not in cols[1:]:
        raise TagInputError(
            f"--force-column {text!r} is not one of the --columns {','.join(cols)} (or give its "
            "position, the token being column 1)"
        )
    if text in needed:
        raise TagInputError(
            f"--force-column {text!r} is a column the model reads as a feature; expected a column "
            "of labels to force"
        )
    return text, cols


def _forced(it: Item, force: str, name: str) -> dict[int, str]:
    """``{position: label}`` of the forced labels of a sentence (``_`` or empty: free; no
    such key in a JSON line: all free)."""
    values = it.columns.pop(force, None)
    if values is None:  # a JSON line without the key: every token free
        return {}
    if not all(isinstance(v, str) for v in values):
        raise TagInputError(f"{name}:{it.line}: the forced labels {force!r} must be strings")
    return {i: v for i, v in enumerate(values) if v not in FREE_LABELS}


def _answer(tagger, items, name, n, spans, marginals, nbest, needed, force=None, verbose=0):
    """``(tags, spans or None, marginals or None, nbest or None, confidence or None)`` of every
    sentence item; the confidence (``verbose``) is ``(p(tagging), [p(tag) per token])``."""
    from crftagger.api.tagger import TaggerInputError
    from crftagger.corpora import Sentence
    from crftagger.errors import DecodingError
    from crftagger.features.extractor import FeatureInputError

    fixed = [_forced(it, force, name) for it in items] if force is not None else None
    sents = [
        Sentence(tokens=it.tokens, columns=it.columns, doc_id=it.doc_id)
        if it.columns or needed or it.doc_id is not None
        else it.tokens
        for it in items
    ]
    k = 0
    try:
        if fixed is not None and any(fixed):
            tags, found, best, conf = [], [], [], []
            for k in range(len(sents)):
                s, fx = sents[k], fixed[k]
                tags.append(tagger.tag(s, fixed=fx or None) if len(s) else [])
                found.append(tagger.spans(s, fixed=fx or None) if spans and len(s) else None)
                best.append(tagger.nbest(s, nbest, fixed=fx or None) if nbest and len(s) else [])
                conf.append(_confidence(tagger, s, fx or None) if verbose else None)
            marg = [None] * len(sents)
            best_or_none = best if nbest else [None] * len(sents)
            return list(zip(tags, found, marg, best_or_none, conf, strict=True))
        k = 0
        if spans and sents:  # tags and spans from one decoding
            pairs = tagger._annotate(sents)
            tags, found = [t for t, _f in pairs], [f for _t, f in pairs]
        else:
            tags, found = (tagger.tag(sents) if sents else []), [None] * len(sents)
        marg = _marginals(tagger, sents) if marginals and sents else [None] * len(sents)
        best = [tagger.nbest(s, nbest) if s and len(s) else [] for s in sents] if nbest else None
        conf = [_confidence(tagger, s) for s in sents] if verbose else [None] * len(sents)
    except DecodingError as exc:
        raise TagInputError(
            f"{name}:{items[k].line}: sentence {n + k + 1}: the forced labels "
            f"{fixed[k] if fixed else {}}: {exc}"
        ) from None
    except (TaggerInputError, FeatureInputError) as exc:
        j, detail = _sentence_of(exc)
        j = k if fixed is not None and any(fixed) else min(j, len(items) - 1)
        raise TagInputError(f"{name}:{items[j].line}: sentence {n + j + 1}: {detail}") from None
    best = best if best is not None else [None] * len(sents)
    return list(zip(tags, found, marg, best, conf, strict=True))


def _confidence(tagger, sentence, fixed=None) -> tuple[float, list[float]] | None:
    """CRF++'s ``-v1``: the probability of the best tagging and each token's marginal of its
    tag (given the ``fixed`` labels, when any), or None for an empty sentence."""
    if not len(sentence):
        return None
    lat = tagger._lattice(sentence, fixed)
    path, _score = lat.best()
    (_p, _s, prob), *_rest = lat.kbest(1)
    m = lat.marginals()
    return float(prob), [float(m[t, j]) for t, j in enumerate(path.tolist())]


def _sentence_of(exc) -> tuple[int, str]:
    """The sentence index an input error names within its batch (0 when it names none)
    and the rest of its message."""
    import re

    text = str(exc)
    m = re.match(r"sentence (\d+)(: |, )?", text)
    if not m:
        return 0, text
    return int(m.group(1)), text[m.end() :] if m.group(2) else text


def _marginals(tagger, sents) -> list[list[tuple[str, dict]]]:
    """Per sentence, per token: the model label on the best path and every model label's marginal."""
    rows = tagger.marginals(sents)
    best = tagger.tag(sents, output_scheme=None)
    return [list(zip(b, r, strict=True)) for b, r in zip(best, rows, strict=True)]


def _marginal_rows(marg) -> list[dict]:
    return [{lab: round(p, 6) for lab, p in row.items()} for _best, row in marg]


def _write(out, fmt: str, it: Item, tags, spans, marg, best, conllu_field=None, conf=None) -> None:
    toks = it.tokens
    if fmt == "jsonl":
        obj: dict = {"tokens": toks, "tags": tags}
        if it.doc_id is not None:
            obj["doc_id"] = it.doc_id
        if spans is not None:
            obj["spans"] = [
                {
                    "type": s.type,
                    "start": s.start,
                    "end": s.end,
                    "confidence": round(s.confidence, 6),
                    "text": s.text,
                }
                for s in spans
            ]
        if marg is not None:
            obj["marginals"] = _marginal_rows(marg)
        if best is not None:
            obj["nbest"] = [{"tags": c.tags, "probability": round(c.probability, 6)} for c in best]
        if conf is not None:
            obj["probability"] = round(conf[0], 6)
            obj["confidences"] = [round(p, 6) for p in conf[1]]
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    if fmt == "conll":
        raw = it.raw if it.raw is not None else list(toks or [])
        _write_conll(out, raw, tags, marg, best, conllu_field, conf)
    elif fmt == "tags":
        out.write(" ".join(tags) + "\n")
    else:
        out.write(" ".join(f"{t}/{g}" for t, g in zip(toks or [], tags, strict=True)) + "\n")
    if spans is not None:
        for s in spans:
            out.write(f"#span\t{s.start}\t{s.end}\t{s.type}\t{s.confidence:.6f}\t{s.text}\n")
    if fmt == "conll":
        out.write("\n")


def _write_conll(out, raw: list[str], tags, marg, best, conllu_field=None, conf=None) -> None:
    """Token lines with a tag column; CoNLL-U word lines get the tag in field ``conllu_field``
    (UPOS, XPOS, or ``Tag=`` in MISC), ranges and empty nodes are written as read. With
    ``conf`` (``-v1``, as ``crf_test -v1``): a ``# probability`` line first and ``tag/p``."""
    words = [line for line in raw if conllu_field is None or _is_conllu_word(line)]
    if conf is not None and best is None:
        out.write(f"# {conf[0]:.6f}\n")
        if marg is None and conllu_field is None:
            tags = [f"{t}/{p:.6f}" for t, p in zip(tags, conf[1], strict=True)]
    if best is not None:
        for k, cand in enumerate(best):
            out.write(f"# {k} {cand.probability:.6f}\n")
            _conll_lines(out, raw, cand.tags, None, conllu_field)
            if k + 1 < len(best):
                out.write("\n")
        return
    if len(words) != len(tags):  # pragma: no cover - the readers keep them aligned
        raise TagInputError(f"{len(words)} token lines for {len(tags)} tags")
    _conll_lines(out, raw, tags, marg, conllu_field)


def _conll_lines(out, raw, tags, marg, conllu_field=None) -> None:
    k = 0
    for line in raw:
        sep = "\t" if "\t" in line else " "
        if conllu_field is not None:
            fields = line.split("\t")
            if _is_conllu_word(line):
                if conllu_field == 9:
                    misc = [] if fields[9] == "_" else fields[9].split("|")
                    misc = [m for m in misc if not m.startswith("Tag=")]
                    fields[9] = "|".join([*misc, f"Tag={tags[k]}"])
                else:
                    fields[conllu_field] = tags[k]
                k += 1
            out.write("\t".join(fields) + "\n")
            continue
        tag = tags[k]
        if marg is not None:
            best, row = marg[k]
            cells = [f"{tag}/{row[best]:.6f}"] + [f"{lab}/{p:.6f}" for lab, p in row.items()]
            out.write(f"{line}{sep}{sep.join(cells)}\n")
        else:
            out.write(f"{line}{sep}{tag}\n")
        k += 1


def _is_conllu_word(line: str) -> bool:
    """A CoNLL-U word line (not a comment, a multiword range or an empty node)."""
    if line.startswith("#"):
        return False
    tid = line.split("\t", 1)[0]
    return "-" not in tid and "." not in tid


# --------------------------------------------------------------------------- raw text


def _documents(lines: Iterable[str], name: str, whole_file: bool) -> Iterator[tuple[int, str]]:
    if whole_file:
        yield 1, "".join(lines)
        return
    for lineno, line in enumerate(lines, 1):
        yield lineno, line.rstrip("\n").removesuffix("\r")


def _tag_texts(tagger, lines, out, name, fmt, batch_size, marginals, nbest, whole_file) -> int:
    from crftagger.errors import TaggerError

    written = [0]
    pending: list[tuple[int, str]] = []

    def flush():
        try:
            docs = tagger._docs([t for _l, t in pending])
        except TaggerError as exc:
            raise TagInputError(f"{name}:{pending[0][0]}: {exc}") from None
        for (lineno, _t), doc in zip(pending, docs, strict=True):
            _write_doc(out, fmt, tagger, doc, marginals, nbest, lineno, whole_file, written[0])
            written[0] += 1
        out.flush()

    # a batch of documents holds about batch_size sentences
    for lineno, text in _documents(lines, name, whole_file):
        pending.append((lineno, text))
        if len(pending) >= max(1, batch_size // 8):
            flush()
            pending = []
    if pending:
        flush()
    return written[0]


def _write_doc(out, fmt, tagger, doc, marginals, nbest, lineno, whole_file, index) -> None:
    extra_m = extra_n = None
    if marginals or nbest:
        sents = [[t.text for t in toks] for toks in doc.sentence_tokens()]
        if marginals:
            extra_m = _marginals(tagger, sents) if sents else []
        if nbest:
            extra_n = [tagger.nbest(s, nbest) for s in sents]
    if fmt == "jsonl":
        obj = doc.to_dict()
        if not whole_file:
            obj = {"line": lineno, **obj}
        for s in obj["spans"]:
            s["confidence"] = round(s["confidence"], 6)
        if extra_m is not None:
            rows = [r for sent in extra_m for r in _marginal_rows(sent)]
            for tok, row in zip(obj["tokens"], rows, strict=True):
                tok["marginals"] = row
        if extra_n is not None:
            for sent, cands in zip(obj["sentences"], extra_n, strict=True):
                sent["nbest"] = [
                    {"tags": c.tags, "probability": round(c.probability, 6)} for c in cands
                ]
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    if fmt == "inline":
        out.write(doc.inline() + ("" if whole_file else "\n"))
        return
    # conll: a -DOCSTART- line between documents (conlleval reads it as a boundary)
    if index > 0:
        out.write("-DOCSTART-\tO\n\n")
    for j, toks in enumerate(doc.sentence_tokens()):
        raw = [f"{t.text}\t{t.start}\t{t.end}" for t in toks]
        _write_conll(
            out,
            raw,
            [t.tag for t in toks],
            extra_m[j] if extra_m is not None else None,
            extra_n[j] if extra_n is not None else None,
        )
        out.write("\n")


# --------------------------------------------------------------------------- command


def _read_lines(fh, name: str) -> Iterator[str]:
    """Lines of a binary stream decoded as UTF-8, an invalid byte named by line and column."""
    for lineno, raw in enumerate(fh, 1):
        if isinstance(raw, str):  # a text stream (already decoded)
            yield raw
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TagInputError(
                f"{name}:{lineno}: byte {raw[exc.start : exc.start + 1]!r} at column "
                f"{exc.start + 1} is not UTF-8 text; expected UTF-8"
            ) from None


def load_model(path, feature_set=None):
    """A tagger (or pipeline) from a crftagger model file, or from a CRFsuite file with ``feature_set``."""
    try:
        from crftagger.io.open import open_tagger
    except ImportError:  # pragma: no cover - older layouts
        from crftagger.api.tagger import Tagger

        return Tagger.load(path)
    return open_tagger(path, feature_set=feature_set)


def run(args) -> int:
    tagger = load_model(args.model, getattr(args, "feature_set", None))
    if args.o_bias is not None:
        getattr(tagger, "final", tagger).o_bias = args.o_bias
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    opts = dict(
        input_format=args.input_format,
        output_format=args.output_format,
        columns=columns,
        spans=args.spans,
        output_scheme=args.output_scheme,
        marginals=args.marginals,
        nbest=args.nbest,
        whole_file=args.whole_file,
        doc_column=args.doc_column,
        force_column=args.force_column,
        verbose=args.verbose,
    )
    if args.whole_file and args.input_format != "text":
        raise TagInputError("--whole-file goes with --input-format text")
    if args.input in (None, "-"):
        # typed input is answered line by line; piped input in batches
        batch_size = 1 if sys.stdin.isatty() else args.batch_size
        lines = _read_lines(getattr(sys.stdin, "buffer", sys.stdin), "<stdin>")
        tag_stream(tagger, lines, sys.stdout, name="<stdin>", batch_size=batch_size, **opts)
        return 0
    with open(args.input, "rb") as fh:
        tag_stream(
            tagger,
            _read_lines(fh, args.input),
            sys.stdout,
            name=args.input,
            batch_size=args.batch_size,
            **opts,
        )
    return 0


def register(sub):
    p = sub.add_parser(
        "tag",
        help="tag text with a trained model (stdin to stdout)",
        description=__doc__.split("\n\n", 1)[1].split("\n\n")[0],
    )
    p.add_argument("-m", "--model", required=True, help="model file written by `crftagger train`")
    p.add_argument("input", nargs="?", default=None, help="input file (default: stdin)")
    p.add_argument(
        "--input-format",
        "-f",
        choices=("text", "tokens", "conll", "conllu", "jsonl"),
        default="tokens",
    )
    p.add_argument("--output-format", choices=("inline", "tags", "conll", "jsonl"), default=None)
    p.add_argument(
        "--whole-file",
        action="store_true",
        help="with --input-format text: the whole input is one document (default: one per line)",
    )
    p.add_argument(
        "--columns",
        default=None,
        help="CoNLL input column names, comma-separated, tokens first (default: "
        "word plus the columns the feature set reads)",
    )
    p.add_argument(
        "--doc-column",
        default=None,
        help="a column of --columns holding a document id (CoNLL input without -DOCSTART- lines)",
    )
    p.add_argument(
        "--spans", action="store_true", help="also write the spans with their confidences"
    )
    p.add_argument(
        "--output-scheme",
        default=None,
        help="scheme of the tags written (default iob2 for span tags; bioes, iob1, ...)",
    )
    p.add_argument(
        "--marginals", action="store_true", help="write every label's probability per token"
    )
    p.add_argument(
        "--nbest",
        "-n",
        type=int,
        default=0,
        metavar="K",
        help="write the K best taggings per sentence (crf_test -n)",
    )
    p.add_argument(
        "-v",
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=0,
        metavar="LEVEL",
        help="as crf_test -v: 1 writes each sentence's probability of its tagging (a '# p' "
        "line in conll output, 'probability' in jsonl) and each token's tag/probability "
        "('confidences'); 2 also every label's probability (--marginals)",
    )
    p.add_argument(
        "--force-column",
        default=None,
        metavar="N|NAME",
        help="a column of CoNLL input (its name in --columns, or its position, the token being "
        "column 1) or a key of JSON-lines input holding labels to force, '_' for a free token "
        "(as wapiti label --force): each sentence is decoded with those labels fixed (tags of "
        "the output scheme); the column is not a feature",
    )
    p.add_argument(
        "--feature-set",
        default=None,
        help="for a CRFsuite model file: the feature set that computes its attributes",
    )
    p.add_argument(
        "--batch-size", type=int, default=256, help="sentences tagged together (default 256)"
    )
    p.add_argument(
        "--o-bias",
        type=float,
        default=None,
        help="score added to the outside label O at every token: negative finds more spans "
        "(recall up), positive fewer (default: the model's, normally 0)",
    )
    p.set_defaults(func=run)
