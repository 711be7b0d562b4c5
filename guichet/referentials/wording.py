"""How French sentences name a referential (the certificate, the decision letter)."""

from __future__ import annotations

WORD = "référentiel"


VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"


def of_name(name: str) -> str:
    """« de » before a name, elided before a vowel: « de CardioTrack », « d'OrthoSuivi »,
    « d'Élan ». A name starting with « h » keeps « de » (an aspirated h is common in brand
    names, and « de Holter » reads right where « d'Holter » would not)."""
    name = " ".join((name or "").split())
    return f"d'{name}" if name[:1].lower() in VOWELS else f"de {name}"


def named_in_sentence(name: str) -> str:
    """A referential's name as a sentence writes it after « au » or « du »: a title that already
    starts with the word (« Référentiel d'interopérabilité et de sécurité des dispositifs médicaux
    numériques ») reads « au référentiel d'interopérabilité… », never « au référentiel
    Référentiel d'interopérabilité… »; any other name (« DMN ») is introduced by the word."""
    name = " ".join((name or "").split())
    head, rest = name[: len(WORD)], name[len(WORD) :]
    if head.lower() == WORD and rest[:1] in ("", " "):
        return WORD + rest
    return f"{WORD} {name}".strip()
