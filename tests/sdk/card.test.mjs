// The One-Tap card end to end in a fake page: the real core (sdk/lxl-id.js) loads the real UI
// part (sdk/lxl-id-ui.js), whose prompt() waits for the silent attempt, says at once what the
// core already knows, or opens the IdP's card frame; the test plays the IdP (the status frame,
// the card's frame, the popup) and checks the moments the listener and on_moment are told.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load, plain, unstamped, jwt, now, memoryStorage, IDP, ORIGIN} from './harness.mjs';

const EVIL = 'http://evil.localhost:5000';

/** A page: initialize() with these options, recording the callback, on_moment and prompt()'s listener. */
function start(opts = {}, env = load()) {
  const got = [], moments = [], told = [];
  env.api.initialize({
    client_id: 'ngo-demo', callback: r => got.push(plain(r)),
    on_moment: m => moments.push(unstamped(m)), ...opts,
  });
  const listener = m => told.push(m);
  /** The listener's moments, each as "type reason [failure reason]". */
  const heard = () => told.map(summary);
  /** on_moment's prompt moments. */
  const promptMoments = () => moments.filter(m => m.type == 'prompt');
  return {env, got, moments, told, listener, heard, promptMoments};
}

/** What a PromptMomentNotification says, in one line: `display displayed`,
 * `display opt_out_or_no_session no_session`, `skipped user_cancel popup_closed`, … */
function summary(m) {
  const why = m.isDisplayMoment() ? (m.isDisplayed() ? 'displayed' : m.getNotDisplayedReason())
    : m.isSkippedMoment() ? m.getSkippedReason() : m.getDismissedReason();
  return [m.getMomentType(), why, m.reason].filter(Boolean).join(' ');
}

/** prompt(), the part loaded (if it was not), the silent wait over; the card's frame if opened. */
async function prompt(page) {
  page.env.api.prompt(page.listener);
  if (page.env.scripts().length && !page.env.scripts()[0].loadedPart) {
    page.env.scripts()[0].loadedPart = true;
    page.env.runPart();
  }
  await page.env.flush();
  return cardFrame(page.env);
}

/** The card's iframe on the page, if any. */
const cardFrame = env => env.cards()[0]?.children[0];

/** A card on screen: prompt(), the frame's hello and `lxl:card displayed: true`. */
async function displayedCard(opts = {}, env = load()) {
  const page = start(opts, env);
  const frame = await prompt(page);
  page.env.msg(frame, {type: 'lxl:hello'});
  page.env.msg(frame, {type: 'lxl:card', displayed: true});
  return {...page, frame};
}

/** An ID token for the request whose state and nonce a URL's query carries. */
function tokenFor(query, claims = {}) {
  return jwt({iss: IDP, aud: 'ngo-demo', nonce: query.nonce, iat: now(), exp: now() + 600, ...claims});
}

/** A silent attempt at page load that ends with this lxl:session; returns the page. */
async function silentlyRefused(session, opts = {}) {
  const page = start({auto_select: true, log_level: 'silent', ...opts});
  await page.env.flush();
  const [statusFrame] = page.env.frames();
  page.env.msg(statusFrame, {type: 'lxl:hello'});
  page.env.msg(statusFrame, {type: 'lxl:session', session_state: 'ss1', ...session});
  await page.env.flush();
  return {...page, statusFrame};
}

test('one part for renderButton() and prompt(): loaded once, both drawn when it arrives', async () => {
  const page = start();
  const parent = page.env.doc.createElement('div');
  page.env.api.renderButton(parent);
  page.env.api.prompt(page.listener);
  page.env.api.renderButton(page.env.doc.createElement('div'));
  assert.equal(page.env.scripts().length, 1);
  page.env.runPart();
  await page.env.flush();
  assert.equal(parent.children[0].tagName, 'IFRAME', 'the button');
  assert.match(parent.children[0].src, /\/oidc\/iframe\/button\?/);
  assert.ok(cardFrame(page.env), 'the card\'s frame');
  assert.equal('lxlCore' in page.env.scripts()[0], false, 'the part took the core off its script');
  page.env.api.prompt(page.listener);
  assert.equal(page.env.scripts().length, 1, 'no second load');
});

