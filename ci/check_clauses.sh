#!/usr/bin/env bash
# Checks that every normative clause of spec/PROTOCOL.md is cited by a test.
#
# A clause is a bullet that starts with a bold ID, "- **R-XXX-N**". A test cites
# a clause by naming its ID anywhere under tests/ (by convention in a comment
# above the test, e.g. "// R-UPLOAD-9"). A clause that no test can cite goes in
# ci/uncited_clauses.txt with a one-line reason.
#
# Prints the clauses, the citations and the uncited clauses, and exits non-zero
# if a clause is neither cited nor allowlisted, if a test cites an ID the spec
# does not define, or if the allowlist names a clause that is cited (stale) or
# not defined, or gives no reason.
#
# Usage: ci/check_clauses.sh [REPO_ROOT]   (default: the parent of ci/)
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
spec="$root/spec/PROTOCOL.md"
tests="$root/tests"
allowlist="$root/ci/uncited_clauses.txt"
for required in "$spec" "$tests" "$allowlist"; do
  if [[ ! -e "$required" ]]; then
    echo "check_clauses: missing $required" >&2
    exit 2
  fi
done

id_pattern='R-[A-Z]+-[0-9]+'
clauses=$(grep -oE "^[[:space:]]*- \*\*${id_pattern}\*\*" "$spec" | grep -oE "$id_pattern" | sort -u)
cited=$(grep -rhoE "$id_pattern" "$tests" | sort -u || true)
# Allowlist lines: "R-XXX-N reason...", blank lines and "#" comments ignored.
allowed_lines=$(grep -vE '^[[:space:]]*(#|$)' "$allowlist" || true)
allowed=$(printf '%s\n' "$allowed_lines" | awk 'NF { print $1 }' | sort -u)

count() { if [[ -z "$1" ]]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }
only_in() { comm -23 <(printf '%s\n' "$1" | sed '/^$/d') <(printf '%s\n' "$2" | sed '/^$/d'); }
both() { comm -12 <(printf '%s\n' "$1" | sed '/^$/d') <(printf '%s\n' "$2" | sed '/^$/d'); }

uncited=$(only_in "$clauses" "$cited")
missing=$(only_in "$uncited" "$allowed")
unknown=$(only_in "$cited" "$clauses")
stale=$(both "$allowed" "$cited")
undefined=$(only_in "$allowed" "$clauses")
no_reason=$(printf '%s\n' "$allowed_lines" | awk 'NF == 1 { print $1 }')

echo "spec clauses:        $(count "$clauses")"
echo "cited by tests:      $(count "$(both "$clauses" "$cited")")"
echo "uncited, allowlisted: $(count "$(both "$uncited" "$allowed")")"
if [[ -n "$uncited" ]]; then
  echo "uncited clauses:"
  while read -r id; do
    reason=$(printf '%s\n' "$allowed_lines" | awk -v id="$id" '$1 == id { $1 = ""; sub(/^ +/, ""); print; exit }')
    echo "  $id  ${reason:-(NOT ALLOWLISTED)}"
  done <<<"$uncited"
fi

status=0
report() {
  if [[ -n "$2" ]]; then
    echo "ERROR: $1:" >&2
    printf '  %s\n' $2 >&2
    status=1
  fi
}
report "clauses cited by no test and not in ci/uncited_clauses.txt" "$missing"
report "tests cite IDs the spec does not define" "$unknown"
report "allowlisted clauses that tests now cite (remove them from ci/uncited_clauses.txt)" "$stale"
report "allowlisted IDs the spec does not define" "$undefined"
report "allowlisted clauses without a reason" "$no_reason"
exit $status
