// One attempt at a time across tabs (Web Locks), token sharing and sign-out (BroadcastChannel),
// disableAutoSelect() and revoke() through the status frame.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, unstamped, jwt, now, memoryStorage, IDP} from './harness.mjs';

/** A BroadcastChannel bus shared by several fake tabs. */
function bus() {
  const channels = new Set();
  const sent = [];
  class FakeChannel {
    constructor(name) { this.name = name; channels.add(this); this.onmessage = null }
    postMessage(data) {
      sent.push({name: this.name, data: {...data}});
      for (const c of channels) if (c !== this && c.name == this.name) queueMicrotask(() => c.onmessage?.({data}));
    }
    close() { channels.delete(this) }
  }
  return {FakeChannel, sent};
}

/** Web Locks shared by several fake tabs: FIFO per name; ifAvailable as the spec says. */
function lockManager() {
  const queues = {}, held = {};
  const requested = [];
  return {
    requested,
    request(name, options, cb) {
      if (!cb) [cb, options] = [options, {}];
      if (options.ifAvailable && held[name]) return Promise.resolve().then(() => cb(null));
      requested.push(name);
      held[name] = (held[name] || 0) + 1;
      const prev = queues[name] || Promise.resolve();
      const run = prev.then(() => cb({name})).finally(() => held[name]--);
      queues[name] = run.catch(() => {});
      return run;
    },
  };
}

function tab(shared, opts = {}) {
  const env = load({locks: shared.locks, BroadcastChannel: shared.FakeChannel,
    globals: shared.localStorage ? {localStorage: shared.localStorage} : {}});
  const got = [], moments = [];
  env.api.initialize({client_id: 'ngo-demo', callback: r => got.push(plain(r)), on_moment: m => moments.push(unstamped(m)), auto_select: true, ...opts});
  return {env, got, moments};
}

test('a tab that waited on the lock reuses the credential another tab just got', async () => {
  const shared = {...bus(), locks: lockManager()};
  const a = tab(shared);
  const b = tab(shared);
  await a.env.flush();
  assert.deepEqual(shared.locks.requested, ['lxl:silent:ngo-demo', 'lxl:silent:ngo-demo']);
  assert.equal(a.env.frames().length, 1);
  assert.equal(b.env.frames().length, 0, 'tab B waits for the lock');
  const token = await a.env.signIn(a.env.frames()[0]);
  await b.env.flush();
  assert.deepEqual(shared.sent.map(s => s.name), ['lxl:ngo-demo']);
  assert.deepEqual(shared.sent[0].data, {type: 'credential', credential: token});
  assert.deepEqual(b.got, [{credential: token, select_by: 'auto', client_id: 'ngo-demo'}]);
  assert.equal(b.env.frames().length, 0, 'tab B opened no frame');
  a.env.api.cancel();
});

test('a shared credential is still checked (aud, iss, exp): a bad one makes the tab run its own attempt', async () => {
  const shared = {...bus(), locks: lockManager()};
  const a = tab(shared, {log_level: 'silent'});
  const b = tab(shared);
  await a.env.flush();
  // While B waits, "another tab" broadcasts an expired token; then A's attempt fails.
  const expired = jwt({iss: IDP, aud: 'ngo-demo', exp: now() - 5, iat: now() - 100});
  new shared.FakeChannel('lxl:ngo-demo').postMessage({type: 'credential', credential: expired});
  const [f] = a.env.frames();
  a.env.msg(f, {type: 'lxl:hello'});
  a.env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'no_session'});
  await b.env.flush();
  assert.deepEqual(b.got, [], 'the expired token was not used');
  assert.equal(b.env.frames().length, 1, 'B runs its own attempt');
  const token = await b.env.signIn(b.env.frames()[0]);
  assert.deepEqual(b.got, [{credential: token, select_by: 'auto', client_id: 'ngo-demo'}]);
  a.env.api.cancel(); b.env.api.cancel();
});

