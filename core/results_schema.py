"""The JSON Schema (Draft 2020-12) of a results document, version 1.

Loading checks every field a reader relies on against it (:func:`imgbench.core.results.
document_problems`), so a view never meets a number it cannot draw or a string where an
object belongs. Fields the schema does not name are allowed: other tools may add some.

Every leaf carries a ``description`` in words; a problem is told as "<path> is <value>,
expected <description>". Two departures from plain JSON Schema, set by the validator:
"integer" means a JSON integer (``10.0`` and ``true`` are not), and the format
"imgbench-time" is an ISO-8601 time that :meth:`datetime.fromisoformat` reads.

Bounds are generous for any real run and tight enough that every number stays a finite
float when a view divides, logs or formats it: a count is at most 10**12 (images, n, k,
cores), a size in bytes at most 10**18, a duration at most 10**9 s (about 31 years).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

#: Images, ids, cores, repeats: a trillion is far beyond any data set on one machine.
COUNT_MAX = 10**12
#: Bytes on disk or in memory: an exabyte.
BYTES_MAX = 10**18
#: Seconds of one sample or statistic.
SECONDS_MAX = 10**9
#: Images or megabytes per second (a nanosecond clock over a trillion images).
RATE_MAX = 10**21
#: Wall-clock times (seconds since 1970) of a sample's start, and other plain numbers.
NUMBER_MAX = 10**15
#: Characters of a name or version, of a path, and of free text (notes, error details).
NAME_CHARS = 1_000
PATH_CHARS = 65_536
TEXT_CHARS = 1_000_000
#: Items of a list of settings (cutoffs, backends) and entries of a small object.
LIST_ITEMS = 10_000

STATUSES = ("complete", "cancelled", "interrupted", "failed")
#: The classic study's stores; every store name matches STORE_NAME_PATTERN.
BACKEND_NAMES = ("png", "lmdb", "hdf5", "raw")
#: A store is ``container`` or ``container+encoding`` (imgbench.core.backends.names).
STORE_NAME_PATTERN = (
    r"^(png|files|lmdb|hdf5|raw|tar|parquet|zarr)"
    r"(\+(raw|original|png[0-9]?|jpeg[0-9]{0,3}|webp[0-9]{0,3}))?$"
)
MEASURED_EXPERIMENTS = (
    "store_single",
    "read_single",
    "store_many",
    "open",
    "read_many",
    "read_random",
    "read_latency",
    "epoch",
    "epoch_batched",
)
CACHE_MODES = ("warm", "cold", "cold-unsupported")
#: What the verdict favours when stores trade read speed, disk and write speed
#: (imgbench.core.verdict); the first is the default.
PRIORITIES = ("balanced", "read", "disk", "write")
PRESSURE_SOURCES = ("psi", "loadavg")


def _bound(value: int) -> str:
    """10**12 rather than 1,000,000,000,000."""
    if value >= 10**6 and str(value).rstrip("0") == "1":
        return f"10**{len(str(value)) - 1}"
    return f"{value:,}"


def _or_null(schema: Schema) -> Schema:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"], "description": schema["description"] + " or null"}


def whole(low: int = 0, high: int = COUNT_MAX) -> Schema:
    return {
        "type": "integer",
        "minimum": low,
        "maximum": high,
        "description": f"a whole number from {_bound(low)} to {_bound(high)}",
    }


def number(low: float, high: float, words: str) -> Schema:
    return {"type": "number", "minimum": low, "maximum": high, "description": words}


def seconds() -> Schema:
    return number(0, SECONDS_MAX, f"seconds (a number from 0 to {_bound(SECONDS_MAX)})")


def text(chars: int = NAME_CHARS, words: str | None = None) -> Schema:
    return {
        "type": "string",
        "maxLength": chars,
        "description": words or f"text of at most {chars:,} characters",
    }


def one_of(choices: tuple[str, ...]) -> Schema:
    words = ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]
    return {"enum": list(choices), "description": words}


def list_of(items: Schema, words: str, *, at_least: int = 0, at_most: int = LIST_ITEMS) -> Schema:
    return {
        "type": "array",
        "items": items,
        "minItems": at_least,
        "maxItems": at_most,
        "description": words,
    }


def obj(properties: dict[str, Schema], *, required: tuple[str, ...] = (), **extra: Any) -> Schema:
    return {
        "type": "object",
        "required": list(required),
        "properties": properties,
        "description": "an object",
        **extra,
    }


BOOLEAN: Schema = {"type": "boolean", "description": "true or false"}
BOOLEAN_OR_NULL: Schema = {"type": ["boolean", "null"], "description": "true, false or null"}
ANY_OBJECT: Schema = {"type": "object", "description": "an object"}
SIDES = list_of(whole(0), "two whole numbers (smallest, largest)", at_least=2, at_most=2)

TOOL = obj({"name": text(), "version": text()}, required=("name", "version"))

ENVIRONMENT = obj(
    {
        "python": _or_null(text()),
        "python_implementation": _or_null(text()),
        "os": _or_null(text()),
        "machine": _or_null(text()),
        "cpu": _or_null(text()),
        "cores": _or_null(whole(0)),
        "cores_available": _or_null(whole(0)),
        "memory_bytes": _or_null(whole(0, BYTES_MAX)),
        "packages": {
            "type": "object",
            "additionalProperties": _or_null(text()),
            "propertyNames": {"maxLength": NAME_CHARS},
            "maxProperties": LIST_ITEMS,
            "description": "an object of package names and versions (text or null)",
        },
        "liblmdb": _or_null(text()),
        "libhdf5": _or_null(text()),
        "workdir_filesystem": _or_null(text()),
    }
)

DATASET = obj(
    {
        "source": text(),
        "path": _or_null(text(PATH_CHARS)),
        "count": _or_null(whole(0)),
        "shape": {
            "type": ["array", "null"],
            "items": whole(1),
            "maxItems": 8,
            "description": "a list of up to 8 sides (whole numbers of at least 1) or null",
        },
        "shapes_vary": BOOLEAN,
        "pixels": _or_null(whole(0, BYTES_MAX)),
        "bytes": _or_null(whole(0, BYTES_MAX)),
        # a count today; the class names in files written before "class_names" came
        "classes": {
            "anyOf": [whole(0), list_of(text(), "a list of names")],
            "description": "a number of classes or a list of class names",
        },
        "class_names": list_of(text(), "a list of class names (text)", at_most=COUNT_MAX),
        "sha256": _or_null(text(128)),
        "details": ANY_OBJECT,
        "shape_range": obj(
            {
                "height": SIDES,
                "width": SIDES,
                "channels": list_of(whole(0), "a list of channel counts", at_most=64),
            }
        ),
    }
)

_SIZE = list_of(whole(1), "two whole numbers of at least 1", at_least=2, at_most=2)

SETTINGS = obj(
    {
        "data": text(PATH_CHARS),
        "count": _or_null(whole(1)),
        "backends": list_of(text(), "a list of backend names"),
        "experiments": list_of(text(), "a list of experiment names"),
        "cutoffs": list_of(whole(1), "a list of whole numbers of at least 1"),
        "repeats": whole(0),
        "warmup": whole(0),
        "k": whole(0),
        "cache": text(),
        "durable": BOOLEAN,
        "backend_options": {
            "type": "object",
            "additionalProperties": ANY_OBJECT,
            "maxProperties": LIST_ITEMS,
            "description": "an object of options (objects) by backend",
        },
        "workdir": _or_null(text(PATH_CHARS)),
        "seed": whole(0, 2**64),
        "image_size": _SIZE,
        "resize": {**_SIZE, "type": ["array", "null"], "description": _SIZE["description"]},
        "keep_grey": BOOLEAN,
        "sample_budget_s": seconds(),
        "max_samples": whole(0),
        "single_max_n": whole(0),
        "warmup_store_max_n": whole(0),
        # written since the epoch experiment came; older files lack them
        "batch_size": whole(1),
        "loader_workers": list_of(whole(1), "a list of whole numbers of at least 1"),
        "epochs": whole(1),
        # written since the verdict came; older files lack it (balanced)
        "priority": one_of(PRIORITIES),
    }
)

_SHARE = number(0, 1, "a share from 0 to 1")
_ANY_NUMBER = number(-NUMBER_MAX, NUMBER_MAX, f"a number within ±{_bound(NUMBER_MAX)}")

WARNING = obj(
    {
        "code": text(),
        "source": text(),
        "ci_half_width_share": _or_null(_ANY_NUMBER),
        "iqr_share": _or_null(_ANY_NUMBER),
        "cpu_some_share": _or_null(_ANY_NUMBER),
        "load1": _or_null(_ANY_NUMBER),
        "cores": _or_null(whole(0)),
        "samples": _or_null(whole(0)),
        "at_least": _or_null(whole(0)),
    },
    required=("code",),
    # a warning of a kind this imgbench does not know is shown as "key value, ..."
    additionalProperties={
        "type": ["string", "number", "boolean", "null"],
        "maxLength": NAME_CHARS,
        "minimum": -NUMBER_MAX,
        "maximum": NUMBER_MAX,
        "description": f"text, a number within ±{_bound(NUMBER_MAX)}, true, false or null",
    },
)

PRESSURE = obj(
    {
        "source": one_of(PRESSURE_SOURCES),
        "cpu_some_share": _or_null(_SHARE),
        "load1": _or_null(number(0, NUMBER_MAX, "a load average (a number of at least 0)")),
        "cores": _or_null(whole(1)),
    },
    required=("source",),
)

MEASUREMENT_REQUIRED = (
    "backend",
    "experiment",
    "n",
    "k",
    "samples_s",
    "min_s",
    "median_s",
    "mean_s",
    "stdev_s",
    "images_per_s",
    "mb_per_s",
    "bytes_apparent",
    "bytes_allocated",
    "verified",
    "cache",
)

_PERCENTILES = obj(
    {name: seconds() for name in ("p50", "p90", "p95", "p99", "p999")},
    required=("p50", "p99"),
)
_HISTOGRAM = obj(
    {
        "edges_s": list_of(seconds(), "a list of seconds", at_least=2, at_most=LIST_ITEMS),
        "counts": list_of(whole(0), "a list of whole numbers", at_most=LIST_ITEMS),
    },
    required=("edges_s", "counts"),
)
_PAGE_CACHE = obj(
    {
        "store_bytes": whole(0, BYTES_MAX),
        "resident_bytes": _or_null(whole(0, BYTES_MAX)),
        "memory_available_bytes": _or_null(whole(0, BYTES_MAX)),
        "fits_in_memory": BOOLEAN,
    },
    required=("store_bytes", "fits_in_memory"),
)
#: What an epoch row adds (experiment ``epoch`` or ``epoch_batched``), and a latency row.
EPOCH_FIELDS: dict[str, Schema] = {
    "workers": whole(1),
    "epoch": whole(1),
    "batch_size": whole(1),
    "first_batch_s": seconds(),
    "batch_latency_s": _PERCENTILES,
    "cpu_s_per_image": seconds(),
    "worker_peak_rss_bytes": _or_null(whole(0, BYTES_MAX)),
    "page_cache": _PAGE_CACHE,
    "latency_s": _PERCENTILES,
    "histogram": _HISTOGRAM,
}

_RATE = number(0, RATE_MAX, f"a number from 0 to {_bound(RATE_MAX)}")

STORE_NAME: Schema = {
    "type": "string",
    "pattern": STORE_NAME_PATTERN,
    "description": "a store name: a container (png, files, lmdb, hdf5, raw, tar, parquet, "
    "zarr), alone or with +encoding (raw, original, png, jpeg90, webp...)",
}
_ENCODING_SETTINGS = {**ANY_OBJECT, "description": "an object (the encoding's settings)"}

MEASUREMENT = obj(
    {
        "backend": STORE_NAME,
        # written since stores became container x encoding; older files lack them
        "container": text(),
        "encoding": text(),
        "encoding_settings": _ENCODING_SETTINGS,
        "experiment": one_of(MEASURED_EXPERIMENTS),
        "n": whole(1),
        "k": whole(0),
        "samples_s": list_of(
            seconds(), "a non-empty list of seconds", at_least=1, at_most=COUNT_MAX
        ),
        "min_s": seconds(),
        "median_s": seconds(),
        "mean_s": seconds(),
        "stdev_s": seconds(),
        "images_per_s": _or_null(_RATE),
        "mb_per_s": _or_null(_RATE),
        "bytes_apparent": _or_null(whole(0, BYTES_MAX)),
        "bytes_allocated": _or_null(whole(0, BYTES_MAX)),
        "verified": BOOLEAN_OR_NULL,
        "cache": one_of(CACHE_MODES),
        # written since the noise figures came; files written before them lack them
        "q1_s": seconds(),
        "q3_s": seconds(),
        "ci_low_s": seconds(),
        "ci_high_s": seconds(),
        "warnings": list_of(WARNING, "a list of warnings (objects with a code)"),
        "loops": whole(1),
        "sample_starts": list_of(
            number(0, NUMBER_MAX, "a time (seconds since 1970)"),
            "a list of times (numbers)",
            at_most=COUNT_MAX,
        ),
        "pressure": PRESSURE,
        **EPOCH_FIELDS,
    },
    required=MEASUREMENT_REQUIRED,
)

_PER_IMAGE_S = seconds()

STORE = obj(
    {
        "container": text(),
        "encoding": text(),
        "encoding_settings": _ENCODING_SETTINGS,
        "lossless": BOOLEAN,
        "encode_s_per_image": _PER_IMAGE_S,
        "decode_s_per_image": _PER_IMAGE_S,
        "record_bytes_per_image": number(0, BYTES_MAX, "bytes (a number of at least 0)"),
        "cost_images": whole(0),
        "psnr_db": _or_null(number(0, 1000, "decibels (a number from 0 to 1,000)")),
        "max_abs_error": whole(0, 255),
    },
    required=("container", "encoding", "lossless"),
)

ERROR = obj(
    {"task": text(TEXT_CHARS), "message": text(TEXT_CHARS), "detail": text(TEXT_CHARS)},
    required=("task", "message"),
)

RESULTS_SCHEMA: Schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://imgbench.invalid/schemas/results-1.json",
    "title": "imgbench results, version 1",
    "type": "object",
    "description": "an object",
    "properties": {
        "schema": text(100),
        "tool": TOOL,
        "created": {
            "type": "string",
            "maxLength": 100,
            "format": "imgbench-time",
            "description": "an ISO-8601 time",
        },
        "environment": ENVIRONMENT,
        "dataset": DATASET,
        "settings": SETTINGS,
        "measurements": list_of(MEASUREMENT, "a list of measurements", at_most=COUNT_MAX),
        # written since stores became container x encoding; older files lack it
        "stores": {
            "type": "object",
            "additionalProperties": STORE,
            "propertyNames": {"pattern": STORE_NAME_PATTERN},
            "maxProperties": LIST_ITEMS,
            "description": "an object of store descriptions by store name",
        },
        "status": one_of(STATUSES),
        "errors": list_of(ERROR, "a list of errors", at_most=COUNT_MAX),
        "notes": list_of(text(TEXT_CHARS), "a list of notes (text)", at_most=COUNT_MAX),
    },
    "required": [
        "schema",
        "tool",
        "created",
        "environment",
        "dataset",
        "settings",
        "measurements",
        "status",
        "errors",
    ],
}
