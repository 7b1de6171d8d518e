#!/usr/bin/env bash
# Refresh the vendored NL Design System CSS from the npm packages installed by `npm ci` (the versions
# pinned in package.json / package-lock.json): `make web-assets`. The page loads only these built
# files; nothing is built or fetched when it runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
modules="$root/node_modules"
out="$root/api/http/web/static/vendor/nl-design-system"
# the Utrecht component library's components the page uses (each package's own built CSS)
components=(
  root document page-header page-body page-footer nav-bar nav-list skip-link
  heading-1 heading-2 heading-3 paragraph link button button-link
  table form-field form-label form-fieldset form-field-description textbox textarea select checkbox
  alert status-badge data-list unordered-list separator
)
theme="@nl-design-system-unstable/voorbeeld-design-tokens"
mkdir -p "$out"
version() { node -p "require('$modules/$1/package.json').version"; }
{
  echo "/* The Utrecht component library's CSS (NL Design System), EUPL-1.2: see LICENCE-EUPL-1.2.md and README.md."
  echo " * Made by api/http/web/vendor.sh from these npm packages: do not edit. */"
  for c in "${components[@]}"; do
    echo "/* @utrecht/$c-css $(version "@utrecht/$c-css") */"
    cat "$modules/@utrecht/$c-css/dist/index.min.css"
    echo
  done
} > "$out/utrecht-components.css"
{
  echo "/* $theme $(version "$theme") (NL Design System's example theme), EUPL-1.2: see LICENCE-EUPL-1.2.md and README.md."
  echo " * Made by api/http/web/vendor.sh from this npm package: do not edit. */"
  cat "$modules/$theme/dist/theme.css"
} > "$out/voorbeeld-theme.css"
cp "$modules/@utrecht/button-css/LICENSE.md" "$out/LICENCE-EUPL-1.2.md"
{
  echo "# Vendored NL Design System CSS"
  echo
  echo "Built CSS files copied from npm packages by \`make web-assets\` (api/http/web/vendor.sh),"
  echo "so that the coaches' page needs no internet and no build step when it runs. Do not edit them: bump the"
  echo "versions in package.json, run \`npm install\`, then \`make web-assets\`, and commit the result."
  echo
  echo "All are licensed under the European Union Public Licence 1.2 (LICENCE-EUPL-1.2.md)."
  echo
  echo "| file | npm package | version |"
  echo "|---|---|---|"
  for c in "${components[@]}"; do
    echo "| utrecht-components.css | @utrecht/$c-css | $(version "@utrecht/$c-css") |"
  done
  echo "| voorbeeld-theme.css | $theme | $(version "$theme") |"
} > "$out/README.md"
echo "vendored into $out"
