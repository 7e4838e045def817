// Test page for the NGO site's live trace (app/ngo/static/trace.js): loads the SDK from the
// IdP as the site's snippet does and wires it to window.ngoTrace exactly as the site does:
// on_moment and the callback both call ngoTrace.moment(). Records what it passed on in
// window.traceTest for Selenium. Query: idp (the IdP origin, required).
(function () {
  "use strict";
  var idp = new URLSearchParams(location.search).get("idp");
  var test = window.traceTest = {loaded: false, moments: [], responses: []};

  var script = document.createElement("script");
  script.src = idp + "/static/lxl-id.js";
  script.async = true;
  script.onload = function () {
    test.loaded = true;
    window.lxl.accounts.id.initialize({
      client_id: "ngo-demo",
      auto_select: true,
      log_level: "silent",
      on_moment: function (moment) {
        test.moments.push(moment);
        window.ngoTrace && window.ngoTrace.moment(moment);
      },
      callback: function (response) {
        test.responses.push(response);
        window.ngoTrace && window.ngoTrace.moment(response);
      }
    });
  };
  document.head.appendChild(script);
})();
