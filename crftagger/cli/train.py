"""``crftagger train``: train a tagger on a registered corpus or on CoNLL or CoNLL-U files.

The training data are a registered corpus name (its ``train`` split; see
``crftagger corpora list``), CoNLL column files (``--columns`` names the
columns, the labels being ``--label-column``, default the last one) or
CoNLL-U files (the syntactic words, labelled with ``--label upos`` or
``xpos``; multiword-token ranges and empty nodes are skipped). Each file's
format is read from its content unless ``--format`` says it. A CoNLL file
whose token column looks like tags and label column like words (a tag-first
file such as MIT Movie's) stops with the ``--columns`` to give. The
development data (``--dev``: a split name of the corpus, or a file; or
``--dev-fraction F``: every n-th training sentence) are scored after every
iteration: the progress bar shows the training loss and the dev span F1
(token accuracy for tags without a scheme). ``--test`` adds a final score
on another split or file. ``--task slots`` trains a slot filler (slots and
intents, :mod:`crftagger.slots`) instead of a tagger. ``--template FILE``
trains the features of a CRF++ or CRFsuite template file. Everything ends up in the model file
(``-o``, the templates included), which ``crftagger tag``, ``evaluate
--model`` and ``inspect`` read.
"""

from __future__ import annotations

import argparse
import sys
import time


def add_crf_arguments(p) -> None:
    """The CRF options shared by ``train`` and ``demo``."""
    g = p.add_argument_group("CRF training (CRFsuite's parameter names)")
    g.add_argument(
        "--engine",
        choices=("numba", "crfsuite"),
        default="numba",
        help="who trains the weights (default: numba)",
    )
    g.add_argument(
        "--algorithm",
        default="lbfgs",
        choices=("lbfgs", "l2sgd", "ap", "pa", "arow"),
        help="training algorithm (--order 2 trains with lbfgs only)",
    )
    g.add_argument("--c1", type=float, default=None, help="L1 coefficient (lbfgs; OWL-QN when > 0)")
    g.add_argument("--c2", type=float, default=None, help="L2 coefficient of ||w||^2")
    g.add_argument("--max-iterations", type=int, default=None)
    g.add_argument("--epsilon", type=float, default=None)
    g.add_argument("--period", type=int, default=None)
    g.add_argument("--delta", type=float, default=None)
    g.add_argument("--num-memories", type=int, default=None)
    g.add_argument(
        "--linesearch", default=None, choices=("MoreThuente", "Backtracking", "StrongBacktracking")
    )
    g.add_argument("--max-linesearch", type=int, default=None)
    g.add_argument(
        "--pa-type",
        type=int,
        choices=(0, 1, 2),
        default=None,
        help="pa: update rule, 0 PA, 1 PA-I (default), 2 PA-II",
    )
    g.add_argument(
        "--c", type=float, default=None, help="pa: aggressiveness of PA-I/PA-II (default 1)"
    )
    g.add_argument(
        "--error-sensitive",
        type=_flag,
        default=None,
        metavar="0|1",
        help="pa: scale the loss by the number of wrong labels (default 1)",
    )
    g.add_argument(
        "--averaging",
        type=_flag,
        default=None,
        metavar="0|1",
        help="pa: average the weights over all updates (default 1)",
    )
    g.add_argument(
        "--variance", type=float, default=None, help="arow: initial variance (default 1)"
    )
    g.add_argument(
        "--gamma", type=float, default=None, help="arow: regularisation tradeoff (default 1)"
    )
    g.add_argument("--min-freq", type=float, default=None, help="drop features rarer than this")
    g.add_argument("--all-possible-states", action="store_true")
    g.add_argument("--all-possible-transitions", action="store_true")
    g.add_argument(
        "--threads", type=int, default=None, help="numba threads (results do not depend on it)"
    )
    g.add_argument(
        "--memory-budget",
        default=None,
        metavar="SIZE",
        help="memory that what grows with the number of labels may take, e.g. 16G (default "
        "$CRFTAGGER_MEMORY_BUDGET, else 4G): a larger label set is refused before training",
    )
    g.add_argument(
        "--work-budget",
        default=None,
        metavar="STEPS",
        help="label-pair steps per pass over the data (tokens x labels^2), e.g. 1e12 (default "
        "$CRFTAGGER_WORK_BUDGET, else 2e10): more is refused before training",
    )


def _flag(text: str) -> bool:
    """A 0/1 (or true/false) option value."""
    v = str(text).strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"found {text!r}; expected 1 or 0")


def crf_params(args) -> dict:
    """The CRF parameters that were given on the command line."""
    out = {"algorithm": args.algorithm}
    for name in (
        "c1",
        "c2",
        "max_iterations",
        "epsilon",
        "period",
        "delta",
        "num_memories",
        "linesearch",
        "max_linesearch",
        "min_freq",
        "pa_type",
        "c",
        "error_sensitive",
        "averaging",
        "variance",
        "gamma",
    ):
        v = getattr(args, name, None)
        if v is not None:
            out[name] = v
    if args.all_possible_states:
        out["all_possible_states"] = True
    if args.all_possible_transitions:
        out["all_possible_transitions"] = True
    return out


