"""`milestones generate`: writes a realistic, deterministic landing folder (docs/rules.md §3)."""

from __future__ import annotations

import csv
import json
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
from milestones.load.landing import RAW_TABLES
from milestones.progress import Bar
from milestones.progress import progress as progress_bar
from milestones.sample import dirty as dirty_mod
from milestones.sample.events import (
    Batch,
    background_batches,
    criteria_batches,
    engagement_batches,
    engagement_events,
    expected_volume,
    free_times,
    lifecycle_batches,
)
from milestones.sample.options import DEFAULT_END_DATE, DEFAULT_EVENT_FILES, EVENT_FILES
from milestones.sample.seeds import ANY_EVENT, Seeds, load_seeds
from milestones.sample.timefmt import DAY, TimeFormatter, join
from milestones.sample.truth import ChunkEvents, Truth
from milestones.sample.values import ValueFactory, props_text, text_of_token
from milestones.sample.world import CSMS, EXPERIMENTS, NEVER, World, profile, shape_times
from milestones.sample.writers import PARQUET_SCHEMA, append_text_file, write_parquet

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
    """The run's log lines (`generate [   0.3s] ...`) and its bar: accounts whose events are written."""

    def __init__(self, bar: Bar):
        self.bar = bar
        self.t0 = time.perf_counter()

    def __call__(self, text: str) -> None:
        self.bar.log(f"generate [{time.perf_counter() - self.t0:6.1f}s] {text}")

    def doing(self, detail: str, accounts_done: int | None = None) -> None:
        self.bar.update(detail=detail, completed=accounts_done)


# ------------------------------------------------------------------------------------------- the job
@dataclass(frozen=True)
class _Ids:
    """The identifiers written to the landing files, drawn once per run."""

    account_hex: list[str]  # the hex part of each account id, for property values
    accounts: list[str]
    unknown_accounts: list[str]  # ids of no account, for dirty rows
    users: list[str]
    crm: list[str]
    names: list[str]


@dataclass(frozen=True)
class _Run:
    """What every step of one `generate` run reads."""

    out: Path
    seeds: Seeds
    world: World
    ids: _Ids
    fmt: TimeFormatter
    factory: ValueFactory
    days: int
    seed: int
    seed64: int
    dirty_rate: float
    say: _Progress
    event_files: str = DEFAULT_EVENT_FILES


@dataclass
class _EventTotals:
    """What the chunk writers report back: rows and bytes per file, dirty rows per reason."""

    files: dict[str, int] = field(default_factory=dict)
    bytes_written: int = 0
    valid: int = 0
    engagement_rows: int = 0
    dirty_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(dirty_mod.KINDS, 0))
    malformed_variants: dict[str, int] = field(default_factory=dict)

    @property
    def dirty_rows(self) -> int:
        return sum(self.dirty_counts.values())

    def collect(self, result, say: _Progress) -> None:
        sizes, rows, kinds, variants, label = result
        for k, v in variants.items():
            self.malformed_variants[k] = self.malformed_variants.get(k, 0) + v
        for name, r in rows.items():
            self.files[name] = self.files.get(name, 0) + r
        self.bytes_written += sum(sizes.values())
        for k in kinds:
            self.dirty_counts[k] += 1
        say(label)


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
    event_files: str = DEFAULT_EVENT_FILES,
) -> GenerateSummary:
    """event_files: "mixed" (a JSON Lines file per chunk of accounts, the last one Parquet) or "parquet"
    (Parquet but the first chunk, whose JSON Lines hold the malformed lines); the rows are the same."""
    _check_arguments(accounts, days, dirty_rate)
    if event_files not in EVENT_FILES:
        raise ValueError(f"event_files must be one of {', '.join(EVENT_FILES)}: {event_files!r}")
    end_date = end_date or DEFAULT_END_DATE
    seeds = load_seeds(Path(seeds_dir) if seeds_dir is not None else _default_seeds_dir())
    out = Path(out)
    _prepare_out(out)
    seed64 = int(seed) % (2**63)
    t_start = time.perf_counter()

    # the run's own lines say how far it is off a terminal: no plain progress lines besides them
    with progress_bar("generate", accounts, unit="accounts", enabled=progress, plain=False) as bar:
        say = _Progress(bar)
        say.doing("world")
        world = World(seeds, accounts, days, end_date, seed64)
        n_users, n_renewals = _active_users(world), len(world.renewals.acc)
        say(f"world: {accounts:,} accounts, {n_users:,} active users, {n_renewals:,} renewals")
        ids = _make_ids(world, seed64)
        fmt = TimeFormatter(world.start_date - timedelta(days=3), end_date + timedelta(days=75))
        factory = ValueFactory(world, fmt, ids.account_hex, ids.users)
        run = _Run(out, seeds, world, ids, fmt, factory, days, seed, seed64, dirty_rate, say, event_files)

        truth = Truth(seeds, accounts)
        totals = _write_events(run, truth, chunk_rows)
        say.doing("ground truth", accounts_done=accounts)
        overrides = _overrides(world, truth, np.random.default_rng([seed64, 7]))
        completions = _completions(world, truth, overrides)
        _write_small_files(run, overrides, totals.files)
        completed_total = _write_truth(out, world, completions, overrides, ids.accounts)
        seconds = time.perf_counter() - t_start
        manifest = _manifest(run, totals, completions, overrides)
        manifest_text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
        (out / MANIFEST).write_text(manifest_text, encoding="utf-8")
        summary = _summary(run, totals, completed_total, seconds)
        say("done")
    return summary


