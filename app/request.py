"""The app's request class: input Werkzeug cannot parse is refused where it is read.

Werkzeug decodes paths, cookies and form bodies leniently, but the query string strictly (in
``args`` and ``full_path``): a raw byte such as ``?a=\\xff`` in the request line raised
``UnicodeDecodeError`` — a 500 on every route that reads a parameter. And a JSON body nested
deeper than Python's recursion limit raised ``RecursionError``, which ``get_json`` does not
treat as malformed JSON.
"""

from flask import Request as FlaskRequest
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property


class Request(FlaskRequest):
    """Flask's request, answering 400 (naming the query string) for one that is not UTF-8."""

    @cached_property
    def args(self):
        """The query parameters."""
        self._check_query_string()
        return super().args

    @property
    def full_path(self):
        """The path and query string."""
        self._check_query_string()
        return super().full_path

    def get_json(self, force=False, silent=False, cache=True):
        """The parsed JSON body; 400 (or ``None`` if ``silent``) if it is nested too deeply."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest("The JSON body is nested too deeply.") from None

    def _check_query_string(self):
        try:
            self.query_string.decode()
        except UnicodeDecodeError:
            raise BadRequest("The query string is not UTF-8: percent-encode each parameter's "
                             "UTF-8 bytes (RFC 3986 section 2.5).") from None
