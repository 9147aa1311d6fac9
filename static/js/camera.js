// Camera helpers shared by the enrolment page, the identity check and the exam page.
// A frame is captured from the <video>, downscaled to at most maxWidth and
// encoded as JPEG, so a snapshot is tens of kilobytes, not megabytes.
(function () {
  "use strict";
  var stream = null;
  function start(video) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject(new Error("no camera API"));
    }
    if (stream) { video.srcObject = stream; return Promise.resolve(stream); }
    return navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        return video.play().catch(function () {}).then(function () { return s; });
      });
  }
  function ready(video) {
    if (video.videoWidth) { return Promise.resolve(); }
    return new Promise(function (resolve) {
      video.addEventListener("loadeddata", function () { resolve(); }, { once: true });
      setTimeout(resolve, 3000);
    });
  }
  function capture(video, maxWidth, quality) {
    return ready(video).then(function () {
      var w = video.videoWidth || 640, h = video.videoHeight || 480;
      var scale = Math.min(1, (maxWidth || 640) / w);
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { if (blob) { resolve(blob); } else { reject(new Error("encode failed")); } }, "image/jpeg", quality || 0.8);
      });
    });
  }
  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
  }
  window.SafetrainCamera = { start: start, capture: capture, stop: stop };
})();