def _check_arguments(accounts: int, days: int, dirty_rate: float) -> None:
    if accounts < 1 or days < 1:
        raise UserError("--accounts and --days must be positive")
    if not 0 <= dirty_rate < 1:
        raise UserError("--dirty-rate must be at least 0 and below 1")


def _default_seeds_dir() -> Path:
    from milestones.paths import PROJECT_DIR

    return PROJECT_DIR / "seeds"


def _active_users(world: World) -> int:
    return int((world.activated < NEVER).sum())


def _make_ids(world: World, seed64: int) -> _Ids:
    accounts = world.n
    id_rng = np.random.default_rng([seed64, 8])
    acc_off, user_off, crm_off = (int(x) for x in id_rng.integers(0, 2**31, 3))
    account_hex = _hex_ids("", accounts + 64, 0, 32, 2_654_435_761, acc_off)
    return _Ids(
        account_hex=account_hex[:accounts],
        accounts=["acc_" + h for h in account_hex[:accounts]],
        unknown_accounts=["acc_" + h for h in account_hex[accounts:]],
        users=_hex_ids("usr_", len(world.user_acc), 0, 40, 0x9E3779B97, user_off),
        crm=_crm_ids(accounts, crm_off),
        names=_account_names(id_rng, accounts),
    )


def _summary(run: _Run, totals: _EventTotals, completed_total: int, seconds: float) -> GenerateSummary:
    world = run.world
    return GenerateSummary(
        out=run.out,
        accounts=world.n,
        days=run.days,
        seed=run.seed,
        start_date=world.start_date,
        end_date=world.end_date,
        segments={s: int(p.accs.size) for s, p in world.plans.items()},
        users=_active_users(world),
        events=totals.valid,
        dirty_rows=totals.dirty_rows,
        files=totals.files,
        bytes_written=totals.bytes_written,
        milestones_completed=completed_total,
        churned_accounts=int((world.churned_at < NEVER).sum()),
        seconds=seconds,
        dirty_by_reason={k: v for k, v in totals.dirty_counts.items() if v},
    )


# ------------------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class _EventPlan:
    """The events shared by all chunks, and the account range of each chunk."""

    global_batches: list[Batch]
    free: dict[str, np.ndarray]  # per event, from when background events no longer touch a criterion
    depth: np.ndarray
    bounds: np.ndarray  # chunk ci covers accounts bounds[ci] .. bounds[ci + 1] - 1
    first_user: np.ndarray  # index of each account's first user
    event_names: list[str]
    needed: dict[str, set[str]]

    @property
    def n_chunks(self) -> int:
        return len(self.bounds) - 1

    def accounts_of(self, ci: int) -> tuple[int, int]:
        return int(self.bounds[ci]), int(self.bounds[ci + 1])


