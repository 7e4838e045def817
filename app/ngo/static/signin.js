/*
 * Sample NGO: what a page does with LxL ID's answers (the snippet in base.html wires it).
 *
 * A credential goes to our backend, which verifies it and signs the supporter in; then the
 * header and the page's content are fetched again and swapped in place, without a
 * navigation. A failure shows our own sign-in link, except for a returning supporter whose
 * browser hides LxL ID's cookies from its frame: the backend then offers a top-level
 * prompt=none round trip (data-prompt-none-url), at most once per browser session.
 */
const ngo = (() => {
  const CREDENTIAL_URL = '/auth/credential';
  const SWAPPED = ['ngo-header', 'ngo-main'];  // what signing in changes on a page
  const trace = moment => window.ngoTrace && window.ngoTrace.moment(moment);
  const isSignedIn = () => document.querySelector('[data-lxl-user]') !== null;

  /** The SDK's `callback`: sign in with the credential, or deal with the failure. */
  async function signIn(response) {
    trace(response);  // the trace shows what the callback carried, the credential shortened
    if (!response.credential) return signInFailed(response.reason);
    // The site session is still there: nothing to change.
    if (isSignedIn()) return trace({type: 'backend', ok: true});
    const answer = await postCredential(response.credential);
    // What our backend said of the credential: the trace's last word on this attempt.
    trace({type: 'backend', ok: answer.ok, error: answer.error, message: answer.message});
    // nonce_missing: another tab of this browser may have just signed in with the nonce the
    // tabs share; then redrawing shows the supporter signed in.
    if (answer.ok || answer.error === 'nonce_missing') await showSignedIn();
    if (!isSignedIn()) showSignInLink();
  }

  /** The SDK's `on_moment`: every step and message, for the trace panel. */
  function moment(m) {
    trace(m);
  }

  /** POST the credential with the g_csrf_token double-submit; return the backend's answer. */
  async function postCredential(credential) {
    const csrf = crypto.randomUUID();
    document.cookie = `g_csrf_token=${csrf}; path=/; SameSite=Strict` + (isSecureContext ? '; Secure' : '');
    try {
      const response = await fetch(CREDENTIAL_URL, {
        method: 'POST',
        headers: {Accept: 'application/json'},
        body: new URLSearchParams({credential, g_csrf_token: csrf}),
      });
      return {ok: response.ok, status: response.status, ...await response.json()};
    } catch (error) {
      return {ok: false, error: 'network', message: String(error)};
    }
  }

  /** Redraw the signed-in parts of this page from the server, in place. */
  async function showSignedIn() {
    const html = await (await fetch(location.href, {headers: {Accept: 'text/html'}})).text();
    const fresh = new DOMParser().parseFromString(html, 'text/html');
    for (const id of SWAPPED) document.getElementById(id).replaceWith(fresh.getElementById(id));
  }

  function signInFailed(reason) {
    if (isSignedIn()) return;
    const roundTrip = document.body.dataset.promptNoneUrl;
    if (reason === 'third_party_cookies_blocked' && roundTrip) location.assign(roundTrip);
    else showSignInLink();
  }

  /** LxL ID's script could not load: say so in the trace, then show our own sign-in link. */
  function idpUnreachable(event) {
    trace({type: 'unreachable', ms: event.timeStamp});  // the browser's own stamp of the error
    showSignInLink();
  }

  /** Show our own sign-in link (silent sign-in said no, or LxL ID cannot be reached). */
  function showSignInLink() {
    for (const link of document.querySelectorAll('[data-ngo-signin]')) link.hidden = false;
  }

  return Object.freeze({signIn, moment, idpUnreachable, showSignInLink});
})();
