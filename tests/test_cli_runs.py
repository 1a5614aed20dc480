"""The run history on the command line: train records, `runs list|show|export|rm`, and `sweep`."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlpgui.cli import main
from mlpgui.core.runstore import FILE_NAME, RunStore
from mlpgui.core.tasks import default_threads

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--per-class", "20", "--hidden", "8", "--epochs", "2", "--lr", "0.5", "--scale", "unit"]
LONG = ["--per-class", "20", "--hidden", "8", "--epochs", "100000", "--lr", "0.5", "--scale", "unit"]


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    """A data folder of this test's own (subprocesses inherit it)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("MLPGUI_HOME", str(folder))
    return folder


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def runs():
    with RunStore.open() as store:
        return store.runs(include_deleted=True)


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def spawn(*argv) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mlpgui", *argv],
        env=dict(os.environ, PYTHONPATH=str(ROOT), MLPGUI_THREADS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- train records ------------------------------------------------------------------------


def test_train_records_the_run_with_its_tags_results_and_model(capsys):
    code, out, err = run(capsys, "train", *TINY, "--tag", "week3", "--tag", "lr")
    assert code == 0, err
    (record,) = runs()
    assert (record.status, record.source, record.tags, record.epochs_done) == ("finished", "cli", ("lr", "week3"), 2)
    assert record.config.hidden == 8 and record.data_source == "MNIST (shipped)"
    assert record.threads == default_threads()  # what a rerun needs to repeat it bit for bit
    assert out.splitlines()[-1] == f"Test accuracy: {record.final_test_accuracy}"
    assert record.model_path is not None and record.model_path.is_file()
    assert f"recorded as run {record.id}" in err


def test_no_record_leaves_the_history_alone(capsys, home):
    code, out, err = run(capsys, "train", *TINY, "--no-record")
    assert code == 0, err
    assert runs() == [] and "recorded" not in err


def test_a_bad_tag_is_refused_before_training(capsys):
    code, out, err = run(capsys, "train", *TINY, "--tag", "week 3")
    assert code == 2 and out == ""
    assert one_error(err) == "mlpgui: error: a tag is one word, without spaces or commas: 'week 3'"


def test_a_damaged_history_costs_one_line_not_the_run(capsys, home):
    home.mkdir()
    (home / FILE_NAME).write_bytes(b"\x00garbage" * 500)
    code, out, err = run(capsys, "train", *TINY)
    assert code == 0
    assert out.splitlines()[-1].startswith("Test accuracy: ")
    said = [line for line in err.splitlines() if "not recording" in line]
    assert said == [
        f"mlpgui: not recording runs: the run history {home / FILE_NAME} is damaged"
        f" (file is not a database); move it aside to start a new one"
    ]
    assert (home / FILE_NAME).read_bytes() == b"\x00garbage" * 500
    code, out, err = run(capsys, "runs", "list")
    assert code == 2 and "is damaged" in one_error(err)


def test_a_run_that_fails_after_training_is_recorded_as_failed(capsys, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("mlpgui.core.metrics.Evaluation.compute", out_of_memory)
    code, out, err = run(capsys, "train", *TINY)
    assert code == 2 and "not enough memory" in one_error(err)
    (record,) = runs()
    assert (record.status, record.epochs_done) == ("failed", 2)


def test_no_record_does_not_even_open_the_history(capsys, home):
    home.mkdir()
    (home / FILE_NAME).write_bytes(b"damaged")
    code, out, err = run(capsys, "train", *TINY, "--no-record")
    assert code == 0 and "not recording" not in err


def test_a_diverged_run_is_recorded_as_diverged(capsys):
    code, out, err = run(capsys, "train", *TINY[:-4], "--lr", "1e6")
    assert code == 2 and "diverged" in one_error(err)
    (record,) = runs()
    assert record.status == "diverged"


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, "stopped"), (signal.SIGTERM, "interrupted")])
def test_a_signal_during_train_records_what_finished(sig, status):
    proc = spawn("train", *LONG)
    assert proc.stdout.readline().startswith("Epoch: 1 ")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert one_error(err).startswith("mlpgui: interrupted during epoch")
    (record,) = runs()
    assert record.status == status and record.ended is not None
    assert record.epochs_done >= 1 and record.model_path is not None
    with RunStore.open() as store:
        assert len(store.epochs(record.id)) == record.epochs_done