@dataclass(frozen=True)
class _IdArrays:
    """Account, user and event names as Arrow arrays, indexed by the chunk's integer columns."""

    accounts: pa.Array
    users: pa.Array
    event_names: pa.Array


def _write_events(run: _Run, truth: Truth, chunk_rows: int) -> _EventTotals:
    """Makes the events chunk by chunk, evaluates them for the ground truth and writes them."""
    plan = _plan_events(run, chunk_rows)
    arrays = _IdArrays(pa.array(run.ids.accounts), pa.array(run.ids.users), pa.array(plan.event_names))
    totals = _EventTotals()
    next_dirty_id = 900_000_000_000
    writer = ThreadPoolExecutor(max_workers=1)  # formats and writes chunk k while chunk k+1 is made
    pending = None
    for ci in range(plan.n_chunks):
        run.say.doing(f"events, chunk {ci + 1} of {plan.n_chunks}")
        chunk, engagement_rows = _make_chunk(run, plan, ci)
        totals.engagement_rows += engagement_rows
        n = chunk["ts"].size
        if n == 0:
            continue
        truth.evaluate_chunk(chunk.pop("events"), run.world.segment, run.world.segment_names)
        a0, a1 = plan.accounts_of(ci)
        first_id = totals.valid + 1  # event ids run on across chunks
        dirty_rng = np.random.default_rng([run.seed64, 200, ci])
        job = _ChunkJob(
            ci, plan.n_chunks, a0, a1, chunk, first_id, next_dirty_id, round(run.dirty_rate * n), dirty_rng
        )
        next_dirty_id += job.m
        totals.valid += n
        if pending is not None:
            totals.collect(pending.result(), run.say)
        pending = writer.submit(_write_chunk, job, run, arrays)
    if pending is not None:
        totals.collect(pending.result(), run.say)
    writer.shutdown()
    return totals


def _plan_events(run: _Run, chunk_rows: int) -> _EventPlan:
    world = run.world
    global_batches = lifecycle_batches(world, run.factory, np.random.default_rng([run.seed64, 9]))
    global_batches += criteria_batches(world, run.factory, global_batches)
    free = free_times(world)
    depth = _depth(world)
    bounds = _chunk_bounds(world, depth, global_batches, chunk_rows, run.say)
    return _EventPlan(
        global_batches=global_batches,
        free=free,
        depth=depth,
        bounds=bounds,
        first_user=np.r_[0, np.cumsum(world.seats)],
        event_names=list(run.seeds.events),
        needed=_needed_texts(run.seeds),
    )


def _depth(world: World) -> np.ndarray:
    """Per account, how deep into the product it goes (0.8 to 1 by share of milestones reached)."""
    depth = np.zeros(world.n)
    for plan in world.plans.values():
        reached = ((world.end_active[plan.accs, None] > plan.T) & (plan.T < NEVER)).sum(axis=1)
        depth[plan.accs] = 0.8 + 0.2 * reached / len(plan.milestones)
    return depth


def _chunk_bounds(
    world: World, depth: np.ndarray, global_batches: list[Batch], chunk_rows: int, say
) -> np.ndarray:
    """Account boundaries of chunks of about `chunk_rows` expected events each."""
    accounts = world.n
    volume = expected_volume(world, depth)
    for b in global_batches:
        volume += np.bincount(b.acc, minlength=accounts)
    cum = np.cumsum(volume)
    n_chunks = max(1, int(np.ceil(cum[-1] / chunk_rows)))
    bounds = np.searchsorted(cum, np.arange(1, n_chunks) * cum[-1] / n_chunks)
    bounds = np.unique(np.r_[0, bounds, accounts])
    say(f"plan: ~{int(cum[-1]):,} events in {len(bounds) - 1} chunk(s)")
    return bounds


