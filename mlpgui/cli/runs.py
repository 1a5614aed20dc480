"""`mlpgui runs list|show|export|rm` and `mlpgui sweep`: the run history and grids of runs on the command line.

Tables go to stdout, one row per line, columns aligned with spaces and no
cell holding a space (an empty cell is "-"), so `sort`, `awk` and `grep` work on them;
`--json` gives scripts every field. Messages and progress go to stderr; a
mistake is one line there and exit status 2, as everywhere in `mlpgui`.

A sweep trains its grid one run at a time (each run already uses the
machine's cores), records each with the sweep's id as a tag, says on stderr
how each run ended and how long the rest will take, and ends with a table of
the final test accuracy and loss per grid point. Ctrl-C stops it: the current
run is recorded as stopped, the finished ones stay, and the table shows them.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from dataclasses import dataclass

from ..core.config import MAX_SEED, PRESETS, TrainConfig, preset
from ..core.errors import ConfigError
from ..core.progress import format_duration, progress_text
from ..core.runstore import STATUSES, RunRecord, RunStore
from ..core.sweep import LABELS, SWEEPABLE, Sweep, SweepTable, new_sweep_id, parse_values
from .commands import (
    EXIT_BROKEN_PIPE,
    _digit,
    _drop_output,
    _exit_status,
    _Progress,
    _say,
    _stopped_status,
    add_recording_flags,
    data_source,
    end_recording,
    open_recording,
    say_recording_problem,
)

# -- the parser ------------------------------------------------------------------------


def _run_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a run is named by its number, e.g. 12, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"run numbers start at 1, got {value}")
    return value


# The flags a sweep takes a comma-separated list for: flag -> config field.
SWEEP_FLAGS = {
    "--lr": "lr",
    "--hidden": "hidden",
    "--epochs": "epochs",
    "--batch-size": "batch_size",
    "--per-class": "per_class",
    "--seed": "seed",
    "--scale": "scale",
    "--dtype": "dtype",
}


def add_parsers(sub) -> None:
    """The `runs` and `sweep` subcommands, on the `mlpgui` parser's subparsers."""
    runs = sub.add_parser("runs", help="list, show, export or remove recorded runs")
    runs.set_defaults(handler=cmd_runs)
    actions = runs.add_subparsers(dest="runs_command", required=True, metavar="{list,show,export,rm}")

    listing = actions.add_parser("list", help="the recorded runs, newest first")
    listing.add_argument("--tag", metavar="T", help="only runs with this tag (a sweep's id is one)")
    listing.add_argument("--status", choices=STATUSES, help="only runs that ended this way")
    listing.add_argument("--json", action="store_true", help="every field, as a JSON list")

    show = actions.add_parser("show", help="one run's settings, results, tags and note")
    show.add_argument("id", type=_run_id, metavar="ID")
    show.add_argument("--json", action="store_true", help="every field and every epoch, as JSON")

    export = actions.add_parser("export", help="the runs' curves as one CSV: run,epoch,metric,value")
    export.add_argument("ids", type=_run_id, nargs="+", metavar="ID")
    export.add_argument("--csv", required=True, metavar="FILE", help="the CSV file to write")

    remove = actions.add_parser("rm", help="remove runs and their models for good")
    remove.add_argument("ids", type=_run_id, nargs="+", metavar="ID")

    sweep = sub.add_parser(
        "sweep",
        help="train every combination of the given values, e.g. --lr 0.01,0.1 --hidden 64,256",
        description="Train one run per combination of the comma-separated values, one after another; "
        "each run is recorded and tagged with the sweep's id. Ends with a table of test accuracy and loss.",
    )
    sweep.set_defaults(handler=cmd_sweep)
    sweep.add_argument(
        "--preset", default="homework-binary", help=f"starting settings: {', '.join(PRESETS)} (default homework-binary)"
    )
    sweep.add_argument("--task", choices=["binary", "multiclass"], help="binary: one digit against another")
    sweep.add_argument("--digits", nargs=2, type=_digit, metavar=("A", "B"), help="binary: the two digits")
    sweep.add_argument("--lr", metavar="LR,...", help="learning rates, e.g. 0.01,0.03,0.1")
    sweep.add_argument("--hidden", metavar="H,...", help="hidden units, e.g. 64,256")
    sweep.add_argument("--epochs", metavar="E,...", help="passes over the training set")
    sweep.add_argument("--batch-size", metavar="B,...", help="0 = full batch")
    sweep.add_argument("--per-class", metavar="N,...", help="training images per class, or all")
    sweep.add_argument("--seed", metavar="S,...", help=f"seeds, 0 to {MAX_SEED:,}")
    sweep.add_argument("--scale", metavar="raw,unit", help="pixels 0..255 (raw) or 0..1 (unit)")
    sweep.add_argument("--dtype", metavar="float32,float64", help="precision")
    sweep.add_argument("--data", metavar="DIR", help="folder of the four IDX files, or a Keras mnist.npz")
    add_recording_flags(sweep)


