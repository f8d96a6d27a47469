# Sourced by the end-to-end bash tests, first thing after their arguments: a scratch folder that is
# removed on exit and is the current directory from here on, ok/bad bookkeeping (the test exits
# with $fail), and a log's lines without the software-renderer warning lavapipe always prints.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
messages() { grep -v "is a software renderer" "$1"; }
