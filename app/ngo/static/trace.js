// The live trace (CONTRACT.md, "The sample NGO site"): the product page's sequence diagram of
// silent sign-in, user browser → NGO site → LxL ID, each arrow lit as the SDK reports it.
//
// The page feeds it with window.ngoTrace.moment(m), from the SDK's on_moment, from the
// sign-in callback (with the callback's response), and with the page's own three events:
// {type: "backend", ok, error?, message?} once the site's backend answered for the credential,
// {type: "unreachable", ms} when LxL ID's script could not load (ms: the error event's
// timeStamp), and {type: "click"} when the supporter pressed LxL ID's button. A sign-in by
// the button, or by LxL ID's card (prompt(): its moments {type: "prompt", ...} and its
// frame's messages, frame "card"), is no silent one: the diagram keeps the silent attempt
// that came before it, and only the outcome, and the card's own line, tell what the button or
// the card did. Every time shown is a stamp the SDK or the browser took as the thing happened
// (docs/silent-sign-in.md, "Moments"), copied as is: this file never measures, computes or
// spreads a time.
//
// A classic script (not async or defer), after <aside id="lxl-trace">: it must be ready
// before the SDK's first moment.
(() => {
  "use strict";

  // What to do about each failure reason, in plain words (reasons: app/idp/oidc/reasons.py;
  // tests/test_ngo_trace.py holds this table to that list).
  const ADVICE = Object.freeze({
    no_session: "Nobody is signed in to LxL ID in this browser. Use “Sign in with LxL ID” " +
      "once; from then on every reload signs you in silently.",
    session_expired: "Your LxL ID session ended. Sign in again; tick “Stay signed in” to " +
      "stay signed in for longer.",
    auto_select_disabled: "You signed out of this site, so it no longer signs you in by " +
      "itself. Use “Sign in with LxL ID” to turn silent sign-in back on.",
    consent_required: "You have not yet allowed this site to use your LxL ID. Use “Sign in " +
      "with LxL ID” and allow it once.",
    third_party_cookies_blocked: "This browser keeps LxL ID’s cookies from the hidden frame. " +
      "Use “Sign in with LxL ID”: the site then signs you in without that frame.",
    unknown_client: "LxL ID does not know this site’s client_id. Developer: register the " +
      "site with `flask --app wsgi lxl clients add` and use the client_id it prints.",
    origin_not_allowed: "LxL ID does not know this page’s origin for this site. Developer: " +
      "register the origin with `flask --app wsgi lxl clients add … --origin`.",
    idp_unreachable: "LxL ID could not be reached. Check your connection and try again, or " +
      "use the site’s own sign-in link.",
    timeout: "LxL ID did not answer in time. Reload the page, or use “Sign in with LxL ID”.",
    popup_closed: "The sign-in window was closed before sign-in finished. Try again.",
    popup_blocked: "The browser blocked the sign-in window. Allow pop-ups for this site and " +
      "try again.",
    access_denied: "You chose not to share your LxL ID with this site, so nothing was " +
      "shared. Use “Sign in with LxL ID” again if you change your mind.",
    invalid_response: "The answer from LxL ID failed a check (state, issuer, audience, nonce " +
      "or expiry). Developer: check the IdP origin and this computer’s clock.",
  });
  const UNKNOWN_ADVICE = "Use “Sign in with LxL ID”.";

  // What became of LxL ID's card, in plain words, by its moment reasons (Google Identity
  // Services' names; app/idp/oidc/reasons.py, tests/ngo/test_card.py holds this table to it).
  const CARD_WORDS = Object.freeze({
    opt_out_or_no_session: "Nobody is signed in to LxL ID in this browser: there is nobody " +
      "to offer.",
    suppressed_by_user: "The card was closed here recently: it stays quiet for a while (2 hours " +
      "after the first close, then 1 day, 1 week, 4 weeks).",
    browser_not_supported: "This browser keeps LxL ID’s cookies from its frames: the card " +
      "cannot tell who is signed in. Use “Sign in with LxL ID”.",
    invalid_client: "LxL ID does not know this site’s client_id. Developer: check it with " +
      "`flask --app wsgi lxl clients list`.",
    unregistered_origin: "This page’s origin is not registered for this site. Developer: add it " +
      "with `flask --app wsgi lxl clients add … --origin`.",
    unknown_reason: "LxL ID could not be reached, or did not answer in time.",
    user_cancel: "Closed, or its sign-in window closed or answered Deny: nothing was shared.",
    issuing_failed: "Continue did not bring a credential (the window was blocked, or the " +
      "answer failed a check).",
    credential_returned: "Signed in: the card’s work is done.",
    cancel_called: "The page closed the card (cancel()).",
    flow_restarted: "The page asked for the card again: this one made way for it.",
  });

  // The diagram's arrows in CONTRACT order: [from lane, to lane, label].
  const LANES = ["User browser", "NGO site", "LxL ID"];
  const [BROWSER, SITE, IDP] = [0, 1, 2];
  const ARROWS = [
    [BROWSER, IDP, "Hidden iframe: check_session"],
    [IDP, BROWSER, "Status posted back"],
    [BROWSER, IDP, "prompt=none authorize"],
    [IDP, BROWSER, "Credential posted back"],
    [BROWSER, SITE, "Callback: credential to the site’s backend"],
  ];
  const OPEN_KEY = "ngo:trace:open";
  const SVG = "http://www.w3.org/2000/svg";

  const root = document.getElementById("lxl-trace");
  const {toggleButton, body, list, outcome, card} = root ? build() : {};
  const arrows = root ? ARROWS.map(draw) : [];
  // The attempt being drawn: {startedMs, drawn, session, callbackMs, by}; null between
  // attempts. `by`: "button" or "card" for theirs, which draw no arrow.
  let attempt = null;
  // Where the last credential came from ("silent", "button", "card"), for the backend's word.
  let lastBy = "silent";

  /** Fill the empty <aside id="lxl-trace">: a toggle, then the lanes, the arrows, the outcome. */
  function build() {
    const toggleButton = element("button", "trace-toggle", "Live trace: silent sign-in");
    toggleButton.type = "button";
    toggleButton.setAttribute("aria-controls", "lxl-trace-body");
    const body = element("div", "trace-body");
    body.id = "lxl-trace-body";
    const lanes = element("ol", "trace-lanes");
    lanes.setAttribute("aria-label", "Who talks");
    lanes.append(...LANES.map(name => element("li", "trace-lane", name)));
    const list = element("ol", "trace-arrows");
    const outcome = element("p", "trace-outcome");
    outcome.setAttribute("role", "status");
    const card = element("p", "trace-card");
    body.append(lanes, list, outcome, card);
    root.append(toggleButton, body);
    return {toggleButton, body, list, outcome, card};
  }

  /** Add the arrow ``i`` to the diagram; return its element (the CONTRACT hook). */
  function draw([from, to, label], i) {
    const item = element("li", "trace-arrow");
    item.dataset.lxlArrow = String(i + 1);
    item.dataset.state = "pending";
    const head = element("p", "trace-head");
    head.append(element("span", "trace-number", String(i + 1)), element("span", "trace-label", label),
                element("span", "trace-time"));
    item.append(head, line(from, to), element("p", "trace-carried"));
    list.append(item);
    return item;
  }

  /** An SVG arrow between two lanes' lifelines (at the centres of three equal columns). */
  function line(from, to) {
    const x = lane => `${(lane * 2 + 1) * 100 / 6}%`;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "trace-line");
    svg.setAttribute("aria-hidden", "true");
    const shaft = document.createElementNS(SVG, "line");
    for (const [k, v] of [["x1", x(from)], ["x2", x(to)], ["y1", "8"], ["y2", "8"]]) shaft.setAttribute(k, v);
    // The arrowhead: a nested svg placed at the target lane, pointing away from the source.
    const tip = document.createElementNS(SVG, "svg");
    tip.setAttribute("x", x(to));
    tip.setAttribute("overflow", "visible");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", to > from ? "M0 8 l-9 -5 v10 z" : "M0 8 l9 -5 v10 z");
    tip.append(path);
    svg.append(shaft, tip);
    return svg;
  }

  function element(tag, className, text) {
    const e = document.createElement(tag);
    e.className = className;
    if (text) e.textContent = text;
    return e;
  }

  /** Set arrow ``n``'s state, its SDK stamp ``ms`` (when done or failed) and what it carried. */
  function set(n, state, ms, carried) {
    const item = arrows[n - 1];
    item.dataset.state = state;
    if (ms === undefined) delete item.dataset.ms;
    else item.dataset.ms = String(ms);
    item.querySelector(".trace-time").textContent = ms === undefined ? "" : `${ms.toFixed(1)} ms`;
    if (carried !== undefined) item.querySelector(".trace-carried").textContent = carried;
  }

  /** Clear the diagram for a new attempt. */
  function reset() {
    arrows.forEach((_, i) => set(i + 1, "pending", undefined, ""));
    outcome.textContent = "";
    outcome.className = "trace-outcome";
  }

  const state = n => arrows[n - 1].dataset.state;

  /** First sight of an attempt: clear the diagram, then light arrow 1 (and 3 when it rode along). */
  function begin(ms, carried, authorizationRodeAlong) {
    reset();
    attempt.drawn = true;
    set(1, "done", ms, carried);
    if (authorizationRodeAlong) set(3, "done", ms, "Rode in arrow 1’s request: one frame asked for both");
  }

  function onStep(m) {
    if (m.step === "check_session") attempt = {startedMs: m.ms, drawn: false, session: null};
    else if (m.step === "callback") {
      attempt = attempt || {drawn: false}; // a credential another tab of the site just got
      attempt.callbackMs = m.ms;
    }
  }

  function onMessage(m) {
    if (m.frame === "card") return onCardMessage(m);
    if (!attempt) return; // a frame opened for disableAutoSelect() or revoke(): no sign-in
    // The five arrows are the silent path's: the button's frame and popup draw none of them.
    if (m.frame !== "check_session" && m.frame !== "authorize") return;
    if (m.frame === "check_session" && m.message === "lxl:hello") {
      begin(m.ms, "GET /oidc/iframe/check_session + the authorization request: answered (lxl:hello)", true);
    } else if (m.message === "lxl:session") {
      onSession(m);
    } else if (m.frame === "authorize" && m.message === "lxl:hello") {
      if (!attempt.drawn) drawRecheck();
      set(3, "done", m.ms, "Its own hidden frame: GET /oidc/authorize?prompt=none (lxl:hello)");
    } else if (m.message === "authorization_response" && attempt.drawn) {
      if (m.error) set(4, "failed", m.ms, `error=${m.error}${m.reason ? `, reason=${m.reason}` : ""}`);
      else set(4, "done", m.ms, "authorization_response with an ID token");
    }
  }

  function onSession(m) {
    if (!attempt.drawn) {
      // A re-check on return to the tab: "unchanged" is drawn only if a sign-in follows.
      attempt.session = m;
      if (m.status !== "unchanged") drawRecheck();
      return;
    }
    const said = `lxl:session status=${m.status}${m.reason ? `, reason=${m.reason}` : ""}`;
    set(2, m.status === "logged_in" || m.status === "unchanged" ? "done" : "failed", m.ms, said);
  }

  /** A re-check through the status frame already open: arrow 1 is the SDK's lxl:check. */
  function drawRecheck() {
    begin(attempt.startedMs, "lxl:check posted to the status frame already open", false);
    onSession(attempt.session);
  }

  /** The callback's response: show what it carried, the credential shortened. */
  function onResponse(r) {
    // The button's answer without a click seen first: its frame finished with storage access.
    if (r.select_by === "btn") attempt = {...attempt, by: "button"};
    if (r.select_by === "user") attempt = {...attempt, by: "card"};
    if (attempt && attempt.by) return;
    if (r.credential) {
      const c = String(r.credential);
      const short = `${c.slice(0, 12)}…${c.slice(-6)} (${c.length} characters)`;
      if (state(4) === "done") arrows[3].querySelector(".trace-carried").textContent = `ID token ${short}`;
      arrows[4].querySelector(".trace-carried").textContent = `callback({credential: ${short}}) → POST /auth/credential`;
    } else {
      arrows[4].querySelector(".trace-carried").textContent = `callback({error: ${r.error}, reason: ${r.reason}})`;
    }
  }

  function onResult(m) {
    if (!attempt) return;
    lastBy = attempt.by || "silent";
    if (attempt.by) return onClickResult(m, attempt.by);
    if (attempt.session && !attempt.drawn) drawRecheck(); // "unchanged", then no answer
    else if (!attempt.drawn) {
      reset(); // no frame answered, or none was needed:
      if (attempt.startedMs === undefined) {
        for (const n of [1, 2, 3, 4]) set(n, "skipped", undefined, "Not needed: another tab of this site had just signed in");
      }
    }
    const ms = attempt.callbackMs;
    set(5, m.ok ? "done" : "failed", ms);
    // The arrow where the answer stopped fails (at the SDK's stamp of giving up) unless one
    // already did; the rest never happened.
    let failed = !m.ok && [1, 2, 3, 4].some(n => state(n) === "failed");
    for (const n of [1, 2, 3, 4]) {
      if (state(n) !== "pending") continue;
      if (!m.ok && !failed) { set(n, "failed", ms, `No answer: ${m.reason}`); failed = true }
      else set(n, "skipped", undefined, "Did not happen");
    }
    if (m.ok) {
      // The backend may have answered already (a page already signed in answers at once).
      if (!attempt.backendAnswered) outcome.textContent = "Credential received: the site’s backend is checking it…";
    } else {
      fail(`login_required · ${m.reason}`, ADVICE[m.reason] || UNKNOWN_ADVICE);
    }
    attempt = null;
  }

  /** What a click on the button or the card came to; the arrows stay as the silent attempt
   * left them. */
  function onClickResult(m, by) {
    attempt = null;
    if (!m.ok) return fail(`login_required · ${m.reason}`, ADVICE[m.reason] || UNKNOWN_ADVICE);
    outcome.className = "trace-outcome";
    outcome.textContent = `Credential received from LxL ID’s ${by}: the site’s backend is checking it…`;
  }

  /** The supporter pressed LxL ID's button: what follows is the button's attempt. */
  function onClick() {
    attempt = {drawn: false, by: "button"};
  }

  /** A message of the card's frame: Continue starts the card's attempt (its answer, or the
   * popup it asks for); a refused click is the site's to know (a banner covering the card?). */
  function onCardMessage(m) {
    if (m.message === "lxl:continue" || m.message === "authorization_response") {
      attempt = {drawn: false, by: "card"};
    } else if (m.message === "lxl:card_refused") {
      showCard("refused", "A click on Continue was refused: the card was covered, faded or " +
        "had just appeared or moved under the pointer. Developer: keep your page’s banners " +
        "and overlays off the card’s corner.");
    }
  }

  /** One of the card's moments ({type: "prompt", ...}): what became of it, on its own line. */
  function onPrompt(m) {
    if (m.moment === "display" && m.displayed) return showCard("displayed", "LxL ID’s card is shown.");
    const why = m.not_displayed_reason || m.skipped_reason || m.dismissed_reason;
    const said = {display: "not shown", skipped: "closed", dismissed: "gone"}[m.moment] || m.moment;
    showCard(m.moment, `LxL ID’s card: ${said} · ${why}${m.reason ? ` (${m.reason})` : ""}. ` +
      (CARD_WORDS[why] || ""));
  }

  function showCard(moment, text) {
    card.dataset.moment = moment;
    card.textContent = text;
  }

  /** The site's backend said what it made of the credential (signin.js). */
  function onBackend(m) {
    if (attempt) attempt.backendAnswered = true;
    if (m.ok) {
      outcome.className = "trace-outcome";
      outcome.textContent = {
        button: "Signed in with LxL ID’s button: one click.",
        card: "Signed in with LxL ID’s card: one click on Continue.",
      }[lastBy] || "Signed in silently: no click, no visible frame, no navigation.";
      return;
    }
    if (lastBy !== "silent") {
      return fail(`refused by the site · ${m.error || "network"}`,
                  m.message || "The site’s backend could not be reached; try the button again.");
    }
    const five = arrows[4].dataset.ms;
    set(5, "failed", five === undefined ? undefined : Number(five));
    fail(`refused by the site · ${m.error || "network"}`,
         m.message || "The site’s backend could not be reached; reload the page to try again.");
  }

  /** LxL ID's script did not load: nothing else happened (stamped by the browser). */
  function onUnreachable(m) {
    reset();
    set(1, "failed", m.ms, "GET /static/lxl-id.js failed: LxL ID could not be reached");
    for (const n of [2, 3, 4, 5]) set(n, "skipped", undefined, "Did not happen");
    fail("idp_unreachable", ADVICE.idp_unreachable);
  }

  /** Show the attempt's failure in red: what went wrong, then what to do. */
  function fail(what, advice) {
    outcome.className = "trace-outcome trace-failure";
    outcome.textContent = "";
    outcome.append(element("strong", "trace-reason", what), ` ${advice}`);
  }

  /** Take one SDK moment, or the sign-in callback's response; never throws at the page. */
  function moment(m) {
    if (!root || !m || typeof m !== "object") return;
    try {
      if ("credential" in m) onResponse(m);
      else if (m.type === "step") onStep(m);
      else if (m.type === "message") onMessage(m);
      else if (m.type === "result") onResult(m);
      else if (m.type === "backend") onBackend(m);
      else if (m.type === "unreachable") onUnreachable(m);
      else if (m.type === "click") onClick();
      else if (m.type === "prompt") onPrompt(m);
    } catch (error) {
      reportError(error); // a bug here must never break the page's sign-in
    }
  }

  /** Show or hide the panel's body (its hooks keep updating); ``remember`` the choice. */
  function show(open, remember) {
    toggleButton.setAttribute("aria-expanded", String(open));
    body.hidden = !open;
    if (remember) {
      try { localStorage.setItem(OPEN_KEY, open ? "1" : "0") } catch { /* storage blocked: not remembered */ }
    }
  }

  if (root) {
    toggleButton.addEventListener("click", () => show(body.hidden, true));
    let open = false; // collapsed unless this browser opened it before
    try { open = localStorage.getItem(OPEN_KEY) === "1" } catch { /* storage blocked: collapsed */ }
    show(open, false);
  }

  window.ngoTrace = Object.freeze({moment, advice: ADVICE, cardWords: CARD_WORDS});
})();
