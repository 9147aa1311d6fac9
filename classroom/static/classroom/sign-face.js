// The sign page of a class with a face check: live camera, capture, POST photo and code; then the result page.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var box = document.querySelector("[data-sign-face]");
  if (!box || !window.SafetrainCamera) { return; }
  var text = lib.readJson("camera-text");
  var video = box.querySelector("[data-video]");
  var status = box.querySelector("[data-camera-status]");
  var button = box.querySelector("[data-sign-capture]");
  var guide = box.querySelector("[data-camera-guide]");
  window.SafetrainCamera.start(video).then(function () {
    if (guide) { guide.hidden = false; }
  }).catch(function () {
    status.textContent = text.denied;
    button.disabled = true;
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = text.sending;
    window.SafetrainCamera.capture(video, 640, 0.85).then(function (blob) {
      var body = new FormData();
      body.append("code", button.getAttribute("data-code"));
      body.append("photo", blob, "capture.jpg");
      return lib.request(button.getAttribute("data-url"), { body: body });
    }).then(lib.jsonBody).then(function (data) {
      if (data.ok) { window.location.assign(data.redirect); return; }
      status.textContent = data.detail || text.failed;
      button.disabled = data.code === "code_expired";
    }).catch(function () {
      status.textContent = text.offline;
      button.disabled = false;
    });
  });
})();