def _make_chunk(run: _Run, plan: _EventPlan, ci: int) -> tuple[dict, int]:
    """The rows of chunk ci in time order, and how many of them are engagement events."""
    a0, a1 = plan.accounts_of(ci)
    rng = np.random.default_rng([run.seed64, 100, ci])
    users = np.arange(plan.first_user[a0], plan.first_user[a1])
    batches = []
    for b in plan.global_batches:
        mask = (b.acc >= a0) & (b.acc < a1)
        if mask.any():
            batches.append(b.select(mask))
    engagement = engagement_batches(run.world, users, rng)
    batches += engagement
    batches += background_batches(run.world, users, plan.free, plan.depth, rng)
    chunk = _assemble(batches, run.seeds, run.factory, plan.event_names, plan.needed, rng)
    return chunk, sum(len(b) for b in engagement)


# ------------------------------------------------------------------------------------------- small files
def _completions(world: World, truth: Truth, overrides: list[dict]) -> dict:
    """Per segment and milestone: (criteria met, product completion, completion) with the overrides."""
    completions = {}
    for s, plan in world.plans.items():
        per = {}
        for o in overrides:
            if world.segment_names[world.segment[o["acc"]]] == s:
                arr = per.setdefault(o["milestone_id"], np.full(plan.accs.size, NEVER, np.int64))
                row = int(np.searchsorted(plan.accs, o["acc"]))
                arr[row] = min(arr[row], o["at"])
        completions[s] = truth.completions(s, plan.accs, per)
    return completions


def _write_small_files(run: _Run, overrides: list[dict], files: dict[str, int]) -> None:
    files["accounts.csv"] = _write_accounts(run)
    files["renewals.csv"] = _write_renewals(run)
    files["milestone_overrides.csv"] = _write_csv(
        run.out / "milestone_overrides.csv",
        list(RAW_TABLES["milestone_overrides"]),
        (
            [run.ids.accounts[o["acc"]], o["milestone_id"], _iso(o["at"]), o["by"], o["note"]]
            for o in overrides
        ),
    )
    files["experiment_assignments.csv"] = _write_assignments(run)


def _write_accounts(run: _Run) -> int:
    world, ids = run.world, run.ids
    return _write_csv(
        run.out / "accounts.csv",
        list(RAW_TABLES["accounts"]),
        (
            [
                ids.accounts[a],
                ids.names[a],
                world.segment_names[world.segment[a]],
                _iso(world.signup[a]),
                int(world.arr[a]),
                ids.crm[a],
                world.owner[a],
            ]
            for a in range(world.n)
        ),
    )


def _write_renewals(run: _Run) -> int:
    r = run.world.renewals
    return _write_csv(
        run.out / "renewals.csv",
        list(RAW_TABLES["renewals"]),
        (
            [
                run.ids.accounts[r.acc[i]],
                _day_text(r.day[i]),
                "churned" if r.churned[i] else "renewed",
                int(r.arr_before[i]),
                int(r.arr_after[i]),
            ]
            for i in range(r.acc.size)
        ),
    )


def _write_assignments(run: _Run) -> int:
    world = run.world
    exp_rng = np.random.default_rng([run.seed64, 10])
    return _write_csv(
        run.out / "experiment_assignments.csv",
        list(RAW_TABLES["experiment_assignments"]),
        (
            [
                run.ids.accounts[a],
                e.experiment_id,
                "treatment" if v[a] == 1 else "control",
                _iso(world.signup[a] + int(exp_rng.integers(1, 30))),
            ]
            for e in world.experiments
            for v in [world.variant[e.experiment_id]]
            for a in np.flatnonzero(v >= 0)
        ),
    )


# ------------------------------------------------------------------------------------------- chunks
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


