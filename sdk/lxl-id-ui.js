/*! LxL ID browser SDK, UI part. Readable source: sdk/lxl-id-ui.js; types: lxl-id.d.ts */
// Loaded by the core (sdk/lxl-id.js) from the IdP the first time a page calls renderButton()
// or prompt(). First the sign-in button (a frame served by the IdP), its popup and redirect
// mode, in the order of a click: render the frame → the frame's messages → popup or redirect →
// finish. Then the One-Tap card: prompt() → the card's frame → its messages → Continue → the
// popup or the frame's own answer → the moments told. Then helpers.
(() => {
  // The core sets `lxlCore` on this script's element before appending it, so it is there
  // while this file runs (document.currentScript is null once it has). Taken off at once: the
  // element stays in the page, where any script could otherwise reach the core.
  const script = /** @type {(HTMLScriptElement & {lxlCore?: lxl.core.Core}) | null} */ (
    document.currentScript);
  const core = script?.lxlCore ?? loadedAlone();
  delete script?.lxlCore;
  /** @returns {never} */
  function loadedAlone() {
    throw new Error('lxl-id-ui.js is loaded by lxl-id.js when a page calls renderButton() or '
      + 'prompt(); do not include it yourself');
  }

  /** @typedef {lxl.accounts.id.GsiButtonConfiguration} ButtonOptions */
  /** @typedef {{frame: lxl.core.Frame, options: ButtonOptions, remove: () => void}} Rendered */
  /** @typedef {lxl.accounts.id.FailureReason} FailureReason */
  /** @typedef {ReturnType<lxl.core.Core['finish']>} Delivered what the site was told */

  // The width a site may give a button (app/idp/oidc/button_frame.py holds the same range).
  const WIDTH_PX = {min: 120, max: 400};

  /**
   * Each option with what it must be; the IdP's button frame checks the same names and values.
   * @type {Record<keyof ButtonOptions, {valid(value: unknown): boolean, must: string}>}
   */
  const OPTION_RULES = {
    type: oneOf('standard', 'icon'),
    theme: oneOf('outline', 'filled_blue', 'filled_black'),
    size: oneOf('large', 'medium', 'small'),
    text: oneOf('signin_with', 'signup_with', 'continue_with', 'signin'),
    shape: oneOf('rectangular', 'pill', 'circle', 'square'),
    logo_alignment: oneOf('left', 'center'),
    width: {
      valid: value => Number.isInteger(value) && Number(value) >= WIDTH_PX.min
        && Number(value) <= WIDTH_PX.max,
      must: `an integer from ${WIDTH_PX.min} to ${WIDTH_PX.max} (px)`,
    },
    click_listener: {valid: value => typeof value == 'function', must: 'a function'},
  };
  const OPTION_NAMES = /** @type {(keyof ButtonOptions)[]} */ (Object.keys(OPTION_RULES));
  // The heights the IdP draws for each size (button_frame.HEIGHTS_PX; a test holds them
  // equal): the frame starts at the button's height, so the page barely shifts when the frame
  // reports its size (with room for the focus ring).
  const BUTTON_HEIGHT_PX = {large: 40, medium: 32, small: 24};
  // A standard button's frame before it reports its size: about a large "Sign in with LxL ID".
  // A narrower frame cannot squeeze the button (its words never wrap), it only clips it until
  // the report comes.
  const STANDARD_BUTTON_START_PX = 200;
  // Neutral: the button's words may say "Sign up" or "Continue".
  const FRAME_TITLE = 'LxL ID sign-in button';

  // A sign-in dialog's size, centred on the page's window as a dialog would be.
  const POPUP = {name: 'lxl_id_signin', width: 480, height: 640};
  // No event tells an opener that a cross-origin popup closed: `closed` is all it can read.
  // 100 ms is below what a person notices, and a read costs nothing.
  const POPUP_POLL_MS = 100;

  // What this site learnt about asking for storage access (core.storage is per client):
  // 'refused': the person refused it once, so the button never asks again here;
  // 'worth_asking': the person signed in through the popup, so the IdP was visited top-level,
  // which Chromium requires before it shows the storage-access prompt at all.
  const STORAGE_ACCESS_KEY = 'storage_access';

  /**
   * Buttons rendered, by parent: rendering into the same parent again replaces the button, and
   * a new initialize() draws each again (renderAgain).
   * @type {Map<HTMLElement, Rendered>}
   */
  const buttons = new Map();
  /**
   * The one sign-in popup open, if any: a second click focuses it instead of opening another.
   * @type {Window | undefined}
   */
  let openPopup;
  /** Closes the open popup and stops waiting for it, telling nobody (cancel(), signedIn()).
   * @type {() => void} */
  let dropPopup = () => {};

  /**
   * Render the IdP's sign-in button into `parent` (the core checked `parent` and initialize()).
   * A bad option is the site's bug: reported as a TypeError, and no button is drawn.
   * @param {HTMLElement} parent @param {ButtonOptions} [options]
   */
  function renderButton(parent, options = {}) {
    const problem = findBadOption(options);
    if (problem) return reportError(new TypeError('lxl-id: ' + problem));
    buttons.get(parent)?.remove();

    const settings = core.options();
    // Used only if a click gets storage access and the frame can finish the sign-in itself.
    const authorization = core.authorizationRequest();
    const query = {...frameQuery(options, settings), ...authorization.request};
    const frame = core.openFrame('/oidc/iframe/button', query, 'button', parent);
    const iframe = frame.element;
    const height = BUTTON_HEIGHT_PX[options.size || 'large'];
    const width = options.width || (options.type == 'icon' ? height : STANDARD_BUTTON_START_PX);
    Object.assign(iframe, {title: FRAME_TITLE, height: String(height), width: String(width)});
    iframe.style.border = '0'; // CSSOM, not a style attribute: allowed under a strict CSP

    /** @type {Rendered} */
    const button = {frame, options, remove: () => {
      if (buttons.get(parent) == button) buttons.delete(parent);
      frame.close();
    }};
    buttons.set(parent, button);
    const isCurrent = () => buttons.get(parent) == button;
    // The core checked each message's window and origin.
    frame.onMessage(message => {
      const type = message.type;
      if (type == 'lxl:resize') fitFrame(iframe, message);
      // Posted first on every click, however it ends: the popup, a redirect, or storage access
      // finishing in the frame (which posts no lxl:click).
      else if (type == 'lxl:pressed') runClickListener(options.click_listener);
      else if (type == 'lxl:click') signInOnClick();
      // Refused: never ask again here. Granted: nothing to remember; the frame's answer (or,
      // not signed in at the IdP, its lxl:click) follows.
      else if (type == 'lxl:storage_access' && !message.granted) remember('refused');
      else if (type == 'authorization_response') {
        core.finish(message.response || {}, authorization, 'btn');
        // That request is spent: the next click's must carry a fresh state and nonce. (Unless
        // the site's callback drew something else there meanwhile.)
        if (isCurrent()) renderButton(parent, options);
      } else if (type == 'lxl:refused') {
        // The IdP refused an option this part accepted: a part and an IdP that disagree.
        button.remove();
        reportError(new TypeError(`lxl-id: renderButton() refused by ${core.idp}: `
          + String(message.error_description)));
      }
    });
    // The core's frame tells who answered: the IdP's hello, or (by client-check once the frame
    // loaded) a refusal (unknown client, origin not registered) or an IdP out of reach (no
    // hello within the attempt's budget). Without a button, the site's callback must hear why.
    frame.next('lxl:hello', 'button').catch(error => {
      if (!isCurrent()) return; // replaced or removed meanwhile: not a failure
      button.remove();
      core.failure(error.reason, error.detail);
    });
  }

  /** Draw each button again, with the current initialize() options (the core calls this). */
  function renderAgain() {
    // A copy: each new drawing goes back into `buttons`, which must not be walked again.
    for (const [parent, {frame, options}] of [...buttons]) {
      // Taken off the page by the site: forget it rather than load a frame nobody sees.
      if (frame.element.isConnected) renderButton(parent, options);
      else buttons.get(parent)?.remove();
    }
  }

  /** @param {Record<string, any>} options @returns {string | undefined} */
  function findBadOption(options) {
    if (typeof options != 'object' || options === null) {
      return 'renderButton(parent, options): options must be an object';
    }
    for (const [name, value] of Object.entries(options)) {
      // includes(), not OPTION_RULES[name]: a name such as "toString" would find Object's
      if (!OPTION_NAMES.includes(/** @type {keyof ButtonOptions} */ (name))) {
        return `renderButton({${name}}) is no option; use ${OPTION_NAMES.join(', ')}`;
      }
      const rule = OPTION_RULES[/** @type {keyof ButtonOptions} */ (name)];
      if (value !== undefined && !rule.valid(value)) {
        const shown = JSON.stringify(value) ?? typeof value;
        return `renderButton({${name}}) must be ${rule.must}, not ${shown}`;
      }
    }
  }

  /**
   * The frame's query: the registered parameters only (never click_listener, a function).
   * Options the site left out stay out: their defaults are the IdP's (the theme follows the
   * person's colour scheme).
   * @param {ButtonOptions} options @param {ReturnType<lxl.core.Core['options']>} settings
   */
  function frameQuery(options, settings) {
    /** @type {Record<string, string>} */
    const query = {client_id: settings.client_id, origin: core.origin};
    for (const [name, value] of Object.entries(options)) {
      if (name != 'click_listener' && value !== undefined) query[name] = String(value);
    }
    if (settings.itp_support) {
      query.itp_support = '1';
      if (recall() == 'worth_asking') query.ask_storage_access = '1';
    }
    return query;
  }

  /**
   * Size the frame to the button the IdP drew (its text, font and focus ring).
   * @param {HTMLIFrameElement} iframe @param {lxl.core.FrameMessage} size an lxl:resize
   */
  function fitFrame(iframe, {width, height}) {
    if (isPixelCount(width) && isPixelCount(height)) {
      Object.assign(iframe,
        {width: String(Math.ceil(Number(width))), height: String(Math.ceil(Number(height)))});
    }
  }

  /** @param {(() => void) | undefined} clickListener */
  function runClickListener(clickListener) {
    // The site's bug, not a reason to stop.
    try { clickListener?.() } catch (error) { reportError(error) }
  }

  /**
   * A click in the IdP's frame reached us as a message, still within the click's user
   * activation (measured in Chromium: docs/browser-facts.md), so the popup must open now,
   * synchronously: no await before window.open.
   */
  function signInOnClick() {
    const settings = core.options();
    const loginUri = /** @type {string} */ (settings.login_uri);
    if (settings.ux_mode == 'redirect') redirectToSignIn(loginUri);
    else signInWithPopup('btn');
  }

  /**
   * Redirect mode: the IdP answers with a form POSTed to login_uri (OAuth 2.0 Form Post
   * Response Mode). That POST is cross-site, so it carries neither SameSite=Strict nor Lax
   * cookies: the double-submit cookie must be SameSite=None (which requires Secure).
   * @see https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
   * @param {string} loginUri
   */
  function redirectToSignIn(loginUri) {
    const {request, state} = core.authorizationRequest();
    // 10 minutes to sign in at the IdP; the site's nonce cookie lives as long.
    document.cookie = `g_csrf_token=${state}; Path=/; Max-Age=600; SameSite=None; Secure`;
    const redirectUri = new URL(loginUri, location.href).href;
    location.assign(
      authorizeUrl({...request, redirect_uri: redirectUri, response_mode: 'form_post'}));
  }

  /**
   * Popup mode: the IdP's authorize page, top-level in a popup (so its cookies are first-party),
   * answers by web message to its opener, this page. For the button's click and the card's
   * Continue alike.
   * @see https://datatracker.ietf.org/doc/html/draft-sakimura-oauth-wmrm-00
   * @param {'btn' | 'user'} selectBy the button, or the card's Continue
   * @param {Record<string, string>} [extraParams] more authorization parameters (the card's
   *   `prompt: 'consent'`)
   * @param {(tell: () => Delivered) => void} [settle] called once the popup answered, was
   *   closed, or was blocked, with `tell`, which tells the site (core.finish or core.failure)
   *   and returns what it was told: the card ends itself before it calls `tell`
   * @returns {boolean} false when a popup was open already: it is only brought to the front
   */
  function signInWithPopup(selectBy, extraParams = {}, settle = tell => { tell() }) {
    if (openPopup && !openPopup.closed) {
      openPopup.focus();
      return false;
    }
    // Closed, but not yet seen closed by the poll: this click starts afresh.
    dropPopup();
    const authorization = core.authorizationRequest();
    const url = authorizeUrl({...authorization.request, ...extraParams,
      response_mode: 'web_message', display: 'popup'});
    const popup = window.open(url, POPUP.name, popupFeatures());
    // null: the browser blocked it (no user activation reached us). Nothing will come; say so now.
    if (!popup) {
      settle(() => core.failure('popup_blocked'));
      return true;
    }
    openPopup = popup;

    /** @param {MessageEvent} event */
    const onPopupMessage = event => {
      const fromPopup = event.source === popup && event.origin === core.idp;
      if (!fromPopup || event.data?.type != 'authorization_response') return;
      stopWatching();
      popup.close();
      const response = event.data.response || {};
      const {error, reason} = response;
      // What the popup said, never the credential it carried (as the core tells its frames')
      core.moment({type: 'message', message: 'authorization_response', frame: 'popup',
        ...error && {error}, ...reason && {reason}});
      if (response.id_token && recall() != 'refused') remember('worth_asking');
      settle(() => core.finish(response, authorization, selectBy));
    };
    // The IdP's answer page posts its answer, then closes itself. No spec orders that message
    // before `closed` turns true here (Chromium did in 25 of 25 runs), so a closed popup gets
    // one more poll for its answer: popup_closed comes 100-200 ms after the close.
    let closedSeen = false;
    const watchClosed = setInterval(() => {
      if (!popup.closed) return;
      if (closedSeen) {
        stopWatching();
        settle(() => core.failure('popup_closed'));
      }
      closedSeen = true;
    }, POPUP_POLL_MS);
    const stopWatching = () => {
      removeEventListener('message', onPopupMessage);
      clearInterval(watchClosed);
      openPopup = undefined;
      dropPopup = () => {};
    };
    dropPopup = () => {
      stopWatching();
      popup.close();
    };
    addEventListener('message', onPopupMessage);
    return true;
  }

  // The One-Tap card: "Continue as …" in a frame the IdP serves, fixed to the page's top-right
  // corner, for a person signed in at the IdP whom silent sign-in could not sign in here.

  // The card's frame, the same size for everyone: a size that followed the name or the email
  // would tell the page who is signed in. app/idp/oidc/card_frame.py draws the card at this
  // size (tests/sdk/test_card_matches.py holds the two equal).
  const CARD_WIDTH_PX = 360;
  const CARD_HEIGHT_PX = 176;
  // From the window's top and right edges; a window narrower than the card and twice this
  // gets a card 8 px from either side (min(360, innerWidth - 16) wide).
  const CARD_MARGIN_PX = 16;
  const NARROW_MARGIN_PX = 8;
  // Above anything the site shows (the largest z-index there is): the card must not sit under
  // a fixed header. A site that covers it anyway gets its clicks refused (lxl:card_refused).
  const TOPMOST_Z_INDEX = '2147483647';
  const CARD_TITLE = 'LxL ID: sign in';

  // The moments' reasons, by Google Identity Services' names, and the failure reason behind a
  // card not displayed: app/idp/oidc/reasons.py holds the same (tests/sdk/test_reasons_match.py).
  // The types below come from these lists, so tsc checks every reason this file names.
  const NOT_DISPLAYED_REASONS = /** @type {const} */ (['opt_out_or_no_session',
    'suppressed_by_user', 'browser_not_supported', 'invalid_client', 'unregistered_origin',
    'unknown_reason']);
  const SKIPPED_REASONS = /** @type {const} */ (['user_cancel', 'issuing_failed']);
  const DISMISSED_REASONS = /** @type {const} */ (['credential_returned', 'cancel_called',
    'flow_restarted']);
  /** @typedef {typeof NOT_DISPLAYED_REASONS[number]} NotDisplayedReason */
  /** @typedef {typeof SKIPPED_REASONS[number]} SkippedReason */
  /** @typedef {typeof DISMISSED_REASONS[number]} DismissedReason */
  /** @type {{[reason in FailureReason]?: NotDisplayedReason}} */
  const NOT_DISPLAYED_BY_REASON = {
    no_session: 'opt_out_or_no_session',
    session_expired: 'opt_out_or_no_session',
    third_party_cookies_blocked: 'browser_not_supported',
    unknown_client: 'invalid_client',
    origin_not_allowed: 'unregistered_origin',
    idp_unreachable: 'unknown_reason',
    timeout: 'unknown_reason',
  };
  // The sign-in's failures that are the person's choice (the popup closed, Deny in it): the
  // card was skipped by the user. Any other failure: issuing_failed.
  const USER_CANCELS = ['popup_closed', 'access_denied'];
  // What a refused click on Continue tells the site's developer, by the frame's `why`.
  /** @type {Record<string, string>} */
  const REFUSED_CLICK = {
    not_visible: 'something covered it, clipped it or made it transparent (a cookie banner? a '
      + 'filter on the page?), so the person is asked to confirm in the popup: keep the '
      + 'top-right corner clear while the card shows',
    too_soon: 'it came too soon after the card appeared, moved or was uncovered',
  };

  /**
   * @typedef {(notification: lxl.accounts.id.PromptMomentNotification) => void} Listener
   * @typedef {object} Card one prompt(), from the call to its last moment
   * @property {Listener | undefined} listener
   * @property {lxl.core.Frame} [frame] the card's frame, once opened
   * @property {HTMLDivElement} [container] the fixed box in the corner that holds the frame
   * @property {() => void} [place] sizes and places the box for the window's width
   * @property {boolean} [displayed] the IdP said the card displays
   */
  /** The latest prompt()'s card, until its last moment: one card at a time.
   * @type {Card | undefined} */
  let card;

  /**
   * The One-Tap card (the core checked initialize() and the listener). A card already on its
   * way or on screen is dismissed first (flow_restarted).
   * @param {Card['listener']} listener
   * @param {Promise<boolean>} afterSilentSignIn did the silent attempt in flight when prompt()
   *   was called deliver a credential? (asked by the core then, not when this part arrived)
   */
  function prompt(listener, afterSilentSignIn) {
    if (card) endCard(card, 'dismissed', 'flow_restarted');
    /** @type {Card} */ const shown = card = {listener};
    afterSilentSignIn.then(signedIn => {
      // cancel(), prompt() again or signedIn() meanwhile: that moment was told.
      if (card != shown) return;
      if (signedIn) return endCard(shown, 'dismissed', 'credential_returned');
      // What the status frame said last, where the card's frame could only say the same: not
      // signed in at the IdP, or its cookies withheld. Said now, with no frame.
      const reason = settledFailure(core.status());
      const notDisplayed = notDisplayedFor(reason);
      if (notDisplayed) endCard(shown, 'display', notDisplayed, reason);
      else openCard(shown);
    });
  }

  /**
   * Open the card's frame in a box fixed to the page's top-right corner, hidden until the IdP
   * says the card displays (lxl:card). Its size is fixed from the start, never changed by a
   * message: it must not depend on who is signed in.
   * @param {Card} shown
   */
  function openCard(shown) {
    const settings = core.options();
    // For a Continue the frame finishes itself (consent given): the answer must match a
    // request of this page. The request carries client_id too.
    const authorization = core.authorizationRequest();
    const query = {origin: core.origin, ...(settings.itp_support ? {itp_support: '1'} : {}),
      ...authorization.request};
    const container = document.createElement('div');
    // CSSOM, not a style attribute: allowed under a strict CSP.
    Object.assign(container.style, {position: 'fixed', top: px(CARD_MARGIN_PX),
      zIndex: TOPMOST_Z_INDEX});
    document.body.append(container);
    const frame = core.openFrame('/oidc/iframe/card', query, 'card', container);
    const iframe = frame.element;
    Object.assign(iframe, {title: CARD_TITLE, height: String(CARD_HEIGHT_PX)});
    Object.assign(iframe.style, {display: 'none', border: '0'});
    // min(360, innerWidth - 16) wide, again whenever the window is resized (a phone turned).
    const place = () => {
      const width = Math.min(CARD_WIDTH_PX, innerWidth - 2 * NARROW_MARGIN_PX);
      iframe.width = String(width);
      container.style.right = px(Math.min(CARD_MARGIN_PX, (innerWidth - width) / 2));
    };
    place();
    addEventListener('resize', place);
    Object.assign(shown, {frame, container, place});
    frame.onMessage(message => onCardMessage(shown, message, authorization));
    // The core's frame tells who answered: the IdP's hello, or (by client-check once the frame
    // loaded) a refusal or an IdP out of reach.
    frame.next('lxl:hello', 'card').catch((/** @type {lxl.core.Failure} */ failed) => {
      if (card != shown) return; // closed on purpose
      const reason = /** @type {FailureReason} */ (failed.reason);
      warn(`prompt() failed: ${reason} (the card's frame)`);
      endCard(shown, 'display', notDisplayedFor(reason) || 'unknown_reason', reason);
    });
  }

  /**
   * What the card's frame says (the core checked its window and origin): whether the card
   * displays, then what the person did.
   * @param {Card} shown @param {lxl.core.FrameMessage} message
   * @param {lxl.core.AuthorizationRequest} authorization what the frame's own answer answers
   */
  function onCardMessage(shown, message, authorization) {
    const type = message.type;
    if (type == 'lxl:card' && !shown.displayed) {
      if (message.displayed === true) return showCard(shown);
      // The IdP's reason if it is one of ours; the failure reason only if it is the one
      // behind it.
      const said = /** @type {NotDisplayedReason} */ (message.not_displayed_reason);
      const why = NOT_DISPLAYED_REASONS.includes(said) ? said : 'unknown_reason';
      const reason = notDisplayedFor(message.reason) == why
        ? /** @type {FailureReason} */ (message.reason) : undefined;
      endCard(shown, 'display', why, reason);
    } else if (type == 'lxl:card_closed') {
      endCard(shown, 'skipped', 'user_cancel');
    } else if (type == 'lxl:card_refused') {
      const why = String(message.why);
      warn(`the One-Tap card refused a click on Continue: ${REFUSED_CLICK[why] || why}`);
    } else if (type == 'lxl:refused') {
      // The IdP refused a parameter this part sent: a part and an IdP that disagree.
      reportError(new TypeError(`lxl-id: prompt() refused by ${core.idp}: `
        + String(message.error_description)));
      endCard(shown, 'display', 'unknown_reason');
    // Continue, below, counts only on a card displayed: one nobody could see was not clicked.
    } else if (type == 'lxl:continue' && shown.displayed) {
      continueInPopup(shown, message.confirm === true);
    } else if (type == 'authorization_response' && shown.displayed) {
      // Continue, consent given: the frame signed in itself.
      endCardWith(shown, () => core.finish(message.response || {}, authorization, 'user'));
    }
  }

  /** @param {Card} shown */
  function showCard(shown) {
    shown.displayed = true;
    /** @type {lxl.core.Frame} */ (shown.frame).element.style.display = 'block';
    core.promptMoment(shown.listener, 'display');
  }

  /**
   * Continue needs the popup: consent is missing, or (`confirm`) the browser cannot tell the
   * frame whether the card was visible when clicked, so the IdP asks again (prompt=consent)
   * top-level, where no page can cover it. Opened now, within the click's activation that
   * the message carries: nothing is awaited before it.
   * @param {Card} shown @param {boolean} confirm
   */
  function continueInPopup(shown, confirm) {
    const started = signInWithPopup('user', confirm ? {prompt: 'consent'} : {},
      tell => endCardWith(shown, tell));
    // Hidden while the person is in the popup; its outcome removes it.
    const container = /** @type {HTMLDivElement} */ (shown.container);
    if (started && card == shown) container.style.display = 'none';
  }

  /**
   * The card's sign-in ended: the card is removed first, then `tell` tells the site
   * (core.finish or core.failure), so that its callback may call prompt() again without
   * restarting this card; then the listener hears it: a credential dismisses the card, a
   * failure skips it. A card that ended meanwhile (cancel(), prompt() again) tells nothing more,
   * but its popup's answer still goes to the site.
   * @param {Card} shown @param {() => Delivered} tell
   */
  function endCardWith(shown, tell) {
    const ending = removeCard(shown);
    const delivered = tell();
    if (!ending) return;
    if (delivered.credential !== undefined) {
      return core.promptMoment(shown.listener, 'dismissed', 'credential_returned');
    }
    const reason = delivered.reason;
    core.promptMoment(shown.listener, 'skipped',
      USER_CANCELS.includes(reason) ? 'user_cancel' : 'issuing_failed', reason);
  }

  /**
   * The card's last moment: remove it, then tell (so that the listener may call prompt()
   * again at once). A card that ended already tells nothing more.
   * @param {Card} shown @param {'display' | 'skipped' | 'dismissed'} type
   * @param {NotDisplayedReason | SkippedReason | DismissedReason} why
   * @param {FailureReason} [reason]
   */
  function endCard(shown, type, why, reason) {
    if (removeCard(shown)) core.promptMoment(shown.listener, type, why, reason);
  }

  /** Take the card off the page and forget it; false if it had ended already.
   * @param {Card} shown */
  function removeCard(shown) {
    if (card != shown) return false;
    card = undefined;
    shown.frame?.close();
    shown.container?.remove();
    if (shown.place) removeEventListener('resize', shown.place);
    return true;
  }

  /** cancel(): the popup closes, telling nobody; the card is dismissed. */
  function cancel() {
    dropPopup();
    if (card) endCard(card, 'dismissed', 'cancel_called');
  }

  /** The core is about to deliver a credential (a silent sign-in, the button's, the card's):
   * no other popup or card may add a second one. */
  function signedIn() {
    dropPopup();
    if (card) endCard(card, 'dismissed', 'credential_returned');
  }

  /**
   * The failure reason of a status that the card cannot change: signed out at the IdP
   * (no_session, session_expired) or its cookies withheld. Not consent_required or
   * auto_select_disabled: those are what the card is for.
   * @param {ReturnType<lxl.core.Core['status']>} status
   * @returns {FailureReason | undefined}
   */
  function settledFailure(status) {
    if (status?.status == 'unknown') return 'third_party_cookies_blocked';
    const reason = /** @type {FailureReason} */ (status?.reason);
    if (status?.status == 'logged_out' && notDisplayedFor(reason)) return reason;
  }

  /**
   * Why the card does not display, given the failure reason behind it; none for a reason the
   * card can get past.
   * @param {unknown} reason @returns {NotDisplayedReason | undefined}
   */
  function notDisplayedFor(reason) {
    // Own names only: "toString" is no reason.
    return Object.keys(NOT_DISPLAYED_BY_REASON).includes(String(reason))
      ? NOT_DISPLAYED_BY_REASON[/** @type {FailureReason} */ (reason)] : undefined;
  }

  // Helpers.

  /** A size the frame can take: a frame sized 0 would hide the button for good.
   * @param {unknown} value */
  const isPixelCount = value => typeof value == 'number' && value > 0 && value < Infinity;

  /** @param {Record<string, string>} params */
  const authorizeUrl = params => core.idp + '/oidc/authorize?' + new URLSearchParams(params);

  /** `window.open` features: a popup window of the dialog's size, centred on this one. */
  function popupFeatures() {
    const left = Math.round(window.screenX + (window.outerWidth - POPUP.width) / 2);
    const top = Math.round(window.screenY + (window.outerHeight - POPUP.height) / 2);
    return `popup,width=${POPUP.width},height=${POPUP.height},left=${left},top=${top}`;
  }

  // core.storage is undefined where the page has no localStorage, and may throw (storage
  // disabled, quota): then nothing is remembered and the button behaves as on a first visit.
  /** @returns {string | null | undefined} */
  function recall() {
    try { return core.storage?.getItem(STORAGE_ACCESS_KEY) } catch { return undefined }
  }
  /** @param {'refused' | 'worth_asking'} fact */
  function remember(fact) {
    try { core.storage?.setItem(STORAGE_ACCESS_KEY, fact) } catch { /* as on a first visit */ }
  }

  /** @param {number} count */
  const px = count => count + 'px';

  /** A warning for the site's developer, unless the site set log_level 'silent'.
   * @param {string} text */
  function warn(text) {
    if (core.options().log_level != 'silent') console.warn('lxl-id: ' + text);
  }

  /** @param {...string} values */
  function oneOf(...values) {
    const quoted = values.map(value => JSON.stringify(value));
    return {
      valid: (/** @type {unknown} */ value) => values.includes(/** @type {string} */ (value)),
      must: `one of ${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`,
    };
  }

  core.install({renderButton, prompt, cancel, signedIn, renderAgain});
})();