test('the card\'s frame: the IdP\'s card page in a box fixed top-right by CSSOM, hidden until displayed', async () => {
  const page = start({itp_support: true});
  const frame = await prompt(page);
  const url = new URL(frame.src);
  assert.equal(url.origin + url.pathname, IDP + '/oidc/iframe/card');
  const query = page.env.query(frame);
  assert.deepEqual(query, {origin: ORIGIN, itp_support: '1', response_type: 'id_token',
    scope: 'openid email profile', nonce: query.nonce, state: query.state, redirect_uri: ORIGIN,
    client_id: 'ngo-demo'});
  assert.match(query.nonce, /^\d{8,}$/);
  const [box] = page.env.cards();
  assert.equal(box.parent, page.env.doc.body);
  assert.deepEqual(box.style, {position: 'fixed', top: '16px', right: '16px', zIndex: '2147483647'});
  assert.deepEqual(box.attributes, {}, 'no style attribute: a strict CSP allows CSSOM only');
  assert.deepEqual(frame.attributes, {});
  assert.equal(frame.style.display, 'none', 'hidden until the IdP says the card displays');
  assert.equal(frame.style.border, '0');
  assert.equal(frame.title, 'LxL ID: sign in');
  assert.deepEqual([frame.width, frame.height], ['360', '176']);
  assert.deepEqual(page.told, [], 'nothing to tell yet');
  const plainPage = start();
  assert.equal(page.env.query(await prompt(plainPage)).itp_support, undefined, 'only when set');
});

test('lxl:card displayed → the display moment, and the frame shown at its fixed size', async () => {
  const {env, frame, heard, promptMoments, moments} = await displayedCard();
  assert.deepEqual(heard(), ['display displayed']);
  assert.equal(frame.style.display, 'block');
  assert.deepEqual([frame.width, frame.height], ['360', '176']);
  assert.deepEqual(promptMoments(), [{type: 'prompt', moment: 'display', displayed: true}]);
  assert.deepEqual(moments.filter(m => m.type == 'message'), [
    {type: 'message', message: 'lxl:hello', frame: 'card'},
    {type: 'message', message: 'lxl:card', frame: 'card'},
  ]);
  // Nothing the frame says resizes it: its size would tell the page who is signed in.
  env.msg(frame, {type: 'lxl:resize', width: 500, height: 300});
  env.msg(frame, {type: 'lxl:card', displayed: true, width: 500});
  assert.deepEqual([frame.width, frame.height], ['360', '176']);
  assert.deepEqual(heard(), ['display displayed'], 'displayed once');
});

test('a window narrower than the card: min(360, innerWidth - 16) wide, 8 px from either side', async () => {
  const page = start({}, load({innerWidth: 320}));
  const frame = await prompt(page);
  assert.deepEqual([frame.width, frame.height], ['304', '176']);
  assert.equal(page.env.cards()[0].style.right, '8px');
  assert.equal(page.env.cards()[0].style.top, '16px');
});

test('prompt() waits for the silent attempt: a credential ends it (dismissed credential_returned), no frame', async () => {
  const page = start({auto_select: true});
  await page.env.flush();
  const [statusFrame] = page.env.frames();
  page.env.api.prompt(page.listener);
  page.env.runPart();
  await page.env.flush();
  assert.deepEqual(page.heard(), [], 'waiting');
  assert.equal(cardFrame(page.env), undefined);
  const token = await page.env.signIn(statusFrame);
  assert.deepEqual(page.got, [{credential: token, select_by: 'auto', client_id: 'ngo-demo'}]);
  assert.deepEqual(page.heard(), ['dismissed credential_returned']);
  assert.deepEqual(page.promptMoments(), [{type: 'prompt', moment: 'dismissed', dismissed_reason: 'credential_returned'}]);
  await page.env.flush();
  assert.equal(cardFrame(page.env), undefined, 'no card');
  assert.equal(page.env.cards().length, 0);
});

test('the silent attempt delivers while the part loads: dismissed credential_returned all the same', async () => {
  const page = start({auto_select: true});
  await page.env.flush();
  page.env.api.prompt(page.listener);
  await page.env.signIn(page.env.frames()[0]);
  page.env.runPart();
  await page.env.flush();
  assert.deepEqual(page.heard(), ['dismissed credential_returned']);
  assert.equal(page.env.cards().length, 0);
});

