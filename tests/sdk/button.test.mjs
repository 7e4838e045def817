// The button part (sdk/lxl-id-ui.js): renderButton's options, the IdP's button frame,
// its messages, the popup and redirect mode; played against a fake core and a fake IdP.
import test from 'node:test';
import assert from 'node:assert/strict';
import {loadPart, IDP, ORIGIN} from './button-harness.mjs';

const ID_TOKEN = 'header.payload.signature'; // the core checks it, not the part

/** Render a button and click it; return the popup the click opened. */
function clickOpen(env, buttonOptions) {
  const {frame} = env.render(buttonOptions);
  env.click(frame);
  return {frame, popup: env.popups.at(-1)};
}

test('the part installs renderButton, prompt, cancel, signedIn and renderAgain; loaded on its own it says how to load it', () => {
  const env = loadPart();
  assert.deepEqual(Object.keys(env.installed), ['renderButton', 'prompt', 'cancel', 'signedIn', 'renderAgain']);
  assert.throws(() => loadPart({withCore: false}),
    /loaded by lxl-id\.js when a page calls renderButton\(\) or prompt\(\); do not include it yourself/);
});

test('bad options: a TypeError naming the option and what it must be, reported; no frame', () => {
  const cases = [
    [{size: 'huge'}, 'lxl-id: renderButton({size}) must be one of "large", "medium" or "small", not "huge"'],
    [{type: 'round'}, 'lxl-id: renderButton({type}) must be one of "standard" or "icon", not "round"'],
    [{theme: 'dark'}, 'renderButton({theme}) must be one of "outline", "filled_blue" or "filled_black", not "dark"'],
    [{text: 'sign_in'}, 'renderButton({text}) must be one of "signin_with", "signup_with", "continue_with" or "signin"'],
    [{shape: 'oval'}, 'renderButton({shape}) must be one of "rectangular", "pill", "circle" or "square"'],
    [{logo_alignment: 'right'}, 'renderButton({logo_alignment}) must be one of "left" or "center"'],
    [{width: 119}, 'renderButton({width}) must be an integer from 120 to 400 (px), not 119'],
    [{width: 401}, 'renderButton({width}) must be an integer from 120 to 400 (px), not 401'],
    [{width: 200.5}, 'not 200.5'],
    [{width: '200'}, 'not "200"'],
    [{click_listener: 'go'}, 'renderButton({click_listener}) must be a function, not "go"'],
    [{locale: 'fr'}, 'lxl-id: renderButton({locale}) is no option; use type, theme, size, text, shape, logo_alignment, width, click_listener'],
    [{toString: 'x'}, 'lxl-id: renderButton({toString}) is no option'],
    [null, 'lxl-id: renderButton(parent, options): options must be an object'],
    ['large', 'options must be an object'],
  ];
  for (const [options, message] of cases) {
    const env = loadPart();
    env.render(options);
    assert.equal(env.errors.length, 1, JSON.stringify(options));
    assert.equal(env.errors[0].name, 'TypeError');
    assert.ok(env.errors[0].message.includes(message), `${env.errors[0].message} should say ${message}`);
    assert.deepEqual(env.frames, [], 'no button');
    assert.equal(env.messageListeners(), 0);
  }
});

test('every documented option value is accepted and passed to the frame as a string', () => {
  const env = loadPart();
  const options = {type: 'icon', theme: 'filled_blue', size: 'small', text: 'continue_with', shape: 'circle',
    logo_alignment: 'center', width: 120, click_listener() {}};
  env.render(options);
  env.render({width: 400}); env.render(undefined); env.render({size: undefined});
  assert.deepEqual(env.errors, []);
  const {click_listener, ...sent} = options;
  for (const [name, value] of Object.entries(sent)) assert.equal(env.frames[0].query[name], String(value));
});

