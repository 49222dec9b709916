"""Document-level (non-local) token values: how a word is written elsewhere in its document.

A document is a run of consecutive sentences with the same non-``None``
``doc_id`` (CoNLL-2003's ``-DOCSTART-`` documents); a sentence without a
``doc_id`` (plain token lists, tuples) is a document of its own, so the
values degrade to sentence scope. Every value is computed from the tokens
alone, identically at training and at tagging time.

Occurrences of a word are matched case-insensitively. Headline sentences
(at least two tokens with letters, all of them upper case) and the first
token of a sentence say little about how a word is normally written, so they
are left out of the evidence (they still receive values).

Values (:data:`FEATURES`), ``"-"`` when there is no evidence:

``dcase``
    the set of case classes of the word's other-than-initial, non-headline
    occurrences in the document, e.g. ``"T"`` (always title case), ``"LT"``
    (lower and title case), ``"U"`` (all upper); classes ``L``, ``T``, ``U``, ``M`` (mixed).
``dseq``
    the word's role in the longest run of capitalised tokens that contains
    it anywhere in the document (non-headline sentences; the sentence-initial
    token joins a run only when the next token is capitalised): ``B``/``I``/
    ``E``/``S`` plus the run length capped at 4, e.g. ``"E2"`` for "Smith" when
    "John Smith" occurs in the document.
``dprev``
    the lower-cased token before the word's first capitalised, non-initial,
    non-headline occurrence in the document (``"mr."``, ``"in"``, ``"said"`` ...).
``dfirst``
    whether this is the word's first occurrence in the document (``"1"``) or
    not (``"0"``), for capitalised words only.
"""

from __future__ import annotations

from collections.abc import Sequence

from crftagger.errors import DocumentFeatureError

FEATURES = ("dcase", "dseq", "dprev", "dfirst")
NONE = "-"


def _case(t: str) -> str | None:
    if not any(c.isalpha() for c in t):
        return None
    if t.isupper():
        return "U"
    if t.islower():
        return "L"
    if t[0].isupper() and (len(t) == 1 or t[1:].islower() or not any(c.isalpha() for c in t[1:])):
        return "T"
    return "M"


def _capitalised(t: str) -> bool:
    return t[:1].isupper()


def _is_headline(tokens: Sequence[str]) -> bool:
    alpha = [t for t in tokens if any(c.isalpha() for c in t)]
    return len(alpha) >= 2 and all(t.isupper() for t in alpha)


#: ``word -> (lower-cased, case class, capitalised)``, the word-local facts the values
#: read (pure functions of the word), kept for the most recent words.
_WORDS: dict[str, tuple[str, str | None, bool]] = {}
_WORDS_MAX = 100_000


def _word(t: str) -> tuple[str, str | None, bool]:
    r = _WORDS.get(t)
    if r is None:
        if len(_WORDS) >= _WORDS_MAX:
            _WORDS.clear()
        r = _WORDS[t] = (t.lower(), _case(t), t[:1].isupper())
    return r


