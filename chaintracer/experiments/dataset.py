"""The examples an experiment runs: from a list of dicts or a ``.jsonl`` / ``.csv`` file.

Each example is ``{"inputs": {...}, "expected": ... (optional), "id": ... (optional)}``. In a
CSV file the ``id`` and ``expected`` columns are those fields and every other column is an
input. The dataset's hash (of the examples' canonical JSON) tells a resumed experiment whether
it still runs the same data.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

EXAMPLE_KEYS = ("inputs", "expected", "id")


@dataclass(frozen=True)
class Example:
    """One example of the dataset, with its position in it."""

    index: int
    inputs: dict[str, Any]
    expected: Any = None
    id: str | int | None = None

    def attribute(self) -> dict[str, Any]:
        """The ``attributes.example`` of the example's root span."""
        return {"index": self.index, "id": self.id, "expected": self.expected}


def example_key(index: int, example_id: Any) -> str:
    """What pairs an example across variants and sessions: its id, else its position."""
    return f"id:{example_id}" if example_id is not None else f"#{index}"


def load_examples(data: Any) -> list[Example]:
    """The examples of ``data`` (a list of dicts, or a path to a ``.jsonl`` or ``.csv`` file)."""
    if isinstance(data, (str, PathLike)):
        records = _read_file(Path(data))
    elif isinstance(data, (list, tuple)):
        records = list(data)
    else:
        raise TypeError(
            f"data must be a list of example dicts or a path to a .jsonl/.csv file, not {type(data).__name__}"
        )
    if not records:
        raise ValueError("data holds no examples")
    examples = [_example(index, record) for index, record in enumerate(records)]
    seen: set[Any] = set()
    for example in examples:
        if example.id is not None:
            if example.id in seen:
                raise ValueError(f"example {example.index}: id {example.id!r} is used by an earlier example")
            seen.add(example.id)
    return examples


def dataset_hash(examples: list[Example]) -> str:
    """A short hash of the examples' content (inputs, expected, ids, order)."""
    canonical = json.dumps(
        [[e.inputs, e.expected, e.id] for e in examples], sort_keys=True, ensure_ascii=False, default=repr
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _example(index: int, record: Any) -> Example:
    if not isinstance(record, dict):
        raise TypeError(f"example {index} must be a dict with an 'inputs' dict, not {type(record).__name__}")
    unknown = sorted(set(record) - set(EXAMPLE_KEYS))
    if unknown or "inputs" not in record:
        raise ValueError(
            f"example {index} must look like {{'inputs': {{...}}, 'expected': ..., 'id': ...}}; "
            f"it has keys {sorted(record)}" + (f" (unknown: {unknown})" if unknown else " (no 'inputs')")
        )
    inputs = record["inputs"]
    if not isinstance(inputs, dict):
        raise TypeError(f"example {index}: 'inputs' must be a dict, not {type(inputs).__name__}: {inputs!r:.80}")
    example_id = record.get("id")
    if example_id is not None and (not isinstance(example_id, (str, int)) or isinstance(example_id, bool)):
        raise TypeError(f"example {index}: 'id' must be a string or an integer, not {example_id!r}")
    return Example(index, inputs, record.get("expected"), example_id)


def _read_file(path: Path) -> list[Any]:
    if not path.exists():
        raise ValueError(f"no dataset file at {path}")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
        return records
    if suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [_csv_record(row) for row in rows]
    raise ValueError(f"dataset file {path} must end in .jsonl or .csv")


def _csv_record(row: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"inputs": {k: v for k, v in row.items() if k not in ("id", "expected")}}
    if row.get("expected") not in (None, ""):
        record["expected"] = row["expected"]
    if row.get("id") not in (None, ""):
        record["id"] = row["id"]
    return record