test('with a site nonce, credentials are not broadcast and each tab runs its own attempt', async () => {
  const shared = {...bus(), locks: lockManager()};
  const a = tab(shared, {nonce: 'n-site'});
  const b = tab(shared, {nonce: 'n-site'});
  await a.env.flush();
  await a.env.signIn(a.env.frames()[0]);
  assert.deepEqual(shared.sent, []);
  await b.env.flush();
  assert.equal(b.env.frames().length, 1, 'tab B opens its own frame after A is done');
  assert.equal(b.got.length, 0);
  const token = await b.env.signIn(b.env.frames()[0]);
  assert.equal(b.got[0].credential, token);
  a.env.api.cancel(); b.env.api.cancel();
});

test('without Web Locks, one attempt at a time in the tab', async () => {
  const env = load();
  env.api.initialize({client_id: 'ngo-demo', callback() {}, auto_select: true});
  await env.flush();
  env.doc.dispatch('visibilitychange');
  env.doc.dispatch('visibilitychange');
  await env.flush();
  assert.equal(env.frames().length, 1);
  env.api.cancel();
});

test('disableAutoSelect: tells the IdP, forgets the credential, signs other tabs out', async () => {
  const shared = {...bus(), locks: lockManager()};
  const a = tab(shared);
  await a.env.flush();
  const [f] = a.env.frames();
  await a.env.signIn(f);
  const b = tab(shared, {auto_select: false});
  shared.sent.length = 0;
  a.env.api.disableAutoSelect();
  await a.env.flush();
  assert.deepEqual(shared.sent.map(s => s.data), [{type: 'signed_out'}]);
  assert.deepEqual(b.moments, [{type: 'signed_out'}]);
  assert.deepEqual(f.contentWindow.posted.map(p => p.m), [{type: 'lxl:disable_auto_select'}]);
  assert.equal(f.contentWindow.posted[0].targetOrigin, IDP);
  a.env.msg(f, {type: 'lxl:auto_select_disabled', ok: true});
  await a.env.flush();
  assert.deepEqual(a.env.warns, []);
  // The credential is gone: the next return to the tab asks again, and the IdP says why.
  a.env.doc.dispatch('visibilitychange');
  await a.env.flush();
  a.env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'auto_select_disabled'});
  await a.env.flush();
  assert.equal(a.got.at(-1).reason, 'auto_select_disabled');
  a.env.api.cancel();
});

test('disableAutoSelect without a status frame opens one (no authorization request) and drops an attempt in flight', async () => {
  const env = load();
  const got = [];
  env.api.initialize({client_id: 'ngo-demo', callback: r => got.push(r), auto_select: true, timeout_ms: 200});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_in'});
  env.api.disableAutoSelect();
  await env.flush();
  assert.deepEqual(f.contentWindow.posted.map(p => p.m), [{type: 'lxl:disable_auto_select'}]);
  env.msg(f, {type: 'lxl:auto_select_disabled', ok: false});
  await env.sleep(250);
  assert.deepEqual(got, [], 'the attempt in flight was dropped');
  assert.equal(env.warns.length, 1);
  assert.match(env.warns[0], /disableAutoSelect failed: refused/);

  const env2 = load();
  env2.api.initialize({client_id: 'ngo-demo', callback() {}});
  env2.api.disableAutoSelect();
  const [g] = env2.frames();
  assert.deepEqual(Object.keys(env2.query(g)).sort(), ['client_id', 'origin']);
  env2.api.cancel();
});

const SIGNED_OUT = {credential: undefined, error: 'login_required', reason: 'auto_select_disabled'};
const SIGNED_OUT_KEY = 'lxl:ngo-demo:auto_select_disabled';