def _write_chunk(job: _ChunkJob, run: _Run, arrays: _IdArrays):
    """Formats a chunk's rows as text, adds its dirty rows and writes its files."""
    chunk, rng, seeds = job.chunk, job.rng, run.seeds
    n = chunk["ts"].size
    columns, received_ms, received_null = _format(
        chunk, run.world, run.fmt, rng, job.first_id, arrays.accounts, arrays.users, arrays.event_names
    )
    # where the rows go: a JSON Lines or Parquet file per chunk, plus a slice in the CSV backfill
    routes = _routes(job.ci, job.n_chunks, n, rng, run.event_files)
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
        run.ids.unknown_accounts,
        seeds,
        run.factory,
        run.fmt,
    )
    placed = _place_dirty(drows, routes, rng)
    sizes, rows = _write_routes(run.out, routes, columns, drows, placed)
    label = (
        f"chunk {job.ci + 1}/{job.n_chunks}: accounts {job.a0:,}-{job.a1 - 1:,}, "
        f"{n:,} events + {len(drows):,} dirty -> {', '.join(r[0] for r in routes)}"
    )
    run.say.bar.update(completed=job.a1)  # the bar is thread-safe: written from the writer's thread
    return sizes, rows, list(drows.kind), drows.malformed_variants, label


def _write_routes(out: Path, routes, columns, drows, placed) -> tuple[dict[str, int], dict[str, int]]:
    """Writes each file of a chunk; returns bytes and rows per file."""
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
    return sizes, rows


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


def _routes(
    ci: int, n_chunks: int, n: int, rng, event_files: str = DEFAULT_EVENT_FILES
) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """(file, format, row ranges) for the rows of a chunk (rows are in time order)."""
    if n_chunks == 1:
        c0, c1, p0, p1 = (int(n * x) for x in (0.40, 0.45, 0.70, 0.90))
        return [
            ("events_0001.jsonl", "jsonl", [(0, c0), (c1, p0), (p1, n)]),
            ("events_0002.parquet", "parquet", [(p0, p1)]),
            (CSV_EVENTS_FILE, "csv", [(c0, c1)]),
        ]
    parquet = ci == n_chunks - 1 or (event_files == "parquet" and ci > 0)
    main_kind = "parquet" if parquet else "jsonl"
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


# ------------------------------------------------------------------------------------------- overrides
EARLY_NOTES = (
    "{name}: confirmed with the customer on the kickoff call; the product events arrived days later.",
    "{name}: done during the onboarding session (shared screen), marked on the call.",
    "{name}: customer confirmed by email; marking ahead of the usage sync.",
)
NEVER_NOTES = (
    "{name}: done outside the product (customer's sandbox tenant), no events tracked; marking complete.",
    "{name}: equivalent setup confirmed in the QBR; they use a workaround we do not track.",
    "{name}: agreed with the champion this is done for their use case; stop the stall playbook.",
)
LATE_NOTES = ("{name}: logged after the fact from the success plan review.",)


def _overrides(world: World, truth: Truth, rng) -> list[dict]:
    """A few % of accounts where a CSM marked a milestone complete by hand."""
    prod: dict[str, dict] = {}
    for s, plan in world.plans.items():
        prod[s] = truth.completions(s, plan.accs)
    order = rng.permutation(world.n)
    want = round(OVERRIDE_SHARE * world.n)
    out = []
    for a in order:
        if len(out) >= want:
            break
        override = _override(world, prod, a, rng)
        if override is not None:
            out.append(override)
    out.sort(key=lambda o: (o["at"], o["acc"]))
    return out


def _override(world: World, prod: dict[str, dict], a, rng) -> dict | None:
    """An override on account a, of a kind drawn at random; None when that kind does not fit it."""
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
    if roll < 0.5:
        picked = _marked_early(completed, signup, rng)
    elif roll < 0.85:
        picked = _marked_never_done(world, a, plan, comp, row, pending, end, rng)
    else:
        picked = _marked_late(completed, end, rng)
    if picked is None:
        return None
    ms, at, notes = picked
    tz = np.array([world.tz[a]])
    at = int(shape_times(rng, np.array([at]), np.array([signup]), np.array([end]), tz)[0])
    note = notes[int(rng.integers(0, len(notes)))].format(name=ms.name)
    return {"acc": int(a), "milestone_id": ms.milestone_id, "at": at, "by": csm, "note": note}


