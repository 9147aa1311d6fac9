// Exam page: server-authoritative countdown, autosave with an offline queue, submit.
//
// Every change gets a higher client_seq for its question and goes into a
// queue kept in localStorage (only the latest answer per question), then is
// PUT to the server. The queue survives a crash or a lost connection and is
// resent on reconnect; a banner shows while anything is unsaved. The time
// left is deadline - server_time, advanced with the monotonic clock; the
// device's wall clock is never read for it.
//
// Moving around the paper: on phones the questions sit side by side in a track
// that scrolls sideways, one per screen, with 上一题 / 下一题 and swipe; wider
// screens list them all. The answer card shows each number as answered,
// unanswered or flagged and jumps to it. Flags (and the question on screen) are
// kept in the same per-attempt local storage as the queue, so they survive a
// reload on this device. 交卷 first lists what is unanswered or flagged, each
// number a way back to it.
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
    paintCard();
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
          stored.save("flags", {});
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
    closeOverlays();
    fatal.textContent = text.timeup;
    fatal.hidden = false;
    form.querySelectorAll("input").forEach(function (el) { el.disabled = true; });
    submit("time_up");
  }

  // --- moving around the paper: one question per screen, the answer card, flags ------------
  var track = form.querySelector("[data-track]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
  var examBar = document.querySelector("[data-exam-bar]");
  var card = document.querySelector("[data-answer-card]");
  var cardItems = Array.prototype.slice.call(card.querySelectorAll("[data-card-item]"));
  var cardOpener = document.querySelector("[data-card-open]");
  var prevButton = document.querySelector("[data-prev]");
  var nextButton = document.querySelector("[data-next]");
  var positionEl = document.querySelector("[data-position]");
  var backdrop = document.querySelector("[data-backdrop]");
  var confirmBox = document.querySelector("[data-confirm]");
  var confirmSubmit = confirmBox.querySelector("[data-confirm-submit]");
  var paged = window.matchMedia("(max-width: 700px)"); // the CSS breakpoint of the sideways track
  var calm = window.matchMedia("(prefers-reduced-motion: reduce)");
  var flags = stored.load("flags", {});
  var current = 0;

  function qidAt(index) { return boxes[index].getAttribute("data-question"); }
  function isFlagged(index) { return !!flags[qidAt(index)]; }
  function describe(index, answered) {
    var parts = [lib.format(text.question_no, { n: index + 1 }), answered ? text.answered : text.unanswered];
    if (isFlagged(index)) { parts.push(text.flagged); }
    return parts.join(" · ");
  }
  // One number of the card (or of the confirmation): a filled square when answered, a dashed
  // one when not, a corner mark when flagged; the same words for screen readers and on hover.
  function paintNumber(button, index, answered) {
    button.setAttribute("data-state", answered ? "answered" : "unanswered");
    button.toggleAttribute("data-flagged", isFlagged(index));
    button.setAttribute("aria-label", describe(index, answered));
    button.title = describe(index, answered);
  }
  function paintCard() {
    boxes.forEach(function (fs, i) { paintNumber(cardItems[i], i, readAnswer(fs) !== null); });
  }
  function showFlag(index) {
    var on = isFlagged(index);
    var button = boxes[index].querySelector("[data-flag]");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? text.unflag : text.flag;
    boxes[index].classList.toggle("flagged", on);
  }
  function toggleFlag(index) {
    if (isFlagged(index)) { delete flags[qidAt(index)]; } else { flags[qidAt(index)] = true; }
    stored.save("flags", flags);
    showFlag(index);
    paintCard();
  }

  // The track is as tall as the question on screen, so 交卷 follows it rather than the tallest one.
  function fitTrack() {
    track.style.height = paged.matches && boxes[current] ? boxes[current].offsetHeight + "px" : "";
  }
  function setCurrent(index) {
    current = index;
    fitTrack();
    positionEl.textContent = lib.format(text.position, { n: index + 1, total: boxes.length });
    prevButton.disabled = index === 0;
    nextButton.disabled = index === boxes.length - 1;
    cardItems.forEach(function (item, i) {
      if (i === index) { item.setAttribute("aria-current", "step"); } else { item.removeAttribute("aria-current"); }
    });
    stored.save("at", index);
  }
  function goTo(index, focus) {
    index = Math.max(0, Math.min(boxes.length - 1, index));
    var how = calm.matches ? "auto" : "smooth";
    if (paged.matches) {
      track.scrollTo({ left: index * track.clientWidth, behavior: how });
      // Scrolled down a long question: bring the next one's top back under the timer bar.
      var above = track.getBoundingClientRect().top - examBar.getBoundingClientRect().bottom;
      if (above < 0) { window.scrollBy({ top: above - 8, behavior: how }); }
    } else {
      boxes[index].scrollIntoView({ block: "start", behavior: how });
    }
    setCurrent(index);
    if (focus) { boxes[index].focus({ preventScroll: true }); }
  }
  var scrollFrame = 0;
  function followTrack() {
    // A swipe (or the browser bringing a focused field into view) moves the track: follow it.
    if (scrollFrame || !paged.matches) { return; }
    scrollFrame = requestAnimationFrame(function () {
      scrollFrame = 0;
      var index = Math.max(0, Math.min(boxes.length - 1, Math.round(track.scrollLeft / Math.max(1, track.clientWidth))));
      if (index !== current) { setCurrent(index); }
    });
  }

  function showBackdrop() { backdrop.hidden = !card.classList.contains("open") && confirmBox.hidden; }
  function openCard() {
    card.classList.add("open");
    cardOpener.setAttribute("aria-expanded", "true");
    showBackdrop();
    (cardItems[current] || cardItems[0]).focus();
  }
  function closeCard() {
    card.classList.remove("open");
    cardOpener.setAttribute("aria-expanded", "false");
    showBackdrop();
  }
  function closeOverlays() {
    confirmBox.hidden = true;
    closeCard();
  }

  // --- the confirmation before submitting ---------------------------------------------
  function listNumbers(section, indexes, answeredOf) {
    section.hidden = !indexes.length;
    section.querySelector("[data-confirm-count]").textContent = lib.format(text.count, { count: indexes.length });
    var list = section.querySelector("[data-confirm-list]");
    list.textContent = "";
    indexes.forEach(function (i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "card-no";
      button.textContent = String(i + 1);
      button.setAttribute("data-goto", String(i));
      paintNumber(button, i, answeredOf[i]);
      list.appendChild(button);
    });
  }
  function openConfirm() {
    if (stopped || submitting) { return; }
    var answered = boxes.map(function (fs) { return readAnswer(fs) !== null; });
    var unanswered = [], flagged = [];
    answered.forEach(function (yes, i) {
      if (!yes) { unanswered.push(i); }
      if (isFlagged(i)) { flagged.push(i); }
    });
    listNumbers(confirmBox.querySelector("[data-confirm-unanswered]"), unanswered, answered);
    listNumbers(confirmBox.querySelector("[data-confirm-flagged]"), flagged, answered);
    var clean = !unanswered.length && !flagged.length;
    confirmBox.querySelector("[data-confirm-complete]").hidden = !clean;
    confirmSubmit.textContent = clean ? text.submit_now : text.submit_anyway;
    card.classList.remove("open");
    confirmBox.hidden = false;
    showBackdrop();
    confirmBox.querySelector("[data-confirm-back]").focus();
  }

  function wireNavigation() {
    if (!boxes.length) { return; }
    boxes.forEach(function (fs, i) {
      showFlag(i);
      fs.querySelector("[data-flag]").addEventListener("click", function () { toggleFlag(i); });
    });
    cardItems.forEach(function (item, i) {
      item.addEventListener("click", function () { closeCard(); goTo(i, true); });
    });
    confirmBox.addEventListener("click", function (e) {
      var target = e.target.closest("[data-goto]");
      if (target) { closeOverlays(); goTo(Number(target.getAttribute("data-goto")), true); }
    });
    prevButton.addEventListener("click", function () { goTo(current - 1, false); });
    nextButton.addEventListener("click", function () { goTo(current + 1, false); });
    cardOpener.addEventListener("click", openCard);
    card.querySelector("[data-card-close]").addEventListener("click", function () { closeCard(); cardOpener.focus(); });
    card.querySelector("[data-card-submit]").addEventListener("click", openConfirm);
    confirmBox.querySelector("[data-confirm-back]").addEventListener("click", closeOverlays);
    confirmSubmit.addEventListener("click", function () { closeOverlays(); submit("examinee"); });
    backdrop.addEventListener("click", closeOverlays);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { closeOverlays(); } });
    track.addEventListener("scroll", followTrack, { passive: true });
    if (window.ResizeObserver) {
      var resized = new ResizeObserver(fitTrack);
      boxes.forEach(function (fs) { resized.observe(fs); });
    }
    window.addEventListener("resize", function () {
      fitTrack();
      if (paged.matches) { track.scrollLeft = current * track.clientWidth; } else { closeCard(); }
    });
    // Back on the question that was on screen before a reload (phones; a list starts at its top).
    var at = paged.matches ? Math.max(0, Math.min(boxes.length - 1, Number(stored.load("at", 0)) || 0)) : 0;
    if (paged.matches) { track.scrollLeft = at * track.clientWidth; }
    setCurrent(at);
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
  document.querySelectorAll("[data-submit]").forEach(function (button) { button.addEventListener("click", openConfirm); });
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); } });
  wireNavigation();
  countAnswered();
  showQueue();
  flush();
  tick();
})();
