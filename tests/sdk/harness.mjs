// A minimal fake browser for running the real sdk/lxl-id.js under node:vm (and, on request,
// the real UI part it loads: env.runPart()). Only what the SDK touches is modelled; frames,
// scripts and popups never load anything: tests play the IdP by dispatching `message`, `load`
// and `error` events themselves.
import {webcrypto} from 'node:crypto';
import fs from 'node:fs';
import vm from 'node:vm';
import {fileURLToPath} from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// LXL_SDK_FILE: run the same tests against another build of the SDK (the minified one the
// IdP serves: tests/sdk/test_sdk_static.py); by default, the source itself.
export const SDK_PATH = process.env.LXL_SDK_FILE || ROOT + 'sdk/lxl-id.js';
// LXL_SDK_UI_FILE: the same for the UI part (sdk/lxl-id-ui.js).
export const PART_PATH = process.env.LXL_SDK_UI_FILE || ROOT + 'sdk/lxl-id-ui.js';
export const IDP = 'http://id.localhost:5000';
export const ORIGIN = 'http://ngo.localhost:5000';
const SDK_SOURCE = fs.readFileSync(SDK_PATH, 'utf8');
const PART_SOURCE = fs.readFileSync(PART_PATH, 'utf8');

class Target {
  constructor() { this._listeners = {}; }
  addEventListener(type, f) { (this._listeners[type] ||= []).push(f); }
  removeEventListener(type, f) {
    this._listeners[type] = (this._listeners[type] || []).filter(g => g !== f);
  }
  dispatch(type, event = {}) {
    for (const f of [...(this._listeners[type] || [])]) f.call(this, event);
    if (typeof this['on' + type] == 'function') this['on' + type](event);
  }
  listenerCount(type) { return (this._listeners[type] || []).length; }
}

class Element extends Target {
  constructor(tag, doc) {
    super();
    this.tagName = tag.toUpperCase();
    this.nodeType = 1; // Node.ELEMENT_NODE
    this.attributes = {};
    this.children = [];
    this.dataset = {};
    this.style = {}; // CSSOM: what the SDK sets there, by property
    this.parent = null;
    this._doc = doc;
    if (tag == 'iframe') {
      // Copied out of the vm realm so deepStrictEqual compares plain objects.
      this.contentWindow = {posted: [], postMessage(m, targetOrigin) { this.posted.push({m: {...m}, targetOrigin}) }};
    }
  }
  setAttribute(k, v) { this.attributes[k] = String(v) }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null }
  append(...nodes) { for (const n of nodes) { n.parent = this; this.children.push(n) } }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter(n => n !== this);
    this.parent = null;
  }
  submit() { this._doc.submitted.push(this) }
}

/** A window the page opened: tests close it as the person would (`closed = true`). */
class Popup {
  constructor(url, name, features) { Object.assign(this, {url, name, features, closed: false, focused: 0}) }
  focus() { this.focused++ }
  close() { this.closed = true }
}

