/* The /check page's QR checking: scan with the camera (BarcodeDetector where the browser has
   it, else the vendored jsQR), or paste the code's text. Online, the text is checked by the
   server (POST /check/qr, the same answer panel as every other check); offline, or when the
   server cannot be reached, it is checked on this device by offline-verify.js against the
   card list (the verifier bundle) kept from the last visit. The upload form works without
   any of this. */
(function () {
  "use strict";

  var STORE = "skillcard-bundle";
  /* The SHA-256 of the hub key this device first trusted (trust on first use): a later card
     list signed by another hub key is not used, and the page says so. */
  var PIN = "skillcard-hub-key";
  var QUEUE = "skillcard-offline-checks";  /* checks made offline, sent once back online */
  var HEADLINES = {
    valid: "Valid card", expired: "Not valid: expired", not_yet_valid: "Not valid yet",
    suspended: "Not valid: suspended", revoked: "Not valid: revoked",
    unknown_issuer: "Not valid: unknown issuer", bad_signature: "Not valid: forged or altered",
    malformed: "Not valid: unreadable", stale_status: "Cannot confirm: status out of date",
  };
  var ICONS = { green: "✓", amber: "!", red: "✕" };
  var $ = function (id) { return document.getElementById(id); };

  /* --- the card list kept on this device ----------------------------------------------------- */

  function stored() {
    try { return JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { return null; }
  }

  function pinned() {
    try { return localStorage.getItem(PIN); } catch (e) { return null; }
  }

  /* Resolves true if the bundle's hub key is the pinned one (pinning it the first time). */
  function hubKeyTrusted(bundle) {
    if (!window.SkillcardOffline) return Promise.resolve(false);
    return window.SkillcardOffline.hubFingerprint(bundle).then(function (seen) {
      var pin = pinned();
      if (!pin) {
        try { localStorage.setItem(PIN, seen); } catch (e) { /* full: pinned next time */ }
        return true;
      }
      if (pin === seen) return true;
      showHubWarning(pin, seen);
      return false;
    });
  }

  function showHubWarning(pin, seen) {
    var box = $("hub-key-warning");
    if (!box) return;
    box.textContent = "Warning: the card list this server sent is signed by a different hub key (" +
      seen.slice(0, 16) + "…) from the one this device first trusted (" + pin.slice(0, 16) +
      "…). It has not been used. If the hub has not announced a new key, someone may be " +
      "trying to pass off false cards: check cards online only and report it.";
    box.hidden = false;
  }

  function refreshBundle() {
    if (!navigator.onLine) return Promise.resolve(stored());
    return fetch("/api/v1/bundle", { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (bundle) {
        return hubKeyTrusted(bundle).then(function (trusted) { return trusted ? bundle : null; });
      })
      .then(function (bundle) {
        if (!bundle) return stored();  /* another hub key: keep the list we had */
        var kept = { fetched: Date.now(), bundle: bundle };
        try { localStorage.setItem(STORE, JSON.stringify(kept)); } catch (e) { /* full: keep going */ }
        return kept;
      })
      .catch(function () { return stored(); });
  }

  function age(ms) {
    var minutes = Math.max(0, Math.round((Date.now() - ms) / 60000));
    if (minutes < 2) return "just now";
    if (minutes < 90) return minutes + " minutes ago";
    var hours = Math.round(minutes / 60);
    if (hours < 36) return hours + " hours ago";
    return Math.round(hours / 24) + " days ago";
  }

  function showOfflineNote() {
    var note = $("offline-note"), kept = stored();
    if (!note) return;
    if (navigator.onLine) { note.hidden = true; return; }
    note.hidden = false;
    note.textContent = kept
      ? "You are offline. QR codes are checked on this device against the card list downloaded " + age(kept.fetched) + "."
      : "You are offline and this device has no card list yet: connect once to download it.";
  }

  /* --- showing an answer ------------------------------------------------------------------- */

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function dayText(days) {
    return new Date(days * 86400000).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  function showLocal(answer, fetched) {
    var colour = answer.valid ? (answer.warnings.indexOf("expiring_soon") >= 0 ? "amber" : "green") : "red";
    var claims = answer.claims;
    var section = el("section", { "class": "check-result check-" + colour, "aria-labelledby": "verdict", tabindex: "-1", "data-outcome": answer.outcome, "data-checked": "offline" });
    var verdict = el("div", { "class": "verdict" });
    verdict.appendChild(el("span", { "class": "verdict-icon", "aria-hidden": "true" }, ICONS[colour]));
    var h2 = el("h2", { id: "verdict" }, HEADLINES[answer.outcome] || answer.outcome);
    if (colour === "amber") h2.appendChild(el("span", { "class": "verdict-sub" }, "Expires soon"));
    verdict.appendChild(h2);
    section.appendChild(verdict);
    var body = el("div", { "class": "check-body" });
    if (claims) {
      if (claims.portrait) {  /* a phone's code carries the holder's thumbnail: see who it is */
        var b64 = btoa(String.fromCharCode.apply(null, claims.portrait));
        body.appendChild(el("img", { "class": "check-photo", src: "data:image/jpeg;base64," + b64, alt: "Photo of " + claims.holder_name }));
      }
      body.appendChild(el("p", { "class": "check-holder" }, claims.holder_name));
      var type = el("p", { "class": "check-type" }, claims.card_type_title);
      if (claims.occupation) { type.appendChild(el("br")); type.appendChild(el("span", {}, claims.occupation)); }
      body.appendChild(type);
    }
    var reasons = el("ul", { "class": "reasons" });
    var why = answer.reasons.length ? answer.reasons : (answer.valid ? ["Signed by the scheme, not revoked or suspended, and in date."] : []);
    why.forEach(function (r) { reasons.appendChild(el("li", {}, r)); });
    body.appendChild(reasons);
    if (claims) {
      var facts = el("dl", { "class": "facts" });
      [["Card number", claims.number], ["Scheme", claims.scheme], ["Expires", dayText(claims.expires)]].forEach(function (f) {
        var row = el("div");
        row.appendChild(el("dt", {}, f[0]));
        row.appendChild(el("dd", f[0] === "Card number" ? { "class": "number" } : {}, f[1]));
        facts.appendChild(row);
      });
      body.appendChild(facts);
      if (claims.qualifications.length) {
        body.appendChild(el("h3", {}, "Qualifications checked by the scheme"));
        var quals = el("ul", { "class": "check-qualifications" });
        (claims.qualification_titles || claims.qualifications).forEach(function (q) { quals.appendChild(el("li", {}, q)); });
        body.appendChild(quals);
      }
    }
    var now = new Date();
    body.appendChild(el("p", { "class": "checked-at" },
      "Checked on this device at " + now.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZoneName: "short" }) + ", against the card list downloaded " + age(fetched) + "."));
    section.appendChild(body);
    place(section);
  }

  function place(node) {
    var area = $("qr-result"), other = $("check-result");
    if (other) other.replaceChildren();  // one answer on the page at a time
    area.replaceChildren(node);
    node.focus();
    node.scrollIntoView({ block: "start" });
  }

  function showProblem(message) {
    var box = el("div", { "class": "error-summary", role: "alert", "aria-labelledby": "qr-problem-title", tabindex: "-1" });
    box.appendChild(el("h2", { id: "qr-problem-title" }, "There is a problem"));
    box.appendChild(el("p", {}, message));
    place(box);
  }

  /* --- checks made offline, sent later (signed-in checkers only) --------------------------- */

  function queued() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }

  function keep(list) {
    try { localStorage.setItem(QUEUE, JSON.stringify(list.slice(-500))); } catch (e) { /* full */ }
  }

  function signedInCsrf() {
    var csrf = document.querySelector(".qr-form input[name=csrf_token]");
    return csrf && csrf.value ? csrf.value : "";
  }

  function queueCheck(text, answer) {
    if (!signedInCsrf()) return;  /* anonymous checks made offline are not recorded */
    var list = queued();
    list.push({ qr: text, checked_at: new Date().toISOString(), outcome: answer.outcome });
    keep(list);
  }

  function sendQueued() {
    var list = queued(), csrf = signedInCsrf();
    if (!list.length || !csrf || !navigator.onLine) return Promise.resolve();
    var batch = list.slice(0, 500);
    return fetch("/check/offline", {
      method: "POST", body: JSON.stringify(batch), credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    }).then(function (r) {
      /* sent (each stored or refused for good): forget them; else try again later */
      if (r.ok || r.status === 422) keep(queued().slice(batch.length));
    }).catch(function () {});
  }

  /* --- checking text ----------------------------------------------------------------------- */

  /* The kept card list, its signatures checked and its lists inflated once (not on every
     check: that was most of a check's time), again when a new list is kept, the pinned hub
     key changes or the day does (keys past their verify_until drop out by the day). */
  var ready = { key: null, bundle: null };
  function loaded(kept) {
    var key = [kept.fetched, pinned(), new Date().toISOString().slice(0, 10)].join("|");
    if (ready.key !== key) {
      ready = { key: key, bundle: window.SkillcardOffline.loadBundle(kept.bundle, new Date(), pinned()) };
      ready.bundle.catch(function () { ready = { key: null, bundle: null }; });
    }
    return ready.bundle;
  }

  function checkOffline(text) {
    var kept = stored();
    if (!kept || !window.SkillcardOffline) {
      showProblem("This device is offline and has no card list yet: connect to the internet once, then it can check cards offline.");
      return Promise.resolve();
    }
    return loaded(kept)
      .then(function (bundle) { return window.SkillcardOffline.verify(text, bundle); })
      .then(function (answer) { queueCheck(text, answer); showLocal(answer, kept.fetched); })
      .catch(function (error) { showProblem("The card list on this device cannot be used (" + error.message + "): connect to the internet to download it again."); });
  }

  function checkOnline(text) {
    var form = new FormData();
    form.append("qr_text", text);
    var csrf = document.querySelector(".qr-form input[name=csrf_token]");
    if (csrf) form.append("csrf_token", csrf.value);
    return fetch("/check/qr", { method: "POST", body: form, headers: { "HX-Request": "true" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var answer = document.createElement("template");
        answer.innerHTML = html;
        var fresh = answer.content.getElementById("qr-result");
        var shown = fresh && fresh.firstElementChild;
        if (shown) place(shown);
      });
  }

  function checkText(text) {
    if (!navigator.onLine) return checkOffline(text);
    return checkOnline(text).catch(function () { return checkOffline(text); });
  }

  /* --- the camera -------------------------------------------------------------------------- */

  var stream = null, timer = null, detector = null;

  function stopCamera() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    $("scanner-video").srcObject = null;  // the camera's light goes off
    $("scanner-view").hidden = true;
    $("scan-start").hidden = false;
  }

  function frameText(video) {
    if (detector) {
      return detector.detect(video).then(function (found) { return found.length ? found[0].rawValue : null; });
    }
    if (!window.jsQR || !video.videoWidth) return Promise.resolve(null);
    var canvas = frameText.canvas || (frameText.canvas = document.createElement("canvas"));
    var scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(code ? code.data : null);
  }

  function scan(video) {
    frameText(video).then(function (text) {
      if (!stream) return;
      if (text) {
        $("scan-status").textContent = "QR code read: checking it.";
        stopCamera();
        checkText(text);
        return;
      }
      timer = setTimeout(function () { scan(video); }, 200);
    }).catch(function () { timer = setTimeout(function () { scan(video); }, 400); });
  }

  function startCamera() {
    var video = $("scanner-video");
    $("scan-status").textContent = "Starting the camera…";
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        $("scanner-view").hidden = false;
        $("scan-start").hidden = true;
        $("scan-stop").focus();
        $("scan-status").textContent = "Hold the card's QR code inside the camera view.";
        return video.play();
      })
      .then(function () { scan(video); })
      .catch(function (error) {
        stopCamera();
        $("scan-status").textContent = "The camera could not be used (" + (error.name || "error") + "). Upload a photo of the QR code instead.";
      });
  }

  function setUp() {
    var scanner = $("scanner");
    if (!scanner) return;
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      scanner.hidden = false;
      if ("BarcodeDetector" in window) {
        window.BarcodeDetector.getSupportedFormats().then(function (formats) {
          if (formats.indexOf("qr_code") >= 0) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        }).catch(function () {});
      }
      $("scan-start").addEventListener("click", startCamera);
      $("scan-stop").addEventListener("click", function () {
        stopCamera();
        $("scan-status").textContent = "Camera stopped.";
        $("scan-start").focus();
      });
    }
    /* Pasted text with no photo: checked here when offline (htmx would fail), else by htmx. */
    var form = document.querySelector(".qr-form");
    form.addEventListener("submit", function (event) {
      var text = $("qr-text").value.trim(), file = $("qr-image").files.length;
      if (!navigator.onLine && text && !file) {
        event.preventDefault();
        event.stopImmediatePropagation();
        checkOffline(text);
      }
    }, true);
    form.addEventListener("htmx:sendError", function () {
      var text = $("qr-text").value.trim();
      if (text) checkOffline(text);
      else showProblem("The server cannot be reached: paste the code's text to check it on this device.");
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id === "number-check") $("qr-result").replaceChildren();
    });
    window.addEventListener("online", function () { showOfflineNote(); refreshBundle(); sendQueued(); });
    window.addEventListener("offline", showOfflineNote);
    refreshBundle().then(showOfflineNote);
    sendQueued();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  window.SkillcardCheck = { checkText: checkText, checkOffline: checkOffline, sendQueued: sendQueued };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