#: ``--label`` values: the CoNLL-U fields a tagger can learn.
CONLLU_LABELS = ("upos", "xpos")


def conllu_label(label: str | None, given: str | None) -> str:
    """The CoNLL-U field to predict: ``label`` (``--label``), else a ``given`` ``--label-column``
    of upos/xpos, else UPOS."""
    if label is None and given is not None:
        if given not in CONLLU_LABELS:
            raise ValueError(
                f"--label-column {given}: CoNLL-U input labels words with one of its fields; "
                f"expected --label {' or --label '.join(CONLLU_LABELS)}"
            )
        label = given
    return label or "upos"


def read_files(
    paths,
    columns: str | None,
    what: str,
    fmt: str | None = None,
    label: str | None = None,
    label_column: str | None = None,
) -> list:
    """Sentences of CoNLL or CoNLL-U files.

    ``fmt``: ``conll``, ``conllu`` or ``None``/``auto`` (each file's content
    decides, see :func:`crftagger.corpora.detect.detect_format`). CoNLL files
    have the columns ``columns`` (comma-separated names, the tokens named
    ``word``); CoNLL-U files give their syntactic words (FORM) with the field
    ``label`` (``upos`` or ``xpos``; else ``label_column`` when it is one of
    them; default UPOS) as the only column.
    """
    from crftagger.corpora import read_conll, read_conllu
    from crftagger.corpora.detect import resolve_format

    cols = tuple(c.strip() for c in columns.split(",")) if columns else None
    out = []
    for path in paths:
        found = resolve_format(path, fmt, ("conll", "conllu"))
        if found == "conllu":
            if cols is not None:
                raise ValueError(
                    f"{path}: --columns names the columns of CoNLL files; CoNLL-U has fixed "
                    f"fields: choose the label with --label {'|'.join(CONLLU_LABELS)}"
                )
            lab = conllu_label(label, label_column)
            out.extend(read_conllu(path, columns=(lab,), label=lab))
        else:
            out.extend(read_conll(path, cols))
    if not out:
        raise ValueError(f"{what}: no sentence in {', '.join(map(str, paths))}")
    return out


def _label_column(sentences, given: str | None) -> str:
    if given:
        return given
    cols = list(sentences[0].columns)
    if not cols:
        raise ValueError("the input files have a single column (tokens only); labels are needed")
    return cols[-1]


def check_columns(
    sentences, label_column: str, paths, columns: str | None, verb: str = "trains"
) -> None:
    """Stop when the token and label columns look swapped (a tag-first file read word-first)."""
    from crftagger.corpora.detect import swapped_columns

    names = [c.strip() for c in columns.split(",")] if columns else None
    where = ", ".join(map(str, paths))
    problem = swapped_columns(sentences, label_column, names, source=where)
    if problem:
        raise ValueError(problem + f" (--no-column-check {verb} as the columns are)")


def template_feature_set(path, sentences, label_column: str):
    """The feature set of a CRF++ or CRFsuite template file over the columns of ``sentences``.

    CRF++ column 0 (``%x[row,0]``) is the token; columns 1, 2, ... are the
    other input columns in file order, the label column left out (for
    CoNLL-U, the word is the only input column). CRFsuite-style templates
    (``w[0]``, ``pos[-1]|pos[0]``) name the columns.
    """
    import os

    from crftagger.errors import TemplateError
    from crftagger.features import FeatureSet

    if not os.path.isfile(path):
        raise FileNotFoundError(f"--template: no file {path}")
    first = sentences[0]
    extra = [] if first.token_column == "form" else [c for c in first.columns if c != label_column]
    fs = FeatureSet.from_file(path, columns=extra)
    for name in fs.used_extractors():
        d = fs.extractor_def(name)
        if d["kind"] != "column":
            continue
        if "index" in d and int(d["index"]) > len(extra):
            raise TemplateError(
                f"{path}: a template reads column {d['index']} (%x[ROW,{d['index']}]); the training "
                f"data have {len(extra)} input column(s) besides the token"
                + (f" ({', '.join(extra)})" if extra else "")
                + f" and the label column {label_column!r}; expected column 0"
                + (f" to {len(extra)}" if extra else " (the token)")
            )
        if "column" in d and d["column"] not in extra:
            raise TemplateError(
                f"{path}: a template reads the column {d['column']!r}; the training data have "
                + (f"the input columns {', '.join(extra)}" if extra else "no input column")
                + f" besides the token and the label column {label_column!r}"
            )
    return fs


def carve(train: list, fraction, out) -> tuple[list, list]:
    """``(train, dev)`` with every n-th sentence of ``train`` as dev (:func:`crftagger.corpora.carve_dev`)."""
    from crftagger.corpora import carve_dev

    try:
        rest, dev = carve_dev(train, fraction)
    except ValueError as exc:
        raise ValueError(f"--dev-fraction: {exc}") from None
    print(
        f"dev: {len(dev)} of the {len(train)} training sentences (--dev-fraction {fraction}), "
        f"training on the other {len(rest)}",
        file=out,
    )
    return rest, dev


def _is_corpus(name: str) -> bool:
    from crftagger.corpora import registry

    return name in registry.names()


