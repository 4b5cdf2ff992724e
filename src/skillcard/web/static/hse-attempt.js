// The HSE assessment page: one question at a time, every click saved at once, a countdown
// from the server's clock, and the invigilation the candidate was told about (snapshots,
// page events, attention checks). The server decides everything: this only reports.
(function () {
  "use strict";
  const root = document.getElementById("hse");
  if (!root) return;
  const base = "/hse/attempts/" + root.dataset.attempt;
  const csrf = root.dataset.csrf;
  let seq = Number(root.dataset.seq);
  // The deadline is the server's. The device's clock may be hours out: the countdown uses
  // the server's time, as this device's clock plus the offset measured when the server last
  // answered (the page itself, then every saved answer).
  const deadline = Number(root.dataset.deadline);
  let offset = Number(root.dataset.serverNow) - Date.now();
  function serverNow() { return Date.now() + offset; }
  const questions = Array.from(root.querySelectorAll(".hse-question"));
  let current = 0;
  let saving = Promise.resolve();
  let ended = false;

  function post(path, payload, keepalive) {
    return fetch(base + path, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload),
    });
  }

  function finished() {  // the server ended the attempt (time, or a violation under "fail")
    if (ended) return;
    ended = true;
    window.location.reload();
  }

  // -- the clock --------------------------------------------------------------------------
  const clock = document.getElementById("clock");
  const warning = document.getElementById("clock-warning");
  function tick() {
    const left = Math.max(0, Math.round((deadline - serverNow()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left <= 300) clock.parentElement.classList.add("low");
    if (left === 300) warning.textContent = "5 minutes left";
    if (left === 60) warning.textContent = "1 minute left";
    if (left === 0) setTimeout(finished, 2500);  // the server has submitted the answers
  }
  setInterval(tick, 1000);
  tick();

  // -- one question at a time -------------------------------------------------------------
  const review = document.getElementById("review");
  const nav = document.getElementById("nav");
  // The clock's bar stays at the top: what the page scrolls to must land below it, whatever
  // height the bar wraps to on this screen.
  const bar = root.querySelector(".hse-bar");
  function clearOfBar() {
    document.documentElement.style.scrollPaddingTop = (bar.offsetHeight + 8) + "px";
  }
  window.addEventListener("resize", clearOfBar);
  clearOfBar();
  function show(index) {
    current = Math.max(0, Math.min(questions.length - 1, index));
    questions.forEach(function (q, i) { q.hidden = i !== current; });
    review.hidden = true;
    nav.hidden = false;
    document.getElementById("previous").disabled = current === 0;
    questions[current].querySelector("legend").scrollIntoView({ block: "nearest" });
  }
  document.getElementById("previous").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () {
    if (current === questions.length - 1) { showReview(); } else { show(current + 1); }
  });
  function showReview() {  // its own screen: the way back is a question's link
    questions.forEach(function (q) { q.hidden = true; });
    nav.hidden = true;
    review.hidden = false;
    review.focus({ preventScroll: true });
    review.scrollIntoView({ block: "start" });
  }
  document.getElementById("review-button").addEventListener("click", showReview);
  review.querySelectorAll("[data-goto]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      show(Number(link.dataset.goto) - 1);
      questions[current].querySelector("input").focus();
    });
  });
  show(0);

  // Handing in ends the attempt: leaving the page then is no event to report (the server
  // would refuse it, the attempt being over).
  document.getElementById("submit-form").addEventListener("submit", function () { ended = true; });
  // Back to this page from the browser's cache after handing in: ask the server what it is now.
  window.addEventListener("pageshow", function (event) { if (event.persisted) window.location.reload(); });

  // -- saving every click, one request after another (the server refuses replays) ----------
  const saved = document.getElementById("saved");
  function answeredCount() {
    return questions.filter(function (q) { return q.querySelector("input:checked"); }).length;
  }
  root.addEventListener("change", function (event) {
    const input = event.target;
    if (input.type !== "radio") return;
    const question = input.closest(".hse-question");
    const itemId = Number(question.dataset.item);
    const choice = Number(input.value);
    seq += 1;
    const mySeq = seq;
    saved.textContent = "Saving…";
    saving = saving.then(function () {
      return post("/answer", { item_id: itemId, choice: choice, seq: mySeq }).then(function (r) {
        return r.json().then(function (answer) {
          if (r.ok) {
            offset = answer.server_now_ms - Date.now();
            saved.textContent = "Saved. " + answeredCount() + " of " + questions.length + " answered";
            const tag = review.querySelector('[data-status="' + itemId + '"]');
            if (tag) { tag.textContent = "Answered"; tag.className = "tag verified"; }
          } else if (r.status === 409 && /time/.test(answer.error.message)) {
            finished();
          } else {
            saved.textContent = "Not saved: " + answer.error.message;
          }
        });
      }).catch(function () { saved.textContent = "Not saved: no connection. Choose the answer again when you are back online."; });
    });
  });

  // -- reasonable adjustments: reader and larger text ---------------------------------------
  const reader = document.getElementById("read-aloud");
  if ("speechSynthesis" in window) {
    reader.hidden = false;
    reader.addEventListener("click", function () {
      const q = questions[current];
      const parts = [q.querySelector(".hse-stem").textContent];
      q.querySelectorAll("label").forEach(function (l, i) { parts.push("Answer " + (i + 1) + ": " + l.textContent); });
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(new SpeechSynthesisUtterance(parts.join(". ")));
    });
  }
  const full = document.getElementById("full-screen");
  if (document.documentElement.requestFullscreen) {
    full.hidden = false;
    full.addEventListener("click", function () { document.documentElement.requestFullscreen().catch(function () {}); });
  }
  const larger = document.getElementById("larger-text");
  larger.addEventListener("click", function () {
    const on = root.classList.toggle("large-text");
    larger.setAttribute("aria-pressed", on ? "true" : "false");
  });

  // -- invigilation: events the page sees ----------------------------------------------------
  const offlineQueue = [];
  function report(kind, detail) {
    if (ended) return;
    if (!navigator.onLine) { offlineQueue.push({ kind: kind, detail: detail || "" }); return; }
    post("/events", { kind: kind, detail: detail || "" }, true).then(function (r) {
      return r.json().then(function (answer) { if (answer.ended) finished(); });
    }).catch(function () { offlineQueue.push({ kind: kind, detail: detail || "" }); });
  }
  document.addEventListener("visibilitychange", function () {
    report(document.visibilityState === "hidden" ? "tab_hidden" : "tab_shown");
  });
  // Switching tabs blurs the window first: wait, and count it once, as the tab hidden.
  window.addEventListener("blur", function () {
    setTimeout(function () { if (!document.hidden && !document.hasFocus()) report("blur"); }, 400);
  });
  document.addEventListener("fullscreenchange", function () { if (!document.fullscreenElement) report("fullscreen_exit"); });
  document.addEventListener("copy", function () { report("copy"); });
  document.addEventListener("paste", function () { report("paste"); });
  window.addEventListener("offline", function () { offlineQueue.push({ kind: "offline", detail: "" }); });
  window.addEventListener("online", function () {
    const waiting = offlineQueue.splice(0);
    waiting.forEach(function (e) { report(e.kind, e.detail); });
    report("online");
  });
  // Developer tools docked beside the page take width or height from the window.
  let devtoolsSeen = false;
  setInterval(function () {
    const open = window.outerWidth - window.innerWidth > 200 || window.outerHeight - window.innerHeight > 250;
    if (open && !devtoolsSeen) report("devtools", window.outerWidth + "x" + window.outerHeight);
    devtoolsSeen = open;
  }, 2000);

  // -- webcam snapshots ----------------------------------------------------------------------
  const video = document.getElementById("monitor");
  const note = document.getElementById("camera-note");
  function snapshot() {
    if (ended || !video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      const body = new FormData();
      body.append("snapshot", blob, "snapshot.jpg");
      fetch(base + "/snapshots", { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .then(function (r) { return r.json(); })
        .then(function (answer) { if (answer.error && /time/.test(answer.error.message)) finished(); })
        .catch(function () {});
    }, "image/jpeg", 0.7);
  }
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      setTimeout(snapshot, 3000);
      setInterval(snapshot, Number(root.dataset.snapshotSeconds) * 1000);
    }).catch(function () { note.textContent = "Your camera is off: the invigilator will see that."; report("blur", "camera refused"); });
  }

  // -- attention checks ----------------------------------------------------------------------
  const box = document.getElementById("attention");
  let token = null;
  function attention() {
    if (ended) return;
    post("/attention", {}).then(function (r) { return r.json(); }).then(function (answer) {
      if (!answer.token) { schedule(); return; }
      token = answer.token;
      document.getElementById("attention-seconds").textContent = answer.seconds;
      box.hidden = false;
      document.getElementById("attention-button").focus();
      setTimeout(function () { box.hidden = true; }, answer.seconds * 1000);
      schedule();
    }).catch(schedule);
  }
  document.getElementById("attention-button").addEventListener("click", function () {
    box.hidden = true;
    if (token) post("/attention", { token: token });
    token = null;
  });
  function schedule() {
    const every = Number(root.dataset.attentionEvery) * 1000;
    setTimeout(attention, every * (0.5 + Math.random()));
  }
  schedule();
})();