# -- formatting --------------------------------------------------------------------------


def _cell(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _local(moment) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _task(config: TrainConfig) -> str:
    return f"binary-{config.digits[0]}/{config.digits[1]}" if config.task == "binary" else "multiclass"


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    """Rows of cells as aligned lines: two spaces between columns, columns in `right` flush right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


LIST_HEADER = [
    "ID",
    "DATE",
    "TIME",
    "STATUS",
    "TASK",
    "N",
    "H",
    "LR",
    "BATCH",
    "EPOCHS",
    "TEST_ACC",
    "TEST_LOSS",
    "TAGS",
]


def _list_row(run: RunRecord) -> list[str]:
    c = run.config
    return [
        str(run.id),
        *_local(run.started).split(" "),
        run.status,
        _task(c),
        "all" if c.per_class == 0 else str(c.per_class),
        str(c.hidden),
        f"{c.lr:g}",
        "full" if c.batch_size == 0 else str(c.batch_size),
        f"{run.epochs_done}/{c.epochs}",
        _cell(run.final_test_accuracy),
        _cell(run.final_test_loss),
        ",".join(run.tags) or "-",
    ]


def record_json(run: RunRecord) -> dict:
    return {
        "id": run.id,
        "name": run.name,
        "status": run.status,
        "started": run.started.isoformat(),
        "ended": None if run.ended is None else run.ended.isoformat(),
        "source": run.source,
        "data_source": run.data_source,
        "config": run.config.to_dict(),
        "epochs_done": run.epochs_done,
        "final_loss": run.final_loss,
        "final_train_accuracy": run.final_train_accuracy,
        "final_test_loss": run.final_test_loss,
        "final_test_accuracy": run.final_test_accuracy,
        "tags": list(run.tags),
        "note": run.note,
        "sweep_id": run.sweep_id,
        "model_path": None if run.model_path is None else str(run.model_path),
        "threads": run.threads,
    }


def _print(lines) -> None:
    for line in lines:
        print(line)


# -- runs ------------------------------------------------------------------------------------


def cmd_runs(args) -> int:
    with RunStore.open() as store:
        return ACTIONS[args.runs_command](store, args)


def runs_list(store: RunStore, args) -> int:
    records = store.runs(tag=args.tag, status=args.status)
    if args.json:
        print(json.dumps([record_json(r) for r in records], indent=1))
        return 0
    if not records:
        _say("mlpgui: no runs" + (" match" if args.tag or args.status else " recorded yet"))
        return 0
    _print(table(LIST_HEADER, [_list_row(r) for r in records], right={0, 5, 6, 7, 10, 11}))
    return 0


def runs_show(store: RunStore, args) -> int:
    run = store.run(args.id)
    if args.json:
        record = record_json(run)
        record["epochs"] = [
            {
                name: getattr(e, name)
                for name in ("epoch", "loss", "train_accuracy", "elapsed", "test_loss", "test_accuracy")
            }
            for e in store.epochs(run.id)
        ]
        print(json.dumps(record, indent=1))
        return 0
    c = run.config
    took = "-" if run.ended is None else format_duration((run.ended - run.started).total_seconds())
    fields = [
        ("run", str(run.id)),
        ("status", run.status),
        ("started", _local(run.started)),
        ("ended", _local(run.ended)),
        ("took", took),
        ("from", run.source),
        ("data", run.data_source),
        ("task", c.task if c.task == "multiclass" else f"binary, digits {c.digits[0]} and {c.digits[1]}"),
        ("per_class", "all" if c.per_class == 0 else str(c.per_class)),
        ("hidden", str(c.hidden)),
        ("epochs", f"{run.epochs_done} of {c.epochs}"),
        ("lr", repr(c.lr)),
        ("batch_size", "0 (full batch)" if c.batch_size == 0 else str(c.batch_size)),
        ("scale", c.scale),
        ("dtype", c.dtype),
        ("seed", str(c.seed)),
        ("threads", _cell(run.threads)),
        ("loss", _cell(run.final_loss, 8)),
        ("train_accuracy", _cell(run.final_train_accuracy)),
        ("test_loss", _cell(run.final_test_loss, 8)),
        ("test_accuracy", _cell(run.final_test_accuracy)),
        ("tags", ",".join(run.tags) or "-"),
        ("sweep", run.sweep_id or "-"),
        ("model", str(run.model_path) if run.model_path else "-"),
        ("note", " / ".join(run.note.splitlines()) or "-"),
    ]
    width = max(len(k) for k, _ in fields)
    _print(f"{k.ljust(width)}  {v}" for k, v in fields)
    return 0


def runs_export(store: RunStore, args) -> int:
    store.export_csv(args.ids, args.csv)
    n = len(set(args.ids))
    _say(f"wrote the curves of {n} run{'s' if n != 1 else ''} to {args.csv}")
    return 0


def runs_rm(store: RunStore, args) -> int:
    ids = list(dict.fromkeys(args.ids))
    store.purge(ids)
    _say(f"removed {', '.join(f'run {i}' for i in ids)}")
    return 0


ACTIONS = {"list": runs_list, "show": runs_show, "export": runs_export, "rm": runs_rm}


# -- sweep -------------------------------------------------------------------------------------


def _per_class(text: str) -> int:
    return 0 if text.strip().lower() == "all" else int(text)


_KINDS = {"per_class": _per_class}


def sweep_from_args(args, taken=()) -> Sweep:
    """The sweep the flags ask for: single values change the base, lists of two or more are the grid."""
    base = preset(args.preset)
    if args.task is not None:
        base = base.replace(task=args.task)
    if args.digits:
        base = base.replace(digits=tuple(args.digits))
    axes = {}
    for flag, name in SWEEP_FLAGS.items():
        text = getattr(args, name)
        if text is None:
            continue
        try:
            values = parse_values(text, _KINDS.get(name, SWEEPABLE[name]))
        except ConfigError as exc:
            raise ConfigError(f"{flag}: {exc}", name) from None
        if len(values) == 1:
            base = base.replace(**{name: values[0]})
        else:
            axes[name] = values
    if not axes:
        raise ConfigError("a sweep needs a setting with two or more values, e.g. --lr 0.01,0.1 or --hidden 64,256")
    return Sweep(base, axes, id=new_sweep_id(taken))


@dataclass(frozen=True)
class SweepResult:
    """How one grid point's run ended (what the table shows; the store keeps the rest)."""

    id: int  # the run's number in the history, or its place in the sweep when not recorded
    config: TrainConfig
    status: str
    final_test_accuracy: float | None
    final_test_loss: float | None


def _point_text(sweep: Sweep, config: TrainConfig) -> str:
    return ", ".join(f"{LABELS[n]} {_value(getattr(config, n))}" for n in sweep.names)


def cmd_sweep(args) -> int:
    from ..core.data import load_mnist
    from ..core.tasks import build_task, check_fits

    store = open_recording(args)
    try:
        taken = store.sweep_ids() if store else ()
        sweep = sweep_from_args(args, taken)
        configs = sweep.configs()
        mnist = load_mnist(args.data)
        tasks = {}
        for config in configs:  # the data must fit every run before the first starts
            key = (config.task, config.digits, config.per_class)
            if key not in tasks:
                tasks[key] = build_task(config, mnist)
            check_fits(config, tasks[key].n_train, tasks[key].n_test)
        _say(f"mlpgui: {sweep.id}: {len(configs)} runs of {_sweep_text(sweep)}")
        results, status = _run_sweep(args, sweep, configs, mnist, store, tasks)
    finally:
        if store is not None:
            store.close()
    try:
        _print(sweep_report(sweep, results))
        if store is not None:
            _say(f"mlpgui: list these runs with: mlpgui runs list --tag {sweep.id}")
    except BrokenPipeError:
        _drop_output()
        return EXIT_BROKEN_PIPE
    return status


def _sweep_text(sweep: Sweep) -> str:
    return " x ".join(f"{LABELS[n]} ({len(v)})" for n, v in sweep.axes.items())


def _run_sweep(args, sweep, configs, mnist, store, tasks) -> tuple[list[SweepResult], int]:
    """Train the grid's runs one after another; Ctrl-C (or SIGTERM) between or within runs ends the sweep."""
    from ..core.runstore import RunRecorder
    from ..core.training import Trainer

    results: list[SweepResult] = []
    total_epochs = sum(c.epochs for c in configs)
    progress = _Progress(total_epochs)
    epochs_before = 0  # epochs of the finished runs
    started = time.monotonic()
    source = data_source(args, mnist)
    trainer = recorder = None  # of the run in progress
    index = 0
    try:
        for index, config in enumerate(configs, 1):
            trainer = recorder = None
            task = tasks[(config.task, config.digits, config.per_class)]
            trainer = Trainer(config, task)
            recorder = RunRecorder(store, config, source, "cli", args.tag, sweep.id, trainer.n_threads)
            say_recording_problem(recorder)
            if recorder.problem:  # said once: the rest of the sweep trains without recording
                store = None
            result = _train_point(
                trainer,
                recorder,
                task,
                lambda e, before=epochs_before: progress.update(before + e.epoch, e.loss, time.monotonic() - started),
                index,
            )
            if recorder.problem:
                store = None
            recorder = None  # recorded: nothing left to end if Ctrl-C comes now
            progress.clear()
            results.append(result)
            epochs_before += config.epochs
            outcome = result.status
            if result.final_test_accuracy is not None:
                outcome += f", test accuracy {result.final_test_accuracy:.4f}, loss {result.final_test_loss:.4f}"
            _say(
                f"[{index}/{len(configs)}] run {result.id} ({_point_text(sweep, config)}): {outcome}; "
                f"{progress_text(epochs_before, total_epochs, time.monotonic() - started)}"
            )
    except KeyboardInterrupt as e:
        progress.clear()
        if recorder is not None:  # stopped within a run: it keeps its finished epochs
            trainer.rewind_unfinished_epoch()
            end_recording(recorder, _stopped_status(e), trainer.network)
            results.append(SweepResult(recorder.run_id or index, trainer.config, "stopped", None, None))
            done = len(results) - 1
            _say(f"mlpgui: interrupted during run {index} of {len(configs)}; {done} finished before it")
        else:
            _say(f"mlpgui: interrupted after run {len(results)} of {len(configs)}")
        return results, _exit_status(e)
    return results, 0


def _train_point(trainer, recorder, task, on_epoch, index) -> SweepResult:
    """One grid point's run, recorded: finished or diverged, with its final test accuracy and loss."""
    from ..core.errors import TrainingDiverged
    from ..core.metrics import Evaluation

    test = None
    try:
        try:
            for report in trainer.run(threading.Event()):
                recorder.epoch(report)
                on_epoch(report)
            status = "finished"
        except TrainingDiverged:
            status = "diverged"
        if trainer.network.epochs_trained:
            test = Evaluation.compute(trainer.network, task, "test")
    except KeyboardInterrupt:
        raise  # the sweep records the run as stopped
    except BaseException:
        end_recording(recorder, "failed")
        raise
    final_test = None if test is None else (test.loss, test.accuracy)
    interruption = end_recording(recorder, status, trainer.network, final_test)
    accuracy, loss = (None, None) if test is None else (test.accuracy, test.loss)
    run_id = recorder.run_id if recorder.run_id and not recorder.problem else index
    result = SweepResult(run_id, trainer.config, status, accuracy, loss)
    if interruption is not None:
        raise interruption
    return result


def sweep_report(sweep: Sweep, results: list[SweepResult]) -> list[str]:
    """The table at the end: for two settings, grids with one along the rows and one along the columns."""
    table_ = SweepTable(sweep.names, tuple(tuple(v) for v in sweep.axes.values()), {})
    for r in results:
        table_.runs[tuple(getattr(r.config, n) for n in sweep.names)] = r
    if len(sweep.names) == 2:
        lines = []
        for metric, title in (("final_test_accuracy", "test accuracy"), ("final_test_loss", "test loss")):
            if lines:
                lines.append("")
            lines.append(f"{title}: {LABELS[sweep.names[0]]} down, {LABELS[sweep.names[1]]} across")
            grid = table_.grid(metric)
            rows_values, column_values = table_.values
            header = [sweep.names[0] + " \\ " + sweep.names[1], *(_value(v) for v in column_values)]
            rows = [
                [_value(rv), *(_grid_cell(table_, (rv, cv), grid[i, j]) for j, cv in enumerate(column_values))]
                for i, rv in enumerate(rows_values)
            ]
            lines += table(header, rows, right=set(range(len(header))))
        return lines
    header = [*sweep.names, "RUN", "STATUS", "TEST_ACC", "TEST_LOSS"]
    rows = []
    for point in sweep.points():
        r = table_.run_at(point)
        rows.append(
            [
                *(_value(v) for v in point),
                "-" if r is None else str(r.id),
                "skipped" if r is None else r.status,
                _cell(None if r is None else r.final_test_accuracy),
                _cell(None if r is None else r.final_test_loss),
            ]
        )
    return table(
        header, rows, right=set(range(len(sweep.names))) | {len(sweep.names), len(header) - 2, len(header) - 1}
    )


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _grid_cell(table_: SweepTable, point, value) -> str:
    run = table_.run_at(point)
    if run is None:
        return "-"
    if run.status != "finished" or math.isnan(value):
        return run.status
    return f"{value:.4f}"
