// Action liveness (动作活体), shared by the identity-check page and the exam page's on-demand overlay.
//
// The server draws the challenges (blink, open the mouth, turn left/right) and
// decides every step from the frames; this script only shows each prompt with a
// step counter and the time left, takes a burst of frames from the <video> at
// the interval the server asked for, posts it, and shows what the server said.
// The page owns what happens next: mount(root, options) with options.video,
// options.csrf, options.onPassed(check), options.onFailed(check).
(function () {
  "use strict";
  var lib = window.SafetrainLib;

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return values[key] === undefined ? all : String(values[key]); });
  }

  function mount(root, options) {
    var text = lib.readJson("liveness-text");
    var startUrl = root.getAttribute("data-start-url");
    var purpose = root.getAttribute("data-purpose");
    var frameWidth = Number(root.getAttribute("data-frame-width")) || 480;
    var stage = root.querySelector("[data-liveness-stage]");
    var counterEl = root.querySelector("[data-liveness-counter]");
    var countdownEl = root.querySelector("[data-liveness-countdown]");
    var promptEl = root.querySelector("[data-liveness-prompt]");
    var phaseEl = root.querySelector("[data-liveness-phase]");
    var stepsEl = root.querySelector("[data-liveness-steps]");
    var resultEl = root.querySelector("[data-liveness-result]");
    var startButton = root.querySelector("[data-liveness-start]");
    var retryButton = root.querySelector("[data-liveness-retry]");
    var endsAt = null;   // performance.now() at the server's deadline
    var ticking = null;
    var running = false;

    function setState(state) { root.setAttribute("data-liveness-state", state); }
    // The verdict on the first line, the reason (if any) on the next.
    function showResult(message, ok, detail) {
      resultEl.textContent = message;
      if (detail) { resultEl.appendChild(document.createElement("br")); resultEl.appendChild(document.createTextNode(detail)); }
      resultEl.hidden = false;
      resultEl.classList.toggle("ok", !!ok);
      resultEl.classList.toggle("bad", !ok);
    }
    function tick() {
      if (endsAt === null) { return; }
      var left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
      countdownEl.textContent = fill(text.countdown, { seconds: left });
      countdownEl.classList.toggle("low", left <= 10);
    }
    function stopClock() { if (ticking) { clearInterval(ticking); ticking = null; } }
    // The deadline against the server's clock: the Date header of the answer, never the device's wall clock.
    function startClock(check, response) {
      var serverNow = Date.parse(response.headers.get("Date") || "");
      var left = Date.parse(check.expires_at) - (isNaN(serverNow) ? Date.now() : serverNow);
      endsAt = performance.now() + Math.max(0, left);
      stopClock();
      tick();
      ticking = setInterval(tick, 250);
    }
    function renderSteps(check) {
      stepsEl.textContent = "";
      check.steps.forEach(function (step) {
        var li = document.createElement("li");
        li.setAttribute("data-liveness-step", String(step.step));
        li.setAttribute("data-status", step.status);
        var label = document.createElement("span");
        label.textContent = step.prompt;
        var mark = document.createElement("b");
        mark.setAttribute("data-mark", "");
        li.appendChild(label);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(mark);
        stepsEl.appendChild(li);
      });
    }
    function markStep(index, status) {
      var li = stepsEl.querySelector('[data-liveness-step="' + index + '"]');
      if (!li) { return; }
      li.setAttribute("data-status", status);
      li.querySelector("[data-mark]").textContent = status === "passed" ? text.step_passed : (status === "failed" ? text.step_failed : "");
    }

    // frames_per_step frames, frame_interval_ms apart (measured from the first, so a slow encode does not stretch the burst).
    function burst(check) {
      var frames = [];
      var first = performance.now();
      var chain = Promise.resolve();
      for (var k = 0; k < check.frames_per_step; k += 1) {
        (function (k) {
          chain = chain.then(function () {
            return wait(Math.max(0, first + k * check.frame_interval_ms - performance.now()));
          }).then(function () {
            return window.SafetrainCamera.capture(options.video, frameWidth, 0.8);
          }).then(function (blob) { frames.push(blob); });
        })(k);
      }
      return chain.then(function () { return frames; });
    }

    // The verdict: what was asked and how each step went stay listed; the prompt, counter and clock go.
    function finish(check, passed, message) {
      running = false;
      stopClock();
      promptEl.hidden = true;
      counterEl.textContent = "";
      countdownEl.textContent = "";
      phaseEl.textContent = "";
      setState(passed ? "passed" : "failed");
      showResult(passed ? text.passed : text.failed, passed, passed ? "" : message || text.retry_hint);
      retryButton.hidden = passed;
      if (passed && options.onPassed) { options.onPassed(check); }
      if (!passed && options.onFailed) { options.onFailed(check); }
    }
    function refused(body) { finish(null, false, body.detail); }

    function runStep(check, index) {
      var step = check.steps[index];
      counterEl.textContent = fill(text.step, { step: index + 1, total: check.steps.length });
      promptEl.textContent = step.prompt;
      markStep(index, "running");
      phaseEl.textContent = text.get_ready;
      root.setAttribute("data-liveness-step-now", String(index));
      return wait(1200).then(function () {
        phaseEl.textContent = text.recording;
        return burst(check);
      }).then(function (frames) {
        phaseEl.textContent = text.sending;
        var body = new FormData();
        frames.forEach(function (blob, k) { body.append("frames", blob, "frame-" + k + ".jpg"); });
        return lib.request(startUrl + check.id + "/steps/" + index + "/", { csrf: options.csrf, body: body });
      }).then(function (response) {
        return lib.jsonBody(response).then(function (result) {
          if (!response.ok) { markStep(index, "failed"); refused(result); return; }
          markStep(index, result.step_status);
          if (result.status === "passed") { finish(check, true); return; }
          if (result.status === "failed") { finish(check, false, result.message); return; }
          if (result.next_step === null || result.next_step === undefined) { finish(check, false); return; }
          return runStep(check, result.next_step);
        });
      });
    }

    function start() {
      if (running) { return; }
      running = true;
      startButton.hidden = true;
      retryButton.hidden = true;
      resultEl.hidden = true;
      stepsEl.textContent = "";
      counterEl.textContent = "";
      countdownEl.textContent = "";
      promptEl.textContent = "";
      promptEl.hidden = false;
      phaseEl.textContent = text.starting;
      stage.hidden = false;
      setState("running");
      lib.request(startUrl, { csrf: options.csrf, json: { purpose: purpose } }).then(function (response) {
        return lib.jsonBody(response).then(function (check) {
          if (!response.ok) { refused(check); return; }
          renderSteps(check);
          startClock(check, response);
          return runStep(check, 0);
        });
      }).catch(function () { finish(null, false, text.offline); });
    }
    // Back to the start (a face photo refused because the passed check has expired, for one).
    function reset(message) {
      running = false;
      stopClock();
      stage.hidden = true;
      retryButton.hidden = true;
      startButton.hidden = false;
      setState("idle");
      if (message) { showResult(message, false); } else { resultEl.hidden = true; }
    }

    startButton.addEventListener("click", start);
    retryButton.addEventListener("click", start);
    setState("idle");
    return { start: start, reset: reset };
  }

  window.SafetrainLiveness = { mount: mount };
})();
