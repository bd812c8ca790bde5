"""triage.mine: token keys, the miner's merge rules, stable ids, the library API."""
import hashlib
import random

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from triage.classify.signature import normalise, signature
from triage.mine import TemplateMiner, mask_text, message_key, mine, template_id
from triage.mine.miner import MIN_DISTINCT_WORDS
from triage.mine.tokens import MAX_KEY_TOKENS


@pytest.mark.parametrize("message, key", [
    ("PacketResponder 1 for block blk_-695 terminating",
     ("PacketResponder", "<*>", "for", "block", "<*>", "terminating")),
    ("setTodayTotalDetailSteps=1514038440000##7007", ("setTodayTotalDetailSteps=<*>",)),
    ("acquire lock=2335, flags=0x1, tag=\"View Lock\", ws=null",
     ("acquire", "lock=<*>", "flags=<*>", "tag=<*>", "ws=<*>")),
    ("visible is true", ("visible", "is", "<*>")),
    ("connection from 1.2.3.4 () at Fri Jun 17 07:07:00 2005",
     ("connection", "from", "<*>", "at", "<*>")),              # "()" is an empty value
    ("name an14 an15 an16 an17", ("name", "<*>")),                  # a run of variables is one
    ("closed, 403 bytes sent, lifetime <1 sec", ("closed,", "<*>", "sent,", "lifetime", "<*>")),
    ("setLightsOn(true)", ("setLightsOn(<*>)",)),                   # nothing constant: keep words
    ("proxy.example.edu:5070 open", ("<*>", "open")),               # host:port is one value
    ("\x1b[31mERROR\x1b[0m disk 3 full", ("ERROR", "disk", "<*>", "full")),
    ("   ", ()),
])
def test_message_key(message, key):
    assert message_key(message) == key


def test_a_very_long_line_keeps_its_first_tokens_and_ends_in_one_variable():
    words = " ".join(["alpha", "beta", "gamma"][i % 3] for i in range(100_000))
    key = message_key(words)
    assert len(key) == MAX_KEY_TOKENS and key[-1] == "<*>" and key[:3] == ("alpha", "beta", "gamma")
    assert mine([words, words]).templates[0].count == 2


def test_template_id_is_a_hash_of_the_text():
    text = "Invalid user <*> from <*>"
    assert template_id(text) == "tpl-" + hashlib.sha1(text.encode()).hexdigest()[:12]
    assert template_id(text) == "tpl-5a577bdfb400"


def _users(names):
    return [f"Invalid user {name} from 10.0.0.{i}" for i, name in enumerate(names)]


def test_a_slot_with_enough_different_words_becomes_a_variable():
    names = ["bob", "ann", "eve", "joe", "kim"][:MIN_DISTINCT_WORDS]
    mined = mine(_users(names))
    assert {t.text for t in mined.assignments} == {"Invalid user <*> from <*>"}
    assert mined.templates[0].count == MIN_DISTINCT_WORDS


def test_a_few_different_words_stay_apart():
    mined = mine(["VM Started", "VM Paused", "VM Resumed", "VM Stopped"] * 3)
    assert len(mined.templates) == 4


def test_a_variable_already_seen_in_the_slot_absorbs_words():
    mined = mine(_users(["test9", "bob"]))          # test9 holds a digit: the slot is data
    assert {t.text for t in mined.assignments} == {"Invalid user <*> from <*>"}


def test_short_messages_keep_their_words():
    daemons = ["sshd", "cupsd", "xinetd", "syslogd", "crond", "atd"]
    assert len(mine([f"{d} started" for d in daemons]).templates) == len(daemons)
    # Two constants left are enough to call the slot a variable.
    assert len(mine([f"{d} startup succeeded" for d in daemons]).templates) == 1


