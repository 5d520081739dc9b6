/*
 * Test-only stand-ins for the Spectrum UXP widgets the panel uses. Chromium has no Spectrum
 * widgets (Premiere's UXP draws them natively), so these minimal custom elements lay out roughly
 * like them, sized from Premiere's UXP reference pages ("Spectrum UXP Widgets": sp-button,
 * sp-picker with sp-menu slot="options", sp-textfield, sp-textarea, sp-checkbox, sp-progressbar,
 * sp-label) and the Spectrum sizes (medium: 32 px tall fields, 24 px small buttons). They model
 * only what the layout test needs: size, text, `disabled`, `value`, `checked`, `selectedIndex`.
 */
"use strict";
(function () {
  const css = (text) => {
    const style = document.createElement("style");
    style.textContent = text;
    return style;
  };
  function shadow(host, html, style) {
    const root = host.attachShadow({ mode: "open" });
    root.appendChild(css(style));
    const holder = document.createElement("div");
    holder.innerHTML = html;
    while (holder.firstChild) root.appendChild(holder.firstChild);
    return root;
  }

  class Label extends HTMLElement {
    connectedCallback() {
      if (!this.shadowRoot) shadow(this, "<slot></slot>", ":host{color:#b8b8b8;font-size:12px}");
    }
  }

  class Button extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      shadow(
        this,
        "<slot></slot>",
        ":host{display:inline-block;white-space:nowrap;height:30px;line-height:30px;" +
          "padding:0 14px;border-radius:16px;border:2px solid #8a8a8a;color:#f0f0f0;" +
          "font-size:13px;font-weight:bold;cursor:default;overflow:hidden}" +
          ":host([variant=cta]){background:#1473e6;border-color:#1473e6}" +
          ":host([size=s]){height:22px;line-height:22px;padding:0 10px;font-size:11px}" +
          ":host([quiet]){border-color:transparent}:host([disabled]){opacity:.4}",
      );
    }
    get disabled() {
      return this.hasAttribute("disabled");
    }
    set disabled(on) {
      this.toggleAttribute("disabled", Boolean(on));
    }
  }

  function field(tag) {
    return class extends HTMLElement {
      connectedCallback() {
        if (this.shadowRoot) return;
        const kind = this.getAttribute("type") === "password" ? "password" : "text";
        const control = tag === "textarea" ? '<textarea rows="3"></textarea>' : `<input type="${kind}">`;
        const root = shadow(
          this,
          control,
          ":host{display:inline-block;width:160px}" +
            "input,textarea{display:block;width:100%;box-sizing:border-box;font:inherit;" +
            "color:#e8e8e8;background:#1b1b1b;border:1px solid #4a4a4a;border-radius:4px;" +
            "padding:5px 8px;margin:0}input{height:32px}",
        );
        this._control = root.querySelector(tag);
        this._control.placeholder = this.getAttribute("placeholder") || "";
        if (this._value !== undefined) this._control.value = this._value;
      }
      get value() {
        return this._control ? this._control.value : this._value || "";
      }
      set value(text) {
        this._value = String(text);
        if (this._control) this._control.value = this._value;
      }
      get placeholder() {
        return this.getAttribute("placeholder") || "";
      }
      set placeholder(text) {
        this.setAttribute("placeholder", text);
        if (this._control) this._control.placeholder = text;
      }
    };
  }

  class Checkbox extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      shadow(
        this,
        '<div class="line"><span class="box"></span><span class="text"><slot></slot></span></div>',
        ":host{display:block;color:#d8d8d8;font-size:12px}.line{display:flex;align-items:flex-start}" +
          ".box{flex:0 0 14px;height:14px;margin:1px 8px 0 0;border:2px solid #8a8a8a;" +
          "border-radius:2px;box-sizing:border-box}.text{min-width:0}",
      );
    }
    get checked() {
      return this.hasAttribute("checked");
    }
    set checked(on) {
      this.toggleAttribute("checked", Boolean(on));
    }
  }

  class Picker extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      // No <slot>: the menu stays closed, as a picker shows only the picked item.
      shadow(
        this,
        '<div class="face"><span class="text"></span><span class="chevron">▾</span></div>',
        ":host{display:inline-block;width:160px}" +
          ".face{display:flex;height:32px;align-items:center;border:1px solid #4a4a4a;" +
          "border-radius:4px;background:#2e2e2e;color:#e8e8e8;box-sizing:border-box;padding:0 8px}" +
          ".text{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
          ".chevron{flex:0 0 auto;margin-left:6px}",
      );
      this._show();
      new MutationObserver(() => this._show()).observe(this, { subtree: true, childList: true });
    }
    get selectedIndex() {
      if (this._index !== undefined) return this._index;
      // Until one is picked: the menu item marked `selected`, as a picker shows.
      return [...this.querySelectorAll("sp-menu-item")].findIndex((i) => i.hasAttribute("selected"));
    }
    set selectedIndex(index) {
      this._index = index;
      this._show();
    }
    _show() {
      if (!this.shadowRoot) return;
      const item = this.querySelectorAll("sp-menu-item")[this.selectedIndex];
      this.shadowRoot.querySelector(".text").textContent = item
        ? item.textContent
        : this.getAttribute("placeholder") || "";
    }
  }

  class ProgressBar extends HTMLElement {
    static get observedAttributes() {
      return ["max", "value"];
    }
    connectedCallback() {
      if (this.shadowRoot) return;
      shadow(
        this,
        '<div class="track"><div class="fill"></div></div>',
        ":host{display:block;width:192px}.track{height:4px;background:#4a4a4a;border-radius:2px}" +
          ".fill{height:4px;background:#2680eb;border-radius:2px;width:0}",
      );
      this.attributeChangedCallback();
    }
    attributeChangedCallback() {
      if (!this.shadowRoot) return;
      const max = Number(this.getAttribute("max")) || 1;
      const value = Number(this.getAttribute("value")) || 0;
      const share = Math.max(0, Math.min(1, value / max));
      this.shadowRoot.querySelector(".fill").style.width = `${share * 100}%`;
    }
  }

  class Menu extends HTMLElement {}
  class MenuItem extends HTMLElement {}

  customElements.define("sp-label", Label);
  customElements.define("sp-button", Button);
  customElements.define("sp-textfield", field("input"));
  customElements.define("sp-textarea", field("textarea"));
  customElements.define("sp-checkbox", Checkbox);
  customElements.define("sp-picker", Picker);
  customElements.define("sp-progressbar", ProgressBar);
  customElements.define("sp-menu", Menu);
  customElements.define("sp-menu-item", MenuItem);
})();
