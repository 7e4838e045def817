// prompt() on the core's side (sdk/lxl-id.js): its checks, the one loader it shares with
// renderButton(), the silent attempt it waits for, and what the core gives the card's code
// (status(), promptMoment(), finish() with select_by 'user'). The part is played by the test,
// as in core.test.mjs; card.test.mjs runs the real part.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, unstamped, jwt, now, memoryStorage, IDP} from './harness.mjs';

/** Initialize (no auto_select unless asked); record callbacks and moments. */
function start(opts = {}, env = load()) {
  const got = [], moments = [];
  env.api.initialize({
    client_id: 'ngo-demo', callback: r => got.push(plain(r)),
    on_moment: m => moments.push(unstamped(m)), ...opts,
  });
  return {env, got, moments};
}

/** A fake part recording what it is asked; installed on the script the core appended. */
function fakePart(env) {
  const calls = [];
  const part = {
    renderButton: parent => calls.push(['renderButton', parent]),
    prompt: (listener, afterSilentSignIn) => calls.push(['prompt', listener, afterSilentSignIn]),
    cancel: () => calls.push(['cancel']),
    signedIn: () => calls.push(['signedIn']),
    renderAgain: () => calls.push(['renderAgain']),
  };
  const install = () => {
    const [script] = env.scripts();
    script.lxlCore.install(part);
    script.dispatch('load');
    return script.lxlCore;
  };
  return {calls, install};
}

/** What a moment notification's methods say, as a plain object. */
function said(notification) {
  const methods = ['getMomentType', 'isDisplayMoment', 'isDisplayed', 'isNotDisplayed',
    'getNotDisplayedReason', 'isSkippedMoment', 'getSkippedReason', 'isDismissedMoment',
    'getDismissedReason'];
  return Object.fromEntries(methods.map(name => [name, notification[name]()]));
}

test('prompt() before initialize(), or with a listener that is no function, throws a TypeError at once', () => {
  const env = load();
  assert.throws(() => env.api.prompt(), e => e.name == 'TypeError'
    && e.message == 'lxl-id: initialize() must come first');
  env.api.initialize({client_id: 'ngo-demo', callback() {}});
  for (const listener of [null, 'onMoment', {}, 42, true]) {
    assert.throws(() => env.api.prompt(listener), e => e.name == 'TypeError'
      && e.message == 'lxl-id: prompt(listener) must be a function', String(listener));
  }
  assert.deepEqual(env.scripts(), [], 'nothing loaded for a bad call');
  env.api.prompt();
  assert.equal(env.scripts().length, 1, 'no listener at all is fine');
});

test('renderButton() and prompt() share one loader: one script; the buttons in order, then the latest prompt()', async () => {
  const {env, moments} = start();
  const parent = env.doc.createElement('div');
  const other = env.doc.createElement('div');
  const told = [];
  const listener = m => told.push(m.getDismissedReason());
  env.api.prompt(m => told.push('first ' + m.getDismissedReason()));
  env.api.renderButton(parent);
  env.api.prompt(listener);
  env.api.renderButton(other);
  assert.deepEqual(told, ['first flow_restarted'], 'one card at a time, as once the part is here');
  assert.equal(env.scripts().length, 1);
  assert.match(env.scripts()[0].src, /\/static\/lxl-id-ui\.js\?v=/);
  const {calls, install} = fakePart(env);
  install();
  assert.deepEqual(calls.map(([name]) => name), ['renderButton', 'renderButton', 'prompt']);
  assert.equal(calls[0][1], parent);
  assert.equal(calls[1][1], other);
  assert.equal(calls[2][1], listener);
  assert.equal(await calls[2][2], false, 'no silent attempt in flight');
  env.api.prompt(listener);
  assert.equal(calls.length, 4, 'once installed, a call goes straight to the part');
  assert.deepEqual(told, ['first flow_restarted'], 'the part tells its own moments');
  assert.equal(env.scripts().length, 1);
  assert.deepEqual(moments.filter(m => m.type == 'prompt'),
    [{type: 'prompt', moment: 'dismissed', dismissed_reason: 'flow_restarted'}]);
});

