"""`milestones generate`: writes a realistic, deterministic landing folder (spec section 3)."""

from __future__ import annotations

import csv
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from milestones.errors import UserError
from milestones.sample import dirty as dirty_mod
from milestones.sample.events import (
    ENGAGEMENT_EVENTS,
    Batch,
    background_batches,
    criteria_batches,
    engagement_batches,
    expected_volume,
    free_times,
    lifecycle_batches,
)
from milestones.sample.seeds import ANY_EVENT, Seeds, load_seeds
from milestones.sample.timefmt import DAY, TimeFormatter, join
from milestones.sample.truth import ChunkEvents, Truth
from milestones.sample.values import ValueFactory, props_text, text_of_token
from milestones.sample.world import CSMS, EXPERIMENTS, NEVER, World, profile, shape_times
from milestones.sample.writers import PARQUET_SCHEMA, append_text_file, write_parquet

DEFAULT_END_DATE = date(2026, 9, 30)
CHUNK_ROWS = 1_500_000
LANDING_PREFIXES = ("events", "accounts", "renewals", "milestone_overrides", "experiment_assignments")
MANIFEST = "_manifest.json"
CSV_EVENTS_FILE = "events_backfill.csv"
OFFSET_SHARE = 0.08  # events whose occurred_at is written in the account's local time with its offset
EMPTY_RECEIVED_SHARE = 0.001  # page_viewed rows without received_at
OVERRIDE_SHARE = 0.03
GENERATOR_VERSION = 1


@dataclass
class GenerateSummary:
    out: Path
    accounts: int
    days: int
    seed: int
    start_date: date
    end_date: date
    segments: dict[str, int]
    users: int
    events: int
    dirty_rows: int
    files: dict[str, int]
    bytes_written: int
    milestones_completed: int
    churned_accounts: int
    seconds: float
    dirty_by_reason: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        seg = " / ".join(f"{s} {n:,}" for s, n in self.segments.items())
        event_files = {k: v for k, v in self.files.items() if k.startswith("events")}
        other = ", ".join(f"{k} {v:,}" for k, v in self.files.items() if not k.startswith("events"))
        mb = self.bytes_written / 1e6
        return "\n".join(
            [
                f"generated {self.accounts:,} accounts ({seg}) with {self.users:,} users "
                f"over {self.days} days ({self.start_date} .. {self.end_date}), seed {self.seed}",
                f"  events: {self.events:,} valid + {self.dirty_rows:,} dirty rows "
                f"in {len(event_files)} files ({mb:,.1f} MB)",
                f"  {other}",
                f"  milestones completed: {self.milestones_completed:,}; "
                f"churned accounts: {self.churned_accounts:,}",
                f"  written to {self.out} in {self.seconds:.1f}s (ground truth: {self.out / MANIFEST})",
            ]
        )


# ------------------------------------------------------------------------------------------- ids
def _hex_ids(prefix: str, n: int, start: int, bits: int, mult: int, offset: int) -> list[str]:
    width = bits // 4
    mask = (1 << bits) - 1
    return [f"{prefix}{((i * mult + offset) & mask):0{width}x}" for i in range(start, start + n)]


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _crm_ids(n: int, offset: int) -> list[str]:
    out = []
    for i in range(n):
        v = (i * 387_420_489 + offset) % 62**5
        chars = []
        for _ in range(5):
            v, r = divmod(v, 62)
            chars.append(_B62[r])
        out.append("0015g00000" + "".join(reversed(chars)))
    return out


NAME_A = [
    "Acme",
    "Northwind",
    "Bluepeak",
    "Brightline",
    "Cedar",
    "Summit",
    "Harbor",
    "Ironwood",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pinecrest",
    "Quartz",
    "Redwood",
    "Silverline",
    "Tidewater",
    "Vertex",
    "Willow",
    "Zenith",
    "Aurora",
    "Beacon",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Falcon",
    "Granite",
    "Horizon",
    "Juniper",
    "Keystone",
    "Lighthouse",
    "Meridian",
    "Nova",
    "Oakridge",
    "Pioneer",
    "Riverbend",
    "Sterling",
    "Trailhead",
    "Upland",
    "Evergreen",
]
NAME_B = [
    "Analytics",
    "Logistics",
    "Health",
    "Labs",
    "Media",
    "Robotics",
    "Foods",
    "Energy",
    "Capital",
    "Design",
    "Studios",
    "Systems",
    "Software",
    "Consulting",
    "Partners",
    "Networks",
    "Learning",
    "Retail",
    "Security",
    "Travel",
    "Bio",
    "Mobility",
    "Legal",
    "Marketing",
    "Ventures",
    "Works",
    "Digital",
    "Dynamics",
    "Cloud",
    "Supply",
]
NAME_C = ("", "", "", " Inc", ", Inc.", " LLC", " Ltd", " GmbH", " Group", " & Co", " SA", ", LLC")


