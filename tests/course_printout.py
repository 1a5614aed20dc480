"""The course homework's own printout of its binary run (5 vs 8, `mlpgui train --preset homework-binary`).

The only hard-coded results in the test suite: `tests/core/test_homework.py`
holds the trainer to these numbers and `tests/test_cli.py` the command line
to these lines.
"""

PRINTOUT = """\
Epoch: 1    | Loss: 0.69134019
Epoch: 10   | Loss: 0.61614324
Epoch: 20   | Loss: 0.53130191
Epoch: 30   | Loss: 0.44487540
Epoch: 40   | Loss: 0.36816196
Epoch: 50   | Loss: 0.30720631
Epoch: 60   | Loss: 0.26108315
Epoch: 70   | Loss: 0.22618011
Epoch: 80   | Loss: 0.19929726
Epoch: 90   | Loss: 0.17817257
Epoch: 100  | Loss: 0.16124393
Training accuracy: 0.972
Test accuracy: 0.9469453376205788
""".splitlines()

# epoch -> the loss as printed
LOSSES = {int(line.split()[1]): line.split()[-1] for line in PRINTOUT if line.startswith("Epoch:")}
LOSS_LINES = {epoch: line for epoch, line in zip(LOSSES, PRINTOUT, strict=False)}
TRAIN_ACCURACY = float(PRINTOUT[-2].split(": ")[1])
TEST_ACCURACY = float(PRINTOUT[-1].split(": ")[1])
