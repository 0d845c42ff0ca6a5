"""Everything that shapes a benchmark run, its presets, and how it is checked.

The settings travel as a plain dict inside the results document, so ``to_dict`` and
``from_dict`` are exact inverses and every field has a JSON type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from .backends import BACKENDS, backend_options
from .results import MEASURED_EXPERIMENTS

#: What a run can do: the measured experiments, and disk usage (which is not timed).
EXPERIMENTS = (*MEASURED_EXPERIMENTS, "disk_usage")
#: In the order the plan runs them at each n: a store experiment's last, verified store is
#: the store the reads of that n share.
STORE_EXPERIMENTS = ("store_many", "store_single")
READ_EXPERIMENTS = ("open", "read_single", "read_many", "read_random")
#: Experiments whose cost per image does not change with n (run at small n only).
SINGLE_EXPERIMENTS = ("store_single", "read_single")
CLASSIC_CUTOFFS = (10, 100, 1_000, 10_000, 100_000)
CacheMode = Literal["warm", "cold"]


@dataclass(frozen=True)
class RunSettings:
    """One benchmark run. ``data`` is "auto" (discover), "synthetic" or a path (a CIFAR
    folder or archive, or a folder of the user's own images)."""

    data: str = "auto"
    count: int | None = None  # images after tiling; None: the largest cutoff
    backends: tuple[str, ...] = ("png", "lmdb", "hdf5", "raw")
    experiments: tuple[str, ...] = EXPERIMENTS
    cutoffs: tuple[int, ...] = CLASSIC_CUTOFFS
    repeats: int = 3
    warmup: int = 1
    k: int = 1_000  # random-read size, capped at n
    cache: CacheMode = "warm"
    durable: bool = True
    backend_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    workdir: str | None = None  # None: the system temp dir
    seed: int = 0
    image_size: tuple[int, int] = (32, 32)  # of the synthetic set
    resize: tuple[int, int] | None = None  # (W, H) for a folder of images; None: as they are
    keep_grey: bool = False  # a folder's grey images stay one channel (else RGB)
    # -- sampling: at least `repeats` samples, more while under the budget, at most the cap
    sample_budget_s: float = 0.5  # timed seconds a measurement may gather beyond `repeats`
    max_samples: int = 30  # repeats win when they ask for more
    # single-image experiments cost the same per image at every n: run them up to this n
    single_max_n: int = 1_000
    # warm-ups help reads (caches, lazy opening); a store, or a read of every image right
    # after the store's read-back, warms nothing once n is large
    warmup_store_max_n: int = 100

    @property
    def target_count(self) -> int:
        return self.count if self.count is not None else max(self.cutoffs)

    def k_for(self, n: int) -> int:
        return min(self.k, n)

    def images_per_sample(self, experiment: str, n: int) -> int:
        """Images one sample moves: k for random reads, n otherwise (the unit of progress)."""
        return self.k_for(n) if experiment == "read_random" else n

    def single_cutoffs(self) -> tuple[int, ...]:
        """The cutoffs single-image experiments run at: those up to ``single_max_n``, or
        the smallest one when none is that small."""
        cutoffs = sorted(set(self.cutoffs))
        small = tuple(n for n in cutoffs if n <= self.single_max_n)
        return small or tuple(cutoffs[:1])

    def warmups_for(self, experiment: str, n: int) -> int:
        """Untimed samples before the timed ones. A store of many images has nothing to
        warm, and a read of all of them would only repeat the full read-back that checked
        the store (which warmed the cache the same way): past ``warmup_store_max_n`` these
        start timing at once; the other reads always warm up."""
        whole = (*STORE_EXPERIMENTS, "read_many")
        if experiment in whole and n > self.warmup_store_max_n:
            return 0
        return self.warmup

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        for key, value in record.items():
            if isinstance(value, tuple):
                record[key] = list(value)
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> RunSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(record) - known)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        values: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value for key, value in record.items()
        }
        return cls(**values)


