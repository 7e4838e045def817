// Type declarations for the LxL ID browser SDK (static/lxl-id.js), written by hand.
//
// Load the SDK from the IdP, which it derives from the script's own src:
//   <script src="https://id.littlexlittle.org/static/lxl-id.js"></script>
// It defines the global `lxl.accounts.id`. Wire protocol: docs/silent-sign-in.md.
// The docs for sites live here; the IdP serves the SDK minified (app/idp/views/sdk.py).

declare namespace lxl.accounts.id {
  /**
   * Why a silent sign-in gave no credential (docs/silent-sign-in.md, "Failure reasons"):
   * the IdP's reasons, then those the SDK adds.
   */
  type FailureReason =
    | 'no_session' | 'session_expired' | 'auto_select_disabled' | 'consent_required'
    | 'third_party_cookies_blocked' | 'unknown_client' | 'origin_not_allowed'
    | 'idp_unreachable' | 'timeout' | 'popup_closed' | 'popup_blocked' | 'invalid_response';

  /** A step of an attempt, as in `on_moment` and `performance.measure('lxl:<step>')`. */
  type Step = 'check_session' | 'authorize' | 'callback';

  /**
   * The callback's argument on success. `credential` is an ID token (a JWT) whose `iss`,
   * `aud`/`azp`, `nonce` and `exp` the SDK checked, but NOT its signature: your backend must
   * verify it against `<IdP>/oidc/jwks` before trusting any claim (OIDC Core §3.1.3.7).
   */
  interface CredentialResponse {
    credential: string;
    select_by: 'auto';
    client_id: string;
  }

  /** The callback's argument on any failure; show your sign-in button then. */
  interface FailureResponse {
    credential: undefined;
    error: 'login_required';
    reason: FailureReason;
    /** Only with `reason: 'timeout'`: the step that got no answer in time. */
    step?: 'check_session' | 'authorize';
  }

  /**
   * What `on_moment` is told: never a token. Every moment carries `ms`, the
   * `performance.now()` at which it happened (ms since the page started, as in Resource
   * Timing), so a page can draw the sequence without timing anything itself.
   */
  type Moment = (
    /** A step starts; `step: 'callback'` is stamped just before your callback runs. */
    | { type: 'step'; step: Step }
    /** The attempt ended; the callback has just run. */
    | { type: 'result'; ok: boolean; reason?: FailureReason }
    /** Another tab of this site called `disableAutoSelect()`; the cached credential is gone. */
    | { type: 'signed_out' }
    | FrameMessage
  ) & { ms: number };

  /**
   * A message from one of the SDK's IdP frames, told as it arrives (docs/silent-sign-in.md,
   * "Frames"): its `type` and what it said, never the credential it carried.
   */
  interface FrameMessage {
    type: 'message';
    /** `lxl:hello`, `lxl:session`, `authorization_response`, `lxl:auto_select_disabled`, `lxl:revoked`. */
    message: string;
    /**
     * Which frame: the status frame (`check_session`; on a first attempt its request also
     * carried the authorization request) or a one-off authorization frame (`authorize`).
     */
    frame: 'check_session' | 'authorize';
    /** `lxl:session` only: `logged_in`, `logged_out`, `unchanged` or `unknown`. */
    status?: string;
    /** The failure reason, as the IdP sent it (`lxl:session` or the authorization response). */
    reason?: string;
    /** `authorization_response` only: the OIDC error, such as `login_required`. */
    error?: string;
  }

  /**
   * Options of `initialize()`. In HTML, the same names as `data-*` attributes of
   * `<div id="lxl_id_onload">`: `data-callback` and `data-on_moment` name global functions,
   * `"true"`/`"false"` are booleans, `data-timeout_ms` a number.
   */
  interface IdConfiguration {
    /** The client_id the IdP registered for your site. */
    client_id: string;
    /**
     * Called exactly once per attempt, with a credential or a failure; never for an attempt
     * that `cancel()` or `disableAutoSelect()` dropped, nor for a re-check on return to the tab
     * that found nothing changed. Wins over `login_uri`; required unless `login_uri` is set.
     */
    callback?: (response: CredentialResponse | FailureResponse) => void;
    /**
     * Sign in silently once when the page is ready, and again when the tab becomes visible if
     * the session changed at the IdP or the credential is within 20% of its lifetime of
     * expiring. Never polls. Default false.
     */
    auto_select?: boolean;
    /** Ask the IdP frame to use the Storage Access API where the user granted it (`itp_support=1`). Default false. */
    itp_support?: boolean;
    /** Space-separated, must include `openid`. Default `openid email profile`. */
    scope?: string;
    /**
     * Your own nonce, if your backend checks it. Default: a fresh random one per attempt; only
     * then may a tab reuse a credential another tab of the site just got.
     */
    nonce?: string;
    /**
     * A URL on this page's origin. Without `callback`, a credential is POSTed there as a form
     * (fields `credential` and `g_csrf_token`, plus a `g_csrf_token` cookie with the same
     * value: double-submit CSRF, as Google Identity Services does). Failures are not POSTed.
     */
    login_uri?: string;
    /** Budget of one attempt in ms (100–60000); a step that runs out fails with `timeout`. Default 5000. */
    timeout_ms?: number;
    /** Observability: steps, each message from the IdP's frames and results, each stamped (`Moment`). */
    on_moment?: (moment: Moment) => void;
    /** `'silent'` suppresses the one console warning per failure. Default `'warn'`. */
    log_level?: 'warn' | 'silent';
  }

  interface RevocationResponse {
    successful: boolean;
    /** A failure reason, or a short code from the IdP (default `refused`). */
    error?: string;
  }

  /**
   * Configure the SDK (again: a second call cancels what the first started).
   * @throws {TypeError} naming the bad option and what it must be.
   */
  function initialize(config: IdConfiguration): void;
  /**
   * Sign-out: the IdP stops silent sign-in for this client until the user signs in again
   * (the next attempt fails with `auto_select_disabled`); the cached credential is forgotten
   * here and in the site's other tabs (their `on_moment` gets `signed_out`); an attempt in
   * flight is dropped without calling its callback.
   */
  function disableAutoSelect(): void;
  /**
   * Abort everything in flight and remove every frame and message listener the SDK made, the
   * status frame too. A cancelled attempt's callback, or `revoke`'s `done`, is never called.
   */
  function cancel(): void;
  /**
   * Revoke this client's grant for a user, through the IdP's status frame.
   * @param hint an ID token issued to this client, or its `sub`.
   */
  function revoke(hint: string, done?: (response: RevocationResponse) => void): void;
  /** @internal The failure reasons, in the order of docs/silent-sign-in.md (for tests). */
  const _reasons: readonly FailureReason[];
}