test('the part fails to load: the callback hears idp_unreachable once; the earlier prompt() flow_restarted, the last not displayed', () => {
  const {env, got, moments} = start();
  const first = [], last = [];
  env.api.prompt(m => first.push(m));
  env.api.renderButton(env.doc.createElement('div'));
  env.api.prompt(m => last.push(m));
  env.scripts()[0].dispatch('error');
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'idp_unreachable'}]);
  assert.deepEqual(first.map(said), [{getMomentType: 'dismissed', isDisplayMoment: false,
    isDisplayed: false, isNotDisplayed: false, getNotDisplayedReason: undefined,
    isSkippedMoment: false, getSkippedReason: undefined, isDismissedMoment: true,
    getDismissedReason: 'flow_restarted'}]);
  assert.equal(last.length, 1);
  for (const m of [...first, ...last]) assert.ok(Object.isFrozen(m));
  assert.deepEqual(said(last[0]), {getMomentType: 'display', isDisplayMoment: true, isDisplayed: false,
    isNotDisplayed: true, getNotDisplayedReason: 'unknown_reason', isSkippedMoment: false,
    getSkippedReason: undefined, isDismissedMoment: false, getDismissedReason: undefined});
  assert.equal(last[0].reason, 'idp_unreachable');
  assert.deepEqual(moments.filter(m => m.type == 'prompt'), [
    {type: 'prompt', moment: 'dismissed', dismissed_reason: 'flow_restarted'},
    {type: 'prompt', moment: 'display', displayed: false, not_displayed_reason: 'unknown_reason', reason: 'idp_unreachable'},
  ]);
  assert.equal(env.warns.length, 1);
  assert.match(env.warns[0], /^lxl-id: prompt failed: idp_unreachable\s+lxl-id-ui\.js/, 'named by the call that loaded it');
});

test('prompt() waits for the silent attempt in flight: true when it delivered a credential', async () => {
  const {env, got} = start({auto_select: true});
  await env.flush();
  const [statusFrame] = env.frames();
  const {calls, install} = fakePart(env);
  env.api.prompt();
  install();
  let settled;
  calls[0][2].then(value => { settled = value });
  await env.flush();
  assert.equal(settled, undefined, 'still waiting for the attempt');
  await env.signIn(statusFrame);
  assert.equal(got.length, 1);
  assert.equal(settled, true);
  assert.deepEqual(calls.map(([name]) => name), ['prompt', 'signedIn']);
});

test('the silent attempt fails: false, after its callback ran (the site may prompt() from there)', async () => {
  const env = load();
  const order = [];
  const {calls, install} = fakePart(env);
  env.api.initialize({client_id: 'ngo-demo', auto_select: true, log_level: 'silent', callback: r => {
    order.push('callback ' + r.reason);
    env.api.prompt();
    calls.at(-1)?.[2].then(value => order.push('settled ' + value));
  }});
  await env.flush();
  const [f] = env.frames();
  env.api.renderButton(env.doc.createElement('div'));
  install();
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'consent_required'});
  await env.flush();
  assert.deepEqual(order, ['callback consent_required', 'settled false']);
});

test('an attempt that delivers while the part loads still counts: asked when prompt() was called', async () => {
  const {env} = start({auto_select: true});
  await env.flush();
  const [statusFrame] = env.frames();
  env.api.prompt();
  await env.signIn(statusFrame); // the credential arrives before the part does
  const {calls, install} = fakePart(env);
  install();
  assert.deepEqual(calls.map(([name]) => name), ['prompt'], 'signedIn() had no part to reach');
  assert.equal(await calls[0][2], true);
});

test('prompt() while the document loads waits for the attempt initialize() starts when it is ready', async () => {
  const env = load({readyState: 'loading'});
  const {got} = start({auto_select: true}, env);
  env.api.prompt();
  const {calls, install} = fakePart(env);
  install();
  let settled;
  calls[0][2].then(value => { settled = value });
  await env.flush();
  assert.equal(settled, undefined, 'not "no attempt": the page is not ready yet');
  env.doc.readyState = 'interactive';
  env.doc.dispatch('DOMContentLoaded');
  await env.flush();
  await env.signIn(env.frames()[0]);
  assert.equal(got[0].select_by, 'auto');
  assert.equal(settled, true);
});

