// The silent flow of docs/silent-sign-in.md, played against the real SDK by a fake IdP frame.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, unstamped, jwt, now, IDP, ORIGIN} from './harness.mjs';

/** Initialize with auto_select; record callbacks, moments (unstamped) and their stamps. */
function start(opts = {}, env = load()) {
  const got = [], moments = [], stamps = [];
  env.api.initialize({
    client_id: 'ngo-demo', callback: r => got.push(plain(r)),
    on_moment: m => { moments.push(unstamped(m)); stamps.push({ms: m.ms, at: performance.now()}) },
    auto_select: true, ...opts,
  });
  return {env, got, moments, stamps};
}

test('status frame: one hidden, CSP-friendly frame with the whole authorization request', async () => {
  const {env} = start();
  await env.flush();
  const frames = env.frames();
  assert.equal(frames.length, 1);
  const [f] = frames;
  const u = new URL(f.src);
  assert.equal(u.origin + u.pathname, IDP + '/oidc/iframe/check_session');
  const q = env.query(f);
  assert.deepEqual(Object.keys(q).sort(),
    ['client_id', 'nonce', 'origin', 'redirect_uri', 'response_type', 'scope', 'state']);
  assert.equal(q.client_id, 'ngo-demo');
  assert.equal(q.origin, ORIGIN);
  assert.equal(q.redirect_uri, ORIGIN);
  assert.equal(q.response_type, 'id_token');
  assert.equal(q.scope, 'openid email profile');
  assert.match(q.state, /^\d{8,}$/);
  assert.match(q.nonce, /^\d{8,}$/);
  assert.notEqual(q.state, q.nonce);
  assert.equal(f.hidden, true);
  assert.equal(Number(f.width), 0);
  assert.equal(Number(f.height), 0);
  assert.equal(f.ariaHidden, 'true');
  assert.equal(f.getAttribute('style'), null);
  assert.deepEqual({...f.style}, {}, 'no inline style is set');
  env.api.cancel();
});

test('itp_support and a site nonce and scope go into the frame URL', async () => {
  const {env} = start({itp_support: true, nonce: 'site-nonce', scope: 'openid email'});
  await env.flush();
  const q = env.query(env.frames()[0]);
  assert.equal(q.itp_support, '1');
  assert.equal(q.nonce, 'site-nonce');
  assert.equal(q.scope, 'openid email');
  env.api.cancel();
});

test('logged in: callback once with the credential; moments, marks, no warning; status frame stays', async () => {
  const {env, got, moments} = start();
  await env.flush();
  const [f] = env.frames();
  const token = await env.signIn(f);
  assert.deepEqual(got, [{credential: token, select_by: 'auto', client_id: 'ngo-demo'}]);
  assert.deepEqual(moments, [
    {type: 'step', step: 'check_session'},
    {type: 'message', message: 'lxl:hello', frame: 'check_session'},
    {type: 'message', message: 'lxl:session', frame: 'check_session', status: 'logged_in'},
    {type: 'step', step: 'authorize'},
    {type: 'message', message: 'authorization_response', frame: 'check_session'},
    {type: 'step', step: 'callback'}, {type: 'result', ok: true},
  ]);
  assert.deepEqual(env.marks.filter(m => m[0] == 'measure').map(m => m[1]),
    ['lxl:check_session', 'lxl:authorize', 'lxl:callback']);
  assert.deepEqual(env.warns, []);
  assert.deepEqual(env.frames(), [f], 'the status frame lives on');
  assert.equal(env.win.listenerCount('message'), 1, 'only the status frame listens');
  await env.sleep(20);
  assert.equal(got.length, 1, 'exactly once');
});

test('messages from another origin or another window are ignored', async () => {
  const {env, got} = start({timeout_ms: 150, log_level: 'silent'});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'}, 'http://evil.localhost:5000');
  env.msg(f, {type: 'lxl:session', status: 'logged_in'}, 'http://evil.localhost:5000');
  env.msg(f, {type: 'lxl:session', status: 'logged_in'}, IDP, {});
  env.msg(f, 'lxl:session');
  await env.sleep(200);
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'timeout', step: 'check_session'}]);
});

