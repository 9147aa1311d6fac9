"""Near-duplicate (sibling) questions by text similarity: pure, knows nothing of Django.

A bank often holds one fact asked several ways: “电器设备着火时，应首先（ ）” (single choice,
option 切断电源), “电器设备着火时，应首先切断电源” (true/false) and “…应首先____” (fill in the
blank). Drawn into one paper, one gives the other away.

Each question is turned into one or more *variants*, sets of character 2- and 3-grams of its
text normalised (NFKC, lower case, punctuation, spaces, brackets and blank marks removed):

- ``base``: the stem, and for choice questions the option texts too (two questions with the same
  boilerplate stem “下列说法正确的是（ ）” but different options are not siblings);
- ``filled``: a choice question's stem with each option written into the blank (or after the
  stem when it has none), a fill-in-blank stem with its answer written in: the sentence a
  true/false sibling states.

Two questions are similar by the best Jaccard index over the pairs of their variants that make
sense (base with base; a filled variant with a true/false or fill-in-blank question's variants,
never two choice questions' filled variants, which share boilerplate stems and “以上都是”).

Finding the pairs: an exact prefix filter (AllPairs, Bayardo et al. 2007). Grams are ordered
rarest first over the whole bank; two sets with Jaccard ≥ t share at least one gram among the
first ``|A| - ceil(t·|A|) + 1`` of each, so only sets meeting in those short prefixes (mostly
rare grams with short postings) are compared at all. No O(n²) loop, no approximation (MinHash
LSH would miss pairs near the threshold and add a dependency), and a bank of thousands of
questions is scanned in about a second in pure Python (see docs/SIBLINGS.md).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

# Calibrated on the real banks under tests/question_bank/real_world and the demo banks
# (docs/SIBLINGS.md): at 0.6 every pair found restates one fact; at 0.5 different facts with
# a shared sentence frame start to pair up.
DEFAULT_THRESHOLD = 0.6

CHOICE_TYPES = frozenset({"single", "multiple"})
SCANNED_TYPES = frozenset({"single", "multiple", "true_false", "fill_blank"})

# Blank marks as banks write them: ____ , （ ）, ( 、 ), （1）; and option letters in a stem.
_BLANK = re.compile(r"_+|[(（][\s\u3000\xa0、，,\d]*[)）]")
# Everything that is not a letter or a digit: punctuation, spaces, brackets.
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Text as compared: NFKC, lower case, blank marks, punctuation and spaces removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOISE.sub("", _BLANK.sub("", text))


def grams(text: str) -> frozenset[str]:
    """Character 2- and 3-grams of normalised text (the text itself when shorter)."""
    if len(text) < 2:
        return frozenset([text]) if text else frozenset()
    found = {text[i : i + 2] for i in range(len(text) - 1)}
    found.update(text[i : i + 3] for i in range(len(text) - 2))
    return frozenset(found)


def _filled(stem: str, insert: str) -> str:
    """The stem with ``insert`` written into its first blank (after the stem when it has none)."""
    if _BLANK.search(stem):
        return _BLANK.sub(insert, stem, count=1)
    return stem + insert


def _fill_answer(answer: Any) -> str:
    """A fill-in-blank answer (a list of blanks, each a list of alternatives): the first alternative of each."""
    if isinstance(answer, list):
        return "".join(str(alts[0]) if isinstance(alts, list) and alts else str(alts) for alts in answer)
    return str(answer or "")


@dataclass(frozen=True)
class Item:
    """What the scan reads of a question."""

    id: int
    type: str
    stem: str
    options: Sequence[str] = ()
    answer: Any = None


def variants(item: Item) -> list[tuple[bool, frozenset[str]]]:
    """(filled?, gram set) for each variant of the question."""
    stem = unicodedata.normalize("NFKC", item.stem)
    if item.type in CHOICE_TYPES:
        base = normalise(stem) + "".join(normalise(o) for o in item.options)
        out = [(False, grams(base))]
        out += [(True, grams(normalise(_filled(stem, option)))) for option in item.options]
    elif item.type == "fill_blank":
        out = [(False, grams(normalise(stem))), (True, grams(normalise(_filled(stem, _fill_answer(item.answer)))))]
    else:
        out = [(False, grams(normalise(stem)))]
    return [(filled, g) for filled, g in out if g]


def _comparable(a: Item, a_filled: bool, b: Item, b_filled: bool) -> bool:
    if not a_filled and not b_filled:
        return True
    # A choice question's filled variant states a sentence: compare it with sentences
    # (true/false stems, filled fill-in-blanks), never with another choice question's.
    return not (a.type in CHOICE_TYPES and b.type in CHOICE_TYPES)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def similar_pairs(items: Sequence[Item], *, threshold: float = DEFAULT_THRESHOLD) -> dict[tuple[int, int], float]:
    """Every pair of question ids (low, high) whose similarity reaches ``threshold``, with it."""
    owner: list[int] = []  # variant -> index into items
    filled: list[bool] = []
    sets: list[frozenset[str]] = []
    for index, item in enumerate(items):
        if item.type not in SCANNED_TYPES:
            continue
        for is_filled, gram_set in variants(item):
            owner.append(index)
            filled.append(is_filled)
            sets.append(gram_set)
    frequency = Counter(chain.from_iterable(sets))
    # Rarest first; ties broken by the gram itself so the order is the same on every run.
    rank = {gram: position for position, gram in enumerate(sorted(frequency, key=lambda g: (frequency[g], g)))}
    ordered = [sorted(map(rank.__getitem__, gram_set)) for gram_set in sets]
    # Shorter sets first: a set only looks back at sets no longer than itself.
    order = sorted(range(len(sets)), key=lambda v: len(sets[v]))
    postings: dict[int, list[int]] = defaultdict(list)
    start: dict[int, int] = defaultdict(int)  # postings before this are too short for every later set
    best: dict[tuple[int, int], float] = {}
    for v in order:
        size = len(sets[v])
        shortest = threshold * size
        candidates: set[int] = set()
        for gram_id in ordered[v][: size - math.ceil(shortest) + 1]:
            posting = postings[gram_id]
            first = start[gram_id]
            while first < len(posting) and len(sets[posting[first]]) < shortest:
                first += 1
            start[gram_id] = first
            candidates.update(posting[first:])
            posting.append(v)
        item = items[owner[v]]
        for other in candidates:
            if owner[other] == owner[v]:
                continue
            other_item = items[owner[other]]
            if not _comparable(item, filled[v], other_item, filled[other]):
                continue
            score = jaccard(sets[v], sets[other])
            if score >= threshold:
                key = (min(item.id, other_item.id), max(item.id, other_item.id))
                if score > best.get(key, 0.0):
                    best[key] = score
    return best


def cluster(
    pairs: dict[tuple[int, int], float],
    *,
    seeds: Iterable[Iterable[int]] = (),
    apart: Iterable[tuple[int, int]] = (),
) -> list[set[int]]:
    """Groups of two or more ids linked by ``pairs`` (strongest first, single link).

    ``seeds``: groups that already exist; they grow but two of them never merge. ``apart``:
    pairs a person said are not siblings; no group ever holds both (the link that would
    join their groups is skipped, even through a third question).
    """
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    seeded: dict[int, bool] = {}
    forbidden: dict[int, set[int]] = defaultdict(set)
    for a, b in apart:
        forbidden[a].add(b)
        forbidden[b].add(a)

    def find(x: int) -> int:
        if x not in parent:
            parent[x] = x
            members[x] = {x}
            seeded[x] = False
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int, *, from_seed: bool = False) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        if not from_seed:
            if seeded[ra] and seeded[rb]:
                return
            if any(forbidden[x] & members[rb] for x in members[ra]):
                return
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        seeded[ra] = seeded[ra] or seeded.pop(rb)

    for seed in seeds:
        ids = list(seed)
        for other in ids[1:]:
            union(ids[0], other, from_seed=True)
        if ids:
            seeded[find(ids[0])] = True
    for a, b in sorted(pairs, key=lambda pair: (-pairs[pair], pair)):
        union(a, b)
    return [group for group in members.values() if len(group) > 1]
