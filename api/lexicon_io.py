"""Learning the shipped Dutch→English lexicon (:mod:`matching.lexicon`) from an ESCO export's occupations.

ESCO describes each of its 3,007 occupations in Dutch and in English, one a translation of the other:
the descriptions, sentence by sentence where both have as many sentences (else whole), and the
preferred labels are the parallel text. Run once, when ESCO changes::

    python -m api.lexicon_io ../shared/data/esco matching/taxonomy/builtin/nl_en_words.csv

which writes the translations to that file and the English words of the text to ``en_words.csv`` beside it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from api.taxonomy_io import esco_files
from matching.lexicon import ENGLISH_FILE, learn
from models.errors import KoppelaarError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def parallel_text(folder: Path) -> Iterator[tuple[str, str]]:
    """``(dutch, english)`` pairs of the occupations in ``folder``'s ``occupations_nl`` and ``occupations_en`` files."""
    files = esco_files(folder)["occupations"]
    if "nl" not in files or "en" not in files:
        raise KoppelaarError(f"{folder} needs occupations_nl.csv and occupations_en.csv to learn a lexicon from")
    columns = ["conceptUri", "preferredLabel", "description"]
    nl, en = (pd.read_csv(files[lang], usecols=columns, dtype=str, keep_default_na=False) for lang in ("nl", "en"))
    both = nl.merge(en, on="conceptUri", suffixes=("_nl", "_en"))
    for dutch, english in zip(both["description_nl"], both["description_en"], strict=True):
        dutch_sentences, english_sentences = _SENTENCE_END.split(dutch.strip()), _SENTENCE_END.split(english.strip())
        if len(dutch_sentences) == len(english_sentences):
            yield from zip(dutch_sentences, english_sentences, strict=True)
        else:
            yield dutch, english
    yield from zip(both["preferredLabel_nl"], both["preferredLabel_en"], strict=True)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: python -m api.lexicon_io ESCO_FOLDER OUT.csv")
    out = Path(argv[1])
    translations, english = learn(parallel_text(Path(argv[0]))).to_frames()
    translations.to_csv(out, index=False, lineterminator="\n")
    english.to_csv(out.with_name(ENGLISH_FILE), index=False, lineterminator="\n")
    print(f"{len(translations):,} Dutch stems written to {out}, {len(english):,} English words to {ENGLISH_FILE}")


if __name__ == "__main__":
    main(sys.argv[1:])