const SESSION_FAILURES = [
  [{status: 'logged_out', reason: 'no_session'}, 'no_session'],
  [{status: 'logged_out', reason: 'session_expired'}, 'session_expired'],
  [{status: 'logged_out', reason: 'auto_select_disabled'}, 'auto_select_disabled'],
  [{status: 'logged_out', reason: 'consent_required'}, 'consent_required'],
  [{status: 'logged_out'}, 'no_session'],
  [{status: 'logged_out', reason: 'made_up'}, 'no_session'],
  [{status: 'unknown', reason: 'third_party_cookies_blocked'}, 'third_party_cookies_blocked'],
  [{status: 'unknown'}, 'third_party_cookies_blocked'],
];
for (const [session, reason] of SESSION_FAILURES) {
  test(`lxl:session ${JSON.stringify(session)} → reason ${reason}, at once`, async () => {
    const {env, got, moments} = start();
    await env.flush();
    const [f] = env.frames();
    env.msg(f, {type: 'lxl:hello'});
    env.msg(f, {type: 'lxl:session', session_state: 'ss1', ...session});
    await env.flush();
    assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason}]);
    assert.deepEqual(moments.at(-1), {type: 'result', ok: false, reason});
    assert.equal(env.warns.length, 1);
    assert.match(env.warns[0], new RegExp(`silent sign-in failed: ${reason}`));
    if (reason == 'third_party_cookies_blocked') assert.match(env.warns[0], /itp_support: true/);
  });
}

test('third_party_cookies_blocked with itp_support already on: the hint is the button', async () => {
  const {env} = start({itp_support: true});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'unknown', reason: 'third_party_cookies_blocked'});
  await env.flush();
  assert.equal(env.warns.length, 1);
  assert.doesNotMatch(env.warns[0], /Try itp_support/);
  assert.match(env.warns[0], /Show a sign-in button\.$/);
});

const AUTH_ERRORS = [
  [{error: 'login_required'}, 'no_session'],
  [{error: 'interaction_required'}, 'no_session'],
  [{error: 'consent_required'}, 'consent_required'],
  [{error: 'login_required', reason: 'session_expired'}, 'session_expired'],
  [{error: 'login_required', reason: 'not_a_reason'}, 'no_session'],
];
for (const [response, reason] of AUTH_ERRORS) {
  test(`authorization_response ${JSON.stringify(response)} → reason ${reason}`, async () => {
    const {env, got} = start();
    await env.flush();
    const [f] = env.frames();
    const q = env.query(f);
    env.msg(f, {type: 'lxl:hello'});
    env.msg(f, {type: 'lxl:session', status: 'logged_in', session_state: 'ss1'});
    await env.flush();
    env.msg(f, {type: 'authorization_response', response: {state: q.state, ...response}});
    await env.flush();
    assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason}]);
    assert.match(env.warns[0], new RegExp(response.error));
  });
}

test('a step that gets no answer ends with reason timeout naming the step, and removes its frame', async () => {
  const {env, got, moments} = start({timeout_ms: 100});
  await env.flush();
  const t0 = Date.now();
  await env.sleep(160);
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'timeout', step: 'check_session'}]);
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(moments.at(-1), {type: 'result', ok: false, reason: 'timeout'});
  assert.equal(env.frames().length, 0, 'a dead status frame is removed');
  assert.equal(env.win.listenerCount('message'), 0);
  assert.equal(env.warns.length, 1);
  assert.match(env.warns[0], /timeout check_session/);
  assert.match(env.warns[0], /Is http:\/\/id\.localhost:5000 up\?/);
});

test('timeout in the authorize step names authorize', async () => {
  const {env, got} = start({timeout_ms: 100});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_in'});
  await env.sleep(160);
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'timeout', step: 'authorize'}]);
});

