"""Finding lexicon words in text: a compiled, immutable matcher (no database here).

The text is cut into words (letters and digits, Unicode-aware; combining marks stay inside the
word, so a decomposed "å" typed on a Mac is one word). Each word is compared, case-insensitively
and NFC-normalised, with the lexicon's forms by dictionary lookup: a form matches whole words
only, so "lat" never matches inside "latin", "platt" or "relation". Phrases are tried first,
longest first, and must be separated by spaces or hyphens only (not by a full stop or comma);
then exact forms, then ``prefix*`` forms (longest prefix first). Matches never overlap.

Negation is not interpreted: "inte lat" is still a value judgement about a personal trait and is
flagged at "lat" (the rule is to describe knowledge, not to deny traits).

Offsets are Python string indices (Unicode code points) into the field's text as sent: a
browser working in UTF-16 must convert for characters outside the Basic Multilingual Plane.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any

# A word: letters or digits, with any combining marks (U+0300 to U+036F) that follow them.
WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
# What may stand between the words of a phrase: whitespace and hyphens, nothing else.
PHRASE_GAP = re.compile(r"[\s\-\u00ad\u2010\u2011\u2012\u2013]+")
# For NFC text without combining marks (nearly all text): a word is letters and digits, and
# it starts where no letter or digit precedes.
PLAIN_WORD = re.compile(r"[^\W_]+")
WORD_START = r"(?<![^\W_])"
COMBINING_MARK = re.compile(r"[\u0300-\u036f]")
PREFIX_MARK = "*"
MIN_PREFIX = 4


@dataclass(frozen=True)
class Finding:
    field: str
    start: int
    end: int
    text: str
    category: str
    suggestion: str

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    """One lexicon entry as the matcher uses it."""

    lemma: str
    category: str
    suggestion: str
    forms: tuple[str, ...]
    match_case: bool = False


def fold(word: str) -> str:
    """The lookup key of a word: NFC, case-folded."""
    return unicodedata.normalize("NFC", word).casefold()


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, factored as a trie (one branch per
    first letter instead of one per word), so the scan costs little per position."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        # A word that ends here is enough: the candidate is confirmed word by word in Python.
        if "" in node:
            return ""
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie)


def form_words(form: str) -> list[str]:
    """The words of a form as written (``"bryr sig inte"`` → three words)."""
    return WORD.findall(form)


class Matcher:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self._words: dict[str, Rule] = {}
        self._exact: dict[str, Rule] = {}
        self._prefixes: dict[str, Rule] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], Rule]]] = {}
        for rule in rules:  # later rules win a shared form (municipalities after shipped)
            for form in rule.forms:
                self._add(form, rule)
        for candidates in self._phrases.values():
            candidates.sort(key=lambda candidate: -len(candidate[0]))
        self._prefix_order = sorted(self._prefixes, key=len, reverse=True)
        self._prefix_tuple = tuple(self._prefixes)
        self.size = len(self._words) + len(self._exact) + len(self._prefixes)
        self.size += sum(len(candidates) for candidates in self._phrases.values())
        self._longest = max(
            [len(words) for candidates in self._phrases.values() for words, _ in candidates],
            default=1,
        )
        first_words = [*self._words, *self._phrases, *self._prefixes]
        first_words += [word.lower() for word in self._exact]
        self._scan = (
            re.compile(WORD_START + "(?:" + trie_pattern(first_words) + ")")
            if first_words
            else None
        )

    def _add(self, form: str, rule: Rule) -> None:
        words = form_words(form)
        if not words:
            return
        if form.strip().endswith(PREFIX_MARK) and len(words) == 1:
            self._prefixes[fold(words[0])] = rule
        elif len(words) > 1:
            key = tuple(fold(word) for word in words)
            self._phrases.setdefault(key[0], []).append((key, rule))
        elif rule.match_case:
            self._exact[unicodedata.normalize("NFC", words[0])] = rule
        else:
            self._words[fold(words[0])] = rule

    def find(self, field: str, text: str) -> list[Finding]:
        """The findings in ``text``, in order; offsets index ``text`` as given."""
        if self._scan is None or not text:
            return []
        if COMBINING_MARK.search(text) is None and unicodedata.is_normalized("NFC", text):
            lowered = text.lower()
            if len(lowered) == len(text):  # one character for one: offsets carry over
                return self._find_scanning(field, text, lowered)
        return self._find_word_by_word(field, text)

    def _find_scanning(self, field: str, text: str, lowered: str) -> list[Finding]:
        """The usual path (NFC text without combining marks): a regular expression, a trie of
        every form's first word, finds in C the few words that may match; only those are
        looked at in Python. Gives the same findings as ``_find_word_by_word``."""
        assert self._scan is not None
        findings: list[Finding] = []
        resume = 0
        for candidate in self._scan.finditer(lowered):
            if candidate.start() < resume:
                continue
            first = PLAIN_WORD.match(text, candidate.start())
            assert first is not None
            word, key = first.group(), first.group().casefold()
            length, rule, end = 1, None, first.end()
            if key in self._phrases:
                following = islice(PLAIN_WORD.finditer(text, end), self._longest - 1)
                tokens = [(*first.span(), word)]
                tokens += [(m.start(), m.end(), m.group()) for m in following]
                keys = [key] + [token[2].casefold() for token in tokens[1:]]
                length, rule = self._phrase_at(text, tokens, keys, 0)
                end = tokens[length - 1][1]
            if rule is None:
                rule, end = self._word_rule(word, key), first.end()
            if rule is not None:
                start = first.start()
                findings.append(
                    Finding(field, start, end, text[start:end], rule.category, rule.suggestion)
                )
                resume = end
        return findings

    def _find_word_by_word(self, field: str, text: str) -> list[Finding]:
        """Any text (decomposed characters, case mappings that change the length)."""
        tokens = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
        keys = [fold(word) for _, _, word in tokens]
        findings: list[Finding] = []
        index, count = 0, len(tokens)
        while index < count:
            length, rule = self._rule_at(text, tokens, keys, index)
            if rule is not None:
                start, end = tokens[index][0], tokens[index + length - 1][1]
                findings.append(
                    Finding(field, start, end, text[start:end], rule.category, rule.suggestion)
                )
            index += length
        return findings

    def _rule_at(
        self, text: str, tokens: list[tuple[int, int, str]], keys: list[str], index: int
    ) -> tuple[int, Rule | None]:
        length, rule = self._phrase_at(text, tokens, keys, index)
        if rule is None:
            length, rule = 1, self._word_rule(tokens[index][2], keys[index])
        return length, rule

    def _phrase_at(
        self, text: str, tokens: list[tuple[int, int, str]], keys: list[str], index: int
    ) -> tuple[int, Rule | None]:
        for words, rule in self._phrases.get(keys[index], ()):
            last = index + len(words) - 1
            if last >= len(keys) or tuple(keys[index : last + 1]) != words:
                continue
            gaps = (text[tokens[i][1] : tokens[i + 1][0]] for i in range(index, last))
            if all(PHRASE_GAP.fullmatch(gap) for gap in gaps):
                return len(words), rule
        return 1, None

    def _word_rule(self, word: str, key: str) -> Rule | None:
        if self._exact:
            rule = self._exact.get(unicodedata.normalize("NFC", word))
            if rule is not None:
                return rule
        rule = self._words.get(key)
        if rule is not None or not self._prefix_tuple or not key.startswith(self._prefix_tuple):
            return rule
        return next(self._prefixes[p] for p in self._prefix_order if key.startswith(p))