test('frame: the IdP button page inside the parent, visible and titled, with only registered parameters', () => {
  const env = loadPart();
  const {parent, frame} = env.render({size: 'medium', text: 'signup_with', click_listener() {}});
  assert.equal(frame.path, '/oidc/iframe/button');
  assert.equal(frame.name, 'button');
  assert.equal(frame.container, parent);
  assert.deepEqual(parent.children, [frame.element]);
  assert.deepEqual(frame.query, {
    client_id: 'ngo-demo', origin: ORIGIN, size: 'medium', text: 'signup_with',
    // the authorization request, for a click that gets storage access and finishes in the frame
    response_type: 'id_token', scope: 'openid email profile', nonce: 'nonce1', state: 'state1',
    redirect_uri: ORIGIN,
  });
  const iframe = frame.element;
  assert.equal(iframe.title, 'LxL ID sign-in button', 'neutral: the words say "Sign up"');
  assert.equal(iframe.height, '32', 'medium is 32 px high from the start');
  assert.equal(iframe.width, '200', 'about a button\'s width until it reports its size');
  assert.equal(iframe.style.border, '0');
  assert.equal(iframe.hidden, undefined);
  assert.deepEqual(frame.waits.map(({type, step, ms}) => ({type, step, ms})),
    [{type: 'lxl:hello', step: 'button', ms: undefined}], 'the hello (or a refusal) is awaited, for as long as it takes');
});

test('frame: initial size follows size, width and type', () => {
  const env = loadPart();
  const sized = options => { const {element} = env.render(options).frame; return [element.width, element.height] };
  assert.deepEqual(sized({}), ['200', '40']);
  assert.deepEqual(sized({size: 'small', width: 250}), ['250', '24']);
  assert.deepEqual(sized({type: 'icon'}), ['40', '40']);
});

test('frame: itp_support and ask_storage_access', () => {
  const query = (options, storage) => {
    const env = loadPart({options, storage});
    return env.render({}).frame.query;
  };
  assert.equal(query({}).itp_support, undefined);
  assert.equal(query({itp_support: true}).itp_support, '1');
  assert.equal(query({itp_support: true}).ask_storage_access, undefined, 'never asks on a first visit');
  const signedInByPopup = new Map([['storage_access', 'worth_asking']]);
  assert.equal(query({itp_support: true}, signedInByPopup).ask_storage_access, '1');
  assert.equal(query({}, signedInByPopup).ask_storage_access, undefined, 'only with itp_support');
  assert.equal(query({itp_support: true}, new Map([['storage_access', 'refused']])).ask_storage_access, undefined);
  assert.equal(query({itp_support: true}, null).ask_storage_access, undefined, 'no storage');
  assert.equal(query({itp_support: true}, 'throws').ask_storage_access, undefined, 'storage that throws');
});

test('lxl:resize sizes the frame; other windows, other origins and odd sizes are ignored', () => {
  const env = loadPart();
  const {frame} = env.render({});
  env.message(frame, {type: 'lxl:resize', width: 210.4, height: 40});
  assert.deepEqual([frame.element.width, frame.element.height], ['211', '40']);
  env.message(frame, {type: 'lxl:resize', width: 999, height: 99}, {origin: 'http://evil.localhost:5000'});
  env.message(frame, {type: 'lxl:resize', width: 999, height: 99}, {source: {}});
  env.message(frame, {type: 'lxl:resize', width: '999', height: 99});
  env.message(frame, {type: 'lxl:resize', width: -1, height: 99});
  env.message(frame, {type: 'lxl:resize', width: 0, height: 0});
  env.message(frame, {type: 'lxl:resize', width: 300, height: 0});
  env.message(frame, {type: 'lxl:resize', width: Infinity, height: 99});
  env.message(frame, 'lxl:resize');
  env.message(frame, null);
  assert.deepEqual([frame.element.width, frame.element.height], ['211', '40']);
});

