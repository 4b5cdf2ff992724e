// The identity check before an HSE attempt: a webcam photo of the face and a photo of the
// candidate's ID, sent together. The server checks both by their content (JPEG or PNG only).
(function () {
  "use strict";
  const form = document.getElementById("id-check");
  if (!form) return;
  const video = document.getElementById("camera");
  const canvas = document.getElementById("face-canvas");
  const status = document.getElementById("camera-status");
  const errorBox = document.getElementById("id-error");
  let faceBlob = null;

  function fail(message) {
    document.getElementById("id-error-text").textContent = message;
    errorBox.hidden = false;
    errorBox.focus();
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
      .then(function (stream) { video.srcObject = stream; status.textContent = "Your camera is on."; })
      .catch(function () { status.textContent = "Allow the camera for this site, then reload the page."; });
  } else {
    status.textContent = "This browser cannot use a camera: use another browser or device.";
  }

  document.getElementById("take-face").addEventListener("click", function () {
    if (!video.videoWidth) { fail("The camera is not ready yet: allow it, wait a moment and try again."); return; }
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      faceBlob = blob;
      canvas.hidden = false;  // the photo taken, under the live picture
      status.textContent = "Photo taken. Press the button again to take another.";
    }, "image/jpeg", 0.85);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const file = document.getElementById("id-document").files[0];
    if (!faceBlob) { fail("Take the photo of your face first."); return; }
    if (!file) { fail("Choose a photo of your ID."); return; }
    const body = new FormData();
    body.append("face", faceBlob, "face.jpg");
    body.append("id_document", file, file.name);
    fetch("/hse/attempts/" + form.dataset.attempt + "/id-check", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": form.dataset.csrf },
    }).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      return response.json().then(function (answer) {
        fail(answer.error ? answer.error.message : "The photos were not accepted.");
      });
    }).catch(function () { fail("The photos could not be sent: check the connection and try again."); });
  });
})();
