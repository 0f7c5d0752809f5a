// Copy buttons for the calendar links. Without this file the links stay in read-only boxes to copy by hand.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.querySelector("[data-copied]");

  const copy = async (input) => {
    try {
      await navigator.clipboard.writeText(input.value);
      return true;
    } catch {
      // No clipboard access (an older browser, or a page not served over https): select the text instead.
      input.focus();
      input.select();
      return document.execCommand && document.execCommand("copy");
    }
  };

  document.querySelectorAll("[data-copy]").forEach((button) => {
    const input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const copied = await copy(input);
      if (status) {
        status.textContent = copied ? "Copied. Paste it into your calendar app." : "Selected: press Ctrl+C or ⌘C to copy.";
      }
      if (copied) {
        button.textContent = "Copied";
        window.setTimeout(() => { button.textContent = "Copy"; }, 2000);
      }
    });
  });
});
