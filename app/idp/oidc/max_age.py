"""``max_age`` (OIDC Core §3.1.2.1): how long ago the user may have signed in, at most.

Its syntax (``SECONDS``) is checked where every authorization request enters
(``parameters.py``); here it is read, the same way for ``prompt=none`` and the interactive
request. A request that carries it gets ``auth_time`` in its ID token (OIDC Core §2); no other request
does, since one sign-in's second, the same in every client's token, would let sites correlate
one person across clients.
"""

import re
from dataclasses import dataclass

from ..models import epoch

# Ten digits are about 300 years of seconds; any longer value is a mistake, not a policy.
SECONDS = re.compile(r"[0-9]{1,10}")


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
    """Return the ``MaxAge`` of the checked request ``data`` (a dict)."""
    value = data.get("max_age")
    return MaxAge(int(value) if value else None)
