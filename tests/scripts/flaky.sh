#!/bin/sh
# Fail on the first attempt (JOBTUI_ATTEMPT unset or 1), succeed on retries.
if [ "${JOBTUI_ATTEMPT:-1}" = "1" ]; then
    echo "attempt 1 fails" >&2
    exit 1
fi
echo "::result::3"
