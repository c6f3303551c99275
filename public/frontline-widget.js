// Frontline's touches on Chainlit's copilot widget, for the company's site to call after
// window.mountChainlitWidget(...). Served at /public/frontline-widget.js.
//
// The copilot renders its own header (Chainlit's logo) in Chainlit's colours and takes no
// header option, so FrontlineWidget.brand() writes the company's name in the header and sets
// the widget's primary colour (chat button, send button, links) inside the widget's shadow
// root. FrontlineWidget.language() maps a customer locale to the Chainlit translation file
// the widget's `language` option loads (input placeholder, buttons, footer).
(function () {
  const TRANSLATIONS = { en: "en-US", es: "es", de: "de-DE", fr: "fr-FR" };

  function hsl(hex) {
    // "#ff8a3d" -> "24 100% 62%": the form Chainlit's CSS variables hold.
    const n = parseInt(hex.slice(1), 16);
    const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => v / 255);
    const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2;
    let h = 0, s = 0;
    if (max !== min) {
      const d = max - min;
      s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
      h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      h *= 60;
    }
    return `${Math.round(h)} ${Math.round(s * 100)}% ${Math.round(l * 100)}%`;
  }

  function brand({ name, color }) {
    const host = document.getElementById("chainlit-copilot");
    if (!host || !host.shadowRoot) return;
    const root = host.shadowRoot;
    if (typeof color === "string" && /^#[0-9a-fA-F]{6}$/.test(color)) {
      const style = document.createElement("style");
      const value = hsl(color);
      // after the widget's own styles, with the same selectors: these win
      style.textContent = `#cl-shadow-root, #cl-shadow-root.dark, #cl-shadow-root.light {
  --primary: ${value}; --ring: ${value}; }`;
      root.appendChild(style);
    }
    if (!name) return;
    const label = () => {
      for (const logo of root.querySelectorAll("img.logo")) {
        if (logo.dataset.frontline) continue;
        logo.dataset.frontline = "replaced";
        logo.style.display = "none";
        const title = document.createElement("span");
        title.className = "frontline-company";
        title.textContent = name;  // text, never HTML
        title.style.cssText = "font-weight:600;font-size:1rem;color:hsl(var(--primary))";
        logo.after(title);
      }
    };
    new MutationObserver(label).observe(root, { childList: true, subtree: true });
    label();
  }

  function language(locale) {
    const code = String(locale || "").slice(0, 2).toLowerCase();
    return TRANSLATIONS[code];
  }

  window.FrontlineWidget = { brand, language };
})();
