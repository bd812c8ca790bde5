"""Request and trace ids as numbers: the loader's spellings (16 or 32 lower-case
hex digits) read as 128 bits, so that ids are joined, sorted and looked up as
integers instead of hashed and compared as strings.

An id's words are three numbers: its first 16 digits, 1 if it is 32 digits
long else 0, and its last 16 digits (or 0). Compared in that order they sort
exactly as the strings do (a 16-digit id sorts before the 32-digit ids that start
with it, as a string prefix does). ``words`` arrays hold them as three rows
(``words[0]`` the first numbers of every id, and so on), each one contiguous.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

HEX_ID = re.compile(r"[0-9a-f]{16}(?:[0-9a-f]{16})?")
# Byte-wise constants for eight characters held in one 64-bit number.
_ONES, _LOW_NIBBLES, _HIGH_NIBBLES = 0x0101010101010101, 0x0F0F0F0F0F0F0F0F, 0xF0F0F0F0F0F0F0F0
_ASCII_ZEROS, _SIXES = 0x3030303030303030, 0x0606060606060606
# Gathers eight one-digit bytes into the low 32 bits, first digit highest; and back.
_PACK = ((4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0x00000000FFFFFFFF))
_UNPACK = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F))
# Values read per step: small enough that a step's strings and arrays stay in
# the CPU cache (whole-column temporaries cost more in cache misses and page faults).
_SLICE = 8192


def hex_words(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The words of the present values of ``values`` (an object column that may
    hold None/NaN), in order, and the mask of present values; None when a present
    value is not a 16- or 32-digit lower-case hex string."""
    present = np.zeros(len(values), dtype=bool)
    words = np.empty((3, len(values)), dtype=np.uint64)
    filled = 0
    for start in range(0, len(values), _SLICE):
        part = values[start:start + _SLICE]
        here = pd.notna(part)
        rows = _slice_words(part[here])
        if rows is None:
            return None
        present[start:start + _SLICE] = here
        words[:, filled:filled + rows.shape[1]] = rows
        filled += rows.shape[1]
    return words[:, :filled], present


def _slice_words(values: np.ndarray) -> np.ndarray | None:
    """The words of ``values`` (no missing ones), or None if one is not a hex id."""
    if len(values) == 0:
        return np.zeros((3, 0), dtype=np.uint64)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return None
    try:
        raw = values.astype("S32")  # pads shorter ids with NUL bytes, cuts longer ones
    except UnicodeEncodeError:
        return None
    # Eight characters a number, the first the highest byte; all byte-wise below.
    chars = raw.view(">u8").reshape(-1, 4).astype(np.uint64)
    short = (chars[:, 2] == 0) & (chars[:, 3] == 0)
    chars[short, 2:] = _ASCII_ZEROS
    digits = (chars & _LOW_NIBBLES) + 9 * ((chars >> 6) & _ONES)  # '0'-'9' -> 0-9, 'a'-'f' -> 10-15
    spelled = digits + _ASCII_ZEROS + 39 * (((digits + _SIXES) >> 4) & _ONES)
    # Digits 0-15 spell only hex characters, so only hex characters spell themselves back.
    if (digits & _HIGH_NIBBLES).any() or not np.array_equal(spelled, chars):
        return None
    # 16 hex digits then NULs, or 32: the lengths rule out longer ids and NULs in ids.
    if sum(map(len, values)) != 32 * len(values) - 16 * int(short.sum()):
        return None
    for shift, mask in _PACK:
        digits = (digits | (digits >> shift)) & mask
    return np.stack([(digits[:, 0] << 32) | digits[:, 1], (~short).astype(np.uint64),
                     (digits[:, 2] << 32) | digits[:, 3]])


def spell_words(words: np.ndarray) -> np.ndarray:
    """The ids that ``words`` hold, as new strings (laid out together in memory,
    which makes pandas' checks of them as categories cheap)."""
    digits = np.stack([words[0] >> 32, words[0] & 0xFFFFFFFF, words[2] >> 32, words[2] & 0xFFFFFFFF], axis=1)
    for shift, mask in _UNPACK:
        digits = (digits | (digits << shift)) & mask
    chars = digits + _ASCII_ZEROS + 39 * (((digits + _SIXES) >> 4) & _ONES)
    chars[words[1] == 0, 2:] = 0  # a 16-digit id: NUL padding, dropped below
    spelled = chars.astype(">u8").view("S32").ravel().tolist()
    return np.array(list(map(bytes.decode, spelled)), dtype=object)


def rank_words(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the ids in ``words``: each one's rank among the distinct ids in sorted
    order, and the distinct ids' words sorted."""
    codes, first, by_head = _factorize(words)
    distinct = words[:, first]
    if by_head:  # no two ids share their first 16 digits
        order = np.argsort(distinct[0])
    else:
        order = np.lexsort((distinct[2], distinct[1], distinct[0]))
    rank_of_code = np.empty(len(order), dtype=np.int64)
    rank_of_code[order] = np.arange(len(order))
    return rank_of_code[codes], distinct[:, order]


def _factorize(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Codes of the distinct ids in ``words`` (in order of first appearance), the
    position where each first appears, and whether the first number alone told them apart."""
    codes, _ = pd.factorize(words[0])
    first = first_positions(codes)
    if all(np.array_equal(row[first][codes], row) for row in words[1:]):
        return codes, first, True
    low, _ = pd.factorize(words[2])
    codes, _ = pd.factorize((codes.astype(np.int64) * (int(low.max()) + 1) + low) * 2
                            + words[1].astype(np.int64))
    return codes, first_positions(codes), False


def first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code of a factorization (numbered by first appearance) first appears."""
    seen_before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    return np.flatnonzero(codes > seen_before)


def find_words(sorted_words: np.ndarray, ids: list[str]) -> dict[str, int]:
    """The position in ``sorted_words`` (distinct ids, sorted) of each of ``ids``,
    for those it holds."""
    spelled = [id_ for id_ in ids if isinstance(id_, str) and HEX_ID.fullmatch(id_)]
    if not spelled or sorted_words.shape[1] == 0:
        return {}
    words, _ = hex_words(np.array(spelled, dtype=object))
    heads = sorted_words[0]
    found = {}
    for id_, column, left, right in zip(spelled, words.T, np.searchsorted(heads, words[0], "left"),
                                         np.searchsorted(heads, words[0], "right")):
        for at in range(left, right):  # the ids sharing this one's first 16 digits
            if (sorted_words[:, at] == column).all():
                found[id_] = int(at)
    return found
