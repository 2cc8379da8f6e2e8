"""``tuitrain serve``: loopback by default; anything else only when asked, with who could then control training."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from tuitrain.cli import app
from tuitrain.cli.serve_cmd import is_loopback, who_could_connect

runner = CliRunner()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "192.168.0.5", "example.org", "my-server"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "my-server"])
def test_serving_beyond_this_machine_is_refused_without_allow_remote(host: str) -> None:
    result = runner.invoke(app, ["serve", "--host", host, "--port", "8000"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"tuitrain: --host {host}: anyone who can reach")
    assert "start, stop and delete training runs" in lines[0] and "--allow-remote" in lines[0]


def test_the_warning_names_who_and_what() -> None:
    everywhere = who_could_connect("0.0.0.0", 8000)
    assert everywhere.startswith("anyone who can reach port 8000 of this machine on any of its networks")
    assert "no password" in everywhere
    assert who_could_connect("10.1.2.3", 9000).startswith("anyone who can reach 10.1.2.3:9000")


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"tuitrain: cannot serve on 127.0.0.1:{port}:")
    assert "pass another --port" in result.output and len(result.output.strip().splitlines()) == 1