test('a refused or unreachable frame is removed and the callback hears why', async () => {
  const env = loadPart();
  const {parent, frame} = env.render({});
  frame.waits[0].reject({reason: 'origin_not_allowed', step: 'button'});
  await env.sleep(0);
  assert.deepEqual(env.failures, [{reason: 'origin_not_allowed'}]);
  assert.equal(frame.closed, true);
  assert.deepEqual(parent.children, []);
  assert.equal(env.messageListeners(), 0);
});

test('rendering into the same parent again replaces the button, with no failure', async () => {
  const env = loadPart();
  const {parent, frame: first} = env.render({});
  const {frame: second} = env.render({size: 'small'}, parent);
  await env.sleep(0);
  assert.equal(first.closed, true);
  assert.deepEqual(parent.children, [second.element]);
  assert.equal(env.messageListeners(), 1);
  assert.deepEqual(env.failures, []);
  env.click(first); // the old frame's window no longer counts
  assert.equal(env.popups.length, 0);
});

test('popup: opened on the click, centred, to authorize by web_message; the answer finishes with btn', () => {
  const env = loadPart();
  const {popup} = clickOpen(env, {});
  assert.equal(env.popups.length, 1, 'opened synchronously, within the click\'s activation');
  const url = new URL(popup.url);
  assert.equal(url.origin + url.pathname, IDP + '/oidc/authorize');
  assert.deepEqual(env.queryOf(popup.url), {
    response_type: 'id_token', scope: 'openid email profile', nonce: 'nonce2', state: 'state2',
    redirect_uri: ORIGIN, client_id: 'ngo-demo', response_mode: 'web_message', display: 'popup',
  });
  assert.equal(popup.name, 'lxl_id_signin');
  // centred on the page's window: 100 + (1280 - 480) / 2, 50 + (800 - 640) / 2
  assert.equal(popup.features, 'popup,width=480,height=640,left=500,top=130');
  assert.deepEqual(env.intervals, [100], 'closed is polled every 100 ms');

  env.answer(popup, {id_token: ID_TOKEN, state: 'state2', session_state: 'ss'});
  assert.deepEqual(env.finished, [{
    response: {id_token: ID_TOKEN, state: 'state2', session_state: 'ss'},
    request: {request: {response_type: 'id_token', scope: 'openid email profile', nonce: 'nonce2', state: 'state2',
      redirect_uri: ORIGIN, client_id: 'ngo-demo'}, state: 'state2', nonce: 'nonce2'},
    select_by: 'btn',
  }]);
  assert.equal(popup.closed, true, 'the page closes its popup');
  assert.deepEqual(env.moments, [{type: 'message', message: 'authorization_response', frame: 'popup'}]);
  assert.deepEqual(env.failures, []);
  assert.equal(env.storage.get('storage_access'), 'worth_asking', 'the IdP was visited top-level');
  assert.equal(env.messageListeners(), 1, 'only the button listens now');
});

test('popup: answers from another window or origin, and other messages, are ignored', async () => {
  const env = loadPart();
  const {frame, popup} = clickOpen(env, {});
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'}, {origin: 'http://evil.localhost:5000'});
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'}, {source: {}});
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'}, {origin: ORIGIN});
  env.message(frame, {type: 'lxl:hello'}, {source: popup});
  assert.deepEqual(env.finished, []);
  assert.equal(popup.closed, false);
  // A denial is an answer like any other: the core turns it into access_denied.
  env.answer(popup, {error: 'access_denied', reason: 'access_denied', state: 'state2'});
  assert.deepEqual(env.finished.map(f => f.response), [{error: 'access_denied', reason: 'access_denied', state: 'state2'}]);
  assert.deepEqual(env.moments, [{type: 'message', message: 'authorization_response', frame: 'popup',
    error: 'access_denied', reason: 'access_denied'}]);
  assert.equal(env.storage.get('storage_access'), undefined, 'no credential, nothing learnt');
  await env.sleep(250);
  assert.deepEqual(env.failures, [], 'an answered popup is no longer watched');
});

