"""triage.mine.masking: each variable kind, quoted values and stack collapsing."""
import pytest

from triage.mine import mask_quoted, mask_text, normalise_stack
from triage.mine.masking import MASK_KINDS


@pytest.mark.parametrize("text, masked", [
    ("2026-11-20T10:00:01.250Z done", "<*> done"),                      # ISO 8601
    ("2026-11-20 10:00:01,250 done", "<*> done"),                       # log4j
    ("Nov 20 10:00:01 host", "<*> host"),                               # syslog
    ("connection at Fri Jun 17 07:07:00 2005", "connection at <*>"),    # ctime
    ("Thu, 20 Nov 2026 10:00:01 GMT x", "<*> x"),                       # RFC 2822
    ("at 10:00:01.250 ok", "at <*> ok"),                                # clock time
    ("GET https://api.example.com:8443/v1/users?id=7&x=1#frag", "GET https://<*>/v1/users?<*>"),
    ("id 123e4567-e89b-12d3-a456-426614174000 x", "id <*> x"),          # UUID
    ("mail bob.smith+x@example.co.uk now", "mail <*> now"),             # e-mail
    ("from fe80::1ff:fe23:4567:890a now", "from <*> now"),              # IPv6
    ("from 10.0.0.1:5050 now", "from <*> now"),                         # IPv4 + port
    ("ptr 0x7fff5fbff8a0 seq abcdef0123456789", "ptr <*> seq <*>"),     # hex
    ("open /var/log/app.log failed", "open <*> failed"),                # path
    ("to db.internal:5432 failed", "to <*> failed"),                    # host:port
    ("sent 1190 bytes (1.16 KB) in 35 ms", "sent <*> in <*>"),          # size, duration
    ("took 1.5s", "took <*>"),
    ("count 42 of -7 items ratio 0.25", "count <*> of <*> items ratio <*>"),  # numbers
])
def test_each_mask_kind(text, masked):
    assert mask_text(text) == masked


def test_mask_kinds_are_named_in_order():
    assert MASK_KINDS == ("timestamp", "url", "uuid", "ipv6", "ipv4", "hex", "query", "email",
                          "path", "host-port", "quantity", "number")


def test_words_stay():
    text = "CCLogTap::profileRemoved, Owner: com.apple.iokit, Name: OneStats"
    assert mask_text(text) == text


def test_quoted_values():
    assert mask_quoted("user 'bob' said \"hi there\" via `x`") == "user <*> said <*> via <*>"


def test_stack_collapses_generated_frames_hashes_and_more_lines():
    stack = "\n".join([
        "java.lang.IllegalStateException: boom",
        "\tat com.shop.Cart$1.run(Cart.java:42)",
        "\tat com.shop.Cart$$Lambda$14/0x0000000800c03000.accept(Unknown Source)",
        "\tat sun.reflect.GeneratedMethodAccessor12.invoke(Unknown Source)",
        "\tat jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
        "\tat com.shop.Session@5f2a1b9c.open(Session.java:7)",
        "\t... 12 more",
        "    at Object.<anonymous> (/app/src/cart.test.ts:12:5)",
        "    at node:internal/process/task_queues:95:5",
        '  File "/app/cart.py", line 17, in add',
    ])
    assert normalise_stack(stack) == [
        "java.lang.IllegalStateException: boom",
        "at com.shop.Cart.run(Cart.java:<*>)",
        "at com.shop.Cart.accept(Unknown Source)",
        "at com.shop.Session.open(Session.java:<*>)",
        "at Object.<anonymous> (<*>:<*>)",
        'File "<*>", line <*>, in add',
    ]


def test_same_failure_on_another_run_normalises_the_same():
    one = "\tat com.shop.Api$3.call(Api.java:88)\n\tat com.shop.Proxy@1a2b3c.invoke(Proxy.java:9)\n\t... 4 more"
    two = "\tat com.shop.Api$7.call(Api.java:90)\n\tat com.shop.Proxy@ffee01.invoke(Proxy.java:9)\n\t... 31 more"
    assert normalise_stack(one) == normalise_stack(two)
