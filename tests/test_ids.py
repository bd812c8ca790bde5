import uuid

from hypothesis import given, strategies as st

from triage.ingest.ids import ids_in_text, normalize_request_id, normalize_trace_id, parse_traceparent


def test_uuid_and_32_hex_spellings_are_one_id():
    dashed = "C62EC130-6DEE-4F3B-A52B-4F0D1312D89D"
    assert normalize_request_id(dashed) == normalize_request_id("c62ec1306dee4f3ba52b4f0d1312d89d")
    assert normalize_request_id("req-38101a0b-2096-447d-96ea-a692162415ae") == "38101a0b2096447d96eaa692162415ae"


def test_placeholders_are_not_ids():
    for value in ("", "-", "null", "unknownId", None, "00000000-0000-0000-0000-000000000000"):
        assert normalize_request_id(value) is None


def test_opaque_ids_kept_as_written():
    assert normalize_request_id(" GQIVriFLIAMEMsA= ") == "GQIVriFLIAMEMsA="


def test_trace_id_from_traceparent_xray_and_bare_hex():
    assert normalize_trace_id("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == "0af7651916cd43dd8448eb211c80319c"
    assert normalize_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1") == "5759e988bd862e3fe1be46a994272793"
    assert normalize_trace_id("5B8EFFF798038103D269B633813FC60C") == "5b8efff798038103d269b633813fc60c"
    assert parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == (
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert parse_traceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") is None


def test_ids_found_in_free_text():
    text = ("Error: expected status 200, got 401 (x-request-id: 9F1C0000-AAAA-BBBB-CCCC-DDDDEEEEFFFF)\n"
            "traceparent 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    assert ids_in_text(text) == {"9f1c0000aaaabbbbccccddddeeeeffff", "0af7651916cd43dd8448eb211c80319c"}
    assert ids_in_text("sha deadbeef and build 1234") == set()


@given(st.uuids())
def test_any_uuid_normalises_to_its_hex(value: uuid.UUID):
    assert normalize_request_id(str(value).upper()) == (value.hex if value.int else None)
    assert ids_in_text(f"id={value} done") == ({value.hex} if value.int else set())


@given(st.text(max_size=120))
def test_normalisers_never_raise(text):
    for func in (normalize_request_id, normalize_trace_id):
        out = func(text)
        assert out is None or isinstance(out, str)
    assert isinstance(ids_in_text(text), set)


_HEX = "0123456789abcdef"


@given(st.uuids(), st.text(_HEX, min_size=16, max_size=16), st.text(_HEX, min_size=2, max_size=2),
       st.booleans())
def test_fast_paths_give_what_the_general_steps_give(value, span, flags, zero):
    """Lower-case UUIDs and traceparents take a shortcut; a leading space sends the
    same id through the general steps, which must agree."""
    dashed = "00000000-0000-0000-0000-000000000000" if zero else str(value)
    trace = dashed.replace("-", "")
    for raw in (dashed, f"{flags}-{trace}-{span}-{flags}"):
        assert normalize_request_id(raw) == normalize_request_id(" " + raw)
        assert normalize_trace_id(raw) == normalize_trace_id(" " + raw)
    assert normalize_request_id(dashed) == (None if zero else value.hex)
    assert normalize_trace_id(f"00-{trace}-{span}-01") == trace
