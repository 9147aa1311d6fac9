// Enrolment and pre-exam identity check: live camera, capture, downscale, POST.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var box = document.querySelector("[data-camera]");
  if (!box || !window.SafetrainCamera) { return; }
  var text = lib.readJson("camera-text");
  var video = box.querySelector("[data-video]");
  var status = box.querySelector("[data-camera-status]");
  var button = box.querySelector("[data-capture]");
  var guide = box.querySelector("[data-camera-guide]");
  var csrf = lib.csrfToken();
  // Where the policy asks for liveness, the face photo waits until a liveness check has passed.
  var livenessRoot = box.querySelector("[data-liveness]");
  var liveness = livenessRoot && window.SafetrainLiveness ? window.SafetrainLiveness.mount(livenessRoot, {
    video: video,
    csrf: csrf,
    onPassed: function () { button.hidden = false; status.textContent = text.liveness_passed; },
    onFailed: function () { button.hidden = true; }
  }) : null;
  window.SafetrainCamera.start(video).then(function () {
    if (guide) { guide.hidden = false; }  // the live guide, while the camera is open
  }).catch(function () {
    status.textContent = text.denied;
    button.disabled = true;
    if (livenessRoot) { livenessRoot.querySelector("[data-liveness-start]").disabled = true; }
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = text.sending;
    window.SafetrainCamera.capture(video, 640, 0.85).then(function (blob) {
      var body = new FormData();
      body.append("action", button.getAttribute("data-action"));
      body.append("photo", blob, "capture.jpg");
      return lib.request(button.getAttribute("data-url"), { csrf: csrf, body: body });
    }).then(function (response) {
      return response.json().then(function (data) {
        if (data.ok) {
          status.textContent = data.message || text.ok;
          status.classList.add("ok");
          window.location.reload();
          return;
        }
        status.textContent = data.detail || text.failed;
        if (data.code === "liveness_required" && liveness) { button.hidden = true; liveness.reset(data.detail); }
        if (data.state && data.state !== "needs_check") { window.location.reload(); return; }
        button.disabled = false;
      });
    }).catch(function () {
      status.textContent = text.offline;
      button.disabled = false;
    });
  });
})();
