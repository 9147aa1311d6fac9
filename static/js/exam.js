// Exam page: server-authoritative countdown, autosave with an offline queue, submit.
//
// Every change gets a higher client_seq for its question and goes into a
// queue kept in localStorage (only the latest answer per question), then is
// PUT to the server. The queue survives a crash or a lost connection and is
// resent on reconnect; a banner shows while anything is unsaved. The time
// left is deadline - server_time, advanced with the monotonic clock; the
// device's wall clock is never read for it.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var cfg = lib.readJson("exam-config");
  if (!cfg) { return; }
  var text = lib.readJson("exam-text");
  var form = document.querySelector("[data-exam-form]");
  var csrf = lib.csrfToken(form);
  var stored = lib.storage("exam:" + cfg.attempt_id + ":");
  var banner = document.querySelector("[data-unsaved]");
  var bannerCount = document.querySelector("[data-unsaved-count]");
  var fatal = document.querySelector("[data-fatal]");
  var saveState = document.querySelector("[data-save-state]");
  var answeredEl = document.querySelector("[data-answered]");
  var timerEl = document.querySelector("[data-timer]");
  var stopped = false;
  var flushing = null; // the promise of the flush in flight
  var retryTimer = null;
  var submitting = false;

  var queue = stored.load("queue", {});
  var seqs = stored.load("seq", {});
  Object.keys(cfg.saved).forEach(function (qid) {
    seqs[qid] = Math.max(seqs[qid] || 0, cfg.saved[qid].client_seq);
  });

  // --- the server's clock -------------------------------------------------------
  var deadline = Date.parse(cfg.deadline);
  var serverAt = Date.parse(cfg.server_time);
  var perfAt = performance.now();
  function serverNow() { return serverAt + (performance.now() - perfAt); }
  function resync(serverTime) {
    var t = Date.parse(serverTime);
    if (!isNaN(t)) { serverAt = t; perfAt = performance.now(); }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.floor((deadline - serverNow()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    timerEl.textContent = (h ? h + ":" : "") + pad(m) + ":" + pad(s);
    timerEl.classList.toggle("low", left <= 300);
    if (left <= 0 && !stopped) { timeUp(); return; }
    if (!stopped) { setTimeout(tick, 1000 - (serverNow() % 1000)); }
  }

  // --- answers in the form ----------------------------------------------------------
  function box(qid) { return form.querySelector('[data-question="' + qid + '"]'); }
  function readAnswer(fs) {
    var type = fs.getAttribute("data-type");
    var inputs = fs.querySelectorAll("input");
    if (type === "fill_blank") {
      var texts = Array.prototype.map.call(inputs, function (i) { return i.value; });
      return texts.every(function (t) { return t.trim() === ""; }) ? null : texts;
    }
    var picked = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (!picked.length) { return null; }
    if (type === "true_false") { return picked[0] === "true"; }
    return picked.sort().join("");
  }
  function showAnswer(fs, answer) {
    var type = fs.getAttribute("data-type");
    var inputs = fs.querySelectorAll("input");
    Array.prototype.forEach.call(inputs, function (input, i) {
      if (type === "fill_blank") { input.value = answer ? (answer[i] || "") : ""; }
      else if (type === "true_false") { input.checked = answer !== null && String(answer) === input.value; }
      else { input.checked = !!answer && String(answer).indexOf(input.value) !== -1; }
    });
  }
  function countAnswered() {
    var n = 0;
    form.querySelectorAll("[data-question]").forEach(function (fs) { if (readAnswer(fs) !== null) { n += 1; } });
    answeredEl.textContent = n;
  }

  // --- the queue --------------------------------------------------------------------
  function pending() { return Object.keys(queue).length; }
  function showQueue() {
    var n = pending();
    banner.hidden = n === 0;
    bannerCount.textContent = n ? String(n) : "";
    saveState.textContent = n ? text.pending + " " + n : text.saved;
    document.body.setAttribute("data-unsaved-count", String(n));
  }
  var last = {};
  function enqueue(qid, answer) {
    var key = JSON.stringify(answer);
    if (last[qid] === key) { return; } // unchanged (a change event after the debounced input one)
    last[qid] = key;
    seqs[qid] = (seqs[qid] || 0) + 1;
    queue[qid] = { answer: answer, client_seq: seqs[qid] };
    stored.save("seq", seqs);
    stored.save("queue", queue);
    showQueue();
    flush();
  }
  function answerUrl(qid) { return cfg.answer_url.replace(/\/0\/$/, "/" + qid + "/"); }
  function scheduleRetry() {
    if (retryTimer || stopped) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 3000);
  }
  function stop(message, goToResult) {
    stopped = true;
    fatal.textContent = message;
    fatal.hidden = false;
    form.querySelectorAll("input, button").forEach(function (el) { el.disabled = true; });
    if (goToResult) { setTimeout(function () { window.location.href = cfg.result_url; }, 1500); }
  }
  function handleRefusal(body) {
    var code = body && body.code;
    if (code === "other_device") { stop(text.other_device, false); return true; }
    if (code === "attempt_closed" || code === "time_up") { stored.save("queue", {}); stop(text.closed, true); return true; }
    return false;
  }
  function flush() {
    if (flushing) { return flushing; }
    if (stopped) { return Promise.resolve(); }
    var ids = Object.keys(queue);
    if (!ids.length) { return Promise.resolve(); }
    saveState.textContent = text.saving;
    var chain = Promise.resolve();
    var failed = false;
    ids.forEach(function (qid) {
      chain = chain.then(function () {
        if (failed || stopped || !queue[qid]) { return; }
        var item = queue[qid];
        return lib.request(answerUrl(qid), {
          method: "PUT",
          csrf: csrf,
          json: { answer: item.answer, client_seq: item.client_seq, device: cfg.device }
        }).then(function (response) {
          return lib.jsonBody(response).then(function (body) {
            if (body.server_time) { resync(body.server_time); }
            if (response.ok || (response.status === 409 && body.code === "stale_client_seq") || response.status === 400 || response.status === 404) {
              // Saved, superseded by a newer save, or refused for good: it leaves the queue.
              if (queue[qid] && queue[qid].client_seq <= item.client_seq) { delete queue[qid]; stored.save("queue", queue); }
              if (response.status === 400 || response.status === 404) { fatal.textContent = body.detail || ""; fatal.hidden = false; }
            } else if (!handleRefusal(body)) {
              failed = true;
            }
          });
        }).catch(function () { failed = true; });
      });
    });
    flushing = chain.then(function () {
      flushing = null;
      showQueue();
      if (pending() && !stopped) {
        if (failed) { scheduleRetry(); } else { return flush(); }
      }
    });
    return flushing;
  }

  // --- submit -----------------------------------------------------------------------
  function submit(reason) {
    if (submitting) { return; }
    submitting = true;
    flush().then(function () {
      if (pending() && reason !== "time_up") { throw new Error("unsaved"); }
      return lib.request(cfg.submit_url, { csrf: csrf, json: { reason: reason } });
    }).then(function (response) {
      return lib.jsonBody(response).then(function (body) {
        if (response.ok || (body && body.code === "attempt_closed")) {
          stored.save("queue", {});
          stopped = true;
          window.location.href = cfg.result_url;
          return;
        }
        if (body && body.code === "time_not_up") { submitting = false; setTimeout(tick, 1000); return; }
        if (handleRefusal(body)) { return; }
        throw new Error("submit failed");
      });
    }).catch(function () {
      submitting = false;
      fatal.textContent = text.submit_failed;
      fatal.hidden = false;
      if (reason === "time_up") { setTimeout(function () { submit("time_up"); }, 3000); }
    });
  }
  function timeUp() {
    stopped = false;
    fatal.textContent = text.timeup;
    fatal.hidden = false;
    form.querySelectorAll("input").forEach(function (el) { el.disabled = true; });
    submit("time_up");
  }

  // --- wiring -----------------------------------------------------------------------
  form.querySelectorAll("[data-question]").forEach(function (fs) {
    var qid = fs.getAttribute("data-question");
    var local = queue[qid];
    var saved = cfg.saved[qid];
    if (local) { showAnswer(fs, local.answer); } else if (saved) { showAnswer(fs, saved.answer); }
    last[qid] = JSON.stringify(local ? local.answer : (saved ? saved.answer : null));
    var onChange = function () { if (!stopped) { enqueue(qid, readAnswer(fs)); countAnswered(); } };
    fs.addEventListener("change", onChange);
    if (fs.getAttribute("data-type") === "fill_blank") {
      var typingTimer = null;
      fs.addEventListener("input", function () {
        clearTimeout(typingTimer);
        typingTimer = setTimeout(onChange, 800);
      });
    }
  });
  document.querySelector("[data-submit]").addEventListener("click", function () {
    var unanswered = form.querySelectorAll("[data-question]").length - Number(answeredEl.textContent);
    var message = (unanswered ? text.unanswered + " " + unanswered + "\n" : "") + text.confirm;
    if (window.confirm(message)) { submit("examinee"); }
  });
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); } });
  countAnswered();
  showQueue();
  flush();
  tick();
})();
