"""The command line: the homework printout, the other commands, and one-line errors with status 2."""

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlpgui.cli import main
from mlpgui.core.data import load_mnist

HOMEWORK_LINES = [
    "Epoch: 1    | Loss: 0.69134019",
    "Epoch: 10   | Loss: 0.61614323",  # the course printed ...24; see README and test_homework.py
    "Epoch: 20   | Loss: 0.53130191",
    "Epoch: 30   | Loss: 0.44487540",
    "Epoch: 40   | Loss: 0.36816196",
    "Epoch: 50   | Loss: 0.30720631",
    "Epoch: 60   | Loss: 0.26108315",
    "Epoch: 70   | Loss: 0.22618011",
    "Epoch: 80   | Loss: 0.19929726",
    "Epoch: 90   | Loss: 0.17817257",
    "Epoch: 100  | Loss: 0.16124393",
    "Training accuracy: 0.972",
    "Test accuracy: 0.9469453376205788",
]

SMALL = ["--task", "multiclass", "--per-class", "30", "--hidden", "16", "--epochs", "3",
         "--lr", "0.5", "--scale", "unit", "--dtype", "float32"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_homework_binary_prints_the_course_table(capsys):
    code, out, err = run(capsys, "train", "--preset", "homework-binary")
    assert code == 0, err
    assert out.splitlines() == HOMEWORK_LINES


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
    from PySide6.QtGui import QImage

    h, w = array.shape
    image = QImage(np.ascontiguousarray(array).data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    assert image.save(str(path))


def test_predict_classifies_a_picture_on_light_paper(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--preset", "fast", "--per-class", "300", "--epochs", "3",
               "--save", str(model))[0] == 0
    mnist = load_mnist()
    right = 0
    for i in range(10):
        digit = mnist.x_test[i]
        big = np.kron(digit, np.ones((5, 5), np.uint8))  # 140x140, as a scan would be
        paper = 255 - big                                  # dark ink on white paper
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
    code, out, err = run(capsys, "train", "--per-class", "50", "--hidden", "16", "--epochs", "20",
                         "--lr", "1e6", "--save", str(model))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "diverged" in err and "learning rate" in err
    assert "nothing was saved" in err and not model.exists()
