// Source pages: hovering or focusing a highlighted passage shows the facts it backs.
// Without this script the passage is a link to its first fact, and each fact links back.
(function () {
  "use strict";
  var tip = document.getElementById("cite-tip");
  if (!tip) return;
  function show(cite) {
    var list = document.createElement("ul");
    cite.getAttribute("data-facts").split(" ").forEach(function (id) {
      var fact = document.getElementById("f" + id);
      if (!fact) return;
      var item = document.createElement("li");
      item.textContent = fact.getAttribute("data-summary");
      list.appendChild(item);
    });
    tip.replaceChildren(list);
    tip.hidden = false;
    var box = cite.getBoundingClientRect();
    tip.style.left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8)) + "px";
    tip.style.top = (box.bottom + window.scrollY + 6) + "px";
    cite.setAttribute("aria-describedby", "cite-tip");
    cite.classList.add("active");
  }
  function hide(cite) {
    tip.hidden = true;
    cite.removeAttribute("aria-describedby");
    cite.classList.remove("active");
  }
  document.querySelectorAll(".cite").forEach(function (cite) {
    cite.addEventListener("mouseenter", function () { show(cite); });
    cite.addEventListener("focus", function () { show(cite); });
    cite.addEventListener("mouseleave", function () { hide(cite); });
    cite.addEventListener("blur", function () { hide(cite); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") tip.hidden = true;
  });
})();
