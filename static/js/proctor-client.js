// In-exam proctoring client: browser events over a websocket with acknowledged,
// resent-after-reconnect sequence numbers; camera snapshots at random intervals.
//
// Every event gets the next client sequence number and waits in a queue kept in
// localStorage until the server acknowledges it (the server stores before it
// acks). After a reconnect the server's "hello" says which sequence number it
// holds; everything after that is resent, in order, so no event is lost and
// none is stored twice. The socket reconnects with exponential backoff.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var cfg = lib.readJson("proctor-config");
  if (!cfg) { return; }
  var text = lib.readJson("proctor-text");
  var warningEl = document.querySelector("[data-proctor-warning]");
  var promptEl = document.querySelector("[data-face-prompt]");
  var dot = document.querySelector("[data-proctor-dot]");
  var video = document.querySelector("[data-proctor-video]");
  var body = document.body;
  var stored = lib.storage("proctor:" + cfg.attempt_id + ":");
  var seq = stored.load("seq", 0);
  var queue = stored.load("queue", []);
  var socket = null;
  var ready = false;
  var finished = false;
  var cameraOff = false;  // consent withdrawn mid-exam: no frame is accepted any more
  var snapTimer = null;  // the next snapshot (schedule); a face result with retry_in brings it forward
  var hiddenAt = null, blurAt = null, offlineAt = null, hiddenSinceBlur = false;

  function mark() {
    body.setAttribute("data-proctor-pending", String(queue.length));
    body.setAttribute("data-proctor-seq", String(seq));
  }
  function save() { stored.save("seq", seq); stored.save("queue", queue); mark(); }

  function record(type, extra) {
    if (finished) { return; }
    seq += 1;
    var item = { type: "event", seq: seq, event: type, at: new Date().toISOString() };
    if (extra) { Object.keys(extra).forEach(function (k) { item[k] = extra[k]; }); }
    queue.push(item);
    save();
    if (ready) { socket.send(JSON.stringify(item)); }
  }

  function showWarning(message) {
    warningEl.textContent = message;
    warningEl.hidden = false;
    body.setAttribute("data-proctor-warnings", String(Number(body.getAttribute("data-proctor-warnings") || 0) + 1));
  }
  function finish(message) {
    if (finished) { return; }
    finished = true;
    if (overlay && !overlay.hidden) { closeLiveness(); }
    queue = [];
    save();
    showWarning(message || text.submitted);
    body.setAttribute("data-proctor-finished", "1");
    if (window.SafetrainCamera) { window.SafetrainCamera.stop(); }
    setTimeout(function () { window.location.href = cfg.result_url; }, 2500);
  }

  function onMessage(msg) {
    if (msg.type === "hello") {
      if (msg.finished) { finish(); return; }
      queue = queue.filter(function (item) { return item.seq > msg.last_seq; });
      if (seq < msg.last_seq) { seq = msg.last_seq; }
      ready = true;
      save();
      queue.forEach(function (item) { socket.send(JSON.stringify(item)); });
    } else if (msg.type === "ack") {
      queue = queue.filter(function (item) { return item.seq > msg.seq; });
      body.setAttribute("data-proctor-acked", String(msg.seq));
      body.setAttribute("data-proctor-switches", String(msg.tab_switches));
      save();
    } else if (msg.type === "warning") {
      if (msg.consent_withdrawn) { stopCamera(); }
      showWarning((msg.from_proctor ? text.warning + " " : "") + msg.text);
    } else if (msg.type === "submitted") {
      finish(msg.text);
    } else if (msg.type === "liveness_request") {
      openLiveness();
    } else if (msg.type === "face") {
      body.setAttribute("data-proctor-face", msg.outcome);
      if (msg.prompt) { promptEl.hidden = false; record("face_prompt"); } else if (msg.outcome === "match") { promptEl.hidden = true; }
      // Uncertain: the server asks for another frame soon instead of at the next random interval.
      if (msg.retry_in > 0 && !finished && !cameraOff) { schedule(msg.retry_in * 1000); }
    } else if (msg.type === "error") {
      if (msg.code === "attempt_finished") { finish(); return; }
      if (msg.code === "consent_required") { stopCamera(); return; }
      if (msg.code === "out_of_sequence" && msg.expected) {
        // The server is missing events we no longer hold: renumber what is left from where it stands.
        var next = msg.expected;
        queue.forEach(function (item) { item.seq = next; next += 1; });
        seq = next - 1;
        save();
        queue.forEach(function (item) { socket.send(JSON.stringify(item)); });
      }
    }
  }

  function connect() {
    socket = lib.reconnectingSocket({
      path: cfg.ws_url,
      binaryType: "arraybuffer",
      onOpen: function () { dot.classList.add("on"); body.setAttribute("data-proctor-connected", "1"); },
      onMessage: onMessage,
      onClose: function () {
        ready = false;
        dot.classList.remove("on");
        body.setAttribute("data-proctor-connected", "0");
      },
      stopped: function () { return finished; }
    });
  }
  // Tests and the exam page may drop the connection on purpose to check the resend.
  window.SafetrainProctor = { reconnect: function () { if (socket) { socket.close(); } }, record: record };

  // --- browser events ---------------------------------------------------------------
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      hiddenAt = performance.now();
      hiddenSinceBlur = true;
      record("hidden");
    } else if (hiddenAt !== null) {
      record("visible", { duration_ms: Math.round(performance.now() - hiddenAt) });
      hiddenAt = null;
    }
  });
  window.addEventListener("blur", function () { blurAt = performance.now(); hiddenSinceBlur = false; record("blur"); });
  window.addEventListener("focus", function () {
    if (blurAt === null) { return; }
    record("focus", { duration_ms: Math.round(performance.now() - blurAt), hidden_during: hiddenSinceBlur });
    blurAt = null;
  });
  document.addEventListener("fullscreenchange", function () { if (!document.fullscreenElement) { record("fullscreen_exit"); } });
  ["copy", "paste", "contextmenu"].forEach(function (name) { document.addEventListener(name, function () { record(name); }); });
  window.addEventListener("pagehide", function () { record("unload"); });
  window.addEventListener("offline", function () { offlineAt = performance.now(); record("offline"); });
  window.addEventListener("online", function () {
    record("online", offlineAt === null ? null : { duration_ms: Math.round(performance.now() - offlineAt) });
    offlineAt = null;
  });

  // --- on-demand liveness (a proctor's request) -------------------------------------------
  // The overlay is opaque and the rest of the page inert while it is open: the paper can be
  // neither read nor answered behind it. The examinee starts the check, sees the result, goes back.
  var overlay = document.querySelector("[data-liveness-overlay]");
  var liveness = null;
  function setInert(on) {
    Array.prototype.forEach.call(body.children, function (el) { if (el !== overlay) { el.inert = on; } });
  }
  function closeLiveness() {
    overlay.hidden = true;
    setInert(false);
    body.removeAttribute("data-liveness-open");
  }
  function openLiveness() {
    if (!overlay || !window.SafetrainLiveness || finished || !overlay.hidden) { return; }
    var overlayVideo = overlay.querySelector("[data-liveness-video]");
    var back = overlay.querySelector("[data-liveness-close]");
    if (!liveness) {
      body.appendChild(overlay);  // out of <main>, so that everything else can be made inert
      liveness = window.SafetrainLiveness.mount(overlay.querySelector("[data-liveness]"), {
        video: overlayVideo,
        csrf: lib.csrfToken(),
        onPassed: function () { back.hidden = false; },
        onFailed: function () { back.hidden = false; }
      });
      back.addEventListener("click", closeLiveness);
    }
    liveness.reset();
    back.hidden = true;
    overlay.hidden = false;
    setInert(true);
    body.setAttribute("data-liveness-open", "1");
    overlay.querySelector("[data-liveness-start]").focus();
    window.SafetrainCamera.start(overlayVideo).catch(function () { showWarning(text.camera); back.hidden = false; });
  }

  // --- snapshots --------------------------------------------------------------------
  function stopCamera() {
    cameraOff = true;
    if (window.SafetrainCamera) { window.SafetrainCamera.stop(); }
  }
  function nextDelay() {
    var low = cfg.snapshot_min * 1000, high = cfg.snapshot_max * 1000;
    return low + Math.random() * (high - low);
  }
  function snap() {
    if (finished || cameraOff) { return; }
    if (ready && video.videoWidth) {
      window.SafetrainCamera.capture(video, 320, 0.7).then(function (blob) {
        if (blob.size > cfg.max_bytes || !ready) { return; }
        return blob.arrayBuffer().then(function (buffer) {
          socket.send(buffer);
          body.setAttribute("data-proctor-snapshots", String(Number(body.getAttribute("data-proctor-snapshots") || 0) + 1));
        });
      }).catch(function () {});
    }
    schedule(nextDelay());
  }
  function schedule(delay) {
    clearTimeout(snapTimer);
    snapTimer = setTimeout(snap, delay);
  }
  if (cfg.camera && window.SafetrainCamera) {
    window.SafetrainCamera.start(video).then(function () {
      schedule(Math.min(3000, nextDelay()));
    }).catch(function () { showWarning(text.camera); });
  }
  mark();
  connect();
})();