# -- runs list / show / export / rm -------------------------------------------------------------


@pytest.fixture
def three(capsys):
    """Three recorded runs: two tagged, one diverged."""
    assert main(["train", *TINY, "--tag", "a"]) == 0
    assert main(["train", *TINY[:-4], "--lr", "0.1", "--hidden", "16", "--tag", "a", "--tag", "b"]) == 0
    assert main(["train", *TINY[:-4], "--lr", "1e6"]) == 2
    capsys.readouterr()
    return [r.id for r in sorted(runs(), key=lambda r: r.id)]


def test_runs_list_is_an_aligned_table_newest_first_and_filters(capsys, three):
    code, out, err = run(capsys, "runs", "list")
    assert code == 0, err
    lines = out.splitlines()
    header = lines[0].split()
    assert header[:4] == ["ID", "DATE", "TIME", "STATUS"] and header[-1] == "TAGS"
    rows = [dict(zip(header, line.split())) for line in lines[1:]]
    assert [int(r["ID"]) for r in rows] == three[::-1]
    assert [r["STATUS"] for r in rows] == ["diverged", "finished", "finished"]
    assert [r["TAGS"] for r in rows] == ["-", "a,b", "a"]
    assert rows[1]["H"] == "16" and rows[1]["LR"] == "0.1"
    assert len({line.index("STATUS") if i == 0 else None for i, line in enumerate(lines)} - {None}) == 1
    status_column = lines[0].index("STATUS")
    assert all(line[status_column - 2 : status_column] == "  " for line in lines)  # the column lines up
    code, out, _ = run(capsys, "runs", "list", "--tag", "b")
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(three[1])]
    code, out, _ = run(capsys, "runs", "list", "--status", "diverged", "--json")
    (listed,) = json.loads(out)
    assert (listed["id"], listed["status"], listed["config"]["lr"]) == (three[2], "diverged", 1e6)


def test_runs_show_says_everything_and_json_has_the_epochs(capsys, three):
    code, out, err = run(capsys, "runs", "show", str(three[1]))
    assert code == 0, err
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())
    assert (fields["status"], fields["hidden"], fields["lr"], fields["tags"]) == ("finished", "16", "0.1", "a,b")
    assert fields["epochs"] == "2 of 2" and fields["model"].endswith(f"run-{three[1]}.npz")
    code, out, err = run(capsys, "runs", "show", str(three[1]), "--json")
    shown = json.loads(out)
    assert [e["epoch"] for e in shown["epochs"]] == [1, 2]
    assert shown["final_loss"] == shown["epochs"][-1]["loss"]


def test_runs_export_writes_the_long_format_csv(capsys, three, tmp_path):
    out_file = tmp_path / "curves.csv"
    code, out, err = run(capsys, "runs", "export", str(three[0]), str(three[1]), "--csv", str(out_file))
    assert code == 0, err
    with open(out_file, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["run"], r["epoch"]) for r in rows} == {(str(i), str(e)) for i in three[:2] for e in (1, 2)}
    with RunStore.open() as store:
        loss = store.epochs(three[1])[1].loss
    assert [float(r["value"]) for r in rows if (r["run"], r["epoch"], r["metric"]) == (str(three[1]), "2", "loss")] == [
        loss
    ]


