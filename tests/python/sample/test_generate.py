"""`milestones generate` and the demo seeds: real files, checked by independent readers.

The helpers below re-implement, plainly, the quarantine rules (docs/rules.md §5) and the milestone
criteria (§4), so that the generator's ground truth and its manifest are checked against the files it
wrote rather than against its own code.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from milestones.errors import UserError
from milestones.load.landing import RAW_TABLES
from milestones.rules import contract_reasons, contract_rules
from milestones.sample import GenerateSummary, dirty, generate
from milestones.sample.seeds import load_seeds

PROJECT = Path(__file__).resolve().parents[3]
SEEDS = PROJECT / "seeds"
COLUMNS = list(RAW_TABLES["events"])
JSONL_COLUMNS = "{account_id: 'VARCHAR', user_id: 'VARCHAR', event_name: 'VARCHAR', occurred_at: 'VARCHAR'}"
LARGE_ACCOUNTS, LARGE_SEED = 450, 21
SMALL = {"accounts": 40, "days": 90, "seed": 3, "dirty_rate": 0.05}


# ------------------------------------------------------------------------------------------ readers
def seed(name: str, folder: Path = SEEDS) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def parse_ts(text):
    if not isinstance(text, str):
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def raw_event_rows(folder: Path) -> list[dict]:
    """Every landed event row in load order; a JSONL line that is not a JSON object is `malformed`."""
    rows: list[dict] = []
    for path in sorted(folder.iterdir()):
        if not path.name.startswith("events"):
            continue
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as f:
                for line in f:
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        obj = None
                    if not isinstance(obj, dict):
                        rows.append({"malformed": True, "file": path.name})
                        continue
                    row = {c: obj.get(c) for c in COLUMNS}
                    p = row["properties"]
                    row["properties"] = None if p is None else json.dumps(p)
                    rows.append({**row, "file": path.name})
        elif path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as f:
                rows += [{**{c: r[c] for c in COLUMNS}, "file": path.name} for r in csv.DictReader(f)]
        elif path.suffix == ".parquet":
            rows += [{**r, "file": path.name} for r in pq.read_table(path).to_pylist()]
    for i, r in enumerate(rows):
        r["load_order"] = i
    return rows


def _type_ok(value, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return parse_ts(value) is not None


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def classify(rows: list[dict], seeds: Path, account_ids: set[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """docs/rules.md §5, rule by rule: the valid events and the number of rows per quarantine reason."""
    plan = set(seed("tracking_plan_events.csv", seeds).event_name)
    spec: dict[str, list] = {}
    for r in seed("tracking_plan_properties.csv", seeds).itertuples():
        allowed = [v for v in r.allowed_values.split("|") if v]
        spec.setdefault(r.event_name, []).append((r.property, r.type, r.required == "true", allowed))
    reasons: dict[str, int] = {}
    late = datetime(2999, 1, 1).astimezone()

    def bad(r, reason):
        r["reason"] = reason
        reasons[reason] = reasons.get(reason, 0) + 1

    kept = []
    for r in rows:
        if r.get("malformed"):
            bad(r, "malformed_record")
        elif any(not r[c] for c in ("event_id", "account_id", "event_name", "occurred_at")):
            bad(r, "missing_required_field")
        else:
            kept.append(r)
    seen: set[str] = set()
    for r in sorted(kept, key=lambda r: (parse_ts(r["received_at"]) or late, r["load_order"])):
        if r["event_id"] in seen:
            bad(r, "duplicate_event_id")
        seen.add(r["event_id"])
    valid = []
    for r in kept:
        if "reason" in r:
            continue
        occurred, received = parse_ts(r["occurred_at"]), parse_ts(r["received_at"])
        if occurred is None or (received is not None and occurred > received + timedelta(days=1)):
            bad(r, "invalid_timestamp")
            continue
        try:
            p = json.loads(r["properties"]) if r["properties"] else {}
        except json.JSONDecodeError:
            p = None
        if not isinstance(p, dict):
            bad(r, "malformed_properties")
        elif r["event_name"] not in plan:
            bad(r, "unknown_event")
        elif any(req and p.get(name) is None for name, _, req, _ in spec.get(r["event_name"], [])):
            bad(r, "missing_required_property")
        elif any(
            p.get(n) is not None and not _type_ok(p[n], k) for n, k, _, _ in spec.get(r["event_name"], [])
        ):
            bad(r, "invalid_property_type")
        elif any(
            a and p.get(n) is not None and _text(p[n]) not in a
            for n, _, _, a in spec.get(r["event_name"], [])
        ):
            bad(r, "invalid_property_value")
        elif r["account_id"] not in account_ids:
            bad(r, "unknown_account")
        else:
            valid.append({**r, "ts": occurred, "props": p})
    events = pd.DataFrame(valid)
    events["ts"] = pd.to_datetime(events["ts"], utc=True)
    return events.sort_values(["ts", "event_id"], kind="stable").reset_index(drop=True), reasons


def criterion_met_at(events: pd.DataFrame, crit) -> pd.Series:
    """docs/rules.md §4 for one criterion: per account, the occurred_at of the event that brings the
    measure to the threshold."""
    ev = events if crit.event_name == "*" else events[events.event_name == crit.event_name]

    def prop(frame, name):
        if name == "user_id":
            return frame.user_id
        return frame.props.map(lambda p: None if p.get(name) is None else _text(p[name]))

    if crit.filter_property:
        ev = ev[prop(ev, crit.filter_property).isin(crit.filter_values.split("|"))]
    ev = ev.assign(grp="")
    if crit.group_by_property:
        ev = ev.assign(grp=prop(ev, crit.group_by_property))
        ev = ev[ev.grp.notna()]
    if crit.measure == "distinct":
        ev = ev.assign(val=prop(ev, crit.distinct_property))
        ev = ev[ev.val.notna()].drop_duplicates(["account_id", "grp", "val"])
    ev = ev.assign(n=ev.groupby(["account_id", "grp"]).cumcount() + 1)
    return ev[ev.n == int(crit.threshold)].groupby("account_id").ts.min()


def milestone_met_at(events: pd.DataFrame, accounts: pd.DataFrame, seeds: Path) -> dict[str, pd.Series]:
    """Per milestone: the latest met-at of its criteria (NaT while one is unmet), for its segment."""
    out = {}
    criteria = seed("milestone_criteria.csv", seeds)
    for (segment, milestone), crits in criteria.groupby(["segment", "milestone_id"], sort=False):
        accs = accounts.account_id[accounts.segment == segment]
        met = pd.concat([criterion_met_at(events, c).reindex(accs) for c in crits.itertuples()], axis=1)
        out[milestone] = met.max(axis=1).where(met.notna().all(axis=1))
    return out


def iso(t) -> str:
    return "" if pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def frame(cursor) -> pd.DataFrame:
    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def file_digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("gen_small")
    return out, generate(out=out, progress=False, **SMALL)


@pytest.fixture(scope="module")
def small_checked(small):
    out, _ = small
    accounts = pd.read_csv(out / "accounts.csv", dtype=str, keep_default_na=False)
    events, reasons = classify(raw_event_rows(out), SEEDS, set(accounts.account_id))
    return events, reasons, accounts


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """Enough accounts for the statistical structure (churn, engagement, experiment)."""
    out = tmp_path_factory.mktemp("gen_large")
    generate(accounts=LARGE_ACCOUNTS, days=240, seed=LARGE_SEED, out=out, progress=False)
    return out


# ------------------------------------------------------------------------------------------ seeds
def test_segments_have_4_8_15_ordered_milestones() -> None:
    ms = seed("milestones.csv")
    assert ms.groupby("segment").size().to_dict() == {"trial": 4, "paid": 8, "enterprise": 15}
    for segment, group in ms.groupby("segment"):
        assert sorted(group.sequence.astype(int)) == list(range(1, len(group) + 1)), segment
        assert group.milestone_id.is_unique
        assert (group.target_days.astype(float) > 0).all()
        assert (group.weight.astype(float) > 0).all()
    assert (ms.name.str.len() > 5).all() and (ms.description.str.len() > 20).all()
    assert (ms.playbook.str.len() > 80).all(), "playbooks are concrete texts a CSM acts on"


def test_seeds_are_self_consistent() -> None:
    events = seed("tracking_plan_events.csv")
    props = seed("tracking_plan_properties.csv")
    ms = seed("milestones.csv")
    crit = seed("milestone_criteria.csv")
    assert events.event_name.is_unique and 20 <= len(events) <= 32
    assert set(events.status) == {"active", "deprecated"}
    assert (events.owner != "").all() and (events.description != "").all()
    assert set(props.type) == {"string", "integer", "number", "boolean", "timestamp"}
    assert set(props.required) == {"true", "false"}
    assert set(props.event_name) <= set(events.event_name)
    assert not props.duplicated(["event_name", "property"]).any()
    assert {"page_viewed", "user_logged_in"} <= set(props.event_name)
    assert (
        "slack|github"
        in props.set_index(["event_name", "property"]).allowed_values[
            ("integration_connected", "integration")
        ]
    )
    plan_props = set(zip(props.event_name, props.property, strict=True))
    seq = {(r.segment, r.milestone_id): int(r.sequence) for r in ms.itertuples()}
    for r in crit.itertuples():
        where = f"{r.segment}/{r.milestone_id}/{r.criterion_id}"
        assert (r.segment, r.milestone_id) in seq, where
        assert r.event_name == "*" or r.event_name in set(events.event_name), where
        assert r.measure in ("count", "distinct"), where
        assert (r.measure == "distinct") == bool(r.distinct_property), where
        assert int(r.threshold) >= 1, where
        for p in (r.filter_property, r.distinct_property, r.group_by_property):
            if p and p != "user_id":
                assert (r.event_name, p) in plan_props, where
        if r.filter_property:
            allowed = props.set_index(["event_name", "property"]).allowed_values[
                (r.event_name, r.filter_property)
            ]
            if allowed:
                assert set(r.filter_values.split("|")) <= set(allowed.split("|")), where
    assert not crit.duplicated(["segment", "milestone_id", "criterion_id"]).any()
    assert set(seq) == set(zip(crit.segment, crit.milestone_id, strict=True)), "every milestone has criteria"
    for r in ms.itertuples():
        for dep in filter(None, r.depends_on.split("|")):
            assert seq[(r.segment, dep)] < int(r.sequence), f"{r.milestone_id} depends on {dep}"
    # engagement events carry the volume but no milestone uses them
    assert not {"page_viewed", "user_logged_in"} & set(crit.event_name)
    load_seeds(SEEDS)  # the generator reads them too


def test_seeds_use_every_criteria_feature() -> None:
    ms = seed("milestones.csv")
    crit = seed("milestone_criteria.csv")
    star = crit[crit.event_name == "*"]
    assert ((star.measure == "distinct") & (star.distinct_property == "user_id")).any()
    assert (crit.filter_property != "").any() and crit.filter_values.str.contains("|", regex=False).any()
    assert ((crit.measure == "distinct") & ~crit.distinct_property.isin(["", "user_id"])).any()
    assert (crit.group_by_property != "").any()
    assert ((crit.group_by_property != "") & (crit.measure == "distinct")).any()
    assert (crit.groupby(["segment", "milestone_id"]).size() > 1).any()
    assert (crit.threshold.astype(int) > 1).any()
    deps = ms[ms.depends_on != ""]
    assert deps.depends_on.str.contains("|", regex=False).any()
    seq = {(r.segment, r.milestone_id): int(r.sequence) for r in ms.itertuples()}
    skips = [
        r.milestone_id
        for r in deps.itertuples()
        for d in r.depends_on.split("|")
        if seq[(r.segment, d)] < int(r.sequence) - 1
    ]
    assert skips, "a dependency on a milestone that is not the previous one"


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("milestone_criteria.csv", lambda t: t.replace(",task_created,", ",task_made,", 1), "task_made"),
        ("milestone_criteria.csv", lambda t: t.replace(",count,", ",sum,", 1), "sum"),
        ("milestones.csv", lambda t: t.replace("t_second_teammate|t_integration", "t_missing"), "t_missing"),
        ("milestone_criteria.csv", lambda t: "\n".join(t.splitlines()[:-1]) + "\n", "no criteria"),
        (
            "tracking_plan_properties.csv",
            lambda t: t.replace("account_created,plan,string", "account_created,plan,date", 1),
            "property plan of event account_created has type date",
        ),
    ],
)
def test_generator_names_the_bad_seed_row(tmp_path: Path, file: str, edit, message: str) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    path = tmp_path / "seeds" / file
    path.write_text(edit(path.read_text()))
    with pytest.raises(UserError, match=message):
        generate(
            accounts=3, days=5, seed=1, out=tmp_path / "out", progress=False, seeds_dir=tmp_path / "seeds"
        )


# ------------------------------------------------------------------------------------------ files
def test_every_file_and_column_is_written(small) -> None:
    out, summary = small
    names = {p.name for p in out.iterdir()}
    for name in ("accounts.csv", "renewals.csv", "milestone_overrides.csv", "experiment_assignments.csv"):
        assert name in names
    assert any(n.startswith("events") and n.endswith(".jsonl") for n in names)
    assert any(n.startswith("events") and n.endswith(".parquet") for n in names)
    assert any(n.startswith("events") and n.endswith(".csv") for n in names)
    for table in ("accounts", "renewals", "milestone_overrides", "experiment_assignments"):
        with (out / f"{table}.csv").open(newline="") as f:
            assert next(csv.reader(f)) == list(RAW_TABLES[table]), table
    for path in out.glob("events*.csv"):
        with path.open(newline="") as f:
            assert next(csv.reader(f)) == COLUMNS
    for path in out.glob("events*.parquet"):
        schema = pq.read_schema(path)
        assert schema.names == COLUMNS and {str(t) for t in schema.types} == {"string"}
    with next(out.glob("events*.jsonl")).open() as f:
        record = json.loads(f.readline())
    assert list(record) == COLUMNS and isinstance(record["properties"], dict)
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["arguments"] == {**SMALL, "end_date": "2026-09-30"}
    assert manifest["end_date"] == "2026-09-30"
    assert manifest["files"] == {n: manifest["files"][n] for n in manifest["files"] if n in names}
    assert set(manifest["churn_drivers"]) == {"trial", "paid", "enterprise"}
    assert (
        str(summary).startswith("generated 40 accounts")
        and summary.events == manifest["counts"]["events_valid"]
    )


def test_same_arguments_same_bytes_and_another_seed_differs(small, tmp_path: Path) -> None:
    out, _ = small
    generate(out=tmp_path / "again", progress=False, **SMALL)
    assert file_digests(tmp_path / "again") == file_digests(out)
    generate(out=tmp_path / "other", progress=False, **{**SMALL, "seed": 4})
    other = file_digests(tmp_path / "other")
    assert other["accounts.csv"] != file_digests(out)["accounts.csv"]
    assert other["events_0001.jsonl"] != file_digests(out)["events_0001.jsonl"]


def test_refuses_a_folder_of_foreign_landing_files(tmp_path: Path) -> None:
    (tmp_path / "events_mine.jsonl").write_text("{}\n")
    with pytest.raises(UserError, match="not written by the generator"):
        generate(accounts=2, days=3, seed=1, out=tmp_path, progress=False)


def test_rewriting_a_generated_folder_leaves_no_stale_file(tmp_path: Path) -> None:
    generate(accounts=30, days=60, seed=1, out=tmp_path, progress=False, chunk_rows=2_000)
    assert (tmp_path / "events_0003.jsonl").exists()
    generate(accounts=3, days=10, seed=1, out=tmp_path, progress=False)
    assert not (tmp_path / "events_0003.jsonl").exists()
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert {p.name for p in tmp_path.glob("events*")} == {
        n for n in manifest["files"] if n.startswith("events")
    }


def test_chunks_spread_over_jsonl_files_and_a_parquet_file(tmp_path: Path) -> None:
    summary = generate(accounts=30, days=60, seed=2, out=tmp_path, progress=False, chunk_rows=2_000)
    names = sorted(n for n in summary.files if n.startswith("events"))
    assert names[0] == "events_0001.jsonl" and names[-2].endswith(".parquet") and names[-1].endswith(".csv")
    assert len(names) >= 4


def test_parquet_event_files_hold_the_same_events_and_truth(tmp_path: Path) -> None:
    args = {"accounts": 30, "days": 60, "seed": 2, "dirty_rate": 0.05, "progress": False, "chunk_rows": 2_000}
    generate(out=tmp_path / "mixed", **args)
    summary = generate(out=tmp_path / "parquet", event_files="parquet", **args)
    names = sorted(n for n in summary.files if n.startswith("events"))
    # the first chunk stays JSON Lines: a malformed line has no other home
    assert names[0] == "events_0001.jsonl" and names[-1].endswith(".csv") and len(names) >= 4
    assert all(name.endswith(".parquet") for name in names[1:-1])
    for truth in ("_truth_milestones.csv", "_truth_accounts.csv"):
        assert (tmp_path / "parquet" / truth).read_bytes() == (tmp_path / "mixed" / truth).read_bytes()
    valid = {}
    for kind in ("mixed", "parquet"):
        accounts = seed("accounts.csv", tmp_path / kind)
        events, reasons = classify(raw_event_rows(tmp_path / kind), SEEDS, set(accounts.account_id))
        assert reasons["malformed_record"] > 0, kind
        events = events.drop(columns=["file", "load_order"]).sort_values("event_id").reset_index(drop=True)
        # JSON Lines hold an object, Parquet its text: compare what they say, not their spacing
        events["properties"] = [json.dumps(json.loads(text), sort_keys=True) for text in events.properties]
        valid[kind] = events
    pd.testing.assert_frame_equal(valid["parquet"], valid["mixed"])


def test_generate_refuses_an_unknown_kind_of_event_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="event_files"):
        generate(accounts=2, days=3, seed=1, out=tmp_path, progress=False, event_files="csv")


# ------------------------------------------------------------------------------------------ events
def test_timestamps_are_iso_with_offsets_and_received_at(small_checked) -> None:
    events, _, _ = small_checked
    occurred = events.occurred_at
    assert occurred.str.endswith("Z").mean() > 0.85
    assert occurred.str.contains(r"[+-]\d\d:\d\d$").any()
    assert events.received_at.isna().any() and events.received_at.notna().mean() > 0.99
    both = events[events.received_at.notna()]
    lag = (pd.to_datetime(both.received_at, utc=True) - both.ts).dt.total_seconds()
    assert lag.median() < 60 and (lag > 600).any()
    start = pd.Timestamp(date(2026, 9, 30) - timedelta(days=SMALL["days"] - 1), tz="UTC")
    assert events.ts.min() >= start and events.ts.max() < pd.Timestamp("2026-10-01", tz="UTC")
    assert events.event_id.is_unique and events.event_id.str.match(r"^evt_\d{12}$").all()
    assert events.user_id.str.match(r"^usr_[0-9a-f]{10}$").all()


def test_dirty_rows_cover_every_reason_as_the_manifest_says(small, small_checked) -> None:
    out, _ = small
    events, reasons, _ = small_checked
    manifest = json.loads((out / "_manifest.json").read_text())
    assert set(reasons) == set(contract_reasons())
    assert reasons == {k: v for k, v in manifest["dirty"]["by_reason"].items() if v}
    variants = manifest["dirty"]["malformed_record_variants"]
    assert sum(variants.values()) == reasons["malformed_record"] and all(variants.values())
    assert len(events) == manifest["counts"]["events_valid"]
    assert sum(reasons.values()) == pytest.approx(SMALL["dirty_rate"] * len(events), rel=0.02)


def test_every_reason_has_a_maker_of_dirty_rows() -> None:
    """The generator makes one kind of dirty row per quarantine reason of the product's list."""
    assert contract_reasons() == dirty.KINDS
    assert set(dirty.ROW_DIRT) | set(dirty.PROPERTY_DIRT) == set(contract_reasons())
    assert not set(dirty.ROW_DIRT) & set(dirty.PROPERTY_DIRT)
    assert set(dirty.PROPERTY_DIRT) == {rule.reason for rule in contract_rules() if rule.is_property_rule}