def test_same_templates_and_ids_in_any_order():
    messages = (_users(["bob", "ann", "eve", "joe", "kim", "test9"])
                + [f"Registering class a.b.C{i} for class a.b.D" for i in "xyz"]
                + ["Registering class <*> for class <*>", "VM Started", "VM Paused"]
                + [f"session closed for user {u}" for u in ("root", "news", "cyrus")])
    expected = {m: t.id for m, t in zip(messages, mine(messages).assignments)}
    for seed in range(20):
        shuffled = messages[:]
        random.Random(seed).shuffle(shuffled)
        got = {m: t.id for m, t in zip(shuffled, mine(shuffled).assignments)}
        assert got == expected, seed


def test_streaming_miner_generalises_as_lines_arrive():
    miner = TemplateMiner()
    first = miner.add("Invalid user test9 from 10.0.0.1")
    assert first.text == "Invalid user <*> from <*>"
    assert miner.add("Invalid user bob from 10.0.0.2").id == first.id
    assert miner.template_of("Invalid user ann from 10.0.0.3").text == first.text
    assert [(t.text, t.count) for t in miner.templates()] == [("Invalid user <*> from <*>", 2)]


def test_mine_takes_a_series_and_gives_a_frame():
    series = pd.Series(["disk 1 full", None, "disk 2 full", float("nan")])
    frame = mine(series).to_frame()
    assert list(frame.columns) == ["message", "template_id", "template"]
    assert frame["template"].tolist() == ["disk <*> full", "", "disk <*> full", ""]
    assert frame["template_id"].iloc[0] == template_id("disk <*> full")


def test_signature_uses_the_miner_masking():
    one = "Error: expected status 200, got 401 (x-request-id: 5abd3a427b7f4b228163c674cb5c66b7)"
    two = "Error: expected status 200, got 403 (x-request-id: 01a3cacaa73e48f4ad594d8ea714bba3)"
    assert normalise(one) == "Error: expected status <*>, got <*> (x-request-id: <*>)"
    assert signature(one) == signature(two) != signature(one, "AssertionError")
    assert signature("audience 'shop-staging' not allowed") == signature("audience 'x' not allowed")


@pytest.mark.parametrize("message, normalised", [
    ("JWT validation failed: audience 'shop-staging' not allowed (expected 'shop-canary')",
     "JWT validation failed: audience <*> not allowed (expected <*>)"),
    ("CORS origin https://canary.shop.example rejected", "CORS origin https://<*> rejected"),
    ("order-A12B for blk_123 (id=7), user=bob", "<*> for <*> (id=<*>), user=bob"),
    ("\x1b[31m\n  Connection refused: db-3.internal:5432\n  second line 42", "Connection refused: <*>"),
])
def test_normalised_failure_messages_stay_readable(message, normalised):
    assert normalise(message) == normalised


def test_signature_includes_the_top_frames():
    head = "java.lang.IllegalStateException: order 12 missing"
    in_cart = head + "\n\tat com.shop.Cart$1.run(Cart.java:42)\n\t... 3 more"
    in_cart_again = head.replace("12", "97") + "\n\tat com.shop.Cart$2.run(Cart.java:44)\n\t... 9 more"
    in_api = head + "\n\tat com.shop.Api.call(Api.java:42)"
    assert signature(in_cart) == signature(in_cart_again) != signature(in_api)
    assert signature(in_cart).startswith("sig-") and len(signature(in_cart)) == 16



def test_key_cache_bound_does_not_change_templates(monkeypatch):
    import triage.mine.miner as miner_module

    messages = [f"job {i % 3} of user {u} done" for i, u in enumerate("abcdefabcdef")]
    expected = [t.text for t in mine(messages).assignments]
    monkeypatch.setattr(miner_module, "KEY_CACHE_SIZE", 2)
    assert [t.text for t in mine(messages).assignments] == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=20))
def test_never_raises_on_any_text(messages):
    mined = mine(messages)
    assert len(mined.assignments) == len(messages)
    assert sum(t.count for t in mined.templates) == len(messages)
    for found in mined.assignments:
        assert found.id == template_id(found.text)
    for message in messages:
        mask_text(message)
        assert signature(message).startswith("sig-")
