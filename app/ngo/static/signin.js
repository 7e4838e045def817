/*
 * Sample NGO: what a page does with LxL ID's answers (the snippet in base.html wires it).
 *
 * A credential, silent, from LxL ID's button or from its card, goes to our backend, which
 * verifies it and signs the supporter in; then the header and the page's content are fetched
 * again and swapped in place, without a navigation. When silent sign-in says no, the button
 * (rendered already, invisible) is shown; a click that did not sign in says why next to it.
 * When it says no only because the supporter has not allowed this site yet, or signed out of
 * it, LxL ID's card is asked for too (prompt()): "Continue as …", one click. Two exceptions:
 * a returning supporter whose browser hides LxL ID's cookies from its frame gets a top-level
 * prompt=none round trip (data-prompt-none-url) at most once per browser session, and when
 * LxL ID cannot be reached our own plain sign-in link takes the button's place.
 */
const ngo = (() => {
  const CREDENTIAL_URL = '/auth/credential';
  const SWAPPED = ['ngo-header', 'ngo-main'];  // what signing in changes on a page
  // A click on the button that did not sign in, in plain words (reasons:
  // app/idp/oidc/reasons.py). Shown next to the button, in its role=status element.
  const CLICK_FAILURES = Object.freeze({
    popup_closed: 'The LxL ID window was closed before you signed in. ' +
      'Press the button to try again.',
    popup_blocked: 'Your browser blocked the LxL ID window. Allow pop-ups for this site ' +
      'and press the button again, or use the link to sign in on LxL ID’s own page.',
    access_denied: 'You chose not to share your LxL ID with Sample NGO: nothing was shared, ' +
      'and you are not signed in.',
  });
  // Silent sign-in's reasons for which LxL ID's card can help: the supporter is signed in
  // at LxL ID, and only their word is missing (reasons: app/idp/oidc/reasons.py). For the
  // others the card could not show (nobody signed in, cookies withheld from LxL ID's frames,
  // a setup error), and the SDK would only say so.
  const CARD_REASONS = Object.freeze(['consent_required', 'auto_select_disabled']);
  let cardAsked = false;  // once per page: a re-check on return to the tab asks no more
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
    if (answer.ok) await showSignedIn();
    // nonce_missing: another tab of this browser may have just signed in with the nonce the
    // tabs share; then redrawing shows the supporter signed in. Else this page's nonce is
    // gone (expired, or spent by a refusal): only a fresh page load has one its browser
    // holds, and an SDK that uses it. Once: a page that was itself reloaded stops here.
    else if (answer.error === 'nonce_missing' && !await showSignedIn() && !wasReloaded()) {
      return location.reload();
    }
    if (!isSignedIn()) showButton();
  }

  /** The SDK's `on_moment`: every step, message and card moment, for the trace panel. */
  function moment(m) {
    trace(m);
  }

  /** The button's `click_listener`: a new attempt, so the last one's message goes. */
  function clicked() {
    trace({type: 'click'});
    say('');
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

  /**
   * Redraw the signed-in parts of this page from the server, in place; false (and nothing
   * redrawn) when the server says nobody is signed in: a signed-out header is only good with
   * the SDK's button rendered into it, and DOMParser (no scripting) would show its
   * <noscript> link.
   */
  async function showSignedIn() {
    const html = await (await fetch(location.href, {headers: {Accept: 'text/html'}})).text();
    const fresh = new DOMParser().parseFromString(html, 'text/html');
    if (!fresh.querySelector('[data-lxl-user]')) return false;
    for (const id of SWAPPED) document.getElementById(id).replaceWith(fresh.getElementById(id));
    return true;
  }

  function wasReloaded() {
    return performance.getEntriesByType('navigation')[0]?.type === 'reload';
  }

  function signInFailed(reason) {
    if (isSignedIn()) return;
    const roundTrip = document.body.dataset.promptNoneUrl;
    if (reason === 'third_party_cookies_blocked' && roundTrip) return location.assign(roundTrip);
    // Neither the SDK's script nor its button can be had (unreachable), or LxL ID's frame
    // never answered (timeout: whatever kept it out, a proxy or a frame-src, keeps the
    // button's frame out too): our own link works without either.
    if (reason === 'idp_unreachable' || reason === 'timeout') return showPlainLink();
    showButton();
    if (reason in CLICK_FAILURES) say(CLICK_FAILURES[reason]);
    if (reason === 'popup_blocked') showPlainLink();
    if (CARD_REASONS.includes(reason)) askForCard();
  }

  /**
   * Ask LxL ID for its card (the button stays in the header). Not on the page that follows
   * the supporter's own sign-out: "Continue as …" right after "Sign out" would undo it (that
   * page's first attempt is cancelled by disableAutoSelect(), but a re-check when the
   * supporter comes back to the tab fails with auto_select_disabled). The card's credential
   * comes to signIn, the callback, like any other.
   */
  function askForCard() {
    if (cardAsked || 'ngoJustSignedOut' in document.body.dataset) return;
    cardAsked = true;
    lxl.accounts.id.prompt(cardMoment);
  }

  /**
   * prompt()'s listener: write each moment, by its GIS-style methods, into the page's hidden
   * log (#ngo-card-moments: one <li> per moment, its data-* the hook tests read). The trace
   * has the same moments already, from on_moment ({type: 'prompt', ...}).
   */
  function cardMoment(notification) {
    const type = notification.getMomentType();
    const entry = {
      moment: type,
      displayed: type === 'display' ? String(notification.isDisplayed()) : undefined,
      why: type === 'display' ? notification.getNotDisplayedReason()
        : type === 'skipped' ? notification.getSkippedReason() : notification.getDismissedReason(),
      reason: notification.reason,
      ms: String(performance.now()),
    };
    const item = document.createElement('li');
    for (const [key, value] of Object.entries(entry)) if (value) item.dataset[key] = value;
    item.textContent = [type, entry.displayed && `displayed=${entry.displayed}`, entry.why,
                        entry.reason].filter(Boolean).join(' ');
    document.getElementById('ngo-card-moments')?.append(item);
  }

  /** LxL ID's script could not load: say so in the trace, then show our own sign-in link. */
  function idpUnreachable(event) {
    trace({type: 'unreachable', ms: event.timeStamp});  // the browser's own stamp of the error
    showPlainLink();
  }

  /** Show the sign-in area (the button, and whatever else is visible in it). */
  function showButton() {
    for (const area of document.querySelectorAll('[data-ngo-signin]')) area.dataset.ngoSignin = 'shown';
  }

  /** Show our own plain sign-in link, the code flow, beside or instead of the button. */
  function showPlainLink() {
    showButton();
    for (const link of document.querySelectorAll('[data-ngo-signin-link]')) link.hidden = false;
  }

  /** Tell the supporter, next to the button, what became of their click. */
  function say(text) {
    for (const status of document.querySelectorAll('[data-ngo-signin-status]')) status.textContent = text;
  }

  return Object.freeze({signIn, moment, clicked, idpUnreachable, cardMoment});
})();
