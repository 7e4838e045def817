// initialize() checks every option up front and names the one at fault and how to fix it.
import test from 'node:test';
import assert from 'node:assert/strict';
import {load} from './harness.mjs';

const good = {client_id: 'ngo-demo', callback() {}};

const BAD = [
  // [options, option named in the message, a phrase saying how to fix it]
  [{callback() {}}, 'client_id', 'your client_id'],
  [{...good, client_id: ''}, 'client_id', 'your client_id'],
  [{...good, client_id: 42}, 'client_id', 'not 42'],
  [{client_id: 'ngo-demo'}, 'callback', 'or set login_uri'],
  [{...good, callback: 'onSignIn'}, 'callback', 'a function'],
  [{...good, auto_select: 'yes'}, 'auto_select', 'true or false'],
  [{...good, itp_support: 1}, 'itp_support', 'true or false'],
  [{...good, scope: 'email profile'}, 'scope', '"openid"'],
  [{...good, scope: 7}, 'scope', '"openid"'],
  [{...good, nonce: ''}, 'nonce', 'a non-empty string'],
  [{...good, login_uri: 'https://evil.example/steal'}, 'login_uri', 'a URL on http://ngo.localhost:5000'],
  [{...good, login_uri: '//evil.example/steal'}, 'login_uri', 'a URL on http://ngo.localhost:5000'],
  [{...good, login_uri: 'http://[bad'}, 'login_uri', 'a URL on'],
  [{...good, timeout_ms: '5s'}, 'timeout_ms', '100-60000'],
  [{...good, timeout_ms: 50}, 'timeout_ms', '100-60000'],
  [{...good, timeout_ms: 1.5e5}, 'timeout_ms', '100-60000'],
  [{...good, on_moment: {}}, 'on_moment', 'a function'],
  [{...good, log_level: 'debug'}, 'log_level', '"warn" or "silent"'],
  [{...good, clientId: 'ngo-demo'}, 'clientId', 'is no option; use client_id,callback'],
  [{...good, toString: 1}, 'toString', 'is no option; use client_id,callback'],
  [{...good, ux_mode: 'modal'}, 'ux_mode', '"popup" or "redirect"'],
  [{...good, ux_mode: 'redirect', nonce: 'n'}, 'login_uri', 'ux_mode "redirect" needs one), not undefined'],
  // The page is gone when the credential comes: only the site's backend can check its nonce.
  [{client_id: 'ngo-demo', login_uri: '/auth/credential', ux_mode: 'redirect'}, 'nonce',
    'ux_mode "redirect" needs your own), not undefined'],
];

test('ux_mode "redirect" is refused where the page cannot set a Secure cookie', () => {
  const {api} = load({globals: {isSecureContext: false}});
  const redirect = {client_id: 'ngo-demo', login_uri: '/auth/credential', ux_mode: 'redirect', nonce: 'n'};
  assert.throws(() => api.initialize(redirect),
    /^TypeError: lxl-id: initialize\(\{ux_mode\}\) must be "popup" or "redirect" \("redirect" on https pages only: its cookie must be Secure\), not "redirect"$/);
  api.initialize({...redirect, ux_mode: 'popup'});
});

for (const [opts, name, how] of BAD) {
  test(`initialize rejects ${JSON.stringify(opts, (k, v) => (typeof v == 'function' ? 'fn' : v))}`, () => {
    const {api} = load();
    assert.throws(() => api.initialize(opts), e => {
      // A TypeError from the vm realm: compare by name, not instanceof.
      assert.equal(e.name, 'TypeError');
      assert.match(e.message, new RegExp(`^lxl-id: initialize\\(\\{${name}\\}\\)`));
      assert.ok(e.message.includes(how), `${e.message} should say ${how}`);
      return true;
    });
  });
}

test('initialize() without an object names client_id', () => {
  const {api} = load();
  assert.throws(() => api.initialize(undefined), /initialize\(\{client_id\}\) must be your client_id, not undefined/);
});

test('good options are accepted, including explicit undefined and a same-origin login_uri', () => {
  const {api} = load();
  api.initialize({...good, scope: undefined, nonce: undefined});
  api.initialize({client_id: 'ngo-demo', login_uri: '/auth/credential', timeout_ms: 100, log_level: 'silent'});
  api.initialize({client_id: 'ngo-demo', login_uri: 'http://ngo.localhost:5000/auth/credential'});
  api.initialize({...good, ux_mode: 'popup'});
  api.initialize({client_id: 'ngo-demo', login_uri: '/auth/credential', ux_mode: 'redirect', nonce: 'n'});
});

test('the IdP origin comes from the script src; without one initialize says so', () => {
  const {api} = load({src: null});
  assert.throws(() => api.initialize(good), /lxl-id\.js must load by <script src>/);
});

test('disableAutoSelect and revoke before initialize say what to do', () => {
  const {api} = load();
  assert.throws(() => api.disableAutoSelect(), /initialize\(\) must come first/);
  assert.throws(() => api.revoke('sub'), /initialize\(\) must come first/);
});

test('revoke validates its arguments', () => {
  const {api} = load();
  api.initialize(good);
  assert.throws(() => api.revoke(''), /revoke\(hint\) must be an ID token or a sub/);
  assert.throws(() => api.revoke('sub', 'done'), /revoke\(hint, done\) must be a function/);
});
