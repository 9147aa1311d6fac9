// Lesson player: sends heartbeats; the server decides what is credited.
// The client-side rules (no seeking ahead, rate cap, idle lock, pause when
// hidden) are a courtesy to honest learners: the server enforces them anyway.
// Time is the server's: heartbeats carry no device time (a phone whose clock
// runs fast would have every heartbeat refused as "from the future"), and the
// idle lock measures with the monotonic clock, which a clock change leaves alone.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var root = document.getElementById("player");
  if (!root) return;
  var api = root.dataset.api;
  var kind = root.dataset.kind;
  var end = parseInt(root.dataset.end, 10) || 0;
  var requiredSeconds = (parseInt(root.dataset.required, 10) || 1) * 60;
  var csrf = lib.csrfToken();
  var video = document.getElementById("lesson-video");
  var doc = document.getElementById("lesson-doc");
  var article = document.getElementById("lesson-article");
  var stateEl = root.querySelector("[data-state]");
  var creditedEl = root.querySelector("[data-credited]");
  var barEl = root.querySelector("[data-bar]");
  var lockEl = root.querySelector("[data-idle-lock]");
  var takeoverEl = root.querySelector("[data-takeover]");

  var session = null; // {token, heartbeat_seconds, idle_lock_seconds, max_playback_rate}
  var seq = 0;
  var furthest = 0;
  var page = 1;
  var timer = null;
  var interacted = false;
  var lastInteraction = performance.now();
  var locked = false;
  var stopped = false;

  function say(text) { if (stateEl) stateEl.textContent = text; }
  function msg(name) { return root.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || ""; }

  function post(path, body, keepalive) {
    return lib.request(api + path, { csrf: csrf, json: body || {}, keepalive: keepalive });
  }

  function showCredited(seconds) {
    if (creditedEl) creditedEl.textContent = Math.floor(seconds / 60);
    root.dataset.creditedSeconds = String(seconds);
    if (barEl) barEl.style.width = Math.min(100, Math.round(seconds * 100 / requiredSeconds)) + "%";
  }

  function position() {
    if (kind === "video" && video) return Math.floor(video.currentTime || 0);
    if (kind === "document") return page;
    if (article) {
      var rect = article.getBoundingClientRect();
      var read = window.innerHeight - rect.top;
      return Math.max(0, Math.min(100, Math.round(read * 100 / Math.max(1, rect.height))));
    }
    return 0;
  }

  function lock() {
    if (locked) return;
    locked = true;
    root.dataset.locked = "1";
    if (video && !video.paused) video.pause();
    if (lockEl) lockEl.hidden = false;
  }

  function unlock() {
    if (!session) return;
    post("presence/", { token: session.token }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.unlocked) {
        locked = false;
        root.dataset.locked = "0";
        lastInteraction = performance.now();
        interacted = true;
        if (lockEl) lockEl.hidden = true;
      }
    });
  }

  function beat() {
    if (!session || stopped) return Promise.resolve();
    if (!locked && performance.now() - lastInteraction > session.idle_lock_seconds * 1000) lock();
    seq += 1;
    var body = {
      token: session.token,
      client_seq: seq,
      position: position(),
      visible: document.visibilityState === "visible",
      playback_rate: video ? video.playbackRate : 1,
      interaction: interacted
    };
    interacted = false;
    return post("heartbeat/", body).then(function (r) {
      return jsonUnlessTakenOver(r, function () {
        stopped = true;
        if (video) video.pause();
      });
    }).then(function (data) {
      if (!data) return;
      root.dataset.lastReason = data.reason;
      furthest = Math.max(furthest, data.furthest);
      showCredited(data.credited_total);
      if (data.locked) lock();
      if (data.reason === "seek_ahead" && video) { video.currentTime = data.furthest; say(msg("seek")); }
      else if (data.reason === "rate_too_high") say(msg("rate"));
      else if (data.reason === "hidden") say(msg("hidden"));
      else if (data.reason === "paused") say(msg("paused"));
      else if (data.reason === "lesson_credit_full") say(msg("full"));
      else if (data.credited > 0) say("+" + data.credited + "s");
      if (data.completed) { root.dataset.completed = "1"; say(msg("done")); }
      var quizEl = document.querySelector("[data-quiz]");
      if (quizEl && data.credited_total >= requiredSeconds && data.furthest >= (kind === "video" ? end - 1 : end)) quizEl.hidden = false;
      document.dispatchEvent(new CustomEvent("training:heartbeat", { detail: data }));
    }).catch(function () { /* offline: the next heartbeat carries on; nothing is credited for the gap beyond the cap */ });
  }

  // 409: the lesson plays in another window; offer to take it over. Else the JSON body of a 2xx, or null.
  function jsonUnlessTakenOver(r, onConflict) {
    if (r.status === 409) {
      if (onConflict) onConflict();
      say(msg("another"));
      if (takeoverEl) takeoverEl.hidden = false;
      return null;
    }
    return r.ok ? r.json() : null;
  }

  function start(takeover) {
    return post("start/", { takeover: !!takeover }).then(function (r) {
      return jsonUnlessTakenOver(r);
    }).then(function (data) {
      if (!data) return;
      session = data;
      stopped = false;
      if (takeoverEl) takeoverEl.hidden = true;
      furthest = data.furthest;
      showCredited(data.credited_seconds);
      say("");
      if (video) {
        var resume = function () { if (data.position && data.position < (video.duration || Infinity)) video.currentTime = data.position; };
        if (video.readyState >= 1) resume(); else video.addEventListener("loadedmetadata", resume, { once: true });
      }
      if (kind === "document") setPage(Math.max(1, data.position || 1));
      root.dataset.ready = "1";
      if (timer) clearInterval(timer);
      timer = setInterval(beat, data.heartbeat_seconds * 1000);
      beat();
    });
  }

  // --- video: no seeking ahead, rate cap, pause when hidden ---
  if (video) {
    var lastTime = 0;
    video.addEventListener("timeupdate", function () {
      if (!video.seeking && video.currentTime <= furthest + 2 && video.currentTime > lastTime && video.currentTime - lastTime < 3) {
        furthest = Math.max(furthest, Math.floor(video.currentTime));
      }
      lastTime = video.currentTime;
    });
    video.addEventListener("seeking", function () {
      if (video.currentTime > furthest + 1) {
        video.currentTime = furthest;
        root.dataset.seekRefused = String((parseInt(root.dataset.seekRefused || "0", 10)) + 1);
        say(msg("seek"));
      }
    });
    video.addEventListener("ratechange", function () {
      var max = session ? session.max_playback_rate : 1.5;
      if (video.playbackRate > max) video.playbackRate = max;
    });
    video.addEventListener("play", function () { if (locked) video.pause(); });
  }

  // --- document: one page at a time (lib.showPage: each page an image drawn by the server) ---
  function setPage(n) {
    page = Math.max(1, Math.min(end || 1, n));
    var pageEl = root.querySelector("[data-page]");
    if (pageEl) pageEl.textContent = page;
    if (prev) prev.disabled = page <= 1;
    if (doc && doc.dataset.pageUrl) lib.showPage(doc, page, end);
  }
  var next = root.querySelector("[data-page-next]");
  var prev = root.querySelector("[data-page-prev]");
  if (doc && kind === "document") setPage(1);
  if (next) next.addEventListener("click", function () { if (page <= furthest) setPage(page + 1); else say(msg("seek")); });
  if (prev) prev.addEventListener("click", function () { setPage(page - 1); });

  // --- activity and visibility ---
  ["pointerdown", "keydown", "touchstart", "wheel", "scroll"].forEach(function (name) {
    window.addEventListener(name, function () { if (!locked) { lastInteraction = performance.now(); interacted = true; } }, { passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" && video && !video.paused) video.pause();
  });
  var stillHere = root.querySelector("[data-still-here]");
  if (stillHere) stillHere.addEventListener("click", unlock);
  if (takeoverEl) takeoverEl.addEventListener("click", function () { start(true); });
  window.addEventListener("pagehide", function () {
    if (session && !stopped) post("stop/", { token: session.token }, true);
  });

  // A small surface for tests and for the proctoring add-on.
  window.safetrainPlayer = { beat: beat, lock: lock, unlock: unlock, state: function () {
    return { furthest: furthest, locked: locked, seq: seq, page: page, token: session && session.token };
  } };

  if (root.dataset.assigned === "1") start(false);
})();
