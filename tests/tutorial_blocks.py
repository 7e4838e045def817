"""The code blocks of docs/tutorial.md, read with the parser that renders the page.

Each fenced block's info string says how the tests run it:

- ``sh`` — commands run in the LxL ID folder (``tests/test_tutorial.py``);
- ``sh serve`` — starts your site, run in its folder until it answers (same file);
- ``python FILE`` / ``html FILE`` — a file the tutorial tells you to save in your site's
  folder; the site is then served and driven in real Chromium
  (``tests/browser/test_tutorial.py``). A later block for the same file is an alternative
  to the earlier one, and is run in its place.

The tutorial is written for LxL ID on port 5000 and your site on port 8000; the tests run
every block as written with those ports, and the ``client_id`` placeholder, replaced.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from app.ngo import tutorial_page

REPO = Path(__file__).parents[1]
CLIENT_ID_PLACEHOLDER = "the client_id that lxl clients add printed"
RUNNABLE = {"sh": {"", "serve"}, "python": None, "html": None}  # None: any file name


class Block(NamedTuple):
    """One fenced code block: its language, what follows the language, and its code."""

    language: str
    argument: str
    code: str


def blocks():
    """Return every fenced code block of the tutorial, in order."""
    tokens = tutorial_page.parser().parse(tutorial_page.SOURCE.read_text(encoding="utf-8"))
    found = []
    for token in tokens:
        if token.type in ("fence", "code_block"):
            language, _, argument = token.info.strip().partition(" ")
            found.append(Block(language, argument.strip(), token.content))
    return found


def with_ports(code, idp_port, site_port, client_id=None):
    """Return ``code`` with the tutorial's ports (5000, 8000) and placeholder replaced."""
    code = (code.replace("localhost:5000", f"localhost:{idp_port}")
                .replace("localhost:8000", f"localhost:{site_port}")
                .replace("--port 8000", f"--port {site_port}"))
    return code.replace(CLIENT_ID_PLACEHOLDER, client_id) if client_id else code


def site_versions():
    """Return each version of your site's files: ``[{path: code}]``, one per alternative."""
    versions = [{}]
    for block in blocks():
        if block.language in ("python", "html"):
            if block.argument in versions[-1]:
                versions.append(dict(versions[-1]))
            versions[-1][block.argument] = block.code
    return versions


def write_site(folder, files, idp_port, site_port):
    """Write your site's files into ``folder`` as the tutorial says, with the test ports."""
    for name, code in files.items():
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(with_ports(code, idp_port, site_port), encoding="utf-8")


def shell_environment(database_url, port):
    """Return the environment for the tutorial's commands: this venv, a database of the test's."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "LXL_DATABASE_URL": database_url, "PORT": str(port),
            # Else the CLI would write a secret key into the repository's instance folder.
            "LXL_SECRET_KEY": "tutorial-tests"}


def register_your_site(env, idp_port, site_port):
    """Run the tutorial's plain ``sh`` blocks in the LxL ID folder; return their outputs."""
    outputs = []
    for block in blocks():
        if block.language == "sh" and not block.argument:
            done = subprocess.run(["bash", "-euo", "pipefail", "-c",
                                   with_ports(block.code, idp_port, site_port)],
                                  cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, (block.code, done.stdout, done.stderr)
            outputs.append(done.stdout)
    return outputs


def client_id_of(outputs):
    """Return the ``client_id`` that ``lxl clients add`` printed among ``outputs``."""
    return next(json.loads(out)["client_id"] for out in outputs if '"client_id"' in out)


def serve_environment(client_id, idp_port, site_port):
    """Return the variables the ``sh serve`` block exports, as bash sets them."""
    (serve,) = [b for b in blocks() if b.language == "sh" and b.argument == "serve"]
    exports = "\n".join(line for line in serve.code.splitlines() if line.startswith("export "))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", exports + "\nenv -0"],
                          env={"PATH": os.environ["PATH"]}, capture_output=True, text=True,
                          check=True)
    variables = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    exported = [line.split()[1].split("=")[0] for line in exports.splitlines()]
    code = with_ports("\n".join(f"{k}={variables[k]}" for k in exported), idp_port, site_port,
                      client_id)
    return dict(line.split("=", 1) for line in code.splitlines())


def import_site(folder, client_id, monkeypatch, idp_port, site_port):
    """Import ``mysite.py`` from ``folder`` with the serve block's environment; return its app.

    Its HTTP calls (``lxl_verify`` and Authlib's) reach ``*.localhost`` through the app's own
    adapter, as the tutorial tells you to arrange with ``/etc/hosts``.
    """
    from authlib.integrations.flask_client import FlaskOAuth2App
    from authlib.integrations.requests_client import OAuth2Session

    from app.loopback import LoopbackAdapter

    class LoopbackOAuth2Session(OAuth2Session):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.mount("http://", LoopbackAdapter())

    monkeypatch.setattr(FlaskOAuth2App, "client_cls", LoopbackOAuth2Session)
    for name, value in serve_environment(client_id, idp_port, site_port).items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(folder))
    for name in ("mysite", "lxl_verify"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    app = importlib.import_module("mysite").app
    importlib.import_module("lxl_verify").http.mount("http://", LoopbackAdapter())
    for name in ("mysite", "lxl_verify"):  # the next import reads its own folder
        del sys.modules[name]
    return app