class _Unset:
    """The default of every ``train`` option: tells an option given on the command line
    (which wins) from one left to the ``--config`` file or to the option's own default."""

    def __init__(self, default):
        self.default = default

    def __repr__(self) -> str:  # shown by --help as the default
        return repr(self.default)


#: Options that are not settings of a training run (never read from or written to a config file).
_NOT_CONFIG = ("help", "config", "print_config")


def _config_actions(parser) -> dict:
    return {
        a.dest: a
        for a in parser._actions
        if a.dest not in _NOT_CONFIG and a.dest is not argparse.SUPPRESS
    }


def _mark_unset(parser) -> None:
    for a in _config_actions(parser).values():
        if a.default is not argparse.SUPPRESS and not isinstance(a, argparse._AppendAction):
            a.default = _Unset(a.default)


def read_config(path) -> dict:
    """The settings of a TOML ``--config`` file, ``{dest: value}`` (keys with ``-`` or ``_``)."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"--config: no file {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"--config {path}: not a TOML file ({exc})") from None
    out = {}
    for key, value in raw.items():
        out[key.replace("-", "_")] = (key, value)
    return out


def _config_value(path, key: str, value, action):
    """``value`` of ``key`` in the config file ``path``, checked and converted for ``action``."""
    where = f"--config {path}: {key}"
    if action.dest == "data":
        value = [value] if isinstance(value, str) else value
        if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise ValueError(
                f"{where} = {value!r}; expected a file or corpus name, or a list of them"
            )
        return value
    if action.dest == "feature_param":
        if isinstance(value, dict):
            value = [
                f"{k}={v if isinstance(v, str) else ','.join(v) if isinstance(v, list) else _toml(v)}"
                for k, v in value.items()
            ]
        if not (isinstance(value, list) and all(isinstance(v, str) and "=" in v for v in value)):
            raise ValueError(
                f'{where} = {value!r}; expected a table (columns = "pos,chunk") or a list of '
                "NAME=VALUE strings"
            )
        return value
    if action.dest == "recipe" and value is True:  # --recipe alone: the corpus' own
        return value
    flag = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
    if flag or action.dest == "progress":
        if not isinstance(value, bool):
            raise ValueError(f"{where} = {value!r}; expected true or false")
        return value
    if isinstance(value, bool) and action.type is not _flag:
        raise ValueError(f"{where} = {value!r}; expected a {_kind(action)}")
    if action.type is not None and isinstance(value, str):
        try:
            value = action.type(value)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise ValueError(f"{where} = {value!r}: {exc}") from None
    elif action.type is float and isinstance(value, int):
        value = float(value)
    elif action.type is _flag:
        if value not in (0, 1) and not isinstance(value, bool):
            raise ValueError(f"{where} = {value!r}; expected true or false (or 1 or 0)")
        value = bool(value)
    elif action.type is _fraction and isinstance(value, (int, float)):
        value = _fraction(str(value))
    if action.type in (int, float) and not isinstance(value, (int, float)):
        raise ValueError(f"{where} = {value!r}; expected a {_kind(action)}")
    if action.type is None and action.choices is None and not isinstance(value, str):
        raise ValueError(f"{where} = {value!r}; expected a string")
    if action.choices is not None and value not in action.choices:
        raise ValueError(
            f"{where} = {value!r}; expected one of {', '.join(map(str, action.choices))}"
        )
    return value


def _kind(action) -> str:
    return {int: "whole number", float: "number"}.get(action.type, "value")


def resolve_config(args) -> None:
    """Fill in ``args``: the command line first, then the ``--config`` file, then the defaults.

    A key of the file that is no ``train`` option is refused, naming the key and the file.
    """
    parser = args._parser
    actions = _config_actions(parser)
    given = read_config(args.config) if getattr(args, "config", None) else {}
    for dest, (key, _v) in given.items():
        if dest not in actions:
            import difflib

            names = sorted(a.replace("_", "-") for a in actions)
            near = difflib.get_close_matches(key.replace("_", "-"), names, n=1)
            raise ValueError(
                f"--config {args.config}: unknown key {key!r}"
                + (f" (did you mean {near[0]!r}?)" if near else "")
                + f"; expected one of the train options: {', '.join(names)}"
            )
    for dest, action in actions.items():
        current = getattr(args, dest, None)
        unset = isinstance(current, _Unset)
        if dest in ("data_dir", "feature_param", "data"):
            unset = unset or not current
        if unset and dest in given:
            key, value = given[dest]
            setattr(args, dest, _config_value(args.config, key, value, action))
        elif isinstance(current, _Unset):
            setattr(args, dest, current.default)
    if not args.data:
        raise ValueError(
            "expected the training data: a corpus name or files (or data = [...] in --config)"
        )


def _toml(value) -> str:
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            repr(value)
            if math.isfinite(value)
            else ("nan" if value != value else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def effective_config(args) -> str:
    """The settings of this run as a TOML ``--config`` file (options left unset omitted)."""
    lines = []
    for dest in _config_actions(args._parser):
        value = getattr(args, dest, None)
        if value is None or dest == "data_dir" and value is None:
            continue
        lines.append(f"{dest} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from crftagger.io.container import check_destination

    if getattr(args, "_parser", None) is not None:
        resolve_config(args)
        if args.print_config:
            sys.stdout.write(effective_config(args))
            return 0

    if args.output is None and getattr(args, "cv", None) is None:
        raise ValueError("-o/--output: expected the model file to write")
    if args.output is not None:
        check_destination(args.output)  # before training, not after
    from crftagger.engine.budget import resolve_budget, resolve_work, training_budgets

    memory, work = getattr(args, "memory_budget", None), getattr(args, "work_budget", None)
    resolve_budget(memory)  # bad values are refused before reading any data
    resolve_work(work)
    with training_budgets(memory, work):
        return _run(args)


def _run(args) -> int:
    if getattr(args, "task", "tag") == "slots":
        from crftagger.cli.slots import train_slots

        for opt, v in (
            ("--cv", getattr(args, "cv", None)),
            ("--init", getattr(args, "init", None)),
        ):
            if v is not None:
                raise ValueError(f"{opt} trains taggers; it does not go with --task slots")

        return train_slots(args)
    if getattr(args, "intents", None):
        raise ValueError("--intents goes with --task slots")
    from crftagger.api.tagger import Tagger

    source = args.data[0] if len(args.data) == 1 and _is_corpus(args.data[0]) else None
    scheme = None if args.scheme == "none" else args.scheme
    label_column = args.label_column
    out = sys.stdout
    fmt = getattr(args, "format", None)
    if args.dev_fraction is not None and args.dev not in (None, "none"):
        raise ValueError(
            f"give either --dev ({args.dev}) or --dev-fraction ({args.dev_fraction}), not both"
        )
    cv = getattr(args, "cv", None)
    if cv is not None:
        given = [
            f"--{name.replace('_', '-')} {v}"
            for name, v in (("dev", args.dev), ("test", args.test))
            if v not in (None, "none")
        ] + ([f"--dev-fraction {args.dev_fraction}"] if args.dev_fraction is not None else [])
        if given:
            raise ValueError(
                f"--cv {cv} scores each fold on the sentences held out of it; "
                f"{' and '.join(given)} do not go with it"
            )
    init = None
    if getattr(args, "init", None) is not None:
        init = load_init(args)
        if label_column is None:
            label_column = init.info.get("label_column")
        if args.scheme == "auto":
            scheme = init.scheme
    if args.template and (args.feature_set or args.feature_param):
        raise ValueError(
            "--template gives the feature set; it does not go with --feature-set or --feature-param"
        )
    if source is not None:
        from crftagger.corpora import load, registry

        if fmt not in (None, "auto") or args.label is not None:
            raise ValueError(
                f"--format and --label are for your own files; the registered corpus {source!r} "
                "has its own format (--label-column picks another of its label columns)"
            )
        info = registry.get(source)
        train = load(source, "train", getattr(args, "data_dir", None))
        label_column = label_column or info.label_column
        dev_spec = args.dev if args.dev is not None else ("dev" if "dev" in info.splits else None)
        if args.dev_fraction is not None or cv is not None:
            dev_spec = None
        dev = (
            load(source, dev_spec, getattr(args, "data_dir", None))
            if dev_spec and dev_spec != "none"
            else None
        )
        test_spec = (
            args.test if args.test is not None else ("test" if "test" in info.splits else None)
        )
        if cv is not None:
            test_spec = None
        test = (
            load(source, test_spec, getattr(args, "data_dir", None))
            if test_spec and test_spec != "none"
            else None
        )
        if scheme == "auto":
            scheme = info.scheme
        feature_set = args.feature_set or {
            "ner": "ner",
            "chunk": "chunk",
            "pos": "pos",
            "slots": "slots",
        }.get(info.task, "ner")
    elif args.recipe is True:
        raise ValueError(
            f"--recipe: {args.data[0]!r} is not a registered corpus; name the recipe to "
            "train your own data with (--recipe CORPUS, see `crftagger corpora list`)"
        )
    else:
        label = args.label
        train = read_files(args.data, args.columns, "training data", fmt, label, label_column)
        conllu = train[0].token_column == "form"
        if conllu:
            label_column = label = conllu_label(label, label_column)
        elif args.label is not None:
            raise ValueError(
                f"--label {args.label} picks a CoNLL-U field; {args.data[0]} is a CoNLL file: "
                "name its label column with --label-column"
            )
        label_column = _label_column(train, label_column)
        if not conllu and not args.no_column_check:
            check_columns(train, label_column, args.data, args.columns)
        dev = (
            read_files([args.dev], args.columns, "--dev", fmt, label, label_column)
            if args.dev not in (None, "none")
            else None
        )
        test = (
            read_files([args.test], args.columns, "--test", fmt, label, label_column)
            if args.test not in (None, "none")
            else None
        )
        feature_set = args.feature_set or ("pos" if conllu else "ner")
    if args.limit:
        train = train[: args.limit]
    if args.dev_fraction is not None:
        train, dev = carve(train, args.dev_fraction, out)
    if args.template:
        feature_set = template_feature_set(args.template, train, label_column)
    params = dict(crf_params(args))
    recipe = None
    if args.recipe is not None:
        recipe = source if args.recipe is True else args.recipe
        if args.feature_set is None and not args.feature_param and not args.template:
            feature_set = None  # the recipe's
    feature_params = {}
    for kv in args.feature_param or ():
        if "=" not in kv:
            raise ValueError(f"--feature-param: found {kv!r}; expected NAME=VALUE")
        k, v = kv.split("=", 1)
        feature_params[k] = [c for c in v.split(",") if c] if k == "columns" else _literal(v)
    if feature_params:
        feature_set = {"name": feature_set, **feature_params}
    if recipe is not None and not _is_corpus(recipe):
        raise ValueError(
            f"--recipe: {recipe!r} is not a registered corpus (see `crftagger corpora list`)"
        )
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    train_options = dict(
        recipe=recipe,
        scheme=scheme,
        train_scheme=args.train_scheme,
        label_column=label_column,
        data_dir=getattr(args, "data_dir", None),
        engine=args.engine,
        threads=args.threads,
        order=args.order,
        **params,
    )
    if cv is not None:
        return cross_validate(train, feature_set, train_options, args, out)
    start = time.perf_counter()
    if init is not None:
        tagger = warm_train(
            init, args.init, train, label_column, params, args, out, dev=dev, progress=progress
        )
        if dev is not None:
            tagger.info["scores"]["dev"] = tagger.evaluate(dev, label_column=label_column).summary()
    else:
        tagger = Tagger.train(
            train,
            feature_set,
            recipe=recipe,
            scheme=scheme,
            train_scheme=args.train_scheme,
            dev=dev,
            label_column=label_column,
            data_dir=getattr(args, "data_dir", None),
            engine=args.engine,
            threads=args.threads,
            progress=progress,
            order=args.order,
            **params,
        )
    seconds = time.perf_counter() - start
    tagger.info["corpus"] = source
    if args.dev_fraction is not None:
        tagger.info["dev_fraction"] = args.dev_fraction
    log = tagger.info.get("training_log") or []
    print(
        f"trained on {tagger.info['n_sentences']} sentences ({tagger.info['n_tokens']} tokens) in "
        f"{seconds:.1f} s: {len(log)} iterations, {len(tagger.labels)} labels, "
        f"{len(tagger.model.attributes)} attributes, {tagger.model.n_features} features",
        file=out,
    )
    if dev is not None:
        _print_scores("dev", tagger.info["scores"]["dev"], out)
    if test is not None:
        ev = tagger.evaluate(test, label_column=label_column)
        tagger.info["scores"]["test"] = ev.summary()
        _print_scores("test", tagger.info["scores"]["test"], out)
    path = tagger.save(args.output)
    print(f"model written to {path}", file=out)
    return 0


def load_init(args):
    """The tagger of ``--init MODEL``, after refusing the options that would change its features."""
    from crftagger.api.tagger import Tagger
    from crftagger.io.open import model_format

    path = args.init
    if model_format(path) != "crftagger":
        raise ValueError(
            f"--init {path}: a CRFsuite model file, which does not say how its attributes are "
            "computed; expected a crftagger model file (import it with `crftagger convert` first)"
        )
    clash = [
        opt
        for opt, given in (
            ("--feature-set", args.feature_set),
            ("--feature-param", args.feature_param),
            ("--template", args.template),
            ("--recipe", args.recipe),
            ("--train-scheme", args.train_scheme),
            ("--order", args.order),
            ("--cv", getattr(args, "cv", None)),
        )
        if given
    ]
    if args.engine != "numba":
        clash.append(f"--engine {args.engine}")
    if clash:
        raise ValueError(
            f"--init {path} continues training that model with its feature set, schemes and "
            f"order (numba engine); {', '.join(clash)} do(es) not go with it"
        )
    t0 = Tagger.load(path)
    if getattr(t0.model, "order", 1) != 1:
        raise ValueError(
            f"--init {path}: a second-order model; warm starts are for first-order models"
        )
    return t0


def warm_train(
    t0, path, sentences, label_column, params: dict, args, out, dev=None, progress=False
):
    """A tagger trained on ``sentences`` starting from the weights of ``t0`` (``--init``).

    The feature set, its word clusters and tag dictionary, the labels and the
    schemes are ``t0``'s. Every feature the new data produce starts at its
    weight in ``t0`` (0 for an attribute or attribute-label pair ``t0`` lacks:
    new attributes are added to the model), the transitions at ``t0``'s; as
    in a fresh training, the features are those of the training data, so a
    feature of ``t0`` the new data never produce is not kept. A label ``t0``
    does not have is refused (the label set, and so the transition table, is
    the model's). ``dev`` sentences are scored after every iteration (token
    accuracy, ``dev_accuracy`` in the training log).
    """
    import numpy as np

    from crftagger import schemes
    from crftagger.api.tagger import Tagger
    from crftagger.engine.encoding import AttributeSequences, Vocabulary
    from crftagger.engine.model import LinearChainCRF
    from crftagger.engine.options import check_algorithm, check_options

    m0 = t0.model
    algorithm = check_algorithm(params.get("algorithm"), "numba")
    features = {k: params.pop(k, None) for k in FEATURE_PARAMS}
    options = check_options(algorithm, {k: v for k, v in params.items() if k != "algorithm"})
    tokens, tags = Tagger._split_labelled(sentences, label_column, "training")
    if t0.model_scheme != t0.scheme:
        tags = [schemes.convert(t, t0.scheme, t0.model_scheme, repair="begin") for t in tags]
    labels = m0.labels
    ids = []
    for s, seq in enumerate(tags):
        for i, lab in enumerate(seq):
            k = labels.get(lab)
            if k < 0:
                raise ValueError(
                    f"--init {path}: training sentence {s + 1}, token {i + 1} has the label "
                    f"{lab!r}, which the model does not have; expected one of its "
                    f"{len(labels)} labels ({' '.join(labels.items)})"
                )
            ids.append(k)
    A0 = len(m0.attributes)
    attrs = Vocabulary.from_list(list(m0.attributes.items))
    fx = t0.feature_set.extractor(
        attributes=attrs, clusters=t0.clusters, tag_dictionary=t0.tag_dictionary
    )
    # unlabelled: the tag dictionary is the model's, not learned again
    enc = fx.transform(Tagger._feature_input(sentences, tokens))
    fx.freeze()
    data = AttributeSequences(
        enc.seq_ptr, enc.item_ptr, enc.attr_ids, enc.attr_vals, np.asarray(ids, dtype=np.int32)
    )
    model = LinearChainCRF(labels, attrs)
    tail = np.full(len(attrs) - A0, m0.feat_ptr[-1], dtype=m0.feat_ptr.dtype)
    model.set_parameters(
        np.concatenate([m0.feat_ptr, tail]), m0.feat_label, m0.w.copy(), m0.trans_mask
    )
    old = _state_codes(m0)
    from crftagger.engine.engines import ProgressCallback, progress_bar

    dev_data = None
    if dev is not None:
        dtoks, dtags = Tagger._split_labelled(dev, label_column, "dev")
        if t0.model_scheme != t0.scheme:
            dtags = [schemes.convert(t, t0.scheme, t0.model_scheme, repair="begin") for t in dtags]
        d = fx.transform(Tagger._feature_input(dev, dtoks))
        dev_y = np.asarray([labels.get(t) for seq in dtags for t in seq], dtype=np.int32)
        dev_data = AttributeSequences(d.seq_ptr, d.item_ptr, d.attr_ids, d.attr_vals, dev_y)
    bar = progress_bar(options.get("max_iterations"), "training", bool(progress))
    cb = ProgressCallback(model, dev=dev_data, bar=bar) if dev_data or bar else None
    try:
        model.fit(
            data,
            algorithm=algorithm,
            threads=args.threads,
            callback=cb,
            warm_start=True,
            keep_features=True,
            all_possible_states=bool(features["all_possible_states"]),
            all_possible_transitions=bool(features["all_possible_transitions"]),
            min_freq=float(features["min_freq"] or 0.0),
            **options,
        )
    finally:
        if bar is not None:
            bar.close()
    log = list(model.training_log) if cb is None else cb.merge_into(model.training_log)
    new = _state_codes(model)
    carried = int(np.isin(new, old).sum())
    info = {k: v for k, v in t0.info.items() if k not in ("scores", "training_log", "dev_fraction")}
    info.update(
        label_column=label_column,
        n_sentences=len(tokens),
        n_tokens=int(sum(len(t) for t in tokens)),
        engine="numba",
        training={**model.training_params, "train_scheme": t0.model_scheme},
        training_log=log,
        scores={},
        warm_start={
            "from": str(path),
            "state_features_from_model": carried,
            "new_state_features": int(len(new) - carried),
            "model_state_features_dropped": int(len(old) - carried),
            "new_attributes": int(len(attrs) - A0),
        },
    )
    print(
        f"warm start from {path}: {carried} of the {len(new)} state features start from its "
        f"weights (all of its {len(old)} kept, whether these data show them or not), "
        f"{len(new) - carried} new ({len(attrs) - A0} new attributes) start at 0",
        file=out,
    )
    tagger = Tagger(
        model,
        t0.feature_set,
        scheme=t0.scheme,
        model_scheme=t0.model_scheme,
        info=info,
        clusters=t0.clusters,
        o_bias=t0.o_bias,
        tag_dictionary=t0.tag_dictionary,
        output_scheme=t0.output_scheme,
        tokenizer=t0.tokenizer,
    )
    tagger._extractor = fx
    return tagger


#: The feature-generation options of :func:`crf_params` (not trainer options).
FEATURE_PARAMS = ("min_freq", "all_possible_states", "all_possible_transitions")


def _state_codes(model):
    """``attribute * L + label`` of every state feature of ``model`` (the attribute ids shared)."""
    import numpy as np

    owner = np.repeat(np.arange(len(model.feat_ptr) - 1), np.diff(model.feat_ptr))
    return owner.astype(np.int64) * model.n_labels + model.feat_label


def cv_folds(n: int, k: int, seed: int | None) -> list[int]:
    """The fold (0 .. k-1) of each of ``n`` sentences: the sentences in an order shuffled with
    ``seed`` are dealt out in turn, so fold sizes differ by at most one; ``seed`` None deals
    them in file order (sentence ``i`` in fold ``i mod k``, CRFsuite's ``learn -g K -x``)."""
    import random

    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"--cv: found {k!r}; expected a number of folds of at least 2")
    if n < k:
        raise ValueError(f"--cv {k}: {n} training sentences; expected at least one per fold")
    order = list(range(n))
    if seed is not None:
        random.Random(seed).shuffle(order)
    fold = [0] * n
    for j, i in enumerate(order):
        fold[i] = j % k
    return fold


