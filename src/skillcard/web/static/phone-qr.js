// The phone card's QR (/my/cards/{number}/phone): fetch a fresh code as soon as the page is
// shown again, not only on the minute. htmx would need eval for a condition in hx-trigger,
// which the Content-Security-Policy refuses; so the condition lives here.
document.addEventListener("visibilitychange", () => {
  const qr = document.getElementById("phone-qr");
  if (document.visibilityState === "visible" && qr && window.htmx) {
    window.htmx.trigger(qr, "shown");
  }
});
