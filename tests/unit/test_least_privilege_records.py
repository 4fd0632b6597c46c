"""make test runs the suite over xdist workers, then the least-privilege check over what they recorded between
them (tests/support/least_privilege.py): the merge must be the union of every worker's grants and files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import least_privilege as lp


def _record(folder: Path, name: str, functions: dict, files: list[str], unknown: tuple[str, ...] = ()) -> None:
    body = {"functions": functions, "unknown_tables": list(unknown), "files": files}
    (folder / f"{name}.json").write_text(json.dumps(body))


def test_the_workers_records_are_merged_grant_by_grant(tmp_path: Path) -> None:
    _record(tmp_path, "gw0-1", {"Fn": [["dynamodb:GetItem", "T"]]}, ["/t/a.py"])
    _record(tmp_path, "gw1-2", {"Fn": [["dynamodb:Query", "T/index/i"]], "Other": []}, ["/t/b.py"], ("X",))
    functions, unknown, files = lp.load_folder(tmp_path)
    assert functions == {"Fn": {("dynamodb:GetItem", "T"), ("dynamodb:Query", "T/index/i")}, "Other": set()}
    assert unknown == {"X"} and files == {"/t/a.py", "/t/b.py"}


def test_a_process_records_the_files_it_ran() -> None:
    before = set(lp.files_run)
    lp.pytest_runtest_logstart("tests/x/test_y.py::t", ("tests/x/test_y.py", 1, "t"))
    try:
        assert str((lp.ROOT / "tests/x/test_y.py").resolve()) in lp.snapshot()["files"]
    finally:
        lp.files_run.clear()
        lp.files_run.update(before)
