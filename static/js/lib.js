// The helpers every page script shares: JSON data blocks, local storage, CSRF,
// JSON requests and a websocket that reconnects. A plain script (no modules, no
// eval: the CSP allows only our own files), loaded deferred from <head> by
// base.html, so it runs before every other deferred script of the page.
(function () {
  "use strict";

  // The value of a {{ value|json_script:"id" }} block, or null when the page has none.
  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // JSON values in localStorage under keys that start with prefix. Private mode
  // or a full quota: reads give the fallback, writes are dropped (memory only).
  function storage(prefix) {
    return {
      load: function (key, fallback) {
        try { var v = localStorage.getItem(prefix + key); return v ? JSON.parse(v) : fallback; } catch (e) { return fallback; }
      },
      save: function (key, value) {
        try { localStorage.setItem(prefix + key, JSON.stringify(value)); } catch (e) { /* memory only */ }
      }
    };
  }

  // Django's CSRF token from the {% csrf_token %} input inside scope (default: the document).
  function csrfToken(scope) {
    return ((scope || document).querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  }

  // A same-origin request that asks for JSON. options: method (POST), csrf (the
  // token; read from the document when absent), json (sent as a JSON body) or
  // body (sent as it is, e.g. FormData), keepalive. Resolves to the Response.
  function request(url, options) {
    options = options || {};
    var headers = { "X-CSRFToken": options.csrf === undefined ? csrfToken() : options.csrf, "Accept": "application/json" };
    var body = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    return fetch(url, {
      method: options.method || "POST",
      credentials: "same-origin",
      keepalive: !!options.keepalive,
      headers: headers,
      body: body
    });
  }

  // A response's JSON body, or {} when it has none (a proxy's HTML error page, an empty body).
  function jsonBody(response) {
    return response.json().catch(function () { return {}; });
  }

  // A websocket to path on this host that reconnects with exponential backoff
  // (0.5 s doubling to 15 s, jittered) until options.stopped() says otherwise.
  // options: path, binaryType, onOpen(), onMessage(msg) with each text frame
  // parsed as JSON (other and unparsable frames are ignored), onClose(), stopped().
  // Returns { send(data) (dropped unless open), close() (reconnects), isOpen() }.
  function reconnectingSocket(options) {
    var socket = null, retries = 0;
    function stopped() { return !!(options.stopped && options.stopped()); }
    function connect() {
      if (stopped()) { return; }
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + options.path;
      socket = new WebSocket(url);
      if (options.binaryType) { socket.binaryType = options.binaryType; }
      socket.onopen = function () { retries = 0; if (options.onOpen) { options.onOpen(); } };
      socket.onmessage = function (e) {
        if (typeof e.data !== "string") { return; }
        try { options.onMessage(JSON.parse(e.data)); } catch (err) { /* ignore a bad frame */ }
      };
      socket.onclose = function () {
        if (options.onClose) { options.onClose(); }
        if (stopped()) { return; }
        var delay = Math.min(15000, 500 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
        retries += 1;
        setTimeout(connect, delay);
      };
    }
    connect();
    return {
      send: function (data) { if (socket && socket.readyState === 1) { socket.send(data); } },
      close: function () { if (socket) { socket.close(); } },
      isOpen: function () { return !!socket && socket.readyState === 1; }
    };
  }

  // A UI string with {name} placeholders filled in: format("第 {n} 题", { n: 3 }). Unknown names stay as written.
  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (all, key) { return values[key] === undefined ? all : String(values[key]); });
  }

  // A document shown one page image at a time (training.pdf_pages; phones show no PDF inside a page): the
  // img's data-page-url holds the URL with {page} where the number goes, data-page-alt its text. Shows page
  // n of count, loads the next one ahead, and brings a page taller than the screen back to its top.
  function showPage(img, n, count) {
    var url = format(img.dataset.pageUrl, { page: n });
    if (img.getAttribute("src") !== url) {
      img.src = url;
      img.alt = format(img.dataset.pageAlt || "", { page: n });
    }
    if (n < count) { new Image().src = format(img.dataset.pageUrl, { page: n + 1 }); }
    if (img.getBoundingClientRect().top < 0) { img.scrollIntoView({ block: "start" }); }
  }

  window.SafetrainLib = {
    readJson: readJson,
    storage: storage,
    csrfToken: csrfToken,
    request: request,
    jsonBody: jsonBody,
    reconnectingSocket: reconnectingSocket,
    format: format,
    showPage: showPage
  };
})();
