"""Bad rows of the landing files other than events are kept and named, never dropped (docs/rules.md §3).

The session's sample is loaded, then a second, hand-written landing folder with bad rows of every
kind: each is set aside in fct_landing_row_violations with the reason of the first rule it breaks
(or, for an account without a crm_id, used with a warning). Its good rows repeat rows of the sample
exactly, so every mart must match the sample's own build, apart from the account that leaves the
CRM sync. Landed rows = used rows + quarantined rows, per file kind.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SAMPLE_END, environment
from milestones.load.landing import RAW_TABLES
from milestones.paths import PROJECT_DIR
from truth_checks import row_count, rows, tables

pytestmark = pytest.mark.slow

CHECKED_MODELS = {
    "accounts": "int_accounts__landing_checked",
    "renewals": "int_renewals__landing_checked",
    "milestone_overrides": "int_milestone_overrides__landing_checked",
    "experiment_assignments": "int_experiment_assignments__landing_checked",
}
# columns that say when or in which load a row was built, not what it says (the load time stands in
# for an absent received_at)
BOOKKEEPING_COLUMNS = {
    "updated_at", "changed_at", "change_id", "loaded_at", "load_id", "processed_load_id", "received_at",
}  # fmt: skip


def _sample_rows(sample: Path, kind: str) -> list[dict[str, str]]:
    with (sample / f"{kind}.csv").open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _write(path: Path, kind: str, rows: list[dict[str, str] | str]) -> None:
    """A landing CSV with the kind's columns; a str row is written as is (a malformed line)."""
    columns = RAW_TABLES[kind]
    with path.open("w", newline="", encoding="utf-8") as file:
        file.write(",".join(columns) + "\n")
        writer = csv.writer(file, lineterminator="\n")
        for row in rows:
            if isinstance(row, str):
                file.write(row + "\n")
            else:
                writer.writerow([row.get(column, "") for column in columns])


class BadFolder:
    """The hand-written landing folder and, per file and row number, the reason each row must get
    (None: used)."""

    def __init__(self, sample: Path, out: Path) -> None:
        self.out = out
        self.expected: dict[tuple[str, int], str | None] = {}
        accounts = _sample_rows(sample, "accounts")
        by_segment = {row["segment"]: row for row in reversed(accounts)}
        self.trial, self.paid = by_segment["trial"], by_segment["paid"]
        # an account of the sample, landed again unchanged but for its crm_id: used, not synced
        self.crm_less = dict(accounts[0], crm_id="")
        self.crm_id_before = accounts[0]["crm_id"]
        duplicated = accounts[1]
        self._file(
            "accounts",
            [
                (self.crm_less, "not_synced_to_crm"),
                (duplicated, "duplicate_key"),
                (duplicated, None),
                (dict(self.paid, account_id="acc_bad_signup", signup_at="early 2026"), "invalid_timestamp"),
                (dict(self.paid, account_id="acc_no_segment", segment=""), "missing_required_field"),
                (dict(self.paid, account_id="acc_bad_arr", arr="lots"), "invalid_number"),
                ("acc_torn,Torn Row,paid", "malformed_record"),
            ],
        )
        renewal = _sample_rows(sample, "renewals")[0]
        self._file(
            "renewals",
            [
                (dict(renewal, account_id="acc_nobody"), "unknown_account"),
                (dict(renewal, renewal_date="2026-02-30", outcome="renewed"), "invalid_timestamp"),
                (dict(renewal, renewal_date="2026-01-01", outcome="lapsed"), "invalid_outcome"),
                (renewal, "duplicate_key"),
                (renewal, None),
            ],
        )
        override = _sample_rows(sample, "milestone_overrides")[0]
        self._file(
            "milestone_overrides",
            [
                (dict(override, account_id="acc_nobody"), "unknown_account"),
                (dict(override, account_id=self.trial["account_id"], milestone_id="p_team_invited"),
                 "milestone_not_in_segment"),
                (dict(override, completed_at="soon"), "invalid_timestamp"),
                (override, None),
                (override, "duplicate_key"),
            ],
        )  # fmt: skip
        assignment = _sample_rows(sample, "experiment_assignments")[0]
        self._file(
            "experiment_assignments",
            [
                (dict(assignment, experiment_id="exp_never_planned"), "unknown_experiment"),
                (dict(assignment, account_id="acc_nobody"), "unknown_account"),
                (dict(assignment, account_id=self.trial["account_id"], experiment_id="exp_guided_setup"),
                 "segment_not_in_experiment"),
                (dict(assignment, variant=""), "missing_required_field"),
                (assignment, "duplicate_key"),
                (assignment, None),
            ],
        )  # fmt: skip

    def _file(self, kind: str, rows: list[tuple[dict[str, str] | str, str | None]]) -> None:
        name = f"{kind}_corrections.csv"
        _write(self.out / name, kind, [row for row, _ in rows])
        for number, (_, reason) in enumerate(rows, start=1):
            self.expected[(name, number)] = reason


def test_docs_list_the_seeds_rules_in_order() -> None:
    """docs/rules.md §3 lists each kind's reasons in the order of seeds/landing_row_rules.csv, the one
    home of the vocabulary the check models join."""
    with (PROJECT_DIR / "seeds" / "landing_row_rules.csv").open(newline="", encoding="utf-8") as seed:
        rules = list(csv.DictReader(seed))
    assert {rule["file_kind"] for rule in rules} == set(CHECKED_MODELS)
    docs = (PROJECT_DIR / "docs" / "rules.md").read_text(encoding="utf-8")
    for kind in CHECKED_MODELS:
        bullet = docs[docs.index(f"- `{kind}*`: 1.") :].split("\n- ", 1)[0]
        quarantined = sorted((r for r in rules if r["file_kind"] == kind and r["is_quarantined"] == "true"),
                             key=lambda r: int(r["rule_number"]))  # fmt: skip
        positions = [bullet.index(f"`{rule['reason']}`") for rule in quarantined]
        assert positions == sorted(positions), kind


