"""How far a run has got, in words a person reads: elapsed time, time left, the loss of an epoch.

The command line's progress line and the window's progress label say the same
thing the same way, so both take their text from here.
"""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on; negative times read as 0:00."""
    seconds = int(round(max(seconds, 0.0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def seconds_left(done: int, total: int, elapsed: float) -> float | None:
    """Time the remaining `total - done` steps take at the pace so far; None before the first or after the last."""
    if done <= 0 or done >= total:
        return None
    return elapsed / done * (total - done)


def progress_text(done: int, total: int, elapsed: float) -> str:
    """'0:12 elapsed · about 1:05 left' (no estimate before the first step or after the last)."""
    text = f"{format_duration(elapsed)} elapsed"
    left = seconds_left(done, total, elapsed)
    if left is not None:
        text += f" · about {format_duration(left)} left"
    return text


def epoch_line(epoch: int, loss: float) -> str:
    """The homework's line for one epoch, e.g. 'Epoch: 10   | Loss: 0.61614324'.

    The course's notebook rounded the loss to 9 decimals and then printed 8;
    the double rounding is part of its printout (the binary homework's epoch
    10 loss, 0.6161432346..., reads ...24 that way and ...23 with one rounding).
    """
    return f"Epoch: {epoch: <4} | Loss: {round(loss, 9):.8f}"
