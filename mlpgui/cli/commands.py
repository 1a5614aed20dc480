"""`mlpgui train|evaluate|predict|runs|sweep`: the headless commands, and the parser of the whole command line.

`mlpgui train --preset homework-binary` prints the homework's own lines
(epoch 1 and every 10th epoch, then the accuracies); progress and timing go to
stderr so stdout stays exactly the homework's. Every run is recorded in the
run history (`mlpgui.core.runstore`) unless `--no-record` is given; a history
that can't be used costs one line on stderr, never the run. Every user
mistake is one line on stderr and exit status 2. `runs` and `sweep` live in
`mlpgui.cli.runs`.

Nothing here imports Qt, directly or through what it imports (an
import-linter contract in pyproject.toml checks it), so the commands run on
a server without Qt's libraries.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
import time

from ..core.config import MAX_SEED, PRESETS, TrainConfig, preset
from ..core.errors import MlpguiError
from ..core.progress import epoch_line, progress_text

EXIT_USAGE = 2


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it ends as a Ctrl-C does (exit 128 + 15)."""

    exit_status = 128 + signal.SIGTERM


def _terminate(signum, frame):
    raise Terminated


def _exit_status(interruption: KeyboardInterrupt) -> int:
    return getattr(interruption, "exit_status", 128 + signal.SIGINT)


EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # what a Unix tool killed by SIGPIPE exits with


def usable_streams() -> None:
    """A closed stdout or stderr (`2>&-`) becomes the null device: output nobody reads is not an error."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # open as long as the process lives


def _drop_output() -> None:
    """After a closed pipe: send the rest of stdout and stderr to the null device, so exiting is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass
    os.close(devnull)


def _say(line: str) -> None:
    """One line on stderr; a stderr that can't take it (closed, a broken pipe) is not an error."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block) and exit status 2."""

    def error(self, message):
        raise SystemExit(_fail(f"{message} (see '{self.prog} --help')"))


