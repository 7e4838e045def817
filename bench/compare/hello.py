"""A bare Flask "hello" for bench/compare: the framework under the production gunicorn, alone.

``gunicorn bench.compare.hello:app`` with the README's options: what no request to the IdP
can beat on this machine with this server, whatever the IdP does.
"""

from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>", methods=["GET", "POST"])
def hello(path):
    """Answer every request with the same five bytes."""
    return "hello"
