"""Reads an offline W&B run file (``run-<id>.wandb``) back, so tests can see what a run holds.

``wandb.sdk.internal.datastore`` is gone from wandb 0.31; the format: a 7-byte
header ``b":W&B"`` + uint16 LE 0xBEE1 + uint8 version 0, then 32 KiB blocks of chunks with a
``<IHB`` header (crc32, length, type 1 full / 2 first / 3 middle / 4 last), each record a
``wandb_internal_pb2.Record``.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

from wandb.proto import wandb_internal_pb2

BLOCK = 32 * 1024
HEADER = struct.Struct("<IHB")
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: str | Path) -> list[Any]:
    """Every protobuf Record in the file, in order."""
    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", "not a W&B run file"
    position = 7
    out: list[Any] = []
    pending = b""
    while position + HEADER.size <= len(data):
        left_in_block = BLOCK - (position % BLOCK)
        if left_in_block < HEADER.size:
            position += left_in_block
            continue
        _crc, length, kind = HEADER.unpack_from(data, position)
        position += HEADER.size
        payload = data[position : position + length]
        position += length
        if kind == 0 and length == 0:
            continue
        if kind == FULL:
            pending = payload
        elif kind == FIRST:
            pending = payload
            continue
        elif kind == MIDDLE:
            pending += payload
            continue
        elif kind == LAST:
            pending += payload
        if len(payload) < length:
            break  # the writer is still appending this chunk
        record = wandb_internal_pb2.Record()
        try:
            record.ParseFromString(pending)
        except Exception:  # a record still being written
            break
        out.append(record)
        pending = b""
    return out


def _items(items: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key = item.key or "/".join(item.nested_key)
        values[key] = json.loads(item.value_json)
    return values


def finished_records(run_file: Path, timeout_s: float = 20.0) -> list[Any]:
    """The records of a run file once its ``exit`` record is there.

    wandb-core writes the file asynchronously: right after ``run.finish()`` returns, the file
    may still be short of its last records.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        found = records(run_file)
        if any(record.WhichOneof("record_type") == "exit" for record in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """History rows, final summary, config and logged artifacts of an offline run folder."""
    (run_file,) = Path(run_dir).glob("run-*.wandb")
    history: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    config: dict[str, Any] = {}
    artifacts: list[dict[str, Any]] = []
    run: dict[str, Any] = {}
    for record in finished_records(run_file):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            history.append(_items(record.history.item))
        elif kind == "summary":
            summary.update(_items(record.summary.update))
        elif kind == "config":
            config.update(_items(record.config.update))
        elif kind == "artifact":
            artifacts.append(
                {
                    "name": record.artifact.name,
                    "type": record.artifact.type,
                    "digest": record.artifact.digest,
                    "metadata": json.loads(record.artifact.metadata or "{}"),
                    "files": [entry.path for entry in record.artifact.manifest.contents],
                    "local_paths": {entry.path: entry.local_path for entry in record.artifact.manifest.contents},
                }
            )
        elif kind == "run":
            config.update(_items(record.run.config.update))
            run = {
                "project": record.run.project,
                "name": record.run.display_name,
                "tags": list(record.run.tags),
                "group": record.run.run_group,
                "job_type": record.run.job_type,
                "notes": record.run.notes,
                "entity": record.run.entity,
            }
    return {"run": run, "history": history, "summary": summary, "config": config, "artifacts": artifacts}


def logged_table(run: dict[str, Any], key: str) -> dict[str, Any]:
    """The last table logged under ``key``, as W&B will upload it: read from its staged artifact.

    Tables are uploaded as ``run_table`` artifacts; a media cell (``wandb.Html``) is only there
    (the copy under ``files/media/table`` says ``"Html"``). Media cells come back as
    ``{"html": <the HTML text>}``.
    """
    (artifact, *_) = [a for a in reversed(run["artifacts"]) if a["type"] == "run_table" and a["name"].endswith(key)]
    paths = artifact["local_paths"]
    table = json.loads(Path(paths[f"{key}.table.json"]).read_text())

    def cell(value: Any) -> Any:
        if isinstance(value, dict) and value.get("_type") == "html-file":
            return {"html": Path(paths[value["path"]]).read_text()}
        return value

    table["data"] = [[cell(value) for value in row] for row in table["data"]]
    table["records"] = [dict(zip(table["columns"], row)) for row in table["data"]]
    return table
