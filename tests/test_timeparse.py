from datetime import datetime, timezone

from hypothesis import given, strategies as st

from triage.ingest.timeparse import parse_any, parse_clf, parse_epoch, parse_iso, to_iso


def test_iso_variants_are_utc_with_fractions():
    assert to_iso(parse_iso("2020-08-19T21:06:24.33754077Z")) == "2020-08-19T21:06:24.337Z"
    assert to_iso(parse_iso("2022-04-20T18:46:21.484+02:00")) == "2022-04-20T16:46:21.484Z"
    assert to_iso(parse_iso("2018-05-17T08:19:35,939")) == "2018-05-17T08:19:35.939Z"
    assert to_iso(parse_iso("2015-10-18 18:04:08,987")) == "2015-10-18T18:04:08.987Z"
    assert to_iso(parse_iso("2026-11-20T10:00:00+0100")) == "2026-11-20T09:00:00.000Z"


def test_clf_with_offset_and_fraction():
    assert to_iso(parse_clf("07/Dec/2016:11:05:07 +0100")) == "2016-12-07T10:05:07.000Z"
    assert to_iso(parse_clf("10/Dec/2018:12:01:46.395")) == "2018-12-10T12:01:46.395Z"
    assert parse_clf("32/Foo/2016:11:05:07 +0100") is None


def test_epoch_units_told_apart_by_magnitude():
    expected = 1614232668.399
    for value in (1614232668.399, 1614232668399, 1614232668399000, "1614232668399000000"):
        assert abs(parse_epoch(value) - expected) < 1e-3


def test_garbage_and_out_of_range_give_none():
    assert parse_iso("not a time at all") is None
    assert parse_iso("9999-12-31T23:59:59Z") is None
    assert parse_any(True) is None
    assert parse_any("") is None
    assert parse_epoch(float("nan")) is None


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1),
                    timezones=st.just(timezone.utc)))
def test_iso_round_trip(moment):
    text = moment.isoformat().replace("+00:00", "Z")
    parsed = parse_iso(text)
    assert parsed is not None
    assert abs(parsed - moment.timestamp()) < 1e-5


@given(st.text(max_size=80))
def test_parsers_never_raise(text):
    for parser in (parse_iso, parse_clf, parse_any, parse_epoch):
        result = parser(text)
        assert result is None or isinstance(result, float)
