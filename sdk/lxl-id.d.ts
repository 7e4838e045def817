// Type declarations for the LxL ID browser SDK (static/lxl-id.js), written by hand.
//
// Load the SDK from the IdP, which it derives from the script's own src:
//   <script src="https://id.littlexlittle.org/static/lxl-id.js"></script>
// It defines the global `lxl.accounts.id`. Wire protocol: docs/silent-sign-in.md.
// The docs for sites live here. The IdP serves the SDK minified from its readable source
// (sdk/lxl-id.js, built by sdk/build.mjs into sdk/dist/); the code of the button and of the
// One-Tap card (sdk/lxl-id-ui.js) loads from the IdP on the first renderButton() or prompt().

declare namespace lxl.accounts.id {
  /**
   * Why a silent sign-in gave no credential (docs/silent-sign-in.md, "Failure reasons"):
   * the IdP's reasons, then those the SDK adds.
   */
  type FailureReason =
    | 'no_session' | 'session_expired' | 'auto_select_disabled' | 'consent_required'
    | 'third_party_cookies_blocked' | 'unknown_client' | 'origin_not_allowed'
    | 'idp_unreachable' | 'timeout' | 'popup_closed' | 'popup_blocked' | 'access_denied'
    | 'invalid_response';

  /**
   * Why the One-Tap card was not displayed (docs/silent-sign-in.md, "Moment reasons"), by
   * Google Identity Services' names: `opt_out_or_no_session` (not signed in at LxL ID),
   * `suppressed_by_user` (the person closed the card lately: a cooldown runs),
   * `browser_not_supported` (third-party cookies blocked), `invalid_client`,
   * `unregistered_origin`, `unknown_reason` (the IdP out of reach, or anything else).
   */
  type NotDisplayedReason =
    | 'opt_out_or_no_session' | 'suppressed_by_user' | 'browser_not_supported'
    | 'invalid_client' | 'unregistered_origin' | 'unknown_reason';
  /**
   * Why the card closed without a credential: `user_cancel` (× or Escape, the popup closed,
   * Deny in it), `issuing_failed` (the popup was blocked, or the answer failed a check).
   */
  type SkippedReason = 'user_cancel' | 'issuing_failed';
  /**
   * Why the card closed otherwise: `credential_returned` (signed in: by the card, or silently
   * meanwhile), `cancel_called` (`cancel()`, or `initialize()` again), `flow_restarted`
   * (`prompt()` again).
   */
  type DismissedReason = 'credential_returned' | 'cancel_called' | 'flow_restarted';

  /**
   * What `prompt()`'s listener is told, frozen: one moment of the One-Tap card. The card
   * either displays or not (a `display` moment), and once displayed it ends `skipped` or
   * `dismissed`; a card that never displayed may still be `dismissed`
   * (`credential_returned`, `cancel_called`, `flow_restarted`).
   * @see Google Identity Services' PromptMomentNotification:
   *   https://developers.google.com/identity/gsi/web/reference/js-reference#PromptMomentNotification
   */
  interface PromptMomentNotification {
    getMomentType(): 'display' | 'skipped' | 'dismissed';
    isDisplayMoment(): boolean;
    /** A `display` moment, and the card shows. */
    isDisplayed(): boolean;
    /** A `display` moment, and the card does not show: `getNotDisplayedReason()` says why. */
    isNotDisplayed(): boolean;
    getNotDisplayedReason(): NotDisplayedReason | undefined;
    isSkippedMoment(): boolean;
    getSkippedReason(): SkippedReason | undefined;
    isDismissedMoment(): boolean;
    getDismissedReason(): DismissedReason | undefined;
    /**
     * The failure reason behind a moment, where one applies: `no_session` behind
     * `opt_out_or_no_session`, `origin_not_allowed` behind `unregistered_origin`,
     * `popup_closed` behind `user_cancel`, …
     */
    readonly reason?: FailureReason;
  }

  /**
   * A step of an attempt, as in `on_moment` and `performance.measure('lxl:<step>')`: the
   * silent path's `check_session` and `authorize`; the button's `button` (its frame);
   * `callback` in both.
   */
  type Step = 'check_session' | 'authorize' | 'button' | 'callback';

