// Loaded by Chainlit's full-page UI (custom_js in .chainlit/config.toml). The same UI serves
// customers (/chat/<tenant>) and agents (the console at /): for a signed-in agent, the parts
// written for customers (the footer under the input, the "Readme" about the support chat)
// are hidden. Customers see the page unchanged.
(function () {
  const style = document.createElement("style");
  style.textContent =
    "html.frontline-agent .watermark, html.frontline-agent #readme-button { display: none !important; }";
  document.head.appendChild(style);
  let known = false, asking = false;
  // The page signs in without reloading (login form, then the chat), so ask who is signed in
  // whenever the page changes, until someone is.
  function check() {
    if (known || asking) return;
    asking = true;
    fetch("/user", { credentials: "include" })
      .then((response) => (response.ok ? response.json() : null))
      .then((user) => {
        if (!user) return;
        known = true;
        const agent = !!(user.metadata && user.metadata.role === "agent");
        document.documentElement.classList.toggle("frontline-agent", agent);
      })
      .catch(() => {})
      .finally(() => { asking = false; });
  }
  new MutationObserver(check).observe(document.documentElement, { childList: true, subtree: true });
  check();
})();