/** A page of the site on `localStorage`, auto_select on; what its callback and on_moment got. */
function page(localStorage, opts = {}) {
  const env = load({globals: localStorage === undefined ? {} : {localStorage}});
  const got = [], moments = [];
  env.api.initialize({client_id: 'ngo-demo', callback: r => got.push(plain(r)),
    on_moment: m => moments.push(unstamped(m)), auto_select: true, ...opts});
  return {env, got, moments};
}

/** A page signed in silently, then signed out where the IdP could not hear it. */
async function signedOutUnheard(localStorage) {
  const first = page(localStorage);
  await first.env.flush();
  const [f] = first.env.frames();
  await first.env.signIn(f);
  first.env.api.disableAutoSelect();
  await first.env.flush();
  // Third-party cookies blocked: the frame has no IdP cookie, the IdP records nothing.
  first.env.msg(f, {type: 'lxl:auto_select_disabled', ok: false});
  await first.env.flush();
  return first;
}

test('disableAutoSelect is kept in the page\'s storage: the next load fails at once, with no frame', async () => {
  const localStorage = memoryStorage();
  await signedOutUnheard(localStorage);
  assert.deepEqual([...localStorage.items], [[SIGNED_OUT_KEY, '1']]);

  const next = page(localStorage);
  await next.env.flush();
  assert.equal(next.env.frames().length, 0, 'no frame: the IdP would sign them in');
  assert.deepEqual(next.got, [SIGNED_OUT]);
  assert.deepEqual(next.moments, [{type: 'step', step: 'callback'},
    {type: 'result', ok: false, reason: 'auto_select_disabled'}]);
  assert.equal(next.env.warns.length, 1, 'as for any failed attempt');
  assert.match(next.env.warns[0], /^lxl-id: silent sign-in failed: auto_select_disabled\./);

  next.env.doc.dispatch('visibilitychange');
  await next.env.flush();
  assert.equal(next.env.frames().length, 0, 'returning to the tab asks nothing either');
  assert.deepEqual(next.got, [SIGNED_OUT, SIGNED_OUT]);

  const otherClient = page(localStorage, {client_id: 'other-site'});
  await otherClient.env.flush();
  assert.equal(otherClient.env.frames().length, 1, 'per client: another client\'s page still asks');
  otherClient.env.api.cancel();
});

test('a sign-in with the button clears the sign-out: the next load signs in silently again', async () => {
  const localStorage = memoryStorage();
  await signedOutUnheard(localStorage);
  const {env, got} = page(localStorage, {log_level: 'silent'});
  await env.flush();
  env.api.renderButton(env.doc.createElement('div'));
  const [script] = env.scripts();
  const core = script.lxlCore;
  core.install({renderButton() {}, cancel() {}, signedIn() {}, renderAgain() {}});
  script.dispatch('load');
  const refused = core.authorizationRequest();
  core.finish({error: 'access_denied', state: refused.state}, refused, 'btn');
  assert.deepEqual([...localStorage.items], [[SIGNED_OUT_KEY, '1']], 'a failed sign-in clears nothing');
  const request = core.authorizationRequest();
  const id_token = jwt({iss: IDP, aud: 'ngo-demo', nonce: request.nonce, iat: now(), exp: now() + 600});
  core.finish({id_token, state: request.state}, request, 'btn');
  assert.equal(got.at(-1).select_by, 'btn');
  assert.deepEqual([...localStorage.items], []);

  const next = page(localStorage);
  await next.env.flush();
  const [f] = next.env.frames();
  const token = await next.env.signIn(f);
  assert.deepEqual(next.got, [{credential: token, select_by: 'auto', client_id: 'ngo-demo'}]);
  next.env.api.cancel();
});