def test_runs_rm_removes_runs_and_models_and_refuses_unknown_ones_whole(capsys, three):
    model = runs()[-1].model_path
    code, out, err = run(capsys, "runs", "rm", str(three[0]), "99")
    assert code == 2 and one_error(err) == "mlpgui: error: no run 99"
    assert len(runs()) == 3
    code, out, err = run(capsys, "runs", "rm", str(three[0]), str(three[2]))
    assert code == 0, err
    assert [r.id for r in runs()] == [three[1]] and not model.exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["runs"], "required"),
        (["runs", "show", "abc"], "a run is named by its number"),
        (["runs", "show", "0"], "run numbers start at 1"),
        (["runs", "show", "7"], "no run 7"),
        (["runs", "list", "--status", "done"], "invalid choice"),
        (["runs", "export", "1"], "--csv"),
        (["sweep", "--lr", "0.1,x"], "--lr: 'x' in '0.1,x' is not a number"),
        (["sweep", "--hidden", "8,0", "--per-class", "20"], "in the run with hidden units 0"),
        (["sweep", "--lr", "0.1"], "two or more values"),
    ],
)
def test_mistakes_are_one_line_and_status_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in one_error(err)


# -- sweep ------------------------------------------------------------------------------------


def test_a_2x2_sweep_records_four_tagged_runs_and_prints_the_grid(capsys):
    code, out, err = run(capsys, "sweep", *TINY[:4], "--epochs", "2", "--lr", "0.1,0.5", "--hidden", "8,16")
    assert code == 0, err
    sweep_id = re.search(r"(sweep-\d{8}-\d{6})", err).group(1)
    done = [line for line in err.splitlines() if re.match(r"\[\d/4\] run \d+ ", line)]
    assert len(done) == 4 and "about" in done[0] and "about" not in done[-1]
    code, listed, _ = run(capsys, "runs", "list", "--tag", sweep_id)
    rows = [line.split() for line in listed.splitlines()[1:]]
    assert len(rows) == 4 and {r[3] for r in rows} == {"finished"}
    with RunStore.open() as store:
        records = store.runs(sweep_id=sweep_id)
    accuracy = {(r.config.lr, r.config.hidden): r.final_test_accuracy for r in records}
    lines = out.splitlines()
    assert lines[0] == "test accuracy: learning rate down, hidden units across"
    assert lines[1].split() == ["lr", "\\", "hidden", "8", "16"]
    for line, lr in zip(lines[2:4], (0.1, 0.5)):
        assert line.split() == [f"{lr:g}", *(f"{accuracy[(lr, h)]:.4f}" for h in (8, 16))]
    assert "test loss: learning rate down, hidden units across" in lines


def test_ctrl_c_stops_a_sweep_keeping_the_runs_done(home):
    proc = spawn("sweep", *LONG[:2], "--hidden", "8", "--scale", "unit", "--lr", "0.1,0.5", "--epochs", "2,100000")
    deadline = time.monotonic() + 60
    while sorted((r.status, bool(r.epochs_done)) for r in runs()) != [("finished", True), ("running", True)]:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # inside the second run
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "mlpgui: interrupted during run 2 of 4; 1 finished before it" in err
    statuses = {(r.config.lr, r.config.epochs): r.status for r in runs()}
    assert statuses == {(0.1, 2): "finished", (0.1, 100000): "stopped"}
    (finished,) = [r for r in runs() if r.status == "finished"]
    grid = out.splitlines()[:4]  # test accuracy: learning rate down, epochs across
    assert [line.split() for line in grid[1:]] == [
        ["lr", "\\", "epochs", "2", "100000"],
        ["0.1", f"{finished.final_test_accuracy:.4f}", "stopped"],
        ["0.5", "-", "-"],
    ]


def test_a_sweep_whose_history_fails_says_so_once_and_trains_every_run(capsys, monkeypatch):
    from mlpgui.core.runstore import RunStoreError

    def locked(*args, **kwargs):
        raise RunStoreError("the run history is locked by another program")

    monkeypatch.setattr(RunStore, "start_run", locked)
    code, out, err = run(capsys, "sweep", *TINY[:4], "--epochs", "2", "--lr", "0.1,0.5,1.0")
    assert code == 0, err
    said = [line for line in err.splitlines() if "not recording" in line]
    assert said == ["mlpgui: not recording runs: the run history is locked by another program"]
    assert len(out.splitlines()) == 4 and {line.split()[2] for line in out.splitlines()[1:]} == {"finished"}
