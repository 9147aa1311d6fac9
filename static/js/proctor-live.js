// The proctor's live grid: rows from the database on (re)connect, then live updates.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var cfg = lib.readJson("live-config");
  if (!cfg) { return; }
  var text = lib.readJson("live-text");
  var grid = document.querySelector("[data-grid]");
  var template = document.querySelector("[data-tile-template]");
  var stateEl = document.querySelector("[data-live-state]");
  var pendingBox = document.querySelector("[data-pending-list]");
  var emptyBox = document.querySelector("[data-grid-empty]");
  var tiles = {};
  var socket = null;

  // The tiles the page came with (its rows from the database), then those the socket adds.
  function bind(el, id) {
    el.querySelector("[data-warn]").addEventListener("click", function () {
      var message = window.prompt(text.warn_prompt);
      if (message) { send({ type: "warn", attempt: Number(id), text: message }); }
    });
    el.querySelector("[data-liveness]").addEventListener("click", function () {
      send({ type: "liveness", attempt: Number(id) });
    });
    el.querySelector("[data-stop]").addEventListener("click", function () {
      var reason = window.prompt(text.stop_prompt);
      if (reason) { send({ type: "terminate", attempt: Number(id), reason: reason }); }
    });
    tiles[id] = el;
  }
  Array.prototype.forEach.call(grid.querySelectorAll("[data-tile][data-attempt]"), function (el) {
    bind(el, el.getAttribute("data-attempt"));
  });
  function tile(id) {
    if (tiles[id]) { return tiles[id]; }
    var el = template.content.firstElementChild.cloneNode(true);
    el.setAttribute("data-attempt", id);
    el.querySelector("[data-review]").href = cfg.review_url.replace(/\/0\/$/, "/" + id + "/");
    bind(el, id);
    grid.appendChild(el);
    emptyBox.hidden = true;
    return el;
  }
  // Warn, liveness and stop only while the attempt runs (the server refuses them after): disabled, with why.
  function actionsFor(el, status) {
    var off = status !== "in_progress";
    Array.prototype.forEach.call(el.querySelectorAll("[data-warn], [data-liveness], [data-stop]"), function (b) { b.disabled = off; });
    var why = el.querySelector("[data-actions-off]");
    why.textContent = off ? (text["actions_off_" + status] || text[status] || status) : "";
    why.hidden = !off;
  }
  function set(el, selector, value) { var t = el.querySelector(selector); if (t && value !== undefined && value !== null) { t.textContent = value; } }
  function apply(row) {
    var el = tile(row.attempt);
    if (row.name) { set(el, "[data-name]", row.name); }
    if (row.status) { set(el, "[data-status]", text[row.status] || row.status); el.setAttribute("data-status-value", row.status); actionsFor(el, row.status); }
    if (row.online !== undefined) { set(el, "[data-online]", row.online ? text.online : text.offline); el.classList.toggle("offline", !row.online); }
    set(el, "[data-events]", row.events);
    set(el, "[data-switches]", row.tab_switches);
    set(el, "[data-warnings]", row.warnings);
    set(el, "[data-flags]", row.flags);
    if (row.flags) { el.classList.add("flagged"); }
    if (row.face) { set(el, "[data-face]", text[row.face] || row.face); el.querySelector("[data-face]").hidden = false; el.setAttribute("data-face-value", row.face); }
    if (row.distance !== undefined) { set(el, "[data-distance]", row.distance === null ? "" : String(row.distance)); }
    // Badges with their (translated) text in the template; the row only says whether they show.
    if (row.snapshots_missing !== undefined) { el.querySelector("[data-snapshots-missing]").hidden = !row.snapshots_missing; el.classList.toggle("snapshots-missing", !!row.snapshots_missing); }
    if (row.storage_full !== undefined) { el.querySelector("[data-storage-full]").hidden = !row.storage_full; }
    if (row.consent_withdrawn !== undefined) { el.querySelector("[data-consent-withdrawn]").hidden = !row.consent_withdrawn; }
    if (row.liveness) { var badge = el.querySelector("[data-liveness-state]"); badge.textContent = text["liveness_" + row.liveness] || row.liveness; badge.hidden = false; }
    if (row.thumbnail) { var img = el.querySelector("[data-thumb]"); img.src = row.thumbnail; img.hidden = false; }
  }
  function onMessage(msg) {
    if (msg.type === "rows") {
      msg.rows.forEach(apply);
      pendingBox.hidden = !msg.identity_pending.length && !pendingBox.querySelector("li");
    } else if (msg.type === "event" || msg.type === "face" || msg.type === "presence" || msg.type === "status" || msg.type === "snapshots" || msg.type === "liveness") {
      if (msg.type === "liveness") { msg.liveness = msg.status; delete msg.status; }
      if (msg.type === "presence") { msg.online = msg.online; }
      if (!tiles[msg.attempt]) { send({ type: "resync" }); return; }
      apply(msg);
    } else if (msg.type === "events") {
      var missing = false;
      msg.rows.forEach(function (row) { if (tiles[row.attempt]) { apply(row); } else { missing = true; } });
      if (missing) { send({ type: "resync" }); }
    } else if (msg.type === "identity_pending") {
      window.location.reload();
    } else if (msg.type === "identity_decided") {
      // Decided (here or by another proctor): the check leaves the list.
      var done = document.querySelector('[data-pending-check="' + msg.check + '"]');
      if (done) { done.remove(); }
      pendingBox.hidden = !pendingBox.querySelector("li");
    } else if (msg.type === "error") {
      window.alert(msg.detail);
    }
  }
  function showState(state) {
    stateEl.textContent = text[state];
    stateEl.setAttribute("data-live-state", state);
    stateEl.classList.toggle("ok", state === "connected");
    stateEl.classList.toggle("warn", state !== "connected");
  }
  function send(msg) { if (socket) { socket.send(JSON.stringify(msg)); } }
  socket = lib.reconnectingSocket({
    path: cfg.ws_url,
    onOpen: function () { showState("connected"); document.body.setAttribute("data-live", "1"); },
    onMessage: onMessage,
    onClose: function () { showState("reconnecting"); document.body.setAttribute("data-live", "0"); }
  });
})();