  /**
   * The callback's argument on success. `credential` is an ID token (a JWT) whose `iss`,
   * `aud`/`azp`, `nonce` and `exp` the SDK checked, but NOT its signature: your backend must
   * verify it against `<IdP>/oidc/jwks` before trusting any claim.
   * @see OIDC Core §3.1.3.7:
   *   https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
   */
  interface CredentialResponse {
    credential: string;
    /**
     * `auto`: silent sign-in; `btn`: the rendered button (through its frame or its popup);
     * `user`: Continue on the One-Tap card (through its frame or the popup).
     */
    select_by: 'auto' | 'btn' | 'user';
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
    | PromptMoment
  ) & { ms: number };

  /**
   * A moment of the One-Tap card, as `prompt()`'s listener is told it
   * (`PromptMomentNotification`), stamped as it happens.
   */
  type PromptMoment = { type: 'prompt' } & (
    | { moment: 'display'; displayed: true }
    | { moment: 'display'; displayed: false; not_displayed_reason: NotDisplayedReason;
        reason?: FailureReason }
    | { moment: 'skipped'; skipped_reason: SkippedReason; reason?: FailureReason }
    | { moment: 'dismissed'; dismissed_reason: DismissedReason }
  );

  /**
   * A message from one of the SDK's IdP frames, told as it arrives (docs/silent-sign-in.md,
   * "Frames"): its `type` and what it said, never the credential it carried.
   */
  interface FrameMessage {
    type: 'message';
    /**
     * `lxl:hello`, `lxl:session`, `authorization_response`, `lxl:auto_select_disabled`,
     * `lxl:revoked`; from the button's frame `lxl:resize`, `lxl:pressed`, `lxl:click`,
     * `lxl:storage_access`; from the card's frame `lxl:card`, `lxl:continue`,
     * `lxl:card_refused`, `lxl:card_closed`.
     */
    message: string;
    /**
     * Which frame: the status frame (`check_session`; on a first attempt its request also
     * carried the authorization request), a one-off authorization frame (`authorize`), the
     * button's frame (`button`), the One-Tap card's frame (`card`) or the sign-in popup of
     * either (`popup`).
     */
    frame: 'check_session' | 'authorize' | 'button' | 'card' | 'popup';
    /** `lxl:session` only: `logged_in`, `logged_out`, `unchanged` or `unknown`. */
    status?: string;
    /** The failure reason, as the IdP sent it (`lxl:session` or the authorization response). */
    reason?: string;
    /** `authorization_response` only: the OIDC error, such as `login_required`. */
    error?: string;
    /** `lxl:storage_access` only (the button's frame): did the browser grant storage access? */
    granted?: boolean;
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
    /**
     * Use the Storage Access API where third-party cookies are blocked (`itp_support=1`): the
     * status frame uses access the person granted before; the button's frame asks for it on a
     * click, then signs in without a popup when granted. Default false.
     * @see Storage Access API:
     *   https://privacycg.github.io/storage-access/
     */
    itp_support?: boolean;
    /** Space-separated, must include `openid`. Default `openid email profile`. */
    scope?: string;
    /**
     * Your own nonce, if your backend checks it. Default: a fresh random one per attempt; only
     * then may a tab reuse a credential another tab of the site just got. Required with
     * `ux_mode: 'redirect'`: the page is gone when the credential arrives, so only your
     * backend can check it.
     */
    nonce?: string;
    /**
     * A URL on this page's origin. Without `callback`, a credential is POSTed there as a form
     * (fields `credential` and `g_csrf_token`, plus a `g_csrf_token` cookie with the same
     * value: double-submit CSRF, as Google Identity Services does). Failures are not POSTed.
     * With `ux_mode: 'redirect'` the IdP itself POSTs `id_token` and `state` there (a
     * cross-site POST: the `g_csrf_token` cookie is then `SameSite=None; Secure`, and `state`
     * equals it).
     * @see Form Post Response Mode:
     *   https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
     */
    login_uri?: string;
    /**
     * Budget of one attempt in ms (100–60000); a step that runs out fails with `timeout`.
     * Default 5000.
     */
    timeout_ms?: number;
    /**
     * Observability: steps, each message from the IdP's frames and results, each stamped
     * (`Moment`).
     */
    on_moment?: (moment: Moment) => void;
    /** `'silent'` suppresses the one console warning per failure. Default `'warn'`. */
    log_level?: 'warn' | 'silent';
    /**
     * How the button signs a person in: `'popup'` (default) opens the IdP's sign-in window
     * over the page, which answers by web message; `'redirect'` takes the whole page to the
     * IdP, which answers by a form POST to `login_uri` (required then, with `nonce`). Redirect
     * mode needs a secure context (https, or localhost): its cookie is `SameSite=None; Secure`.
     * @see OAuth 2.0 Web Message Response Mode:
     *   https://datatracker.ietf.org/doc/html/draft-sakimura-oauth-wmrm-00
     * @see Form Post Response Mode:
     *   https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
     */
    ux_mode?: 'popup' | 'redirect';
  }