def _marked_early(completed: list, signup: int, rng):
    """Marked before the product events showed it: (milestone, marked at, notes) or None."""
    if not completed:
        return None
    ms, t = completed[int(rng.integers(0, len(completed)))]
    at = max(signup + 3600, t - int(rng.uniform(1, 10) * DAY))
    return None if at >= t else (ms, at, EARLY_NOTES)


def _marked_never_done(world: World, a, plan, comp: dict, row: int, pending: list, end: int, rng):
    """Never completed in the product: marked after the previous milestone, while the account is active."""
    signup = int(world.signup[a])
    if not pending or world.end_active[a] <= signup + 5 * DAY:
        return None
    ms = pending[0]
    j = plan.milestones.index(ms)
    prev = int(comp[plan.milestones[j - 1].milestone_id][2][row]) if j else signup
    last = min(end, int(world.end_active[a]) - 3600)
    if prev >= NEVER or prev + 2 * DAY >= last:
        return None
    return ms, int(rng.integers(prev + 2 * DAY, last)), NEVER_NOTES


def _marked_late(completed: list, end: int, rng):
    """Paperwork after the fact (the product completion stands): (milestone, marked at, notes) or None."""
    if not completed:
        return None
    ms, t = completed[int(rng.integers(0, len(completed)))]
    at = t + int(rng.uniform(1, 5) * DAY)
    return None if at >= end else (ms, at, LATE_NOTES)


