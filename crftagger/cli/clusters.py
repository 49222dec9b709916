"""``crftagger clusters``: learn word clusters from unlabelled text.

The text is the train and dev splits of registered corpora (never their test
splits) and/or files: plain text with one sentence per line, tokens separated
by white space; CoNLL files (a token per line, blank lines between
sentences), of which only the token column is read (``--token-column``,
default the first); or CoNLL-U files, of which the FORM of every syntactic
word is read. Each file's format is read from its content unless
``--format`` says it. The clusters (see :mod:`crftagger.features.clusterlearn`) are
written in the Brown ``bits<TAB>word<TAB>count`` format, which the feature
sets read through their ``clusters`` parameter, e.g.
``crftagger train conll2002_es -o es.model --feature-param clusters=es.paths``.
A model trained with clusters carries its own copy of the table.
"""

from __future__ import annotations

import argparse
import time


def read_text(path, encoding: str = "utf-8") -> list[list[str]]:
    """Token lists of a text file, one sentence per non-blank line."""
    out = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{path}, line {lineno}: cannot decode as {encoding} ({exc.reason}); "
                    f"expected {encoding} text"
                ) from None
            toks = line.split()
            if toks:
                out.append(toks)
    if not out:
        raise ValueError(f"{path}: found no text; expected one sentence per line")
    return out


def read_tokens(path, fmt: str | None = None, token_column: int | None = None) -> list[list[str]]:
    """Token lists of a text, CoNLL or CoNLL-U file (``fmt`` ``None``/``auto``: read from the content).

    CoNLL: the sentences of the column ``token_column`` (1-based, default 1);
    CoNLL-U: the FORM of the syntactic words (ranges and empty nodes skipped).
    """
    from crftagger.corpora import read_conll, read_conllu
    from crftagger.corpora.detect import resolve_format, swapped_evidence

    found = resolve_format(path, fmt)
    if token_column is not None and found != "conll":
        raise ValueError(f"--token-column picks a column of CoNLL files; {path} is {found}")
    if found == "text":
        return read_text(path)
    if found == "conllu":
        out = [s.tokens for s in read_conllu(path, columns=())]
    else:
        sents = list(read_conll(path))
        if not sents:
            out = []
        else:
            names = sents[0].column_names()
            if token_column is None:
                if len(names) > 1:
                    k = len(names)
                    why = swapped_evidence(sents, names[-1], f"column {k}")
                    if why:
                        raise ValueError(
                            f"{path}: the first column does not hold words: {why.replace('token column', 'first column')}; expected the "
                            f"tokens in the first column. If they are in column {k}, give "
                            f"--token-column {k}"
                        )
                out = [s.tokens for s in sents]
            else:
                if not 1 <= token_column <= len(names):
                    raise ValueError(
                        f"{path}: --token-column {token_column}; the file has {len(names)} "
                        f"column(s) (line {sents[0].line}), expected 1 to {len(names)}"
                    )
                name = names[token_column - 1]
                out = [s[name] for s in sents]
    if not out:
        raise ValueError(f"{path}: found no sentence; expected {found} text")
    return out


def run(args) -> int:
    from crftagger.corpora import corpus_text, registry
    from crftagger.features import clusterlearn

    names = set(registry.names())
    text: list[list[str]] = []
    for src in args.sources:
        if src in names:
            part = corpus_text([src], ("train", "dev"), getattr(args, "data_dir", None))
        else:
            part = read_tokens(src, args.format, args.token_column)
        print(f"{src}: {len(part)} sentences, {sum(map(len, part))} tokens")
        text.extend(part)
    t0 = time.perf_counter()
    rows = clusterlearn.learn(
        text,
        lowercase=args.lowercase,
        max_words=args.max_words,
        min_count=args.min_count,
        n_contexts=args.contexts,
        window=args.window,
        dim=args.dim,
        max_depth=args.depth,
    )
    path = clusterlearn.write_paths(rows, args.output)
    n_clusters = len({b for b, _, _ in rows})
    print(
        f"{len(rows)} words in {n_clusters} leaves learned in {time.perf_counter() - t0:.1f} s; "
        f"written to {path}"
    )
    return 0


def register(sub):
    p = sub.add_parser(
        "clusters",
        help="learn word clusters from unlabelled text",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument(
        "sources",
        nargs="+",
        help="registered corpus names (their train and dev text) or text, CoNLL or CoNLL-U files",
    )
    p.add_argument(
        "-o", "--output", required=True, help="cluster file to write (Brown paths format)"
    )
    p.add_argument(
        "--format",
        choices=("auto", "text", "conll", "conllu"),
        default="auto",
        help="format of the files: auto (default: read from each file's content), text (a "
        "sentence per line), conll (a token per line; the token column only) or conllu (FORM)",
    )
    p.add_argument(
        "--token-column",
        type=int,
        default=None,
        metavar="N",
        help="CoNLL files: the column holding the tokens, counted from 1 (default 1)",
    )
    case = p.add_mutually_exclusive_group()
    case.add_argument(
        "--lowercase",
        dest="lowercase",
        action="store_true",
        default=True,
        help="cluster lower-cased words (default)",
    )
    case.add_argument(
        "--cased", dest="lowercase", action="store_false", help="keep the words' case"
    )
    p.add_argument(
        "--max-words", type=int, default=50000, help="cluster at most this many frequent words"
    )
    p.add_argument("--min-count", type=int, default=2, help="ignore rarer words")
    p.add_argument("--contexts", type=int, default=3000, help="number of context words")
    p.add_argument("--window", type=int, default=2, help="context offsets -W..-1, 1..W")
    p.add_argument("--dim", type=int, default=100, help="dimensions of the word vectors (SVD)")
    p.add_argument("--depth", type=int, default=20, help="maximum length of the bit strings")
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")
    p.set_defaults(func=run)
