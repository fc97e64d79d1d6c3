"""Which new passwords are refused: the most common ones and the patterns a guesser tries first.

The rule lives here once; the new-password fields of app/accounts/forms.py call it.
"""

from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

# Words that stay guessable with digits or symbols around them and letters swapped for look-alikes
# ("Password-2026", "p@ssw0rd!", "demo2026"); the site's own words are among them.
GUESSABLE_WORDS = frozenset({
    "password", "passwd", "pass", "demo", "admin", "welcome", "qwerty", "iloveyou", "woaini", "letmein", "test",
    "mima", "kehou", "school", "teacher", "guest", "user", "login", "abc", "abcd", "aaa",
})
KEYBOARD_RUNS = ("1234567890qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
                 "qazwsxedcrfvtgbyhnujmikolp", "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0")
LOOKALIKES = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s",
                            "7": "t", "+": "t"})


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (app/accounts/common_passwords.txt), read once."""
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _is_sequence(text: str) -> bool:
    """Characters that step by one (12345678, abcdefgh, 87654321) or run along a keyboard row."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    if steps in ({1}, {-1}):
        return True
    return any(text in run or text[::-1] in run for run in KEYBOARD_RUNS)


def _is_repeat(text: str) -> bool:
    """The same short piece again and again (aaaaaaaa, abababab, 123123123, 5201314 is not)."""
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in range(1, 5))


def _core_word(text: str) -> str:
    """The password without digits and symbols at its ends, look-alike characters read as letters."""
    core = text.strip("0123456789!@#$%^&*()_+-=.,;:?/~`'\" ")
    return core.translate(LOOKALIKES)


def weakness(password: str, *, mobile: str | None = None) -> str | None:
    """Why the password is too easy to guess (a sentence for the form), or None when it may be used."""
    text = password.lower()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text in common_passwords() or text.translate(LOOKALIKES) in common_passwords():
        return _l("This is one of the most common passwords. Please choose another.")
    if mobile and (mobile in digits or (len(digits) >= 8 and digits in mobile)):
        return _l("Do not use your mobile number as a password.")
    if _is_repeat(text) or _is_sequence(text):
        return _l("Repeated characters or a run such as 12345678 or qwertyui are easy to guess.")
    if _core_word(text) in GUESSABLE_WORDS:
        return _l("A common word with digits around it is easy to guess. Please choose another.")
    return None
