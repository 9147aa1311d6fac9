// The examinee's identity-check page while a proctor checks their ID: the decision arrives on the
// socket by itself (approved: on to the exam notice; refused: the reason). While the socket is
// down the page asks the server every few seconds instead; the manual refresh shows then as a last resort.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  var box = document.querySelector("[data-identity-wait]");
  var cfg = lib.readJson("identity-wait-config");
  if (!box || !cfg) { return; }
  var decided = false;
  var socket = null;

  function show(selector, visible) { var el = box.querySelector(selector); if (el) { el.hidden = !visible; } }

  function apply(msg) {
    if (decided || !msg || msg.type !== "identity" || msg.state === "pending_manual") { return; }
    decided = true;
    box.setAttribute("data-identity-decided", msg.state);
    show("[data-pending]", false);
    show("[data-refresh]", false);
    if (socket) { socket.close(); }
    if (msg.state === "passed" || msg.state === "not_required") {
      show("[data-confirmed]", true);
      window.location.assign(msg.next);
    } else if (msg.state === "rejected") {
      box.querySelector("[data-refusal-reason]").textContent = msg.reason || "";
      show("[data-refusal-reason-line]", !!msg.reason);
      show("[data-refused]", true);
    } else {
      // Back to a state the page draws differently (a new face try allowed): draw it.
      window.location.reload();
    }
  }

  function poll() {
    if (decided || (socket && socket.isOpen())) { return; }
    lib.request(cfg.poll_url, { method: "GET", csrf: "" })
      .then(function (response) { return response.ok ? lib.jsonBody(response) : null; })
      .then(apply)
      .catch(function () { /* offline: the next tick asks again */ });
  }

  socket = lib.reconnectingSocket({
    path: cfg.ws_url,
    stopped: function () { return decided; },
    // The manual refresh is the last resort: offered only while the socket is down.
    onOpen: function () { box.setAttribute("data-socket", "open"); show("[data-refresh]", false); },
    onClose: function () { box.setAttribute("data-socket", "closed"); show("[data-refresh]", !decided); },
    onMessage: apply
  });
  window.setInterval(poll, cfg.poll_seconds * 1000);
})();
