// Runs the real button part (sdk/lxl-id-ui.js) in a fake page under node:vm, with a fake
// core on its script element exactly as the core ↔ part interface says (lxl-id.d.ts,
// lxl.core.Core). Tests play the IdP: they dispatch the frame's and the popup's messages; the
// fake core's frames check each message's window and origin, as the core's openFrame does.
import fs from 'node:fs';
import vm from 'node:vm';
import {IDP, ORIGIN, PART_PATH} from './harness.mjs';

export {IDP, ORIGIN, PART_PATH};
const PART_SOURCE = fs.readFileSync(PART_PATH, 'utf8');

/** Copy a value out of the vm realm (deepStrictEqual compares prototypes). */
const plain = value => JSON.parse(JSON.stringify(value));

class Target {
  constructor() { this.listeners = {} }
  addEventListener(type, f) { (this.listeners[type] ||= []).push(f) }
  removeEventListener(type, f) { this.listeners[type] = (this.listeners[type] || []).filter(g => g !== f) }
  dispatch(type, event) { for (const f of [...(this.listeners[type] || [])]) f(event) }
  listenerCount(type) { return (this.listeners[type] || []).length }
}

class FakeElement {
  constructor(tag) { Object.assign(this, {tagName: tag.toUpperCase(), children: [], parent: null, style: {}}) }
  /** In the page: in a parent the test has not marked `detached` (taken off the page). */
  get isConnected() { return this.parent !== null && !this.parent.detached }
  append(node) { node.parent = this; this.children.push(node) }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter(n => n !== this);
    this.parent = null;
  }
}

/** A window the page opened: tests close it as the person would (`closed = true`). */
class FakePopup {
  constructor(url, name, features) { Object.assign(this, {url, name, features, closed: false, focused: 0}) }
  focus() { this.focused++ }
  close() { this.closed = true }
}

/**
 * Build a fake page with a fake core, run the part in it, return handles for the test.
 * Frames never load: a test settles `frame.waits` itself (the core's next()).
 * @param {object} [setup]
 * @param {object} [setup.options] initialize() options as the core would hand them over
 * @param {boolean} [setup.blockPopups] window.open returns null, as a popup blocker does
 * @param {Map<string,string>|null|'throws'} [setup.storage] core.storage's contents; null: none
 */
export function loadPart({options = {}, blockPopups = false, storage = new Map(), withCore = true} = {}) {
  const win = new Target();
  const settings = {client_id: 'ngo-demo', scope: 'openid email profile', timeout_ms: 5000, ux_mode: 'popup', ...options};
  const env = {
    win, settings, storage, frames: [], finished: [], failures: [], moments: [], errors: [],
    popups: [], cookies: [], assigned: [], intervals: [], installed: null, requests: 0,
  };
  const core = {
    idp: IDP,
    origin: ORIGIN,
    options: () => settings,
    openFrame(path, query, name, container) {
      const element = Object.assign(new FakeElement('iframe'), {contentWindow: {}});
      container.append(element);
      const inbox = [];
      let handler;
      // As the core's: a message counts only from this frame's window and the IdP; an awaited
      // one settles its next(), the others go to the handler (or wait for one).
      const receive = ({source, origin, data}) => {
        if (source !== element.contentWindow || origin !== IDP || !data?.type) return;
        const wait = frame.waits.find(w => w.type == data.type && !w.settled);
        if (wait) {
          wait.settled = true;
          wait.resolve(data);
        } else if (handler) {
          handler(data);
        } else {
          inbox.push(data);
        }
      };
      win.addEventListener('message', receive);
      const frame = {
        path, query: plain(query), name, container, element, waits: [], closed: false,
        next(type, step, ms) {
          return new Promise((resolve, reject) => frame.waits.push({type, step, ms, resolve, reject}));
        },
        post() {},
        onMessage(handle) {
          handler = handle;
          for (const message of inbox.splice(0)) handle(message);
        },
        close() {
          // As the core does: a closed frame's waits end, rejected as cancelled.
          frame.closed = true;
          win.removeEventListener('message', receive);
          element.remove();
          for (const wait of frame.waits) wait.reject({reason: 'cancelled'});
        },
      };
      env.frames.push(frame);
      return frame;
    },
    authorizationRequest() {
      const n = ++env.requests, state = 'state' + n, nonce = 'nonce' + n;
      return {request: {response_type: 'id_token', scope: settings.scope, nonce, state, redirect_uri: ORIGIN,
        client_id: settings.client_id}, state, nonce};
    },
    finish: (response, request, select_by) => env.finished.push(plain({response, request, select_by})),
    failure: (reason, detail) => env.failures.push(detail === undefined ? {reason} : {reason, detail}),
    moment: m => env.moments.push(plain(m)),
    storage: storage === null ? undefined : {
      getItem(key) { if (storage == 'throws') throw new Error('SecurityError'); return storage.get(key) ?? null },
      setItem(key, value) { if (storage == 'throws') throw new Error('QuotaExceededError'); storage.set(key, String(value)) },
    },
    install(part) { env.installed = part },
  };
  const script = withCore ? {lxlCore: core} : {};
  const document = {currentScript: script};
  Object.defineProperty(document, 'cookie', {set(v) { env.cookies.push(v) }, get() { return '' }});
  const ctx = {
    document,
    location: {origin: ORIGIN, href: ORIGIN + '/members', assign: url => env.assigned.push(String(url))},
    screenX: 100, screenY: 50, outerWidth: 1280, outerHeight: 800,
    open(url, name, features) {
      if (blockPopups) return null;
      const popup = new FakePopup(String(url), name, features);
      env.popups.push(popup);
      return popup;
    },
    // unref: a popup a test left open must not keep node running.
    setInterval(f, ms) { env.intervals.push(ms); return setInterval(f, ms).unref() },
    clearInterval,
    reportError: error => env.errors.push(error),
    console,
    URL, URLSearchParams, JSON,
    addEventListener: (type, f) => win.addEventListener(type, f),
    removeEventListener: (type, f) => win.removeEventListener(type, f),
  };
  ctx.window = ctx;
  vm.createContext(ctx);
  vm.runInContext(PART_SOURCE, ctx, {filename: PART_PATH});

  return Object.assign(env, {
    ctx, script,
    /** Call the part's renderButton as the core would (into a fresh parent unless given). */
    render(buttonOptions, parent = new FakeElement('div')) {
      env.installed.renderButton(parent, buttonOptions);
      return {parent, frame: env.frames.at(-1)};
    },
    /** A message reaching the page from `source` (default: the frame's window) and `origin`. */
    message(frame, data, {origin = IDP, source = frame.element.contentWindow} = {}) {
      win.dispatch('message', {source, origin, data});
    },
    /** What the IdP frame posts first on every click. */
    press(frame, options) { env.message(frame, {type: 'lxl:pressed'}, options) },
    /** The IdP frame's click that storage access did not finish: lxl:pressed, then lxl:click
     * (a message within the click's activation). */
    click(frame, options) {
      env.press(frame, options);
      env.message(frame, {type: 'lxl:click'}, options);
    },
    /** The popup's web_message answer. */
    answer(popup, response, {origin = IDP, source = popup} = {}) {
      win.dispatch('message', {source, origin, data: {type: 'authorization_response', response}});
    },
    messageListeners: () => win.listenerCount('message'),
    sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
    /** The query of a URL the part built, as a plain object. */
    queryOf: url => Object.fromEntries(new URL(url).searchParams),
  });
}
