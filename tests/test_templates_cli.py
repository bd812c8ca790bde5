"""`triage templates` per CONTRACT §6: stdin lines -> '<template id>\\t<template>' lines, in order."""
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from triage.cli import app
from triage.mine import template_id

REPO = Path(__file__).resolve().parents[1]
EMPTY_ID = template_id("")


def _templates(stdin: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "triage", "templates", *args], input=stdin,
                          capture_output=True, cwd=REPO, timeout=60)


def test_one_output_line_per_input_line_in_order():
    stdin = (b"Invalid user test9 from 10.0.0.1\n"
             b"Invalid user bob from 10.0.0.2\n"
             b"session closed for user root\n")
    out = _templates(stdin)
    assert out.returncode == 0, out.stderr
    user = "Invalid user <*> from <*>"
    assert out.stdout.decode().splitlines() == [
        f"{template_id(user)}\t{user}",
        f"{template_id(user)}\t{user}",
        f"{template_id('session closed for user root')}\tsession closed for user root",
    ]


def test_empty_lines_crlf_and_invalid_utf8():
    replaced = "bad \ufffd\ufffd bytes <*>"
    out = _templates(b"disk 1 full\r\n\n   \nbad \xff\xfe bytes 7\nlast line without newline 3")
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode("utf-8").splitlines() == [
        f"{template_id('disk <*> full')}\tdisk <*> full",
        f"{EMPTY_ID}\t",
        f"{EMPTY_ID}\t",
        f"{template_id(replaced)}\t{replaced}",
        f"{template_id('last line without newline <*>')}\tlast line without newline <*>",
    ]


def test_streaming_shows_the_template_known_so_far_and_final_waits():
    words = ["bob", "ann", "eve", "joe", "kim"]
    stdin = "".join(f"Invalid user {w} from 10.0.0.{i}\n" for i, w in enumerate(words)).encode()
    streamed = [line.split("\t")[1] for line in _templates(stdin).stdout.decode().splitlines()]
    assert streamed == [f"Invalid user {w} from <*>" for w in words[:4]] + ["Invalid user <*> from <*>"]
    final = [line.split("\t")[1] for line in _templates(stdin, "--final").stdout.decode().splitlines()]
    assert final == ["Invalid user <*> from <*>"] * 5


def test_output_file_and_no_input(tmp_path):
    target = tmp_path / "templates.tsv"
    result = CliRunner().invoke(app, ["templates", "--output", str(target)], input="job 12 done\n")
    assert result.exit_code == 0, result.output
    assert target.read_text() == f"{template_id('job <*> done')}\tjob <*> done\n"
    assert _templates(b"").stdout == b""


def test_unwritable_output_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["templates", "--output", str(tmp_path / "no" / "x.tsv")],
                                input="a 1\n")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "x.tsv" in result.stderr


def test_reader_closing_the_pipe_early_is_not_an_error(tmp_path):
    source = tmp_path / "big.log"
    source.write_text("".join(f"request {i} served in {i % 97} ms\n" for i in range(200_000)))
    shell = f"{sys.executable} -m triage templates < {source} | head -n 1"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.stdout == f"{template_id('request <*> served in <*>')}\trequest <*> served in <*>\n"
    assert out.stderr == "" and out.returncode == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"")), max_size=12))
def test_any_bytes_give_one_tab_separated_line_per_input_line(lines):
    stdin = b"".join(line + b"\n" for line in lines)
    result = CliRunner().invoke(app, ["templates"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = result.stdout_bytes.split(b"\n")
    assert rows[-1] == b"" and len(rows) - 1 == len(lines)
    for row in rows[:-1]:
        ident, tab, template = row.decode("utf-8").partition("\t")
        assert tab and ident == template_id(template)

