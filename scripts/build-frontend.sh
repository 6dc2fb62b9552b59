#!/usr/bin/env bash
# Vendor GOV.UK Frontend into web/static/govuk, so running Pathways needs no Node.
# The version is pinned in package.json (and package-lock.json); to rebuild:
#     npm ci && bash scripts/build-frontend.sh
# Copies the compiled CSS and JS and the fonts and images only (no Sass, Nunjucks or source maps).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=node_modules/govuk-frontend/dist/govuk
DEST=web/static/govuk
[ -f "$SRC/govuk-frontend.min.css" ] || { echo "run 'npm ci' first: $SRC is missing" >&2; exit 1; }
rm -rf "$DEST"
mkdir -p "$DEST/assets"
# The CSS refers to /assets/...; make those URLs relative to the CSS file so they resolve under /static/govuk/.
sed -e 's#url(/assets/#url(assets/#g' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
    "$SRC/govuk-frontend.min.css" > "$DEST/govuk-frontend.min.css"
sed -e 's#//\# sourceMappingURL=.*$##' "$SRC/govuk-frontend.min.js" > "$DEST/govuk-frontend.min.js"
cp -R "$SRC/assets/fonts" "$SRC/assets/images" "$SRC/assets/manifest.json" "$DEST/assets/"
node -p 'const p = require("./node_modules/govuk-frontend/package.json");
  JSON.stringify({name: p.name, version: p.version, license: p.license})' > "$DEST/VERSION.json"
echo "vendored govuk-frontend $(node -p 'require("./node_modules/govuk-frontend/package.json").version') into $DEST ($(du -sh "$DEST" | cut -f1))"