const SETTLED = [
  [{status: 'logged_out', reason: 'no_session'}, 'display opt_out_or_no_session no_session'],
  [{status: 'logged_out', reason: 'session_expired'}, 'display opt_out_or_no_session session_expired'],
  [{status: 'unknown', reason: 'third_party_cookies_blocked'}, 'display browser_not_supported third_party_cookies_blocked'],
  [{status: 'unknown'}, 'display browser_not_supported third_party_cookies_blocked'],
];
for (const [session, moment] of SETTLED) {
  test(`status ${session.status} ${session.reason || ''}: not displayed at once (${moment}), no frame`, async () => {
    const page = await silentlyRefused(session);
    const frame = await prompt(page);
    assert.deepEqual(page.heard(), [moment]);
    assert.equal(frame, undefined);
    assert.deepEqual(page.env.cards(), []);
    assert.equal(page.env.frames().length, 1, 'only the status frame');
    const [, why, reason] = moment.split(' ');
    assert.deepEqual(page.promptMoments(), [{type: 'prompt', moment: 'display', displayed: false,
      not_displayed_reason: why, reason}]);
  });
}

for (const session of [{status: 'logged_out', reason: 'consent_required'},
  {status: 'logged_out', reason: 'auto_select_disabled'}, {status: 'logged_out', reason: 'toString'}]) {
  test(`status logged_out ${session.reason}: the card's frame asks the IdP`, async () => {
    const page = await silentlyRefused(session);
    assert.ok(await prompt(page));
    assert.deepEqual(page.heard(), []);
  });
}

test('prompt() from the callback of a silent attempt that failed (as the NGO site does)', async () => {
  const env = load();
  const told = [];
  env.api.initialize({client_id: 'ngo-demo', auto_select: true, log_level: 'silent', callback: r => {
    if (r.reason == 'consent_required') env.api.prompt(m => told.push(summary(m)));
  }});
  await env.flush();
  const [statusFrame] = env.frames();
  env.msg(statusFrame, {type: 'lxl:hello'});
  env.msg(statusFrame, {type: 'lxl:session', status: 'logged_out', reason: 'consent_required'});
  await env.flush();
  env.runPart();
  await env.flush();
  const frame = cardFrame(env);
  assert.ok(frame);
  env.msg(frame, {type: 'lxl:hello'});
  env.msg(frame, {type: 'lxl:card', displayed: true});
  assert.deepEqual(told, ['display displayed']);
});

const NOT_DISPLAYED = [
  [{not_displayed_reason: 'suppressed_by_user'}, 'display suppressed_by_user'],
  [{not_displayed_reason: 'opt_out_or_no_session', reason: 'no_session'}, 'display opt_out_or_no_session no_session'],
  [{not_displayed_reason: 'opt_out_or_no_session', reason: 'session_expired'}, 'display opt_out_or_no_session session_expired'],
  [{not_displayed_reason: 'browser_not_supported', reason: 'third_party_cookies_blocked'},
    'display browser_not_supported third_party_cookies_blocked'],
  // Not one of ours: unknown_reason. A failure reason that is not the one behind it: dropped.
  [{not_displayed_reason: 'tap_outside'}, 'display unknown_reason'],
  [{not_displayed_reason: 'suppressed_by_user', reason: 'no_session'}, 'display suppressed_by_user'],
  [{}, 'display unknown_reason'],
];
for (const [said, moment] of NOT_DISPLAYED) {
  test(`lxl:card displayed: false ${JSON.stringify(said)} → ${moment}; the frame removed`, async () => {
    const page = start();
    const frame = await prompt(page);
    page.env.msg(frame, {type: 'lxl:hello'});
    page.env.msg(frame, {type: 'lxl:card', displayed: false, ...said});
    assert.deepEqual(page.heard(), [moment]);
    assert.deepEqual(page.env.cards(), []);
    assert.equal(page.env.win.listenerCount('message'), 0);
  });
}

const REFUSED = [
  [{error: 'unknown_client'}, 'display invalid_client unknown_client'],
  [{error: 'origin_not_allowed'}, 'display unregistered_origin origin_not_allowed'],
  [null, 'display unknown_reason idp_unreachable'], // client-check unreachable too
];
for (const [verdict, moment] of REFUSED) {
  test(`the card's frame refused or unreachable (${verdict?.error || 'no answer'}) → ${moment}`, async () => {
    const fetch = async () => {
      if (!verdict) throw new TypeError('Failed to fetch');
      return {json: async () => verdict};
    };
    const page = start({}, load({fetch}));
    const frame = await prompt(page);
    frame.dispatch('load'); // loaded without a word
    await page.env.flush();
    assert.deepEqual(page.heard(), [moment]);
    assert.deepEqual(page.env.cards(), []);
    assert.equal(page.env.warns.length, 1);
    assert.match(page.env.warns[0], new RegExp(`^lxl-id: prompt\\(\\) failed: ${moment.split(' ')[2]}`));
    assert.deepEqual(page.got, [], 'the callback is for sign-ins; the listener is told');
  });
}

