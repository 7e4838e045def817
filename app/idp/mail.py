"""Mail from LxL ID: a local outbox on one machine, SMTP everywhere else.

- ``LXL_SMTP_URL`` set: messages go through that server, from ``LXL_MAIL_FROM``.
  ``smtp://user:password@host:587`` upgrades the connection with STARTTLS and a verified
  certificate, except to a server on this machine (no network to protect, and local relays
  often carry self-signed certificates); ``smtps://user:password@host:465`` speaks TLS from
  the first byte. User and password are percent-encoded.
- Unset, with both origins on loopback (the embedded defaults): nothing leaves the machine.
  Each message becomes an ``OutboxMessage`` row, which every process of the installation
  sees, listed at ``GET <IdP>/dev/outbox.json`` (CONTRACT.md "Local mail").
- Anything else stops the app at start-up, naming the settings to add.
"""

import ipaddress
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app

from .. import logs, loopback
from ..extensions import db
from .models import OutboxMessage

SENDER_NAME = "LxL ID"
SMTP_TIMEOUT_SECONDS = 10
SMTP_URL_FORM = ("smtp://user:password@host:587 (STARTTLS) or "
                 "smtps://user:password@host:465 (TLS)")
_LINK = re.compile(r"https?://[^\s<>\"']+")
# Punctuation after a link ends the sentence, not the link.
_SENTENCE_END = ".,;:!?)"


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


# What a person is told when the server refused a message: every view that mails says it so.
NOT_TAKEN = "Our mail server did not take the message just now."


class BadRecipient(ValueError):
    """``to`` is not exactly one bare address: a list, a display name, or a line break.

    Forms validate addresses first (``Email()``); this is the last line, so that no text a
    person typed can add recipients or headers to a message.
    """


def outbox_enabled(app=None):
    """True while both origins are loopback: the only time the local outbox exists."""
    return loopback.all_origins_loopback(app)


def init_app(app):
    """Refuse to start with nowhere to send mail, naming the settings to add."""
    url = app.config.get("LXL_SMTP_URL")
    if url:
        _smtp_settings(url)
        sender = parseaddr(app.config.get("LXL_MAIL_FROM") or "")[1]
        if "@" not in sender:
            raise RuntimeError(
                "LXL_MAIL_FROM is not a sender address: set it to the address LxL ID's mail "
                "comes from, e.g. LXL_MAIL_FROM='LxL ID <no-reply@id.example.org>'.")
    elif not outbox_enabled(app):
        raise RuntimeError(
            "LxL ID has nowhere to send mail: the origins are not loopback (*.localhost), so "
            f"there is no local outbox. Set LXL_SMTP_URL to {SMTP_URL_FORM}, and LXL_MAIL_FROM "
            "to the sender address.")


def send(to, subject, text):
    """Send the plain-text message ``text`` from LxL ID to the address ``to``.

    Raise ``MailNotSent`` if the SMTP server fails. In the local outbox the message is
    committed at once (with anything else the caller has pending). Raise ``BadRecipient``
    unless ``to`` is exactly one address, without a name, a list or a line break.
    """
    _check_recipient(to)
    if current_app.config.get("LXL_SMTP_URL"):
        _send_smtp(_message(to, subject, text), to)
    else:
        db.session.add(OutboxMessage(recipient=to, subject=subject, text=text))
        db.session.commit()


def name_for(user, address_proven=None):
    """``user``'s name for a greeting in mail to their address, or "" if it is not proven.

    The name is text anyone can type at sign-up: it goes only to an address the account has
    proven (a followed link), never to one someone merely typed in.
    """
    proven = user.email_verified if address_proven is None else address_proven
    return user.name if proven else ""


def outbox():
    """Return the kept messages, newest last, as ``/dev/outbox.json`` lists them."""
    messages = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
    return [{"to": m.recipient, "subject": m.subject, "text": m.text, "links": links_in(m.text)}
            for m in messages]


def links_in(text):
    """Return the absolute URLs in ``text``, in order."""
    return [link.rstrip(_SENTENCE_END) for link in _LINK.findall(text)]


def _smtp_settings(url):
    """Return ``(scheme, host, port, user, password)`` of an ``LXL_SMTP_URL``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    # The message shows the scheme and host only: the URL may hold a password.
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1:
        raise RuntimeError(f"LXL_SMTP_URL (scheme {parts.scheme!r}, host {parts.hostname!r}) "
                           f"is not an SMTP server's address: write it as {SMTP_URL_FORM}.")
    return (parts.scheme, parts.hostname, port or (465 if parts.scheme == "smtps" else 587),
            unquote(parts.username or ""), unquote(parts.password or ""))


def _check_recipient(to):
    if (not isinstance(to, str) or any(c in to for c in "\r\n\0")
            or len(getaddresses([to])) != 1 or parseaddr(to) != ("", to)
            or to.count("@") != 1 or any(c in to for c in ",;<>()\"\\ \t")):
        raise BadRecipient(f"Not one email address: {to!r}")


def _message(to, subject, text):
    name, address = parseaddr(current_app.config["LXL_MAIL_FROM"])
    message = EmailMessage()
    message["From"] = formataddr((name or SENDER_NAME, address))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2])
    message.set_content(text)
    return message


def _send_smtp(message, to):
    scheme, host, port, user, password = _smtp_settings(current_app.config["LXL_SMTP_URL"])
    context = ssl.create_default_context()
    try:
        if scheme == "smtps":
            server = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        with server:
            if scheme == "smtp" and not _on_this_machine(host):
                server.starttls(context=context)
            if user:
                server.login(user, password)
            # The envelope names the one checked address, not whatever the headers hold.
            server.send_message(message, to_addrs=[to])
    except (smtplib.SMTPException, OSError) as error:
        # The server's text names the recipient (and smtplib's the refused address): the
        # log and the exception say only what kind of failure it was.
        logs.event("mail_not_sent", error=type(error).__name__, smtp_code=_smtp_code(error))
        raise MailNotSent(f"{type(error).__name__} from the SMTP server {host}:{port}") \
            from error


def _smtp_code(error):
    """The SMTP reply code of ``error``, if the server answered one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):  # one recipient: see _send_smtp
        return next(iter(error.recipients.values()))[0]
    return getattr(error, "smtp_code", None)


def _on_this_machine(host):
    """True for a loopback address or ``localhost`` itself.

    Not ``*.localhost``: smtplib asks the system resolver, which does not map those names to
    loopback (BROWSER_NOTES.md), so such a name could reach another machine in clear.
    """
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower().rstrip(".") == "localhost"
