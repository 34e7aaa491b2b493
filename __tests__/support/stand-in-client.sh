#!/bin/bash
# The stand-in commands of support/stand-in.ts are links to this script: it sends its command
# line, its working directory, the variables STAND_IN_VARIABLES names (those that are set) and,
# when an argument names standard input ("-", or curl's "@-"), its standard input to the
# stand-in-server.mjs on 127.0.0.1:$STAND_IN_PORT, then prints what the server answers and exits
# with its code. Bash builtins only: a call costs no process of its own.
LC_ALL=C # lengths in bytes

input=
for arg; do
  if [ "$arg" = - ] || [ "$arg" = @- ]; then
    IFS= read -r -d '' input
    break
  fi
done
variables=()
for name in $STAND_IN_VARIABLES; do
  [ -z "${!name+set}" ] || variables+=("$name=${!name}")
done

exec 3<>"/dev/tcp/127.0.0.1/$STAND_IN_PORT" || exit 98
printf '%s\0' "$#" "${0##*/}" "$@" "$PWD" "${#variables[@]}" "${variables[@]}" "${#input}" >&3
printf '%s' "$input" >&3

# The answer: the exit code, the lengths of stdout and stderr in bytes (a line each), then both.
{ read -r code && read -r out_bytes && read -r err_bytes; } <&3 || exit 98
IFS= read -r -N "$out_bytes" out <&3
IFS= read -r -N "$err_bytes" err <&3
printf '%s' "$out"
printf '%s' "$err" >&2
exit "$code"
