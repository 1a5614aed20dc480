"""Probabilities shown with one decimal, never rounded to certainty."""

import pytest

from mlpgui.core.confidence import a_digit, guess_detail, percent


@pytest.mark.parametrize(
    "p, text",
    [
        (0.873, "87.3"),
        (0.9996, "> 99.9"),
        (0.99949, "99.9"),
        (0.0004, "< 0.1"),
        (1.0, "100"),
        (0.0, "0"),
        (0.5, "50.0"),
    ],
)
def test_percent_has_one_decimal_and_never_claims_certainty_it_lacks(p, text):
    assert percent(p) == text


def test_a_two_digit_model_says_it_only_knows_its_digits():
    assert guess_detail(0.9996, (5, 8)).startswith("> 99.9% sure. This model only knows 5 and 8")
    assert guess_detail(0.9996, tuple(range(10))) == "> 99.9% sure"


def test_a_digit_reads_as_english_does():
    assert [a_digit(d) for d in (0, 1, 7, 8, 9)] == ["a 0", "a 1", "a 7", "an 8", "a 9"]
