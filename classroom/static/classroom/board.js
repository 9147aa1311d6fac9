// The trainer's code board: the QR changes every 30 s (asks the server for the next code when the
// countdown ends) and the attendance list below it is refreshed every few seconds (an HTML fragment).
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var board = document.querySelector("[data-board]");
  var config = lib.readJson("board-config");
  if (!board || !config) { return; }
  var qr = board.querySelector("[data-qr]");
  var bar = board.querySelector("[data-countdown]");
  var label = board.querySelector("[data-countdown-text]");
  var offline = board.querySelector("[data-offline]");
  var list = document.querySelector("[data-attendance]");
  var expiresAt = Date.now() + Number(bar.value) * 1000;

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r;
    });
  }
  function showOffline(on) {
    offline.hidden = !on;
    offline.textContent = on ? config.offline : "";
  }
  function refreshCode() {
    getJson(config.code_url).then(function (r) { return r.json(); }).then(function (data) {
      qr.innerHTML = data.svg;
      board.setAttribute("data-sign-url", data.url);
      var opens = board.querySelector("[data-sign-in-opens]");
      if (opens && !data.sign_in_opens) { opens.hidden = true; }
      expiresAt = Date.now() + data.seconds_left * 1000;
      showOffline(false);
    }).catch(function () {
      showOffline(true);
      expiresAt = Date.now() + 3000;
    });
  }
  function tick() {
    var left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
    bar.value = left;
    label.textContent = lib.format(config.countdown, { s: left });
    if (left <= 0) { expiresAt = Date.now() + 60000; refreshCode(); }
  }
  function refreshList() {
    getJson(config.attendance_url).then(function (r) { return r.text(); }).then(function (html) {
      list.innerHTML = html;
    }).catch(function () { /* the next poll tries again */ }).then(function () {
      window.setTimeout(refreshList, config.poll_seconds * 1000);
    });
  }
  // 结束课堂 cannot be undone: ask once.
  var closeForm = document.querySelector("[data-close-form]");
  if (closeForm) {
    closeForm.addEventListener("submit", function (event) {
      if (!window.confirm(config.confirm_close)) { event.preventDefault(); }
    });
  }
  window.setInterval(tick, 250);
  window.setTimeout(refreshList, config.poll_seconds * 1000);
})();
