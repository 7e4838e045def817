"""Why a silent sign-in could not return a credential: the one list (CONTRACT.md).

The IdP sends these as ``reason`` beside the standard OIDC error (OAuth 2.0 allows extra
response parameters, RFC 6749 §8.2 spirit) and in the status frame's messages; the SDK adds
its own client-side reasons. Only registered origins of the client ever receive one.
"""

NO_SESSION = "no_session"
SESSION_EXPIRED = "session_expired"
AUTO_SELECT_DISABLED = "auto_select_disabled"
CONSENT_REQUIRED = "consent_required"
THIRD_PARTY_COOKIES_BLOCKED = "third_party_cookies_blocked"
UNKNOWN_CLIENT = "unknown_client"
ORIGIN_NOT_ALLOWED = "origin_not_allowed"

IDP_REASONS = (NO_SESSION, SESSION_EXPIRED, AUTO_SELECT_DISABLED, CONSENT_REQUIRED,
               THIRD_PARTY_COOKIES_BLOCKED, UNKNOWN_CLIENT, ORIGIN_NOT_ALLOWED)
# access_denied: the person pressed Deny in the button's popup (the OAuth error of that name).
# invalid_response: the frame answered, but state or the ID token's claims failed a check.
SDK_REASONS = ("idp_unreachable", "timeout", "popup_closed", "popup_blocked", "access_denied",
               "invalid_response")
ALL_REASONS = IDP_REASONS + SDK_REASONS

# The One-Tap card's moments (``prompt()``), by Google Identity Services' names for them:
# why the card was not displayed, was skipped (closed without a credential) or was dismissed.
# Only the names LxL ID really produces; GIS's others (auto_cancel, tap_outside,
# secure_http_required, missing_client_id) have no cause here.
# https://developers.google.com/identity/gsi/web/reference/js-reference#PromptMomentNotification
# A running cooldown (the person closed the card): the one not-displayed reason with no failure
# reason behind it, since a silent sign-in never meets it.
SUPPRESSED_BY_USER = "suppressed_by_user"
NOT_DISPLAYED_REASONS = ("opt_out_or_no_session", SUPPRESSED_BY_USER, "browser_not_supported",
                         "invalid_client", "unregistered_origin", "unknown_reason")
SKIPPED_REASONS = ("user_cancel", "issuing_failed")
DISMISSED_REASONS = ("credential_returned", "cancel_called", "flow_restarted")
# A failure reason (where one applies) → why the card was not displayed.
NOT_DISPLAYED_BY_REASON = {
    NO_SESSION: "opt_out_or_no_session",
    SESSION_EXPIRED: "opt_out_or_no_session",
    THIRD_PARTY_COOKIES_BLOCKED: "browser_not_supported",
    UNKNOWN_CLIENT: "invalid_client",
    ORIGIN_NOT_ALLOWED: "unregistered_origin",
    "idp_unreachable": "unknown_reason",
    "timeout": "unknown_reason",
}