test('storage that throws or is absent: disableAutoSelect and the next load behave as before', async () => {
  const throwing = {getItem() { throw new Error('SecurityError') }, setItem() { throw new Error('QuotaExceededError') },
    removeItem() { throw new Error('SecurityError') }};
  for (const localStorage of [throwing, undefined]) {
    const first = await signedOutUnheard(localStorage);
    assert.deepEqual(first.env.errors, []);
    const next = page(localStorage);
    await next.env.flush();
    assert.equal(next.env.frames().length, 1, 'the IdP decides, as it did');
    const token = await next.env.signIn(next.env.frames()[0]);
    assert.equal(next.got[0].credential, token);
    assert.deepEqual(next.env.errors, []);
    next.env.api.cancel();
  }
});

test('disableAutoSelect in one tab stops the others: their attempt in flight, and the next', async () => {
  const shared = {...bus(), locks: lockManager(), localStorage: memoryStorage()};
  const a = tab(shared);
  await a.env.flush();
  const [f] = a.env.frames();
  await a.env.signIn(f);
  const b = tab(shared);
  await b.env.flush();
  const [g] = b.env.frames(); // B's own attempt: the credential A broadcast came before B began
  b.env.msg(g, {type: 'lxl:hello'});
  b.env.msg(g, {type: 'lxl:session', status: 'logged_in', session_state: 'ss1'});
  await b.env.flush();
  a.env.api.disableAutoSelect();
  await b.env.flush();
  assert.deepEqual(b.moments.at(-1), {type: 'signed_out'});
  // The IdP's late answer to B's dropped attempt tells nobody.
  const q = b.env.query(g);
  const late = jwt({iss: IDP, aud: 'ngo-demo', nonce: q.nonce, iat: now(), exp: now() + 3600});
  b.env.msg(g, {type: 'authorization_response', response: {id_token: late, state: q.state}});
  await b.env.flush();
  assert.deepEqual(b.got, []);
  // Back to tab B: no question to the IdP, whose cookie may be out of the frame's reach.
  const posted = g.contentWindow.posted.length;
  b.env.doc.dispatch('visibilitychange');
  await b.env.flush();
  assert.equal(g.contentWindow.posted.length, posted, 'no lxl:check');
  assert.equal(b.env.frames().length, 1, 'no authorization frame');
  assert.deepEqual(b.got, [SIGNED_OUT]);
  a.env.api.cancel(); b.env.api.cancel();
});

test('revoke: lxl:revoke to the status frame; done gets {successful}', async () => {
  const env = load();
  env.api.initialize({client_id: 'ngo-demo', callback() {}});
  const results = [];
  env.api.revoke('user-sub', r => results.push(plain(r)));
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_in', session_state: 's'});
  await env.flush();
  assert.deepEqual(f.contentWindow.posted.map(p => p.m), [{type: 'lxl:revoke', hint: 'user-sub'}]);
  env.msg(f, {type: 'lxl:revoked', ok: true});
  await env.flush();
  assert.deepEqual(results, [{successful: true}]);

  env.api.revoke('user-sub', r => results.push(plain(r)));
  await env.flush();
  env.msg(f, {type: 'lxl:revoked', ok: false, error: 'unknown_grant'});
  await env.flush();
  assert.deepEqual(results[1], {successful: false, error: 'unknown_grant'});
  env.api.cancel();
});

test('revoke: a refused frame gives done {successful: false, error: reason}', async () => {
  const env = load({fetch: async () => ({json: async () => ({error: 'origin_not_allowed'})})});
  env.api.initialize({client_id: 'ngo-demo', callback() {}, log_level: 'silent'});
  const results = [];
  env.api.revoke('user-sub', r => results.push(plain(r)));
  env.frames()[0].dispatch('load');
  await env.flush(10);
  assert.deepEqual(results, [{successful: false, error: 'origin_not_allowed'}]);
  assert.equal(env.frames().length, 0);
});

test('revoke: cancel() means done is never called', async () => {
  const env = load();
  env.api.initialize({client_id: 'ngo-demo', callback() {}, timeout_ms: 100});
  const results = [];
  env.api.revoke('user-sub', r => results.push(r));
  env.api.cancel();
  await env.sleep(150);
  assert.deepEqual(results, []);
});