test('cancel() while the part loads: the prompt() waiting is dismissed cancel_called at once, never handed over', () => {
  const {env, moments} = start();
  env.api.cancel();
  assert.deepEqual(env.scripts(), [], 'cancel() alone loads nothing');
  const told = [];
  const parent = env.doc.createElement('div');
  env.api.prompt(m => told.push(m.getDismissedReason()));
  env.api.renderButton(parent);
  env.api.cancel();
  assert.deepEqual(told, ['cancel_called']);
  assert.deepEqual(moments.filter(m => m.type == 'prompt'),
    [{type: 'prompt', moment: 'dismissed', dismissed_reason: 'cancel_called'}]);
  env.api.cancel();
  assert.deepEqual(told, ['cancel_called'], 'told once');
  const {calls, install} = fakePart(env);
  install();
  assert.deepEqual(calls.map(([name]) => name), ['renderButton'],
    'a button outlives cancel() (initialize() calls it), as a rendered one does');
  env.api.cancel();
  assert.deepEqual(calls.map(([name]) => name), ['renderButton', 'cancel']);
});

test('cancel() while the part loads, then the load fails: nobody is told (a button still waiting is)', () => {
  const {env, got} = start();
  const told = [];
  env.api.prompt(m => told.push(m.getMomentType()));
  env.api.cancel();
  env.scripts()[0].dispatch('error');
  assert.deepEqual(told, ['dismissed']);
  assert.deepEqual(got, [], 'no idp_unreachable to the callback');
  assert.deepEqual(env.warns, []);

  const withButton = start();
  withButton.env.api.prompt();
  withButton.env.api.renderButton(withButton.env.doc.createElement('div'));
  withButton.env.api.cancel();
  withButton.env.scripts()[0].dispatch('error');
  assert.deepEqual(withButton.got.map(r => r.reason), ['idp_unreachable'], 'the button cannot be drawn');
});

test('core.finish: a credential makes the part end its other flows (signedIn) before the callback runs; a failure does not', () => {
  const env = load();
  const order = [];
  env.api.initialize({client_id: 'ngo-demo', log_level: 'silent',
    callback: r => order.push('callback ' + (r.select_by || r.reason))});
  env.api.prompt();
  const core = env.scripts()[0].lxlCore;
  core.install({renderButton() {}, prompt() {}, cancel() {}, renderAgain() {},
    signedIn: () => order.push('signedIn')});
  const request = core.authorizationRequest();
  core.finish({error: 'access_denied', state: request.state}, request, 'btn');
  const id_token = jwt({iss: IDP, aud: 'ngo-demo', nonce: request.nonce, iat: now(), exp: now() + 600});
  core.finish({id_token, state: request.state}, request, 'user');
  assert.deepEqual(order, ['callback access_denied', 'signedIn', 'callback user']);
});

test('core.status(): the last lxl:session other than unchanged; none before, none after initialize()', async () => {
  const {env} = start({auto_select: true, log_level: 'silent'});
  await env.flush();
  const [f] = env.frames();
  env.api.prompt();
  const {install} = fakePart(env);
  const core = install();
  assert.equal(core.status(), undefined);
  env.msg(f, {type: 'lxl:hello'});
  env.msg(f, {type: 'lxl:session', status: 'logged_out', reason: 'no_session', session_state: 's1'});
  await env.flush();
  assert.deepEqual({...core.status()}, {type: 'lxl:session', status: 'logged_out', reason: 'no_session', session_state: 's1'});
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(f, {type: 'lxl:session', status: 'unchanged', session_state: 's1'});
  await env.flush();
  assert.equal(core.status().status, 'logged_out', 'unchanged keeps the last status');
  env.api.initialize({client_id: 'ngo-demo', callback() {}});
  assert.equal(core.status(), undefined, 'new options, nothing known');
});

test('core.finish with select_by user: the credential, told back to the part; a failure too', () => {
  const localStorage = memoryStorage(new Map([['lxl:ngo-demo:auto_select_disabled', '1']]));
  const {env, got} = start({}, load({globals: {localStorage}}));
  env.api.prompt();
  const core = fakePart(env).install();
  const request = core.authorizationRequest();
  const id_token = jwt({iss: IDP, aud: 'ngo-demo', nonce: request.nonce, iat: now(), exp: now() + 600});
  const delivered = core.finish({id_token, state: request.state}, request, 'user');
  assert.deepEqual(got, [{credential: id_token, select_by: 'user', client_id: 'ngo-demo'}]);
  assert.deepEqual({...delivered}, got[0]);
  assert.deepEqual([...localStorage.items], [], 'signed in on purpose: the sign-out memory goes');
  const refused = core.finish({error: 'access_denied', state: request.state}, request, 'user');
  assert.deepEqual({...refused}, {credential: undefined, error: 'login_required', reason: 'access_denied'});
  assert.deepEqual({...core.failure('popup_closed')},
    {credential: undefined, error: 'login_required', reason: 'popup_closed'});
  assert.deepEqual({...core.failure('made_up')},
    {credential: undefined, error: 'login_required', reason: 'invalid_response'});
});

