// renderButton(), prompt() and what the core gives the UI part (sdk/lxl-id.d.ts
// `lxl.core.Core`): the part's script is loaded once, calls wait for it, and its answers reach
// the site through the same checks, moments and warnings as the silent path. The part is
// played by the test: it reads `lxlCore` off the script element the core appended, as
// lxl-id-ui.js does.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, unstamped, jwt, now, memoryStorage, IDP, ORIGIN} from './harness.mjs';

/** Initialize without auto_select (the button path alone); record callbacks and moments. */
function start(opts = {}, env = load()) {
  const got = [], moments = [];
  env.api.initialize({
    client_id: 'ngo-demo', callback: r => got.push(plain(r)),
    on_moment: m => moments.push(unstamped(m)), ...opts,
  });
  return {env, got, moments};
}

/** Render a button so the part loads, and install a fake part; return what it got. */
function installFakePart(env, {cancel = () => {}, renderAgain = () => {}, signedIn = () => {}} = {}) {
  env.api.renderButton(env.doc.createElement('div'));
  const [script] = env.scripts();
  const core = script.lxlCore;
  const rendered = [], prompted = [];
  core.install({renderButton: (parent, options) => rendered.push({parent, options}),
    prompt: (listener, afterSilentSignIn) => prompted.push({listener, afterSilentSignIn}),
    cancel, signedIn, renderAgain});
  script.dispatch('load');
  return {core, rendered, prompted};
}

/** A signed ID token answering `request` (from core.authorizationRequest()). */
const tokenFor = (request, claims = {}) =>
  jwt({iss: IDP, aud: 'ngo-demo', nonce: request.nonce, iat: now(), exp: now() + 600, ...claims});

test('renderButton before initialize, or without an element, throws a TypeError at once', () => {
  const env = load();
  assert.throws(() => env.api.renderButton(env.doc.createElement('div')),
    /lxl-id: initialize\(\) must come first/);
  env.api.initialize({client_id: 'ngo-demo', callback() {}});
  for (const parent of [undefined, null, '#signin', {}, {nodeType: 3}]) {
    assert.throws(() => env.api.renderButton(parent), e => {
      assert.equal(e.name, 'TypeError');
      assert.match(e.message, /^lxl-id: renderButton\(parent\) must be an Element/);
      return true;
    });
  }
  assert.deepEqual(env.scripts(), [], 'nothing loaded for a bad call');
});

test('the part loads once from the IdP, carrying the core; calls wait for it, in order', () => {
  const {env} = start();
  const first = env.doc.createElement('div'), second = env.doc.createElement('div');
  env.api.renderButton(first, {size: 'small'});
  env.api.renderButton(second);
  const scripts = env.scripts();
  assert.equal(scripts.length, 1, 'one script for any number of calls');
  const [script] = scripts;
  // Versioned by sdk/build.mjs (tests/sdk/build.test.mjs checks the hash); `source` unbuilt.
  assert.match(script.src, new RegExp(`^${IDP}/static/lxl-id-ui\\.js\\?v=(source|[0-9a-f]{12})$`));
  assert.equal(env.frames().length, 0, 'the core draws nothing itself');
  const rendered = [];
  script.lxlCore.install({renderButton: (parent, options) => rendered.push({parent, options}), cancel() {}});
  assert.equal(rendered.length, 2);
  assert.equal(rendered[0].parent, first);
  assert.deepEqual({...rendered[0].options}, {size: 'small'});
  assert.equal(rendered[1].parent, second);
  assert.equal(rendered[1].options, undefined);
  script.dispatch('load');
  const third = env.doc.createElement('div');
  env.api.renderButton(third, {type: 'icon'});
  assert.equal(rendered.length, 3, 'once installed, a call goes straight to the part');
  assert.equal(rendered[2].parent, third);
  assert.equal(env.scripts().length, 1);
});

test('a queued call that throws is reported; the others still render', () => {
  const {env} = start();
  env.api.renderButton(env.doc.createElement('div'));
  env.api.renderButton(env.doc.createElement('div'));
  const [script] = env.scripts();
  let calls = 0;
  script.lxlCore.install({renderButton() { if (++calls == 1) throw new TypeError('bad size') }, cancel() {}});
  assert.equal(calls, 2);
  assert.deepEqual(env.errors.map(e => e.message), ['bad size']);
});

