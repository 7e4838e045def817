// Test page: oidc-client-ts (served unmodified from npm) against the IdP, no LxL SDK.
// Every call records its outcome in window.oidcTest.results; Selenium polls that array.
// Query: idp (the IdP origin), client_id, monitor=1 for monitorSession.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var idp = params.get("idp");
  var clientId = params.get("client_id");
  var results = [];
  var events = [];
  var sessionFrame = null;

  function record(op) {
    return function (outcome) {
      results.push(Object.assign({op: op}, outcome));
    };
  }

  function failure(error) {
    return {ok: false, error: (error && error.error) || String(error && error.message || error),
            error_description: error && error.error_description,
            message: String(error && error.message)};
  }

  var manager = new oidc.UserManager({
    authority: idp,
    client_id: clientId,
    redirect_uri: location.origin + "/test-pages/oidc-callback.html",
    silent_redirect_uri: location.origin + "/test-pages/oidc-silent.html",
    scope: "openid email",
    response_type: "code",
    monitorSession: params.get("monitor") === "1",
    checkSessionIntervalInSeconds: 1,
  });
  ["UserLoaded", "UserUnloaded", "UserSignedIn", "UserSignedOut", "UserSessionChanged",
   "SilentRenewError"].forEach(function (name) {
    manager.events["add" + name](function () { events.push(name); });
  });

  window.oidcTest = {
    results: results,
    events: events,
    sessionMessages: [],

    /** args: signinSilent's own, e.g. {forceIframeAuth: true} to skip a refresh token. */
    signinSilent: function (args) {
      manager.signinSilent(args || {}).then(function (user) {
        return {ok: true, sub: user.profile.sub, id_token: user.id_token,
                session_state: user.session_state, email: user.profile.email,
                refresh_token: Boolean(user.refresh_token)};
      }, failure).then(record("signinSilent"));
    },

    querySessionStatus: function () {
      manager.querySessionStatus().then(function (status) {
        return {ok: true, status: status};
      }, failure).then(record("querySessionStatus"));
    },

    /** The discovery document's check_session_iframe, loaded once, hidden. */
    openSessionFrame: function () {
      manager.metadataService.getCheckSessionIframe().then(function (url) {
        var frame = document.createElement("iframe");
        frame.hidden = true;
        frame.src = url;
        frame.addEventListener("load", function () {
          sessionFrame = frame;
          record("openSessionFrame")({ok: true, url: url});
        });
        window.addEventListener("message", function (event) {
          if (event.source !== frame.contentWindow || event.origin !== new URL(url).origin) return;
          window.oidcTest.sessionMessages.push(event.data);
        });
        document.body.appendChild(frame);
      }, function (error) { record("openSessionFrame")(failure(error)); });
    },

    /** OIDC Session Management §3.2: post "client_id session_state" to the OP frame. */
    checkSession: function (sessionState) {
      sessionFrame.contentWindow.postMessage(clientId + " " + sessionState,
                                             new URL(sessionFrame.src).origin);
    },
  };
})();
