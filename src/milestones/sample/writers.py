"""Event files: JSON Lines and CSV lines are built as one Arrow string array per slice of rows and written
straight from its buffer; Parquet goes through pyarrow. Dirty rows are written next to the row they
derive from."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from milestones.sample.dirty import COLUMNS, DirtyRows
from milestones.sample.timefmt import join

CSV_HEADER = ",".join(COLUMNS) + "\n"
PARQUET_SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS])


def jsonl_lines(c: dict[str, pa.Array]) -> pa.Array:
    """Valid rows: every field present except maybe received_at; properties is a JSON object text."""
    received = pc.fill_null(join('"', c["received_at"], '"'), "null")
    return join(
        '{"event_id":"',
        c["event_id"],
        '","account_id":"',
        c["account_id"],
        '","user_id":"',
        c["user_id"],
        '","event_name":"',
        c["event_name"],
        '","occurred_at":"',
        c["occurred_at"],
        '","received_at":',
        received,
        ',"properties":',
        c["properties"],
        "}\n",
    )


def csv_lines(c: dict[str, pa.Array]) -> pa.Array:
    props = pc.replace_substring(c["properties"], '"', '""')
    return join(
        c["event_id"],
        ",",
        c["account_id"],
        ",",
        c["user_id"],
        ",",
        c["event_name"],
        ",",
        c["occurred_at"],
        ",",
        pc.fill_null(c["received_at"], ""),
        ',"',
        props,
        '"\n',
    )


def dirty_jsonl_line(d: DirtyRows, i: int) -> str:
    if d.raw_line[i] is not None:
        return d.raw_line[i] + "\n"
    fields = [f"{json.dumps(c)}:{json.dumps(d.columns[c][i])}" for c in COLUMNS[:-1]]
    return "{" + ",".join(fields) + f',"properties":{d.props_json[i]}' + "}\n"


def dirty_csv_line(d: DirtyRows, i: int) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    row = [d.columns[c][i] or "" for c in COLUMNS]
    writer.writerow(row)
    return buf.getvalue()


def write_lines(f, lines: pa.Array, inserts: list[tuple[int, str]]) -> int:
    """Writes the lines with extra text lines inserted before the given row positions (sorted)."""
    n = len(lines)
    if n:
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + n + 1]
        data = memoryview(lines.buffers()[2]) if lines.buffers()[2] is not None else memoryview(b"")
    written = 0
    prev = 0
    for pos, text in inserts:
        if pos > prev:
            chunk = data[offsets[prev] : offsets[pos]]
            f.write(chunk)
            written += len(chunk)
            prev = pos
        raw = text.encode("utf-8")
        f.write(raw)
        written += len(raw)
    if n and prev < n:
        chunk = data[offsets[prev] : offsets[n]]
        f.write(chunk)
        written += len(chunk)
    return written


def append_text_file(
    path: Path, fmt: str, columns: dict[str, pa.Array], ranges, dirty: DirtyRows, placed, header: bool
) -> int:
    """Appends rows [ranges] of the columns (and the dirty rows placed in them) to a JSONL or CSV file.
    placed: (position in the file's rows, dirty index) pairs, sorted."""
    line_of = dirty_jsonl_line if fmt == "jsonl" else dirty_csv_line
    build = jsonl_lines if fmt == "jsonl" else csv_lines
    written = 0
    with path.open("ab") as f:
        if header:
            f.write(CSV_HEADER.encode())
            written += len(CSV_HEADER)
        done = 0
        k = 0
        for start, stop in ranges:
            size = stop - start
            sliced = {c: columns[c].slice(start, size) for c in COLUMNS}
            inserts = []
            while k < len(placed) and placed[k][0] <= done + size:
                inserts.append((placed[k][0] - done, line_of(dirty, placed[k][1])))
                k += 1
            written += write_lines(f, build(sliced), inserts)
            done += size
        while k < len(placed):
            raw = line_of(dirty, placed[k][1]).encode()
            f.write(raw)
            written += len(raw)
            k += 1
    return written


def write_parquet(
    writer: pq.ParquetWriter, columns: dict[str, pa.Array], ranges, dirty: DirtyRows, picked
) -> None:
    for start, stop in ranges:
        writer.write_table(
            pa.table({c: columns[c].slice(start, stop - start) for c in COLUMNS}, schema=PARQUET_SCHEMA)
        )
    if picked:
        rows = {c: [dirty.columns[c][i] for i in picked] for c in COLUMNS}
        writer.write_table(pa.table(rows, schema=PARQUET_SCHEMA))
