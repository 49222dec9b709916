"""The feature extractor: sentences in, :class:`~crftagger.engine.encoding.AttributeSequences` out.

Pipeline of :meth:`FeatureExtractor.transform`:

1. Tokens are interned once into a corpus-level type vocabulary (``tids``).
2. Type-level extractors (lower case, affixes, shapes, classes, patterns,
   clusters, gazetteer token ids) run once per *new* word type and their
   value ids are cached in ``type_cache int32[R, types]``; the value rows of
   the corpus are one gather ``type_cache[:, tids]``. Column extractors
   intern their column; gazetteers are matched by a numba kernel.
3. A numba kernel walks every token and template, builds the key row
   ``[template, value ids...]`` of each attribute instance, and looks it up
   in an int32-row hash table that maps keys to attribute ids.
4. Only keys the table has not seen are named in Python (the attribute name
   string is built and added to / looked up in the attribute
   :class:`~crftagger.engine.encoding.Vocabulary`).

Exactness. Attribute ids always agree with the names :meth:`to_dicts`
writes, even when two different keys spell the same name (``w[-1]|w[0]`` of
``("a|b", "c")`` and of ``("a", "b|c")``): a key is resolved by its name
whenever such a collision is possible. A key whose earlier slots hold a
value containing a template separator is *ambiguous*; a template that ever
produced an ambiguous attribute, or whose leading literal is a prefix of
another template's, is *tainted*, and an unknown key of a tainted template
is always resolved by name. When the attribute vocabulary was not built by
this extractor alone (e.g. loaded from a model file), every unknown key is
resolved by name and the answer cached in the table.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat

import numpy as np

from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.errors import FeatureInputError

from . import kernels, text
from .clusters import Clusters, MissingClustersError
from .gazetteer import POSITIONS, Gazetteer, from_source
from .spec import FeatureSet, FeatureSpecError
from .table import KeyTable
from .tagdict import PREFIX as TAGDICT_PREFIX
from .tagdict import TagDictionary
from .tagdict import settings as tagdict_settings


def _unsafe(v: str, seps: tuple[str, ...]) -> int:
    """1 when ``v`` followed by a separator ``sep`` holds ``sep`` before its end."""
    for sep in seps:
        if sep in v or (len(sep) > 1 and (v + sep).find(sep) != len(v)):
            return 1
    return 0


class _Index(dict):
    """A dict whose missing keys are appended to the owning :class:`ValueVocab`."""

    __slots__ = ("owner",)

    def __missing__(self, key):
        return self.owner._append(key)


class ValueVocab:
    """Value strings of one extractor, ids in first-seen order, with per-value unsafe flags."""

    __slots__ = ("items", "index", "unsafe", "seps", "what")

    def __init__(self, seps: tuple[str, ...] = (), what: str = "value"):
        self.items: list[str] = []
        self.index = _Index()
        self.index.owner = self
        self.unsafe = bytearray()
        self.seps = seps
        self.what = what

    def __len__(self) -> int:
        return len(self.items)

    def _append(self, s: str) -> int:
        if type(s) is not str:
            raise FeatureInputError(f"{self.what} {s!r} is a {type(s).__name__}; expected a str")
        i = len(self.items)
        dict.__setitem__(self.index, s, i)
        self.items.append(s)
        return i

    def _extend(self, values: Sequence) -> None:
        """Add the distinct new ``values`` (None skipped), in first-seen order."""
        try:
            fresh = dict.fromkeys(values)
        except TypeError:
            bad = next(x for x in values if not isinstance(x, str))
            raise FeatureInputError(
                f"{self.what} {bad!r} is a {type(bad).__name__}; expected a str"
            ) from None
        idx = self.index
        new = [v for v in fresh if v not in idx and v is not None]
        if not new:
            return
        for v in new:
            if type(v) is not str:
                raise FeatureInputError(
                    f"{self.what} {v!r} is a {type(v).__name__}; expected a str"
                )
        n0 = len(self.items)
        dict.update(idx, zip(new, range(n0, n0 + len(new)), strict=True))
        self.items.extend(new)

    def id(self, s: str) -> int:
        return self.index[s]

    def ids(self, strings: Sequence[str]) -> np.ndarray:
        """Ids of ``strings``, adding new ones; int32."""
        self._extend(strings)  # a None left out here is refused by _append below
        return np.fromiter(map(self.index.__getitem__, strings), dtype=np.int32, count=len(strings))

    def ids_optional(self, values: Sequence[str | None]) -> np.ndarray:
        """Like :meth:`ids`, with ``None`` giving -1."""
        self._extend(values)
        return np.fromiter(
            map(self.index.get, values, repeat(-1)), dtype=np.int32, count=len(values)
        )

    def unsafe_array(self) -> np.ndarray:
        """uint8 flag per value: 1 when the value may hide a template separator."""
        n = len(self.unsafe)
        if n < len(self.items):
            seps = self.seps
            if seps:
                self.unsafe.extend([_unsafe(v, seps) for v in self.items[n:]])
            else:
                self.unsafe.extend(bytes(len(self.items) - n))
        return (
            np.frombuffer(bytes(self.unsafe), dtype=np.uint8)
            if self.unsafe
            else np.zeros(0, np.uint8)
        )


def _type_function(d: dict, name: str, clusters: Mapping[str, Clusters] | None = None):
    kind = d["kind"]
    if kind == "type":
        return text.builtin_type_functions()[d["func"]]
    if kind == "prefix":
        return text.prefix(int(d["n"]))
    if kind == "suffix":
        return text.suffix(int(d["n"]))
    if kind == "length":
        return text.length_bucket(d["bounds"])
    if kind == "pattern":
        return text.pattern_flag(d["name"])
    if kind == "cluster":
        table = cluster_table(d, name, clusters)
        return _cased(table, d, name).prefix_function(int(d["prefix"]))
    raise FeatureSpecError(f"extractor {name!r}: kind {kind!r} is not a type function")


#: case-sensitive tables read from files, keyed by (absolute path, mtime, size)
_CLUSTER_CACHE: dict[tuple, Clusters] = {}


def _load_clusters(path: str) -> Clusters:
    """The case-sensitive table of a cluster file (cached while the file is unchanged)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size)
    c = _CLUSTER_CACHE.get(key)
    if c is None:
        c = Clusters.from_file(path, lowercase=False)
        _CLUSTER_CACHE[key] = c
    return c