test('a refusal with log_level silent: told to the listener, not the console', async () => {
  const fetch = async () => ({json: async () => ({error: 'origin_not_allowed'})});
  const page = start({log_level: 'silent'}, load({fetch}));
  (await prompt(page)).dispatch('load');
  await page.env.flush();
  assert.deepEqual(page.heard(), ['display unregistered_origin origin_not_allowed']);
  assert.deepEqual(page.env.warns, []);
});

test('lxl:continue → the popup opens within the message, select_by user; the card hidden meanwhile', async () => {
  const {env, frame, got, heard} = await displayedCard();
  env.msg(frame, {type: 'lxl:continue'});
  assert.equal(env.popups.length, 1, 'synchronously, within the click\'s activation');
  const [popup] = env.popups;
  const url = new URL(popup.url);
  assert.equal(url.origin + url.pathname, IDP + '/oidc/authorize');
  const query = Object.fromEntries(url.searchParams);
  assert.deepEqual(query, {response_type: 'id_token', scope: 'openid email profile', nonce: query.nonce,
    state: query.state, redirect_uri: ORIGIN, client_id: 'ngo-demo', response_mode: 'web_message', display: 'popup'});
  assert.notEqual(query.state, env.query(frame).state, 'a request of its own');
  assert.equal(env.cards()[0].style.display, 'none', 'hidden while the person is in the popup');
  const credential = tokenFor(query);
  env.answer(popup, {id_token: credential, state: query.state}, EVIL);
  env.answer(popup, {id_token: credential, state: query.state}, IDP, {});
  assert.deepEqual(got, [], 'only the popup, from the IdP');
  env.answer(popup, {id_token: credential, state: query.state});
  assert.deepEqual(got, [{credential, select_by: 'user', client_id: 'ngo-demo'}]);
  assert.equal(popup.closed, true);
  assert.deepEqual(heard(), ['display displayed', 'dismissed credential_returned']);
  assert.deepEqual(env.cards(), []);
});

test('lxl:continue with confirm: true → the popup asks again (prompt=consent)', async () => {
  const {env, frame} = await displayedCard();
  env.msg(frame, {type: 'lxl:continue', confirm: true});
  assert.equal(new URL(env.popups[0].url).searchParams.get('prompt'), 'consent');
  const other = await displayedCard();
  other.env.msg(other.frame, {type: 'lxl:continue', confirm: 'yes'});
  assert.equal(new URL(other.env.popups[0].url).searchParams.get('prompt'), null, 'only true');
});

const POPUP_OUTCOMES = [
  ['Deny', (env, popup, q) => env.answer(popup, {error: 'access_denied', reason: 'access_denied', state: q.state}),
    'skipped user_cancel access_denied'],
  ['a forged state', (env, popup, q) => env.answer(popup, {id_token: tokenFor(q), state: 'forged'}),
    'skipped issuing_failed invalid_response'],
  ['a token for another nonce', (env, popup, q) => env.answer(popup, {id_token: tokenFor({nonce: 'x'}), state: q.state}),
    'skipped issuing_failed invalid_response'],
];
for (const [what, outcome, moment] of POPUP_OUTCOMES) {
  test(`the card's popup answers ${what} → ${moment}; the callback told, the card removed`, async () => {
    const {env, frame, got, heard} = await displayedCard({log_level: 'silent'});
    env.msg(frame, {type: 'lxl:continue'});
    const [popup] = env.popups;
    outcome(env, popup, Object.fromEntries(new URL(popup.url).searchParams));
    assert.deepEqual(heard(), ['display displayed', moment]);
    assert.equal(got.at(-1).reason, moment.split(' ')[2]);
    assert.deepEqual(env.cards(), []);
  });
}

test('the card\'s popup closed by the person → skipped user_cancel popup_closed', async () => {
  const {env, frame, got, heard, promptMoments} = await displayedCard({log_level: 'silent'});
  env.msg(frame, {type: 'lxl:continue'});
  env.popups[0].closed = true;
  while (!got.length) await env.sleep(20);
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'popup_closed'}]);
  assert.deepEqual(heard(), ['display displayed', 'skipped user_cancel popup_closed']);
  assert.deepEqual(promptMoments().at(-1), {type: 'prompt', moment: 'skipped', skipped_reason: 'user_cancel',
    reason: 'popup_closed'});
  assert.deepEqual(env.cards(), []);
});