test('the part fails to load → callback idp_unreachable, once; a later call tries again', () => {
  const {env, got, moments} = start();
  env.api.renderButton(env.doc.createElement('div'));
  env.api.renderButton(env.doc.createElement('div'));
  const [script] = env.scripts();
  script.dispatch('error');
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'idp_unreachable'}]);
  assert.deepEqual(moments, [{type: 'step', step: 'callback'},
    {type: 'result', ok: false, reason: 'idp_unreachable'}]);
  assert.equal(env.warns.length, 1);
  assert.match(env.warns[0], /renderButton failed: idp_unreachable\s+lxl-id-ui\.js/);
  assert.match(env.warns[0], /Is http:\/\/id\.localhost:5000 up\?/);
  assert.deepEqual(env.scripts(), [], 'the failed script is removed');
  env.api.renderButton(env.doc.createElement('div'));
  assert.equal(env.scripts().length, 1, 'a new attempt to load');
  assert.notEqual(env.scripts()[0], script);
  assert.equal(got.length, 1, 'the dropped calls are not failed twice');
});

test('the script loads but never installs (not the part) → idp_unreachable', () => {
  const {env, got} = start({log_level: 'silent'});
  env.api.renderButton(env.doc.createElement('div'));
  env.scripts()[0].dispatch('load');
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'idp_unreachable'}]);
  assert.deepEqual(env.warns, []);
});

test('the part\'s script gets the nonce of the core\'s own script (nonce-based CSP)', () => {
  const {env} = start({}, load({scriptNonce: 'r4nd0m'}));
  env.api.renderButton(env.doc.createElement('div'));
  assert.equal(env.scripts()[0].nonce, 'r4nd0m');
  const other = start();
  other.env.api.renderButton(other.env.doc.createElement('div'));
  assert.equal(other.env.scripts()[0].nonce, undefined, 'no nonce, none set');
});

test('core: idp, origin, and a copy of the options with defaults applied', () => {
  const {env} = start({login_uri: '/auth/credential', ux_mode: 'redirect', nonce: 'n'});
  const {core} = installFakePart(env);
  assert.ok(Object.isFrozen(core));
  assert.deepEqual(Object.keys(core), ['idp', 'origin', 'options', 'status', 'openFrame',
    'authorizationRequest', 'finish', 'failure', 'moment', 'promptMoment', 'storage', 'install']);
  assert.equal(core.idp, IDP);
  assert.equal(core.origin, ORIGIN);
  const options = core.options();
  assert.equal(options.client_id, 'ngo-demo');
  assert.equal(options.ux_mode, 'redirect');
  assert.equal(options.login_uri, '/auth/credential');
  assert.equal(options.scope, 'openid email profile');
  assert.equal(options.timeout_ms, 5000);
  options.client_id = 'changed';
  assert.equal(core.options().client_id, 'ngo-demo', 'a copy');
  const popup = start();
  assert.equal(installFakePart(popup.env).core.options().ux_mode, 'popup', 'popup by default');
});

test('core.authorizationRequest: a fresh request for this page, state and nonce apart', () => {
  const {env} = start({scope: 'openid email'});
  const {core} = installFakePart(env);
  const {request, state, nonce} = core.authorizationRequest();
  assert.deepEqual({...request}, {response_type: 'id_token', scope: 'openid email', nonce, state,
    redirect_uri: ORIGIN, client_id: 'ngo-demo'});
  assert.match(state, /^\d{8,}$/);
  assert.match(nonce, /^\d{8,}$/);
  assert.notEqual(state, nonce);
  assert.notEqual(core.authorizationRequest().state, state, 'fresh each time');
  const withNonce = start({nonce: 'site-nonce'});
  assert.equal(installFakePart(withNonce.env).core.authorizationRequest().nonce, 'site-nonce');
});