def _cased(table: Clusters, d: dict, name: str, memo: dict | None = None) -> Clusters:
    """``table`` looked up as the extractor definition ``d`` asks (lower-cased or not).

    ``memo`` (``{(id(table), lowercase): view}``) shares one view between the
    extractors of one feature set that read the same table.
    """
    lowercase = bool(d.get("lowercase", False))
    if table.lowercase == lowercase:
        return table
    key = (id(table), lowercase)
    if memo is not None and key in memo:
        return memo[key]
    try:
        out = table.with_case(lowercase)
    except ValueError:
        raise FeatureSpecError(
            f"extractor {name!r}: the cluster table supplied for {d['path']!r} holds lower-cased words "
            "only; expected the case-sensitive table (Clusters.from_file(path) without lowercase)"
        ) from None
    if memo is not None:
        memo[key] = out
    return out


def cluster_table(d: dict, name: str, clusters: Mapping[str, Clusters] | None = None) -> Clusters:
    """The word-cluster table a ``cluster`` extractor definition ``d`` stands for.

    Parameters
    ----------
    d : dict
        The extractor definition (``path``, ``prefix``, optional ``lowercase``
        and ``fingerprint``).
    name : str
        The extractor's name (for messages).
    clusters : mapping, optional
        In-memory tables ``{fingerprint: Clusters}`` (e.g. the tables embedded
        in a model file). When it holds the definition's ``fingerprint``, that
        table is used and the file is never opened.

    Returns
    -------
    Clusters
        Usually the case-sensitive table (words as in the file); the
        extractor lower-cases it when ``d["lowercase"]`` asks so.

    Raises
    ------
    MissingClustersError
        When the file does not exist and no in-memory table stands in for it.

    Warns when the file's sha256 differs from the recorded ``fingerprint``.
    """
    path = os.fspath(d["path"])
    fp = d.get("fingerprint")
    if clusters and fp is not None and fp in clusters:
        table = clusters[fp]
        if not isinstance(table, Clusters):
            raise TypeError(
                f"extractor {name!r}: clusters[{fp!r}] is a {type(table).__name__}; "
                "expected a Clusters table"
            )
        return table
    try:
        table = _load_clusters(path)
    except FileNotFoundError:
        supplied = (
            f"no table with fingerprint {fp} was supplied"
            if fp is not None
            else "the feature set records no fingerprint to find an in-memory table by"
        )
        raise MissingClustersError(
            f"extractor {name!r}: cluster file {path!r} does not exist and {supplied}; expected a "
            "Brown bits<TAB>word<TAB>count file at that path, or its table embedded in the model "
            "file (Tagger.save) or given as FeatureSet.extractor(clusters={fingerprint: Clusters})"
        ) from None
    if fp is not None and fp != table.fingerprint:
        warnings.warn(
            f"cluster file {path!r} of extractor {name!r} has changed since the feature set was "
            f"written (sha256 {table.fingerprint} instead of {fp}); features will differ "
            "from training",
            stacklevel=4,
        )
    return table


def load_gazetteer(d: dict, name: str, gazetteers: Mapping | None = None) -> Gazetteer:
    """The gazetteer an extractor definition describes; warns if its fingerprint changed.

    ``gazetteers`` (``{fingerprint: Gazetteer}``, the compiled lists a model file
    embeds): a definition whose ``fingerprint`` is a key, with the same case mode,
    takes that list instead of building it from its entries or its source.
    """
    cs = bool(d.get("case_sensitive", True))
    fp = d.get("fingerprint")
    given = (gazetteers or {}).get(fp) if fp is not None else None
    if given is not None and given.case_sensitive == cs:
        wanted = d.get("list", name)
        if given.name == wanted:
            return given
        g = copy.copy(given)
        g.name = wanted
        return g
    if "entries" in d:
        g = Gazetteer(d.get("list", name), d["entries"], case_sensitive=cs, source=None)
    else:
        g = from_source(d["source"], name=d.get("list"), case_sensitive=cs)
    if fp is not None and fp != g.fingerprint():
        warnings.warn(
            f"gazetteer {name!r} from {d.get('source', 'inline entries')!r} has changed since the "
            f"feature set was written (fingerprint {g.fingerprint()} instead of {fp}); features "
            "will differ from training",
            stacklevel=3,
        )
    return g


