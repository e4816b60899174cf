// Session-note drafts: htmx posts the form as it is typed (see hx-trigger on #note-form).
// This module says what is happening and keeps an unsaved draft from being left by mistake.
const form = document.getElementById("note-form");
const status = document.getElementById("autosave-status");

if (form && status) {
  let unsaved = false;
  form.addEventListener("input", () => {
    unsaved = true;
  });
  form.addEventListener("htmx:beforeRequest", () => {
    status.textContent = "Saving…";
  });
  form.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful) {
      unsaved = false;
    } else {
      // htmx leaves the target alone on an error status: show the server's reason.
      const reason = event.detail.xhr ? event.detail.xhr.responseText.trim() : "";
      status.textContent = reason
        ? new DOMParser().parseFromString(reason, "text/html").body.textContent.trim()
        : "Not saved: check your connection.";
      status.classList.add("problem");
    }
  });
  form.addEventListener("submit", () => {
    unsaved = false;
  });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) {
      event.preventDefault();
    }
  });
}
