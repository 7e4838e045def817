"""The sign-in button frame (``/oidc/iframe/button``): who may frame it, and its options.

The SDK's ``renderButton`` frames this page so that the click, and so
``document.requestStorageAccess()``, happens in the IdP's own document. It may be framed only
by a registered web origin of the client (``status_frame.registered_client``, the status
frame's rule); its options are Google Identity Services' names (CONTRACT.md "SDK surface"),
each checked here: a bad value refuses the frame with a message naming the parameter.
"""

import re
from dataclasses import dataclass

from .status_frame import AUTHORIZATION_PARAMS, FrameRefused, registered_client

# The button's words, by its ``text`` option (the first is the default).
LABELS = {
    "signin_with": "Sign in with LxL ID",
    "signup_with": "Sign up with LxL ID",
    "continue_with": "Continue with LxL ID",
    "signin": "Sign in",
}
# Each option's values; the first is the default. ``theme`` has none: without it the button
# follows the person's ``prefers-color-scheme`` (outline when light, filled_black when dark).
CHOICES = {
    "type": ("standard", "icon"),
    "theme": ("outline", "filled_blue", "filled_black"),
    "size": ("large", "medium", "small"),
    "text": tuple(LABELS),
    "shape": ("rectangular", "pill", "circle", "square"),
    "logo_alignment": ("left", "center"),
}
# The button's height by ``size`` (GIS's 40/32/24 px): the page's style is drawn from this, and
# the SDK's part starts its frame at the same heights (tests/sdk/test_button_options_match.py).
HEIGHTS_PX = {"large": 40, "medium": 32, "small": 24}
MIN_WIDTH, MAX_WIDTH = 120, 400
_WIDTH = re.compile(r"[0-9]{1,3}")
# The SDK's switches (``flag``): "1" (or "true") on, "0" (or "false") or absent off.
FLAGS = ("itp_support", "ask_storage_access")
_ON, _OFF = ("1", "true"), ("0", "false")
INVALID_OPTION = "invalid_request"


@dataclass(frozen=True)
class Button:
    """The checked options of one button frame."""

    type: str
    theme: str | None
    size: str
    text: str
    shape: str
    logo_alignment: str
    width: int | None
    itp_support: bool
    ask_storage_access: bool

    @property
    def label(self):
        """The button's words (also the accessible name of the logo-only ``icon`` type)."""
        return LABELS[self.text]


def read(args):
    """Return the ``Button`` the query ``args`` (a ``MultiDict``) asks for; else refuse."""
    chosen = {}
    for name, values in CHOICES.items():
        value = single(args, name)
        if value is not None and value not in values:
            raise FrameRefused(INVALID_OPTION,
                               f"'{name}' must be one of: {', '.join(values)}.")
        chosen[name] = value if value is not None or name == "theme" else values[0]
    width = single(args, "width")
    if width is not None and not (_WIDTH.fullmatch(width) and
                                  MIN_WIDTH <= int(width) <= MAX_WIDTH):
        raise FrameRefused(INVALID_OPTION, f"'width' must be a whole number of pixels from "
                                           f"{MIN_WIDTH} to {MAX_WIDTH}.")
    for name in FLAGS:
        chosen[name] = flag(args, name)
    return Button(width=None if width is None else int(width), **chosen)


def authorization_params(args):
    """Return the query's authorization request, as ``(name, value)`` pairs.

    The frame sends them unchanged to ``/oidc/iframe/status`` once storage access is granted,
    where they meet the same checks as the status frame's (a repeated one stays repeated, so
    it is refused there); the button's page itself decides nothing with them.
    """
    return [(name, value) for name in AUTHORIZATION_PARAMS for value in args.getlist(name)]


def single(args, name):
    """Return the one value of ``name`` (``None`` if absent or empty); refuse a repeat.

    Every parameter of the button's and the card's frames is read with this, ``client_id``
    and ``origin`` too: a repeated one is refused, never settled by picking one of its values.
    """
    values = [value for value in args.getlist(name) if value != ""]
    if len(values) > 1:
        raise FrameRefused(INVALID_OPTION, f"Repeated '{name}' parameter: send it once.")
    return values[0] if values else None


def flag(args, name):
    """Return the SDK's switch ``name``: on for 1 (or true), off for 0 (or false) or absent."""
    value = single(args, name)
    if value is not None and value not in _ON + _OFF:
        raise FrameRefused(INVALID_OPTION, f"'{name}' must be 1 or 0.")
    return value in _ON


def framed_by(args):
    """Return the client and the origin a frame's query names, once each; else refuse.

    The origin must be a registered web origin of the client (the status frame's rule).
    """
    origin = single(args, "origin")
    return registered_client(single(args, "client_id"), origin), origin
