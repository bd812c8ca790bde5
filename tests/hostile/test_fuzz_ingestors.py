"""Property tests: every registered ingestor and the detector, fed hostile bytes.

The ingestors come from the registry, so a format added later is fuzzed without
touching this file. Invariants (``fuzz/harness.py``): no exception but
``UnreadableSource`` leaves an ingestor, ``read_source`` never raises, events are
well typed with finite in-range times, and in one-event-per-line formats every
non-blank line is an event or a counted skip that names its line.
"""
from __future__ import annotations

import gzip
import os

import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.corpus import lines_by_format, seeds_by_format
from fuzz.harness import (check_accounting, check_outcome, detect_and_read, ingest, is_strict_lines)
from triage.ingest import registry
from triage.ingest.base import Head, SourceFile
from triage.model import SourceKind

INGESTORS = registry.ingestors()
NAMES = sorted(INGESTORS)
EVENT_NAMES = [n for n in NAMES if INGESTORS[n].kind is SourceKind.EVENTS]
STRICT_NAMES = [n for n in NAMES if is_strict_lines(INGESTORS[n])]
FUZZ = settings(max_examples=int(os.environ.get("TRIAGE_FUZZ_EXAMPLES", "25")), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pieces that break parsers: NULs, invalid UTF-8, stray BOMs, controls, quotes.
NASTY = [b"\x00", b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xff\xfe", b"\r",
         b"\x1b[31m", b'"', b"{", b"}", b"[", b"\\", b"\t", b"\xe2\x80\xae", b"%s%n", b"=", b" "]


def _name_for(fmt: str) -> str:
    seeds = seeds_by_format().get(fmt)
    return seeds[0][0] if seeds else "fuzz.log"


@st.composite
def mutated_line(draw, lines: list[str]) -> bytes:
    """A sample line cut, spliced with nasty bytes, or left whole."""
    line = draw(st.sampled_from(lines)).encode("utf-8")
    action = draw(st.sampled_from(("keep", "cut", "splice", "garbage")))
    if action == "keep":
        return line
    at = draw(st.integers(0, len(line)))
    if action == "cut":
        return line[:at]
    if action == "splice":
        return line[:at] + draw(st.sampled_from(NASTY)) + line[at:]
    return draw(st.binary(max_size=200)).replace(b"\n", b" ")


@st.composite
def line_file(draw, fmt: str) -> bytes:
    """A file of the format's sample lines, the first whole, the rest mutated or blank."""
    lines = lines_by_format()[fmt]
    first = draw(st.sampled_from(lines)).encode("utf-8")
    rest = draw(st.lists(st.one_of(mutated_line(lines), st.sampled_from([b"", b"   ", b"\r"])),
                         max_size=12))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    return newline.join([first, *rest]) + draw(st.sampled_from([b"", newline]))


@pytest.mark.parametrize("fmt", NAMES)
@FUZZ
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_never_escape_an_ingestor(fmt, data):
    ingestor = INGESTORS[fmt]
    check_outcome(ingestor, ingest(ingestor, data, _name_for(fmt)), data)


@pytest.mark.parametrize("fmt", NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_samples_never_escape_an_ingestor(fmt, data):
    seeds = seeds_by_format().get(fmt)
    if not seeds:
        pytest.skip(f"no sample of {fmt} here (the real samples in ../shared are absent)")
    name, seed = data.draw(st.sampled_from(seeds))
    cut = data.draw(st.integers(0, len(seed)))
    nasty = data.draw(st.sampled_from(NASTY))
    blob = seed[:cut] + nasty + seed[cut:]
    ingestor = INGESTORS[fmt]
    check_outcome(ingestor, ingest(ingestor, blob, name), blob)


@pytest.mark.parametrize("fmt", STRICT_NAMES)
@FUZZ
@given(data=st.data())
def test_every_line_is_an_event_or_a_located_skip(fmt, data):
    if fmt not in lines_by_format():
        pytest.skip(f"no sample of {fmt} here (the real samples in ../shared are absent)")
    blob = data.draw(line_file(fmt))
    ingestor = INGESTORS[fmt]
    outcome = ingest(ingestor, blob, _name_for(fmt))
    check_outcome(ingestor, outcome, blob)
    check_accounting(outcome, blob)


@FUZZ
@given(data=st.binary(max_size=8192))
def test_detection_and_reading_never_raise_on_arbitrary_bytes(data):
    result = detect_and_read(data)
    if result.info.status == "ok" and result.frame is not None:
        assert len(result.frame) == result.info.events


@pytest.mark.parametrize("fmt", NAMES)
@FUZZ
@given(data=st.data())
def test_truncated_gzip_keeps_what_was_read(fmt, data):
    seeds = seeds_by_format().get(fmt)
    if not seeds:
        pytest.skip(f"no sample of {fmt} here (the real samples in ../shared are absent)")
    name, seed = data.draw(st.sampled_from(seeds))
    whole = gzip.compress(seed)
    cut = data.draw(st.integers(2, len(whole) - 1))
    full = detect_and_read(whole, name + ".gz")
    part = detect_and_read(whole[:cut], name + ".gz")
    assert part.info.status in ("ok", "truncated", "empty", "error", "unsupported", "binary")
    assert part.info.events <= full.info.events
    if part.info.status == "truncated" and part.info.kind is SourceKind.EVENTS:
        assert f"kept the {part.info.events} events" in part.info.reason


# ------------------------------------------------------------ timestamps and keys

_ZONES = st.builds(lambda h, m, sign: f"{sign}{h:02d}:{m:02d}", st.integers(0, 99), st.integers(0, 99),
                   st.sampled_from("+-"))
ODD_TIMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-2**80, 2**80),
    st.builds(lambda y, mo, d, h, zone: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:00:00{zone}",
              st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
              st.one_of(_ZONES, st.sampled_from(["Z", "", "+14:00", "-12:00", " UTC", "+0545"]))),
    st.text(max_size=40),
    st.none(), st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
TIME_KEYS = ("ts", "time", "timestamp", "@timestamp", "start_time", "started_at", "date", "datetime",
             "StartTime", "startTime", "started", "upstream_time", "request_time", "latency",
             "duration", "timeUnixNano", "observedTimeUnixNano")


def _json_object(line: str):
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and value else None


_JSON_SEEDS = {fmt: [line for line in lines if _json_object(line) is not None]
               for fmt, lines in lines_by_format().items()}
JSON_FORMATS = [fmt for fmt in EVENT_NAMES if _JSON_SEEDS.get(fmt)]


def _replace_times(value, new):
    if isinstance(value, dict):
        return {k: (new if k in TIME_KEYS else _replace_times(v, new)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_times(v, new) for v in value]
    return value


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@FUZZ
@given(data=st.data())
def test_odd_timestamps_become_times_in_range_or_none(fmt, data):
    line = data.draw(st.sampled_from(_JSON_SEEDS[fmt]))
    obj = _json_object(line)
    odd = data.draw(ODD_TIMES)
    text = orjson.dumps(_replace_times(obj, "__ODD__")).decode()
    blob = (line + "\n" + text.replace('"__ODD__"', _json_literal(odd)) + "\n").encode("utf-8", "surrogatepass")
    ingestor = INGESTORS[fmt]
    check_outcome(ingestor, ingest(ingestor, blob, _name_for(fmt)), blob)


def _json_literal(value) -> str:
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "1e999" if value > 0 else "-1e999"
    try:
        return orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except TypeError:  # integers beyond 64 bits
        return str(value)


ODD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                       st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@FUZZ
@given(data=st.data())
def test_duplicate_keys_with_other_types_never_escape(fmt, data):
    """A key repeated with another type: the last one wins (as in orjson) and must be coped with."""
    line = data.draw(st.sampled_from(_JSON_SEEDS[fmt]))
    obj = _json_object(line)
    key = data.draw(st.sampled_from(sorted(obj)))
    value = data.draw(ODD_VALUES)
    duplicated = line.rstrip()[:-1] + "," + orjson.dumps(key).decode() + ":" + _json_literal(value) + "}"
    blob = (line + "\n" + duplicated + "\n").encode()
    ingestor = INGESTORS[fmt]
    outcome = ingest(ingestor, blob, _name_for(fmt))
    check_outcome(ingestor, outcome, blob)
    if is_strict_lines(ingestor):
        check_accounting(outcome, blob)


def test_every_format_has_seeds_when_the_real_samples_are_present(real):
    assert set(seeds_by_format()) == set(INGESTORS)


def test_head_of_source_reads_gzip_and_plain_alike(tmp_path):
    plain, packed = tmp_path / "a.log", tmp_path / "a.log.gz"
    plain.write_bytes(b"line one\nline two\n")
    packed.write_bytes(gzip.compress(b"line one\nline two\n"))
    assert Head.of(SourceFile(plain, "a")).lines == Head.of(SourceFile(packed, "a")).lines == ["line one", "line two"]
