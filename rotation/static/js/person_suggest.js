// Suggestions as HR types a person's name, e-mail address or employee ID: the ARIA combobox pattern with a
// list box under the field. Without this file the field still takes any of the three, and the server resolves it.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-suggest]")) {
    const list = document.createElement("ul");
    list.id = `${input.id || "person"}-suggestions`;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People found");
    list.hidden = true;
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    let active = -1;
    let timer = null;
    let asked = 0;

    const options = () => [...list.querySelectorAll("[role='option']")];
    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const highlight = (index) => {
      const all = options();
      all.forEach((option, each) => option.setAttribute("aria-selected", String(each === index)));
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    };
    const choose = (option) => {
      input.value = option.dataset.value;
      close();
      status.textContent = `${option.dataset.name} chosen.`;
    };
    const show = (people, more) => {
      list.replaceChildren();
      people.forEach((person, index) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.value = person.email || person.employee_id;
        option.dataset.name = person.full_name;
        const name = document.createElement("strong");
        name.textContent = person.full_name;
        const details = document.createElement("small");
        details.textContent = `${person.email} · ${person.employee_id} · ${person.department}` +
          (person.active ? "" : " · left");
        option.append(name, details);
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => choose(option));
        list.append(option);
      });
      active = -1;
      if (people.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      status.textContent = people.length
        ? `${people.length}${more ? " or more" : ""} ${people.length === 1 && !more ? "person" : "people"} found; use the arrow keys to choose.`
        : "Nobody found.";
    };
    const ask = async () => {
      const text = input.value.trim();
      if (text.length < 2) { close(); return; }
      const mine = ++asked;
      try {
        const response = await fetch(`${input.dataset.suggest}?q=${encodeURIComponent(text)}`,
                                     {headers: {Accept: "application/json"}, credentials: "same-origin"});
        if (!response.ok || mine !== asked) return;
        const found = await response.json();
        if (mine === asked) show(found.people, found.more);
      } catch (error) {
        close();
      }
    };

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("keydown", (event) => {
      const all = options();
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        highlight((active + 1) % all.length);
      } else if (event.key === "ArrowUp" && all.length && !list.hidden) {
        event.preventDefault();
        highlight(active <= 0 ? all.length - 1 : active - 1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(all[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
    // Text typed while the page was still loading, before this script ran, is answered at once.
    if (input.value !== input.defaultValue && document.activeElement === input) ask();
  }
});