@pytest.fixture(scope="module")
def bad_folder(sample_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> BadFolder:
    return BadFolder(sample_landing, tmp_path_factory.mktemp("bad_landing"))


@pytest.fixture(scope="module")
def quarantined_duckdb(
    sample_landing: Path, bad_folder: BadFolder, dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The sample, then the bad folder, loaded and built once."""
    from milestones.build import run_build
    from milestones.load import load_directory

    database = tmp_path_factory.mktemp("quarantine") / "milestones.duckdb"
    with environment(MILESTONES_DUCKDB_PATH=str(database), MILESTONES_TARGET="duckdb"):
        load_directory(sample_landing)
        load_directory(bad_folder.out)
        assert run_build(as_of=SAMPLE_END) == 0, "the bad rows are quarantined, not a failed build"
        yield database


def test_every_bad_row_is_kept_with_its_reason(quarantined_duckdb: Path, bad_folder: BadFolder) -> None:
    names = ", ".join(f"'{name}'" for name, _ in bad_folder.expected)
    kept = {
        (file_name, row): (reason, is_quarantined)
        for file_name, row, reason, is_quarantined in rows(
            quarantined_duckdb,
            "select file_name, file_row_number, reason, is_quarantined"
            f" from main_marts.fct_landing_row_violations where file_name in ({names})",
        )
    }
    got = {place: kept.get(place, (None, False))[0] for place in bad_folder.expected}
    assert got == bad_folder.expected
    # only the crm-less account is used with a warning; every other reason sets its row aside
    warned = {place for place, (_, is_quarantined) in kept.items() if not is_quarantined}
    assert warned == {("accounts_corrections.csv", 1)}


def test_bad_rows_keep_the_whole_landed_row(quarantined_duckdb: Path) -> None:
    found = rows(
        quarantined_duckdb,
        "select raw_record, reason_detail, load_id from main_marts.fct_landing_row_violations"
        " where file_name = 'accounts_corrections.csv' and reason = 'invalid_number'",
    )
    assert len(found) == 1
    raw_record, detail, load_id = found[0]
    assert "acc_bad_arr" in raw_record and "lots" in raw_record
    assert detail == "arr is not a number: lots"
    assert load_id is not None


def test_landed_rows_are_used_or_quarantined(quarantined_duckdb: Path) -> None:
    """raw = used + quarantined per file kind, counted from the raw layer itself."""
    for kind, model in CHECKED_MODELS.items():
        landed = row_count(quarantined_duckdb, kind, schema="main_raw")
        ((used,),) = rows(quarantined_duckdb, f"select count(*) from main_intermediate.{model} where is_used")
        ((quarantined,),) = rows(
            quarantined_duckdb,
            "select count(*) from main_marts.fct_landing_row_violations"
            f" where file_kind = '{kind}' and is_quarantined",
        )
        assert landed == used + quarantined, kind
        assert quarantined > 0, f"the bad folder has quarantined rows of {kind}"


def test_the_crm_less_account_stays_but_leaves_the_sync(
    quarantined_duckdb: Path, bad_folder: BadFolder
) -> None:
    account_id = bad_folder.crm_less["account_id"]
    assert rows(
        quarantined_duckdb,
        f"select crm_id from main_marts.dim_account_milestone_status where account_id = '{account_id}'",
    ) == [(None,)]
    crm_id = bad_folder.crm_id_before
    synced = f"select count(*) from main_marts.crm_account_milestone_sync where crm_id = '{crm_id}'"
    assert rows(quarantined_duckdb, synced) == [(0,)]


def _mart_tables(database: Path) -> list[str]:
    return sorted(tables(database) - {"fct_landing_row_violations"})


def _mart_rows(database: Path, table: str, exclude: dict[str, str]) -> list[tuple]:
    columns = [
        name
        for (name,) in rows(
            database,
            "select column_name from information_schema.columns"
            f" where table_schema = 'main_marts' and table_name = '{table}' order by ordinal_position",
        )
    ]
    kept = [name for name in columns if name not in BOOKKEEPING_COLUMNS]
    where = " and ".join(
        f"coalesce({column}, '') != '{value}'" for column, value in exclude.items() if column in columns
    )
    sql = f"select {', '.join(kept)} from main_marts.{table}" + (f" where {where}" if where else "")
    return sorted(rows(database, sql), key=repr)


def test_marts_are_unchanged_for_the_good_rows(
    built_duckdb: Path, quarantined_duckdb: Path, bad_folder: BadFolder
) -> None:
    """The bad folder's good rows repeat the sample's: every mart matches the sample's build, but for
    the rows of the account that landed again without its crm_id."""
    exclude = {"account_id": bad_folder.crm_less["account_id"], "crm_id": bad_folder.crm_id_before}
    tables = _mart_tables(built_duckdb)
    assert tables == _mart_tables(quarantined_duckdb)
    differing = [
        table
        for table in tables
        if _mart_rows(built_duckdb, table, exclude) != _mart_rows(quarantined_duckdb, table, exclude)
    ]
    assert differing == []
