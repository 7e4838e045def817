"""The production gunicorn command, read from the one place it is written: README.md.

(Not named ``gunicorn``: with ``deploy/`` on ``sys.path`` that name would hide the package.)

The README's Production section shows the command an operator runs on every instance;
``bin/production`` (deploy/local.py) and ``bench/compare`` start gunicorn with its options,
so that what is documented, what runs locally and what is measured are the same.
"""

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "wsgi:app"


def production_options(readme=ROOT / "README.md", workers=None, threads=None):
    """Return the options of README.md's production gunicorn command, less address and app.

    ``workers`` and ``threads`` replace the command's own (a benchmark trying another size).
    Raises ``ValueError`` if the README shows no such command.
    """
    text = Path(readme).read_text()
    section = re.search(r"^## Production\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    command = section and re.search(r"^(gunicorn (?:.*\\\n)*.*)$", section.group(1), re.M)
    if not command:
        raise ValueError(f"{readme}'s Production section shows no `gunicorn … {APP}` command: "
                         "write it there; bin/production and bench/compare start it.")
    words = shlex.split(command.group(1).replace("\\\n", " "))[1:]
    if words[-1:] != [APP]:
        raise ValueError(f"{readme}'s gunicorn command must end with {APP}: {words}")
    options, skip = [], False
    for word in words[:-1]:
        if skip:
            skip = False
        elif word in ("-b", "--bind"):
            skip = True  # each caller binds its own address
        elif not word.startswith("--bind="):
            options.append(word)
    if workers is not None:
        options = _replaced(options, ("-w", "--workers"), str(workers))
    if threads is not None:
        options = _replaced(options, ("--threads",), str(threads))
    return options


def requests_at_once(options):
    """Return how many requests gunicorn with ``options`` serves at once: workers × threads."""
    return int(_value(options, ("-w", "--workers"), 1)) * int(_value(options, ("--threads",), 1))


def _value(options, names, default):
    for i, word in enumerate(options):
        if word in names and i + 1 < len(options):
            return options[i + 1]
        for name in names:
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return default


def _replaced(options, names, value):
    for i, word in enumerate(options):
        if word in names:
            return [*options[:i + 1], value, *options[i + 2:]]
        if word.startswith(tuple(f"{name}=" for name in names)):
            return [*options[:i], f"{names[-1]}={value}", *options[i + 1:]]
    return [*options, names[-1], value]
