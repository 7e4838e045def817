/** LxL ID browser SDK: docs/silent-sign-in.md, lxl-id.d.ts */
(() => {
  const W = /** @type {any} */ (window), D = document, ORIGIN = location.origin;
  if (W.lxl?.accounts?.id) return;
  // The IdP serves this file; currentScript is set only now.
  const SRC = D.currentScript?.getAttribute('src'), IDP = SRC ? new URL(SRC, location.href).origin : '';
  const REASONS = Object.freeze(['no_session', 'session_expired', 'auto_select_disabled',
    'consent_required', 'third_party_cookies_blocked', 'unknown_client', 'origin_not_allowed',
    'idp_unreachable', 'timeout', 'popup_closed', 'popup_blocked', 'invalid_response']);
  const CANCEL = {}, CONFIG = /^(unknown_client|origin_not_allowed)$/;
  /** @typedef {{post(m: object): void, next(type: string, step: string, ms: number): Promise<any>, close(): void, ready?: Promise<any>}} Frame */
  /** @type {Frame=} */ let status;
  let [O, att, last, cred, ss, bc] = /** @type {any[]} */ ([]);
  let dead = false;

  /** @param {string} what @param {string} how */
  const TE = (what, how) => new TypeError(`lxl-id: ${what} ${how}`);
  /** @param {any} v */
  const str = v => typeof v == 'string' && v != '';
  /** @param {any} v */
  const fn = v => typeof v == 'function';
  /** @type {Record<string, [(v: any) => boolean, string]>} */
  const OPTS = {
    client_id: [str, 'your client_id'],
    callback: [fn, 'a function (or set login_uri)'],
    auto_select: [v => v === !!v, 'true or false'],
    itp_support: [v => v === !!v, 'true or false'],
    scope: [v => str(v) && v.split(' ').includes('openid'), 'a string with "openid"'],
    nonce: [str, 'a non-empty string'],
    login_uri: [v => str(v) && new URL(v, location.href).origin == ORIGIN, 'a URL on ' + ORIGIN],
    timeout_ms: [v => Number.isInteger(v) && v >= 100 && v <= 6e4, 'an integer 100-60000'],
    on_moment: [fn, 'a function'],
    log_level: [v => v == 'warn' || v == 'silent', '"warn" or "silent"'],
  };
  /** @param {() => any} f */
  const onReady = f => D.readyState == 'loading' ? D.addEventListener('DOMContentLoaded', f, {once: true}) : f();
  const rnd = () => crypto.getRandomValues(new Uint32Array(4)).join('');
  /** @param {any} r @param {string} d */
  const known = (r, d) => REASONS.includes(r) ? r : d;
  /** @param {() => any} f site code */
  const guard = f => { try { f() } catch (e) { reportError(e) } };
  /** @param {any} m */
  const moment = m => guard(() => O.on_moment?.(m));
  /** @param {string} s */
  const step = s => { performance.mark('lxl:' + s); moment({type: 'step', step: s}) };
  /** @param {string} s */
  const measure = s => performance.measure('lxl:' + s, 'lxl:' + s);
  /** @param {string} what @param {any} e */
  const warn = (what, {reason: r, step, detail}) => O.log_level != 'silent' && console.warn(
    `lxl-id: ${what} failed: ${r} ${step || ''} ${detail || ''}. ` + (/** @type {any} */ ({
      origin_not_allowed: `Register ${ORIGIN} as a web origin of client ${O.client_id}.`,
      unknown_client: `Check client_id ${O.client_id}.`,
      third_party_cookies_blocked: 'Try itp_support: true.',
      invalid_response: `Is ${IDP} the issuer? Is the clock right?`,
    })[r] || (/unre|tim/.test(r) ? `Is ${IDP} up?` : 'Show a sign-in button.')));

  /** @param {string} path @param {Record<string, string>} q @param {string} step @returns {Frame} */
  function frame(path, q, step) {
    const f = D.createElement('iframe'), got = /** @type {any[]} */ ([]), wake = new Set();
    const kick = () => wake.forEach(w => w());
    /** @type {any} */ let fail, hi = 0;
    const on = (/** @type {MessageEvent} */ e) => {
      if (e.source === f.contentWindow && e.origin === IDP && e.data?.type) { hi = got.push(e.data); kick() }
    };
    addEventListener('message', on);
    // Load without lxl:hello: refused, or an error page (Chromium fires load then too).
    f.onload = () => hi || fetch(`${IDP}/oidc/client-check?` + new URLSearchParams({client_id: O.client_id, origin: ORIGIN}),
      {credentials: 'omit', signal: AbortSignal.timeout(900)}).then(r => r.json()).catch(() => 0)
      .then(j => { hi || (fail = {reason: CONFIG.test(j?.error) ? j.error : 'idp_unreachable', step}, kick()) });
    Object.assign(f, {src: IDP + path + '?' + new URLSearchParams(q), hidden: true, width: 0, height: 0, ariaHidden: 'true'});
    D.body.append(f);
    return {
      post: m => f.contentWindow?.postMessage(m, IDP),
      next: (type, st, ms) => new Promise((res, rej) => {
        const w = (/** @type {any} */ to) => {
          const i = got.findIndex(m => m.type == type), e = to || fail;
          if (i >= 0 || e) { clearTimeout(t); wake.delete(w); i < 0 ? rej(e) : res(got.splice(i, 1)[0]) }
        }, t = setTimeout(w, ms, {reason: 'timeout', step: st});
        wake.add(w); w(0);
      }),
      close: () => { removeEventListener('message', on); f.remove(); fail = CANCEL; kick() },
    };
  }

  /** @param {Record<string, string>} [req] */
  function statusFrame(req) {
    const s = status = frame('/oidc/iframe/check_session',
      {client_id: O.client_id, origin: ORIGIN, ...O.itp_support && {itp_support: '1'}, ...req}, 'check_session');
    (s.ready = s.next('lxl:session', 'check_session', O.timeout_ms).then(seen)).catch(() => status == s && drop());
    return s;
  }
  const drop = () => { status?.close(); status = undefined };
  /** @param {any} s */
  const seen = s => { if (s.status != 'unchanged') last = s; ss = s.session_state || ss; return s };
  const stale = () => !(Date.now() / 1e3 < cred?.exp - (cred?.exp - cred?.iat) / 5); // NaN: stale

  /** @param {boolean} [recheck] */
  function run(recheck) {
    if (att) return;
    const a = att = /** @type {any} */ ({}), go = async () => (a.locked = 1, a.x || silent(a, recheck));
    (navigator.locks?.request('lxl:silent:' + O.client_id, go) || go())
      .then((/** @type {any} */ r) => a.x || r && (cred = r[1], result({credential: r[0], select_by: 'auto', client_id: O.client_id})), e => a.x || fail(e)).finally(() => att == a && (att = undefined));
  }

  /** @param {any} a @param {boolean} [recheck] @returns {Promise<any>} [token, payload], or nothing @see draft-sakimura-oauth-wmrm */
  async function silent(a, recheck) {
    if (a.heard && !O.nonce) try { return [a.heard, check(a.heard)] } catch {}
    const end = Date.now() + O.timeout_ms, left = () => end - Date.now(), state = rnd(), nonce = O.nonce || rnd();
    const req = {response_type: 'id_token', scope: O.scope, nonce, state, redirect_uri: ORIGIN};
    const fresh = !status, st = status || statusFrame(req);
    step('check_session');
    let s = await st.ready, r;
    if (!fresh) {
      st.post({type: 'lxl:check', session_state: ss});
      s = seen(await st.next('lxl:session', 'check_session', left()).catch(e => { status == st && drop(); throw e }));
    }
    measure('check_session');
    if (recheck && s.status == 'unchanged' && !(last.status == 'logged_in' && stale())) return;
    if (last.status != 'logged_in') {
      cred = undefined; // "can't tell" is never "logged out"
      throw {reason: last.status == 'logged_out' ? known(last.reason, 'no_session') : 'third_party_cookies_blocked'};
    }
    step('authorize');
    const f = fresh ? st : a.f = frame('/oidc/authorize', {...req, client_id: O.client_id, response_mode: 'web_message', prompt: 'none'}, 'authorize');
    try { r = (await f.next('authorization_response', 'authorize', left())).response || {} } finally { fresh || f.close() }
    measure('authorize');
    if (r.state !== state) throw {reason: 'invalid_response', detail: 'state'};
    if (r.error) throw {reason: known(r.reason, known(r.error, 'no_session')), detail: r.error};
    ss = r.session_state || ss;
    const p = check(r.id_token, nonce);
    // Before the lock is released, for a tab waiting on it.
    O.nonce || a.x || bc?.postMessage({type: 'credential', credential: r.id_token});
    return [r.id_token, p];
  }

  /**
   * No signature check: the backend must verify the credential with the IdP's JWKS.
   * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation §3.1.3.7, §3.2.2.5
   * @param {string} t @param {string} [nonce]
   */
  function check(t, nonce) {
    /** @type {any} */ let p = {};
    try { p = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) } catch {}
    const id = O.client_id, aud = [p.aud].flat();
    const bad = p.iss !== IDP ? 'iss' : !aud.includes(id) || aud[1] && p.azp !== id ? 'aud' :
      nonce && p.nonce !== nonce ? 'nonce' : p.exp * 1e3 > Date.now() ? '' : 'exp';
    if (bad) throw {reason: 'invalid_response', detail: bad};
    return p;
  }

  /** @param {any} e */
  function fail(e) {
    const reason = known(e.reason, 'invalid_response');
    dead = CONFIG.test(reason);
    warn('silent sign-in', {...e, reason, detail: e.detail || e.message});
    result({credential: undefined, error: 'login_required', reason, ...reason == 'timeout' && {step: e.step}});
  }

  /** @param {any} r */
  function result(r) {
    step('callback');
    guard(() => O.callback ? O.callback(r) : r.credential && post(r.credential));
    measure('callback');
    moment({type: 'result', ok: !!r.credential, ...r.reason && {reason: r.reason}});
  }

  /** @param {string} credential */
  function post(credential) {
    const f = D.createElement('form'), g_csrf_token = rnd();
    D.cookie = `g_csrf_token=${g_csrf_token};path=/;SameSite=Strict` + (isSecureContext ? ';Secure' : '');
    Object.assign(f, {method: 'post', action: O.login_uri, hidden: true});
    for (const [name, value] of Object.entries({credential, g_csrf_token})) f.append(Object.assign(D.createElement('input'), {type: 'hidden', name, value}));
    D.body.append(f); f.submit();
  }

  /** @param {object} m @param {string} reply @param {(r: any) => any} done */
  function tell(m, reply, done) {
    if (!O) throw TE('initialize()', 'must come first');
    const s = status || statusFrame();
    /** @type {Promise<any>} */ (s.ready).then(() => (s.post(m), s.next(reply, reply, O.timeout_ms))).then(
      m => m.ok ? {successful: true} : {successful: false, error: m.error || 'refused'},
      e => e != CANCEL && {successful: false, error: e.reason}).then(r => r && guard(() => done(r)));
  }
  const abort = () => { if (att) { att.x = 1; att.f?.close(); att = undefined } };

  /**
   * @param {lxl.accounts.id.IdConfiguration} config @throws {TypeError} naming the bad option
   * @see https://openid.net/specs/openid-connect-core-1_0.html#ImplicitFlowAuth
   */
  function initialize(config) {
    const c = /** @type {any} */ (config || {}), o = /** @type {any} */ ({scope: 'openid email profile', timeout_ms: 5e3});
    for (const k in c) if (!OPTS[k]) throw TE(`initialize({${k}})`, 'is no option; use ' + Object.keys(OPTS));
    for (const [k, [valid, what]] of Object.entries(OPTS)) {
      const v = c[k];
      let ok = v === undefined && k != 'client_id' && (k != 'callback' || c.login_uri);
      try { ok = ok || valid(v) } catch {}
      if (!ok) throw TE(`initialize({${k}})`, `must be ${what}, not ${JSON.stringify(v) ?? typeof v}`);
      if (v !== undefined) o[k] = v;
    }
    if (!IDP) throw TE('lxl-id.js', 'must load by <script src>');
    cancel();
    O = o; dead = false; cred = last = undefined;
    bc?.close();
    if (bc = W.BroadcastChannel && new BroadcastChannel('lxl:' + o.client_id)) bc.onmessage = (/** @type {any} */ {data: m}) => {
      if (m.type == 'signed_out') { cred = undefined; moment(m) }
      if (m.type == 'credential' && att && !att.locked) att.heard = m.credential;
    };
    if (o.auto_select) onReady(() => O == o && run());
  }

  /** Sign-out in all tabs: the next attempt fails with auto_select_disabled. */
  function disableAutoSelect() {
    abort(); cred = undefined;
    bc?.postMessage({type: 'signed_out'});
    tell({type: 'lxl:disable_auto_select'}, 'lxl:auto_select_disabled', r => r.successful || warn('disableAutoSelect', {reason: r.error}));
  }

  /** Removes every frame and listener; a cancelled attempt calls no callback. */
  function cancel() { abort(); drop() }

  /**
   * @param {string} hint ID token or sub @param {(r: lxl.accounts.id.RevocationResponse) => void} [done]
   * @see https://www.rfc-editor.org/rfc/rfc7009
   */
  function revoke(hint, done) {
    if (!str(hint)) throw TE('revoke(hint)', 'must be an ID token or a sub');
    if (done && !fn(done)) throw TE('revoke(hint, done)', 'must be a function');
    cred = undefined;
    tell({type: 'lxl:revoke', hint}, 'lxl:revoked', r => done?.(r));
  }

  D.addEventListener('visibilitychange', () => {
    if (D.visibilityState == 'visible' && O?.auto_select && !dead && (status || stale())) run(true);
  });

  onReady(() => {
    const el = D.getElementById('lxl_id_onload'), c = /** @type {any} */ ({});
    if (!el) return;
    for (const k in OPTS) {
      const v = el.dataset[k];
      if (v) c[k] = /callback|moment/.test(k) ? W[v] || v : v == 'true' || v != 'false' && (k == 'timeout_ms' ? +v : v);
    }
    initialize(c);
  });

  W.lxl = {...W.lxl, accounts: {...W.lxl?.accounts, id: Object.freeze({initialize, disableAutoSelect, cancel, revoke, _reasons: REASONS})}};
})();
