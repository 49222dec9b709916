"""The registered evaluation corpora: files, columns, schemes, sources, checksums, counts.

Everything here is data. A corpus lives in ``<root>/<name>/`` where ``<root>`` is,
in this order, the explicit ``data_dir`` argument (the ``--data-dir`` option) or
``$CRFTAGGER_DATA`` (see :func:`crftagger.config.data_dir`), then the user cache
(:func:`crftagger.config.cache_dir`, where ``crftagger corpora download`` puts it).

Each file records where it officially comes from (``owner/repo@commit:path`` on
GitHub, fetched from GitHub's raw host), its byte size and its sha256, and each
split records the counts the file must give (sentences, tokens, spans per type)
under the counting conventions of :mod:`crftagger.corpora.stats`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crftagger import config
from crftagger.corpora.base import CorpusFormatError, Sentence
from crftagger.errors import CorpusNotFoundError

RAW_HOST = "https://raw.githubusercontent.com"
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Source:
    """One file to fetch: its URL, what it is (``owner/repo@commit:path``) and its checksum.

    ``store_as`` (relative to the corpus folder) keeps a fetched input of a
    built file (see :attr:`CorpusFile.build`); ``sha256``/``size`` may be ``None``
    only for the single source of a file stored as is (then the file's own are used).
    """

    url: str
    spec: str
    sha256: str | None = None
    size: int | None = None
    store_as: str | None = None

    @classmethod
    def github(cls, repo: str, commit: str, path: str, **kw) -> Source:
        return cls(url=f"{RAW_HOST}/{repo}/{commit}/{path}", spec=f"{repo}@{commit}:{path}", **kw)


@dataclass(frozen=True)
class CorpusFile:
    """A file of a split, as it must be on disk (``filename`` inside the corpus folder).

    ``build`` is ``None`` when the file is fetched as is from its single source,
    or the name of a recipe in :mod:`crftagger.corpora.download` that makes it from
    several sources (``"zip_seq"``: zip ``seq.in`` words with ``seq.out`` tags).
    """

    split: str
    filename: str
    size: int
    sha256: str
    sources: tuple[Source, ...]
    build: str | None = None


@dataclass(frozen=True)
class Expected:
    """Counts a split must give (see :func:`crftagger.corpora.stats.split_stats`).

    ``tokens`` are surface tokens for CoNLL-U; ``spans`` maps span type to count
    (``None`` when only the total is documented); ``extra`` holds format-specific
    counts (CoNLL-U: ``words``, ``multiword_tokens``, ``empty_nodes``, ``documents``);
    ``column_spans`` gives the documented span totals of other label columns.
    """

    sentences: int
    tokens: int
    docstarts: int = 0
    spans: dict[str, int] | None = None
    span_total: int | None = None
    extra: dict[str, int] = field(default_factory=dict)
    column_spans: dict[str, int] = field(default_factory=dict)

    def total_spans(self) -> int | None:
        if self.span_total is not None:
            return self.span_total
        return None if self.spans is None else sum(self.spans.values())


@dataclass(frozen=True)
class CorpusInfo:
    """A registered corpus.

    ``format`` is ``"conll"`` (columns ``columns``, separator ``sep``), ``"bio"``
    (``word``/``tag``) or ``"conllu"``. ``label_column`` is the column a tagger
    predicts; ``label_columns`` lists every column that can serve as labels
    (``upos`` or ``xpos`` for CoNLL-U). ``scheme`` is the tag scheme of span
    labels (a :mod:`crftagger.schemes` name) or ``None`` for plain tags (POS).
    ``scheme_exceptions`` lists the ``(split, line)`` of documented annotation
    slips that break the scheme. ``extra_span_columns`` names other columns with
    span tags in the same scheme (CoNLL-2003's IOB1 chunk column).
    """

    name: str
    title: str
    task: str
    format: str
    columns: tuple[str, ...]
    token_column: str
    label_column: str
    scheme: str | None
    files: dict[str, CorpusFile]
    licence: str
    sep: str = "auto"
    label_columns: tuple[str, ...] = ()
    expected: dict[str, Expected] = field(default_factory=dict)
    scheme_exceptions: tuple[tuple[str, int], ...] = ()
    notes: str = ""
    extra_span_columns: tuple[str, ...] = ()

    @property
    def span_columns(self) -> tuple[str, ...]:
        """Columns holding span tags (``B-X``/``I-X``/``O``), the label column first."""
        if self.scheme is None:
            return ()
        return (self.label_column, *self.extra_span_columns)

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(s for s in SPLITS if s in self.files)

    def file(self, split: str) -> CorpusFile:
        try:
            return self.files[split]
        except KeyError:
            raise ValueError(
                f"corpus {self.name!r} has no split {split!r}; its splits are {list(self.splits)}"
            ) from None

    @property
    def sources(self) -> list[str]:
        """The ``owner/repo@commit:path`` of every fetched file."""
        return [src.spec for f in self.files.values() for src in f.sources]


def _gh(repo, commit, folder, spec):
    """Files of one repository folder: ``(split, name, size, sha256)`` -> CorpusFile."""
    split, name, size, sha = spec
    path = f"{folder}/{name}" if folder else name
    return CorpusFile(split, name, size, sha, (Source.github(repo, commit, path),))


def _zip_seq(repo, commit, folder, split, raw_split, name, size, sha, seq_in, seq_out):
    """A ``word<TAB>tag`` file built from ``seq.in`` / ``seq.out`` of one raw split."""
    srcs = tuple(
        Source.github(
            repo,
            commit,
            f"{folder}/{raw_split}/{part}",
            sha256=psha,
            size=psize,
            store_as=f"raw/{raw_split}/{part}",
        )
        for part, (psize, psha) in (("seq.in", seq_in), ("seq.out", seq_out))
    )
    return CorpusFile(split, name, size, sha, srcs, build="zip_seq")


_TEROPA = ("teropa/nlp", "f89bc5a15b516208de1cfe2abe9692b7ed9a43e2")
_SYNALP = ("synalp/NER", "c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc")
_UD = ("UniversalDependencies/UD_English-EWT", "15d613d8447b3478787d4c278730a1e48a945efb")
_WNUT = ("leondz/emerging_entities_17", "e52a2d2a71ac1a051ca2d532eef28653c5c02603")
_MIT = ("pity4yeats/promptner", "728c1c9384e5df2830919c47818bb3757bb1aba9")
_SLU = ("MiuLab/SlotGated-SLU", "61f0307c729b1fad479ef1de94aa5ac5dee601b0")


def _files(*files: CorpusFile) -> dict[str, CorpusFile]:
    return {f.split: f for f in files}


_CORPORA = [
    CorpusInfo(
        name="conll2000",
        title="CoNLL-2000 chunking (WSJ sections 15-18 / 20)",
        task="chunk",
        format="conll",
        columns=("word", "pos", "chunk"),
        token_column="word",
        label_column="chunk",
        label_columns=("chunk", "pos"),
        scheme="iob2",
        sep="space",
        files=_files(
            _gh(
                *_TEROPA,
                "resources/corpora/conll2000",
                (
                    "train",
                    "train.txt",
                    2842164,
                    "82033cd7a72b209923a98007793e8f9de3abc1c8b79d646c50648eb949b87cea",
                ),
            ),
            _gh(
                *_TEROPA,
                "resources/corpora/conll2000",
                (
                    "test",
                    "test.txt",
                    639396,
                    "73b7b1e565fa75a1e22fe52ecdf41b6624d6f59dacb591d44252bf4d692b1628",
                ),
            ),
        ),
        licence="No licence stated. Wall Street Journal text (Penn Treebank, LDC); the chunk "
        "annotation is freely distributed for research by CLiPS/NLTK.",
        expected={
            "train": Expected(
                8936,
                211727,
                spans={
                    "ADJP": 2060,
                    "ADVP": 4227,
                    "CONJP": 56,
                    "INTJ": 31,
                    "LST": 10,
                    "NP": 55081,
                    "PP": 21281,
                    "PRT": 556,
                    "SBAR": 2207,
                    "UCP": 2,
                    "VP": 21467,
                },
            ),
            "test": Expected(
                2012,
                47377,
                spans={
                    "ADJP": 438,
                    "ADVP": 866,
                    "CONJP": 9,
                    "INTJ": 2,
                    "LST": 5,
                    "NP": 12422,
                    "PP": 4811,
                    "PRT": 106,
                    "SBAR": 535,
                    "VP": 4658,
                },
            ),
        },
        notes="No dev split. POS are Brill-tagger tags.",
    ),
    CorpusInfo(
        name="conll2003",
        title="CoNLL-2003 English NER (Reuters RCV1)",
        task="ner",
        format="conll",
        columns=("word", "pos", "chunk", "ner"),
        token_column="word",
        label_column="ner",
        label_columns=("ner", "chunk", "pos"),
        scheme="iob1",
        extra_span_columns=("chunk",),
        sep="space",
        files=_files(
            _gh(
                *_SYNALP,
                "corpus/CoNLL-2003",
                (
                    "train",
                    "eng.train",
                    3281528,
                    "eac0822f501353f265383ddf1edb0dcd42a1b6eefd3e383d7074db98c38eb41c",
                ),
            ),
            _gh(
                *_SYNALP,
                "corpus/CoNLL-2003",
                (
                    "dev",
                    "eng.testa",
                    827012,
                    "aedc4ccbd1ae9795feaa0e86fe72d195b0258abed9d705b630d1c889276fac1e",
                ),
            ),
            _gh(
                *_SYNALP,
                "corpus/CoNLL-2003",
                (
                    "test",
                    "eng.testb",
                    748096,
                    "0632f32c090ef31c223135b7fee3187a7cf8e65c4015c7866bb7783428cdd9a6",
                ),
            ),
        ),
        licence="Research evaluation only: the text is the Reuters Corpus (RCV1), which requires "
        "a (free) agreement with NIST/Reuters; not licensed for redistribution or commercial use.",
        expected={
            "train": Expected(
                14041,
                203621,
                docstarts=946,
                spans={"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600},
                column_spans={"chunk": 99997},
            ),
            "dev": Expected(
                3250,
                51362,
                docstarts=216,
                spans={"LOC": 1837, "MISC": 922, "ORG": 1341, "PER": 1842},
                column_spans={"chunk": 25737},
            ),
            "test": Expected(
                3453,
                46435,
                docstarts=231,
                spans={"LOC": 1668, "MISC": 702, "ORG": 1661, "PER": 1617},
                column_spans={"chunk": 22020},
            ),
        },
        # ``B-`` right after ``O`` (not a boundary between two same-type spans).
        scheme_exceptions=(("train", 152428), ("train", 175436)),
        notes="IOB1 in both the chunk and the NER column; convert to IOB2 before training a "
        "model that assumes IOB2. -DOCSTART- lines separate documents.",
    ),
    CorpusInfo(
        name="conll2002_es",
        title="CoNLL-2002 Spanish NER (EFE news, May 2000)",
        task="ner",
        format="conll",
        columns=("word", "pos", "ner"),
        token_column="word",
        label_column="ner",
        label_columns=("ner", "pos"),
        scheme="iob2",
        sep="space",
        files=_files(
            _gh(
                *_TEROPA,
                "resources/corpora/conll2002",
                (
                    "train",
                    "esp.train",
                    2970825,
                    "a20d95cab7d88a19a86f8c1ad6329325c99fbd9529ed978cbd7e31d4b01b4008",
                ),
            ),
            _gh(
                *_TEROPA,
                "resources/corpora/conll2002",
                (
                    "dev",
                    "esp.testa",
                    594058,
                    "85c17793b77881c53d19017d9d0f1e6fb98b7ddcab54a5f24b05ed1793103c87",
                ),
            ),
            _gh(
                *_TEROPA,
                "resources/corpora/conll2002",
                (
                    "test",
                    "esp.testb",
                    575807,
                    "1f8f7a392c6d4979a5592a5794eed43d7869b46da6851bbcde99714149f1d016",
                ),
            ),
        ),
        licence="Research use in the context of the CoNLL-2002 shared task only; no permission "
        "for other (especially commercial) applications.",
        expected={
            "train": Expected(
                8323, 264715, spans={"LOC": 4914, "MISC": 2173, "ORG": 7390, "PER": 4321}
            ),
            "dev": Expected(1915, 52923, spans={"LOC": 985, "MISC": 445, "ORG": 1700, "PER": 1222}),
            "test": Expected(
                1517, 51533, spans={"LOC": 1084, "MISC": 340, "ORG": 1400, "PER": 735}
            ),
        },
        # One span per file starts with I- after O (conlleval decoding counts it as a span).
        scheme_exceptions=(("train", 221619), ("dev", 30882), ("test", 9291)),
        notes="IOB2 with 3 documented stray I- starts (one per file). No -DOCSTART- lines.",
    ),
    CorpusInfo(
        name="ud_english_ewt",
        title="Universal Dependencies English EWT, release 2.16",
        task="pos",
        format="conllu",
        columns=("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc"),
        token_column="form",
        label_column="upos",
        label_columns=("upos", "xpos"),
        scheme=None,
        sep="tab",
        files=_files(
            _gh(
                *_UD,
                "",
                (
                    "train",
                    "en_ewt-ud-train.conllu",
                    14203025,
                    "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b",
                ),
            ),
            _gh(
                *_UD,
                "",
                (
                    "dev",
                    "en_ewt-ud-dev.conllu",
                    1805545,
                    "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6",
                ),
            ),
            _gh(
                *_UD,
                "",
                (
                    "test",
                    "en_ewt-ud-test.conllu",
                    1804515,
                    "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd",
                ),
            ),
        ),
        licence="CC BY-SA 4.0.",
        expected={
            "train": Expected(
                12544,
                201962,
                extra={
                    "words": 204577,
                    "multiword_tokens": 2614,
                    "empty_nodes": 37,
                    "documents": 540,
                },
            ),
            "dev": Expected(
                2001,
                24787,
                extra={"words": 25147, "multiword_tokens": 359, "empty_nodes": 4, "documents": 318},
            ),
            "test": Expected(
                2077,
                24740,
                extra={"words": 25094, "multiword_tokens": 354, "empty_nodes": 2, "documents": 316},
            ),
        },
        notes="Loaded as syntactic words (range lines and empty nodes skipped); token counts "
        "are surface tokens. Label column UPOS (17 tags) or XPOS (PTB-style).",
    ),
    CorpusInfo(
        name="wnut17",
        title="WNUT 2017 Emerging and Rare Entities",
        task="ner",
        format="bio",
        columns=("word", "tag"),
        token_column="word",
        label_column="tag",
        label_columns=("tag",),
        scheme="iob2",
        sep="tab",
        files=_files(
            _gh(
                *_WNUT,
                "",
                (
                    "train",
                    "wnut17train.conll",
                    493781,
                    "731820e13f71af324c6b55a1575ec2ce59fbaa2a0806f8f0400b98d56cd6a7a5",
                ),
            ),
            _gh(
                *_WNUT,
                "",
                (
                    "dev",
                    "emerging.dev.conll",
                    114749,
                    "e053b752b8155113ca66e7db08af5f2f5f43ab993694e4774f1ec5bad42312d8",
                ),
            ),
            _gh(
                *_WNUT,
                "",
                (
                    "test",
                    "emerging.test.annotated",
                    192425,
                    "2aa79b764e56ec9264a1b30fdd9b70195bd00ff400b62edd8f399d5f13c178f0",
                ),
            ),
        ),
        licence="CC BY 4.0.",
        expected={
            "train": Expected(
                3394,
                62730,
                spans={
                    "corporation": 221,
                    "creative-work": 140,
                    "group": 264,
                    "location": 548,
                    "person": 660,
                    "product": 142,
                },
            ),
            "dev": Expected(
                1009,
                15733,
                spans={
                    "corporation": 34,
                    "creative-work": 105,
                    "group": 39,
                    "location": 74,
                    "person": 470,
                    "product": 114,
                },
            ),
            "test": Expected(
                1287,
                23394,
                spans={
                    "corporation": 66,
                    "creative-work": 142,
                    "group": 165,
                    "location": 150,
                    "person": 429,
                    "product": 127,
                },
            ),
        },
        notes="Sentence breaks in the train file are often a line holding a single TAB.",
    ),
    CorpusInfo(
        name="mit_restaurant",
        title="MIT Restaurant queries (word/tag reformatted copy)",
        task="slots",
        format="bio",
        columns=("word", "tag"),
        token_column="word",
        label_column="tag",
        label_columns=("tag",),
        scheme="iob2",
        sep="space",
        files=_files(
            _gh(
                *_MIT,
                "data/mit-restaurant",
                (
                    "train",
                    "train.txt",
                    759755,
                    "68f304fdfa377b7a0e5fced686fed72482b8a2ed495e62c52a449a043282d9ab",
                ),
            ),
            _gh(
                *_MIT,
                "data/mit-restaurant",
                (
                    "test",
                    "test.txt",
                    155720,
                    "bf3b4cb56214d3e053a4febf11b8fddeb7f12084aa00a530b5638cd275be75c7",
                ),
            ),
        ),
        licence="No licence stated by the MIT SLS download page nor by the redistributing "
        "repository.",
        expected={
            "train": Expected(
                7660,
                70525,
                spans={
                    "Amenity": 2541,
                    "Cuisine": 2839,
                    "Dish": 1475,
                    "Hours": 990,
                    "Location": 3817,
                    "Price": 730,
                    "Rating": 1070,
                    "Restaurant_Name": 1901,
                },
            ),
            "test": Expected(
                1521,
                14256,
                spans={
                    "Amenity": 533,
                    "Cuisine": 532,
                    "Dish": 288,
                    "Hours": 212,
                    "Location": 812,
                    "Price": 171,
                    "Rating": 201,
                    "Restaurant_Name": 402,
                },
            ),
        },
        notes="No dev split. Files do not end with a newline.",
    ),
    CorpusInfo(
        name="atis",
        title="ATIS slot filling (Goo et al. 2018 split)",
        task="slots",
        format="bio",
        columns=("word", "tag"),
        token_column="word",
        label_column="tag",
        label_columns=("tag",),
        scheme="iob2",
        sep="tab",
        files=_files(
            _zip_seq(
                *_SLU,
                "data/atis",
                "train",
                "train",
                "train.txt",
                709883,
                "aea6013337d5c76a7c1611cbde536c4ac53c6f2ae8d7335643bc980a3b728a8d",
                (289848, "3a670980841b21ab39088b2595efc17d487cdc45769c075a3e5f9458bba28c7f"),
                (415557, "14c7131bd66562f797dbd7189bc7358f0cf354c6afb0785a9ab973c35b58f34c"),
            ),
            _zip_seq(
                *_SLU,
                "data/atis",
                "dev",
                "valid",
                "dev.txt",
                81024,
                "be96a75e7a4c6a675076f3fd8bbf3eae3479cd0fdffbd299aa791639898bd5c8",
                (32761, "c7435b96e7948393608c34819628e863c5338f11ca68e8f896d2cc041d8e17f8"),
                (47763, "83ccff3e36f83a993f8e5b5b82adf3256076f234abda4d784051381d7ac76922"),
            ),
            _zip_seq(
                *_SLU,
                "data/atis",
                "test",
                "test",
                "test.txt",
                134253,
                "aadcc3656e06e20148abe8c470b480828c1425df3a863a446cd71a73e0614483",
                (52122, "4b2119fc59c37f9398c6605db435d4f467505009e6ee3e5af04fed09f39dc397"),
                (81238, "a4690d6bceadc06876d1ff99bc401744aa981cb321e598ae12a3859d7be53254"),
            ),
        ),
        licence="No licence in the source repository; ATIS comes from the LDC ATIS corpora. "
        "Treat as research-only.",
        expected={
            "train": Expected(4478, 50497, span_total=14851),
            "dev": Expected(500, 5703, span_total=1709),
            "test": Expected(893, 9164, span_total=2837),
        },
        notes="word<TAB>tag files are built by zipping raw/<split>/seq.in with seq.out.",
    ),
    CorpusInfo(
        name="snips",
        title="SNIPS slot filling (Goo et al. 2018 split)",
        task="slots",
        format="bio",
        columns=("word", "tag"),
        token_column="word",
        label_column="tag",
        label_columns=("tag",),
        scheme="iob2",
        sep="tab",
        files=_files(
            _zip_seq(
                *_SLU,
                "data/snips",
                "train",
                "train",
                "train.txt",
                1564107,
                "e9cd49839d5e98a099e8c59dba444830bcc0682d55855a4a5ef0731548a0b795",
                (617079, "04ad1e3f2121d83c6478f9a4b17d2dbdc21d06d6127f73cb7af835ed733f9855"),
                (950926, "fd5f2121d8055827e5d6b3d3bac30f3d7e94e82a5d437751960cbdd9e1b4f6d3"),
            ),
            _zip_seq(
                *_SLU,
                "data/snips",
                "dev",
                "valid",
                "dev.txt",
                83944,
                "d9b1f89c0f1a79c17b1ea2554216f9690e414702af40786c07c73ff3fb939a86",
                (33629, "64e0f6d8ad8aab3a3828164d7d53731a0993d3ca1aed437ceaca6d3d568d410e"),
                (50626, "712e6d34feb8d52d208b820a5f8bae6e6ff990f08374507dfde22de389088319"),
            ),
            _zip_seq(
                *_SLU,
                "data/snips",
                "test",
                "test",
                "test.txt",
                83837,
                "64ab0afc7b6f5a7888873bc1660caa14225eaff1c8733984e83e7f516e1cd79e",
                (33121, "c1e341173fcea2951a8ca371956a6f81c76de87b9583c62eb87edd6158fa3a7c"),
                (50918, "58c07c9097d5e1f78889765c2a535a160f6455b90b3142055c8051847afcca47"),
            ),
        ),
        licence="No licence in MiuLab/SlotGated-SLU nor in the sonos/nlu-benchmark READMEs.",
        expected={
            "train": Expected(13084, 117700, span_total=33958),
            "dev": Expected(700, 6384, span_total=1794),
            "test": Expected(700, 6354, span_total=1790),
        },
        notes="word<TAB>tag files are built by zipping raw/<split>/seq.in with seq.out. "
        "Tag names are case-sensitive (timeRange).",
    ),
]

REGISTRY: dict[str, CorpusInfo] = {c.name: c for c in _CORPORA}


def names() -> list[str]:
    """Names of the registered corpora, in registry order."""
    return list(REGISTRY)


def get(name: str) -> CorpusInfo:
    """The :class:`CorpusInfo` of a registered corpus."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown corpus {name!r}; registered corpora: {', '.join(REGISTRY)}"
        ) from None


def search_roots(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for corpora, in order: ``data_dir`` or ``$CRFTAGGER_DATA``, then the cache."""
    roots = []
    first = config.data_dir(data_dir)
    if first is not None:
        roots.append(first)
    cache = config.cache_dir()
    if cache not in roots:
        roots.append(cache)
    return roots


def find_file(info: CorpusInfo, split: str, data_dir=None) -> Path | None:
    """The path of a split's file in the first root that holds it, or ``None``."""
    f = info.file(split)
    for root in search_roots(data_dir):
        p = root / info.name / f.filename
        if p.is_file():
            return p
    return None


def locate(name: str | CorpusInfo, split: str, data_dir=None) -> Path:
    """Like :func:`find_file`, but a missing file raises :class:`CorpusNotFoundError`."""
    info = get(name) if isinstance(name, str) else name
    p = find_file(info, split, data_dir)
    if p is not None:
        return p
    f = info.file(split)
    looked = ", ".join(str(r / info.name / f.filename) for r in search_roots(data_dir))
    raise CorpusNotFoundError(
        f"corpus {info.name!r} split {split!r}: file {f.filename} not found; looked in: {looked}. "
        f"Get it with `crftagger corpora download {info.name}` (into the user cache, or "
        f"--dest DIR), or point --data-dir / ${config.DATA_ENV} at a folder holding "
        f"{info.name}/{f.filename}"
    )


def read(info: CorpusInfo, path, *, multiword: str = "words") -> Iterator[Sentence]:
    """Stream the sentences of one of ``info``'s files with the right reader and columns."""
    from crftagger.corpora.conll import read_conll
    from crftagger.corpora.conllu import read_conllu

    if info.format == "conllu":
        return read_conllu(path, multiword=multiword)
    if info.format in ("conll", "bio"):
        return read_conll(path, info.columns, sep=info.sep, token_column=info.token_column)
    raise ValueError(f"corpus {info.name!r}: unknown format {info.format!r}")


def _schemes():
    """``crftagger.schemes`` when it is installed, else ``None``."""
    try:
        from crftagger import schemes
    except ImportError:
        return None
    return schemes if hasattr(schemes, "validate") else None


def check_labels(info: CorpusInfo, split: str, sentences, label_column: str | None = None) -> int:
    """Validate the label column of ``sentences`` against ``info.scheme``.

    Uses :func:`crftagger.schemes.validate`; an invalid sentence raises
    :class:`CorpusFormatError` naming the file and line, except at the documented
    annotation slips in ``info.scheme_exceptions``. Returns the number of sentences
    validated (0 when the corpus has no span scheme).
    """
    if info.scheme is None:
        return 0
    schemes = _schemes()
    if schemes is None:
        raise RuntimeError("crftagger.schemes is not available; cannot validate tags")
    col = label_column or info.label_column
    allowed = {line for sp, line in info.scheme_exceptions if sp == split}
    n = 0
    for s in sentences:
        tags = list(s[col])
        while True:
            try:
                schemes.validate(tags, info.scheme)
                break
            except ValueError as exc:
                pos = _error_position(exc, tags)
                line = None if s.line is None or pos is None else s.line + pos
                if line is None or line not in allowed:
                    raise CorpusFormatError(
                        s.source,
                        line if line is not None else s.line,
                        f"tag sequence not valid {info.scheme.upper()}",
                        str(exc),
                        f"{info.scheme.upper()} tags in column {col!r} "
                        f"(declared scheme of {info.name})",
                    ) from exc
                # A documented slip: put a tag the scheme allows there and check the rest.
                allowed.discard(line)
                fixes = [t for t in getattr(exc, "expected", ()) if t != "O"] or ["O"]
                tags[pos] = fixes[0]
        n += 1
    return n


def _error_position(exc: Exception, tags) -> int | None:
    """The 0-based token index a scheme error points at, when it says."""
    for attr in ("position", "index", "pos"):
        v = getattr(exc, attr, None)
        if isinstance(v, int) and 0 <= v <= len(tags):
            # ``len(tags)`` means "at the end of the sentence": the last token's line.
            return min(v, len(tags) - 1)
    return None


def iterate(
    name: str, split: str, data_dir=None, *, multiword: str = "words"
) -> Iterator[Sentence]:
    """Stream one split of a registered corpus (no tag validation; see :func:`load`)."""
    info = get(name)
    return read(info, locate(info, split, data_dir), multiword=multiword)


def load(
    name: str,
    split: str,
    data_dir: str | os.PathLike | None = None,
    *,
    validate: bool | None = None,
    multiword: str = "words",
) -> list[Sentence]:
    """Read one split of a registered corpus.

    Parameters
    ----------
    name, split
        A registered corpus and one of its splits (``"train"``, ``"dev"``, ``"test"``).
    data_dir
        Folder holding ``<name>/``; default ``$CRFTAGGER_DATA``, then the user cache.
    validate
        Check the label column against the corpus' tag scheme with
        :func:`crftagger.schemes.validate` (documented annotation slips excepted).
        ``None`` (default): check when :mod:`crftagger.schemes` is installed;
        ``True``: check, or fail if it is not; ``False``: do not check.
    multiword
        CoNLL-U only: ``"words"`` (syntactic words) or ``"surface"`` (surface tokens).
    """
    info = get(name)
    info.file(split)
    path = locate(info, split, data_dir)
    sentences = list(read(info, path, multiword=multiword))
    if validate is None:
        validate = _schemes() is not None
    if validate:
        check_labels(info, split, sentences)
    return sentences


def corpus_text(
    names: Sequence[str], splits: Sequence[str] = ("train", "dev"), data_dir=None
) -> list[list[str]]:
    """Token lists of the given splits of registered corpora (splits a corpus lacks are skipped).

    The text word clusters learn from; the test split is refused, since clusters must
    not see evaluation text.
    """
    from crftagger.errors import ClusterLearnError

    if "test" in splits:
        raise ClusterLearnError(
            "the test split may not be used as cluster text; expected train/dev"
        )
    out: list[list[str]] = []
    for name in names:
        info = get(name)
        for split in splits:
            if split in info.splits:
                out.extend(list(s.tokens) for s in load(name, split, data_dir=data_dir))
    return out
