#!/usr/bin/env bash
# The man pages agree with the tools:
#  - every tools/sciml-*.c has a page man/NAME.1 whose .TH and NAME section name the tool and
#    whose SEE ALSO refers to sciml-fields(5);
#  - every long option that `NAME --help` prints appears in the page, and so does every
#    default in brackets of an option line of --help ([100], [adam], [MODEL.ckpt, ...]);
#  - groff renders every page (man/*.1 and man/*.5) without a warning (-ww); this part is
#    skipped with a note when groff is not installed.
# Run by CTest as `bash test_man_pages.sh` with SCIML_BIN (the built tools) and
# SCIML_SOURCE_DIR (the repository root). Exit 0 pass, 1 fail, 77 skip.
set -u

source_dir=${SCIML_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${SCIML_BIN:-}" ] || [ ! -d "$SCIML_BIN" ]; then
    echo "SKIP: SCIML_BIN is not set to the directory of the built tools"
    exit 77
fi
man_dir=$source_dir/man
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# The roff source as plain text: escapes that only affect typesetting removed, \- as -, and
# all white space collapsed to single spaces so phrases split over source lines still match.
plain_text() {
    sed -e 's/\\%//g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
        -e 's/\\(dq/"/g' -e 's/\\(aq/'"'"'/g' -e 's/\\e/\\/g' -e 's/\\c$//' "$1" |
        tr '\n\t' '  ' | tr -s ' '
}

# The bracketed defaults of the option lines of a --help text, one per line, white space
# collapsed. An option entry is a line starting with white space and '-', plus the indented
# continuation lines that follow it.
help_defaults() {
    awk '
        function flush() {
            text = entry
            while (match(text, /\[[^]]*\]/)) {
                print substr(text, RSTART, RLENGTH)
                text = substr(text, RSTART + RLENGTH)
            }
            entry = ""
        }
        /^[ \t]+-/ { flush(); entry = $0; next }
        /^[ \t]+[^ \t]/ && entry != "" { entry = entry " " $0; next }
        { flush() }
        END { flush() }
    ' | tr '\t' ' ' | tr -s ' '
}

tool_count=0
for source in "$source_dir"/tools/sciml-*.c; do
    [ -e "$source" ] || continue
    name=$(basename "$source" .c)
    tool_count=$((tool_count + 1))
    page=$man_dir/$name.1
    if [ ! -f "$page" ]; then
        fail "$name: no man page $page"
        continue
    fi
    upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
    if ! grep -Eq "^\.TH \"?$upper\"? 1( |$)" "$page"; then
        fail "$page: expected '.TH $upper 1 ...'"
    fi
    if ! sed -n '/^\.SH "\{0,1\}NAME/{n;p;}' "$page" | grep -Eq "^$name \\\\- "; then
        fail "$page: the NAME section should read '$name \\- description'"
    fi
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
        grep -Eq "^\.SH \"?$section\"?\$" "$page" || fail "$page: no section .SH $section"
    done
    text=$(plain_text "$page")
    case $text in
        *"sciml-fields (5)"*) ;;
        *) fail "$page: SEE ALSO should name sciml-fields(5)" ;;
    esac

    binary=$SCIML_BIN/$name
    if [ ! -x "$binary" ]; then
        fail "$name: no built tool $binary"
        continue
    fi
    if ! help=$("$binary" --help); then
        fail "$name --help exited with a non-zero status"
        continue
    fi
    options=$(printf '%s\n' "$help" | grep -o -- '--[a-z-]*' | grep -v -- '^--$' | sort -u)
    if [ -z "$options" ]; then
        fail "$name --help prints no long option"
    fi
    for option in $options; do
        if ! printf '%s\n' "$text" | grep -Eq -- "(^|[^a-z-])$option([^a-z-]|\$)"; then
            fail "$page: does not mention $option (printed by $name --help)"
        fi
    done
    while IFS= read -r default; do
        [ -n "$default" ] || continue
        case $text in
            *"$default"*) ;;
            *) fail "$page: does not show the default $default of $name --help" ;;
        esac
    done < <(printf '%s\n' "$help" | help_defaults)
done
if [ "$tool_count" -eq 0 ]; then
    fail "no tools/sciml-*.c under $source_dir"
fi

if command -v groff >/dev/null 2>&1; then
    for page in "$man_dir"/*.1 "$man_dir"/*.5; do
        [ -f "$page" ] || continue
        warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
        status=$?
        if [ $status -ne 0 ] || [ -n "$warnings" ]; then
            fail "$page: groff -man -ww reports (status $status):"
            printf '%s\n' "$warnings" | sed 's/^/    /'
        fi
    done
else
    echo "NOTE: groff is not installed; the rendering check is skipped"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "PASS: $tool_count tools have man pages that agree with --help"
exit 0