test('core.finish: a good response → callback with select_by btn, moments, no warning', () => {
  const {env, got, moments} = start();
  const {core} = installFakePart(env);
  const request = core.authorizationRequest();
  const id_token = tokenFor(request);
  moments.length = 0;
  core.finish({id_token, state: request.state}, request, 'btn');
  assert.deepEqual(got, [{credential: id_token, select_by: 'btn', client_id: 'ngo-demo'}]);
  assert.deepEqual(moments, [{type: 'step', step: 'callback'}, {type: 'result', ok: true}]);
  assert.deepEqual(env.warns, []);
  // The inner request object carries state and nonce too: either may be passed.
  const next = core.authorizationRequest();
  core.finish({id_token: tokenFor(next), state: next.state}, next.request, 'btn');
  assert.equal(got.length, 2);
  assert.equal(got[1].select_by, 'btn');
});

const REFUSED = [
  ['another state', (request, token) => ({id_token: token, state: 'forged'}), 'invalid_response', 'state'],
  ['no state', (request, token) => ({id_token: token}), 'invalid_response', 'state'],
  ['another nonce', request => ({id_token: tokenFor(request, {nonce: 'replayed'}), state: request.state}),
    'invalid_response', 'nonce'],
  ['another audience', request => ({id_token: tokenFor(request, {aud: 'other'}), state: request.state}),
    'invalid_response', 'aud'],
  ['another issuer', request => ({id_token: tokenFor(request, {iss: 'http://evil.localhost:5000'}),
    state: request.state}), 'invalid_response', 'iss'],
  ['expired', request => ({id_token: tokenFor(request, {exp: now() - 1}), state: request.state}),
    'invalid_response', 'exp'],
  ['no token', request => ({state: request.state}), 'invalid_response', 'iss'],
  ['Deny pressed', request => ({error: 'access_denied', state: request.state}), 'access_denied',
    'access_denied'],
  ['an IdP reason', request => ({error: 'login_required', reason: 'session_expired', state: request.state}),
    'session_expired', 'login_required'],
  ['an unknown error', request => ({error: 'server_error', state: request.state}), 'no_session',
    'server_error'],
];
for (const [what, respond, reason, detail] of REFUSED) {
  test(`core.finish refuses ${what} → ${reason}`, () => {
    const {env, got, moments} = start();
    const {core} = installFakePart(env);
    const request = core.authorizationRequest();
    const token = tokenFor(request);
    core.finish(respond(request, token), request, 'btn');
    assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason}]);
    assert.deepEqual(moments.at(-1), {type: 'result', ok: false, reason});
    assert.equal(env.warns.length, 1);
    assert.match(env.warns[0], new RegExp(`^lxl-id: sign-in failed: ${reason}\\s+${detail}`));
    assert.ok(!env.warns[0].includes(token), 'never log a token');
  });
}

test('core.failure: the reason reaches the callback; an unknown one becomes invalid_response', () => {
  const {env, got} = start();
  const {core} = installFakePart(env);
  core.failure('popup_closed');
  core.failure('popup_blocked', 'window.open returned null');
  core.failure('made_up');
  assert.deepEqual(got.map(r => r.reason), ['popup_closed', 'popup_blocked', 'invalid_response']);
  assert.deepEqual(got[0], {credential: undefined, error: 'login_required', reason: 'popup_closed'});
  assert.match(env.warns[1], /^lxl-id: sign-in failed: popup_blocked window\.open returned null\.$/);
});

test('core.finish without a callback POSTs the credential to login_uri', () => {
  const {env} = start({callback: undefined, login_uri: '/auth/credential'});
  const {core} = installFakePart(env);
  const request = core.authorizationRequest();
  const id_token = tokenFor(request);
  core.finish({id_token, state: request.state}, request, 'btn');
  assert.equal(env.doc.submitted.length, 1);
  const fields = Object.fromEntries(env.doc.submitted[0].children.map(i => [i.name, i.value]));
  assert.equal(fields.credential, id_token);
});

