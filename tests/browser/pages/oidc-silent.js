// The silent_redirect_uri of oidc-client-ts, exactly as its documentation writes it: the
// library posts this frame's URL (code or error, state, session_state) to its parent.
(function () {
  "use strict";
  new oidc.UserManager({
    authority: new URLSearchParams(location.search).get("idp") || location.origin,
    client_id: "unused-by-the-callback",
    redirect_uri: location.href,
  }).signinSilentCallback().catch(function (error) {
    console.error("signinSilentCallback failed", error);
  });
})();
