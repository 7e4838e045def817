// on_moment as a page's live trace reads it: each moment stamped with performance.now() as it
// happens, each message from the IdP's frames told as it arrives, never the credential.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, unstamped, jwt, now, IDP} from './harness.mjs';

/** Initialize with auto_select; record callbacks (with when they ran) and moments as given. */
function start(opts = {}, env = load()) {
  const got = [], moments = [];
  env.api.initialize({
    client_id: 'ngo-demo', auto_select: true, on_moment: m => moments.push({...m}),
    callback: r => got.push({response: plain(r), at: performance.now()}), ...opts,
  });
  return {env, got, moments};
}

/** Dispatch a message from frame `f`; return the performance.now() just before and after. */
function arrive(env, f, data) {
  const before = performance.now();
  env.msg(f, data);
  return [before, performance.now()];
}

test('each message moment is stamped as its message arrives, not when the flow gets to it', async () => {
  const {env, got, moments} = start();
  await env.flush();
  const [f] = env.frames();
  const q = env.query(f);
  const hello = arrive(env, f, {type: 'lxl:hello'});
  await env.sleep(30);
  const session = arrive(env, f, {type: 'lxl:session', status: 'logged_in', session_state: 'ss1'});
  await env.sleep(30);
  const id_token = jwt({iss: IDP, aud: 'ngo-demo', nonce: q.nonce, iat: now(), exp: now() + 600});
  const response = arrive(env, f, {type: 'authorization_response', response: {id_token, state: q.state}});
  await env.flush();
  const messages = moments.filter(m => m.type == 'message');
  assert.deepEqual(messages.map(m => m.message), ['lxl:hello', 'lxl:session', 'authorization_response']);
  for (const [m, [before, after]] of [[messages[0], hello], [messages[1], session], [messages[2], response]]) {
    assert.ok(before <= m.ms && m.ms <= after, `${m.message} stamped at ${m.ms}, arrived in [${before}, ${after}]`);
  }
  assert.equal(got.length, 1);
});

test('the callback step is stamped just before the callback runs; the result just after', async () => {
  const {env, got, moments} = start();
  await env.flush();
  await env.signIn(env.frames()[0]);
  const callback = moments.find(m => m.type == 'step' && m.step == 'callback');
  const result = moments.find(m => m.type == 'result');
  assert.ok(callback.ms <= got[0].at && got[0].at <= result.ms, [callback.ms, got[0].at, result.ms].join(' '));
  const stamps = moments.map(m => m.ms);
  assert.ok(stamps.every(ms => typeof ms == 'number'), 'every moment has ms');
  assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b), 'in the order they happened');
});

test('lxl:session moments carry status and reason; an authorization error its error and reason', async () => {
  const {env, moments} = start({log_level: 'silent'});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'no_session', session_state: 'ss1'});
  await env.flush();
  assert.deepEqual(moments.map(unstamped), [
    {type: 'step', step: 'check_session'},
    {type: 'message', message: 'lxl:hello', frame: 'check_session'},
    {type: 'message', message: 'lxl:session', frame: 'check_session', status: 'logged_out', reason: 'no_session'},
    {type: 'step', step: 'callback'},
    {type: 'result', ok: false, reason: 'no_session'},
  ]);

  const second = start({log_level: 'silent'});
  await second.env.flush();
  const [g] = second.env.frames();
  second.env.msg(g, {type: 'lxl:hello'});
  second.env.msg(g, {type: 'lxl:session', status: 'logged_in'});
  second.env.msg(g, {type: 'authorization_response', response: {
    error: 'login_required', reason: 'session_expired', state: second.env.query(g).state}});
  await second.env.flush();
  assert.deepEqual(unstamped(second.moments.find(m => m.message == 'authorization_response')),
    {type: 'message', message: 'authorization_response', frame: 'check_session', error: 'login_required', reason: 'session_expired'});
});

test('no moment ever carries the credential or any part of it', async () => {
  const {env, got, moments} = start();
  await env.flush();
  const token = await env.signIn(env.frames()[0]);
  assert.equal(got[0].response.credential, token);
  assert.ok(moments.some(m => m.message == 'authorization_response'), 'the message that carried it is told');
  const told = JSON.stringify(moments);
  for (const part of token.split('.')) assert.ok(!told.includes(part), `moments hold ${part}`);
});

test('a one-off authorization frame\'s messages are told with frame "authorize"', async () => {
  const {env, moments} = start();
  await env.flush();
  const [f] = env.frames();
  await env.signIn(f);
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(f, {type: 'lxl:session', status: 'logged_in', session_state: 'ss2'});
  await env.flush();
  const a = env.frames()[1], q = env.query(a);
  moments.length = 0;
  env.msg(a, {type: 'lxl:hello'});
  env.msg(a, {type: 'authorization_response', response: {
    id_token: jwt({iss: IDP, aud: 'ngo-demo', nonce: q.nonce, exp: now() + 600, iat: now()}), state: q.state}});
  await env.flush();
  assert.deepEqual(moments.filter(m => m.type == 'message').map(unstamped), [
    {type: 'message', message: 'lxl:hello', frame: 'authorize'},
    {type: 'message', message: 'authorization_response', frame: 'authorize'},
  ]);
  env.api.cancel();
});

test('a message from another origin or window is no moment; our frame\'s is', async () => {
  const {env, moments} = start({timeout_ms: 100, log_level: 'silent'});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'}, 'http://evil.localhost:5000');
  env.msg(f, {type: 'lxl:hello'}, IDP, {});
  env.msg(f, {type: 'lxl:hello'});
  await env.flush();
  assert.deepEqual(moments.filter(m => m.type == 'message').map(unstamped),
    [{type: 'message', message: 'lxl:hello', frame: 'check_session'}], 'only our frame\'s hello');
  env.api.cancel();
});

test('a frame\'s storage-access answer is told with granted, true or false, never anything else', async () => {
  const {env, moments} = start({log_level: 'silent'});
  await env.flush();
  const [f] = env.frames();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:storage_access', granted: false});
  env.msg(f, {type: 'lxl:storage_access', granted: true});
  env.msg(f, {type: 'lxl:storage_access', granted: 'yes'});
  await env.flush();
  assert.deepEqual(moments.filter(m => m.message == 'lxl:storage_access').map(unstamped), [
    {type: 'message', message: 'lxl:storage_access', frame: 'check_session', granted: false},
    {type: 'message', message: 'lxl:storage_access', frame: 'check_session', granted: true},
    {type: 'message', message: 'lxl:storage_access', frame: 'check_session'},
  ]);
});