def cross_validate(sentences, feature_set, options: dict, args, out) -> int:
    """``--cv K``: train on K-1 folds, score the held-out one, K times; print each and mean +- std.

    Span F1 (micro, lenient as ``evaluate``) for span tags, else token
    accuracy. Models are written only with ``-o`` (``NAME.foldI.EXT``).
    """
    import json
    import statistics
    import warnings
    from pathlib import Path

    from crftagger.api.tagger import Tagger

    k = args.cv
    seed = None if args.cv_in_order else args.cv_seed
    folds = cv_folds(len(sentences), k, seed)
    results = []
    for i in range(k):
        train = [s for s, f in zip(sentences, folds, strict=True) if f != i]
        held = [s for s, f in zip(sentences, folds, strict=True) if f == i]
        start = time.perf_counter()
        tagger = Tagger.train(train, feature_set, progress=False, **options)
        with warnings.catch_warnings():
            # a span type a fold never predicts leaves its own precision undefined;
            # the micro-averaged figures printed here are defined all the same
            warnings.simplefilter("ignore", UserWarning)
            scores = tagger.evaluate(held, label_column=options.get("label_column")).summary()
        row = {
            "fold": i + 1,
            "n_train": len(train),
            "n_held_out": len(held),
            "seconds": round(time.perf_counter() - start, 3),
            **scores,
        }
        if args.output:
            p = Path(args.output)
            row["model"] = str(tagger.save(p.with_name(f"{p.stem}.fold{i + 1}{p.suffix}")))
        results.append(row)
        if not args.json:
            what = (
                f"F1 {100 * scores['f1']:.2f} (precision {100 * scores['precision']:.2f}, recall "
                f"{100 * scores['recall']:.2f}), token accuracy {100 * scores['accuracy']:.2f}"
                if "f1" in scores
                else f"token accuracy {100 * scores['accuracy']:.2f}"
            )
            print(
                f"fold {i + 1}/{k}: trained on {len(train)} sentences, {what} on the "
                f"{len(held)} held out"
                + (f"; model written to {row['model']}" if "model" in row else ""),
                file=out,
            )
            out.flush()
    metric = "f1" if all("f1" in r for r in results) else "accuracy"
    values = [r[metric] for r in results]
    mean, std = statistics.fmean(values), statistics.stdev(values)
    if args.json:
        obj = {
            "folds": k,
            "seed": seed,
            "metric": metric,
            "mean": mean,
            "std": std,
            "per_fold": results,
        }
        print(json.dumps(obj, indent=1, sort_keys=True), file=out)
    else:
        name = "span F1" if metric == "f1" else "token accuracy"
        print(
            f"{k}-fold cross-validation "
            + ("(folds in file order)" if seed is None else f"(seed {seed})")
            + f": {name} "
            f"{100 * mean:.2f} +- {100 * std:.2f} (mean +- sample std over the folds)",
            file=out,
        )
    return 0


