#!/bin/sh
# clamd with freshclam beside it. clamd will not start without a signature database, so the first
# freshclam run completes before clamd starts; then freshclam stays up as a daemon, checking
# FRESHCLAM_CHECKS times a day and asking clamd to reload after each update. clamd is exec'd:
# it receives the container's SIGTERM itself.
#
# The commands and paths are variables so the script can be exercised outside the image.
set -eu

clamd=${CLAMD:-clamd}
freshclam=${FRESHCLAM:-freshclam}
clamd_config=${CLAMD_CONFIG:-/etc/clamav/clamd.conf}
freshclam_config=${FRESHCLAM_CONFIG:-/etc/clamav/freshclam.conf}
database=${CLAMAV_DATABASE:-/var/lib/clamav}
checks=${FRESHCLAM_CHECKS:-12}

if ! "$freshclam" --config-file="$freshclam_config" --stdout; then
    # Without signatures there is nothing to serve: fail, and let ECS start a new task.
    if [ -z "$(ls -A "$database" 2>/dev/null)" ]; then
        echo "freshclam failed and $database holds no signatures: clamd cannot start" >&2
        exit 1
    fi
    echo "freshclam failed: starting clamd with the signatures already in $database" >&2
fi

"$freshclam" --config-file="$freshclam_config" --stdout --daemon --foreground --checks="$checks" &

exec "$clamd" --config-file="$clamd_config" --foreground