def test_clean_generation_has_no_dirty_rows(tmp_path: Path) -> None:
    generate(accounts=10, days=30, seed=5, out=tmp_path, progress=False)
    accounts = pd.read_csv(tmp_path / "accounts.csv", dtype=str)
    events, reasons = classify(raw_event_rows(tmp_path), SEEDS, set(accounts.account_id))
    assert reasons == {} and len(events) > 1000


def test_milestone_events_meet_the_criteria_as_the_ground_truth_says(small, small_checked) -> None:
    out, _ = small
    events, _, accounts = small_checked
    truth = pd.read_csv(out / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    truth = truth.set_index(["milestone_id", "account_id"])
    checked = completed = 0
    for milestone, met in milestone_met_at(events, accounts, SEEDS).items():
        mine = met.map(iso)
        theirs = truth.criteria_met_at.xs(milestone).reindex(mine.index)
        assert (mine == theirs).all(), milestone
        drawn = truth.drawn_at.xs(milestone).reindex(mine.index)
        assert (drawn == theirs).all(), f"{milestone}: events do not meet the criteria at the drawn instants"
        checked += len(mine)
        completed += (mine != "").sum()
    assert checked == sum(
        len(seed("milestones.csv").query("segment == @s")) * n
        for s, n in accounts.segment.value_counts().items()
    )
    assert completed > 20


def test_completion_is_the_earlier_of_product_and_csm(small) -> None:
    out, _ = small
    t = pd.read_csv(out / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    ms = seed("milestones.csv")
    deps = {r.milestone_id: [d for d in r.depends_on.split("|") if d] for r in ms.itertuples()}
    by = t.set_index(["account_id", "milestone_id"])
    for r in t.itertuples():
        times = [x for x in (r.product_completed_at, r.override_at) if x]
        assert r.completed_at == (min(times) if times else "")
        if r.product_completed_at:
            needed = [r.criteria_met_at] + [by.completed_at[(r.account_id, d)] for d in deps[r.milestone_id]]
            assert all(needed) and r.product_completed_at == max(needed)
        assert r.completion_source == (
            "" if not times else "csm" if r.completed_at != r.product_completed_at else "product"
        )


def test_overrides_mark_real_milestones_early_or_never(large) -> None:
    o = pd.read_csv(large / "milestone_overrides.csv", dtype=str, keep_default_na=False)
    accounts = pd.read_csv(large / "accounts.csv", dtype=str)
    t = pd.read_csv(large / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    assert 0.01 <= len(o) / len(accounts) <= 0.05
    assert (o.marked_by != "").all() and (o.note.str.len() > 20).all()
    merged = o.merge(t, on=["account_id", "milestone_id"])
    assert len(merged) == len(o), "every override names a milestone of the account's segment"
    early = merged[
        (merged.product_completed_at != "") & (merged.completed_at_x < merged.product_completed_at)
    ]
    never = merged[merged.product_completed_at == ""]
    assert len(early) and len(never)
    assert (merged.completed_at_x <= "2026-09-30T23:59:59Z").all()


# ------------------------------------------------------------------------------------------ accounts
def test_accounts_look_like_a_crm(large) -> None:
    a = pd.read_csv(large / "accounts.csv", keep_default_na=False)
    mix = a.segment.value_counts(normalize=True)
    assert mix["trial"] == pytest.approx(0.55, abs=0.02) and mix["enterprise"] == pytest.approx(
        0.10, abs=0.02
    )
    arr = a.groupby("segment").arr
    assert arr.max()["trial"] == 0
    assert 1000 <= arr.median()["paid"] <= 20000
    assert arr.min()["enterprise"] >= 50000 and arr.max()["enterprise"] <= 300000
    assert a.account_id.is_unique and a.crm_id.is_unique and a.crm_id.str.match(r"^001[0-9A-Za-z]{12}$").all()
    assert (a.owner != "").all() and a.account_name.str.contains(",").any()
    signup = pd.to_datetime(a.signup_at, utc=True)
    assert signup.min() >= pd.Timestamp("2026-02-03", tz="UTC") and signup.max() < pd.Timestamp(
        "2026-10-01", tz="UTC"
    )
    assert signup.dt.month.nunique() >= 8, "signups spread over the window"


def test_churn_falls_with_milestones_and_expansion_rises(large) -> None:
    r = pd.read_csv(large / "renewals.csv")
    t = pd.read_csv(large / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    assert set(r.outcome) == {"renewed", "churned"}
    assert (r[r.outcome == "churned"].arr_after == 0).all()
    first = r.sort_values("renewal_date").groupby("account_id").head(1)
    t = t.merge(first, on="account_id")
    t["done"] = (t.completed_at != "") & (t.completed_at.str[:10] <= t.renewal_date)
    per = t.groupby(["account_id", "segment", "outcome", "arr_before", "arr_after"]).done.mean().reset_index()
    per["churned"] = per.outcome == "churned"
    for segment, g in per.groupby("segment"):
        low, high = g[g.done < 0.5].churned.mean(), g[g.done >= 0.5].churned.mean()
        if min((g.done < 0.5).sum(), (g.done >= 0.5).sum()) >= 15:
            assert low > high + 0.15, segment
    renewed = per[(per.outcome == "renewed") & (per.arr_before > 0)]
    expanded = renewed.arr_after > renewed.arr_before
    assert expanded[renewed.done >= 0.5].mean() > expanded[renewed.done < 0.5].mean()


def test_engagement_rate_does_not_depend_on_churn(large) -> None:
    """Engagement events per user-day, from each user's first event to the account's end (its churn
    renewal date, else the end of the data): the same for accounts that churn and that stay."""
    import duckdb

    renewals = pd.read_csv(large / "renewals.csv")
    churn = renewals[renewals.outcome == "churned"].set_index("account_id").renewal_date
    per_user = frame(
        duckdb.connect().execute(
            f"""
            with ev as (
                select account_id, user_id, event_name, occurred_at
                from read_json('{large}/events_*.jsonl', columns={JSONL_COLUMNS})
                union all
                select account_id, user_id, event_name, occurred_at
                from read_parquet('{large}/events_*.parquet')
            )
            select account_id, user_id, min(occurred_at::timestamptz) as first,
                count(*) filter (where event_name in ('page_viewed', 'user_logged_in')) as n
            from ev group by all
            """
        )
    )
    end = pd.to_datetime(per_user.account_id.map(churn).fillna("2026-10-01"), utc=True)
    per_user["days"] = (end - pd.to_datetime(per_user["first"], utc=True)).dt.total_seconds() / 86400
    per_user = per_user[per_user.days > 7]
    per_user["churned"] = per_user.account_id.isin(churn.index)
    per_user["rate"] = per_user.n / per_user.days
    median = per_user.groupby("churned").rate.median()  # per-user rates are heavy-tailed
    assert per_user.churned.sum() > 50
    assert median[True] == pytest.approx(median[False], rel=0.15)
    counts = json.loads((large / "_manifest.json").read_text())["counts"]
    assert counts["events_engagement"] > 0.6 * counts["events_valid"], "engagement is most of the volume"


def test_churned_accounts_stop_producing_events(large) -> None:
    import duckdb

    churn = pd.read_csv(large / "renewals.csv").query("outcome == 'churned'")[["account_id", "renewal_date"]]
    last = frame(
        duckdb.connect().execute(
            f"""select account_id, max(occurred_at::timestamptz) as last
            from read_parquet('{large}/events_*.parquet') group by 1"""
        )
    )
    m = churn.merge(last, on="account_id")
    assert len(m) > 10
    assert (m["last"] < pd.to_datetime(m.renewal_date, utc=True)).all()


def test_some_accounts_are_stalled_at_the_end_date(large) -> None:
    t = pd.read_csv(large / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    a = pd.read_csv(large / "_truth_accounts.csv", dtype=str, keep_default_na=False).set_index("account_id")
    signup = pd.read_csv(large / "accounts.csv").set_index("account_id").signup_at
    target = seed("milestones.csv").set_index(["segment", "milestone_id"]).target_days.astype(float)
    t["sequence"] = t.sequence.astype(int)
    stalled = 0
    for account, g in t.sort_values("sequence").groupby("account_id"):
        if a.churned_on[account]:
            continue
        open_ = g[g.completed_at == ""]
        if open_.empty:
            continue
        first = open_.iloc[0]
        before = g[g.sequence == first.sequence - 1].completed_at
        start = signup[account] if first.sequence == 1 else before.iloc[0]
        if not start:
            continue
        waiting = (date(2026, 9, 30) - date.fromisoformat(start[:10])).days
        stalled += waiting > target[(first.segment, first.milestone_id)]
    assert 0.1 * len(a) < stalled < 0.5 * len(a)


def test_accounts_skip_milestones_and_go_on(large) -> None:
    """Reaching a milestone does not imply reaching every earlier one, only its dependencies: without
    skips each later milestone's events would stand in for all earlier ones in the retention analysis."""
    t = pd.read_csv(large / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    ms = seed("milestones.csv").set_index("milestone_id")
    ms["sequence"] = ms.sequence.astype(int)
    done = t[t.product_completed_at != ""].groupby("account_id").milestone_id.agg(set)
    skipped_then_went_on = 0
    for milestones in done:
        for reached in milestones:
            row = ms.loc[reached]
            earlier = ms[(ms.segment == row.segment) & (ms.sequence < row.sequence)].index
            deps = {d for d in row.depends_on.split("|") if d}
            skipped_then_went_on += any(e not in milestones and e not in deps for e in earlier)
    assert skipped_then_went_on > 0.05 * len(done)


def test_everyday_events_happen_before_their_milestone_and_stay_below_it(large) -> None:
    """task_completed (paid p_tasks_flowing: 20 of them) is everyday work: accounts that never reach the
    milestone complete tasks too, always fewer than the threshold."""
    import duckdb

    t = pd.read_csv(large / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    never = set(t[(t.milestone_id == "p_tasks_flowing") & (t.criteria_met_at == "")].account_id)
    counts = (
        frame(
            duckdb.connect().execute(
                f"""
            with ev as (
                select event_id, account_id, event_name
                from read_json('{large}/events_*.jsonl', columns={{event_id: 'VARCHAR', {JSONL_COLUMNS[1:]})
                union all
                select event_id, account_id, event_name from read_parquet('{large}/events_*.parquet')
            )
            select account_id, count(distinct event_id) as n from ev
            where event_name = 'task_completed' group by 1
            """
            )
        )
        .set_index("account_id")
        .n
    )
    seen = counts.reindex(sorted(never)).fillna(0)
    assert len(seen) > 50
    assert (seen >= 1).mean() > 0.3, "accounts short of the milestone complete tasks too"
    assert (seen >= 20).mean() < 0.02, "and stay below its threshold"


def test_guided_setup_speeds_up_the_targeted_milestone(large) -> None:
    manifest = json.loads((large / "_manifest.json").read_text())
    exp = next(e for e in manifest["experiments"] if e["experiment_id"] == "exp_guided_setup")
    assert (
        exp["true_effect"]["duration_multiplier"] == 0.7
        and exp["true_effect"]["milestone_id"] == "p_team_invited"
    )
    variants = pd.read_csv(large / "experiment_assignments.csv")
    paid = pd.read_csv(large / "accounts.csv").query("segment == 'paid'")
    guided = variants[variants.experiment_id == "exp_guided_setup"]
    assert set(guided.account_id) == set(paid.account_id)
    assert guided.variant.value_counts(normalize=True)["treatment"] == pytest.approx(0.5, abs=0.08)
    t = pd.read_csv(large / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    first = t[t.milestone_id == "p_first_project"].set_index("account_id").product_completed_at
    second = t[t.milestone_id == "p_team_invited"].set_index("account_id").product_completed_at
    days = pd.to_datetime(second.replace("", None), utc=True) - pd.to_datetime(
        first.replace("", None), utc=True
    )
    days = (days.dt.total_seconds() / 86400).dropna()
    by = guided.set_index("account_id").variant.reindex(days.index)
    ratio = days[by == "treatment"].median() / days[by == "control"].median()
    assert 0.5 < ratio < 0.9


# ------------------------------------------------------------------------------------------ edited seeds
def test_edited_seeds_drive_the_events(tmp_path: Path) -> None:
    """A user's own milestone, on a new event and on an event earlier milestones already use, gets data
    that meets it at the drawn instants."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    with (seeds / "tracking_plan_events.csv").open("a") as f:
        f.write("goal_created,active,core-product,A team goal is created.\n")
    with (seeds / "tracking_plan_properties.csv").open("a") as f:
        f.write("goal_created,goal_id,string,true,,Goal id.\ngoal_created,level,integer,true,1|2|3,Level.\n")
    with (seeds / "milestones.csv").open("a") as f:
        f.write("paid,p_power,9,Power team,Forty tasks and two goals.,p_first_project,20,5,Call the admin.\n")
    with (seeds / "milestone_criteria.csv").open("a") as f:
        f.write("paid,p_power,c1,task_created,source,web|mobile,count,,,30\n")
        f.write("paid,p_power,c2,goal_created,level,2|3,distinct,goal_id,,2\n")
        f.write("paid,p_power,c3,task_created,,,count,,,40\n")
    out = tmp_path / "out"
    generate(accounts=60, days=200, seed=9, out=out, progress=False, seeds_dir=seeds)
    accounts = pd.read_csv(out / "accounts.csv", dtype=str)
    events, reasons = classify(raw_event_rows(out), seeds, set(accounts.account_id))
    assert reasons == {}
    truth = pd.read_csv(out / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    truth = truth.set_index(["milestone_id", "account_id"])
    met = milestone_met_at(events, accounts, seeds)
    assert (
        met["p_power"].map(iso) == truth.criteria_met_at.xs("p_power").reindex(met["p_power"].index)
    ).all()
    assert (truth.drawn_at == truth.criteria_met_at).all()
    assert (met["p_power"].notna()).sum() >= 2
    assert "goal_created" in set(events.event_name)


def test_progress_goes_to_stderr(tmp_path: Path, capsys) -> None:
    generate(accounts=5, days=10, seed=1, out=tmp_path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "chunk 1/1" in captured.err


def test_seeds_are_read_from_the_project(small) -> None:
    out, _ = small
    manifest = json.loads((out / "_manifest.json").read_text())
    for name, digest in manifest["seeds_sha256"].items():
        assert hashlib.sha256((SEEDS / name).read_bytes()).hexdigest() == digest
    assert np.isclose(sum(seed("milestones.csv").query("segment == 'paid'").weight.astype(float)), 100)