def _account_names(rng: np.random.Generator, n: int) -> list[str]:
    combos = len(NAME_A) * len(NAME_B) * len(NAME_C)
    picks = rng.permutation(combos)[: min(n, combos)]
    names = []
    for i in range(n):
        v = int(picks[i % len(picks)])
        a, rest = divmod(v, len(NAME_B) * len(NAME_C))
        b, c = divmod(rest, len(NAME_C))
        name = f"{NAME_A[a]} {NAME_B[b]}{NAME_C[c]}"
        names.append(name if i < combos else f"{name} {i // combos + 1}")
    return names


# ------------------------------------------------------------------------------------------- helpers
def _iso(seconds: int) -> str:
    if seconds >= NEVER:
        return ""
    return datetime.fromtimestamp(int(seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day_text(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()


def _write_csv(path: Path, header: list[str], rows) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        n = 0
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def _prepare_out(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ours = [
        p
        for p in out.iterdir()
        if p.is_file()
        and (p.name.startswith(LANDING_PREFIXES) or p.name.startswith("_truth_") or p.name == MANIFEST)
    ]
    if ours and not (out / MANIFEST).exists():
        raise UserError(
            f"{out} already holds landing files not written by the generator ({ours[0].name}); "
            "use another --out"
        )
    for p in ours:
        p.unlink()


class _Progress:
    def __init__(self, on: bool):
        self.on = on
        self.t0 = time.perf_counter()

    def __call__(self, text: str) -> None:
        if self.on:
            sys.stderr.write(f"generate [{time.perf_counter() - self.t0:6.1f}s] {text}\n")
            sys.stderr.flush()


# ------------------------------------------------------------------------------------------- the job
def generate(
    accounts: int,
    days: int,
    seed: int,
    out: Path,
    dirty_rate: float = 0.0,
    end_date: date | None = None,
    progress: bool = True,
    seeds_dir: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> GenerateSummary:
    if accounts < 1 or days < 1:
        raise UserError("--accounts and --days must be positive")
    if not 0 <= dirty_rate < 1:
        raise UserError("--dirty-rate must be at least 0 and below 1")
    end_date = end_date or DEFAULT_END_DATE
    if seeds_dir is None:
        from milestones.paths import PROJECT_DIR

        seeds_dir = PROJECT_DIR / "seeds"
    seeds = load_seeds(Path(seeds_dir))
    out = Path(out)
    _prepare_out(out)
    say = _Progress(progress)
    seed64 = int(seed) % (2**63)
    t_start = time.perf_counter()

    world = World(seeds, accounts, days, end_date, seed64)
    n_users = int((world.activated < NEVER).sum())
    say(f"world: {accounts:,} accounts, {n_users:,} active users, {len(world.renewals.acc):,} renewals")

    id_rng = np.random.default_rng([seed64, 8])
    acc_off, user_off, crm_off = (int(x) for x in id_rng.integers(0, 2**31, 3))
    account_hex = _hex_ids("", accounts + 64, 0, 32, 2_654_435_761, acc_off)
    account_ids = ["acc_" + h for h in account_hex[:accounts]]
    unknown_accounts = ["acc_" + h for h in account_hex[accounts:]]
    user_ids = _hex_ids("usr_", len(world.user_acc), 0, 40, 0x9E3779B97, user_off)
    crm_ids = _crm_ids(accounts, crm_off)
    names = _account_names(id_rng, accounts)

    fmt = TimeFormatter(world.start_date - timedelta(days=3), end_date + timedelta(days=75))
    factory = ValueFactory(world, fmt, account_hex[:accounts], user_ids)
    global_batches = lifecycle_batches(world, factory, np.random.default_rng([seed64, 9]))
    global_batches += criteria_batches(world, factory, global_batches)
    free = free_times(world)
    depth = np.zeros(accounts)
    for plan in world.plans.values():
        reached = ((world.end_active[plan.accs, None] > plan.T) & (plan.T < NEVER)).sum(axis=1)
        depth[plan.accs] = 0.8 + 0.2 * reached / len(plan.milestones)

    volume = expected_volume(world, depth)
    for b in global_batches:
        volume += np.bincount(b.acc, minlength=accounts)
    cum = np.cumsum(volume)
    n_chunks = max(1, int(np.ceil(cum[-1] / chunk_rows)))
    bounds = np.searchsorted(cum, np.arange(1, n_chunks) * cum[-1] / n_chunks)
    bounds = np.unique(np.r_[0, bounds, accounts])
    n_chunks = len(bounds) - 1
    say(f"plan: ~{int(cum[-1]):,} events in {n_chunks} chunk(s)")

    truth = Truth(seeds, accounts)
    account_ids_pa = pa.array(account_ids)
    user_ids_pa = pa.array(user_ids)
    event_names = list(seeds.events)
    event_names_pa = pa.array(event_names)
    needed = _needed_texts(seeds)
    first_user = np.r_[0, np.cumsum(world.seats)]
    files: dict[str, int] = {}
    bytes_written = 0
    valid_total = 0
    dirty_counts = dict.fromkeys(dirty_mod.KINDS, 0)
    malformed_variants: dict[str, int] = {}
    next_id = 1
    next_dirty_id = 900_000_000_000
    engagement_rows = 0

    writer = ThreadPoolExecutor(max_workers=1)  # formats and writes chunk k while chunk k+1 is made
    pending = None

    def collect(result) -> None:
        nonlocal bytes_written
        sizes, rows, kinds, variants, label = result
        for k, v in variants.items():
            malformed_variants[k] = malformed_variants.get(k, 0) + v
        for name, r in rows.items():
            files[name] = files.get(name, 0) + r
        bytes_written += sum(sizes.values())
        for k in kinds:
            dirty_counts[k] += 1
        say(label)

    for ci in range(n_chunks):
        a0, a1 = int(bounds[ci]), int(bounds[ci + 1])
        rng = np.random.default_rng([seed64, 100, ci])
        users = np.arange(first_user[a0], first_user[a1])
        batches = []
        for b in global_batches:
            mask = (b.acc >= a0) & (b.acc < a1)
            if mask.any():
                batches.append(b.select(mask))
        eng = engagement_batches(world, users, rng)
        engagement_rows += sum(len(b) for b in eng)
        batches += eng
        batches += background_batches(world, users, free, depth, rng)
        chunk = _assemble(batches, seeds, factory, event_names, needed, rng)
        n = chunk["ts"].size
        if n == 0:
            continue
        truth.evaluate_chunk(chunk.pop("events"), world.segment, world.segment_names)
        job = _ChunkJob(
            ci,
            n_chunks,
            a0,
            a1,
            chunk,
            next_id,
            next_dirty_id,
            round(dirty_rate * n),
            np.random.default_rng([seed64, 200, ci]),
        )
        next_id += n
        next_dirty_id += job.m
        valid_total += n
        if pending is not None:
            collect(pending.result())
        pending = writer.submit(
            _write_chunk,
            job,
            out,
            world,
            seeds,
            factory,
            fmt,
            account_ids_pa,
            user_ids_pa,
            event_names_pa,
            unknown_accounts,
        )
    if pending is not None:
        collect(pending.result())
    writer.shutdown()

    # ---------------------------------------------------------------- truth, overrides, small files
    overrides = _overrides(world, truth, np.random.default_rng([seed64, 7]))
    completions = {}
    for s, plan in world.plans.items():
        per = {}
        for o in overrides:
            if world.segment_names[world.segment[o["acc"]]] == s:
                arr = per.setdefault(o["milestone_id"], np.full(plan.accs.size, NEVER, np.int64))
                row = int(np.searchsorted(plan.accs, o["acc"]))
                arr[row] = min(arr[row], o["at"])
        completions[s] = truth.completions(s, plan.accs, per)

    files["accounts.csv"] = _write_csv(
        out / "accounts.csv",
        ["account_id", "account_name", "segment", "signup_at", "arr", "crm_id", "owner"],
        (
            [
                account_ids[a],
                names[a],
                world.segment_names[world.segment[a]],
                _iso(world.signup[a]),
                int(world.arr[a]),
                crm_ids[a],
                world.owner[a],
            ]
            for a in range(accounts)
        ),
    )
    r = world.renewals
    files["renewals.csv"] = _write_csv(
        out / "renewals.csv",
        ["account_id", "renewal_date", "outcome", "arr_before", "arr_after"],
        (
            [
                account_ids[r.acc[i]],
                _day_text(r.day[i]),
                "churned" if r.churned[i] else "renewed",
                int(r.arr_before[i]),
                int(r.arr_after[i]),
            ]
            for i in range(r.acc.size)
        ),
    )
    files["milestone_overrides.csv"] = _write_csv(
        out / "milestone_overrides.csv",
        ["account_id", "milestone_id", "completed_at", "marked_by", "note"],
        ([account_ids[o["acc"]], o["milestone_id"], _iso(o["at"]), o["by"], o["note"]] for o in overrides),
    )
    exp_rng = np.random.default_rng([seed64, 10])
    files["experiment_assignments.csv"] = _write_csv(
        out / "experiment_assignments.csv",
        ["account_id", "experiment_id", "variant", "assigned_at"],
        (
            [
                account_ids[a],
                e.experiment_id,
                "treatment" if v[a] == 1 else "control",
                _iso(world.signup[a] + int(exp_rng.integers(1, 30))),
            ]
            for e in world.experiments
            for v in [world.variant[e.experiment_id]]
            for a in np.flatnonzero(v >= 0)
        ),
    )
    completed_total = _write_truth(out, world, completions, overrides, account_ids)
    seconds = time.perf_counter() - t_start
    manifest = _manifest(
        world,
        seeds,
        accounts,
        days,
        seed,
        dirty_rate,
        files,
        valid_total,
        dirty_counts,
        malformed_variants,
        engagement_rows,
        completions,
        overrides,
    )
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    summary = GenerateSummary(
        out=out,
        accounts=accounts,
        days=days,
        seed=seed,
        start_date=world.start_date,
        end_date=end_date,
        segments={s: int(p.accs.size) for s, p in world.plans.items()},
        users=n_users,
        events=valid_total,
        dirty_rows=sum(dirty_counts.values()),
        files=files,
        bytes_written=bytes_written,
        milestones_completed=completed_total,
        churned_accounts=int((world.churned_at < NEVER).sum()),
        seconds=seconds,
        dirty_by_reason={k: v for k, v in dirty_counts.items() if v},
    )
    say("done")
    return summary


@dataclass
class _ChunkJob:
    ci: int
    n_chunks: int
    a0: int
    a1: int
    chunk: dict
    first_id: int
    first_dirty_id: int
    m: int
    rng: np.random.Generator


def _write_chunk(
    job: _ChunkJob, out: Path, world, seeds, factory, fmt, account_ids, user_ids, event_names, unknown
):
    """Formats a chunk's rows as text, adds its dirty rows and writes its files."""
    chunk, rng = job.chunk, job.rng
    n = chunk["ts"].size
    columns, received_ms, received_null = _format(
        chunk, world, fmt, rng, job.first_id, account_ids, user_ids, event_names
    )
    # where the rows go: a JSON Lines or Parquet file per chunk, plus a slice in the CSV backfill
    routes = _routes(job.ci, job.n_chunks, n, rng)
    kinds = dirty_mod.KINDS if any(r[1] == "jsonl" for r in routes) else dirty_mod.KINDS[1:]
    drows = dirty_mod.make_dirty(
        rng,
        job.m,
        columns,
        chunk["ts"],
        received_ms,
        received_null,
        chunk["acc"],
        chunk["user"],
        chunk["etype"],
        list(seeds.events),
        kinds,
        job.first_dirty_id,
        unknown,
        seeds,
        factory,
        fmt,
    )
    placed = _place_dirty(drows, routes, rng)
    sizes: dict[str, int] = {}
    rows: dict[str, int] = {}
    for name, kind, ranges in routes:
        rows[name] = sum(b - a for a, b in ranges) + len(placed[name])
        path = out / name
        if kind == "parquet":
            with pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd") as writer:
                write_parquet(writer, columns, ranges, drows, [i for _, i in placed[name]])
            sizes[name] = path.stat().st_size
        else:
            header = kind == "csv" and not path.exists()
            sizes[name] = append_text_file(path, kind, columns, ranges, drows, placed[name], header)
    label = (
        f"chunk {job.ci + 1}/{job.n_chunks}: accounts {job.a0:,}-{job.a1 - 1:,}, "
        f"{n:,} events + {len(drows):,} dirty -> {', '.join(r[0] for r in routes)}"
    )
    return sizes, rows, list(drows.kind), drows.malformed_variants, label


def _needed_texts(seeds: Seeds) -> dict[str, set[str]]:
    """(event -> properties) whose values the ground-truth evaluation reads."""
    needed: dict[str, set[str]] = {}
    for s in seeds.segments:
        for c in seeds.criteria(s):
            props = {
                p
                for p in (c.filter_property, c.distinct_property, c.group_by_property)
                if p and p != "user_id"
            }
            events = list(seeds.events) if c.event_name == ANY_EVENT else [c.event_name]
            for e in events:
                for p in props:
                    if seeds.events[e].prop(p) is not None:
                        needed.setdefault(e, set()).add(p)
    return needed


def _assemble(batches: list[Batch], seeds: Seeds, factory, event_names, needed, rng) -> dict:
    """Fills properties, concatenates the batches and sorts the rows by time."""
    acc, user, ts, etype, props = [], [], [], [], []
    texts: dict[tuple[str, str], list[tuple[int, pa.Array]]] = {}
    offset = 0
    for b in batches:
        if not len(b):
            continue
        spec = seeds.events[b.event]
        tokens = factory.fill(spec, b.acc, b.user, b.ts, b.given, rng)
        props.append(props_text(spec, tokens, len(b)))
        for p in needed.get(b.event, ()):
            texts.setdefault((b.event, p), []).append((offset, text_of_token(tokens[p], spec.prop(p).type)))
        acc.append(b.acc)
        user.append(b.user)
        ts.append(b.ts)
        etype.append(np.full(len(b), event_names.index(b.event), np.int64))
        offset += len(b)
    if not ts:
        return {"ts": np.zeros(0, np.int64)}
    ts_all = np.concatenate(ts)
    order = np.argsort(ts_all, kind="stable")
    pos = np.empty_like(order)
    pos[order] = np.arange(order.size)
    acc_s = np.concatenate(acc)[order]
    user_s = np.concatenate(user)[order]
    et_s = np.concatenate(etype)[order]
    ts_s = ts_all[order]
    props_s = pa.concat_arrays(props).take(pa.array(order))

    def lookup(event: str, prop: str):
        parts = texts.get((event, prop), [])
        if not parts:
            return np.zeros(0, np.int64), pa.array([], pa.string())
        positions = np.concatenate([pos[o : o + len(t)] for o, t in parts])
        return positions, pa.concat_arrays([t for _, t in parts])

    events = ChunkEvents(et_s, acc_s, user_s, ts_s, event_names, lookup)
    return {"ts": ts_s, "acc": acc_s, "user": user_s, "etype": et_s, "props": props_s, "events": events}


def _format(chunk, world: World, fmt: TimeFormatter, rng, first_id, account_ids, user_ids, event_names):
    n = chunk["ts"].size
    ts, acc = chunk["ts"], chunk["acc"]
    ids = join("evt_", pc.utf8_lpad(pa.array(np.arange(first_id, first_id + n)).cast(pa.string()), 12, "0"))
    occurred = fmt.iso_z(ts)
    tz = world.tz[acc]
    local = (rng.random(n) < OFFSET_SHARE) & (tz != 0)
    if local.any():
        occurred = pc.replace_with_mask(occurred, pa.array(local), fmt.iso_offset(ts[local], tz[local]))
    # received: seconds after occurred usually, minutes to hours for offline clients, a little before it
    # for clients whose clock runs ahead
    delay = np.minimum(np.exp(np.log(2500) + 1.1 * rng.standard_normal(n)), 600_000).astype(np.int64)
    u = rng.random(n)
    delay = np.where(u < 0.01, rng.integers(600_000, 8 * 3600_000, n), delay)
    delay = np.where(u > 0.996, -rng.integers(1000, 300_000, n), delay)
    received_ms = ts * 1000 + delay
    received = fmt.iso_ms_z(received_ms)
    engagement = np.isin(chunk["etype"], [i for i, e in enumerate(world.seeds.events) if e == "page_viewed"])
    received_null = engagement & (rng.random(n) < EMPTY_RECEIVED_SHARE)
    if received_null.any():
        received = pc.if_else(pa.array(received_null), pa.scalar(None, pa.string()), received)
    columns = {
        "event_id": ids,
        "account_id": account_ids.take(pa.array(acc)),
        "user_id": user_ids.take(pa.array(chunk["user"])),
        "event_name": event_names.take(pa.array(chunk["etype"])),
        "occurred_at": occurred,
        "received_at": received,
        "properties": chunk["props"],
    }
    return columns, received_ms, received_null


def _routes(ci: int, n_chunks: int, n: int, rng) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """(file, format, row ranges) for the rows of a chunk (rows are in time order)."""
    if n_chunks == 1:
        c0, c1, p0, p1 = (int(n * x) for x in (0.40, 0.45, 0.70, 0.90))
        return [
            ("events_0001.jsonl", "jsonl", [(0, c0), (c1, p0), (p1, n)]),
            ("events_0002.parquet", "parquet", [(p0, p1)]),
            (CSV_EVENTS_FILE, "csv", [(c0, c1)]),
        ]
    main_kind = "parquet" if ci == n_chunks - 1 else "jsonl"
    main = f"events_{ci + 1:04d}.{main_kind}"
    width = max(1, n // 100)
    c0 = int(rng.integers(n // 10, max(n // 10 + 1, n - width - n // 10)))
    c1 = min(n, c0 + width)
    return [(main, main_kind, [(0, c0), (c1, n)]), (CSV_EVENTS_FILE, "csv", [(c0, c1)])]


def _place_dirty(drows, routes, rng) -> dict[str, list[tuple[int, int]]]:
    """For each file of the chunk, the dirty rows it gets: (position among the file's rows, dirty index);
    a dirty row goes right after the row it derives from (malformed lines only into JSON Lines)."""
    placed: dict[str, list[tuple[int, int]]] = {name: [] for name, _, _ in routes}
    jsonl = [(name, ranges) for name, kind, ranges in routes if kind == "jsonl"]
    for i, (base, kind) in enumerate(zip(drows.base, drows.kind, strict=True)):
        for name, fkind, ranges in routes:
            done = 0
            hit = None
            for a, b in ranges:
                if a <= base < b:
                    hit = done + (base - a) + 1
                    break
                done += b - a
            if hit is None:
                continue
            if kind == "malformed_record" and fkind != "jsonl":
                name, ranges = jsonl[0]
                hit = int(rng.integers(0, sum(b - a for a, b in ranges) + 1))
            placed[name].append((hit, i))
            break
    for v in placed.values():
        v.sort()
    return placed


def _overrides(world: World, truth: Truth, rng) -> list[dict]:
    """A few % of accounts where a CSM marked a milestone complete by hand."""
    prod: dict[str, dict] = {}
    for s, plan in world.plans.items():
        prod[s] = truth.completions(s, plan.accs)
    order = rng.permutation(world.n)
    want = round(OVERRIDE_SHARE * world.n)
    out = []
    early_notes = (
        "{name}: confirmed with the customer on the kickoff call; the product events arrived days later.",
        "{name}: done during the onboarding session (shared screen), marked on the call.",
        "{name}: customer confirmed by email; marking ahead of the usage sync.",
    )
    never_notes = (
        "{name}: done outside the product (customer's sandbox tenant), no events tracked; marking complete.",
        "{name}: equivalent setup confirmed in the QBR; they use a workaround we do not track.",
        "{name}: agreed with the champion this is done for their use case; stop the stall playbook.",
    )
    late_notes = ("{name}: logged after the fact from the success plan review.",)
    for a in order:
        if len(out) >= want:
            break
        s = world.segment_names[world.segment[a]]
        plan = world.plans[s]
        row = int(np.searchsorted(plan.accs, a))
        comp = prod[s]
        signup = int(world.signup[a])
        end = int(world.end_s) - 3600
        done_ms = [(ms, int(comp[ms.milestone_id][1][row])) for ms in plan.milestones]
        completed = [(ms, t) for ms, t in done_ms if t < NEVER]
        pending = [ms for ms, t in done_ms if t >= NEVER]
        csm = world.owner[a] if world.owner[a] != CSMS["trial"][0] else CSMS["trial"][1]
        roll = rng.random()
        if roll < 0.5:  # marked before the product events showed it
            if not completed:
                continue
            ms, t = completed[int(rng.integers(0, len(completed)))]
            at = max(signup + 3600, t - int(rng.uniform(1, 10) * DAY))
            if at >= t:
                continue
            notes = early_notes
        elif roll < 0.85:  # never completed in the product
            if not pending or world.end_active[a] <= signup + 5 * DAY:
                continue
            ms = pending[0]
            j = plan.milestones.index(ms)
            prev = int(comp[plan.milestones[j - 1].milestone_id][2][row]) if j else signup
            last = min(end, int(world.end_active[a]) - 3600)
            if prev >= NEVER or prev + 2 * DAY >= last:
                continue
            at = int(rng.integers(prev + 2 * DAY, last))
            notes = never_notes
        else:  # paperwork after the fact: the product completion stands
            if not completed:
                continue
            ms, t = completed[int(rng.integers(0, len(completed)))]
            at = t + int(rng.uniform(1, 5) * DAY)
            if at >= end:
                continue
            notes = late_notes
        tz = np.array([world.tz[a]])
        at = int(shape_times(rng, np.array([at]), np.array([signup]), np.array([end]), tz)[0])
        note = notes[int(rng.integers(0, len(notes)))].format(name=ms.name)
        out.append({"acc": int(a), "milestone_id": ms.milestone_id, "at": at, "by": csm, "note": note})
    out.sort(key=lambda o: (o["at"], o["acc"]))
    return out


def _write_truth(out: Path, world: World, completions, overrides, account_ids) -> int:
    over = {(o["acc"], o["milestone_id"]): o["at"] for o in overrides}
    cols: dict[str, list] = {
        k: []
        for k in (
            "account_id",
            "segment",
            "milestone_id",
            "sequence",
            "drawn_at",
            "criteria_met_at",
            "product_completed_at",
            "override_at",
            "completed_at",
            "completion_source",
        )
    }
    completed_total = 0
    n_done = np.zeros(world.n, np.int64)
    for s, plan in world.plans.items():
        for j, ms in enumerate(plan.milestones):
            crit, product, completed = completions[s][ms.milestone_id]
            drawn = np.where(plan.T[:, j] < world.end_active[plan.accs], plan.T[:, j], NEVER)
            for r, a in enumerate(plan.accs):
                o = over.get((int(a), ms.milestone_id), NEVER)
                cols["account_id"].append(account_ids[a])
                cols["segment"].append(s)
                cols["milestone_id"].append(ms.milestone_id)
                cols["sequence"].append(ms.sequence)
                cols["drawn_at"].append(_iso(drawn[r]))
                cols["criteria_met_at"].append(_iso(crit[r]))
                cols["product_completed_at"].append(_iso(product[r]))
                cols["override_at"].append(_iso(o))
                cols["completed_at"].append(_iso(completed[r]))
                source = "" if completed[r] >= NEVER else ("csm" if o < product[r] else "product")
                cols["completion_source"].append(source)
                if completed[r] < NEVER:
                    completed_total += 1
                    n_done[a] += 1
    pacsv.write_csv(pa.table(cols), out / "_truth_milestones.csv", pacsv.WriteOptions(quoting_style="needed"))
    acc_cols = {
        "account_id": account_ids,
        "segment": [world.segment_names[s] for s in world.segment],
        "fit": np.round(world.fit, 4),
        "seats": world.seats,
        "users_active": world.n_users_ever,
        "workspaces": world.workspaces,
        "utc_offset_seconds": world.tz,
        "churned_on": [_day_text(t // DAY) if t < NEVER else "" for t in world.churned_at],
        "milestones_completed": n_done,
    }
    for e in world.experiments:
        v = world.variant[e.experiment_id]
        acc_cols[e.experiment_id] = np.where(v == 1, "treatment", np.where(v == 0, "control", ""))
    pacsv.write_csv(
        pa.table(acc_cols), out / "_truth_accounts.csv", pacsv.WriteOptions(quoting_style="needed")
    )
    return completed_total


def _needs_users(plan, top: list[dict]) -> bool:
    """Whether one of the milestones in top counts distinct active users."""
    ids = {e["milestone_id"] for e in top}
    return any(c.is_user_anchor for ms in plan.milestones if ms.milestone_id in ids for c in ms.criteria)


def _manifest(
    world: World,
    seeds: Seeds,
    accounts,
    days,
    seed,
    dirty_rate,
    files,
    valid,
    dirty_counts,
    malformed_variants,
    engagement_rows,
    completions,
    overrides,
) -> dict:
    segments = {}
    drivers = {}
    for s, plan in world.plans.items():
        p = profile(s)
        rates = {}
        for ms in plan.milestones:
            completed = completions[s][ms.milestone_id][2]
            rates[ms.milestone_id] = round(float((completed < NEVER).mean()), 4) if plan.accs.size else 0.0
        churned = world.churned_at[plan.accs] < NEVER
        segments[s] = {
            "accounts": int(plan.accs.size),
            "milestones": [ms.milestone_id for ms in plan.milestones],
            "completion_rate": rates,
            "churned_accounts": int(churned.sum()),
            "renewal_terms_days": {"first": p.first_term_days, "then": p.term_days},
        }
        effects = []
        for ms, w in zip(plan.milestones, plan.weights, strict=True):
            events = sorted({c.event_name for c in ms.criteria})
            effects.append(
                {
                    "milestone_id": ms.milestone_id,
                    "events": events,
                    "weight": round(float(w), 3),
                    "churn_log_odds_when_reached": round(-p.churn_kappa * float(w), 4),
                }
            )
        effects.sort(key=lambda e: e["churn_log_odds_when_reached"])
        top = effects[:3]
        drivers[s] = {
            "driver_milestones": [e["milestone_id"] for e in top],
            "driver_events": sorted(
                {ev for e in top for ev in e["events"] if ev != ANY_EVENT}
                | ({"invite_accepted"} & set(seeds.events) if _needs_users(plan, top) else set())
            ),
            "driver_events_note": "the events of the driver milestones' criteria; a criterion on distinct "
            "active users (`*`) shows as invite_accepted, the event of a user joining",
            "drivers": top,
            "all_milestones": effects,
            "churn_model": (
                f"P(churn at a renewal) = sigmoid({p.churn_alpha_first} (first renewal) or {p.churn_alpha} "
                f"- {p.churn_kappa} x sum of normalised weights (sum 100) of the milestones completed by the "
                "renewal date)"
            ),
            "not_drivers": list(ENGAGEMENT_EVENTS),
        }
    experiments = []
    for e in world.experiments:
        plan = world.plans[e.segment]
        entry = {
            "experiment_id": e.experiment_id,
            "segment": e.segment,
            "assignment": "50/50 at signup, every account of the segment",
            "description": e.description,
            "true_effect": {
                "duration_multiplier": e.duration_multiplier,
                "skip_odds_multiplier": e.skip_odds_multiplier,
            },
        }
        if e.sequence is not None and e.sequence <= len(plan.milestones):
            ms = plan.milestones[e.sequence - 1]
            entry["true_effect"]["milestone_id"] = ms.milestone_id
            entry["true_effect"]["metric"] = "days from the previous milestone's completion to this one"
            j = e.sequence - 1
            prev = plan.T[:, j - 1] if j else world.signup[plan.accs]
            ok = (plan.T[:, j] < world.end_active[plan.accs]) & (plan.T[:, j] < NEVER)
            v = world.variant[e.experiment_id][plan.accs]
            med = {}
            for name, code in (("control", 0), ("treatment", 1)):
                d = (plan.T[:, j] - prev)[ok & (v == code)] / DAY
                med[name] = round(float(np.median(d)), 3) if d.size else None
            entry["observed_median_days"] = med
        else:
            entry["true_effect"]["milestone_id"] = None
        experiments.append(entry)
    return {
        "generator": "milestones generate",
        "version": GENERATOR_VERSION,
        "start_date": world.start_date.isoformat(),
        "end_date": world.end_date.isoformat(),
        "arguments": {
            "accounts": accounts,
            "days": days,
            "seed": seed,
            "dirty_rate": dirty_rate,
            "end_date": world.end_date.isoformat(),
        },
        "window": {"start_date": world.start_date.isoformat(), "end_date": world.end_date.isoformat()},
        "seeds_sha256": seeds.sha256,
        "files": files,
        "counts": {
            "accounts": accounts,
            "users_active": int((world.activated < NEVER).sum()),
            "events_valid": valid,
            "events_engagement": engagement_rows,
            "event_rows_dirty": int(sum(dirty_counts.values())),
            "event_rows_total": valid + int(sum(dirty_counts.values())),
            "renewals": int(world.renewals.acc.size),
            "churned_accounts": int((world.churned_at < NEVER).sum()),
            "milestone_overrides": len(overrides),
        },
        "dirty": {
            "rate": dirty_rate,
            "by_reason": dirty_counts,
            "malformed_record_variants": {
                k: malformed_variants.get(k, 0) for k in dirty_mod.MALFORMED_VARIANTS
            },
            "note": "each dirty row is an extra row breaking exactly one rule, the first it breaks; "
            "trailing_comma lines are invalid JSON although lenient JSON readers accept them as objects",
        },
        "segments": segments,
        "churn_drivers": drivers,
        "experiments": experiments,
        "engagement": {
            "events": list(ENGAGEMENT_EVENTS),
            "note": "rate per active user-day is drawn per user, independent of fit, milestones and churn",
        },
        "ground_truth_files": {
            "_truth_milestones.csv": "per account and milestone: drawn, criteria met-at (evaluated on the "
            "valid events with the spec's rules), product completion (with depends_on), CSM override, "
            "completion",
            "_truth_accounts.csv": "per account: latent fit, seats, users ever active, churn date, "
            "experiments",
        },
        "experiment_catalog": [e.experiment_id for e in EXPERIMENTS],
    }
