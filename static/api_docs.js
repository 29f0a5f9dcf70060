// Draws /api/openapi.json with the locally served Swagger UI (gpanel/web/api/docs.py).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false,  // its anchors inside each operation's button fail axe (nested-interactive)
    tryItOutEnabled: false,
  });
});