test('popup blocked: popup_blocked at once', () => {
  const env = loadPart({blockPopups: true});
  const {frame} = env.render({});
  env.click(frame);
  assert.deepEqual(env.failures, [{reason: 'popup_blocked'}], 'synchronously, in the same message event');
  assert.deepEqual(env.intervals, []);
  assert.equal(env.messageListeners(), 1);
});

test('popup closed by the person: popup_closed within two polls, later answers ignored', async () => {
  const env = loadPart();
  const {frame, popup} = clickOpen(env, {});
  await env.sleep(120);
  popup.closed = true;
  const closedAt = Date.now();
  while (!env.failures.length && Date.now() - closedAt < 1000) await env.sleep(10);
  assert.deepEqual(env.failures, [{reason: 'popup_closed'}]);
  assert.ok(Date.now() - closedAt <= 300, `reported ${Date.now() - closedAt} ms after closing`);
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'});
  assert.deepEqual(env.finished, []);
  assert.equal(env.messageListeners(), 1);
  env.click(frame);
  assert.equal(env.popups.length, 2, 'the next click opens a new popup');
});

test('popup that answers as it closes: the answer wins over closed', async () => {
  const env = loadPart();
  const {popup} = clickOpen(env, {});
  popup.closed = true; // the IdP's answer page closes itself right after posting
  await env.sleep(110);
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'});
  await env.sleep(250);
  assert.equal(env.finished.length, 1);
  assert.deepEqual(env.failures, []);
});

test('a second click focuses the open popup instead of opening another', () => {
  const env = loadPart();
  const {frame, popup} = clickOpen(env, {});
  const {frame: otherButton} = env.render({});
  env.click(frame);
  env.click(otherButton);
  assert.equal(env.popups.length, 1);
  assert.equal(popup.focused, 2);
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'});
  assert.equal(env.finished[0].request.state, 'state2', 'the first click\'s request');
  env.click(frame);
  assert.equal(env.popups.length, 2, 'after the answer, a click opens a new one');
});

test('click_listener is called on each click, before the popup; its errors are reported, the popup opens', () => {
  const env = loadPart();
  const calls = [];
  const {frame} = env.render({click_listener: () => calls.push(env.popups.length)});
  env.click(frame);
  env.click(frame);
  assert.deepEqual(calls, [0, 1]);
  const broken = new Error('site bug');
  const env2 = loadPart();
  env2.click(env2.render({click_listener() { throw broken }}).frame);
  assert.deepEqual(env2.errors, [broken]);
  assert.equal(env2.popups.length, 1);
});

test('click_listener runs on lxl:pressed: also for a click that storage access finishes in the frame', () => {
  const env = loadPart({options: {itp_support: true}});
  const calls = [];
  const {frame} = env.render({click_listener: () => calls.push('listener')});
  env.press(frame);
  assert.deepEqual(calls, ['listener'], 'at once, before the frame asks for storage access');
  env.message(frame, {type: 'lxl:storage_access', granted: true});
  env.message(frame, {type: 'authorization_response', response: {id_token: ID_TOKEN, state: frame.query.state}});
  assert.equal(env.finished.length, 1);
  assert.deepEqual(calls, ['listener'], 'once per click');
  assert.deepEqual(env.popups, []);
});

test('lxl:click only opens the popup: the listener ran on the click\'s lxl:pressed', () => {
  const env = loadPart();
  const calls = [];
  const {frame} = env.render({click_listener: () => calls.push(env.popups.length)});
  env.message(frame, {type: 'lxl:click'});
  assert.deepEqual(calls, []);
  assert.equal(env.popups.length, 1);
});

test('clicks from another window or origin open nothing', () => {
  const env = loadPart();
  const {frame} = env.render({click_listener() { throw new Error('not a click') }});
  env.click(frame, {origin: 'http://evil.localhost:5000'});
  env.click(frame, {source: {}});
  env.click(frame, {origin: ORIGIN, source: env.ctx});
  assert.deepEqual(env.popups, []);
  assert.deepEqual(env.errors, []);
});

