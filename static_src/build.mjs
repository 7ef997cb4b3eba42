// Copies the front-end files we serve into static/build/ (git-ignored).
// nhsuk-frontend ships an ES module; we append our start-up code to it so that one module file
// is served and no relative import needs rewriting by the static files storage.
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "build");
const nhsuk = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");

mkdirSync(out, { recursive: true });
cpSync(join(nhsuk, "assets", "images"), join(out, "assets", "images"), { recursive: true });

const frontend = readFileSync(join(nhsuk, "nhsuk-frontend.min.js"), "utf8").replace(
  /\/\/# sourceMappingURL=.*$/m,
  "",
);
const app = readFileSync(join(root, "static_src", "js", "app.js"), "utf8");
const drafts = readFileSync(join(root, "static_src", "js", "drafts.js"), "utf8");
const quote = readFileSync(join(root, "static_src", "js", "quote.js"), "utf8");
writeFileSync(join(out, "app.js"), `${frontend}\n${app}\n${drafts}\n${quote}\n`);
copyFileSync(join(root, "node_modules", "htmx.org", "dist", "htmx.min.js"), join(out, "htmx.min.js"));
console.log("Built static/build/app.js and copied htmx and images.");
