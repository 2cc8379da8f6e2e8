"""``python -m tuitrain ...``: the command line, for callers that need an interpreter path (``tuitrain serve``)."""

from tuitrain.cli import app

app(prog_name="tuitrain")
