// Drafts: save what a member writes in a comment form on the server, as they type and when they
// leave the page, so it comes back when they return (on any device). The form works the same
// without this script; it only adds the saving.
//
// A form opts in with data-draft-url (the endpoint, forum:save_draft) and data-draft-context
// (which form it is, e.g. "thread:12"). The CSRF token comes from the form's own hidden field.
(() => {
  const SAVE_AFTER_MS = 2000;

  const startDrafts = (form) => {
    const url = form.dataset.draftUrl;
    const context = form.dataset.draftContext;
    const body = form.querySelector("textarea[name='body']");
    if (!url || !context || !body) return;
    const title = form.querySelector("input[name='title']");
    const field = (name) => form.querySelector(`input[name='${name}']`);

    const current = () => JSON.stringify([title ? title.value : "", body.value]);
    let saved = current(); // what the page was rendered with is already on the server (or empty)
    let timer = null;
    let leaving = false; // the form is being sent: posting clears the draft, so stop saving

    const payload = () => {
      const data = new FormData();
      for (const name of ["csrfmiddlewaretoken", "submission_key", "base_revision"]) {
        const input = field(name);
        if (input) data.append(name, input.value);
      }
      data.append("context", context);
      data.append("body", body.value);
      if (title) data.append("title", title.value);
      return data;
    };

    const save = (unloading) => {
      window.clearTimeout(timer);
      timer = null;
      const text = current();
      if (leaving || text === saved) return;
      if (unloading && navigator.sendBeacon && navigator.sendBeacon(url, payload())) {
        saved = text;
        return;
      }
      fetch(url, {
        method: "POST",
        body: payload(),
        credentials: "same-origin",
        keepalive: unloading,
        headers: { "X-Requested-With": "fetch" },
      })
        .then((response) => {
          if (response.ok) saved = text;
          form.dataset.draftState = response.ok ? "saved" : "failed";
        })
        .catch(() => {
          form.dataset.draftState = "failed";
        });
    };

    form.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => save(false), SAVE_AFTER_MS);
    });
    form.addEventListener("submit", () => {
      window.clearTimeout(timer);
      leaving = true;
    });
    window.addEventListener("pagehide", () => save(true));
    // Coming back with the browser's Back button restores this page from its cache: resume.
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) leaving = false;
    });
  };

  document.querySelectorAll("form[data-draft-context]").forEach(startDrafts);
})();
