// The ID token and state checks of OIDC Core §3.1.3.7 / §3.2.2.11 that a page can make.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, jwt, now, IDP} from './harness.mjs';

async function answer(claims, {response = {}, rawToken} = {}) {
  const env = load();
  const got = [];
  env.api.initialize({client_id: 'ngo-demo', callback: r => got.push(plain(r)), auto_select: true});
  await env.flush();
  const [f] = env.frames();
  const q = env.query(f);
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_in', session_state: 'ss1'});
  await env.flush();
  const base = {iss: IDP, aud: 'ngo-demo', nonce: q.nonce, iat: now(), exp: now() + 3600, sub: 'u1'};
  const id_token = rawToken ?? jwt(typeof claims == 'function' ? claims(base) : {...base, ...claims});
  env.msg(f, {type: 'authorization_response', response: {id_token, state: q.state, ...response}});
  await env.flush();
  return {env, got, id_token};
}

const REJECTED = [
  ['aud is another client', {aud: 'other-client'}, 'aud'],
  ['aud array without the client', {aud: ['a', 'b']}, 'aud'],
  ['aud array with the client but azp is not the client', {aud: ['ngo-demo', 'b'], azp: 'b'}, 'aud'],
  ['aud missing', b => ({...b, aud: undefined}), 'aud'],
  ['iss is another origin', {iss: 'http://evil.localhost:5000'}, 'iss'],
  ['iss has a trailing slash', {iss: IDP + '/'}, 'iss'],
  ['iss missing', b => ({...b, iss: undefined}), 'iss'],
  ['nonce differs', {nonce: 'replayed'}, 'nonce'],
  ['nonce missing', b => ({...b, nonce: undefined}), 'nonce'],
  ['exp in the past', {exp: now() - 1}, 'exp'],
  ['exp missing', b => ({...b, exp: undefined}), 'exp'],
  ['exp not a number', {exp: 'tomorrow'}, 'exp'],
];
for (const [what, claims, detail] of REJECTED) {
  test(`rejected: ${what} → invalid_response (${detail})`, async () => {
    const {env, got, id_token} = await answer(claims);
    assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'invalid_response'}]);
    assert.equal(env.warns.length, 1);
    assert.match(env.warns[0], new RegExp(`invalid_response\\s+${detail}`));
    assert.ok(!env.warns[0].includes(id_token), 'never log a token');
    env.api.cancel();
  });
}

test('rejected: state mismatch, even with a good token', async () => {
  const {got, env} = await answer({}, {response: {state: 'forged'}});
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'invalid_response'}]);
  assert.match(env.warns[0], /invalid_response\s+state/);
});

test('rejected: not a JWT', async () => {
  for (const rawToken of ['garbage', '', 'a.b.c', 'a.' + Buffer.from('[1').toString('base64url') + '.c']) {
    const {got} = await answer({}, {rawToken});
    assert.equal(got[0].reason, 'invalid_response', rawToken);
  }
});

test('rejected: no id_token at all', async () => {
  const {got} = await answer({}, {response: {id_token: undefined}});
  assert.equal(got[0].reason, 'invalid_response');
});

const ACCEPTED = [
  ['aud string', {}],
  ['aud array of one', {aud: ['ngo-demo']}],
  ['aud array with azp = client', {aud: ['ngo-demo', 'api'], azp: 'ngo-demo'}],
  ['non-ASCII profile claims', {name: 'Ada Lövelace ☃'}],
  ['no iat', b => ({...b, iat: undefined})],
];
for (const [what, claims] of ACCEPTED) {
  test(`accepted: ${what}`, async () => {
    const {got, id_token, env} = await answer(claims);
    assert.deepEqual(got, [{credential: id_token, select_by: 'auto', client_id: 'ngo-demo'}]);
    assert.deepEqual(env.warns, []);
    env.api.cancel();
  });
}

test('the credential is kept in memory only: no cookie, no storage', async () => {
  const storage = {setItem() { throw new Error('storage used') }, getItem() { throw new Error('storage used') }};
  const env = load({globals: {localStorage: storage, sessionStorage: storage}});
  env.api.initialize({client_id: 'ngo-demo', callback() {}, auto_select: true});
  await env.flush();
  await env.signIn(env.frames()[0]);
  assert.deepEqual(env.doc.cookies, []);
  env.api.cancel();
});
