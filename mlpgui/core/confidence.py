"""How sure a model is, in words that do not overstate it.

A probability is shown with one decimal, and a value that would round to
0 % or 100 % without being 0 or 1 reads "< 0.1" or "> 99.9": a sigmoid output
of 0.9996 is not certainty.
"""

from __future__ import annotations


def percent(probability: float) -> str:
    """'87.3', '> 99.9', '< 0.1', '100', '0': a probability in percent, one decimal, never rounded to certainty."""
    p = 100.0 * float(probability)
    if p >= 100.0:
        return "100"
    if p <= 0.0:
        return "0"
    if p > 99.95:
        return "> 99.9"
    if p < 0.05:
        return "< 0.1"
    return f"{p:.1f}"


def guess_detail(probability: float, classes: tuple[int, ...]) -> str:
    """The line under a guess, e.g. '87.3% sure' or, for a two-digit model, that it only knows those two."""
    text = f"{percent(probability)}% sure"
    if len(classes) == 2:
        text += f". This model only knows {classes[0]} and {classes[1]}: any drawing is one of the two to it"
    return text


def a_digit(digit: int) -> str:
    """'a 7', 'an 8': the digit with the article English reads it with (eight is the only vowel sound)."""
    return f"an {digit}" if int(digit) == 8 else f"a {digit}"
