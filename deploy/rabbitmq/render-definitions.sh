#!/bin/sh
# Writes the broker definitions (vhost, one user per service, permissions, policy) with the
# passwords taken from the environment, then runs the given command (the image's entrypoint).
#
#   render-definitions.sh TEMPLATE TARGET [COMMAND ...]
#
# Every ${NAME} in TEMPLATE is replaced by the JSON-escaped value of the environment variable
# NAME; an unset or empty one stops the container with its name, so a broker never starts with
# a blank password. The passwords live only in the environment and in TARGET (mode 0600, owned by
# the broker's user), never in the repository. RabbitMQ imports TARGET at every boot
# (load_definitions in rabbitmq.conf), so a changed password takes effect on restart.
set -eu

template="$1"
target="$2"
shift 2

umask 077
if ! awk '
function json_escape(text,    out, i, c) {
    out = ""
    for (i = 1; i <= length(text); i++) {
        c = substr(text, i, 1)
        if (c == "\\" || c == "\"") out = out "\\" c
        else if (c == "\n") out = out "\\n"
        else if (c == "\t") out = out "\\t"
        else if (c == "\r") out = out "\\r"
        else out = out c
    }
    return out
}
{
    line = $0
    rendered = ""
    while (match(line, /\$\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
        name = substr(line, RSTART + 2, RLENGTH - 3)
        if (!(name in ENVIRON) || ENVIRON[name] == "") {
            print "render-definitions: " name " is not set" > "/dev/stderr"
            failed = 1
            exit 1
        }
        rendered = rendered substr(line, 1, RSTART - 1) json_escape(ENVIRON[name])
        line = substr(line, RSTART + RLENGTH)
    }
    print rendered line
}
END { if (failed) exit 1 }
' "$template" > "$target.tmp"; then
    rm -f "$target.tmp"
    exit 1
fi
mv "$target.tmp" "$target"
# The image's entrypoint starts as root and then drops to the rabbitmq user, who must read it.
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
    chown rabbitmq:rabbitmq "$target"
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi
