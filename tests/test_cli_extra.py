"""`mlpgui train --extra DIR`: a folder of my digits joins the training set; a bad folder is one line, status 2."""

import numpy as np
import pytest

from mlpgui.cli import main
from mlpgui.core.model_io import load_model
from mlpgui.core.mydigits import IMAGES_FILE, LABELS_FILE, MyDigits

SMALL = ["--task", "multiclass", "--per-class", "30", "--hidden", "16", "--epochs", "3", "--lr", "0.5"]
SMALL += ["--scale", "unit", "--dtype", "float64"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def my_folder(tmp_path, mnist):
    mine = MyDigits(tmp_path / "class-digits")
    for i in range(20):
        mine.add(mnist.x_test[i], int(mnist.y_test[i]))
    return mine


def test_extra_digits_join_the_training_set(tmp_path, capsys, my_folder):
    code, out, err = run(capsys, "train", *SMALL, "--extra", str(my_folder.folder), "--save", str(tmp_path / "x.npz"))
    assert code == 0, err
    assert f"added 20 of the 20 digits in {my_folder.folder}" in err
    assert "320 training" in err  # 30 per class and the 20 of mine
    assert out.splitlines()[0].startswith("Epoch: 1")
    code, _, err = run(capsys, "train", *SMALL, "--save", str(tmp_path / "plain.npz"))
    assert code == 0, err
    with_extra, plain = load_model(tmp_path / "x.npz"), load_model(tmp_path / "plain.npz")
    assert not np.allclose(with_extra.W1, plain.W1)  # the extra digits changed what was learnt


def test_a_binary_run_takes_only_its_two_digits(tmp_path, capsys, my_folder):
    fives_and_eights = int(np.isin(my_folder.labels, (5, 8)).sum())
    args = ["--per-class", "30", "--epochs", "2", "--hidden", "8", "--scale", "unit", "--lr", "0.1"]
    code, out, err = run(capsys, "train", *args, "--extra", str(my_folder.folder))
    assert code == 0, err
    assert f"added {fives_and_eights} of the 20 digits" in err and "(digits 5 and 8)" in err
    assert f"{60 + fives_and_eights:,} training" in err


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d / "nowhere", "no such folder"),
        (lambda d: d, "missing my-digits-images-idx3-ubyte"),
        (lambda d: (d / "a-file").write_text("x") and d / "a-file", "not a folder"),
    ],
)
def test_a_bad_folder_is_one_line_and_status_2_before_training(tmp_path, capsys, make, words):
    code, out, err = run(capsys, "train", *SMALL, "--extra", str(make(tmp_path)))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_a_damaged_folder_names_the_file(tmp_path, capsys, my_folder):
    labels = my_folder.folder / LABELS_FILE
    labels.write_bytes(labels.read_bytes()[:-3])
    code, out, err = run(capsys, "train", *SMALL, "--extra", str(my_folder.folder))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert LABELS_FILE in err and "truncated" in err
    (my_folder.folder / IMAGES_FILE).write_bytes(b"\x00\x00\x08\x01" + bytes(8))
    code, out, err = run(capsys, "train", *SMALL, "--extra", str(my_folder.folder))
    assert code == 2 and IMAGES_FILE in err and "wrong magic number" in err