test('the card\'s popup blocked → skipped issuing_failed popup_blocked, at once', async () => {
  const {env, frame, got, heard} = await displayedCard({log_level: 'silent'}, load({blockPopups: true}));
  env.msg(frame, {type: 'lxl:continue'});
  assert.deepEqual(got, [{credential: undefined, error: 'login_required', reason: 'popup_blocked'}]);
  assert.deepEqual(heard(), ['display displayed', 'skipped issuing_failed popup_blocked']);
  assert.deepEqual(env.cards(), []);
});

test('Continue while the button\'s popup is open: that popup comes to the front, the card stays', async () => {
  const page = await displayedCard();
  const {env, frame} = page;
  const parent = env.doc.createElement('div');
  env.api.renderButton(parent);
  const button = parent.children[0];
  env.msg(button, {type: 'lxl:pressed'});
  env.msg(button, {type: 'lxl:click'});
  env.msg(frame, {type: 'lxl:continue'});
  assert.equal(env.popups.length, 1);
  assert.equal(env.popups[0].focused, 1);
  assert.equal(env.cards()[0].style.display, undefined, 'still shown');
  assert.deepEqual(page.heard(), ['display displayed']);
});

/** A button rendered beside the card; returns its frame. */
function buttonBeside(env) {
  const parent = env.doc.createElement('div');
  env.api.renderButton(parent);
  return parent.children[0];
}

test('a credential from the button\'s frame ends the card (dismissed credential_returned): no second credential from it', async () => {
  const {env, frame, got, heard} = await displayedCard();
  const button = buttonBeside(env);
  const query = env.query(button);
  env.msg(button, {type: 'authorization_response', response: {id_token: tokenFor(query), state: query.state}});
  assert.deepEqual(got.map(r => r.select_by), ['btn']);
  assert.deepEqual(heard(), ['display displayed', 'dismissed credential_returned']);
  assert.deepEqual(env.cards(), []);
  const own = env.query(frame);
  env.msg(frame, {type: 'authorization_response', response: {id_token: tokenFor(own), state: own.state}});
  env.msg(frame, {type: 'lxl:continue'});
  assert.equal(got.length, 1, 'the card\'s frame no longer counts');
  assert.deepEqual(env.popups, []);
});

test('a credential from the button\'s popup ends the card; one from the card\'s frame closes the button\'s popup', async () => {
  const page = await displayedCard();
  const button = buttonBeside(page.env);
  page.env.msg(button, {type: 'lxl:click'});
  const [popup] = page.env.popups;
  const query = Object.fromEntries(new URL(popup.url).searchParams);
  page.env.answer(popup, {id_token: tokenFor(query), state: query.state});
  assert.deepEqual(page.got.map(r => r.select_by), ['btn']);
  assert.deepEqual(page.heard(), ['display displayed', 'dismissed credential_returned']);
  assert.deepEqual(page.env.cards(), []);

  const other = await displayedCard();
  other.env.msg(buttonBeside(other.env), {type: 'lxl:click'});
  const [buttonPopup] = other.env.popups;
  const own = other.env.query(other.frame);
  other.env.msg(other.frame, {type: 'authorization_response', response: {id_token: tokenFor(own), state: own.state}});
  assert.equal(buttonPopup.closed, true, 'closed, telling nobody');
  await other.env.sleep(250);
  assert.deepEqual(other.got.map(r => r.select_by), ['user']);
  assert.deepEqual(other.heard(), ['display displayed', 'dismissed credential_returned']);
});

test('a credential from the button while the card\'s popup is open: that popup closes, the card ends credential_returned', async () => {
  const {env, frame, got, heard} = await displayedCard();
  env.msg(frame, {type: 'lxl:continue'});
  const [cardPopup] = env.popups;
  const button = buttonBeside(env);
  const query = env.query(button);
  env.msg(button, {type: 'authorization_response', response: {id_token: tokenFor(query), state: query.state}});
  assert.equal(cardPopup.closed, true);
  await env.sleep(250);
  assert.deepEqual(got.map(r => r.select_by), ['btn'], 'no popup_closed told for the card\'s popup');
  assert.deepEqual(heard(), ['display displayed', 'dismissed credential_returned']);
});

