"""``python -m tuitrain ...``: the command line, for callers that need an interpreter path (``tuitrain serve``)."""

from tuitrain.cli import app

if __name__ == "__main__":  # importing the module (a walk over the package) runs nothing
    app(prog_name="tuitrain")