const REFUSED = [
  [async () => ({json: async () => ({error: 'origin_not_allowed', error_description: 'x'})}), 'origin_not_allowed',
    /Register http:\/\/ngo\.localhost:5000 as a web origin of client ngo-demo/],
  [async () => ({json: async () => ({error: 'unknown_client'})}), 'unknown_client', /Check client_id ngo-demo/],
  [async () => ({json: async () => { throw new SyntaxError('not json') }}), 'idp_unreachable', /up\?/],
  [undefined, 'idp_unreachable', /up\?/], // fetch rejects: the IdP is down
];
for (const [fetch, reason, hint] of REFUSED) {
  test(`frame loads without lxl:hello → client-check → ${reason}, fast`, async () => {
    const {env, got} = start({}, load({fetch}));
    await env.flush();
    const [f] = env.frames();
    const t0 = Date.now();
    f.dispatch('load');
    await env.flush(10);
    assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason}]);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(env.fetches.length, 1);
    const u = new URL(env.fetches[0].url);
    assert.equal(u.origin + u.pathname, IDP + '/oidc/client-check');
    assert.deepEqual(Object.fromEntries(u.searchParams), {client_id: 'ngo-demo', origin: ORIGIN});
    assert.equal(env.fetches[0].init.credentials, 'omit');
    assert.equal(env.frames().length, 0);
    assert.equal(env.warns.length, 1);
    assert.match(env.warns[0], hint);
  });
}

test('load before lxl:hello but client-check says ok: the frame is ours, its late hello still signs in', async () => {
  // Chromium may deliver a cross-site frame's first message after the frame's load event.
  const {env, got} = start({}, load({fetch: async () => ({json: async () => ({ok: true})})}));
  await env.flush();
  const [f] = env.frames();
  f.dispatch('load');
  await env.flush(10);
  assert.deepEqual(got, [], 'no verdict from an ok client-check');
  assert.equal(env.fetches.length, 1);
  env.msg(f, {type: 'lxl:hello'});
  const token = await env.signIn(f);
  assert.equal(got[0].credential, token);
  assert.equal(env.warns.length, 0);
});

test('a frame that said hello and then fires load is fine', async () => {
  const {env, got} = start();
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  f.dispatch('load');
  const token = await env.signIn(f);
  assert.equal(env.fetches.length, 0);
  assert.equal(got[0].credential, token);
});

test('log_level silent: no warning', async () => {
  const {env, got} = start({log_level: 'silent'});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'no_session'});
  await env.flush();
  assert.equal(got.length, 1);
  assert.deepEqual(env.warns, []);
});

test('a throwing callback does not break the SDK, and is reported as the site\'s error', async () => {
  const env = load();
  const moments = [];
  env.api.initialize({client_id: 'ngo-demo', auto_select: true, callback() { throw new Error('site bug') }, on_moment: m => moments.push(m.type)});
  await env.flush();
  await env.signIn(env.frames()[0]);
  await env.sleep(5);
  assert.deepEqual(env.errors.map(e => e.message), ['site bug']);
  assert.equal(moments.at(-1), 'result');
});

test('visibilitychange: nothing changed and the credential is fresh → lxl:check only, no new callback', async () => {
  const {env, got} = start();
  await env.flush();
  const [f] = env.frames();
  await env.signIn(f);
  env.doc.visibilityState = 'hidden';
  env.doc.dispatch('visibilitychange');
  await env.flush();
  assert.equal(f.contentWindow.posted.length, 0, 'hidden: nothing');
  env.doc.visibilityState = 'visible';
  env.doc.dispatch('visibilitychange');
  await env.flush();
  assert.deepEqual(f.contentWindow.posted.map(p => p.m), [{type: 'lxl:check', session_state: 'ss1'}]);
  assert.equal(f.contentWindow.posted[0].targetOrigin, IDP);
  env.msg(f, {type: 'lxl:session', status: 'unchanged', session_state: 'ss1'});
  await env.flush();
  assert.equal(got.length, 1);
  assert.equal(env.frames().length, 1);
});