  /**
   * Options of `renderButton()`, named as Google Identity Services names them
   * (GsiButtonConfiguration). Invalid values are reported as a TypeError (reportError and the
   * console) when the button's code has loaded; the button is then not rendered.
   */
  interface GsiButtonConfiguration {
    /** `standard` (default): logo and text; `icon`: the logo alone, in a square. */
    type?: 'standard' | 'icon';
    /** Default: `outline` in a light color scheme, `filled_black` in a dark one. */
    theme?: 'outline' | 'filled_blue' | 'filled_black';
    /** Height 40, 32 or 24 px. Default `large`. */
    size?: 'large' | 'medium' | 'small';
    /**
     * `signin_with` (default): "Sign in with LxL ID"; `signup_with`: "Sign up with LxL ID";
     * `continue_with`: "Continue with LxL ID"; `signin`: "Sign in".
     */
    text?: 'signin_with' | 'signup_with' | 'continue_with' | 'signin';
    /** `rectangular` (default) or `pill` for `standard`; `square` or `circle` for `icon`. */
    shape?: 'rectangular' | 'pill' | 'circle' | 'square';
    /** Where the logo sits in a `standard` button. Default `left`. */
    logo_alignment?: 'left' | 'center';
    /** The button's width in px, 120–400. */
    width?: number;
    /**
     * Called on each click of the button, before the sign-in starts: also a click that
     * storage access finishes in the button's frame, with no popup.
     */
    click_listener?: () => void;
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
   * Render the "Sign in with LxL ID" button into `parent` (a real `<button>` in a frame the
   * IdP serves). A click asks for storage access inside that frame where `itp_support` is on
   * and third-party cookies are blocked, and signs in without a popup when granted; otherwise
   * it opens the IdP's sign-in popup (or, with `ux_mode: 'redirect'`, goes to the IdP). The
   * callback then gets `select_by: 'btn'`, or a failure: `popup_closed`, `popup_blocked`,
   * `access_denied`, and `idp_unreachable` when the button's code could not load.
   * May be called before that code has loaded: the calls wait for it. A later
   * `initialize()` draws the rendered buttons again with its options; a button removed from
   * the page is not drawn again, so call `renderButton` again after putting it back.
   * @throws {TypeError} when initialize() was not called first, or `parent` is no Element.
   * @see Storage Access API:
   *   https://privacycg.github.io/storage-access/
   * @see OAuth 2.0 Web Message Response Mode:
   *   https://datatracker.ietf.org/doc/html/draft-sakimura-oauth-wmrm-00
   */
  function renderButton(parent: HTMLElement, options?: GsiButtonConfiguration): void;
  /**
   * The One-Tap card: a small frame the IdP serves in the page's top-right corner, "Continue
   * as …" for a person signed in at LxL ID whom silent sign-in could not sign in here (no
   * consent yet, or auto-select turned off). Its size and everything the page can see of it
   * are the same whoever is signed in. It waits for a silent attempt in flight: a credential
   * from it ends the prompt (`credential_returned`), no card. When the SDK already knows the
   * person is not signed in at the IdP (or third-party cookies are blocked) the listener is
   * told at once, and no frame opens. Continue signs in in the card, or in the IdP's popup
   * when consent is needed (whatever `ux_mode`); the callback then gets `select_by: 'user'`,
   * or a failure as from the button's popup. Closing the card (×) starts a cooldown at the
   * IdP (2 hours, then 1 day, 1 week, 4 weeks): meanwhile the card is `suppressed_by_user`.
   * `cancel()` closes the card; `prompt()` again replaces it (the first is dismissed
   * `flow_restarted`, even while the SDK's card code is still loading); a credential from
   * the button or a silent sign-in ends it (`credential_returned`). The listener gets each moment
   * (`on_moment` too, as `{type: 'prompt', …}`); its errors are reported, never thrown here.
   * @throws {TypeError} when initialize() was not called first, or `listener` is no function.
   * @see Google Identity Services' prompt():
   *   https://developers.google.com/identity/gsi/web/reference/js-reference#google.accounts.id.prompt
   */
  function prompt(listener?: (notification: PromptMomentNotification) => void): void;
  /**
   * Sign-out: the IdP stops silent sign-in for this client until the user signs in again
   * (the next attempt fails with `auto_select_disabled`); the cached credential is forgotten
   * here and in the site's other tabs (their `on_moment` gets `signed_out`); an attempt in
   * flight, here or there, is dropped without calling its callback.
   *
   * The IdP hears this through its frame, which has no IdP cookie where third-party cookies
   * are blocked. So the SDK also keeps the sign-out in this site's `localStorage`
   * (`lxl:<client_id>:auto_select_disabled`, as Google Identity Services keeps its `g_state`
   * cookie): while it is there, every `auto_select` attempt (page load, return to the tab, in
   * any tab of the site) opens no frame and fails at once with `auto_select_disabled`. A
   * sign-in with the button (`select_by: 'btn'`) removes it. Where `localStorage` is
   * unavailable, the IdP's record is all there is.
   */
  function disableAutoSelect(): void;
  /**
   * Abort everything in flight and remove every frame and message listener the SDK made, the
   * status frame too. A cancelled attempt's callback, or `revoke`'s `done`, is never called.
   * The One-Tap card closes (`cancel_called`), also a `prompt()` still waiting for the SDK's
   * card code: its listener is told at once.
   */
  function cancel(): void;
  /**
   * Revoke this client's grant for a user, through the IdP's status frame.
   * @see OIDC Session Management (the status frame):
   *   https://openid.net/specs/openid-connect-session-1_0.html
   * @param hint an ID token issued to this client, or its `sub`.
   */
  function revoke(hint: string, done?: (response: RevocationResponse) => void): void;
  /** @internal The failure reasons, in the order of docs/silent-sign-in.md (for tests). */
  const _reasons: readonly FailureReason[];
}

/**
 * Types only (no such global exists): the interface between the SDK's core (lxl-id.js) and
 * the code of the button and the card (lxl-id-ui.js), which the core loads from the IdP on the
 * first renderButton() or prompt() call. The core sets `lxlCore` (a `Core`) on that script
 * element; the part reads `document.currentScript.lxlCore` as it starts, deletes it there (no
 * other script may take the core), and calls `core.install(part)`; the core takes the first
 * part only.
 */
declare namespace lxl.core {
  /** A failure on its way to the callback: a reason, and for the console a step or detail. */
  interface Failure {
    reason?: string;
    step?: string;
    detail?: string;
  }