test('core.finish drops a silent attempt still in flight: one sign-in, one credential', async () => {
  const {env, got} = start({auto_select: true});
  await env.flush();
  const [statusFrame] = env.frames();
  const {core} = installFakePart(env);
  const request = core.authorizationRequest();
  core.finish({id_token: tokenFor(request), state: request.state}, request, 'btn');
  await env.signIn(statusFrame); // the silent attempt's answer comes late
  await env.flush();
  assert.deepEqual(got.map(r => r.select_by), ['btn']);
});

test('core.openFrame: visible in a container, same checks on messages, next() without a timeout', async () => {
  const {env, moments} = start();
  const {core} = installFakePart(env);
  const container = env.doc.createElement('div');
  const frame = core.openFrame('/oidc/iframe/button', {client_id: 'ngo-demo', origin: ORIGIN}, 'button',
    container);
  const iframe = frame.element;
  assert.deepEqual(container.children, [iframe]);
  assert.equal(env.frames().length, 0, 'not in the body');
  assert.equal(iframe.src, IDP + '/oidc/iframe/button?client_id=ngo-demo&origin=' +
    encodeURIComponent(ORIGIN));
  assert.equal(iframe.hidden, undefined, 'shown');
  assert.equal(iframe.ariaHidden, undefined);
  const click = frame.next('lxl:click', 'button');
  env.msg(iframe, {type: 'lxl:click'}, 'http://evil.localhost:5000');
  env.msg(iframe, {type: 'lxl:click'}, IDP, {});
  await env.sleep(20);
  env.msg(iframe, {type: 'lxl:hello'});
  env.msg(iframe, {type: 'lxl:click'});
  assert.deepEqual({...await click}, {type: 'lxl:click'});
  assert.deepEqual(moments.filter(m => m.type == 'message'), [
    {type: 'message', message: 'lxl:hello', frame: 'button'},
    {type: 'message', message: 'lxl:click', frame: 'button'},
  ]);
  frame.post({type: 'lxl:ping'});
  assert.deepEqual(iframe.contentWindow.posted, [{m: {type: 'lxl:ping'}, targetOrigin: IDP}]);
  const pending = frame.next('lxl:click', 'button');
  frame.close();
  await assert.rejects(pending, e => e.reason == 'cancelled');
  assert.deepEqual(container.children, []);
  assert.equal(env.win.listenerCount('message'), 0);
});

test('core.openFrame: a refused button frame rejects next() with the IdP\'s reason', async () => {
  const env = load({fetch: async () => ({json: async () => ({error: 'origin_not_allowed'})})});
  const {core} = installFakePart(start({}, env).env);
  const frame = core.openFrame('/oidc/iframe/button', {}, 'button', env.doc.createElement('div'));
  const click = frame.next('lxl:click', 'button');
  frame.element.dispatch('load');
  await assert.rejects(click, e => e.reason == 'origin_not_allowed' && e.step == 'button');
  frame.close();
});

test('core.storage: localStorage under the client\'s prefix; undefined where it cannot be read', () => {
  const localStorage = memoryStorage();
  const items = localStorage.items;
  const {env} = start({}, load({globals: {localStorage}}));
  const {core} = installFakePart(env);
  core.storage.setItem('storage_access', 'refused');
  assert.deepEqual([...items], [['lxl:ngo-demo:storage_access', 'refused']]);
  assert.equal(core.storage.getItem('storage_access'), 'refused');
  assert.deepEqual(Object.keys(core.storage), ['getItem', 'setItem', 'removeItem']);
  core.storage.removeItem('storage_access');
  assert.deepEqual([...items], []);

  const blocked = load({setUp: ctx => Object.defineProperty(ctx, 'localStorage', {
    get() { throw new Error('SecurityError: access is denied for this document') },
  })});
  assert.equal(installFakePart(start({}, blocked).env).core.storage, undefined);
  assert.equal(installFakePart(start().env).core.storage, undefined, 'no localStorage at all');
});

test('core.moment', () => {
  const {env, moments} = start();
  const {core} = installFakePart(env);
  moments.length = 0;
  core.moment({type: 'message', message: 'authorization_response', frame: 'popup'});
  assert.deepEqual(moments, [{type: 'message', message: 'authorization_response', frame: 'popup'}]);
});

