// The public object, the failure reasons, and the HTML API.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';
import {load, ROOT} from './harness.mjs';

test('the public object is frozen and has only the documented names', () => {
  const {api, ctx} = load();
  assert.ok(Object.isFrozen(api));
  assert.deepEqual(Object.keys(api).sort(), ['_reasons', 'cancel', 'disableAutoSelect', 'initialize', 'prompt', 'renderButton', 'revoke']);
  assert.ok(Object.isFrozen(api._reasons));
  assert.throws(() => { ctx.lxl.accounts.id.initialize = null }, /read only/);
  assert.equal(typeof api.initialize, 'function');
});

test('loading the file twice keeps the first copy', () => {
  const env = load();
  const first = env.api;
  vm.runInContext(fs.readFileSync(ROOT + 'sdk/lxl-id.js', 'utf8'), env.ctx);
  assert.equal(env.api, first);
  assert.equal(env.doc.listenerCount('visibilitychange'), 1);
});

/** The reasons in the "Failure reasons" section of docs/silent-sign-in.md. */
function docReasons() {
  const doc = fs.readFileSync(ROOT + 'docs/silent-sign-in.md', 'utf8');
  const section = doc.split(/^## Failure reasons$/m)[1].split(/^## /m)[0];
  return [...section.matchAll(/`([a-z_]+)`/g)].map(m => m[1]);
}

test('the failure reasons equal those of docs/silent-sign-in.md, in order', () => {
  const {api} = load();
  const reasons = docReasons();
  assert.ok(reasons.length >= 11, `parsed ${reasons}`);
  assert.deepEqual([...api._reasons], reasons);
});

test('the .d.ts FailureReason union lists the same reasons', () => {
  const dts = fs.readFileSync(ROOT + 'sdk/lxl-id.d.ts', 'utf8');
  const union = dts.split('type FailureReason =')[1].split(';')[0];
  assert.deepEqual([...union.matchAll(/'([a-z_]+)'/g)].map(m => m[1]), docReasons());
});

test('HTML API: data attributes configure the SDK, data-callback names a global', async () => {
  const got = [];
  const onload = {dataset: {client_id: 'ngo-demo', callback: 'onSignIn', auto_select: 'true', timeout_ms: '3000'}};
  const env = load({onload, globals: {onSignIn: r => got.push({...r})}});
  await env.flush();
  const [f] = env.frames();
  assert.ok(f, 'auto_select="true" started the silent flow');
  const token = await env.signIn(f);
  assert.deepEqual(got, [{credential: token, select_by: 'auto', client_id: 'ngo-demo'}]);
});

test('HTML API: bad data attributes throw the same named TypeError', () => {
  const onload = {dataset: {client_id: 'ngo-demo', callback: 'noSuchFunction'}};
  assert.throws(() => load({onload}), /initialize\(\{callback\}\) must be a function.*not "noSuchFunction"/);
  const onload2 = {dataset: {client_id: 'ngo-demo', callback: 'f', auto_select: 'yes'}};
  assert.throws(() => load({onload: onload2, globals: {f() {}}}), /auto_select\}\) must be true or false, not "yes"/);
});

test('HTML API waits for DOMContentLoaded while the document is loading', async () => {
  const onload = {dataset: {client_id: 'ngo-demo', callback: 'f', auto_select: 'true'}};
  const env = load({readyState: 'loading', onload, globals: {f() {}}});
  await env.flush();
  assert.equal(env.frames().length, 0);
  env.doc.readyState = 'interactive';
  env.doc.dispatch('DOMContentLoaded');
  await env.flush();
  assert.equal(env.frames().length, 1);
  env.api.cancel();
  assert.equal(env.frames().length, 0);
});

test('data-login_uri: the credential is POSTed as a form with a double-submit CSRF token', async () => {
  const onload = {dataset: {client_id: 'ngo-demo', auto_select: 'true', login_uri: '/auth/credential'}};
  const env = load({onload});
  await env.flush();
  const token = await env.signIn(env.frames()[0]);
  assert.equal(env.doc.submitted.length, 1);
  const form = env.doc.submitted[0];
  assert.equal(form.method, 'post');
  assert.equal(form.action, '/auth/credential');
  assert.equal(form.hidden, true);
  const fields = Object.fromEntries(form.children.map(i => [i.name, i.value]));
  assert.equal(fields.credential, token);
  assert.match(fields.g_csrf_token, /^\d{8,}$/);
  assert.deepEqual(env.doc.cookies, [`g_csrf_token=${fields.g_csrf_token};path=/;SameSite=Strict;Secure`]);
  for (const i of form.children) assert.equal(i.type, 'hidden');
});

test('data-login_uri: a failure posts nothing', async () => {
  const onload = {dataset: {client_id: 'ngo-demo', auto_select: 'true', login_uri: '/auth/credential', log_level: 'silent'}};
  const env = load({onload});
  await env.flush();
  const f = env.frames()[0];
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'no_session'});
  await env.flush();
  assert.equal(env.doc.submitted.length, 0);
  assert.equal(env.doc.cookies.length, 0);
});