for (const [what, end] of [
  ['its credential', (env, frame) => {
    const q = env.query(frame);
    env.msg(frame, {type: 'authorization_response', response: {id_token: tokenFor(q), state: q.state}});
  }],
  ['its popup closed', async (env, frame) => {
    env.msg(frame, {type: 'lxl:continue'});
    env.popups[0].closed = true;
    await env.sleep(250);
  }],
]) {
  test(`the callback calls prompt() on the card's own outcome (${what}): that card ends as it should, not flow_restarted`, async () => {
    const env = load();
    const told = [];
    let again = true;
    env.api.initialize({client_id: 'ngo-demo', log_level: 'silent', callback: () => {
      if (again) env.api.prompt(m => told.push('second ' + summary(m)));
      again = false;
    }});
    env.api.prompt(m => told.push(summary(m)));
    env.runPart();
    await env.flush();
    const frame = cardFrame(env);
    env.msg(frame, {type: 'lxl:hello'});
    env.msg(frame, {type: 'lxl:card', displayed: true});
    await end(env, frame);
    await env.flush();
    assert.deepEqual(told.slice(0, 2), ['display displayed',
      what == 'its credential' ? 'dismissed credential_returned' : 'skipped user_cancel popup_closed']);
    assert.equal(told.length, 2, 'the second card is on its way');
    assert.equal(env.cards().length, 1);
    assert.notEqual(cardFrame(env), frame);
  });
}

test('the card follows the window\'s width (resize), by CSSOM; no listener once it ended', async () => {
  const env = load();
  const page = start({}, env);
  const frame = await prompt(page);
  assert.deepEqual([frame.width, env.cards()[0].style.right], ['360', '16px']);
  env.ctx.innerWidth = 320;
  env.win.dispatch('resize');
  assert.deepEqual([frame.width, env.cards()[0].style.right], ['304', '8px']);
  assert.deepEqual(frame.attributes, {}, 'no style attribute');
  env.ctx.innerWidth = 1024;
  env.win.dispatch('resize');
  assert.deepEqual([frame.width, env.cards()[0].style.right], ['360', '16px']);
  env.msg(frame, {type: 'lxl:hello'});
  env.msg(frame, {type: 'lxl:card', displayed: false, not_displayed_reason: 'suppressed_by_user'});
  assert.equal(env.win.listenerCount('resize'), 0);
});

test('authorization_response from the card (consent given) → credential select_by user, dismissed credential_returned', async () => {
  const localStorage = memoryStorage(new Map([['lxl:ngo-demo:auto_select_disabled', '1']]));
  const {env, frame, got, heard, moments} = await displayedCard({}, load({globals: {localStorage}}));
  const query = env.query(frame);
  const credential = tokenFor(query);
  env.msg(frame, {type: 'authorization_response', response: {id_token: credential, state: query.state}}, EVIL);
  assert.deepEqual(got, []);
  env.msg(frame, {type: 'authorization_response', response: {id_token: credential, state: query.state, session_state: 's'}});
  assert.deepEqual(got, [{credential, select_by: 'user', client_id: 'ngo-demo'}]);
  assert.deepEqual(heard(), ['display displayed', 'dismissed credential_returned']);
  assert.deepEqual(env.popups, []);
  assert.deepEqual(env.cards(), []);
  assert.deepEqual([...localStorage.items], [], 'signed in on purpose: the sign-out memory goes');
  // The moments a trace reads, as before, then the card's.
  assert.deepEqual(moments.slice(-4), [
    {type: 'message', message: 'authorization_response', frame: 'card'},
    {type: 'step', step: 'callback'},
    {type: 'result', ok: true},
    {type: 'prompt', moment: 'dismissed', dismissed_reason: 'credential_returned'},
  ]);
});

test('the card\'s own answer fails a check → skipped issuing_failed invalid_response', async () => {
  const {env, frame, got, heard} = await displayedCard({log_level: 'silent'});
  env.msg(frame, {type: 'authorization_response', response: {id_token: tokenFor(env.query(frame)), state: 'forged'}});
  assert.equal(got[0].reason, 'invalid_response');
  assert.deepEqual(heard(), ['display displayed', 'skipped issuing_failed invalid_response']);
});

test('lxl:card_closed (× or Escape) → skipped user_cancel; the frame and its box removed; no callback', async () => {
  const {env, frame, got, heard, promptMoments} = await displayedCard();
  env.msg(frame, {type: 'lxl:card_closed'});
  assert.deepEqual(heard(), ['display displayed', 'skipped user_cancel']);
  assert.deepEqual(promptMoments().at(-1), {type: 'prompt', moment: 'skipped', skipped_reason: 'user_cancel'});
  assert.deepEqual(env.cards(), []);
  assert.deepEqual(env.doc.body.children, []);
  assert.equal(env.win.listenerCount('message'), 0);
  assert.deepEqual(got, []);
});

