#!/usr/bin/env bash
# Extract every marked string into the six catalogues, then compile them.
# Needs GNU gettext (xgettext, msgfmt). Run from the repository root:
#   bash scripts/update_catalogues.sh            # extract + compile
#   bash scripts/update_catalogues.sh --compile  # compile only
set -euo pipefail
cd "$(dirname "$0")/../kliyan"
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-kliyan.config.settings_test}
LANGS=(en fr ht ny sq ro)

if [[ "${1:-}" != "--compile" ]]; then
  args=()
  for code in "${LANGS[@]}"; do args+=(-l "$code"); done
  django-admin makemessages "${args[@]}" --no-location --no-wrap --no-obsolete \
    --ignore 'tests/*' --ignore '*/tests/*' --ignore 'static/*' --ignore '*/static/*'
  python - <<'PY'
# makemessages leaves template headers; give each catalogue its language and plural rule.
import re
from pathlib import Path
plural = {
    "en": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "ht": "nplurals=2; plural=(n != 1);",
    "ny": "nplurals=2; plural=(n != 1);",
    "sq": "nplurals=2; plural=(n != 1);",
    "ro": "nplurals=3; plural=(n==1?0:(((n%100>19)||((n%100==0)&&(n!=0)))?2:1));",
}
for code, rule in plural.items():
    path = Path("locale") / code / "LC_MESSAGES" / "django.po"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'"Language: [^"]*\\n"', f'"Language: {code}\\\\n"', text, count=1)
    text = re.sub(r'"Plural-Forms: [^"]*\\n"', f'"Plural-Forms: {rule}\\\\n"', text, count=1)
    text = text.replace('"Content-Type: text/plain; charset=CHARSET\\n"', '"Content-Type: text/plain; charset=UTF-8\\n"')
    # The header is never a translation to review.
    text = re.sub(r'\A((?:#[^\n]*\n)*?)#, fuzzy\n', r'\1', text, count=1)
    path.write_text(text, encoding="utf-8")
PY
  # English is the source language: its translations are the messages themselves
  # (msgmerge's fuzzy guesses are emptied first, then every empty entry gets its msgid).
  en=locale/en/LC_MESSAGES/django.po
  msgattrib --no-wrap --clear-fuzzy --empty -o "$en" "$en"
  msgen --no-wrap -o "$en" "$en"
fi

for code in "${LANGS[@]}"; do
  msgfmt --check-format -o "locale/$code/LC_MESSAGES/django.mo" "locale/$code/LC_MESSAGES/django.po"
done
