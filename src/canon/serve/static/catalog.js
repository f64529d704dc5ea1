// Live search and filter over the metric cards; without JavaScript the form filters on the server.
(function () {
  var form = document.querySelector("form.filter");
  var list = document.getElementById("metric-list");
  var shown = document.getElementById("shown");
  if (!form || !list) return;
  var q = form.querySelector("#q"), status = form.querySelector("#status"), owner = form.querySelector("#owner");
  function plural(n) { return n + (n === 1 ? " metric" : " metrics"); }
  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    list.querySelectorAll("li.card").forEach(function (card) {
      var text = card.getAttribute("data-search");
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
      ok = ok && (!status.value || card.getAttribute("data-status") === status.value);
      ok = ok && (!owner.value || card.getAttribute("data-owner") === owner.value);
      card.hidden = !ok;
      if (ok) n += 1;
    });
    shown.textContent = "Showing " + plural(n);
  }
  q.addEventListener("input", apply);
  status.addEventListener("change", apply);
  owner.addEventListener("change", apply);
})();
