/*! LxL ID browser SDK (core). Readable source: sdk/lxl-id.js, minified by sdk/build.mjs;
 types and docs: lxl-id.d.ts, docs/silent-sign-in.md */
// The silent path of docs/silent-sign-in.md, in the order it runs: initialize() → the status
// frame ("signed in at the IdP?") → the authorization request (an ID token, no page shown) →
// deliver (callback or login_uri). Then the button and the One-Tap card, whose code loads from
// the IdP on first use, then the smaller public calls, then helpers. Public types: sdk/lxl-id.d.ts.
(() => {
  /** The global object, untyped: the SDK adds `lxl` to it and reads site globals by name. */
  const page = /** @type {any} */ (window);
  // A second copy of this script (two tags, or a bundle that includes it again) keeps the
  // first copy's state: its frames, listeners and any attempt in flight.
  if (page.lxl?.accounts?.id) return;

  const PAGE_ORIGIN = location.origin;
  // The IdP serves this script, so its own src names the IdP: a site configures nothing else.
  // currentScript is only set while the script first runs, so read it now.
  const ownScript = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  const ownSrc = ownScript?.getAttribute('src');
  const IDP = ownSrc ? new URL(ownSrc, location.href).origin : '';

  // Why no credential came: the IdP's reasons, then the SDK's, in the order of
  // docs/silent-sign-in.md; app/idp/oidc/reasons.py holds the same list (tests check both).
  const REASONS = Object.freeze(['no_session', 'session_expired', 'auto_select_disabled',
    'consent_required', 'third_party_cookies_blocked', 'unknown_client', 'origin_not_allowed',
    'idp_unreachable', 'timeout', 'popup_closed', 'popup_blocked', 'access_denied',
    'invalid_response']);
  // The IdP refused the site itself: nothing changes until its registration does, so a tab
  // that got one of these stops re-checking when it becomes visible again.
  const SITE_MISCONFIGURED = ['unknown_client', 'origin_not_allowed'];

  // One attempt's whole budget unless the site sets timeout_ms: a hidden frame costs about
  // 20 ms on a fast line (BROWSER_NOTES.md), so 5 s only runs out when the IdP is in trouble.
  const DEFAULT_TIMEOUT_MS = 5000;
  // client-check is one small uncredentialed GET, asked only after a frame loaded in silence;
  // an IdP that cannot answer it within 0.9 s counts as unreachable, well inside the budget.
  const CLIENT_CHECK_TIMEOUT_MS = 900;
  // The tab that held the lock broadcast its credential just before releasing the lock, but
  // BroadcastChannel delivers in a later task: a waiting tab gives that message 50 ms.
  const SHARED_CREDENTIAL_WAIT_MS = 50;
  // On return to a tab, a credential within the last 20% of its lifetime is renewed, so the
  // site never holds one that expires while the person reads the page.
  const RENEW_IN_LAST_PART_OF_LIFETIME = 0.2;
  // How frame.next() rejects once its frame was closed: the attempt was dropped on purpose,
  // so nobody is told.
  const CANCELLED = Object.freeze({reason: 'cancelled'});
  // The part's URL carries its version, so a cached core never runs with a newer or older
  // part: sdk/build.mjs writes the hash of the part it built over 'source' (the readable
  // sources load each other unversioned).
  const PART_VERSION = 'source';
  // The person's sign-out here, kept in the page's own storage as well as at the IdP (as
  // Google Identity Services keeps its g_state cookie): where third-party cookies are blocked,
  // the status frame has no IdP cookie, so the IdP never hears disableAutoSelect().
  const SIGNED_OUT_KEY = 'auto_select_disabled';

  /** @typedef {lxl.accounts.id.IdConfiguration & {scope: string, timeout_ms: number,
   *   ux_mode: 'popup' | 'redirect'}} Options the site's options, defaults applied */
  /** @typedef {lxl.core.Frame} Frame */
  /** @typedef {Frame & {ready: Promise<SessionStatus>}} StatusFrame */
  /** @typedef {lxl.core.Failure} Failure */
  /** @typedef {lxl.core.AuthorizationResponse} AuthorizationResponse */
  /** @typedef {lxl.core.FrameMessage & {status?: string, reason?: string,
   *   session_state?: string}} SessionStatus what an `lxl:session` message says */
  /** @typedef {{[claim: string]: any}} IdTokenClaims JSON from the token: any shape at all */
  /** @typedef {{credential: string, claims: IdTokenClaims}} SignedIn */
  /**
   * @typedef {object} Attempt one silent sign-in
   * @property {boolean} cancelled set by cancel(): the attempt must tell nobody anything
   * @property {string} [heard] a credential another tab of the site broadcast meanwhile
   * @property {() => void} [wakeUp] ends the wait for that broadcast early
   * @property {Frame} [authorizeFrame] its one-off authorization frame, if it opened one
   * @property {Promise<boolean>} [done] settles with the attempt: did it deliver a credential?
   */
  /** @typedef {lxl.accounts.id.CredentialResponse | lxl.accounts.id.FailureResponse} Response */
  /** @typedef {(notification: lxl.accounts.id.PromptMomentNotification) => void} PromptListener */
  /** @typedef {[(value: any) => boolean, string, ((given: any) => boolean)?]} OptionRule
   *   is the value valid; what it must be (for the error); is it required given the others */

  const isText = (/** @type {unknown} */ value) => typeof value == 'string' && value != '';
  const isFunction = (/** @type {unknown} */ value) => typeof value == 'function';
  const isBoolean = (/** @type {unknown} */ value) => value === true || value === false;
  /** @type {Record<string, OptionRule>} */
  const OPTION_RULES = {
    client_id: [isText, 'your client_id', () => true],
    callback: [isFunction, 'a function (or set login_uri)', given => !given.login_uri],
    auto_select: [isBoolean, 'true or false'],
    itp_support: [isBoolean, 'true or false'],
    scope: [value => isText(value) && value.split(' ').includes('openid'),
      'a string with "openid"'],
    // Redirect mode leaves the page, so only the site's backend can check the ID token's nonce:
    // it must be the site's own.
    nonce: [isText, 'a non-empty string (ux_mode "redirect" needs your own)',
      given => given.ux_mode == 'redirect'],
    // Same origin only: the credential must never be POSTed to another site. new URL() throws
    // on a malformed value, which initialize() reports like any invalid one.
    login_uri: [value => isText(value) && new URL(value, location.href).origin == PAGE_ORIGIN,
      `a URL on ${PAGE_ORIGIN} (ux_mode "redirect" needs one)`,
      given => given.ux_mode == 'redirect'],
    timeout_ms: [value => Number.isInteger(value) && value >= 100 && value <= 60000,
      'an integer 100-60000'],
    on_moment: [isFunction, 'a function'],
    log_level: [value => value == 'warn' || value == 'silent', '"warn" or "silent"'],
    // Redirect mode's csrf cookie must be SameSite=None to come back with the IdP's cross-site
    // POST, and browsers drop a SameSite=None cookie that is not Secure.
    ux_mode: [value => value == 'popup' || value == 'redirect' && isSecureContext,
      '"popup" or "redirect" ("redirect" on https pages only: its cookie must be Secure)'],
  };

  /** @type {Options | undefined} */ let options;
  /** @type {StatusFrame | undefined} */ let statusFrame;
  /** @type {Attempt | undefined} */ let attempt;
  /** The last status that was not "unchanged". @type {SessionStatus | undefined} */
  let lastStatus;
  /** What the status frame compares to tell "unchanged". @type {string | undefined} */
  let sessionState;
  /** The claims of the page's credential, to renew it in time. @type {IdTokenClaims | undefined} */
  let heldClaims;
  /** To the site's other tabs: sign-out, and a credential a waiting tab may reuse.
   * @type {BroadcastChannel | undefined} */
  let tabsChannel;
  let siteMisconfigured = false;
  /** The button's and the card's code (sdk/lxl-id-ui.js) once it installed itself.
   * @type {lxl.core.Part | undefined} */
  let part;
  /** @type {HTMLScriptElement | undefined} */ let partScript;
  /** renderButton() calls made before the part arrived, in order.
   * @type {((loaded: lxl.core.Part) => void)[]} */
  let pendingCalls = [];
  /** The prompt() made before the part arrived: its listener and its wait. One at a time, as
   * the part's cards: a second prompt() restarts it, cancel() dismisses it.
   * @type {[PromptListener | undefined, Promise<boolean>] | undefined} */
  let pendingPrompt;
  const storage = siteStorage();

  /**
   * Configure the SDK; a second call cancels what the first started.
   * @param {Record<string, unknown> | undefined} config an IdConfiguration, checked here
   * @throws {TypeError} naming the option at fault and what it must be
   */
  function initialize(config) {
    const given = config || {};
    const validated = /** @type {Record<string, any>} */ (
      {scope: 'openid email profile', timeout_ms: DEFAULT_TIMEOUT_MS, ux_mode: 'popup'});
    for (const name in given) {
      // Own names only: `toString` and the like are on every object, and are no options.
      if (!Object.keys(OPTION_RULES).includes(name)) {
        throw usageError(`initialize({${name}})`, 'is no option; use ' + Object.keys(OPTION_RULES));
      }
    }
    for (const [name, [isValid, mustBe, isRequired]] of Object.entries(OPTION_RULES)) {
      const value = given[name];
      let valid = value === undefined && !isRequired?.(given);
      try {
        valid = valid || isValid(value);
      } catch {}
      if (!valid) {
        const shown = JSON.stringify(value) ?? typeof value;
        throw usageError(`initialize({${name}})`, `must be ${mustBe}, not ${shown}`);
      }
      if (value !== undefined) validated[name] = value;
    }
    if (!IDP) throw usageError('lxl-id.js', 'must load by <script src>');
    cancel();
    const configured = options = /** @type {Options} */ (validated);
    siteMisconfigured = false;
    heldClaims = lastStatus = undefined;
    listenToOtherTabs(configured.client_id);
    // Rendered buttons carry the options in their frames' URLs: draw them again with these.
    part?.renderAgain();
    // A later initialize() replaces these options; the attempt they asked for is then void.
    if (configured.auto_select) {
      whenDocumentReady(() => options == configured && startSilentSignIn());
    }
  }

  /**
   * Start a silent sign-in unless one is running. The site's tabs take turns (Web Locks): the
   * first asks the IdP while it holds the lock; the others wait, then reuse the credential it
   * broadcast, so tabs opened together cost the IdP one authorization, not one each.
   * @param {boolean} [recheck] on return to the tab: deliver nothing if nothing changed
   */
  function startSilentSignIn(recheck) {
    if (attempt || !options) return;
    const run = attempt = /** @type {Attempt} */ ({cancelled: false});
    const site = options;
    const locks = navigator.locks;
    const lockName = 'lxl:silent:' + site.client_id;
    /** @param {boolean} waitedForLock @returns {Promise<SignedIn | undefined>} */
    const signInHoldingLock = async waitedForLock => {
      if (waitedForLock && !run.heard && !site.nonce) {
        await new Promise(resolve => {
          run.wakeUp = () => resolve(undefined);
          setTimeout(resolve, SHARED_CREDENTIAL_WAIT_MS);
        });
      }
      return run.cancelled ? undefined : signInSilently(run, site, recheck);
    };
    const signingIn = /** @type {Promise<SignedIn | undefined>} */ (locks
      ? locks.request(lockName, {ifAvailable: true}, lock => lock
        ? signInHoldingLock(false)
        : locks.request(lockName, () => signInHoldingLock(true)))
      : signInHoldingLock(false));
    run.done = signingIn.then(signedIn => {
      if (run.cancelled || !signedIn) return false;
      heldClaims = signedIn.claims;
      // Signed in: a sign-in popup or a card the person opened meanwhile would deliver a second
      // credential.
      part?.signedIn();
      deliver({credential: signedIn.credential, select_by: 'auto', client_id: site.client_id});
      return true;
    }, error => {
      if (!run.cancelled) fail(error, 'silent sign-in');
      return false;
    }).finally(() => {
      if (attempt == run) attempt = undefined;
    });
  }

  /**
   * Steps 1–3 of docs/silent-sign-in.md: is the person signed in at the IdP (status frame),
   * then an ID token for this site (authorization request, prompt=none), then its checks.
   * @param {Attempt} run @param {Options} site @param {boolean} [recheck]
   * @returns {Promise<SignedIn | undefined>} undefined: a re-check found nothing changed
   */
  async function signInSilently(run, site, recheck) {
    // Signed out here, perhaps where the IdP could not hear it: no frame, no credential.
    if (signedOutHere()) throw {reason: 'auto_select_disabled'};
    // Another tab broadcast a credential meanwhile: use it if it passes the same checks (the
    // nonce aside: it was that tab's).
    if (run.heard && !site.nonce) {
      try {
        return {credential: run.heard, claims: checkIdToken(run.heard)};
      } catch {}
    }
    const deadline = Date.now() + site.timeout_ms;
    const timeLeft = () => deadline - Date.now();
    const {request, state, nonce} = authorizationRequest();
    // A first status frame carries the authorization request too: one frame load answers
    // both questions. Later attempts ask the frame already there, then open a one-off frame.
    const isFirstFrame = !statusFrame;
    const frame = statusFrame || openStatusFrame(request);
    stepStarts('check_session');
    let status = await frame.ready;
    if (!isFirstFrame) {
      frame.post({type: 'lxl:check', session_state: sessionState});
      const answer = await frame.next('lxl:session', 'check_session', timeLeft()).catch(error => {
        if (statusFrame == frame) closeStatusFrame();
        throw error;
      });
      status = rememberStatus(answer);
    }
    stepEnds('check_session');
    const stillSignedIn = lastStatus?.status == 'logged_in';
    if (recheck && status.status == 'unchanged' && !(stillSignedIn && credentialIsAging())) {
      return undefined;
    }
    if (!stillSignedIn) {
      heldClaims = undefined;
      // "unknown" means the frame could not read its cookies: say that, never "logged out".
      throw {reason: lastStatus?.status == 'logged_out'
        ? knownReason(lastStatus.reason, 'no_session')
        : 'third_party_cookies_blocked'};
    }

    stepStarts('authorize');
    const authorizeFrame = isFirstFrame ? frame : run.authorizeFrame = openFrame('/oidc/authorize',
      {...request, response_mode: 'web_message', prompt: 'none'}, 'authorize');
    /** @type {AuthorizationResponse} */ let response;
    try {
      const message = await authorizeFrame.next('authorization_response', 'authorize', timeLeft());
      response = message.response || {};
    } finally {
      if (!isFirstFrame) authorizeFrame.close();
    }
    stepEnds('authorize');
    const claims = checkAuthorizationResponse(response, state, nonce);
    const credential = /** @type {string} */ (response.id_token);
    // Only a credential bound to the SDK's own nonce may serve other tabs: a site nonce
    // belongs to the one page load whose backend is waiting for it.
    if (!site.nonce && !run.cancelled) tabsChannel?.postMessage({type: 'credential', credential});
    return {credential, claims};
  }

  /**
   * The status frame: it stays for the page's life and answers `lxl:check` on each return to
   * the tab (OIDC Session Management's check_session_iframe, with postMessage both ways).
   * @param {Record<string, string>} [request] the first attempt's authorization request
   * @returns {StatusFrame}
   */
  function openStatusFrame(request) {
    const site = /** @type {Options} */ (options);
    const query = {client_id: site.client_id, origin: PAGE_ORIGIN,
      ...(site.itp_support ? {itp_support: '1'} : {}), ...request};
    const frame = openFrame('/oidc/iframe/check_session', query, 'check_session');
    const ready = frame.next('lxl:session', 'check_session', site.timeout_ms).then(rememberStatus);
    const opened = statusFrame = {...frame, ready};
    // A frame that never said how the session is, is of no use later either.
    ready.catch(() => statusFrame == opened && closeStatusFrame());
    return opened;
  }

  function closeStatusFrame() {
    statusFrame?.close();
    statusFrame = undefined;
  }

  /** @param {lxl.core.FrameMessage} message an `lxl:session` message */
  function rememberStatus(message) {
    const status = /** @type {SessionStatus} */ (message);
    if (status.status != 'unchanged') lastStatus = status;
    sessionState = status.session_state || sessionState;
    return status;
  }

  /** Is the page's credential missing, of unknown lifetime, or near its end? */
  function credentialIsAging() {
    const {exp, iat} = heldClaims || /** @type {IdTokenClaims} */ ({});
    return !(Date.now() / 1000 < exp - (exp - iat) * RENEW_IN_LAST_PART_OF_LIFETIME);
  }

  /**
   * A fresh authorization request for this page (OIDC Core §3.2.2.1 with response_mode
   * web_message): the IdP answers to this page's origin.
   * @returns {lxl.core.AuthorizationRequest}
   */
  function authorizationRequest() {
    const site = /** @type {Options} */ (options);
    const state = randomToken();
    const nonce = site.nonce || randomToken();
    return {state, nonce, request: {response_type: 'id_token', scope: site.scope, nonce, state,
      redirect_uri: PAGE_ORIGIN, client_id: site.client_id}};
  }

  /**
   * State first (a response to another request is refused whatever it says), then the error,
   * then the ID token's claims.
   * @param {AuthorizationResponse} response @param {string} state @param {string} nonce
   * @returns {IdTokenClaims}
   */
  function checkAuthorizationResponse(response, state, nonce) {
    if (response.state !== state) throw {reason: 'invalid_response', detail: 'state'};
    if (response.error) {
      const reason = knownReason(response.reason, knownReason(response.error, 'no_session'));
      throw {reason, detail: response.error};
    }
    sessionState = response.session_state || sessionState;
    return checkIdToken(response.id_token, nonce);
  }

  /**
   * The checks of OIDC Core §3.1.3.7 a page can make: iss, aud, azp, nonce, exp. Not the
   * signature: the site's backend verifies that against the IdP's keys.
   * @param {string | undefined} token @param {string} [nonce] none: a token another tab got
   * @returns {IdTokenClaims}
   */
  function checkIdToken(token, nonce) {
    /** @type {IdTokenClaims} */ let claims = {};
    try {
      const payload = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      claims = JSON.parse(atob(payload));
    } catch {}
    const clientId = /** @type {Options} */ (options).client_id;
    const audiences = [claims.aud].flat();
    const badClaim = claims.iss !== IDP ? 'iss'
      : !audiences.includes(clientId) || audiences.length > 1 && claims.azp !== clientId ? 'aud'
        : nonce && claims.nonce !== nonce ? 'nonce'
          : claims.exp * 1000 > Date.now() ? '' : 'exp';
    if (badClaim) throw {reason: 'invalid_response', detail: badClaim};
    return claims;
  }

  /**
   * Tell the site: its callback, else a form POST of the credential to login_uri (a failure
   * posts nothing). Moments bracket the callback so a page can time it.
   * @param {Response} response
   * @returns {Response} what the site was told
   */
  function deliver(response) {
    const site = /** @type {Options} */ (options);
    stepStarts('callback');
    runSiteCode(() => {
      if (site.callback) site.callback(response);
      else if (response.credential) postToLoginUri(response.credential);
    });
    stepEnds('callback');
    moment(response.credential === undefined
      ? {type: 'result', ok: false, reason: response.reason}
      : {type: 'result', ok: true});
    return response;
  }

  /**
   * Deliver a failure and say once on the console why, and what the site could do.
   * @param {Failure & {message?: string}} error a Failure, or an Error from a bug
   * @param {string} what what failed, for the console
   * @returns {Response} what the site was told
   */
  function fail(error, what) {
    const reason = knownReason(error.reason, 'invalid_response');
    siteMisconfigured = SITE_MISCONFIGURED.includes(reason);
    warn(what, {...error, reason, detail: error.detail || error.message});
    return deliver({credential: undefined, error: 'login_required', reason,
      ...(reason == 'timeout' ? {step: /** @type {any} */ (error.step)} : {})});
  }

  /**
   * Without a callback: POST the credential to login_uri with a double-submit CSRF token (a
   * field and a cookie of equal value), as Google Identity Services does. Same origin, so a
   * Strict cookie comes along; Secure wherever the page may set it.
   * @param {string} credential
   */
  function postToLoginUri(credential) {
    const form = document.createElement('form');
    const csrfToken = randomToken();
    document.cookie = `g_csrf_token=${csrfToken};path=/;SameSite=Strict` +
      (isSecureContext ? ';Secure' : '');
    Object.assign(form, {method: 'post', action: options?.login_uri, hidden: true});
    for (const [name, value] of Object.entries({credential, g_csrf_token: csrfToken})) {
      form.append(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
    }
    document.body.append(form);
    form.submit();
  }

  /**
   * Render the "Sign in with LxL ID" button into `parent`. The button, its popup and redirect
   * mode live in sdk/lxl-id-ui.js, which the IdP serves and this loads on the first call;
   * calls made before it arrives wait for it. Its options are checked there.
   * @param {HTMLElement} parent @param {lxl.accounts.id.GsiButtonConfiguration} [buttonOptions]
   */
  function renderButton(parent, buttonOptions) {
    if (!options) throw usageError('initialize()', 'must come first');
    // nodeType, not instanceof: an element from another frame's realm is an element too.
    if (parent?.nodeType !== 1) throw usageError('renderButton(parent)', 'must be an Element');
    if (part) return part.renderButton(parent, buttonOptions);
    pendingCalls.push(loaded => loaded.renderButton(parent, buttonOptions));
    loadPart('renderButton');
  }

  /**
   * Show the One-Tap card (sdk/lxl-id-ui.js) once the silent attempt in flight, if any, ended
   * without a credential; `listener` hears its moments (on_moment too, as `prompt`).
   * @param {PromptListener} [listener]
   */
  function prompt(listener) {
    if (!options) throw usageError('initialize()', 'must come first');
    if (listener !== undefined && !isFunction(listener)) {
      throw usageError('prompt(listener)', 'must be a function');
    }
    // Asked now, not once the part arrived: an attempt that delivers meanwhile must count.
    const silentSignIn = afterSilentSignIn();
    if (part) return part.prompt(listener, silentSignIn);
    endPendingPrompt('dismissed', 'flow_restarted');
    pendingPrompt = [listener, silentSignIn];
    loadPart('prompt');
  }

  /** Tell the prompt() waiting for the part its last moment (promptMoment's), and drop it.
   * @param {'display' | 'dismissed'} type @param {string} why
   * @param {lxl.accounts.id.FailureReason} [reason] */
  function endPendingPrompt(type, why, reason) {
    if (pendingPrompt) promptMoment(pendingPrompt[0], type, why, reason);
    pendingPrompt = undefined;
  }

  /**
   * Resolves when the silent attempt in flight, if any, has settled: true if it delivered a
   * credential. Asked once the document is ready: initialize() starts its attempt then.
   * @returns {Promise<boolean>}
   */
  function afterSilentSignIn() {
    return new Promise(resolve => whenDocumentReady(() => resolve(attempt?.done || false)));
  }

  /** Load the part once; it reads `lxlCore` off its script element and installs.
   * @param {string} what the public call, named if the part fails to load */
  function loadPart(what) {
    if (partScript) return;
    const script = partScript = document.createElement('script');
    script.src = `${IDP}/static/lxl-id-ui.js?v=${PART_VERSION}`;
    // A site with a nonce-based Content-Security-Policy gave this script its nonce; the part
    // needs the same to run. (A script added by code never blocks the parser: no async needed.)
    if (ownScript?.nonce) script.nonce = ownScript.nonce;
    /** @type {any} */ (script).lxlCore = core;
    // The part installs itself as it runs, before its load event. An error event means the IdP
    // did not serve it; a load without install, that it served something else (an error page
    // fails to parse as a script, and load still fires). A later call tries again.
    script.onload = script.onerror = () => {
      if (part) return;
      script.remove();
      partScript = undefined;
      // Told only if a call still waits: after cancel(), nobody does.
      if (!pendingCalls.length && !pendingPrompt) return;
      pendingCalls = [];
      fail({reason: 'idp_unreachable', detail: 'lxl-id-ui.js'}, what);
      endPendingPrompt('display', 'unknown_reason', 'idp_unreachable');
    };
    document.head.append(script);
  }

  /** The part's one call: any later one (another script on the page) changes nothing.
   * @param {lxl.core.Part} installed */
  function install(installed) {
    if (part) return;
    part = installed;
    for (const call of pendingCalls.splice(0)) runSiteCode(() => call(installed));
    const waiting = pendingPrompt;
    pendingPrompt = undefined;
    if (waiting) runSiteCode(() => installed.prompt(...waiting));
  }

  /**
   * The answer to the button or the card (from a frame or the popup): the same checks as the
   * silent path's, then the callback. A silent attempt still in flight is dropped, and the
   * part ends its other flows (signedIn()) before the callback runs: one sign-in, one
   * credential.
   * @param {AuthorizationResponse} response
   * @param {{state: string, nonce: string}} request what authorizationRequest() returned
   * @param {'btn' | 'user'} selectBy
   * @returns {Response} what the site was told
   */
  function finish(response, request, selectBy) {
    /** @type {IdTokenClaims} */ let claims;
    try {
      claims = checkAuthorizationResponse(response || {}, request.state, request.nonce);
    } catch (error) {
      return fail(/** @type {Failure} */ (error), 'sign-in');
    }
    abortAttempt();
    part?.signedIn();
    heldClaims = claims;
    // Signed in on purpose: automatic sign-in may resume.
    rememberSignedOutHere(false);
    const credential = /** @type {string} */ (response.id_token);
    const clientId = /** @type {Options} */ (options).client_id;
    return deliver({credential, select_by: selectBy, client_id: clientId});
  }

  /** @param {string} reason @param {string} [detail] */
  function failure(reason, detail) {
    return /** @type {lxl.accounts.id.FailureResponse} */ (fail({reason, detail}, 'sign-in'));
  }

  /**
   * Tell a moment of the One-Tap card to prompt()'s listener, as Google Identity Services'
   * PromptMomentNotification (frozen), and the same to on_moment as `{type: 'prompt', …}`.
   * @see Google Identity Services' PromptMomentNotification:
   *   https://developers.google.com/identity/gsi/web/reference/js-reference#PromptMomentNotification
   * @param {PromptListener | undefined} listener
   * @param {'display' | 'skipped' | 'dismissed'} type
   * @param {string} [why] GIS's reason for this type of moment; none: the card is displayed
   * @param {lxl.accounts.id.FailureReason} [reason] the failure reason behind it, if one applies
   */
  function promptMoment(listener, type, why, reason) {
    const whyIf = (/** @type {string} */ ofType) => () => type == ofType ? why : undefined;
    const notification = /** @type {lxl.accounts.id.PromptMomentNotification} */ (Object.freeze({
      getMomentType: () => type,
      isDisplayMoment: () => type == 'display',
      isDisplayed: () => type == 'display' && !why,
      isNotDisplayed: () => type == 'display' && !!why,
      getNotDisplayedReason: whyIf('display'),
      isSkippedMoment: () => type == 'skipped',
      getSkippedReason: whyIf('skipped'),
      isDismissedMoment: () => type == 'dismissed',
      getDismissedReason: whyIf('dismissed'),
      ...reason && {reason},
    }));
    runSiteCode(() => listener?.(notification));
    const said = type != 'display' ? {[type + '_reason']: why}
      : why ? {displayed: false, not_displayed_reason: why} : {displayed: true};
    moment({type: 'prompt', moment: type, ...said, ...reason && {reason}});
  }

  /** What the part needs of the core: sdk/lxl-id.d.ts `lxl.core.Core`. @type {lxl.core.Core} */
  const core = Object.freeze({
    idp: IDP,
    origin: PAGE_ORIGIN,
    options: () => /** @type {Options} */ ({...options}),
    status: () => lastStatus,
    openFrame,
    authorizationRequest,
    finish,
    failure,
    moment,
    promptMoment,
    storage,
    install,
  });

  /** Sign-out in all tabs: the next attempt fails with auto_select_disabled. */
  function disableAutoSelect() {
    abortAttempt();
    heldClaims = undefined;
    tabsChannel?.postMessage({type: 'signed_out'});
    tellStatusFrame({type: 'lxl:disable_auto_select'}, 'lxl:auto_select_disabled',
      result => result.successful || warn('disableAutoSelect', {reason: result.error}));
    // After tellStatusFrame, which throws before initialize(): the key names the client.
    rememberSignedOutHere(true);
  }

  /** Remove every frame and listener; a cancelled attempt calls no callback. */
  function cancel() {
    abortAttempt();
    closeStatusFrame();
    // A prompt() still waiting for the part ends now, as a card would. (renderButton() calls
    // still wait: a rendered button outlives cancel(), and initialize() calls this.)
    endPendingPrompt('dismissed', 'cancel_called');
    part?.cancel();
  }

  /**
   * Revoke this client's grant for a person, through the status frame.
   * @param {string} hint an ID token or a sub
   * @param {(response: lxl.accounts.id.RevocationResponse) => void} [done]
   */
  function revoke(hint, done) {
    if (!isText(hint)) throw usageError('revoke(hint)', 'must be an ID token or a sub');
    if (done && !isFunction(done)) throw usageError('revoke(hint, done)', 'must be a function');
    heldClaims = undefined;
    tellStatusFrame({type: 'lxl:revoke', hint}, 'lxl:revoked', result => done?.(result));
  }

  /**
   * Send the status frame a request and hand its reply to `done`, as {successful, error}.
   * @param {object} message @param {string} replyType
   * @param {(result: lxl.accounts.id.RevocationResponse) => void} done
   */
  function tellStatusFrame(message, replyType, done) {
    if (!options) throw usageError('initialize()', 'must come first');
    const site = options;
    const frame = statusFrame || openStatusFrame();
    frame.ready
      .then(() => {
        frame.post(message);
        return frame.next(replyType, replyType, site.timeout_ms);
      })
      .then(reply => reply.ok ? {successful: true}
        : {successful: false, error: /** @type {string} */ (reply.error) || 'refused'},
      error => error != CANCELLED && {successful: false, error: String(error.reason)})
      .then(result => result && runSiteCode(() => done(result)));
  }

  function abortAttempt() {
    if (!attempt) return;
    attempt.cancelled = true;
    attempt.authorizeFrame?.close();
    attempt = undefined;
  }

  /** @param {string} clientId */
  function listenToOtherTabs(clientId) {
    tabsChannel?.close();
    // No BroadcastChannel (Safari before 15.4): each tab on its own.
    tabsChannel = page.BroadcastChannel && new BroadcastChannel('lxl:' + clientId);
    if (!tabsChannel) return;
    tabsChannel.onmessage = ({data: message}) => {
      // The sign-out is in the storage this tab shares: its next attempts fail at once.
      if (message.type == 'signed_out') {
        abortAttempt();
        heldClaims = undefined;
        moment(message);
      }
      if (message.type == 'credential' && attempt) {
        attempt.heard = message.credential;
        attempt.wakeUp?.();
      }
    };
  }

  // Helpers.

  /**
   * An IdP frame, and what it says. A message counts only if it comes from this frame's window
   * and from the IdP's origin: the page may hold other frames, and any of them may post.
   * @param {string} path @param {Record<string, string>} query
   * @param {string} name what the frame is for, told in its moments and a timeout's `step`
   * @param {HTMLElement} [container] show the frame there; without one it is hidden in body
   * @returns {Frame}
   */
  function openFrame(path, query, name, container) {
    const iframe = document.createElement('iframe');
    /** @type {lxl.core.FrameMessage[]} */ const inbox = [];
    /** @type {Set<(timedOut?: Failure) => void>} */ const waiters = new Set();
    const wakeWaiters = () => waiters.forEach(waiter => waiter());
    /** Why nothing more will come: refused, unreachable or closed. @type {Failure | undefined} */
    let frameFailure;
    /** @param {Failure} failed */
    const failFrame = failed => {
      frameFailure ||= failed;
      wakeWaiters();
    };
    let greeted = false;
    /** Takes the messages no next() awaits (onMessage).
     * @type {lxl.core.FrameHandler | undefined} */
    let handler;

    /** @param {MessageEvent} event */
    const receive = event => {
      const message = event.data;
      if (event.source !== iframe.contentWindow || event.origin !== IDP || !message?.type) return;
      // Told as it arrives: what the frame said, never the credential it carried.
      const {status, reason, error, granted} = message.response || message;
      moment({type: 'message', message: message.type, frame: name, ...(status ? {status} : {}),
        ...(reason ? {reason} : {}), ...(error ? {error} : {}),
        ...(typeof granted == 'boolean' ? {granted} : {})});
      greeted = true;
      inbox.push(message);
      wakeWaiters();
      // Not awaited: a frame with a handler hands it over rather than queue it (a visible
      // frame posts on every layout and click, for as long as it lives).
      const unclaimed = inbox.indexOf(message);
      if (handler && unclaimed >= 0) handler(inbox.splice(unclaimed, 1)[0]);
    };
    addEventListener('message', receive);

    // Loaded without a word: the IdP refused to be framed here (its refusal page cannot post),
    // the IdP is down, or the hello is still on its way (Chromium may deliver a cross-site
    // frame's first message after the frame's load event). client-check says which, without
    // cookies.
    iframe.onload = () => {
      if (greeted) return;
      const site = /** @type {Options} */ (options);
      const check = new URLSearchParams({client_id: site.client_id, origin: PAGE_ORIGIN});
      fetch(`${IDP}/oidc/client-check?${check}`,
        {credentials: 'omit', signal: AbortSignal.timeout(CLIENT_CHECK_TIMEOUT_MS)})
        .then(answer => answer.json())
        .then(verdict => verdict.ok || verdict.error, () => undefined)
        .then(verdict => {
          if (greeted) return;
          if (verdict !== true) {
            const reason = SITE_MISCONFIGURED.includes(verdict) ? verdict : 'idp_unreachable';
            return failFrame({reason, step: name});
          }
          // The site may frame us, yet the page said nothing: its hello may still be on its
          // way, or the IdP answered with no frame at all (a 5xx, a 429). One attempt's budget,
          // then that IdP counts as unreachable.
          setTimeout(() => greeted || failFrame({reason: 'idp_unreachable', step: name}),
            site.timeout_ms);
        });
    };
    iframe.src = IDP + path + '?' + new URLSearchParams(query);
    if (container) {
      container.append(iframe);
    } else {
      // Hidden by attributes, not an inline style: a site's CSP need not allow inline styles.
      Object.assign(iframe, {hidden: true, width: 0, height: 0, ariaHidden: 'true'});
      document.body.append(iframe);
    }

    return {
      element: iframe,
      post: message => iframe.contentWindow?.postMessage(message, IDP),
      next: (type, step, ms) => new Promise((resolve, reject) => {
        /** @param {Failure} [timedOut] */
        const settleIfDue = timedOut => {
          const index = inbox.findIndex(message => message.type == type);
          const failed = timedOut || frameFailure;
          if (index < 0 && !failed) return;
          clearTimeout(timer);
          waiters.delete(settleIfDue);
          if (index >= 0) resolve(inbox.splice(index, 1)[0]);
          else reject(failed);
        };
        const timer = ms === undefined ? undefined
          : setTimeout(settleIfDue, ms, {reason: 'timeout', step});
        waiters.add(settleIfDue);
        settleIfDue();
      }),
      onMessage: handle => {
        handler = handle;
        for (const message of inbox.splice(0)) handle(message);
      },
      close: () => {
        removeEventListener('message', receive);
        iframe.remove();
        frameFailure = CANCELLED;
        wakeWaiters();
      },
    };
  }

  /**
   * localStorage under this client's prefix, for memory across visits: the person's sign-out
   * here, and the part's (a refused storage-access prompt). Undefined where reading
   * localStorage throws (storage blocked for the site, sandboxed frames); any call may throw
   * too (quota, private modes).
   * @returns {lxl.core.SiteStorage | undefined}
   */
  function siteStorage() {
    /** @type {Storage} */ let local;
    try {
      local = page.localStorage;
    } catch {
      return undefined;
    }
    if (!local) return undefined;
    const key = (/** @type {string} */ name) => `lxl:${options?.client_id}:${name}`;
    return {
      getItem: name => local.getItem(key(name)),
      setItem: (name, value) => local.setItem(key(name), value),
      removeItem: name => local.removeItem(key(name)),
    };
  }

  /** Did the person sign out here since they last signed in with the button? Storage that
   * cannot be read says no: the IdP decides, as it would without this memory. */
  function signedOutHere() {
    try {
      return !!storage?.getItem(SIGNED_OUT_KEY);
    } catch {
      return false;
    }
  }

  /** @param {boolean} signedOut */
  function rememberSignedOutHere(signedOut) {
    try {
      if (signedOut) storage?.setItem(SIGNED_OUT_KEY, '1');
      else storage?.removeItem(SIGNED_OUT_KEY);
    } catch {} // storage full or blocked: the IdP's own record is all there is
  }

  /**
   * Stamped as it happens, so a page can draw the sequence without timing anything itself.
   * @param {object} happened a Moment without its `ms`
   */
  function moment(happened) {
    runSiteCode(() => options?.on_moment?.(
      /** @type {lxl.accounts.id.Moment} */ ({...happened, ms: performance.now()})));
  }

  /** @param {string} step */
  function stepStarts(step) {
    performance.mark('lxl:' + step);
    moment({type: 'step', step});
  }

  /** The step's duration as a performance measure `lxl:<step>`, for DevTools.
   * @param {string} step */
  function stepEnds(step) {
    performance.measure('lxl:' + step, 'lxl:' + step);
  }

  /** @param {string} what @param {Failure} failed */
  function warn(what, {reason, step, detail}) {
    if (options?.log_level == 'silent') return;
    const said = [reason, step, detail].filter(Boolean).join(' ');
    console.warn(`lxl-id: ${what} failed: ${said}. ${hintFor(String(reason), what)}`.trim());
  }

  /** What the site can do about a failure. @param {string} reason @param {string} what */
  function hintFor(reason, what) {
    const clientId = options?.client_id;
    /** @type {Record<string, string>} */
    const hints = {
      origin_not_allowed: `Register ${PAGE_ORIGIN} as a web origin of client ${clientId}.`,
      unknown_client: `Check client_id ${clientId}.`,
      // With itp_support on, a click in the button's frame can still ask for storage access.
      third_party_cookies_blocked: options?.itp_support ? 'Show a sign-in button.'
        : 'Try itp_support: true.',
      invalid_response: `Is ${IDP} the issuer? Is the clock right?`,
      idp_unreachable: `Is ${IDP} up?`,
      timeout: `Is ${IDP} up?`,
    };
    return hints[reason] || (what == 'silent sign-in' ? 'Show a sign-in button.' : '');
  }

  /**
   * A reason from the list, else `fallback`.
   * @param {unknown} reason @param {lxl.accounts.id.FailureReason} fallback
   * @returns {lxl.accounts.id.FailureReason}
   */
  function knownReason(reason, fallback) {
    const listed = /** @type {readonly unknown[]} */ (REASONS).includes(reason);
    return listed ? /** @type {lxl.accounts.id.FailureReason} */ (reason) : fallback;
  }

  /** 128 random bits as digits: safe in a URL, a cookie and a form without any encoding. */
  function randomToken() {
    return crypto.getRandomValues(new Uint32Array(4)).join('');
  }

  /** Run the site's code (a callback): its errors are the site's, reported, never ours.
   * @param {() => unknown} siteCode */
  function runSiteCode(siteCode) {
    try {
      siteCode();
    } catch (error) {
      reportError(error);
    }
  }

  /** @param {() => void} then */
  function whenDocumentReady(then) {
    if (document.readyState == 'loading') {
      document.addEventListener('DOMContentLoaded', then, {once: true});
    } else {
      then();
    }
  }

  /** @param {string} what @param {string} how */
  function usageError(what, how) {
    return new TypeError(`lxl-id: ${what} ${how}`);
  }

  // Wiring, once per page.

  page.lxl = {...page.lxl, accounts: {...page.lxl?.accounts, id: Object.freeze({
    initialize, renderButton, prompt, disableAutoSelect, cancel, revoke, _reasons: REASONS,
  })}};

  // Returning to the tab is the moment to re-check (never a timer): the session may have
  // ended or changed elsewhere, or the credential may be near its end.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState != 'visible' || !options?.auto_select || siteMisconfigured) return;
    if (statusFrame || credentialIsAging()) startSilentSignIn(true);
  });

  // The HTML API: <div id="lxl_id_onload" data-client_id="…" data-callback="globalName" …>.
  whenDocumentReady(() => {
    const element = document.getElementById('lxl_id_onload');
    if (!element) return;
    /** @type {Record<string, unknown>} */ const config = {};
    for (const name in OPTION_RULES) {
      const value = element.dataset[name];
      if (!value) continue;
      // Functions are named globals; an unknown name stays a string for initialize() to report.
      if (name == 'callback' || name == 'on_moment') config[name] = page[value] || value;
      else if (value == 'true' || value == 'false') config[name] = value == 'true';
      else config[name] = name == 'timeout_ms' ? Number(value) : value;
    }
    initialize(config);
  });
})();
