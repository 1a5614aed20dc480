"""Elapsed and remaining time read the same on the command line and in the window."""

import pytest

from mlpgui.core.progress import format_duration, progress_text, seconds_left


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "0:00"),
        (-3, "0:00"),
        (59.4, "0:59"),
        (59.6, "1:00"),
        (61, "1:01"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3 * 3600 + 62, "3:01:02"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_seconds_left_is_the_pace_so_far():
    assert seconds_left(2, 10, 4.0) == pytest.approx(16.0)
    assert seconds_left(0, 10, 4.0) is None  # no pace yet
    assert seconds_left(10, 10, 4.0) is None  # nothing left


def test_progress_text_drops_the_estimate_when_there_is_none():
    assert progress_text(1, 4, 10) == "0:10 elapsed · about 0:30 left"
    assert progress_text(4, 4, 40) == "0:40 elapsed"
