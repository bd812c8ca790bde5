"""The online template miner.

Each message becomes a token key (``triage.mine.tokens``). Keys of the same
length that differ in one position only are siblings; a position becomes a
variable ``<*>`` for all of them when the evidence says it holds data:

* a sibling already has ``<*>`` there (a number or id was seen in that slot), or
* at least ``MIN_DISTINCT_WORDS`` different words were seen there,

and only while at least ``MIN_CONSTANTS`` other tokens stay constant, so short
messages ("cupsd startup succeeded") keep their words. Merging only ever
generalises, and the miner applies it until nothing changes, so the templates
it ends with depend on the set of messages, not on their order. There is one
configuration for every log; nothing is tuned per source.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from triage.mine.masking import VARIABLE
from triage.mine.tokens import Key, key_text, message_key

MIN_DISTINCT_WORDS = 5
MIN_CONSTANTS = 2
KEY_CACHE_SIZE = 65_536

_BucketId = tuple[int, Key]


def template_id(template: str) -> str:
    """``tpl-`` plus 12 hex digits of the template text's SHA-1: the same in any run."""
    return "tpl-" + hashlib.sha1(template.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Template:
    """A mined template: its stable id, its text (variables as ``<*>``) and how many messages it has."""

    id: str
    text: str
    count: int


class TemplateMiner:
    """Mines templates from messages one at a time.

    ``add(message)`` returns the message's template as known at that moment;
    later messages can generalise it (its text, and so its id, then changes),
    and ``template_of``/``templates`` give the current state.
    """

    def __init__(self) -> None:
        self._parent: dict[Key, Key] = {}
        self._active: set[Key] = set()
        self._buckets: dict[_BucketId, dict[str, Key]] = {}
        self._key_counts: Counter[Key] = Counter()
        self._general_by_length: dict[int, set[Key]] = {}
        # (length, position, token) -> the active key there, or a set of them:
        # most slots hold one key, and a set per slot costs 200 bytes more.
        self._by_slot: dict[tuple[int, int, str], Key | set[Key]] = {}
        self._rendered: dict[Key, Template] = {}
        self._keys: dict[str, Key] = {}  # logs repeat lines verbatim: mask each once

    def add(self, message: str) -> Template:
        """Learn from ``message`` and return its current template (``count`` 0: see ``templates``)."""
        general = self._resolve(self.observe(message))
        found = self._rendered.get(general)
        if found is None:
            text = key_text(general)
            found = self._rendered[general] = Template(template_id(text), text, 0)
        return found

    def observe(self, message: str) -> Key:
        """Learn from ``message`` and return its key (``current(key)`` gives its template later)."""
        key = self._keys.get(message)
        if key is None:
            if len(self._keys) >= KEY_CACHE_SIZE:
                self._keys.clear()
            key = self._keys[message] = message_key(message)
        self.add_key(key)
        return key

    def add_key(self, key: Key) -> Key:
        """Learn from a key made by ``message_key``; return its current template as a key."""
        self._key_counts[key] += 1
        if key not in self._parent:
            cover = self._cover(key)
            self._parent[key] = cover
            if cover == key:
                self._activate(key)
        return self._resolve(key)

    def current(self, key: Key) -> Key:
        """The current template (as a key) of a key already added."""
        return self._resolve(key)

    def template_of(self, message: str) -> Template:
        """The current template of ``message`` without learning from it."""
        key = message_key(message)
        general = self._resolve(key) if key in self._parent else self._cover(key)
        text = key_text(general)
        return Template(template_id(text), text, self._count_of(general))

    def templates(self) -> list[Template]:
        """Every current template with its message count, most frequent first."""
        counts: Counter[Key] = Counter()
        for key, count in self._key_counts.items():
            counts[self._resolve(key)] += count
        found = [Template(template_id(key_text(k)), key_text(k), c) for k, c in counts.items()]
        return sorted(found, key=lambda t: (-t.count, t.text))

    def _count_of(self, general: Key) -> int:
        return sum(c for k, c in self._key_counts.items() if self._resolve(k) == general)

    def _resolve(self, key: Key) -> Key:
        root = key
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        while key != root:  # path compression
            self._parent[key], key = root, self._parent[key]
        return root

    def _cover(self, key: Key) -> Key:
        """The most specific active template that matches ``key``, else ``key`` itself."""
        if not key:
            return key
        general = self._general_by_length.get(len(key), set())
        # A cover has the key's first token or <*> first: look only there.
        candidates = [c for slot in ((len(key), 0, key[0]), (len(key), 0, VARIABLE))
                      for c in _members(self._by_slot, slot) if c in general]
        best: Key | None = None
        for candidate in candidates:
            if not _covers(candidate, key):
                continue
            if best is None or (candidate.count(VARIABLE), candidate) < (best.count(VARIABLE), best):
                best = candidate
        return best if best is not None else key

    def _activate(self, first: Key) -> None:
        pending = [first]
        while pending:
            key = pending.pop()
            if key in self._active or self._parent.get(key, key) != key:
                continue
            self._register(key)
            for position in range(len(key)):
                bucket_id = (position, _blank(key, position))
                bucket = self._buckets.setdefault(bucket_id, {})
                bucket[key[position]] = key
                if _is_variable_slot(bucket, bucket_id[1], position):
                    general = self._generalise(bucket, key, position)
                    pending.append(general)
                    if key != general:
                        break

    def _register(self, key: Key) -> None:
        self._parent.setdefault(key, key)
        self._active.add(key)
        for position, token in enumerate(key):
            _index_add(self._by_slot, (len(key), position, token), key)
        if VARIABLE in key:
            self._general_by_length.setdefault(len(key), set()).add(key)
            self._absorb_covered(key)

    def _absorb_covered(self, general: Key) -> None:
        """Fold every active template that ``general`` covers into it (whatever came first)."""
        slots = [_members(self._by_slot, (len(general), position, token))
                 for position, token in enumerate(general) if token != VARIABLE]
        if len(slots) < MIN_CONSTANTS:
            return
        covered = set.intersection(*sorted(slots, key=len))
        for key in sorted(covered - {general}):
            self._retire(key)
            self._parent[key] = general

    def _generalise(self, bucket: dict[str, Key], key: Key, position: int) -> Key:
        general = key[:position] + (VARIABLE,) + key[position + 1:]
        for member in list(bucket.values()):
            if member != general:
                self._retire(member)
                self._parent[member] = general
        self._parent.setdefault(general, general)
        return general

    def _retire(self, key: Key) -> None:
        self._active.discard(key)
        self._general_by_length.get(len(key), set()).discard(key)
        for position, token in enumerate(key):
            _index_discard(self._by_slot, (len(key), position, token), key)
        for position in range(len(key)):
            bucket = self._buckets.get((position, _blank(key, position)))
            if bucket is not None and bucket.get(key[position]) == key:
                del bucket[key[position]]


def _index_add(index: dict, slot: tuple, key: Key) -> None:
    held = index.get(slot)
    if held is None:
        index[slot] = key
    elif isinstance(held, set):
        held.add(key)
    elif held != key:
        index[slot] = {held, key}


def _index_discard(index: dict, slot: tuple, key: Key) -> None:
    held = index.get(slot)
    if isinstance(held, set):
        held.discard(key)
        if len(held) == 1:
            index[slot] = next(iter(held))
    elif held == key:
        del index[slot]


def _members(index: dict, slot: tuple) -> set[Key]:
    held = index.get(slot)
    if held is None:
        return set()
    return held if isinstance(held, set) else {held}


def _covers(general: Key, key: Key) -> bool:
    """Whether ``general`` matches ``key`` and keeps enough constants to stand for it."""
    constants = sum(1 for token in general if token != VARIABLE)
    return constants >= MIN_CONSTANTS and all(g == VARIABLE or g == k for g, k in zip(general, key))


def _blank(key: Key, position: int) -> Key:
    return key[:position] + ("",) + key[position + 1:]


def _is_variable_slot(bucket: dict[str, Key], blanked: Key, position: int) -> bool:
    if len(bucket) < 2:
        return False
    constants = sum(1 for token in blanked if token and token != VARIABLE)
    if constants < MIN_CONSTANTS:
        return False
    return VARIABLE in bucket or len(bucket) >= MIN_DISTINCT_WORDS
