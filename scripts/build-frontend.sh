#!/usr/bin/env bash
# Vendor the front-end packages into web/static (and axe-core into tests/browser/vendor), so running
# Pathways needs no Node. Versions are pinned in package.json (and package-lock.json); to rebuild:
#     npm ci && bash scripts/build-frontend.sh
# Copies compiled CSS, JS, fonts and images only (no Sass, Nunjucks, sources or source maps):
#   web/static/govuk    GOV.UK Frontend (the look of every page)
#   web/static/moj      MOJ Frontend's CSS and its images (the case page's timeline), built on GOV.UK Frontend
#   web/static/bpmn-js  the bpmn-js navigated viewer (the case page's diagram) with its CSS and font
#   tests/browser/vendor/axe.min.js   axe-core, injected into pages by the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
NM=node_modules
for f in "$NM/govuk-frontend/dist/govuk/govuk-frontend.min.css" "$NM/@ministryofjustice/frontend/moj/moj-frontend.min.css" \
         "$NM/bpmn-js/dist/bpmn-navigated-viewer.production.min.js" "$NM/axe-core/axe.min.js"; do
  [ -f "$f" ] || { echo "run 'npm ci' first: $f is missing" >&2; exit 1; }
done

version_json() {  # version_json PACKAGE-DIR DEST: record what was vendored
  node -p "const p = require('./$1/package.json');
    JSON.stringify({name: p.name, version: p.version, license: p.license})" > "$2/VERSION.json"
}
strip_maps() { sed -e 's#/\*\# sourceMappingURL=[^*]*\*/##' -e 's#//\# sourceMappingURL=.*$##' "$@"; }

# GOV.UK Frontend. The CSS refers to /assets/...; make those URLs relative to the CSS file so they
# resolve under /static/govuk/.
SRC=$NM/govuk-frontend/dist/govuk
DEST=web/static/govuk
rm -rf "$DEST" && mkdir -p "$DEST/assets"
strip_maps "$SRC/govuk-frontend.min.css" | sed -e 's#url(/assets/#url(assets/#g' > "$DEST/govuk-frontend.min.css"
strip_maps "$SRC/govuk-frontend.min.js" > "$DEST/govuk-frontend.min.js"
cp -R "$SRC/assets/fonts" "$SRC/assets/images" "$SRC/assets/manifest.json" "$DEST/assets/"
version_json "$NM/govuk-frontend" "$DEST"

# MOJ Frontend: same treatment of its /assets/ URLs.
SRC=$NM/@ministryofjustice/frontend/moj
DEST=web/static/moj
rm -rf "$DEST" && mkdir -p "$DEST/assets"
strip_maps "$SRC/moj-frontend.min.css" | sed -e 's#url(/assets/#url(assets/#g' > "$DEST/moj-frontend.min.css"
cp -R "$SRC/assets/images" "$DEST/assets/"
version_json "$NM/@ministryofjustice/frontend" "$DEST"

# bpmn-js: the navigated viewer (a UMD bundle defining window.BpmnJS: view, pan and zoom, no editing).
SRC=$NM/bpmn-js/dist
DEST=web/static/bpmn-js
rm -rf "$DEST" && mkdir -p "$DEST/bpmn-font/css" "$DEST/bpmn-font/font"
strip_maps "$SRC/bpmn-navigated-viewer.production.min.js" > "$DEST/bpmn-navigated-viewer.production.min.js"
cp "$SRC/assets/diagram-js.css" "$SRC/assets/bpmn-js.css" "$DEST/"
cp "$SRC/assets/bpmn-font/css/bpmn.css" "$DEST/bpmn-font/css/"
cp "$SRC/assets/bpmn-font/font/bpmn.woff2" "$SRC/assets/bpmn-font/font/bpmn.woff" "$DEST/bpmn-font/font/"
version_json "$NM/bpmn-js" "$DEST"

# axe-core, for the browser tests' accessibility checks (never served by the app).
DEST=tests/browser/vendor
mkdir -p "$DEST"
strip_maps "$NM/axe-core/axe.min.js" > "$DEST/axe.min.js"
version_json "$NM/axe-core" "$DEST"

for d in web/static/govuk web/static/moj web/static/bpmn-js tests/browser/vendor; do
  echo "vendored $(node -p "require('./$d/VERSION.json').name + ' ' + require('./$d/VERSION.json').version") into $d ($(du -sh "$d" | cut -f1))"
done