  /**
   * An authorization response (web_message or the button frame's storage-access finish).
   * @see OIDC Core §3.2.2.5:
   *   https://openid.net/specs/openid-connect-core-1_0.html#ImplicitAuthResponse
   */
  interface AuthorizationResponse {
    state?: string;
    id_token?: string;
    session_state?: string;
    /** An OAuth error such as `login_required` or `access_denied`. */
    error?: string;
    /** The IdP's failure reason beside `error`. */
    reason?: string;
  }

  /** What an IdP frame posted: a `type`, and for `authorization_response` the `response`. */
  interface FrameMessage {
    type: string;
    response?: AuthorizationResponse;
    [field: string]: unknown;
  }

  /** Takes a frame's messages (already checked: from that frame, from the IdP). */
  type FrameHandler = (message: FrameMessage) => void;

  /** An IdP frame opened by the core; every message it collects came from it and the IdP. */
  interface Frame {
    /** The iframe element (for a visible frame, the part sets its size and title). */
    element: HTMLIFrameElement;
    /** postMessage to the frame, with the IdP's origin as targetOrigin. */
    post(message: object): void;
    /**
     * The next message of `type` (earliest first; other types stay queued). Rejects with a
     * Failure: `timeout` (with `step`) after `ms` if given, the IdP's refusal found by
     * client-check (`unknown_client`, `origin_not_allowed`, `idp_unreachable`), or
     * `{reason: 'cancelled'}` after close().
     */
    next(type: string, step: string, ms?: number): Promise<FrameMessage>;
    /**
     * From now on, hand each message no next() awaits to `handler` instead of queuing it
     * (those queued so far first): for a frame that talks for as long as it lives.
     */
    onMessage(handler: FrameHandler): void;
    /** Remove the frame and its message listener; pending next() calls reject. */
    close(): void;
  }

