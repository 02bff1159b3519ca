// Ordinary first-party code that keksdose was not told about.
window.kdDemo = window.kdDemo || {};
// (b) A real cookie library from npm (js-cookie): a declared tracker cookie and an undeclared one.
window.Cookies.set("_gid", "GA1.1.demo", { expires: 1, path: "/" });
window.Cookies.set("mystery", "undeclared", { path: "/" });
// (c) The Cookie Store API.
if (window.cookieStore) {
  window.cookieStore.set("_ga_DEMO", "GS1.1.demo");
  window.cookieStore.set({ name: "_pk_ref.1", value: "demo", path: "/" });
}
// (d) Web storage, by method and by property; "cart" is declared necessary.
localStorage.setItem("_ga_client", "demo");
localStorage.matomo_visitor = "demo";
sessionStorage.setItem("matomo_session", "demo");
localStorage.setItem("cart", "[]");
window.kdDemo.unmarkedRan = true;
