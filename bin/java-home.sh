# Sourced by bin/sluice, bench/ and .ci/run: sets JAVA_HOME to a JDK >= 25.
# Order: JAVA_HOME when it is >= 25, else the newest JDK >= 25 under /usr/lib/jvm, else a clear error.
sluice_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -1
}
sluice_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    local v; v=$(sluice_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then return 0; fi
  fi
  local best="" best_v=0 dir v
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] || continue
    v=$(sluice_java_major "$dir")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$best_v" ]; then best=$dir; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "sluice: needs a JDK 25 or newer; set JAVA_HOME to one (found none under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
sluice_find_java || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
