// OIDC Session Management 1.0 §4.2, as oidc/session_state.py computes it: session_state is
// SHA-256("client_id origin browser-state salt") "." salt, where the browser state is the
// script-readable lxl_bs cookie (browser_state.py). Included by both session frames.
function browserState() {
  var match = document.cookie.match(/(?:^|; )lxl_bs=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function sessionState(clientId, origin, salt) {
  var text = [clientId, origin, browserState(), salt].join(" ");
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (hash) {
    var hex = Array.from(new Uint8Array(hash), function (b) {
      return b.toString(16).padStart(2, "0"); }).join("");
    return hex + "." + salt;
  });
}