/** Build a fake page, run the SDK in it, return handles for the test. */
export function load({
  src = IDP + '/sdk/lxl-id.js', readyState = 'complete', onload = null, fetch, locks,
  BroadcastChannel, globals = {}, scriptNonce = '', setUp = () => {}, innerWidth = 1280,
  blockPopups = false,
} = {}) {
  const doc = new Target();
  const win = new Target();
  const warns = [];
  const marks = [];
  const fetches = [];
  const errors = []; // reportError(): site bugs the SDK caught and reported
  const popups = []; // window.open()
  Object.assign(doc, {
    readyState, visibilityState: 'visible', cookies: [], submitted: [],
    currentScript: src == null ? null : {getAttribute: k => (k == 'src' ? src : null), nonce: scriptNonce},
    createElement: tag => new Element(tag, doc),
    getElementById: id => (onload && id == 'lxl_id_onload' ? onload : null),
  });
  Object.defineProperty(doc, 'cookie', {set(v) { doc.cookies.push(v) }, get() { return '' }});
  doc.head = new Element('head', doc);
  doc.body = new Element('body', doc);
  const ctx = {
    document: doc,
    location: {origin: ORIGIN, href: ORIGIN + '/page', protocol: 'http:'},
    navigator: locks ? {locks} : {},
    crypto: webcrypto,  // a global only from Node 19 on; Debian 12 and Ubuntu 24.04 ship 18
    isSecureContext: true,
    performance: {
      now: () => performance.now(),
      mark: n => marks.push(['mark', n]),
      measure: (n, start) => marks.push(['measure', n, start]),
    },
    console: {warn: (...a) => warns.push(a.join(' ')), log() {}, error() {}},
    setTimeout, clearTimeout, URL,
    reportError: e => errors.push(e), URLSearchParams, atob, AbortSignal,
    fetch: async (url, init) => {
      fetches.push({url: String(url), init});
      if (!fetch) throw new TypeError('Failed to fetch');
      return fetch(String(url), init);
    },
    BroadcastChannel,
    innerWidth, screenX: 100, screenY: 50, outerWidth: 1280, outerHeight: 800,
    open(url, name, features) {
      if (blockPopups) return null;
      const popup = new Popup(String(url), name, features);
      popups.push(popup);
      return popup;
    },
    // unref: a popup a test left open must not keep node running.
    setInterval: (f, ms) => setInterval(f, ms).unref(), clearInterval,
    addEventListener: (t, f) => win.addEventListener(t, f),
    removeEventListener: (t, f) => win.removeEventListener(t, f),
    ...globals,
  };
  ctx.window = ctx;
  setUp(ctx); // e.g. a global whose getter throws, which spreading `globals` would call
  vm.createContext(ctx);
  vm.runInContext(SDK_SOURCE, ctx, {filename: SDK_PATH});
  const env = {
    ctx, doc, win, warns, marks, fetches, errors, popups,
    get api() { return ctx.lxl.accounts.id },
    frames: () => doc.body.children.filter(n => n.tagName == 'IFRAME'),
    /** The scripts the SDK added (the UI part's). */
    scripts: () => doc.head.children.filter(n => n.tagName == 'SCRIPT'),
    /**
     * Run the real UI part as the browser would once its script arrived: as the current script
     * (the element the core appended), then that script's load event.
     */
    runPart() {
      const [script] = env.scripts();
      doc.currentScript = script;
      try {
        vm.runInContext(PART_SOURCE, ctx, {filename: PART_PATH});
      } finally {
        doc.currentScript = null;
      }
      script.dispatch('load');
    },
    /** The boxes in the body that hold a visible frame (the One-Tap card's). */
    cards: () => doc.body.children.filter(n => n.tagName == 'DIV' && n.children.some(c => c.tagName == 'IFRAME')),
    /** The popup's web_message answer, from `source` (default: the popup) and `origin`. */
    answer(popup, response, origin = IDP, source = popup) {
      win.dispatch('message', {source, origin, data: {type: 'authorization_response', response}});
    },
    query: f => Object.fromEntries(new URL(f.src).searchParams),
    /** Post a message to the page as if from frame `f`. */
    msg(f, data, origin = IDP, source = f.contentWindow) {
      win.dispatch('message', {source, origin, data});
    },
    async flush(n = 5) { for (let i = 0; i < n; i++) await new Promise(r => setImmediate(r)) },
    sleep: ms => new Promise(r => setTimeout(r, ms)),
    /** Answer the status frame's first request as a signed-in IdP would. */
    async signIn(f, claims = {}, response = {}) {
      const q = env.query(f);
      env.msg(f, {type: 'lxl:hello'});
      env.msg(f, {type: 'lxl:session', status: 'logged_in', session_state: 'ss1'});
      await env.flush();
      const id_token = jwt({iss: IDP, aud: q.client_id, nonce: q.nonce, iat: now(), exp: now() + 3600, sub: 'u1', ...claims});
      env.msg(f, {type: 'authorization_response', response: {id_token, state: q.state, session_state: 'ss1', ...response}});
      await env.flush();
      return id_token;
    },
  };
  return env;
}

export const now = () => Math.floor(Date.now() / 1000);
const b64url = s => Buffer.from(s).toString('base64url');
/** An unsigned JWT: the SDK never checks signatures, the backend does. */
export const jwt = payload => `${b64url(JSON.stringify({alg: 'RS256', kid: 'k1'}))}.${b64url(JSON.stringify(payload))}.c2ln`;

/** A page's localStorage (pass as `globals: {localStorage}`); `items` may be shared by tabs. */
export function memoryStorage(items = new Map()) {
  return {
    items,
    getItem: k => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: k => items.delete(k),
  };
}

/** Copy a callback response out of the vm realm, keeping undefined-valued keys. */
export const plain = r => ({...r});

/** An on_moment event without its time stamp `ms` (checked apart), copied out of the vm realm. */
export const unstamped = ({ms, ...m}) => m;