# ------------------------------------------------------------------------------------------- ground truth
TRUTH_MILESTONE_COLUMNS = (
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


def _write_truth(out: Path, world: World, completions, overrides, account_ids) -> int:
    """Writes _truth_milestones.csv and _truth_accounts.csv; returns how many milestones were completed."""
    n_done = _write_truth_milestones(out, world, completions, overrides, account_ids)
    _write_truth_accounts(out, world, account_ids, n_done)
    return int(n_done.sum())


def _write_truth_milestones(out: Path, world: World, completions, overrides, account_ids) -> np.ndarray:
    """One row per account and milestone of its segment; returns the milestones completed per account."""
    over = {(o["acc"], o["milestone_id"]): o["at"] for o in overrides}
    cols: dict[str, list] = {k: [] for k in TRUTH_MILESTONE_COLUMNS}
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
                    n_done[a] += 1
    pacsv.write_csv(pa.table(cols), out / "_truth_milestones.csv", pacsv.WriteOptions(quoting_style="needed"))
    return n_done


def _write_truth_accounts(out: Path, world: World, account_ids, n_done: np.ndarray) -> None:
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


# ------------------------------------------------------------------------------------------- manifest
def _manifest(run: _Run, totals: _EventTotals, completions: dict, overrides: list[dict]) -> dict:
    world = run.world
    return {
        "generator": "milestones generate",
        "version": GENERATOR_VERSION,
        "start_date": world.start_date.isoformat(),
        "end_date": world.end_date.isoformat(),
        "arguments": {
            "accounts": world.n,
            "days": run.days,
            "seed": run.seed,
            "dirty_rate": run.dirty_rate,
            "end_date": world.end_date.isoformat(),
        },
        "window": {"start_date": world.start_date.isoformat(), "end_date": world.end_date.isoformat()},
        "seeds_sha256": run.seeds.sha256,
        "files": totals.files,
        "counts": _manifest_counts(world, totals, overrides),
        "dirty": _manifest_dirty(run.dirty_rate, totals),
        "segments": {s: _segment_stats(world, s, plan, completions[s]) for s, plan in world.plans.items()},
        "churn_drivers": {s: _churn_drivers(run.seeds, s, plan) for s, plan in world.plans.items()},
        "experiments": [_experiment_entry(world, e) for e in world.experiments],
        "engagement": {
            "events": list(engagement_events(run.seeds)),
            "note": "rate per active user-day is drawn per user, independent of fit, milestones and churn",
        },
        "ground_truth_files": {
            "_truth_milestones.csv": "per account and milestone: drawn, criteria met-at (evaluated on the "
            "valid events with the rules of docs/rules.md §5), product completion (with depends_on), "
            "CSM override, completion",
            "_truth_accounts.csv": "per account: latent fit, seats, users ever active, churn date, "
            "experiments",
        },
        "experiment_catalog": [e.experiment_id for e in EXPERIMENTS],
    }


def _manifest_counts(world: World, totals: _EventTotals, overrides: list[dict]) -> dict:
    return {
        "accounts": world.n,
        "users_active": _active_users(world),
        "events_valid": totals.valid,
        "events_engagement": totals.engagement_rows,
        "event_rows_dirty": int(totals.dirty_rows),
        "event_rows_total": totals.valid + int(totals.dirty_rows),
        "renewals": int(world.renewals.acc.size),
        "churned_accounts": int((world.churned_at < NEVER).sum()),
        "milestone_overrides": len(overrides),
    }


def _manifest_dirty(dirty_rate: float, totals: _EventTotals) -> dict:
    return {
        "rate": dirty_rate,
        "by_reason": totals.dirty_counts,
        "malformed_record_variants": {
            k: totals.malformed_variants.get(k, 0) for k in dirty_mod.MALFORMED_VARIANTS
        },
        "note": "each dirty row is an extra row breaking exactly one rule, the first it breaks; "
        "trailing_comma lines are invalid JSON although lenient JSON readers accept them as objects",
    }


def _segment_stats(world: World, s: str, plan, completions: dict) -> dict:
    p = profile(s)
    rates = {}
    for ms in plan.milestones:
        completed = completions[ms.milestone_id][2]
        rates[ms.milestone_id] = round(float((completed < NEVER).mean()), 4) if plan.accs.size else 0.0
    churned = world.churned_at[plan.accs] < NEVER
    return {
        "accounts": int(plan.accs.size),
        "milestones": [ms.milestone_id for ms in plan.milestones],
        "completion_rate": rates,
        "churned_accounts": int(churned.sum()),
        "renewal_terms_days": {"first": p.first_term_days, "then": p.term_days},
    }


def _churn_drivers(seeds: Seeds, s: str, plan) -> dict:
    """The segment's milestones by how much reaching them lowers churn, the top three being its drivers."""
    p = profile(s)
    effects = _milestone_effects(plan, p.churn_kappa)
    top = effects[:3]
    return {
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
        "not_drivers": list(engagement_events(seeds)),
    }


def _milestone_effects(plan, churn_kappa: float) -> list[dict]:
    """Per milestone: its events, weight and churn log-odds when reached; strongest effect first."""
    effects = []
    for ms, w in zip(plan.milestones, plan.weights, strict=True):
        events = sorted({c.event_name for c in ms.criteria})
        effects.append(
            {
                "milestone_id": ms.milestone_id,
                "events": events,
                "weight": round(float(w), 3),
                "churn_log_odds_when_reached": round(-churn_kappa * float(w), 4),
            }
        )
    effects.sort(key=lambda e: e["churn_log_odds_when_reached"])
    return effects


def _needs_users(plan, top: list[dict]) -> bool:
    """Whether one of the milestones in top counts distinct active users."""
    ids = {e["milestone_id"] for e in top}
    return any(c.is_user_anchor for ms in plan.milestones if ms.milestone_id in ids for c in ms.criteria)


def _experiment_entry(world: World, e) -> dict:
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
        entry["observed_median_days"] = _observed_median_days(world, plan, e)
    else:
        entry["true_effect"]["milestone_id"] = None
    return entry


def _observed_median_days(world: World, plan, e) -> dict[str, float | None]:
    """Median days from the previous milestone to the experiment's milestone, per variant."""
    j = e.sequence - 1
    prev = plan.T[:, j - 1] if j else world.signup[plan.accs]
    ok = (plan.T[:, j] < world.end_active[plan.accs]) & (plan.T[:, j] < NEVER)
    v = world.variant[e.experiment_id][plan.accs]
    med = {}
    for name, code in (("control", 0), ("treatment", 1)):
        d = (plan.T[:, j] - prev)[ok & (v == code)] / DAY
        med[name] = round(float(np.median(d)), 3) if d.size else None
    return med