test('core.promptMoment: a frozen notification with GIS\'s methods, and the same to on_moment', () => {
  const {env, moments} = start();
  env.api.prompt();
  const core = fakePart(env).install();
  const told = [];
  const listener = m => told.push(m);
  core.promptMoment(listener, 'display');
  core.promptMoment(listener, 'display', 'opt_out_or_no_session', 'no_session');
  core.promptMoment(listener, 'display', 'suppressed_by_user');
  core.promptMoment(listener, 'skipped', 'user_cancel', 'popup_closed');
  core.promptMoment(listener, 'skipped', 'user_cancel');
  core.promptMoment(listener, 'dismissed', 'credential_returned');
  const none = {isDisplayed: false, isNotDisplayed: false, getNotDisplayedReason: undefined,
    getSkippedReason: undefined, getDismissedReason: undefined};
  const display = {...none, getMomentType: 'display', isDisplayMoment: true, isSkippedMoment: false, isDismissedMoment: false};
  const skipped = {...none, getMomentType: 'skipped', isDisplayMoment: false, isSkippedMoment: true, isDismissedMoment: false};
  const dismissed = {...none, getMomentType: 'dismissed', isDisplayMoment: false, isSkippedMoment: false, isDismissedMoment: true};
  assert.deepEqual(told.map(said), [
    {...display, isDisplayed: true},
    {...display, isNotDisplayed: true, getNotDisplayedReason: 'opt_out_or_no_session'},
    {...display, isNotDisplayed: true, getNotDisplayedReason: 'suppressed_by_user'},
    {...skipped, getSkippedReason: 'user_cancel'},
    {...skipped, getSkippedReason: 'user_cancel'},
    {...dismissed, getDismissedReason: 'credential_returned'},
  ]);
  assert.deepEqual(told.map(m => m.reason), [undefined, 'no_session', undefined, 'popup_closed', undefined, undefined]);
  assert.deepEqual(told.map(m => 'reason' in m), [false, true, false, true, false, false], 'only where one applies');
  for (const m of told) {
    assert.ok(Object.isFrozen(m));
    assert.throws(() => { m.reason = 'x' }, TypeError);
  }
  assert.deepEqual(moments.filter(m => m.type == 'prompt'), [
    {type: 'prompt', moment: 'display', displayed: true},
    {type: 'prompt', moment: 'display', displayed: false, not_displayed_reason: 'opt_out_or_no_session', reason: 'no_session'},
    {type: 'prompt', moment: 'display', displayed: false, not_displayed_reason: 'suppressed_by_user'},
    {type: 'prompt', moment: 'skipped', skipped_reason: 'user_cancel', reason: 'popup_closed'},
    {type: 'prompt', moment: 'skipped', skipped_reason: 'user_cancel'},
    {type: 'prompt', moment: 'dismissed', dismissed_reason: 'credential_returned'},
  ]);
});

test('core.promptMoment: a listener\'s error is the site\'s (reported); on_moment is told all the same', () => {
  const {env, moments} = start();
  env.api.prompt();
  const core = fakePart(env).install();
  const broken = new Error('site bug');
  core.promptMoment(() => { throw broken }, 'dismissed', 'cancel_called');
  core.promptMoment(undefined, 'display');
  assert.deepEqual(env.errors, [broken]);
  assert.deepEqual(moments.filter(m => m.type == 'prompt').map(m => m.moment), ['dismissed', 'display']);
});

test('prompt moments are stamped like every moment', () => {
  const env = load();
  const stamps = [];
  env.api.initialize({client_id: 'ngo-demo', callback() {}, on_moment: m => stamps.push(m)});
  env.api.prompt();
  const core = fakePart(env).install();
  const before = performance.now();
  core.promptMoment(undefined, 'display');
  const [m] = stamps.filter(m => m.type == 'prompt');
  assert.ok(before <= m.ms && m.ms <= performance.now());
});
