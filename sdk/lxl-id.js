/*! LxL ID browser SDK. Readable source: sdk/lxl-id.js; docs: docs/silent-sign-in.md, lxl-id.d.ts */
(() => {
  const win = /** @type {any} */ (window), doc = document, ORIGIN = location.origin;
  if (win.lxl?.accounts?.id) return;
  // Served by the IdP: our src names it
  const SRC = doc.currentScript?.getAttribute('src'), IDP = SRC ? new URL(SRC, location.href).origin : '';
  const REASONS = Object.freeze(['no_session', 'session_expired', 'auto_select_disabled',
    'consent_required', 'third_party_cookies_blocked', 'unknown_client', 'origin_not_allowed',
    'idp_unreachable', 'timeout', 'popup_closed', 'popup_blocked', 'invalid_response']);
  const CANCELLED = {}, MISCONFIGURED = /^(unknown_client|origin_not_allowed)$/;
  /** @typedef {{post(m: object): void, next(type: string, step: string, ms: number): Promise<any>, close(): void, ready?: Promise<any>}} Frame */
  /** @type {Frame=} */ let statusFrame;
  let [options, attempt, lastStatus, cached, sessionState, channel] = /** @type {any[]} */ ([]);
  let misconfigured = false;

  const usageError = (what, how) => new TypeError(`lxl-id: ${what} ${how}`);
  const isText = v => typeof v == 'string' && v != '';
  const isFunction = v => typeof v == 'function';
  /** @type {Record<string, [(v: any) => boolean, string]>} */
  const OPTIONS = {
    client_id: [isText, 'your client_id'],
    callback: [isFunction, 'a function (or set login_uri)'],
    auto_select: [v => v === !!v, 'true or false'],
    itp_support: [v => v === !!v, 'true or false'],
    scope: [v => isText(v) && v.split(' ').includes('openid'), 'a string with "openid"'],
    nonce: [isText, 'a non-empty string'],
    login_uri: [v => isText(v) && new URL(v, location.href).origin == ORIGIN, 'a URL on ' + ORIGIN],
    timeout_ms: [v => Number.isInteger(v) && v >= 100 && v <= 6e4, 'an integer 100-60000'],
    on_moment: [isFunction, 'a function'],
    log_level: [v => v == 'warn' || v == 'silent', '"warn" or "silent"'],
  };
  const onReady = f => doc.readyState == 'loading' ? doc.addEventListener('DOMContentLoaded', f, {once: true}) : f();
  const random = () => crypto.getRandomValues(new Uint32Array(4)).join('');
  const known = (r, d) => REASONS.includes(r) ? r : d;
  // f: site code, whose errors are the site's
  const guard = f => { try { f() } catch (e) { reportError(e) } };
  // Stamped as it happens, so a page can draw the sequence without timing anything itself
  const moment = m => guard(() => options.on_moment?.({...m, ms: performance.now()}));
  const step = s => { performance.mark('lxl:' + s); moment({type: 'step', step: s}) };
  const measure = s => performance.measure('lxl:' + s, 'lxl:' + s);
  /** @param {string} what @param {any} e */
  const warn = (what, {reason: r, step, detail}) => options.log_level != 'silent' && console.warn(
    `lxl-id: ${what} failed: ${r} ${step || ''} ${detail || ''}. ` + (/** @type {any} */ ({
      origin_not_allowed: `Register ${ORIGIN} as a web origin of client ${options.client_id}.`,
      unknown_client: `Check client_id ${options.client_id}.`,
      third_party_cookies_blocked: 'Try itp_support: true.',
      invalid_response: `Is ${IDP} the issuer? Is the clock right?`,
    })[r] || (/unre|tim/.test(r) ? `Is ${IDP} up?` : 'Show a sign-in button.')));

  /** @param {string} path @param {Record<string, string>} q @param {string} step @returns {Frame} */
  function openFrame(path, q, step) {
    const f = doc.createElement('iframe'), inbox = [], waiters = new Set();
    const wakeAll = () => waiters.forEach(w => w());
    let fail, greeted = 0;
    const on = e => {
      const m = e.data;
      if (e.source === f.contentWindow && e.origin === IDP && m?.type) {
        // What the frame said, never the credential it carried
        const {status, reason, error} = m.response || m;
        moment({type: 'message', message: m.type, frame: step, ...status && {status}, ...reason && {reason}, ...error && {error}});
        greeted = inbox.push(m); wakeAll();
      }
    };
    addEventListener('message', on);
    // Loaded, no hello yet: refused, IdP down, or hello in flight. client-check says which;
    // "ok": the frame is ours, so its hello is awaited.
    f.onload = () => greeted || fetch(`${IDP}/oidc/client-check?` + new URLSearchParams({client_id: options.client_id, origin: ORIGIN}),
      {credentials: 'omit', signal: AbortSignal.timeout(900)}).then(r => r.json()).then(j => j.ok || j.error, () => 0)
      .then(r => { greeted || r === true || (fail = {reason: MISCONFIGURED.test(r) ? r : 'idp_unreachable', step}, wakeAll()) });
    Object.assign(f, {src: IDP + path + '?' + new URLSearchParams(q), hidden: true, width: 0, height: 0, ariaHidden: 'true'});
    doc.body.append(f);
    return {
      post: m => f.contentWindow?.postMessage(m, IDP),
      next: (type, st, ms) => new Promise((res, rej) => {
        const w = to => {
          const i = inbox.findIndex(m => m.type == type), e = to || fail;
          if (i >= 0 || e) { clearTimeout(t); waiters.delete(w); i < 0 ? rej(e) : res(inbox.splice(i, 1)[0]) }
        }, t = setTimeout(w, ms, {reason: 'timeout', step: st});
        waiters.add(w); w(0);
      }),
      close: () => { removeEventListener('message', on); f.remove(); fail = CANCELLED; wakeAll() },
    };
  }

  /** @param {Record<string, string>} [request] */
  function openStatusFrame(request) {
    const frame = statusFrame = openFrame('/oidc/iframe/check_session',
      {client_id: options.client_id, origin: ORIGIN, ...options.itp_support && {itp_support: '1'}, ...request}, 'check_session');
    (frame.ready = frame.next('lxl:session', 'check_session', options.timeout_ms).then(remember)).catch(() => statusFrame == frame && closeStatusFrame());
    return frame;
  }
  const closeStatusFrame = () => { statusFrame?.close(); statusFrame = undefined };
  const remember = s => { if (s.status != 'unchanged') lastStatus = s; sessionState = s.session_state || sessionState; return s };
  const stale = () => !(Date.now() / 1e3 < cached?.exp - (cached?.exp - cached?.iat) / 5);

  // One attempt in all tabs; a waiter gives the holder's broadcast 50 ms
  /** @param {boolean} [recheck] */
  function start(recheck) {
    if (attempt) return;
    const run = attempt = /** @type {any} */ ({}), locks = navigator.locks, name = 'lxl:silent:' + options.client_id,
      go = async (waited = 0) => (waited && !run.heard && !options.nonce &&
        await new Promise(r => setTimeout(run.wake = r, 50)), run.cancelled || signInSilently(run, recheck));
    (locks?.request(name, {ifAvailable: true}, lock => lock ? go() : locks.request(name, () => go(1))) || go())
      .then(signedIn => run.cancelled || signedIn && (cached = signedIn[1], deliver({credential: signedIn[0], select_by: 'auto', client_id: options.client_id})), e => run.cancelled || fail(e)).finally(() => attempt == run && (attempt = undefined));
  }

  /** Steps 1-3 @param {any} run @param {boolean} [recheck] @returns {Promise<any>} */
  async function signInSilently(run, recheck) {
    if (run.heard && !options.nonce) try { return [run.heard, checkIdToken(run.heard)] } catch {}
    const deadline = Date.now() + options.timeout_ms, left = () => deadline - Date.now(), state = random(), nonce = options.nonce || random();
    const request = {response_type: 'id_token', scope: options.scope, nonce, state, redirect_uri: ORIGIN};
    const fresh = !statusFrame, frame = statusFrame || openStatusFrame(request);
    step('check_session');
    let status = await frame.ready, response;
    if (!fresh) {
      frame.post({type: 'lxl:check', session_state: sessionState});
      status = remember(await frame.next('lxl:session', 'check_session', left()).catch(e => { statusFrame == frame && closeStatusFrame(); throw e }));
    }
    measure('check_session');
    if (recheck && status.status == 'unchanged' && !(lastStatus.status == 'logged_in' && stale())) return;
    if (lastStatus.status != 'logged_in') {
      cached = undefined; // "can't tell" is never "logged out"
      throw {reason: lastStatus.status == 'logged_out' ? known(lastStatus.reason, 'no_session') : 'third_party_cookies_blocked'};
    }
    step('authorize');
    const authorizeFrame = fresh ? frame : run.frame = openFrame('/oidc/authorize', {...request, client_id: options.client_id, response_mode: 'web_message', prompt: 'none'}, 'authorize');
    try { response = (await authorizeFrame.next('authorization_response', 'authorize', left())).response || {} } finally { fresh || authorizeFrame.close() }
    measure('authorize');
    if (response.state !== state) throw {reason: 'invalid_response', detail: 'state'};
    if (response.error) throw {reason: known(response.reason, known(response.error, 'no_session')), detail: response.error};
    sessionState = response.session_state || sessionState;
    const claims = checkIdToken(response.id_token, nonce);
    options.nonce || run.cancelled || channel?.postMessage({type: 'credential', credential: response.id_token});
    return [response.id_token, claims];
  }

  /** OIDC Core §3.1.3.7; the backend checks the signature @param {string} token @param {string} [nonce] */
  function checkIdToken(token, nonce) {
    let claims = {};
    try { claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) } catch {}
    const id = options.client_id, aud = [claims.aud].flat();
    const bad = claims.iss !== IDP ? 'iss' : !aud.includes(id) || aud[1] && claims.azp !== id ? 'aud' :
      nonce && claims.nonce !== nonce ? 'nonce' : claims.exp * 1e3 > Date.now() ? '' : 'exp';
    if (bad) throw {reason: 'invalid_response', detail: bad};
    return claims;
  }

  function fail(e) {
    const reason = known(e.reason, 'invalid_response');
    misconfigured = MISCONFIGURED.test(reason);
    warn('silent sign-in', {...e, reason, detail: e.detail || e.message});
    deliver({credential: undefined, error: 'login_required', reason, ...reason == 'timeout' && {step: e.step}});
  }

  function deliver(r) {
    step('callback');
    guard(() => options.callback ? options.callback(r) : r.credential && postToLoginUri(r.credential));
    measure('callback');
    moment({type: 'result', ok: !!r.credential, ...r.reason && {reason: r.reason}});
  }

  function postToLoginUri(credential) {
    const f = doc.createElement('form'), g_csrf_token = random();
    doc.cookie = `g_csrf_token=${g_csrf_token};path=/;SameSite=Strict` + (isSecureContext ? ';Secure' : '');
    Object.assign(f, {method: 'post', action: options.login_uri, hidden: true});
    for (const [name, value] of Object.entries({credential, g_csrf_token})) f.append(Object.assign(doc.createElement('input'), {type: 'hidden', name, value}));
    doc.body.append(f); f.submit();
  }

  function tellStatusFrame(m, reply, done) {
    if (!options) throw usageError('initialize()', 'must come first');
    const s = statusFrame || openStatusFrame();
    /** @type {Promise<any>} */ (s.ready).then(() => (s.post(m), s.next(reply, reply, options.timeout_ms))).then(
      m => m.ok ? {successful: true} : {successful: false, error: m.error || 'refused'},
      e => e != CANCELLED && {successful: false, error: e.reason}).then(r => r && guard(() => done(r)));
  }
  const abort = () => { if (attempt) { attempt.cancelled = 1; attempt.frame?.close(); attempt = undefined } };

  /**
   * @param {lxl.accounts.id.IdConfiguration} config @throws {TypeError} naming the bad option
   */
  function initialize(config) {
    const c = /** @type {any} */ (config || {}), o = /** @type {any} */ ({scope: 'openid email profile', timeout_ms: 5e3});
    for (const k in c) if (!OPTIONS[k]) throw usageError(`initialize({${k}})`, 'is no option; use ' + Object.keys(OPTIONS));
    for (const [k, [valid, what]] of Object.entries(OPTIONS)) {
      const v = c[k];
      let ok = v === undefined && k != 'client_id' && (k != 'callback' || c.login_uri);
      try { ok = ok || valid(v) } catch {}
      if (!ok) throw usageError(`initialize({${k}})`, `must be ${what}, not ${JSON.stringify(v) ?? typeof v}`);
      if (v !== undefined) o[k] = v;
    }
    if (!IDP) throw usageError('lxl-id.js', 'must load by <script src>');
    cancel();
    options = o; misconfigured = false; cached = lastStatus = undefined;
    channel?.close();
    if (channel = win.BroadcastChannel && new BroadcastChannel('lxl:' + o.client_id)) channel.onmessage = ({data: m}) => {
      if (m.type == 'signed_out') { cached = undefined; moment(m) }
      if (m.type == 'credential' && attempt) attempt.heard = m.credential, attempt.wake?.();
    };
    if (o.auto_select) onReady(() => options == o && start());
  }

  /** Sign-out in all tabs: the next attempt fails with auto_select_disabled. */
  function disableAutoSelect() {
    abort(); cached = undefined;
    channel?.postMessage({type: 'signed_out'});
    tellStatusFrame({type: 'lxl:disable_auto_select'}, 'lxl:auto_select_disabled', r => r.successful || warn('disableAutoSelect', {reason: r.error}));
  }

  /** Removes every frame and listener; a cancelled attempt calls no callback. */
  function cancel() { abort(); closeStatusFrame() }

  /**
   * @param {string} hint ID token or sub @param {(r: lxl.accounts.id.RevocationResponse) => void} [done]
   */
  function revoke(hint, done) {
    if (!isText(hint)) throw usageError('revoke(hint)', 'must be an ID token or a sub');
    if (done && !isFunction(done)) throw usageError('revoke(hint, done)', 'must be a function');
    cached = undefined;
    tellStatusFrame({type: 'lxl:revoke', hint}, 'lxl:revoked', r => done?.(r));
  }

  doc.addEventListener('visibilitychange', () => {
    if (doc.visibilityState == 'visible' && options?.auto_select && !misconfigured && (statusFrame || stale())) start(true);
  });

  onReady(() => {
    const el = doc.getElementById('lxl_id_onload'), c = /** @type {any} */ ({});
    if (!el) return;
    for (const k in OPTIONS) {
      const v = el.dataset[k];
      if (v) c[k] = /callback|moment/.test(k) ? win[v] || v : v == 'true' || v != 'false' && (k == 'timeout_ms' ? +v : v);
    }
    initialize(c);
  });

  win.lxl = {...win.lxl, accounts: {...win.lxl?.accounts, id: Object.freeze({initialize, disableAutoSelect, cancel, revoke, _reasons: REASONS})}};
})();