test('cancel() → dismissed cancel_called: the card removed, its popup closed telling nobody', async () => {
  const {env, frame, got, heard} = await displayedCard();
  env.msg(frame, {type: 'lxl:continue'});
  const [popup] = env.popups;
  env.api.cancel();
  assert.deepEqual(heard(), ['display displayed', 'dismissed cancel_called']);
  assert.equal(popup.closed, true);
  assert.deepEqual(env.cards(), []);
  await env.sleep(250);
  env.answer(popup, {id_token: 'x', state: 'y'});
  assert.deepEqual(got, []);
  assert.deepEqual(heard(), ['display displayed', 'dismissed cancel_called']);
});

test('cancel() while prompt() waits (for the part, or the silent attempt) → dismissed cancel_called, no frame', async () => {
  const page = start();
  page.env.api.prompt(page.listener);
  page.env.api.cancel();
  page.env.runPart();
  await page.env.flush();
  assert.deepEqual(page.heard(), ['dismissed cancel_called']);
  assert.deepEqual(page.env.cards(), []);

  const silent = start({auto_select: true});
  await silent.env.flush();
  await prompt(silent);
  silent.env.api.cancel();
  await silent.env.flush();
  assert.deepEqual(silent.heard(), ['dismissed cancel_called']);
  assert.deepEqual(silent.env.cards(), []);
});

test('initialize() again dismisses the card (cancel_called)', async () => {
  const {env, heard} = await displayedCard();
  env.api.initialize({client_id: 'ngo-demo', callback() {}});
  assert.deepEqual(heard(), ['display displayed', 'dismissed cancel_called']);
  assert.deepEqual(env.cards(), []);
});

test('prompt() twice → the first card dismissed flow_restarted, then the second', async () => {
  const page = await displayedCard();
  const first = page.frame;
  const second = await prompt(page);
  assert.deepEqual(page.heard(), ['display displayed', 'dismissed flow_restarted']);
  assert.notEqual(second, first);
  assert.equal(page.env.cards().length, 1);
  page.env.msg(first, {type: 'lxl:card_closed'});
  assert.deepEqual(page.heard(), ['display displayed', 'dismissed flow_restarted'], 'the old frame no longer counts');
  page.env.msg(second, {type: 'lxl:hello'});
  page.env.msg(second, {type: 'lxl:card', displayed: true});
  assert.deepEqual(page.heard(), ['display displayed', 'dismissed flow_restarted', 'display displayed']);
});

test('a silent sign-in while the card shows → dismissed credential_returned, the card removed', async () => {
  const page = await silentlyRefused({status: 'logged_out', reason: 'consent_required'});
  const {env, statusFrame} = page;
  const frame = await prompt(page);
  env.msg(frame, {type: 'lxl:hello'});
  env.msg(frame, {type: 'lxl:card', displayed: true});
  // Consent given in another tab; back here, the re-check finds the session changed.
  env.doc.dispatch('visibilitychange');
  await env.flush();
  env.msg(statusFrame, {type: 'lxl:session', status: 'logged_in', session_state: 'ss2'});
  await env.flush();
  const authorize = env.frames()[1];
  const query = env.query(authorize);
  env.msg(authorize, {type: 'authorization_response', response: {id_token: tokenFor(query), state: query.state}});
  await env.flush();
  assert.equal(page.got.at(-1).select_by, 'auto');
  assert.deepEqual(page.heard(), ['display displayed', 'dismissed credential_returned']);
  assert.deepEqual(env.cards(), []);
});

test('lxl:card_refused → a console warning (per log_level); the card stays', async () => {
  const {env, frame, heard, moments} = await displayedCard();
  env.msg(frame, {type: 'lxl:card_refused', why: 'not_visible'});
  env.msg(frame, {type: 'lxl:card_refused', why: 'too_soon'});
  assert.equal(env.warns.length, 2);
  assert.match(env.warns[0], /^lxl-id: the One-Tap card refused a click on Continue: something covered it, clipped it or made it transparent .*asked to confirm in the popup/);
  assert.match(env.warns[1], /^lxl-id: the One-Tap card refused a click on Continue: it came too soon after the card appeared/);
  assert.deepEqual(moments.filter(m => m.message == 'lxl:card_refused'),
    [{type: 'message', message: 'lxl:card_refused', frame: 'card'}, {type: 'message', message: 'lxl:card_refused', frame: 'card'}]);
  assert.deepEqual(heard(), ['display displayed']);
  assert.equal(env.cards().length, 1);
  const silent = await displayedCard({log_level: 'silent'});
  silent.env.msg(silent.frame, {type: 'lxl:card_refused', why: 'not_visible'});
  assert.deepEqual(silent.env.warns, []);
});