def _fraction(text: str) -> float:
    from crftagger.corpora.split import dev_fraction

    try:
        dev_fraction(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return float(text)


def _literal(v: str):
    import json

    try:
        return json.loads(v)
    except ValueError:
        return v


def _print_scores(name: str, s: dict, out) -> None:
    if "f1" not in s:  # plain tags (part of speech): no spans to score
        print(
            f"{name}: token accuracy {100 * s['accuracy']:.2f} on {s['n_sentences']} sentences",
            file=out,
        )
        return
    strict = f", strict F1 {100 * s['strict_f1']:.2f}" if "strict_f1" in s else ""
    print(
        f"{name}: F1 {100 * s['f1']:.2f} (precision {100 * s['precision']:.2f}, recall "
        f"{100 * s['recall']:.2f}){strict}, token accuracy {100 * s['accuracy']:.2f} "
        f"on {s['n_sentences']} sentences",
        file=out,
    )


def register(sub):
    p = sub.add_parser(
        "train",
        help="train a tagger on a corpus or CoNLL files",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument(
        "data",
        nargs="*",
        help="a registered corpus name, or CoNLL or CoNLL-U files (or data in --config)",
    )
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE.toml",
        help="read the options from a TOML file (keys: the option names, - or _, e.g. "
        'data = ["train.txt"], columns = "word,pos,chunk", c1 = 0.1, algorithm = '
        '"lbfgs", feature-param = {columns = "pos"}); options on the command line win; '
        "an unknown key is refused",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        help="write the effective options (command line over --config over defaults) as a "
        "TOML --config file to stdout, and stop",
    )
    p.add_argument(
        "--format",
        choices=("auto", "conll", "conllu"),
        default="auto",
        help="format of the files: auto (default: read from each file's content), conll "
        "(a token per line, columns named by --columns) or conllu",
    )
    p.add_argument(
        "--label",
        choices=CONLLU_LABELS,
        default=None,
        help="CoNLL-U: the field to predict, upos (default) or xpos",
    )
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="model file to write (required, except with --cv, where it names the fold models)",
    )
    p.add_argument(
        "--task",
        choices=("tag", "slots"),
        default="tag",
        help="tag (default): a tagger; slots: a slot filler, slot CRF and intent classifier, "
        "from atis/snips or a file of token<TAB>tag lines with a '# intent = NAME' line before "
        "each utterance (run it with `crftagger slots -m MODEL`)",
    )
    p.add_argument(
        "--intents",
        default=None,
        metavar="FILE",
        help="--task slots: one intent per line, one line per utterance of the training file "
        "(instead of '# intent =' lines)",
    )
    p.add_argument(
        "--columns",
        default=None,
        help="column names of CoNLL files, comma-separated (e.g. word,pos,ner)",
    )
    p.add_argument(
        "--label-column", default=None, help="column to predict (default: the corpus' or the last)"
    )
    p.add_argument(
        "--feature-set",
        default=None,
        help="named feature set: ner, pii, chunk, pos, slots, crfsuite-chunking "
        "(default: by the corpus task, else ner)",
    )
    p.add_argument(
        "--feature-param",
        action="append",
        metavar="NAME=VALUE",
        help="parameter of the feature set, e.g. columns=pos,chunk or gazetteers=false",
    )
    p.add_argument(
        "--scheme",
        default="auto",
        help="tag scheme of the data: auto (default), none, iob1, iob2, ioe1, ioe2, bioes, bilou, io",
    )
    p.add_argument(
        "--train-scheme", default=None, help="train on tags converted to this scheme (e.g. bioes)"
    )
    p.add_argument(
        "--dev",
        default=None,
        help="dev split name or file (default: the corpus' dev split; 'none')",
    )
    p.add_argument(
        "--dev-fraction",
        type=_fraction,
        default=None,
        metavar="F",
        help="score on a dev split carved from the training data instead: every n-th "
        "sentence for F = 1/n (0.1: every 10th, as the benchmark carves corpora without a dev "
        "split), other fractions spread evenly; trained on the rest",
    )
    p.add_argument(
        "--test", default=None, help="test split name or file scored at the end ('none')"
    )
    p.add_argument(
        "--init",
        default=None,
        metavar="MODEL",
        help="warm start: continue training a crftagger model file (first-order, numba engine) "
        "with its feature set, labels and schemes; each feature of the training data starts "
        "at the model's weight (new attributes and attribute-label pairs at 0), a label the "
        "model lacks is refused; the model's features stay, those these data never show too",
    )
    p.add_argument(
        "--cv",
        type=int,
        default=None,
        metavar="K",
        help="K-fold cross-validation over the training sentences (folds dealt from an order "
        "shuffled with --cv-seed): K models trained, each scored on its held-out fold; prints "
        "each fold's and the mean +- std span F1 (token accuracy for tags without spans); "
        "models written only with -o (NAME.foldI.EXT)",
    )
    p.add_argument(
        "--cv-seed", type=int, default=0, help="seed of the --cv fold assignment (default 0)"
    )
    p.add_argument(
        "--cv-in-order",
        action="store_true",
        help="deal the --cv folds in file order, sentence i in fold i mod K (CRFsuite's "
        "learn -g K -x), instead of shuffled",
    )
    p.add_argument("--json", action="store_true", help="with --cv: the figures as one JSON object")
    p.add_argument(
        "--template",
        default=None,
        metavar="FILE",
        help="feature templates instead of a named feature set: a CRF++ file (U01:%%x[-1,0]/"
        "%%x[0,0] lines, B) or CRFsuite names (w[-1]|w[0], one per line); CRF++ column 0 is the "
        "token, 1, 2, ... the other columns in file order without the label; saved in the model",
    )
    p.add_argument(
        "--no-column-check",
        action="store_true",
        help="train even when the token column looks like tags and the label column like words",
    )
    p.add_argument(
        "--limit", type=int, default=None, help="use only the first N training sentences"
    )
    p.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=None,
        help="1: first-order CRF (default); 2: second-order CRF, transitions over label "
        "triples (numba engine, lbfgs only)",
    )
    p.add_argument(
        "--recipe",
        nargs="?",
        const=True,
        default=None,
        metavar="CORPUS",
        help="train with the tuned recipe of a registered corpus (crftagger.recipes: feature "
        "set with learned word clusters, training scheme, CRF order, c1/c2, iterations, "
        "O bias), the settings `crftagger benchmark` measures: --recipe alone for the "
        "corpus being trained, --recipe CORPUS for your own files with that corpus' "
        "columns; options given explicitly override it",
    )
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")
    add_crf_arguments(p)
    p.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false")
    _mark_unset(p)
    p.set_defaults(func=run, _parser=p)