test('visibilitychange: session changed → one-off authorize frame → new credential; frame removed', async () => {
  const {env, got} = start();
  await env.flush();
  const [f] = env.frames();
  await env.signIn(f);
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(f, {type: 'lxl:session', status: 'logged_in', session_state: 'ss2'});
  await env.flush();
  const frames = env.frames();
  assert.equal(frames.length, 2);
  const a = frames[1];
  const u = new URL(a.src);
  assert.equal(u.origin + u.pathname, IDP + '/oidc/authorize');
  const q = env.query(a);
  assert.equal(q.response_mode, 'web_message');
  assert.equal(q.prompt, 'none');
  assert.equal(q.response_type, 'id_token');
  assert.equal(q.redirect_uri, ORIGIN);
  assert.equal(q.client_id, 'ngo-demo');
  env.msg(a, {type: 'lxl:hello'});
  const token = jwt({iss: IDP, aud: 'ngo-demo', nonce: q.nonce, exp: now() + 600, iat: now()});
  env.msg(a, {type: 'authorization_response', response: {id_token: token, state: q.state, session_state: 'ss2'}});
  await env.flush();
  assert.equal(got.length, 2);
  assert.equal(got[1].credential, token);
  assert.deepEqual(env.frames(), [f], 'the authorize frame is gone');
  assert.equal(env.win.listenerCount('message'), 1);
  // The next re-check sends the new session_state.
  env.doc.dispatch('visibilitychange');
  await env.flush();
  assert.deepEqual(f.contentWindow.posted.at(-1).m, {type: 'lxl:check', session_state: 'ss2'});
  env.api.cancel();
});

test('visibilitychange: session changed to logged out → failure callback, credential dropped', async () => {
  const {env, got} = start();
  await env.flush();
  const [f] = env.frames();
  await env.signIn(f);
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'session_expired'});
  await env.flush();
  assert.deepEqual(got[1], {credential: undefined, error: 'login_required', reason: 'session_expired'});
  // Unchanged since: nothing more on the next return.
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(f, {type: 'lxl:session', status: 'unchanged'});
  await env.flush();
  assert.equal(got.length, 2);
});

test('visibilitychange: unchanged session but credential within 20% of its lifetime → authorize frame', async () => {
  const {env, got} = start();
  await env.flush();
  const [f] = env.frames();
  await env.signIn(f, {iat: now() - 900, exp: now() + 100}); // 10% of its life left
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(f, {type: 'lxl:session', status: 'unchanged'});
  await env.flush();
  assert.equal(env.frames().length, 2, 'a fresh token is asked for');
  env.api.cancel();
  assert.equal(env.frames().length, 0);
  assert.equal(got.length, 1, 'cancelled: no callback');
});

test('no polling: nothing happens without page load or visibilitychange', async () => {
  const {env} = start({timeout_ms: 100});
  await env.flush();
  const [f] = env.frames();
  await env.signIn(f);
  await env.sleep(250);
  assert.equal(f.contentWindow.posted.length, 0);
  assert.equal(env.frames().length, 1);
});

test('cancel() removes every frame and listener and calls no callback', async () => {
  const {env, got, moments} = start({timeout_ms: 100});
  await env.flush();
  assert.equal(env.frames().length, 1);
  env.api.cancel();
  assert.equal(env.frames().length, 0);
  assert.equal(env.win.listenerCount('message'), 0);
  await env.sleep(200);
  assert.deepEqual(got, []);
  assert.deepEqual(moments.filter(m => m.type == 'result'), []);
  assert.deepEqual(env.warns, []);
});

test('after a refused frame (unknown_client) the tab does not retry on visibilitychange', async () => {
  const fetch = async () => ({json: async () => ({error: 'unknown_client'})});
  const {env, got} = start({}, load({fetch}));
  await env.flush();
  env.frames()[0].dispatch('load');
  await env.flush(10);
  assert.equal(got.length, 1);
  env.doc.dispatch('visibilitychange');
  await env.flush();
  assert.equal(env.frames().length, 0);
});

test('after a timeout the tab retries with a new status frame when visible again', async () => {
  const {env, got} = start({timeout_ms: 100, log_level: 'silent'});
  await env.flush();
  await env.sleep(150);
  assert.equal(got[0].reason, 'timeout');
  env.doc.dispatch('visibilitychange');
  await env.flush();
  const [f] = env.frames();
  assert.ok(f);
  await env.signIn(f);
  assert.equal(got.length, 2);
  assert.equal(typeof got[1].credential, 'string');
});