  /**
   * A fresh authorization request for this page; `request` goes into the query of
   * `/oidc/authorize` or of the button frame.
   * @see OIDC Core §3.2.2.1:
   *   https://openid.net/specs/openid-connect-core-1_0.html#ImplicitAuthRequest
   */
  interface AuthorizationRequest {
    request: {
      response_type: 'id_token'; scope: string; nonce: string; state: string;
      redirect_uri: string; client_id: string;
    };
    state: string;
    nonce: string;
  }

  /** localStorage under the client's own key prefix; each call may throw. */
  interface SiteStorage {
    getItem(name: string): string | null;
    setItem(name: string, value: string): void;
    removeItem(name: string): void;
  }

  /** What the part installs. */
  interface Part {
    renderButton(parent: HTMLElement, options?: lxl.accounts.id.GsiButtonConfiguration): void;
    /**
     * The card, once `afterSilentSignIn` (asked by the core when `prompt()` was called, not when
     * the part arrived) resolved without a credential. The listener hears each moment through
     * `Core.promptMoment`.
     */
    prompt(listener: ((notification: lxl.accounts.id.PromptMomentNotification) => void) | undefined,
      afterSilentSignIn: Promise<boolean>): void;
    /**
     * `cancel()`: close the sign-in popup, if one is open, without telling the site; close the
     * card (dismissed `cancel_called`).
     */
    cancel(): void;
    /**
     * A credential is about to reach the site (a silent sign-in, or `Core.finish` for the
     * button or the card, before the callback runs): close the popup as cancel() does, and the
     * card (dismissed `credential_returned`). A flow that delivers it ends itself first.
     */
    signedIn(): void;
    /** Draw each rendered button again with the current initialize() options. */
    renderAgain(): void;
  }

  /** What the core gives the part. */
  interface Core {
    /** The IdP's origin. */
    readonly idp: string;
    /** This page's origin. */
    readonly origin: string;
    /** A copy of the current initialize() options, validated, defaults applied. */
    options(): lxl.accounts.id.IdConfiguration & {
      scope: string; timeout_ms: number; ux_mode: 'popup' | 'redirect';
    };
    /** The last `lxl:session` the status frame posted other than `unchanged`, if any. */
    status(): (FrameMessage & {status?: string; reason?: string}) | undefined;
    /**
     * Open an IdP frame at `path?query`. Without `container`: hidden, in the body. With one:
     * shown inside it. `name` labels its moments (`frame`) and a timeout (`step`).
     */
    openFrame(path: string, query: Record<string, string>, name: string,
      container?: HTMLElement): Frame;
    authorizationRequest(): AuthorizationRequest;
    /**
     * Check `response` against the request it answers (state, then the ID token's iss, aud,
     * azp, nonce, exp), then deliver the credential or the failure to the site; return what
     * the site was told (`credential` set: a credential). A credential first ends the part's
     * other flows (`Part.signedIn`).
     */
    finish(response: AuthorizationResponse, request: {state: string; nonce: string},
      select_by: 'btn' | 'user'
    ): lxl.accounts.id.CredentialResponse | lxl.accounts.id.FailureResponse;
    /**
     * Deliver a failure (a FailureReason; any other becomes `invalid_response`); return what
     * the site was told.
     */
    failure(reason: string, detail?: string): lxl.accounts.id.FailureResponse;
    /** Tell the site's on_moment (the core stamps `ms`). */
    moment(moment: object): void;
    /**
     * Tell prompt()'s listener a moment (a frozen PromptMomentNotification; its errors are
     * reported) and on_moment the same as `{type: 'prompt', …}`. `why`: GIS's reason for this
     * type of moment, none for a card displayed; `reason`: the failure reason behind it.
     */
    promptMoment(listener: ((notification: lxl.accounts.id.PromptMomentNotification) => void)
      | undefined, type: 'display' | 'skipped' | 'dismissed', why?: string,
      reason?: lxl.accounts.id.FailureReason): void;
    /** Undefined where localStorage is unavailable. */
    readonly storage: SiteStorage | undefined;
    /** The part's one call; later calls are ignored. */
    install(part: Part): void;
  }
}
