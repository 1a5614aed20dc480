"""The command line: the homework printout, the other commands, one-line errors with status 2, and no Qt."""

import gzip
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import course_printout as course
import numpy as np
import pytest
from PIL import Image

from mlpgui.cli import main
from mlpgui.core.data import load_mnist

SMALL = [
    "--task",
    "multiclass",
    "--per-class",
    "30",
    "--hidden",
    "16",
    "--epochs",
    "3",
    "--lr",
    "0.5",
    "--scale",
    "unit",
    "--dtype",
    "float32",
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_homework_binary_prints_the_course_table(capsys):
    """Every line the course printed, digit for digit, and nothing else on stdout."""
    code, out, err = run(capsys, "train", "--preset", "homework-binary")
    assert code == 0, err
    assert out.splitlines() == course.PRINTOUT


def test_installed_command_runs_as_a_program(tmp_path):
    """The `mlpgui` entry point itself (not just main()): prints, exits 0, and a mistake exits 2."""
    exe = Path(sys.executable).with_name("mlpgui")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "mlpgui"]
    ok = subprocess.run(cmd + ["train", *SMALL], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0].startswith("Epoch: 1    | Loss: ")
    bad = subprocess.run(cmd + ["train", "--digits", "4", "4"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0, bad.stderr
    assert "Traceback" not in bad.stderr


def test_train_save_evaluate_predict_round_trip(tmp_path, capsys):
    model = tmp_path / "m.npz"
    code, out, err = run(capsys, "train", *SMALL, "--save", str(model))
    assert code == 0, err
    assert model.exists()
    train_test_acc = float(out.splitlines()[-1].split(": ")[1])

    code, out, err = run(capsys, "evaluate", str(model))
    assert code == 0, err
    assert float(out.splitlines()[0].split(": ")[1]) == pytest.approx(train_test_acc)
    rows = [line.split() for line in out.splitlines()[3:]]
    assert len(rows) == 10
    counts = np.array([[int(v) for v in row[1:]] for row in rows])
    assert counts.sum() == 10_000, "the confusion matrix counts every test image once"
    assert np.trace(counts) / 10_000 == pytest.approx(train_test_acc)


def _write_png(path, array):
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8)).save(path)


