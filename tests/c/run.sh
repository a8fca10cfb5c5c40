#!/usr/bin/env bash
# Runs each C test binary given as argument against $SIM_URL (see scripts/with-sim.sh).
# Binaries named *_valgrind run under valgrind's memcheck: any error or leak fails them.
set -u
status=0
for t in "$@"; do
  case "$t" in
    *_valgrind)
      bin=${t%_valgrind}
      echo "== $bin (valgrind)"
      valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --error-exitcode=3 "$bin" "$SIM_URL" || status=1
      ;;
    *)
      echo "== $t"
      "$t" "$SIM_URL" || status=1
      ;;
  esac
done
exit $status
