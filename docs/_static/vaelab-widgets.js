// What the pages' widgets need from the course site, loaded after require.js and before
// Jupyter's HTML widget manager (docs/conf.py, nb_ipywidgets_js).
(function () {
  var root = document.documentElement.dataset.content_root || "";

  // The widgets' front ends are served by the site (docs/conf.py copies them from the installed
  // packages): the widget manager asks RequireJS for "anywidget" and "jupyter-matplotlib",
  // which resolve here instead of a CDN.
  require.config({
    paths: {
      anywidget: root + "_static/anywidget/index",
      "jupyter-matplotlib": root + "_static/jupyter-matplotlib/index",
      // The widget manager's own modules (it names them by their npm paths, which RequireJS
      // would otherwise resolve against the page's folder): each loads its fonts from
      // beside its own address, so every one of them is placed beside the fonts.
      "@jupyter-widgets": root + "_static/html-manager/dist",
      "@jupyter-widgets/html-manager/dist": root + "_static/html-manager/dist",
    },
  });
  // Where the widget manager's fonts are, for the part of it that reads this setting.
  window.__jupyter_widgets_assets_path__ = root + "_static/html-manager/dist/";

  // The widget manager typesets a label with MathJax 2's MathJax.Hub.Queue whenever
  // window.MathJax exists; the site runs MathJax 3, which has no Hub. Until MathJax 3 is
  // ready the labels wait in a list, then it typesets them and every later one.
  var waiting = [];
  window.MathJax = window.MathJax || {};
  window.MathJax.Hub = {
    Queue: function (job) {
      waiting.push(job[2]);
    },
  };
  window.MathJax.startup = {
    ready: function () {
      var mathjax = window.MathJax;
      mathjax.startup.defaultReady();
      mathjax.Hub = {
        Queue: function (job) {
          mathjax.typesetPromise([job[2]]);
        },
      };
      mathjax.startup.promise.then(function () {
        if (waiting.length) mathjax.typesetPromise(waiting);
      });
    },
  };
})();
