#!/usr/bin/env bash
# A job script without the Python helper: plain lines are Info, "::warning::"
# marks a warning, and the result goes to $JOBTUI_RESULT_FILE as JSON.
set -eu

echo "host report for $(uname -n)"
echo "kernel: $(uname -sr)"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "load (1 min): $load"
procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
echo "processes: $procs"
echo "::warning::report is a demo: no thresholds are checked"

feedback="load $load, $procs processes"
if [ -n "${JOBTUI_RESULT_FILE:-}" ]; then
    printf '{"result": 3, "feedback": "%s"}\n' "$feedback" > "$JOBTUI_RESULT_FILE"
else
    echo "::feedback::$feedback"
    echo "::result::3"
fi
exit 0