test('messages from another window or origin, or before the card displayed, do nothing', async () => {
  const page = start();
  const frame = await prompt(page);
  const {env} = page;
  env.msg(frame, {type: 'lxl:hello'});
  env.msg(frame, {type: 'lxl:card', displayed: true}, EVIL);
  env.msg(frame, {type: 'lxl:card', displayed: true}, IDP, {});
  env.msg(frame, {type: 'lxl:card', displayed: true}, ORIGIN, env.ctx);
  assert.deepEqual(page.heard(), []);
  assert.equal(frame.style.display, 'none');
  env.msg(frame, {type: 'lxl:continue'});
  const query = env.query(frame);
  env.msg(frame, {type: 'authorization_response', response: {id_token: tokenFor(query), state: query.state}});
  assert.deepEqual(env.popups, [], 'a card nobody could see has not been clicked');
  assert.deepEqual(page.got, []);
  env.msg(frame, {type: 'lxl:card', displayed: true});
  env.msg(frame, {type: 'lxl:continue'}, EVIL);
  env.msg(frame, {type: 'lxl:card_closed'}, IDP, {});
  assert.deepEqual(env.popups, []);
  assert.deepEqual(page.heard(), ['display displayed']);
});

test('lxl:refused from the IdP (a part and an IdP that disagree): a TypeError, not displayed unknown_reason', async () => {
  const page = start();
  const frame = await prompt(page);
  page.env.msg(frame, {type: 'lxl:hello'});
  page.env.msg(frame, {type: 'lxl:refused', error: 'invalid_request', error_description: "'scope' must include openid."});
  assert.deepEqual(page.heard(), ['display unknown_reason']);
  assert.equal(page.env.errors.length, 1);
  assert.equal(page.env.errors[0].name, 'TypeError');
  assert.equal(page.env.errors[0].message, `lxl-id: prompt() refused by ${IDP}: 'scope' must include openid.`);
  assert.deepEqual(page.env.cards(), []);
});

test('the listener\'s errors are the site\'s (reported); the card goes on', async () => {
  const env = load();
  const broken = new Error('site bug');
  const moments = [];
  env.api.initialize({client_id: 'ngo-demo', callback() {}, on_moment: m => moments.push(m.type)});
  env.api.prompt(() => { throw broken });
  env.runPart();
  await env.flush();
  const frame = cardFrame(env);
  env.msg(frame, {type: 'lxl:hello'});
  env.msg(frame, {type: 'lxl:card', displayed: true});
  assert.deepEqual(env.errors, [broken]);
  assert.equal(frame.style.display, 'block');
  env.msg(frame, {type: 'lxl:card_closed'});
  assert.deepEqual(env.errors, [broken, broken]);
  assert.deepEqual(env.cards(), []);
  assert.equal(moments.filter(type => type == 'prompt').length, 2);
});

test('a listener may prompt() again from the card\'s last moment: the card is gone by then', async () => {
  const env = load();
  const told = [];
  let again = true;
  env.api.initialize({client_id: 'ngo-demo', callback() {}});
  const listener = m => {
    told.push(summary(m));
    if (m.isSkippedMoment() && again) {
      again = false;
      env.api.prompt(listener);
    }
  };
  env.api.prompt(listener);
  env.runPart();
  await env.flush();
  const first = cardFrame(env);
  env.msg(first, {type: 'lxl:hello'});
  env.msg(first, {type: 'lxl:card', displayed: true});
  env.msg(first, {type: 'lxl:card_closed'});
  await env.flush();
  assert.deepEqual(told, ['display displayed', 'skipped user_cancel'], 'no flow_restarted: that card had ended');
  assert.equal(env.cards().length, 1);
  assert.notEqual(cardFrame(env), first);
});

test('prompt() without a listener: the card works, on_moment is told', async () => {
  const {env, moments, promptMoments} = start();
  env.api.prompt();
  env.runPart();
  await env.flush();
  const frame = cardFrame(env);
  env.msg(frame, {type: 'lxl:hello'});
  env.msg(frame, {type: 'lxl:card', displayed: true});
  env.msg(frame, {type: 'lxl:card_closed'});
  assert.deepEqual(promptMoments().map(m => m.moment), ['display', 'skipped']);
  assert.deepEqual(env.errors, []);
  assert.ok(moments.length);
});
