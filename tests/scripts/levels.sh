#!/bin/sh
echo "::verbose::a verbose line"
echo "::debug::a debug line"
echo "::info::an info line"
echo "::warning::a warning line"
echo "::error::an error line"
echo "a plain line"
echo "a stderr line" >&2
