// Business Check on a phone: add the position to a spot check when asked, and keep checks
// typed while offline in this phone's storage, sending them (with the time each was made)
// as soon as the network is back.
(function () {
  "use strict";
  var KEY = "skillcard.business.queue";
  var form = document.getElementById("business-check");
  var status = document.getElementById("offline-status");
  if (!form) return;

  function queue() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }
  function field(name) {
    var input = form.elements[name];
    return input ? (input.value || "").trim() : "";
  }

  var gps = document.getElementById("use-gps");
  if (gps && navigator.geolocation) {
    gps.addEventListener("change", function () {
      if (!gps.checked) { form.elements.latitude.value = form.elements.longitude.value = ""; return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        form.elements.latitude.value = p.coords.latitude.toFixed(6);
        form.elements.longitude.value = p.coords.longitude.toFixed(6);
      }, function () { gps.checked = false; say("Your position could not be read."); });
    });
  }

  form.addEventListener("submit", function (event) {
    if (navigator.onLine) return;
    event.preventDefault();
    var face = form.querySelector("input[name=face]:checked");
    var item = {
      number: field("number"), surname: field("surname"), site: field("site"),
      note: field("note"), checked_at: new Date().toISOString(),
      face_confirmed: face ? face.value === "yes" : null
    };
    if (field("latitude")) { item.latitude = +field("latitude"); item.longitude = +field("longitude"); }
    var waiting = queue();
    waiting.push(item);
    localStorage.setItem(KEY, JSON.stringify(waiting));
    form.reset();
    say("No signal: the check of " + item.number + " is saved on this phone (" + waiting.length +
        " waiting). It is checked and recorded, with this time, when you are back online.");
  });

  function sync() {
    var waiting = queue();
    if (!waiting.length || !navigator.onLine) return;
    fetch("/business/checks/offline", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf},
      body: JSON.stringify(waiting)
    }).then(function (answer) {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    }).then(function (done) {
      localStorage.removeItem(KEY);
      say(done.stored + " check(s) made offline were recorded. See them under Workforce.");
    }).catch(function () { say(waiting.length + " check(s) still waiting to be sent."); });
  }
  window.addEventListener("online", sync);
  sync();
})();