test('core.install takes the first part only: another script cannot replace it', () => {
  const {env} = start();
  const {core, rendered} = installFakePart(env);
  const taken = [];
  core.install({renderButton: parent => taken.push(parent), cancel() {}, renderAgain() {}});
  env.api.renderButton(env.doc.createElement('div'));
  assert.equal(rendered.length, 2);
  assert.deepEqual(taken, []);
});

test('a silent sign-in tells the part before its callback (its popup and card close): one credential', async () => {
  const {env, got} = start({auto_select: true});
  await env.flush();
  const [statusFrame] = env.frames();
  const callbacksAtSignedIn = [], cancels = [];
  installFakePart(env, {signedIn: () => callbacksAtSignedIn.push(got.length), cancel: () => cancels.push(1)});
  await env.signIn(statusFrame);
  assert.deepEqual(got.map(r => r.select_by), ['auto']);
  assert.deepEqual(callbacksAtSignedIn, [0], 'told once, before the callback ran');
  assert.deepEqual(cancels, [], 'not a cancel(): the card\'s moment is credential_returned');
});

test('initialize() again draws the rendered buttons again with its options', () => {
  const {env} = start();
  let drawn = 0;
  const {core} = installFakePart(env, {renderAgain: () => drawn++});
  env.api.initialize({client_id: 'other-client', callback() {}});
  assert.equal(drawn, 1);
  assert.equal(core.options().client_id, 'other-client', 'after the new options are in place');
});

test('core.openFrame: with no hello after load though client-check says ok → idp_unreachable', async () => {
  const env = load({fetch: async () => ({json: async () => ({ok: true})})});
  const {core} = installFakePart(start({timeout_ms: 100}, env).env);
  const frame = core.openFrame('/oidc/iframe/button', {}, 'button', env.doc.createElement('div'));
  const hello = frame.next('lxl:hello', 'button');
  frame.element.dispatch('load'); // an error page of the IdP: a 5xx, a 429
  const started = Date.now();
  await assert.rejects(hello, e => e.reason == 'idp_unreachable' && e.step == 'button');
  assert.ok(Date.now() - started >= 90, 'after the attempt\'s budget');
  frame.close();

  const late = core.openFrame('/oidc/iframe/button', {}, 'button', env.doc.createElement('div'));
  const lateHello = late.next('lxl:hello', 'button');
  late.element.dispatch('load');
  await env.sleep(20);
  env.msg(late.element, {type: 'lxl:hello'}); // slow, but in time
  assert.deepEqual({...await lateHello}, {type: 'lxl:hello'});
  await env.sleep(150);
  const click = late.next('lxl:click', 'button');
  env.msg(late.element, {type: 'lxl:click'});
  assert.deepEqual({...await click}, {type: 'lxl:click'}, 'a greeted frame does not fail later');
  late.close();
});

test('core.openFrame onMessage: checked messages nobody awaits go to the handler, not a queue', async () => {
  const {env} = start();
  const {core} = installFakePart(env);
  const frame = core.openFrame('/oidc/iframe/button', {}, 'button', env.doc.createElement('div'));
  const iframe = frame.element;
  const hello = frame.next('lxl:hello', 'button');
  env.msg(iframe, {type: 'lxl:resize', width: 1, height: 1}); // before the handler: queued
  const handled = [];
  frame.onMessage(message => handled.push(message.type));
  assert.deepEqual(handled, ['lxl:resize'], 'what was queued first');
  env.msg(iframe, {type: 'lxl:hello'});
  assert.deepEqual({...await hello}, {type: 'lxl:hello'}, 'an awaited message settles its next()');
  env.msg(iframe, {type: 'lxl:click'}, 'http://evil.localhost:5000');
  env.msg(iframe, {type: 'lxl:click'}, IDP, {});
  env.msg(iframe, {type: 'lxl:click'});
  env.msg(iframe, {type: 'lxl:resize', width: 2, height: 2});
  assert.deepEqual(handled, ['lxl:resize', 'lxl:click', 'lxl:resize']);
  const never = frame.next('lxl:click', 'button', 50);
  await assert.rejects(never, e => e.reason == 'timeout', 'handed over, not kept in a queue');
  frame.close();
});
