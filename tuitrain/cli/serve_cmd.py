"""``tuitrain serve``: the dashboard in a web browser, through textual-serve.

textual-serve runs ``tuitrain launch`` once per browser tab (its own process, talking to the page over
a websocket), so a browser gets exactly the terminal dashboard. Whoever reaches the address can do
everything the dashboard does, as the user running the server: start, stop and delete runs, read
every run. There is no login. So the server listens on 127.0.0.1 unless told otherwise (reach it
from another machine through ``ssh -L``), and another address needs ``--allow-remote`` and says who
could then control training.
"""

from __future__ import annotations

import getpass
import ipaddress
import shlex
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from tuitrain import workspace
from tuitrain.cli import common
from tuitrain.cli.common import DataDir, RunsDir, console, err_console, fail
from tuitrain.workspace import DEFAULT_PRESET

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, "localhost")."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, it is not known to be private


def who_could_connect(host: str, port: int) -> str:
    """One sentence on who can reach ``host:port`` and what they could do."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
        everywhere = address.is_unspecified
    except ValueError:
        everywhere = False
    reach = (
        f"anyone who can reach port {port} of this machine on any of its networks"
        if everywhere
        else f"anyone who can reach {host}:{port}"
    )
    return (
        f"{reach} can start, stop and delete training runs and read every run in the runs folder, as "
        f"user {getpass.getuser()}, with no password: only serve there on a network you trust"
    )


def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (default: this machine only; see --allow-remote).")
    ] = DEFAULT_HOST,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Allow an address other machines reach (anyone there controls training)."),
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option("--public-url", help="The address the browser uses, when it differs (e.g. another ssh -L port)."),
    ] = None,
    preset: Annotated[str, typer.Option("--preset", "-p", help="Preset the dashboard opens on.")] = DEFAULT_PRESET,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the dashboard to a web browser (textual-serve); each tab gets its own dashboard.

    Listens on 127.0.0.1: from your laptop, 'ssh -L 8000:localhost:8000 server' and open http://localhost:8000.

    Training runs in trainer processes as always: closing the tab or stopping the server leaves them running.
    """
    if not is_loopback(host):
        if not allow_remote:
            fail(f"--host {host}: {who_could_connect(host, port)}; pass --allow-remote to serve there anyway")
        err_console.print(f"tuitrain: warning: {who_could_connect(host, port)}", markup=False, soft_wrap=True)
    _check_port_free(host, port)

    from textual_serve.server import Server

    command = [sys.executable, "-m", "tuitrain", "launch", "--preset", preset]
    command += ["--runs-dir", str(common.runs_root(runs_dir).expanduser().absolute())]
    data = workspace.data_dir(data_dir)
    if data is not None:
        command += ["--data-dir", str(Path(data).expanduser().absolute())]
    shown = f"[{host}]" if ":" in host else host
    url = public_url or f"http://{shown}:{port}"
    server = Server(shlex.join(command), host=host, port=port, title="tuitrain", public_url=url)
    console.print(f"tuitrain dashboard on {url} (Ctrl+C stops the server; runs keep training)", markup=False)
    try:
        server.serve()
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}: pass another --port or --host")


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line when the port is taken, before textual-serve prints its banner."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        fail(f"--host {host}: {exc.strerror}: give an address of this machine")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot serve on {host}:{port}: {exc.strerror}: pass another --port")