def document_values(
    doc: Sequence[Sequence[str]], names: Sequence[str]
) -> list[dict[str, list[str]]]:
    """Values of the features ``names`` for one document (a list of token lists); one dict per sentence."""
    for name in names:
        if name not in FEATURES:
            raise DocumentFeatureError(
                f"unknown document feature {name!r}; expected one of {FEATURES}"
            )
    word = _word
    infos = [[word(t) for t in s] for s in doc]
    cases: dict[str, set[str]] = {}
    best_run: dict[str, tuple[int, str]] = {}
    prev: dict[str, str] = {}
    for info in infos:
        # a headline: at least two tokens with letters, all of them upper case (_is_headline)
        alpha = [c for _lw, c, _cap in info if c is not None]
        if len(alpha) >= 2 and all(c == "U" for c in alpha):
            continue
        size = len(info)
        for i in range(1, size):
            lw, c, cap = info[i]
            if c is not None:
                cases.setdefault(lw, set()).add(c)
                if cap and lw not in prev:
                    prev[lw] = info[i - 1][0]
        # capitalised runs
        i = 0
        while i < size:
            if not (info[i][2] and info[i][1] is not None):
                i += 1
                continue
            j = i
            while j + 1 < size and info[j + 1][2] and info[j + 1][1] is not None:
                j += 1
            start = i
            if start == 0 and j == 0:
                i = j + 1
                continue  # a lone sentence-initial capital says nothing
            length = j - start + 1
            for k in range(start, j + 1):
                lw = info[k][0]
                if length == 1:
                    role = "S"
                elif k == start:
                    role = "B"
                elif k == j:
                    role = "E"
                else:
                    role = "I"
                old = best_run.get(lw)
                if old is None or length > old[0]:
                    best_run[lw] = (length, f"{role}{min(length, 4)}")
            i = j + 1
    out: list[dict[str, list[str]]] = []
    seen: set[str] = set()
    dcase = {lw: "".join(sorted(cs)) for lw, cs in cases.items()}
    for info in infos:
        vals: dict[str, list[str]] = {}
        for n in names:
            if n == "dcase":
                vals[n] = [dcase.get(lw) or NONE for lw, _c, _cap in info]
            elif n == "dseq":
                vals[n] = [best_run[lw][1] if lw in best_run else NONE for lw, _c, _cap in info]
            elif n == "dprev":
                vals[n] = [prev.get(lw, NONE) for lw, _c, _cap in info]
            else:
                first = []
                for lw, _c, cap in info:
                    first.append(("0" if lw in seen else "1") if cap else NONE)
                    seen.add(lw)
                vals[n] = first
        if "dfirst" not in vals:
            seen.update(lw for lw, _c, _cap in info)
        out.append(vals)
    return out


def _rows(
    sent, columns: Sequence[str], index: int
) -> tuple[list[str], dict[str, list[str]], str | None]:
    """Tokens, named columns and doc id of one input sentence (Sentence, token list or tuples)."""
    toks = getattr(sent, "tokens", None)
    if toks is not None and hasattr(sent, "columns"):
        return list(toks), dict(sent.columns), getattr(sent, "doc_id", None)
    if isinstance(sent, str):
        raise DocumentFeatureError(f"sentence {index} is a string; expected a list of tokens")
    sent = list(sent)
    if not sent:
        return [], {c: [] for c in columns}, None
    if not isinstance(sent[0], str) and isinstance(sent[0], (tuple, list)):
        width = min(len(r) for r in sent)
        cols = {c: [r[j + 1] for r in sent] for j, c in enumerate(columns) if j + 1 < width}
        return [r[0] for r in sent], cols, None
    return sent, {}, None


def annotate(
    sentences: Sequence, names: Sequence[str], columns: Sequence[str] = (), prefix: str = "doc:"
) -> list:
    """Sentences with the document values ``names`` added as columns ``prefix + name``.

    Input sentences may be :class:`~crftagger.corpora.Sentence` objects, token
    lists or ``(token, column...)`` tuples (``columns`` names the tuple
    positions 1, 2, ...). The answer is a list of new Sentence objects; the
    input is not modified.
    """
    from crftagger.sentence import Sentence

    rows = [_rows(s, columns, i) for i, s in enumerate(sentences)]
    out = []
    i = 0
    while i < len(rows):
        j = i + 1
        doc_id = rows[i][2]
        if doc_id is not None:
            while j < len(rows) and rows[j][2] == doc_id:
                j += 1
        vals = document_values([r[0] for r in rows[i:j]], names)
        for (toks, cols, did), v in zip(rows[i:j], vals, strict=True):
            cols = dict(cols)
            for n in names:
                cols[prefix + n] = v[n]
            out.append(Sentence(toks, cols, did))
        i = j
    return out
