#!/bin/sh
# The part of the official rabbitmq image's entrypoint the compose stack uses: start the broker
# as the rabbitmq user, in the foreground, logging to standard output. Debian's
# /usr/sbin/rabbitmq-server wrapper sends the log to a file, so the server script runs directly.
set -eu
if [ "${1:-}" = rabbitmq-server ]; then
    shift
    if [ "$(id -u)" = 0 ]; then
        chown rabbitmq:rabbitmq /var/lib/rabbitmq
        exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq \
            /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
    fi
    exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
