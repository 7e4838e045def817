// The reference OP of bench/compare: node-oidc-provider 9 (panva's certified OpenID Provider),
// one Node process, configured like LxL ID's demo client. bench/compare/run.py installs the
// package into a temporary directory, copies this file there (ESM imports resolve next to the
// importing file) and starts it:
//
//   node reference-op.mjs op '{"port": P, "issuer": "https://op.localhost:P",
//                              "client_id": "ngo-demo", "redirect_uri": "https://ngo.test/",
//                              "code_ttl": 600}'
//   node reference-op.mjs hello '{"port": P}'    (a trivial endpoint: the load generator's ceiling)
//
// What differs from node-oidc-provider's defaults, and why:
// - one public client (no secret; PKCE is then required, S256 being the only method), allowed
//   both response types the bench sends: code, and id_token (the silent sign-in);
// - features.webMessageResponseMode (the draft LxL ID's frames speak);
// - the session cookie is SameSite=None, as LxL ID's silent cookie is: with the default (Lax)
//   no browser sends it in the hidden cross-site frame, and prompt=none there always fails;
// - proxy: TLS ends at a proxy, which says so in X-Forwarded-Proto (as LxL ID behind its proxy),
//   so the cookies are Secure, which SameSite=None needs;
// - an RS256 signing key of 2048 bits generated at start (LxL ID's algorithm and size), the
//   cookie-signing keys too, and accounts whose claims match LxL ID's scopes;
// - codes live as long as LxL ID's (code_ttl seconds; the default is 60), so that the codes
//   the bench mints before redeeming them outlive a long phase on either side.
// - its in-memory adapter keeps everything until it expires: by default it keeps the 1,000
//   most recently used entries (an LRU), so the thousands of codes a second the bench mints
//   pushed the sessions and grants out, and prompt=none then failed with login_required.
// Everything else (the development login and consent pages, the other TTLs) is
// node-oidc-provider's own default.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

const [mode, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}');

if (mode === 'hello') {
  // As cheap as an HTTP/1.1 keep-alive server gets here: it measures the load generator.
  http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end('hello');
    });
  }).listen(options.port, '127.0.0.1', () => console.log(`hello on ${options.port}`));
} else if (mode === 'op') {
  const { default: Provider } = await import('oidc-provider');
  const { default: MemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');
  const entries = new Map();
  const store = {
    get(key) {
      const entry = entries.get(key);
      if (entry && entry.expires <= Date.now()) entries.delete(key);
      else return entry?.value;
    },
    set(key, value, { maxAge } = {}) {
      entries.set(key, { value, expires: maxAge ? Date.now() + maxAge : Infinity });
    },
    delete(key) { entries.delete(key); },
  };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(options.issuer, {
    clients: [{
      client_id: options.client_id,
      token_endpoint_auth_method: 'none',
      redirect_uris: [options.redirect_uri],
      response_types: ['code', 'id_token'],
      grant_types: ['authorization_code', 'implicit'],
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      long: { httpOnly: true, sameSite: 'none' },
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { webMessageResponseMode: { enabled: true, ack: 'individual-draft-01' } },
    ttl: { AuthorizationCode: options.code_ttl ?? 60 },
    adapter: (model) => new MemoryAdapter(model, store),
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() { return { sub: id, email: `${id}@example.org`, email_verified: true, name: id }; },
      };
    },
  });
  provider.proxy = true;
  provider.listen(options.port, '127.0.0.1', () => console.log(`reference OP on ${options.port}`));
} else {
  console.error('usage: node reference-op.mjs op|hello JSON');
  process.exit(2);
}