test('storage access refused: remembered, never asked again, even after a popup sign-in', () => {
  const storage = new Map([['storage_access', 'worth_asking']]);
  const env = loadPart({options: {itp_support: true}, storage});
  const {frame} = env.render({});
  assert.equal(frame.query.ask_storage_access, '1');
  env.message(frame, {type: 'lxl:storage_access', granted: false}, {origin: 'http://evil.localhost:5000'});
  assert.equal(storage.get('storage_access'), 'worth_asking', 'not from another origin');
  env.message(frame, {type: 'lxl:storage_access', granted: false});
  assert.equal(storage.get('storage_access'), 'refused');
  env.click(frame);
  env.answer(env.popups[0], {id_token: ID_TOKEN, state: 'state2'});
  assert.equal(storage.get('storage_access'), 'refused');
  assert.equal(env.render({}).frame.query.ask_storage_access, undefined);
});

test('storage access granted: nothing remembered; the frame finishes the sign-in with its own request', () => {
  const storage = new Map();
  const env = loadPart({options: {itp_support: true}, storage});
  const {frame} = env.render({});
  env.message(frame, {type: 'lxl:storage_access', granted: true});
  assert.equal(storage.size, 0);
  const response = {id_token: ID_TOKEN, state: frame.query.state};
  env.message(frame, {type: 'authorization_response', response}, {origin: 'http://evil.localhost:5000'});
  assert.deepEqual(env.finished, []);
  env.message(frame, {type: 'authorization_response', response});
  const {nonce, state} = frame.query;
  assert.deepEqual(env.finished, [{response, select_by: 'btn', request: {request: {
    response_type: 'id_token', scope: 'openid email profile', nonce, state, redirect_uri: ORIGIN, client_id: 'ngo-demo',
  }, state, nonce}}]);
  assert.deepEqual(env.popups, []);
});

test('storage that throws or is absent: the button still signs in', () => {
  for (const storage of ['throws', null]) {
    const env = loadPart({options: {itp_support: true}, storage});
    const {frame, popup} = clickOpen(env, {});
    env.message(frame, {type: 'lxl:storage_access', granted: false});
    env.answer(popup, {id_token: ID_TOKEN, state: 'state2'});
    assert.equal(env.finished.length, 1);
    assert.deepEqual(env.errors, []);
  }
});

test('redirect mode: a SameSite=None csrf cookie, then authorize by form_post to the absolute login_uri', () => {
  const env = loadPart({options: {ux_mode: 'redirect', login_uri: '/auth/credential'}});
  const calls = [];
  const {frame} = env.render({click_listener: () => calls.push(env.assigned.length)});
  env.click(frame);
  assert.deepEqual(calls, [0], 'the listener runs before the page leaves');
  assert.deepEqual(env.popups, []);
  // The IdP's form_post is a cross-site POST: only a SameSite=None cookie comes back with it.
  assert.deepEqual(env.cookies, ['g_csrf_token=state2; Path=/; Max-Age=600; SameSite=None; Secure']);
  assert.equal(env.assigned.length, 1);
  const url = new URL(env.assigned[0]);
  assert.equal(url.origin + url.pathname, IDP + '/oidc/authorize');
  assert.deepEqual(env.queryOf(env.assigned[0]), {
    response_type: 'id_token', scope: 'openid email profile', nonce: 'nonce2', state: 'state2',
    redirect_uri: ORIGIN + '/auth/credential', client_id: 'ngo-demo', response_mode: 'form_post',
  });
});

test('ux_mode is read at click time: a later initialize() switches the button', () => {
  const env = loadPart();
  const {frame} = env.render({});
  Object.assign(env.settings, {ux_mode: 'redirect', login_uri: ORIGIN + '/auth/credential'});
  env.click(frame);
  assert.equal(env.popups.length, 0);
  assert.equal(env.queryOf(env.assigned[0]).redirect_uri, ORIGIN + '/auth/credential');
});

