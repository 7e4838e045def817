// Test page helpers (no SDK): open IdP frames and popups by hand and record every message
// from the IdP origin, so Selenium can wait on window.lxlTest.messages.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var idp = params.get("idp");
  var messages = [];
  var started = performance.now();
  var expected = null;

  window.addEventListener("message", function (event) {
    if (event.origin !== idp || event.source !== expected) return;
    messages.push({at: performance.now() - started, data: event.data});
  });

  function frame(path, query) {
    var iframe = document.createElement("iframe");
    iframe.hidden = true;
    iframe.src = idp + path + "?" + new URLSearchParams(query);
    document.body.appendChild(iframe);
    expected = iframe.contentWindow;
    return iframe;
  }

  function silentQuery(extra) {
    return Object.assign({client_id: "ngo-demo", origin: location.origin}, extra);
  }

  window.lxlTest = {
    messages: messages,
    /** The status frame alone, or with a whole silent authorization request. */
    checkSession: function (withAuthorization) {
      started = performance.now();
      var query = silentQuery({});
      if (withAuthorization) {
        Object.assign(query, {response_type: "id_token", scope: "openid email profile",
                              nonce: "nonce-" + started, state: "state-" + started,
                              redirect_uri: location.origin});
      }
      return frame("/oidc/iframe/check_session", query);
    },
    /** prompt=none with response_mode=web_message in a hidden frame: posts to its parent. */
    authorizeFrame: function () {
      started = performance.now();
      return frame("/oidc/authorize", {
        client_id: "ngo-demo", response_type: "id_token", response_mode: "web_message",
        prompt: "none", redirect_uri: location.origin, scope: "openid email",
        nonce: "frame-nonce", state: "frame-state"});
    },
    /** A bare cross-site frame that posts back at once: the floor of any frame flow. */
    bare: function () {
      started = performance.now();
      return frame("/test-pages/bare.html", {origin: location.origin});
    },
    /** The web_message response in a popup, first-party even with cookies blocked. */
    popup: function () {
      started = performance.now();
      var popup = window.open(idp + "/oidc/authorize?" + new URLSearchParams({
        client_id: "ngo-demo", response_type: "id_token", response_mode: "web_message",
        redirect_uri: location.origin, scope: "openid email", nonce: "popup-nonce",
        state: "popup-state"}), "lxl", "width=480,height=640");
      expected = popup;
      return popup;
    }
  };
  document.getElementById("popup").addEventListener("click", function () { window.lxlTest.popup(); });
})();
