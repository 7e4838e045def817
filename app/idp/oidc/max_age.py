"""``max_age`` (OIDC Core §3.1.2.1): how long ago the user may have signed in, at most.

Read and checked here only, for ``prompt=none`` and for the interactive request alike. A
request that carries it gets ``auth_time`` in its ID token (OIDC Core §2); no other request
does, since one sign-in's second, the same in every client's token, would let sites correlate
one person across clients.
"""

import re
from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import InvalidRequestError

from ..models import epoch

PARAMETER = "max_age"
# Ten digits are about 300 years of seconds; any longer value is a mistake, not a policy.
SECONDS = re.compile(r"[0-9]{1,10}")


def _seconds(data, parameter):
    value = data.get(parameter)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not SECONDS.fullmatch(value):
        raise InvalidRequestError(f"Invalid '{parameter}': send a whole number of seconds, "
                                  "such as 3600 (at most ten digits).")
    return int(value)


@dataclass(frozen=True)
class MaxAge:
    """A request's ``max_age``."""

    seconds: int | None = None

    @property
    def requested(self):
        """True if the request carries ``max_age``: its ID token gets ``auth_time``."""
        return self.seconds is not None

    def exceeded_by(self, browser_session):
        """True if ``browser_session`` signed in longer ago than ``max_age`` allows."""
        if self.seconds is None:
            return False
        return epoch() - browser_session.auth_time > self.seconds


def read(data):
    """Return the ``MaxAge`` of the request ``data`` (a dict); raise ``InvalidRequestError``."""
    return MaxAge(_seconds(data, PARAMETER))