test('cancel(): the open popup is closed and its answer or closing tells nobody', async () => {
  const env = loadPart();
  const {frame, popup} = clickOpen(env, {});
  env.installed.cancel();
  assert.equal(popup.closed, true);
  await env.sleep(250);
  env.answer(popup, {id_token: ID_TOKEN, state: 'state2'});
  assert.deepEqual(env.finished, []);
  assert.deepEqual(env.failures, []);
  env.click(frame);
  assert.equal(env.popups.length, 2, 'the next click opens a new popup');
});

test('the part takes the core off its script element: no other script can reach it', () => {
  const env = loadPart();
  assert.equal('lxlCore' in env.script, false);
  assert.ok(env.installed, 'installed all the same');
});

test('the frame\'s own sign-in spends its request: the button is drawn again with a fresh one', () => {
  const env = loadPart({options: {itp_support: true}});
  const options = {size: 'small'};
  const {parent, frame} = env.render(options);
  env.message(frame, {type: 'authorization_response', response: {id_token: ID_TOKEN, state: frame.query.state}});
  assert.equal(env.finished.length, 1);
  assert.equal(frame.closed, true);
  const fresh = env.frames.at(-1);
  assert.notEqual(fresh, frame);
  assert.deepEqual(parent.children, [fresh.element]);
  assert.equal(fresh.query.size, 'small', 'the same options');
  assert.notEqual(fresh.query.state, frame.query.state);
  assert.notEqual(fresh.query.nonce, frame.query.nonce);
  assert.equal(env.messageListeners(), 1);
  env.message(frame, {type: 'authorization_response', response: {id_token: ID_TOKEN, state: frame.query.state}});
  assert.equal(env.finished.length, 1, 'the old frame is gone');
});

test('a click right after the popup closed (before the poll saw it) opens a new popup', async () => {
  const env = loadPart();
  const {frame, popup} = clickOpen(env, {});
  popup.closed = true;
  env.click(frame);
  assert.equal(popup.focused, 0, 'no focus() on a closed window');
  assert.equal(env.popups.length, 2);
  await env.sleep(250);
  assert.deepEqual(env.failures, [], 'the new popup is open; the old one is dropped');
  env.answer(env.popups[1], {id_token: ID_TOKEN, state: 'state3'});
  assert.equal(env.finished.length, 1);
});

test('renderAgain: each button on the page is drawn again with the current options', () => {
  const env = loadPart();
  const {parent, frame} = env.render({size: 'small'});
  const {parent: gone, frame: goneFrame} = env.render({});
  gone.detached = true; // the site took it off the page
  env.settings.client_id = 'other-client';
  env.installed.renderAgain();
  assert.equal(frame.closed, true);
  const redrawn = env.frames.at(-1);
  assert.deepEqual(parent.children, [redrawn.element]);
  assert.equal(redrawn.query.client_id, 'other-client');
  assert.equal(redrawn.query.size, 'small');
  assert.equal(goneFrame.closed, true, 'a button off the page is forgotten');
  assert.equal(env.frames.length, 3);
  env.installed.renderAgain();
  assert.equal(env.frames.length, 4, 'only the one on the page, again');
});

test('lxl:refused from the IdP: a TypeError naming the parameter, the frame removed, no callback', async () => {
  const env = loadPart();
  const {parent, frame} = env.render({});
  env.message(frame, {type: 'lxl:hello'});
  env.message(frame, {type: 'lxl:refused', error: 'invalid_request',
    error_description: "'size' must be one of: large, medium, small."});
  await env.sleep(0);
  assert.equal(env.errors.length, 1);
  assert.equal(env.errors[0].name, 'TypeError');
  assert.equal(env.errors[0].message,
    `lxl-id: renderButton() refused by ${IDP}: 'size' must be one of: large, medium, small.`);
  assert.equal(frame.closed, true);
  assert.deepEqual(parent.children, []);
  assert.deepEqual(env.failures, []);
  assert.equal(env.messageListeners(), 0);
});