def test_predict_classifies_a_picture_on_light_paper(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--preset", "fast", "--per-class", "300", "--epochs", "3", "--save", str(model))[0] == 0
    mnist = load_mnist()
    right = 0
    for i in range(10):
        digit = mnist.x_test[i]
        big = np.kron(digit, np.ones((5, 5), np.uint8))  # 140x140, as a scan would be
        paper = 255 - big  # dark ink on white paper
        _write_png(tmp_path / f"d{i}.png", paper)
        code, out, err = run(capsys, "predict", str(model), str(tmp_path / f"d{i}.png"))
        assert code == 0, err
        guess = int(re.match(r"Prediction: (\d)", out).group(1))
        right += guess == mnist.y_test[i]
    assert right >= 8, f"only {right}/10 pictures of test digits classified right"


BAD = [
    (["train", "--digits", "5", "5"], "differ"),
    (["train", "--lr", "0"], "--lr"),
    (["train", "--lr", "-3"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--lr", "inf"], "--lr"),
    (["train", "--lr", "fast"], "--lr"),
    (["train", "--preset", "slow"], "preset"),
    (["train", "--per-class", "6000"], "images per class"),
    (["train", "--per-class", "1000000"], "images per class"),
    (["train", "--per-class", "-1"], "--per-class"),
    (["train", "--per-class", "lots"], "--per-class"),
    (["train", "--hidden", "0"], "hidden units"),
    (["train", "--hidden", "10000000"], "hidden units"),
    (["train", "--hidden", "2.5"], "--hidden"),
    (["train", "--epochs", "0"], "epochs"),
    (["train", "--epochs", "1000000000"], "epochs"),
    (["train", "--epochs", ""], "--epochs"),
    (["train", "--batch-size", "-1"], "batch size"),
    (["train", "--batch-size", "5000"], "batch size"),
    (["train", "--digits", "5", "12"], "--digits"),
    (["train", "--task", "regression"], "--task"),
    (["train", "--scale", "z"], "--scale"),
    (["train", "--dtype", "float16"], "--dtype"),
    (["train", "--seed", "-5"], "seed"),
    (["train", "--data", "/no/such/folder"], "no such folder"),
    (["train", "--bogus"], "unrecognized"),
    (["evaluate", "/no/such/model.npz"], "model.npz"),
    (["predict", "/no/such/model.npz", "x.png"], "model.npz"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize("argv,needle", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_are_one_line_and_status_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mlpgui: error: ")
    assert needle in lines[0]
    assert "Traceback" not in err and out == ""


def test_predict_rejects_a_file_that_is_not_an_image(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", *SMALL, "--save", str(model))[0] == 0
    fake = tmp_path / "digit.png"
    fake.write_text("this is not a picture")
    code, out, err = run(capsys, "predict", str(model), str(fake))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "digit.png" in err


def test_data_folder_with_a_broken_file_names_it(tmp_path, capsys):
    src = Path(load_mnist().source)
    for name in os.listdir(src):
        if name.endswith(".gz"):
            (tmp_path / name).write_bytes((src / name).read_bytes())
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(labels.read_bytes())
    labels.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    code, out, err = run(capsys, "train", *SMALL, "--data", str(tmp_path))
    assert code == 2
    assert "t10k-labels-idx1-ubyte" in err and "truncated" in err


def test_diverging_run_is_one_line_and_saves_nothing_unsound(tmp_path, capsys):
    model = tmp_path / "m.npz"
    code, out, err = run(
        capsys, "train", "--per-class", "50", "--hidden", "16", "--epochs", "20", "--lr", "1e6", "--save", str(model)
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "diverged" in err and "learning rate" in err
    assert "nothing was saved" in err and not model.exists()


# -- the headless commands need no Qt --------------------------------------------------


def without_qt(tmp_path) -> dict:
    """An environment in which `import PySide6` (and pyqtgraph, shiboken6) raises ImportError."""
    blocker = tmp_path / "no-qt"
    for name in ("PySide6", "shiboken6", "pyqtgraph"):
        (blocker / name).mkdir(parents=True)
        (blocker / name / "__init__.py").write_text(f"raise ImportError('{name} is not installed here')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("QT_QPA_PLATFORM", None)
    return env


def test_train_evaluate_and_predict_run_where_qt_cannot_be_imported(tmp_path):
    env = without_qt(tmp_path)
    probe = subprocess.run([sys.executable, "-c", "import PySide6"], capture_output=True, text=True, env=env)
    assert probe.returncode != 0 and "PySide6 is not installed here" in probe.stderr  # the blocker works

    def mlpgui(*argv):
        return subprocess.run(
            [sys.executable, "-m", "mlpgui", *argv], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )

    model = tmp_path / "m.npz"
    trained = mlpgui("train", *SMALL, "--save", str(model))
    assert trained.returncode == 0, trained.stderr
    assert trained.stdout.splitlines()[0].startswith("Epoch: 1    | Loss: ")
    evaluated = mlpgui("evaluate", str(model))
    assert evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stdout.startswith("Test accuracy: ")
    digit = 255 - np.kron(load_mnist().x_test[0], np.ones((4, 4), np.uint8))
    _write_png(tmp_path / "digit.png", digit)
    predicted = mlpgui("predict", str(model), str(tmp_path / "digit.png"))
    assert predicted.returncode == 0, predicted.stderr
    assert re.match(r"Prediction: \d \(probability 0\.\d{3}\)", predicted.stdout)
    bad = mlpgui("predict", str(model), str(model))  # a model file is not a picture
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not an image" in bad.stderr


def test_importing_the_command_line_loads_no_qt():
    qt = ("PySide6", "shiboken6", "pyqtgraph", "mlpgui.qt")
    code = f"import sys, mlpgui.cli; print(sorted(m for m in sys.modules if m.startswith({qt!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_command_opens_the_window(monkeypatch):
    """`mlpgui` alone hands over to the window's own main (imported only then)."""
    from mlpgui.qt import app

    opened = []
    monkeypatch.setattr(app, "main", lambda argv: opened.append(argv) or 0)
    assert main([]) == 0
    assert len(opened) == 1


@pytest.mark.slow
def test_the_fast_preset_trains_on_all_images_to_98_percent(capsys):
    """`--preset fast`: every one of the 60,000 training images, and at least 98% of the test set right."""
    code, out, err = run(capsys, "train", "--preset", "fast")
    assert code == 0, err
    assert "60,000 training" in err
    lines = out.splitlines()
    assert lines[0].startswith("Epoch: 1    | Loss: ") and lines[-2].startswith("Training accuracy: ")
    assert float(lines[-1].split(": ")[1]) >= 0.98


# -- where a model may be saved ---------------------------------------------------------


def mlpgui(*argv, **kw) -> subprocess.CompletedProcess:
    """`python -m mlpgui ARGV` as a user runs it, output captured as text."""
    return subprocess.run([sys.executable, "-m", "mlpgui", *argv], capture_output=True, text=True, timeout=300, **kw)


def one_error_line(result) -> str:
    """The single 'mlpgui: error: ...' line of a refused command (exit 2, no traceback)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlpgui: error: "), result.stderr
    return lines[0]


def _special_file(kind: str, folder: Path) -> tuple[Path, int]:
    """A FIFO, socket, folder or character device made inside `folder`, and its file type."""
    import socket
    import stat

    path = folder / kind
    if kind == "fifo":
        os.mkfifo(path)
        return path, stat.S_IFIFO
    if kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()
        return path, stat.S_IFSOCK
    if kind == "folder":
        path.mkdir()
        return path, stat.S_IFDIR
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # a null device, in the temporary folder only
    return path, stat.S_IFCHR


@pytest.mark.parametrize(
    "kind,words", [("fifo", "FIFO"), ("socket", "socket"), ("folder", "folder"), ("device", "device")]
)
def test_save_refuses_a_special_file_before_training_and_leaves_it_alone(tmp_path, kind, words):
    import stat

    path, file_type = _special_file(kind, tmp_path)
    result = mlpgui("train", *SMALL, "--save", str(path))
    line = one_error_line(result)
    assert f"can't save to {path}: it is" in line and words in line
    assert result.stdout == "", "refused before any training"
    assert stat.S_IFMT(os.stat(path).st_mode) == file_type
    assert sorted(p.name for p in tmp_path.iterdir()) == [kind]


@pytest.mark.parametrize(
    "where,words",
    [("", "empty file name"), ("nowhere/m.npz", "folder does not exist")],
    ids=["empty", "missing-folder"],
)
def test_save_to_an_empty_name_or_a_missing_folder_is_refused_before_training(tmp_path, where, words):
    result = mlpgui("train", *SMALL, "--save", where, cwd=tmp_path)
    assert words in one_error_line(result)
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_save_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    from mlpgui.core.model_io import load_model

    target = tmp_path / "models" / "real.npz"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    result = mlpgui("train", *SMALL, "--save", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load_model(target).epochs_trained == 3


# -- signals ------------------------------------------------------------------------------

LONG = ["--task", "multiclass", "--per-class", "30", "--hidden", "16", "--epochs", "100000", "--lr", "0.5"]


def start_training(*extra, cwd=None) -> subprocess.Popen:
    """A long `mlpgui train` that has printed its first epoch line (so it is inside the training loop)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlpgui", "train", *LONG, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    first = proc.stdout.readline()
    assert first.startswith("Epoch: 1 "), (first, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def test_sigterm_ends_a_run_like_ctrl_c_and_saves_what_finished(tmp_path):
    import signal

    from mlpgui.core.model_io import load_model

    model = tmp_path / "m.npz"
    proc = start_training("--save", str(model))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in err
    assert err.splitlines()[0].startswith("mlpgui: interrupted"), err
    assert load_model(model).epochs_trained >= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"], "no temporary file left behind"


def test_ctrl_c_in_a_minibatch_run_saves_the_last_finished_epoch_and_says_which(tmp_path):
    """The saved weights are exactly those of a run of that many epochs: no unfinished epoch's batches."""
    import signal

    from mlpgui.core.model_io import load_model

    model = tmp_path / "m.npz"
    proc = start_training("--batch-size", "10", "--save", str(model))
    time.sleep(0.3)  # some epochs of 30 mini-batches each: the signal lands inside one
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    saved = load_model(model)
    done = saved.epochs_trained
    assert done >= 1
    assert err.strip().splitlines() == [
        f"mlpgui: interrupted during epoch {done + 1}; saved the model as it was after epoch {done} to {model}"
    ]
    again = tmp_path / "again.npz"
    result = mlpgui(
        "train", *LONG[:-4], "--epochs", str(done), "--lr", "0.5", "--batch-size", "10", "--save", str(again)
    )
    assert result.returncode == 0, result.stderr
    assert np.array_equal(load_model(again).W1, saved.W1)


# -- Ctrl-C anywhere, closed pipes and streams ---------------------------------------------

# Runs `mlpgui ARGV` with one function ("module:name" or "module:Class.method") replaced by one
# that first sends this very process SIGINT (a real Ctrl-C, at a known moment), then does its work.
INTERRUPT_INSIDE = """
import os, signal, sys, time, importlib
module_name, path = sys.argv[1].split(":")
owner = importlib.import_module(module_name)
*outer, attr = path.split(".")
for name in outer:
    owner = getattr(owner, name)
real = getattr(owner, attr)
def interrupted(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)  # the KeyboardInterrupt arrives here
    return real(*args, **kwargs)
setattr(owner, attr, interrupted)
from mlpgui.cli import main
sys.exit(main(sys.argv[2:]))
"""


def interrupt_inside(function: str, *argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", INTERRUPT_INSIDE, function, *argv], capture_output=True, text=True, timeout=120, **kw
    )


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "m.npz"
    assert main(["train", *SMALL, "--save", str(model)]) == 0
    return model


def test_ctrl_c_while_loading_evaluating_or_predicting_is_one_line_and_status_130(tmp_path, small_model):
    picture = tmp_path / "digit.png"
    _write_png(picture, 255 - np.kron(load_mnist().x_test[0], np.ones((4, 4), np.uint8)))
    cases = [
        ("mlpgui.core.data:_load_cached", ["train", *SMALL]),
        ("mlpgui.core.network:Network.proba_and_loss", ["evaluate", str(small_model)]),
        ("mlpgui.core.model_io:load_model_with_history", ["predict", str(small_model), str(picture)]),
    ]
    for function, argv in cases:
        result = interrupt_inside(function, *argv)
        assert result.returncode == 130, (argv[0], result.stderr)
        assert result.stderr.strip().splitlines() == ["mlpgui: interrupted"], (argv[0], result.stderr)
        assert result.stdout == ""


def test_a_second_ctrl_c_during_the_save_leaves_the_old_file_and_no_temporary_file(tmp_path):
    """First Ctrl-C: the run stops and starts saving; the second, inside the save, abandons it cleanly."""
    import signal

    model = tmp_path / "m.npz"
    model.write_bytes(b"the model saved yesterday")
    script = INTERRUPT_INSIDE.replace(
        "from mlpgui.cli import main", "import mlpgui.core.model_io\nfrom mlpgui.cli import main"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "numpy:savez", "train", *LONG, "--save", str(model)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().startswith("Epoch: 1 ")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted again while saving, so nothing was saved" in lines[0], err
    assert model.read_bytes() == b"the model saved yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


@pytest.mark.parametrize("argv", [["train", *LONG], ["evaluate", "MODEL"]], ids=["train", "evaluate"])
def test_a_closed_pipe_ends_quietly_like_a_unix_tool(argv, small_model):
    """`mlpgui ... | head -1` with head gone: no traceback, no complaint at exit, status 141 (128 + SIGPIPE)."""
    argv = [str(small_model) if a == "MODEL" else a for a in argv]
    with subprocess.Popen(
        [sys.executable, "-m", "mlpgui", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        proc.stdout.close()  # the reader is gone before the first line
        err = proc.stderr.read()
        proc.wait(timeout=60)
    assert proc.returncode == 141, err
    assert err == ""


def test_a_closed_pipe_still_saves_the_finished_epochs(tmp_path):
    from mlpgui.core.model_io import load_model

    model = tmp_path / "m.npz"
    with subprocess.Popen(
        [sys.executable, "-m", "mlpgui", "train", *LONG, "--save", str(model)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=60)
    assert first.startswith("Epoch: 1 ") and proc.returncode == 141, err
    assert load_model(model).epochs_trained >= 1


def test_a_closed_stderr_is_not_an_error(tmp_path):
    """`mlpgui train ... 2>&-`: the run prints its lines and exits 0; a mistake still exits 2."""
    ok = subprocess.run(
        [sys.executable, "-m", "mlpgui", "train", *SMALL],
        capture_output=False,
        stdout=subprocess.PIPE,
        text=True,
        stderr=None,
        preexec_fn=lambda: os.close(2),
        timeout=120,
    )
    assert ok.returncode == 0
    assert ok.stdout.splitlines()[-1].startswith("Test accuracy: ")
    bad = subprocess.run(
        [sys.executable, "-m", "mlpgui", "train", "--digits", "4", "4"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(2),
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stdout == ""


# -- data sets that can't test a model -------------------------------------------------------


def _keras_npz(path: Path, y_test: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    y_train = np.arange(200) % 10
    x_test = rng.integers(0, 256, (len(y_test), 28, 28), dtype=np.uint8)
    np.savez(
        path, x_train=rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), y_train=y_train, x_test=x_test, y_test=y_test
    )
    return path


@pytest.mark.parametrize(
    "y_test,task,words",
    [
        (np.zeros(30, np.uint8), ["--digits", "5", "8"], "no test images of the chosen digits"),
        (np.zeros(0, np.uint8), ["--task", "multiclass"], "has no test images"),
    ],
    ids=["no-test-image-of-5-or-8", "empty-test-set"],
)
def test_a_data_set_without_test_images_for_the_task_is_refused_before_training(tmp_path, y_test, task, words):
    data = _keras_npz(tmp_path / "mnist.npz", y_test)
    result = mlpgui("train", *task, "--per-class", "10", "--hidden", "4", "--epochs", "2", "--data", str(data))
    assert words in one_error_line(result)
    assert result.stdout == "" and "Warning" not in result.stderr


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_symlink_loop_is_named_as_one(tmp_path, command):
    loop = tmp_path / "loop.npz"
    loop.symlink_to(loop)
    argv = ["train", *SMALL, "--data", str(loop)] if command == "train" else ["evaluate", str(loop)]
    line = one_error_line(mlpgui(*argv))
    assert f"{loop}: is a loop of symbolic links" in line


def test_the_command_line_accepts_exactly_the_seeds_the_window_does():
    """The window's seed box holds up to 2**31 - 1: that seed runs (mini-batches shuffle with
    seed + 1), and one more is refused."""
    from mlpgui.core.config import MAX_SEED

    assert MAX_SEED == 2**31 - 1
    ok = mlpgui("train", *SMALL[:-8], "--epochs", "1", "--batch-size", "10", "--seed", str(MAX_SEED))
    assert ok.returncode == 0, ok.stderr
    line = one_error_line(mlpgui("train", *SMALL, "--seed", str(MAX_SEED + 1)))
    assert "seed must be between 0 and 2,147,483,647" in line


def test_evaluate_refuses_a_model_whose_history_holds_nan_epochs(tmp_path, small_model):
    model = tmp_path / "nan-epochs.npz"
    with np.load(small_model) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["history_epoch"] = np.array([1.0, np.nan, 3.0])
    np.savez(model, **arrays)
    line = one_error_line(mlpgui("evaluate", str(model)))
    assert "nan-epochs.npz: the loss history 'epoch' holds NaN" in line


# -- memory and threads ----------------------------------------------------------------------


def test_evaluate_needs_only_the_test_images_of_the_models_task(tmp_path, small_model):
    """A data set with 20 training images per digit can't train per_class=30, but can test its model."""
    data = _keras_npz(tmp_path / "small.npz", np.arange(100, dtype=np.uint8) % 10)
    result = mlpgui("evaluate", str(small_model), "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Test accuracy: ")
    rows = [line.split() for line in result.stdout.splitlines()[3:]]
    assert sum(int(v) for row in rows for v in row[1:]) == 100


def test_a_run_too_large_for_the_memory_says_how_much_and_the_rule(capsys, monkeypatch):
    from mlpgui.core import tasks

    monkeypatch.setattr(tasks, "available_memory", lambda: 2**30)
    code, out, err = run(capsys, "train", "--task", "multiclass", "--per-class", "all", "--hidden", "30000")
    assert code == 2 and out == ""
    assert "1.0 GiB is available and mlpgui takes at most 80% of it" in err
    assert re.search(r"would need about \d+\.\d GiB", err)


def test_too_many_threads_is_a_message_about_threads(tmp_path):
    env = {**os.environ, "MLPGUI_THREADS": "20000"}
    line = one_error_line(mlpgui("train", *SMALL, env=env))
    assert "MLPGUI_THREADS=20000 is not a number of threads from 1 to" in line
    assert "hidden" not in line


# -- small things the command line says ---------------------------------------------------------


def test_per_class_zero_is_refused_pointing_at_all(capsys):
    code, out, err = run(capsys, "train", "--per-class", "0")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--per-class" in err and "'all'" in err


def test_every_training_setting_has_help(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for option, words in [
        ("--task", "all ten digits"),
        ("--epochs E", "passes over the training set"),
        ("--dtype", "float32 (faster)"),
        ("--seed S", "2,147,483,647"),
    ]:
        assert option in text and words in text, option


def test_one_epoch_is_said_in_the_singular(capsys):
    code, out, err = run(capsys, "train", *SMALL[:-8], "--epochs", "1")
    assert code == 0, err
    assert "; 1 epoch in " in err


def test_an_address_space_limit_refuses_a_run_up_front_and_lets_a_small_one_run():
    """`prlimit --as=...`: the run that can't fit (its arrays, or the OpenMP threads' stacks) is one line
    from the estimate, not a MemoryError part-way or "libgomp: Thread creation failed"."""
    import resource

    probe = (
        "import mlpgui.core.training, mlpgui.core.data as d; d.load_mnist(); print(open('/proc/self/status').read())"
    )
    status = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60).stdout
    vm_size = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:"))
    limit = vm_size + 300 * 2**20  # the all-images, 4,096-unit run needs about 600 MiB more

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

    big = mlpgui(
        "train", "--task", "multiclass", "--per-class", "all", "--hidden", "4096", "--epochs", "1", preexec_fn=limited
    )
    line = one_error_line(big)
    assert "GiB is available and mlpgui takes at most 80% of it" in line and big.stdout == ""
    small = mlpgui("train", *SMALL, preexec_fn=limited)
    assert small.returncode == 0, small.stderr
