"""English phrasing for messages built from labels: the indefinite article by sound.

"a industry organisation" reads wrong; the article follows how the word after it is
spoken, not how it is spelt: *an* hotline analyst is wrong, *an* NGO and *a* user are
right. The rules here cover the words our labels use (organisation kinds, roles).
"""

from __future__ import annotations

#: Acronym letters whose spoken name starts with a vowel sound (eff, aitch, ell, em, ...).
_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")
#: Words spelt with a vowel that start with a consonant sound ("a user", "a one-off").
_CONSONANT_SOUND_STARTS = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur")
#: Words spelt with a consonant that start with a vowel sound ("an hour").
_VOWEL_SOUND_STARTS = ("hour", "honest", "honour", "heir")


def article(phrase: str) -> str:
    """``"a"`` or ``"an"`` for ``phrase``, by the sound of its first word."""
    word = phrase.strip().split(" ", 1)[0].strip("\"'(")
    if not word:
        return "a"
    letters = "".join(c for c in word if c.isalpha())
    if len(letters) > 1 and letters.isupper():  # an acronym, spoken letter by letter
        return "an" if letters[0] in _VOWEL_SOUND_LETTERS else "a"
    lower = word.lower()
    if lower.startswith(_VOWEL_SOUND_STARTS):
        return "an"
    if lower.startswith(_CONSONANT_SOUND_STARTS):
        return "a"
    return "an" if lower[:1] in "aeiou" else "a"


def with_article(phrase: str, *, capital: bool = False) -> str:
    """``phrase`` after its indefinite article: "an industry organisation"."""
    first = article(phrase)
    if capital:
        first = first.capitalize()
    return f"{first} {phrase}"


def joined(words: list[str], last: str = "or") -> str:
    """``["a", "b", "c"]`` as "a, b or c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"