class FeatureExtractor:
    """Computes the attributes of a :class:`FeatureSet` as integer arrays.

    Parameters
    ----------
    feature_set : FeatureSet
    attributes : Vocabulary, optional
        The attribute vocabulary to fill (training) or to look up (a frozen
        vocabulary: unknown attributes are dropped, or kept as -1).
    clusters : mapping, optional
        Word-cluster tables ``{fingerprint: Clusters}`` that stand in for the
        files of ``cluster`` extractors whose definition records that
        fingerprint (a model file embeds them); other cluster extractors read
        their ``path`` (see :func:`cluster_table`).
    gazetteers : mapping, optional
        Compiled lists ``{fingerprint: Gazetteer}`` that stand in for the
        entries or the data-package source of ``gazetteer`` extractors whose
        definition records that fingerprint (a model file embeds them, so
        loading a model never rebuilds a list; see :func:`load_gazetteer`).

    Attributes
    ----------
    cluster_tables : dict
        ``{extractor name: Clusters}``: the table each used cluster extractor
        reads (case-sensitive unless only a lower-cased one was supplied;
        its ``fingerprint`` is the sha256 of the file it came from).
    cluster_fingerprints : dict
        ``{extractor name: fingerprint}``: the key of that table (the
        definition's fingerprint when the table was supplied in memory, else
        the sha256 of the file read).

    Notes
    -----
    The extractor keeps caches (type values, the key table) that grow with
    the data it sees; they never change the result. Once its attribute
    vocabulary is frozen (tagging), it empties them when it has interned more
    than :attr:`max_types` distinct tokens, so a long-running tagger's memory
    stays bounded; the first batch after that pays the cost of a fresh
    extractor again.
    """

    #: Distinct tokens a frozen extractor caches before it starts afresh.
    max_types: int = 1_000_000

    def __init__(
        self,
        feature_set: FeatureSet,
        attributes: Vocabulary | None = None,
        clusters: Mapping[str, Clusters] | None = None,
        tag_dictionary: TagDictionary | None = None,
        gazetteers: Mapping[str, Gazetteer] | None = None,
    ):
        if not isinstance(feature_set, FeatureSet):
            raise TypeError(f"expected a FeatureSet, found {type(feature_set).__name__}")
        self._clusters_given = clusters
        #: the table of the ``tagdict`` extractors (learned by the labelled training transform)
        self.tag_dictionary = tag_dictionary
        self._tagdict_specs: dict[str, dict] = {}
        fs = self.feature_set = feature_set
        self.attributes = attributes if attributes is not None else Vocabulary()
        self._complete = len(self.attributes) == 0
        self._n_seen = len(self.attributes)

        templates = fs.templates
        T = len(templates)
        seps = sorted({lit for t in templates for lit in t.literals[1:-1] if lit})
        self._seps = tuple(seps)
        names = fs.used_extractors()
        self._names = names
        E = len(names)
        self.types = ValueVocab(self._seps, what="token")
        # per extractor: ("tid",) | ("row", r) | ("column", ref) | ("gaz", r, Gazetteer)
        self._source: list[tuple] = []
        self._vocabs: list[ValueVocab] = []
        self._row_fns: list = []  # one per type-cache row: list[str] -> int32 ids
        # document values are added to the input as columns "doc:<feature>" (see _with_documents)
        self._doc_features: list[str] = []
        # the word-cluster table each cluster extractor reads (see cluster_table)
        self.cluster_tables: dict[str, Clusters] = {}
        #: The gazetteers the extractors read, by extractor name (saved inline in model files).
        self.gazetteers: dict[str, Gazetteer] = {}
        self.cluster_fingerprints: dict[str, str] = {}
        cased_memo: dict = {}
        for name in names:
            d = fs.extractor_def(name)
            kind = d["kind"]
            if kind == "document":
                self._doc_features.append(d["feature"])
                self._source.append(("column", ("name", "doc:" + d["feature"])))
                self._vocabs.append(ValueVocab(self._seps, what=f"document value {name!r}"))
            elif kind == "tagdict":
                self._tagdict_specs[name] = tagdict_settings(d)
                self._source.append(("column", ("name", TAGDICT_PREFIX + name)))
                self._vocabs.append(ValueVocab(self._seps, what=f"tag-dictionary value {name!r}"))
            elif kind == "type" and d["func"] == "w":
                self._source.append(("tid",))
                self._vocabs.append(self.types)
            elif kind == "column":
                ref = ("name", d["column"]) if "column" in d else ("index", int(d["index"]))
                self._source.append(("column", ref))
                self._vocabs.append(ValueVocab(self._seps, what=f"column {name!r} value"))
            elif kind == "gazetteer":
                g = self.gazetteers[name] = load_gazetteer(d, name, gazetteers)
                v = ValueVocab(self._seps)
                for p in POSITIONS:
                    v.id(p)
                self._source.append(("gaz", len(self._row_fns), g))
                self._row_fns.append(g.token_ids)
                self._vocabs.append(v)
            else:
                if kind == "cluster":
                    table = self.cluster_tables[name] = cluster_table(d, name, clusters)
                    fp = d.get("fingerprint")
                    supplied = bool(clusters) and fp is not None and clusters.get(fp) is table
                    self.cluster_fingerprints[name] = fp if supplied else table.fingerprint
                    f = _cased(table, d, name, cased_memo).prefix_function(int(d["prefix"]))
                else:
                    f = _type_function(d, name)
                v = ValueVocab(self._seps)
                self._source.append(("row", len(self._row_fns)))
                self._row_fns.append(self._make_row_fn(f, v))
                self._vocabs.append(v)
        self._type_cache = np.empty((len(self._row_fns), 1024), dtype=np.int32)
        self._check_tagdict()

        # template arrays
        K = max([len(t.slots) for t in templates] + [1])
        self._K = K
        ext_index = {n: i for i, n in enumerate(names)}
        self._t_nslots = np.array([len(t.slots) for t in templates], dtype=np.int32)
        self._t_ext = np.zeros((T, K), dtype=np.int32)
        self._t_off = np.zeros((T, K), dtype=np.int32)
        for i, t in enumerate(templates):
            for j, s in enumerate(t.slots):
                self._t_ext[i, j] = ext_index[s.extractor]
                self._t_off[i, j] = s.offset
        self._t_pad = np.array([t.pad for t in templates], dtype=np.uint8)
        self._t_where = np.array(
            [("all", "first", "last").index(t.where) for t in templates], dtype=np.int8
        )
        self._t_taint = np.zeros(T, dtype=np.uint8)
        lead = [t.literals[0] for t in templates]
        for a in range(T):
            if any(lit == "" for lit in templates[a].literals[1:-1]):
                self._t_taint[a] = 1
            for b in range(T):
                if a != b and lead[b].startswith(lead[a]):
                    self._t_taint[a] = self._t_taint[b] = 1
        self._bound_all = int(np.sum(self._t_where == 0))
        self._bound_edge = int(np.sum(self._t_where != 0))

        # padding values: pad_ids[e, side, k] for distance k = 1..D
        D = fs.max_offset
        self._pad_ids = np.full((max(E, 1), 2, D + 1), -1, dtype=np.int32)
        pads = [
            [fs.bos.format(k=k) for k in range(1, D + 1)],
            [fs.eos.format(k=k) for k in range(1, D + 1)],
        ]
        for e in range(E):
            for side in range(2):
                for k, s in enumerate(pads[side], 1):
                    if self._source[e][0] == "tid":
                        self._pad_ids[e, side, k] = self._intern_types([s])[0]
                    else:
                        self._pad_ids[e, side, k] = self._vocabs[e].id(s)

        self.table = KeyTable(1 + K, capacity=1 << 12)
        # direct addressing: template t's codes live in direct[d_off[t]:d_off[t] + d_size[t]]
        self._d_off = np.full(T, -1, dtype=np.int64)
        self._d_size = np.zeros(T, dtype=np.int64)
        self._d_shift = np.zeros((T, K), dtype=np.int64)
        self._d_bits = np.zeros((T, K), dtype=np.int64)
        self._hashed = np.zeros(T, dtype=bool)
        self._direct = np.zeros(0, dtype=np.int32)
        self._has_absent = False
        self._layout_sizes: list[int] | None = None
        self._unsafe_cache: tuple | None = None

    # ------------------------------------------------------------------ type level
    @staticmethod
    def _make_row_fn(f, vocab: ValueVocab):
        batch = getattr(f, "batch", None)

        def row_fn(strings: Sequence[str]) -> np.ndarray:
            return vocab.ids_optional(
                batch(strings) if batch is not None else [f(s) for s in strings]
            )

        return row_fn

    def _intern_types(self, tokens: Sequence[str]) -> np.ndarray:
        """Type ids of ``tokens``; new types get their type-level values computed."""
        n0 = len(self.types)
        tids = self.types.ids(tokens)
        n1 = len(self.types)
        if n1 > n0:
            new = self.types.items[n0:n1]
            cap = self._type_cache.shape[1]
            if n1 > cap:
                while cap < n1:
                    cap *= 2
                grown = np.empty((self._type_cache.shape[0], cap), dtype=np.int32)
                grown[:, :n0] = self._type_cache[:, :n0]
                self._type_cache = grown
            for r, fn in enumerate(self._row_fns):
                self._type_cache[r, n0:n1] = fn(new)
        return tids

    # ------------------------------------------------------------------ input
    def _with_documents(self, sentences):
        """The input with the document values the templates read added as columns."""
        if not self._doc_features:
            return sentences
        from .document import annotate

        return annotate(sentences, sorted(set(self._doc_features)), self.feature_set.columns)

    def _check_tagdict(self) -> None:
        specs = self._tagdict_specs
        if not specs:
            return
        shared = {(d["lowercase"], d["folds"]) for d in specs.values()}
        if len(shared) > 1:
            raise FeatureSpecError(
                f"the tagdict extractors {sorted(specs)} read one table and must agree on "
                f"'lowercase' and 'folds'; found {sorted(shared)}"
            )
        td = self.tag_dictionary
        lower = next(iter(shared))[0]
        if td is not None and td.lowercase != lower:
            raise FeatureSpecError(
                f"the tag dictionary given is {'lower-cased' if td.lowercase else 'cased'}, "
                f"the tagdict extractors read it {'lower-cased' if lower else 'cased'}"
            )
        span_names = sorted(n for n, d in specs.items() if d["form"] == "span")
        if td is not None and td.spans is None and span_names:
            raise FeatureSpecError(
                f"the tagdict extractors {span_names} read a phrase table, which the tag "
                "dictionary given lacks (it was learned without a span-form extractor)"
            )

    def _with_tagdict(self, sentences, y, label_column):
        """The input with the values of the ``tagdict`` extractors added as columns.

        A labelled call (``y`` or ``label_column``) while the vocabulary grows
        learns the table and gives every sentence the values of the other
        folds' table (:func:`crftagger.features.tagdict.cross_validated`);
        any other call reads the whole learned table.
        """
        specs = self._tagdict_specs
        if not specs:
            return sentences
        from crftagger.sentence import Sentence

        from .document import _rows
        from .tagdict import cross_validated

        rows = [_rows(s, self.feature_set.columns, i) for i, s in enumerate(sentences)]
        labelled = y is not None or label_column is not None
        if labelled and not self.attributes.frozen:
            if self.tag_dictionary is not None:
                raise FeatureInputError(
                    f"the tag dictionary of {sorted(specs)} is already learned ({len(self.tag_dictionary)} words); "
                    "transform all the labelled training sentences in one call, then freeze"
                )
            if y is not None:
                labs = [list(seq) for seq in y]
            else:
                labs = [
                    list(s.columns[label_column])
                    if hasattr(s, "columns")
                    else [r[label_column] for r in s]
                    for s in sentences
                ]
            if len(labs) != len(rows):
                raise FeatureInputError(
                    f"y has {len(labs)} label sequences for {len(rows)} sentences"
                )
            for i, (r, lab) in enumerate(zip(rows, labs, strict=True)):
                if len(r[0]) != len(lab):
                    raise FeatureInputError(
                        f"sentence {i}: {len(r[0])} tokens but {len(lab)} labels"
                    )
            d0 = next(iter(specs.values()))
            self.tag_dictionary, values = cross_validated(
                [r[0] for r in rows],
                labs,
                [r[2] for r in rows],
                specs,
                d0["lowercase"],
                d0["folds"],
            )
        else:
            td = self.tag_dictionary
            if td is None:
                raise FeatureInputError(
                    f"the extractors {sorted(specs)} read a tag dictionary learned from training labels: "
                    "transform the labelled training sentences first (y=... or label_column=...), "
                    "or use a trained model's extractor"
                )
            # word forms depend on the word alone here: each distinct token is looked up once
            memo: dict[str, tuple] = {}
            items = [(name, d) for name, d in specs.items() if d["form"] != "span"]
            get = td.counts.get

            def vals_of(w: str) -> tuple:
                v = memo.get(w)
                if v is None:
                    c = get(td.key(w))
                    v = memo[w] = tuple(
                        td.value(c, w, d["form"], d["rare"], d["suffix"]) for _, d in items
                    )
                return v

            values = {}
            if items:
                per = [[vals_of(w) for w in r[0]] for r in rows]
                values = {
                    name: [[v[j] for v in sent] for sent in per]
                    for j, (name, _) in enumerate(items)
                }
            span_names = [name for name, d in specs.items() if d["form"] == "span"]
            if span_names:
                sv = [td.span_values(r[0]) for r in rows]
                for name in span_names:
                    values[name] = sv
        out = []
        for i, (toks, cols, did) in enumerate(rows):
            cols = dict(cols)
            for name in specs:
                cols[TAGDICT_PREFIX + name] = values[name][i]
            out.append(Sentence(toks, cols, did))
        return out

    def _flatten(self, sentences, first: int = 0):
        """Tokens, seq_ptr and the needed columns of the input as flat lists."""
        fs = self.feature_set
        col_refs = []
        for src in self._source:
            if src[0] == "column" and src[1] not in col_refs:
                col_refs.append(src[1])
        tokens: list[str] = []
        cols: dict[tuple, list[str]] = {ref: [] for ref in col_refs}
        lengths: list[int] = []
        for si, sent in enumerate(sentences):
            if isinstance(sent, str):
                raise FeatureInputError(
                    f"sentence {first + si} is a string; expected a list of tokens"
                )
            stoks = getattr(sent, "tokens", None)
            if stoks is not None and hasattr(sent, "columns"):
                n = len(stoks)
                tokens.extend(stoks)
                for ref in col_refs:
                    cname = ref[1]
                    if ref[0] == "index":
                        names = fs.columns or list(sent.columns)
                        if ref[1] > len(names):
                            raise FeatureInputError(
                                f"sentence {first + si}: templates read column {ref[1]}, but the sentence has "
                                f"only {len(names)} extra columns {list(names)}"
                            )
                        cname = names[ref[1] - 1]
                    try:
                        c = sent.columns[cname]
                    except KeyError:
                        given = [c for c in sent.columns if not str(c).startswith("doc:")]
                        raise FeatureInputError(
                            f"sentence {first + si}: no column {cname!r}, which the feature set reads; "
                            f"found {'columns ' + repr(given) if given else 'no columns besides the words'}"
                        ) from None
                    if len(c) != n:
                        raise FeatureInputError(
                            f"sentence {first + si}: column {cname!r} has {len(c)} values for {n} tokens"
                        )
                    cols[ref].extend(c)
                lengths.append(n)
                continue
            sent = list(sent)
            n = len(sent)
            if n == 0:
                lengths.append(0)
                continue
            if not isinstance(sent[0], str) and isinstance(sent[0], (tuple, list)):
                width = min(len(r) for r in sent)
                tokens.extend(r[0] for r in sent)
                for ref in col_refs:
                    if ref[0] == "index":
                        p = ref[1]
                    elif ref[1] in fs.columns:
                        p = fs.columns.index(ref[1]) + 1
                    else:
                        raise FeatureInputError(
                            f"sentence {first + si}: token tuples carry columns by position, and the feature "
                            f"set names no column {ref[1]!r} (columns={fs.columns}); set "
                            "FeatureSet.columns or pass Sentence objects"
                        )
                    if p >= width:
                        raise FeatureInputError(
                            f"sentence {first + si}: column {ref[1]!r} is position {p} of each token tuple, "
                            f"but a tuple has only {width} fields"
                        )
                    cols[ref].extend(r[p] for r in sent)
            else:
                if col_refs:
                    raise FeatureInputError(
                        f"sentence {first + si} is a plain token list, but the templates read the columns "
                        f"{[r[1] for r in col_refs]}; pass (token, column...) tuples or Sentence objects"
                    )
                tokens.extend(sent)
            lengths.append(n)
        seq_ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=seq_ptr[1:])
        return tokens, seq_ptr, cols

    def _values(self, tokens, seq_ptr, cols, first: int = 0) -> np.ndarray:
        """Value ids ``int32[E, N]`` of every used extractor at every token."""
        E = max(len(self._names), 1)
        N = len(tokens)
        try:
            tids = self._intern_types(tokens)
        except FeatureInputError as exc:
            bad = next(p for p, t in enumerate(tokens) if type(t) is not str)
            si = int(np.searchsorted(seq_ptr, bad, side="right")) - 1
            raise FeatureInputError(
                f"sentence {first + si}, token {bad - int(seq_ptr[si])}: {exc}"
            ) from None
        vals = np.empty((E, N), dtype=np.int32)
        rows = self._type_cache[:, tids] if self._row_fns else None
        row_e, row_r = self._row_sources()
        if len(row_e):
            vals[row_e] = rows[row_r]  # every "row" extractor in one step
        for e, src in enumerate(self._source):
            kind = src[0]
            if kind == "tid":
                vals[e] = tids
            elif kind == "row":
                continue
            elif kind == "column":
                vals[e] = self._vocabs[e].ids(cols[src[1]])
            else:
                g: Gazetteer = src[2]
                vals[e] = g.match_ids(seq_ptr, np.ascontiguousarray(rows[src[1]]))
        return vals

    def _row_sources(self) -> tuple[np.ndarray, np.ndarray]:
        """The extractors read from the type cache and their rows there (``_source`` "row")."""
        cached = self.__dict__.get("_row_src")
        if cached is None or cached[0] is not self._source or cached[1] != len(self._source):
            e = [i for i, src in enumerate(self._source) if src[0] == "row"]
            r = [self._source[i][1] for i in e]
            cached = (
                self._source,
                len(self._source),
                np.asarray(e, np.intp),
                np.asarray(r, np.intp),
            )
            self.__dict__["_row_src"] = cached
        return cached[2], cached[3]

    def _unsafe_csr(self):
        """Unsafe flags of all extractor values as CSR (cached while no vocabulary grows)."""
        key = tuple([len(v.items) for v in self._vocabs])
        if self._unsafe_cache is not None and self._unsafe_cache[0] == key:
            return self._unsafe_cache[1], self._unsafe_cache[2]
        arrs = [v.unsafe_array() for v in self._vocabs] or [np.zeros(0, np.uint8)]
        ptr = np.zeros(len(arrs) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrs], out=ptr[1:])
        flat = np.ascontiguousarray(np.concatenate(arrs))
        self._unsafe_cache = (key, flat, ptr)
        return flat, ptr

    # ------------------------------------------------------------------ direct blocks
    #: the largest direct block of one template, in address bits
    DIRECT_BITS = 20
    #: tokens per block of :meth:`to_dicts`
    DICT_BLOCK_TOKENS = 20_000

    def _layout_direct(self) -> None:
        """(Re)lay out direct blocks so every current value id fits; hash the too-large ones."""
        T = len(self.feature_set.templates)
        sizes = [len(v.items) for v in self._vocabs]
        if sizes == self._layout_sizes:
            return
        self._layout_sizes = sizes
        new_bits: dict[int, list[int]] = {}
        for t in range(T):
            if self._hashed[t]:
                continue
            n = int(self._t_nslots[t])
            exts = self._t_ext[t, :n].tolist()
            bits = self._d_bits[t, :n].tolist()
            if self._d_off[t] >= 0 and all(
                sizes[e] <= (1 << b) for e, b in zip(exts, bits, strict=True)
            ):
                continue
            nb = [max(2, int(2 * sizes[e] - 1).bit_length()) for e in exts]
            if sum(nb) > self.DIRECT_BITS:
                self._to_hash(t)
            else:
                new_bits[t] = nb
        if not new_bits:
            return
        offs = np.full(T, -1, dtype=np.int64)
        bits_all = self._d_bits.copy()
        shift_all = np.zeros_like(self._d_shift)
        size_all = np.zeros(T, dtype=np.int64)
        total = 0
        for t in range(T):
            if self._hashed[t]:
                continue
            n = int(self._t_nslots[t])
            b = new_bits.get(t, self._d_bits[t, :n].tolist())
            bits_all[t, :n] = b
            acc = 0
            for j in range(n - 1, -1, -1):
                shift_all[t, j] = acc
                acc += b[j]
            offs[t] = total
            size_all[t] = 1 << acc
            total += 1 << acc
        direct = np.full(total, kernels.UNSEEN, dtype=np.int32)
        for t in range(T):
            if self._hashed[t] or self._d_off[t] < 0:
                continue
            if t in new_bits:
                kernels.relayout(
                    self._direct,
                    self._d_off[t],
                    self._d_shift[t],
                    self._d_bits[t],
                    int(self._t_nslots[t]),
                    self._d_size[t],
                    direct,
                    offs[t],
                    shift_all[t],
                )
            else:
                a = int(self._d_off[t])
                direct[offs[t] : offs[t] + size_all[t]] = self._direct[a : a + self._d_size[t]]
        self._direct, self._d_off, self._d_bits = direct, offs, bits_all
        self._d_shift, self._d_size = shift_all, size_all

    def _to_hash(self, t: int) -> None:
        """Move template ``t`` from its direct block to the hash table, for good."""
        if self._d_off[t] >= 0:
            a = int(self._d_off[t])
            block = self._direct[a : a + self._d_size[t]]
            rows, codes = kernels.direct_rows(
                block,
                t,
                self._d_shift[t],
                self._d_bits[t],
                int(self._t_nslots[t]),
                self.table.width,
            )
            self.table.insert_many(rows, codes)
            block[:] = kernels.UNSEEN
        self._hashed[t] = True
        self._d_off[t] = -1
        self._d_size[t] = 0

    def _purge_absent(self) -> None:
        """Forget cached "absent" answers (the vocabulary may now grow)."""
        tab = self.table
        keys = np.full_like(tab.keys, -1)
        vals = np.full_like(tab.vals, -1)
        tab.n_used[0] = kernels.purge_absent(tab.keys, tab.vals, keys, vals, self._direct)
        tab.keys, tab.vals = keys, vals
        self._has_absent = False

    # ------------------------------------------------------------------ naming
    def _render(self, rows: np.ndarray) -> list[str]:
        """Attribute names of key rows ``int32[n, W]`` (same order)."""
        n = len(rows)
        if n == 0:
            return []
        names = np.empty(n, dtype=object)
        t_col = rows[:, 0]
        order = np.argsort(t_col, kind="stable")
        ts = t_col[order]
        cuts = np.flatnonzero(np.diff(ts)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [n]))
        templates = self.feature_set.templates
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            t = int(ts[a])
            idx = order[a:b]
            tmpl = templates[t]
            lits = tmpl.literals
            cols = []
            for j in range(len(tmpl.slots)):
                items = self._vocabs[int(self._t_ext[t, j])].items
                cols.append(list(map(items.__getitem__, rows[idx, 1 + j].tolist())))
            if not cols:
                out = [lits[0]] * len(idx)
            elif len(cols) == 1:
                l0, l1 = lits
                out = list(map(l0.__add__, cols[0])) if not l1 else [l0 + x + l1 for x in cols[0]]
            elif len(cols) == 2:
                l0, l1, l2 = lits
                out = [l0 + x + l1 + y + l2 for x, y in zip(*cols, strict=True)]
            else:
                out = [tmpl.render(vs) for vs in zip(*cols, strict=True)]
            names[idx] = out
        return names.tolist()

    def _resolve(self, rows, slots, grow: bool) -> np.ndarray:
        names = self._render(rows)
        vocab = self.attributes
        if grow:
            add_many = getattr(vocab, "add_many", None)
            raw = add_many(names) if add_many is not None else [vocab.add(s) for s in names]
        else:
            get = vocab.get
            raw = [get(s, -1) for s in names]
        ids = np.asarray(raw, dtype=np.int32).reshape(-1)
        kernels.set_codes(self.table.vals, self._direct, slots, ids)
        if not grow and len(ids) and ids.min() < 0:
            self._has_absent = True
        if grow:
            unsafe, ptr = self._unsafe_csr()
            amb = kernels.ambiguous_rows(rows, self._t_nslots, self._t_ext, unsafe, ptr)
            if amb.any():
                self._t_taint[np.unique(rows[amb.astype(bool), 0])] = 1
        return ids

    # ------------------------------------------------------------------ public API
    def transform(
        self,
        sentences: Iterable,
        drop_unknown: bool = True,
        y: Iterable[Sequence[str]] | None = None,
        labels: Vocabulary | None = None,
        label_column: str | int | None = None,
    ) -> AttributeSequences:
        """Attribute arrays of ``sentences``.

        The attribute vocabulary grows unless it is frozen; attributes unknown
        to a frozen vocabulary are dropped (``drop_unknown``, as CRFsuite
        skips them) or kept with id -1. Labels come from ``y`` (one label
        sequence per sentence) or from ``label_column`` (a Sentence column
        name, or a tuple position), encoded with ``labels``.
        """
        if not isinstance(sentences, (list, tuple)):
            sentences = list(sentences)
        if self.attributes.frozen and len(self.types) > self.max_types:
            self._start_afresh()
        given = sentences
        sentences = self._with_tagdict(self._with_documents(sentences), y, label_column)
        tokens, seq_ptr, cols = self._flatten(sentences)
        vals = self._values(tokens, seq_ptr, cols)
        N = len(tokens)
        S = len(seq_ptr) - 1
        T = len(self.feature_set.templates)
        grow = not self.attributes.frozen
        if len(self.attributes) != self._n_seen:
            self._complete = False
        pend_all = grow or not self._complete
        if grow and self._has_absent:
            self._purge_absent()
        self._layout_direct()
        bound = N * self._bound_all + S * self._bound_edge
        out = np.empty(max(bound, 1), dtype=np.int32)
        item_cnt = np.zeros(N, dtype=np.int64)
        unsafe, unsafe_ptr = self._unsafe_csr()
        W = 1 + self._K
        lens = np.diff(seq_ptr)
        max_need = int(lens.max()) * T if S else 1
        P = max(min(bound, 1 << 18), max_need, 1)
        pend_rows = np.empty((P, W), dtype=np.int32)
        pend_slot = np.empty(P, dtype=np.int64)
        tab = self.table
        tab.n_used[1] = 0
        n_hashed = int(self._hashed.sum())
        s, pos = 0, 0
        while True:
            s_next, pos_next = kernels.attributes_kernel(
                seq_ptr,
                s,
                vals,
                self._pad_ids,
                self._t_nslots,
                self._t_ext,
                self._t_off,
                self._t_pad,
                self._t_where,
                self._t_taint,
                self._d_off,
                self._d_shift,
                self._direct,
                unsafe,
                unsafe_ptr,
                tab.keys,
                tab.vals,
                tab.n_used,
                tab.max_used,
                pend_all,
                pend_rows,
                pend_slot,
                out,
                pos,
                item_cnt,
                n_hashed,
            )
            npend = int(tab.n_used[1])
            if npend:
                ids = self._resolve(pend_rows[:npend], pend_slot[:npend], grow)
                kernels.patch_pending(out, pos, pos_next, ids)
                tab.n_used[1] = 0
            s, pos = int(s_next), int(pos_next)
            if s >= S:
                break
            tab.reserve(max(int(lens[s]) * n_hashed, len(tab)))
        self._n_seen = len(self.attributes)
        item_ptr = np.zeros(N + 1, dtype=np.int64)
        np.cumsum(item_cnt, out=item_ptr[1:])
        attr_ids = out[:pos]
        if drop_unknown and pos and attr_ids.min() < 0:
            item_ptr, attr_ids = kernels.drop_negative(item_ptr, attr_ids)
        else:
            attr_ids = attr_ids.copy()
        yarr = self._labels(given, seq_ptr, y, labels, label_column)
        return AttributeSequences(
            seq_ptr=seq_ptr,
            item_ptr=item_ptr,
            attr_ids=attr_ids,
            attr_vals=np.ones(len(attr_ids), dtype=np.float64),
            y=yarr,
        )

    fit_transform = transform

    def _start_afresh(self) -> None:
        """Drop every cache (types, values, key table); the attribute vocabulary is kept."""
        max_types = self.__dict__.get("max_types")
        self.__init__(self.feature_set, self.attributes, self._clusters_given, self.tag_dictionary)
        if max_types is not None:
            self.max_types = max_types

    def freeze(self) -> FeatureExtractor:
        """Freeze the attribute vocabulary (tagging time)."""
        self.attributes.freeze()
        return self

    def _labels(self, sentences, seq_ptr, y, labels, label_column):
        if y is None and label_column is None:
            return None
        if labels is None:
            raise ValueError("labels: a label Vocabulary is needed to encode y")
        if y is not None and label_column is not None:
            raise ValueError("give y or label_column, not both")
        if y is None:
            y = []
            for si, sent in enumerate(sentences):
                if hasattr(sent, "columns"):
                    if label_column not in sent.columns:
                        raise FeatureInputError(f"sentence {si}: no label column {label_column!r}")
                    y.append(sent.columns[label_column])
                else:
                    y.append([r[label_column] for r in sent])
        ys: list[int] = []
        n = 0
        for si, seq in enumerate(y):
            if si >= len(seq_ptr) - 1:
                raise ValueError(f"y has more sequences than the {len(seq_ptr) - 1} sentences")
            want = int(seq_ptr[si + 1] - seq_ptr[si])
            if len(seq) != want:
                raise ValueError(f"sentence {si}: {want} tokens but {len(seq)} labels")
            for t, lab in enumerate(seq):
                k = labels.add(lab)
                if k < 0:
                    raise ValueError(
                        f"sentence {si}, token {t}: label {lab!r} is not a known label"
                    )
                ys.append(k)
            n += 1
        if n != len(seq_ptr) - 1:
            raise ValueError(f"y has {n} sequences for {len(seq_ptr) - 1} sentences")
        return np.asarray(ys, dtype=np.int32)

    def to_dicts(
        self, sentences: Iterable, y: Iterable[Sequence[str]] | None = None
    ) -> list[list[dict[str, float]]]:
        """The same attributes as sklearn-crfsuite input: ``{name: value}`` per token.

        Every attribute instance is listed (known to the vocabulary or not);
        an attribute produced twice for one token gets the value 2.0, just as
        its id appears twice in :meth:`transform`'s arrays. ``y``, the
        training labels, is needed only by ``tagdict`` extractors, which learn
        their table from it as :meth:`transform` does.
        """
        if not isinstance(sentences, (list, tuple)):
            sentences = list(sentences)
        sentences = self._with_tagdict(self._with_documents(sentences), y, None)
        out: list[list[dict[str, float]]] = []
        # blocks of about DICT_BLOCK_TOKENS tokens bound the memory of the key rows
        start = 0
        while start < len(sentences):
            stop, n = start, 0
            while stop < len(sentences) and (n < self.DICT_BLOCK_TOKENS or stop == start):
                try:
                    n += len(getattr(sentences[stop], "tokens", sentences[stop]))
                except TypeError:
                    n += 1
                stop += 1
            out.extend(self._dicts_block(sentences[start:stop], start))
            start = stop
        return out

    def _dicts_block(self, sentences, first: int) -> list[list[dict[str, float]]]:
        tokens, seq_ptr, cols = self._flatten(sentences, first)
        vals = self._values(tokens, seq_ptr, cols, first)
        N = len(tokens)
        S = len(seq_ptr) - 1
        bound = N * self._bound_all + S * self._bound_edge
        rows = np.empty((max(bound, 1), 1 + self._K), dtype=np.int32)
        item_cnt = np.zeros(N, dtype=np.int64)
        k = kernels.instances_kernel(
            seq_ptr,
            vals,
            self._pad_ids,
            self._t_nslots,
            self._t_ext,
            self._t_off,
            self._t_pad,
            self._t_where,
            rows,
            item_cnt,
        )
        names = self._render(rows[:k])
        cnt = item_cnt.tolist()
        out = []
        p = 0
        i = 0
        for s in range(S):
            sent = []
            for _ in range(int(seq_ptr[s + 1] - seq_ptr[s])):
                part = names[p : p + cnt[i]]
                d = dict.fromkeys(part, 1.0)
                if len(d) != len(part):  # an attribute produced more than once
                    d = {}
                    for nm in part:
                        d[nm] = d.get(nm, 0.0) + 1.0
                sent.append(d)
                p += cnt[i]
                i += 1
            out.append(sent)
        return out

    def names(self, X: AttributeSequences) -> list[list[list[str]]]:
        """Attribute names per token of encoded sequences (ids -1 shown as ``None``)."""
        items = self.attributes.items
        ids = X.attr_ids.tolist()
        ptr = X.item_ptr.tolist()
        out = []
        for s in range(X.n_sequences):
            out.append(
                [
                    [items[a] if a >= 0 else None for a in ids[ptr[i] : ptr[i + 1]]]
                    for i in range(int(X.seq_ptr[s]), int(X.seq_ptr[s + 1]))
                ]
            )
        return out