def _fail(message: str) -> int:
    _say(f"mlpgui: error: {message}")
    return EXIT_USAGE


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _count(text: str) -> int:
    if text.strip().lower() == "all":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number or 'all': {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, or 'all' for every image, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _digit(text: str) -> int:
    value = _int(text)
    if not 0 <= value <= 9:
        raise argparse.ArgumentTypeError(f"a digit is 0 to 9, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlpgui",
        description="Train the course's two-layer network on MNIST and look inside it. "
        "Without a command, opens the window.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    train = sub.add_parser("train", help="train on the command line, printing the homework's lines")
    train.add_argument(
        "--preset",
        default="homework-binary",
        choices=None,
        help=f"starting settings: {', '.join(PRESETS)} (default homework-binary)",
    )
    train.add_argument(
        "--task",
        choices=["binary", "multiclass"],
        help="binary: one digit against another (one sigmoid output); multiclass: all ten digits (softmax)",
    )
    train.add_argument("--digits", nargs=2, type=_digit, metavar=("A", "B"), help="binary: the two digits")
    train.add_argument(
        "--per-class", type=_count, metavar="N|all", help="training images per class (the first N), or all"
    )
    train.add_argument("--hidden", type=_int, metavar="H", help="hidden units")
    train.add_argument("--epochs", type=_int, metavar="E", help="passes over the training set")
    train.add_argument("--lr", type=_positive_float, metavar="LR", help="learning rate")
    train.add_argument("--batch-size", type=_int, metavar="B", help="0 = full batch")
    train.add_argument("--scale", choices=["raw", "unit"], help="pixels 0..255 (raw) or 0..1 (unit)")
    train.add_argument(
        "--dtype", choices=["float32", "float64"], help="precision: float64 (the homework) or float32 (faster)"
    )
    train.add_argument(
        "--seed",
        type=_int,
        metavar="S",
        help=f"seed of the initial weights and the mini-batch order, 0 to {MAX_SEED:,}: the same seed, the same run",
    )
    train.add_argument("--data", metavar="DIR", help="folder of the four IDX files, or a Keras mnist.npz")
    train.add_argument("--save", metavar="MODEL.npz", help="write the trained model here")
    train.add_argument(
        "--extra", metavar="DIR", help="a folder of my digits (its two IDX files) to add to the training set"
    )
    add_recording_flags(train)

    evaluate = sub.add_parser("evaluate", help="test accuracy and confusion matrix of a saved model")
    evaluate.add_argument("model", metavar="MODEL.npz")
    evaluate.add_argument("--data", metavar="DIR", help="folder of the four IDX files, or a Keras mnist.npz")

    predict = sub.add_parser("predict", help="classify a picture of a digit")
    predict.add_argument("model", metavar="MODEL.npz")
    predict.add_argument("image", metavar="IMAGE")

    from .runs import add_parsers  # here, not at the top: mlpgui.cli.runs builds on this module

    add_parsers(sub)
    return parser


def add_recording_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="T",
        help="tag the recorded run (repeat for several), e.g. --tag week3",
    )
    parser.add_argument("--no-record", action="store_true", help="don't record this run in the run history")


def open_recording(args):
    """The run store for a command's runs: None with --no-record, or (said on stderr) when it can't be used.

    Tags are checked first, so a bad tag is a usage error before any training.
    """
    from ..core.runstore import clean_tags, open_store_or_none

    args.tag = list(clean_tags(args.tag))
    if args.no_record:
        return None
    store, problem = open_store_or_none()
    if problem:
        _say(f"mlpgui: {problem}")
    return store


def data_source(args, mnist) -> str:
    """What a recorded run trained on, as the history shows it: the data set, and any --extra digits."""
    from ..core.runstore import DEFAULT_DATA_SOURCE

    source = DEFAULT_DATA_SOURCE if args.data is None else mnist.source
    extra = getattr(args, "extra", None)
    return source if extra is None else f"{source} + my digits in {os.path.abspath(extra)}"


def end_recording(recorder, status: str, network=None, final_test=None) -> KeyboardInterrupt | None:
    """Finish the recorded run and say its problem, if any, once.

    A Ctrl-C here cuts only the model's save short (the status is written
    first; a run that never got it shows as interrupted at the next start):
    it is returned, not raised, for the caller to act on or not.
    """
    try:
        recorder.finish(status, network, final_test)
    except KeyboardInterrupt as e:
        return e
    say_recording_problem(recorder)
    return None


def say_recording_problem(recorder) -> None:
    if recorder.problem and not getattr(recorder, "problem_said", False):
        recorder.problem_said = True
        _say(f"mlpgui: {recorder.problem}")


def config_from_args(args) -> TrainConfig:
    config = preset(args.preset)
    overrides = {
        "task": args.task,
        "digits": tuple(args.digits) if args.digits else None,
        "per_class": args.per_class,
        "hidden": args.hidden,
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "scale": args.scale,
        "dtype": args.dtype,
        "seed": args.seed,
    }
    return config.replace(**{k: v for k, v in overrides.items() if v is not None})


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    BAR = 20  # characters

    def __init__(self, total: int):
        self.total = total
        self.active = sys.stderr.isatty()
        self.last = 0.0
        self.written = 0

    def update(self, epoch: int, loss: float, elapsed: float) -> None:
        now = time.monotonic()
        if not self.active or (now - self.last < 0.1 and epoch < self.total):
            return
        self.last = now
        done = int(self.BAR * epoch / self.total)
        line = (
            f"[{'#' * done}{'.' * (self.BAR - done)}] epoch {epoch}/{self.total}  loss {loss:.4f}  "
            f"{progress_text(epoch, self.total, elapsed)}"
        )
        self._write("\r" + line.ljust(self.written))
        self.written = len(line)

    def clear(self) -> None:
        if self.active and self.written:
            self._write("\r" + " " * self.written + "\r")
            self.written = 0

    def _write(self, text: str) -> None:
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (OSError, ValueError):  # the terminal went away: no more progress
            self.active = False


def cmd_train(args) -> int:
    from ..core.data import load_mnist
    from ..core.runstore import RunRecorder
    from ..core.tasks import build_task
    from ..core.training import Trainer

    config = config_from_args(args)
    if args.save is not None:
        from ..core.model_io import check_save_target

        check_save_target(args.save)  # a path that can't take the model costs no training
    extra = _extra_digits(args.extra) if args.extra is not None else None  # a bad folder costs no training
    store = open_recording(args)
    mnist = load_mnist(args.data)
    task = build_task(config, mnist)
    if extra is not None:
        task = _with_extra(task, extra)
    trainer = Trainer(config, task)
    recorder = RunRecorder(store, config, data_source(args, mnist), "cli", args.tag, threads=trainer.n_threads)
    say_recording_problem(recorder)
    try:
        return _train_recorded(args, task, trainer, recorder)
    except KeyboardInterrupt as e:  # after the training loop (measuring the accuracies)
        end_recording(recorder, _stopped_status(e), trainer.network)
        raise
    except BaseException:  # anything not handled there (out of memory, a bug): the run failed
        end_recording(recorder, "failed")
        raise
    finally:
        if store is not None:
            store.close()


def _train_recorded(args, task, trainer, recorder) -> int:
    from ..core.errors import TrainingDiverged
    from ..core.metrics import Evaluation

    progress = _Progress(trainer.config.epochs)
    stop = threading.Event()
    diverged = None
    try:
        for report in trainer.run(stop):
            recorder.epoch(report)
            if report.epoch == 1 or report.epoch % 10 == 0:
                progress.clear()
                print(epoch_line(report.epoch, report.loss), flush=True)
            progress.update(report.epoch, report.loss, report.elapsed)
    except TrainingDiverged as e:
        diverged = e
    except KeyboardInterrupt as e:
        progress.clear()
        line, status, saved = _interrupted_run(trainer, args.save, "interrupted", _exit_status(e))
        _say(line)
        # A second Ctrl-C, during the save, means "quit now": the history keeps the epochs, not the model.
        end_recording(recorder, _stopped_status(e), trainer.network if saved else None)
        return status
    except BrokenPipeError:  # `mlpgui train | head`: stop as a Unix tool does, keeping the finished epochs
        _drop_output()
        status = _interrupted_run(trainer, args.save, "output closed", EXIT_BROKEN_PIPE)[1]
        end_recording(recorder, "stopped", trainer.network)
        return status
    progress.clear()
    say_recording_problem(recorder)
    if diverged is not None:
        message = str(diverged)
        if args.save is not None and trainer.network.epochs_trained:
            _save(trainer, args.save, quiet=True)
            message += f"; saved that model to {args.save}"
        elif args.save is not None:
            message += "; nothing was saved, as no epoch finished soundly"
        end_recording(recorder, "diverged", trainer.network)
        return _fail(message)
    status = 0
    test = None
    try:
        print(f"Training accuracy: {Evaluation.compute(trainer.network, task, 'train').accuracy}")
        test = Evaluation.compute(trainer.network, task, "test")
        print(f"Test accuracy: {test.accuracy}", flush=True)
    except BrokenPipeError:  # the model is trained: still save it
        _drop_output()
        status = EXIT_BROKEN_PIPE
    if test is None:
        test = Evaluation.compute(trainer.network, task, "test")
    end_recording(recorder, "finished", trainer.network, (test.loss, test.accuracy))
    recorded = f"; recorded as run {recorder.run_id}" if recorder.run_id and not recorder.problem else ""
    _say(f"{task.describe()}; {_epochs(trainer.network.epochs_trained)} in {trainer.elapsed:.2f} s{recorded}")
    if args.save is not None:
        _save(trainer, args.save)
    return status


def _extra_digits(folder: str):
    from ..core.mydigits import MyDigits

    return MyDigits.load(folder, missing_ok=False)


def _with_extra(task, extra):
    """The task with the extra folder's digits of its classes added to the training set, said on stderr."""
    from ..core.finetune import finetune_task

    added = finetune_task(task, extra, 1)
    n = added.n_train - task.n_train
    digits = " and ".join(map(str, task.classes)) if len(task.classes) == 2 else "0-9"
    _say(f"mlpgui: added {n:,} of the {len(extra):,} digits in {extra.folder} (digits {digits}) to the training set")
    return added


def _stopped_status(interruption: KeyboardInterrupt) -> str:
    """How the history records a run cut short: Ctrl-C, the user stopped it; SIGTERM, something else ended it."""
    return "interrupted" if isinstance(interruption, Terminated) else "stopped"


def _interrupted_run(trainer, save: str | None, why: str, status: int) -> tuple[str, int, bool]:
    """Save (with --save) the weights of the last finished epoch of a run that was cut short.

    Returns the line that says what happened, the exit status, and False when
    a second Ctrl-C cut the save short (True otherwise). A second
    Ctrl-C during the save abandons it: the save removes its temporary file,
    so any earlier file at `save` stays as it was.
    """
    trainer.rewind_unfinished_epoch()
    done = trainer.network.epochs_trained
    line = f"mlpgui: {why} during epoch {done + 1}"
    if save is None:
        return line, status, True
    if not done:
        return f"{line}; nothing was saved, as no epoch had finished", status, True
    try:
        _save(trainer, save, quiet=True)
    except KeyboardInterrupt as e:
        return f"{line}; interrupted again while saving, so nothing was saved to {save}", _exit_status(e), False
    return f"{line}; saved the model as it was after epoch {done} to {save}", status, True


def _epochs(n: int) -> str:
    return f"{n:,} epoch" if n == 1 else f"{n:,} epochs"


def _save(trainer, path: str, quiet: bool = False) -> None:
    from ..core.model_io import save_model

    save_model(trainer.network, path, history=trainer.history)
    if not quiet:
        _say(f"saved model to {path}")


def cmd_evaluate(args) -> int:
    from ..core.data import load_mnist
    from ..core.metrics import Evaluation
    from ..core.model_io import load_model
    from ..core.tasks import build_evaluation_task

    network = load_model(args.model)
    evaluation = Evaluation.compute(network, build_evaluation_task(network.config, load_mnist(args.data)), "test")
    print(f"Test accuracy: {evaluation.accuracy}")
    matrix = evaluation.confusion
    names = [str(c) for c in evaluation.classes]
    width = max(6, len(str(int(matrix.max()))) + 1)
    print("Confusion matrix (rows: true digit, columns: predicted digit)")
    print(" " * 6 + "".join(n.rjust(width) for n in names))
    for name, row in zip(names, matrix, strict=True):
        print(f"{name:>5} " + "".join(str(int(v)).rjust(width) for v in row))
    return 0


def cmd_predict(args) -> int:
    from ..core.drawing import ink_from_image, predict_digit
    from ..core.errors import ImageError
    from ..core.imagefile import read_image
    from ..core.model_io import load_model

    network = load_model(args.model)
    result = predict_digit(network, ink_from_image(read_image(args.image)))
    if result is None:
        raise ImageError(f"{args.image}: no digit found (the picture is blank)")
    probabilities, _ = result
    best = int(probabilities.argmax())
    print(f"Prediction: {network.classes[best]} (probability {probabilities[best]:.3f})")
    print("Probabilities: " + "  ".join(f"{c}: {p:.3f}" for c, p in zip(network.classes, probabilities, strict=True)))
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict}


def run_command(args) -> int:
    """Run the parsed headless command; a user's mistake is one line on stderr and status 2.

    SIGTERM ends a command as Ctrl-C does: a run in progress saves what it
    finished (with --save), and the status is 128 + the signal's number.
    """
    usable_streams()
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = (signal.getsignal(signal.SIGINT), signal.signal(signal.SIGTERM, _terminate)) if on_main_thread else None
    try:
        status = (COMMANDS.get(args.command) or args.handler)(args)
        sys.stdout.flush()  # a closed pipe shows here, not as a complaint at exit
        return status
    except MlpguiError as e:
        return _fail(str(e))
    except MemoryError:
        return _fail("not enough memory for this run; use fewer images or hidden units")
    except KeyboardInterrupt as e:  # loading data, evaluating, predicting: nothing to keep
        if on_main_thread:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a further Ctrl-C can't cut this line short
        _say("mlpgui: interrupted")
        return _exit_status(e)
    except BrokenPipeError:
        _drop_output()
        return EXIT_BROKEN_PIPE
    finally:
        if on_main_thread:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])