PRESETS: dict[str, RunSettings] = {
    # The study: CIFAR-10's 50,000 images doubled to 100,000, cutoffs 10 to 100,000.
    "classic": RunSettings(count=100_000, cutoffs=CLASSIC_CUTOFFS, repeats=3),
    # A look in under a minute on a small machine.
    # Single-image experiments stop at n=100: their cost per image is the same at any n.
    "quick": RunSettings(
        count=1_000,
        cutoffs=(10, 100, 1_000),
        repeats=3,
        warmup=1,
        k=100,
        sample_budget_s=0.2,
        single_max_n=100,
    ),
    # More repeats and the cold page cache: slower, steadier, closer to a first epoch.
    "thorough": RunSettings(
        count=100_000,
        cutoffs=CLASSIC_CUTOFFS,
        repeats=7,
        warmup=2,
        cache="cold",
        sample_budget_s=2.0,
        max_samples=60,
    ),
}


def preset(name: str, **overrides: Any) -> RunSettings:
    """A preset with some fields replaced (the command line's explicit flags)."""
    try:
        base = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
    return replace(base, **overrides)


def problems(settings: RunSettings) -> list[str]:
    """Everything wrong with the settings, in words; empty when they can run."""
    found: list[str] = []
    unknown = [b for b in settings.backends if b not in BACKENDS]
    if unknown:
        found.append(f"unknown backend {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    if not settings.backends:
        found.append("choose at least one backend")
    bad = [e for e in settings.experiments if e not in EXPERIMENTS]
    if bad:
        found.append(f"unknown experiment {', '.join(bad)}; choose from {', '.join(EXPERIMENTS)}")
    if not settings.experiments:
        found.append("choose at least one experiment")
    if not settings.cutoffs or any(n < 1 for n in settings.cutoffs):
        found.append("cutoffs must be whole numbers of at least 1")
    elif settings.count is not None and max(settings.cutoffs) > settings.count:
        found.append(
            f"the largest cutoff ({max(settings.cutoffs):,}) is more than the count "
            f"({settings.count:,})"
        )
    if "disk_usage" in settings.experiments and not set(STORE_EXPERIMENTS) & set(
        settings.experiments
    ):
        found.append("disk usage is measured on the stores that store_single/store_many write")
    if settings.count is not None and settings.count < 1:
        found.append("count must be at least 1")
    if settings.repeats < 1:
        found.append("repeats must be at least 1")
    if settings.warmup < 0:
        found.append("warm-up must be 0 or more")
    if settings.sample_budget_s < 0:
        found.append("the sample budget must be 0 seconds or more")
    if settings.max_samples < 1:
        found.append("the sample cap must be at least 1")
    if settings.single_max_n < 1:
        found.append("single-image experiments need a largest n of at least 1")
    if settings.warmup_store_max_n < 0:
        found.append("the largest n with store warm-ups must be 0 or more")
    if settings.k < 1:
        found.append("the random-read size k must be at least 1")
    if settings.cache not in ("warm", "cold"):
        found.append("cache must be warm or cold")
    if any(side < 1 for side in settings.image_size):
        found.append("image size must be at least 1x1")
    if settings.resize is not None and (
        len(settings.resize) != 2 or any(side < 1 for side in settings.resize)
    ):
        found.append("resize to a width and a height of at least 1 each (WxH)")
    found.extend(_option_problems(settings.backend_options))
    return found


def _option_problems(options: dict[str, dict[str, Any]]) -> list[str]:
    found = []
    for backend, values in options.items():
        if backend not in BACKENDS:
            found.append(f"options given for unknown backend {backend}")
            continue
        unknown = sorted(set(values) - set(backend_options(backend)))
        if unknown:
            known = ", ".join(backend_options(backend)) or "no options"
            found.append(f"unknown option {', '.join(unknown)} for {backend} (it takes: {known})")
    return found
