#!/bin/sh
# spamd with current rules. sa-update runs before spamd starts and then every SA_UPDATE_INTERVAL
# seconds (a day by default); when it installs new rules, spamd gets SIGHUP, on which it re-executes
# itself (same process id) and loads them. A failed update is logged and spamd keeps the rules it
# has (the image's at worst). spamd is exec'd: it receives the container's SIGTERM itself, and the
# update loop, started before the exec, signals that same process.
#
# Everything runs as the unprivileged user: spamd listens on an unprivileged port because, having
# dropped root, a re-executed spamd could not bind a privileged one again. The commands are
# variables so the script can be exercised outside the image.
set -eu

spamd=${SPAMD:-spamd}
sa_update=${SA_UPDATE:-sa-update}
listen=${SPAMD_LISTEN:-127.0.0.1:7830}
interval=${SA_UPDATE_INTERVAL:-86400}

# sa-update's exit status: 0 new rules installed, 1 none available, anything else an error.
update_rules() {
    status=0
    "$sa_update" || status=$?
    case $status in
        0) echo "sa-update: new rules installed" ;;
        1) echo "sa-update: the rules are current" ;;
        *) echo "sa-update failed (exit $status): keeping the rules at hand" >&2 ;;
    esac
    return "$status"
}

update_rules || true

spamd_pid=$$
(
    while sleep "$interval"; do
        if update_rules; then
            kill -HUP "$spamd_pid"
        fi
    done
) &

exec "$spamd" --listen="$listen" --allowed-ips=127.0.0.1 --nouser-config --syslog=stderr \
    --max-children="${SPAMD_MAX_CHILDREN:-5}"
