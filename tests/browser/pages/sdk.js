// Test page for the SDK exactly as the IdP serves it: sdk.js adds
// <script src="{idp}/static/lxl-id.js"> (the page is static and its CSP allows no inline
// script), then calls lxl.accounts.id.initialize() with options from the query string, and
// records every callback, on_moment event and message from the IdP origin in window.sdkTest,
// each stamped with performance.now(), for Selenium to poll.
//
// Query: idp (the IdP origin, required), client_id (default ngo-demo), auto_select (default
// true: the SDK only signs in by itself), itp_support, nonce, timeout_ms, log_level, and
// manual=1 to load the SDK without calling initialize() (the test calls sdkTest.init()).
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var idp = params.get("idp");

  function flag(name, fallback) {
    var value = params.get(name);
    return value === null ? fallback : value === "true" || value === "1";
  }

  var test = window.sdkTest = {
    loaded: false,
    /** performance.now() of the latest initialize() call. */
    startedAt: null,
    /** {at, since, response}: since = ms from the latest initialize(). */
    callbacks: [],
    /** {at, since, moment}. */
    moments: [],
    /** {at, data}: every message the page got from the IdP origin (frames' answers). */
    messages: [],
    /** ms of each bare cross-site frame round trip (bare()). */
    bareTimes: [],

    /** The initialize() options this page's query asks for, with ``overrides``. */
    options: function (overrides) {
      var options = {
        client_id: params.get("client_id") || "ngo-demo",
        auto_select: flag("auto_select", true),
        callback: function (response) {
          var at = performance.now();
          test.callbacks.push({at: at, since: at - test.startedAt, response: response});
        },
        on_moment: function (moment) {
          var at = performance.now();
          test.moments.push({at: at, since: at - test.startedAt, moment: moment});
        }
      };
      if (params.has("itp_support")) options.itp_support = flag("itp_support", false);
      if (params.has("nonce")) options.nonce = params.get("nonce");
      if (params.has("timeout_ms")) options.timeout_ms = Number(params.get("timeout_ms"));
      if (params.has("log_level")) options.log_level = params.get("log_level");
      return Object.assign(options, overrides || {});
    },

    /** Call initialize() afresh: it cancels what an earlier call started. */
    init: function (overrides) {
      var options = test.options(overrides);
      test.startedAt = performance.now();
      window.lxl.accounts.id.initialize(options);
    },

    /** Forget what was recorded (before a measured run). */
    clear: function () {
      test.callbacks.length = test.moments.length = test.messages.length = 0;
    },

    /** Names of the page's resource timing entries (its own requests, not its frames'). */
    resources: function () {
      return performance.getEntriesByType("resource").map(function (entry) { return entry.name; });
    },

    /** A bare hidden cross-site frame whose page posts back at once: the floor of any frame flow. */
    bare: function () {
      var started = performance.now();
      var frame = document.createElement("iframe");
      function answered(event) {
        if (event.source !== frame.contentWindow || event.origin !== idp) return;
        test.bareTimes.push(performance.now() - started);
        removeEventListener("message", answered);
        frame.remove();
      }
      addEventListener("message", answered);
      frame.hidden = true;
      frame.src = idp + "/test-pages/bare.html?" + new URLSearchParams({origin: location.origin});
      document.body.appendChild(frame);
    }
  };

  addEventListener("message", function (event) {
    if (event.origin === idp) test.messages.push({at: performance.now(), data: event.data});
  });

  var script = document.createElement("script");
  script.src = idp + "/static/lxl-id.js";
  script.onload = function () {
    test.loaded = true;
    if (params.get("manual") !== "1") test.init();
  };
  document.head.appendChild(script);
})();
