# Sourced by bin/havirt and bin/havirtverify (POSIX sh, no process started: it runs on every
# command). Sets $cds to the JVM options that map the class-data archive lib/havirt.jsa that
# bin/havirt-cds made (README.md, "Command start-up"), or to nothing when that archive would
# not fit this start.
#
# A JDK 17 static archive fits only the JVM build and the jars (paths, sizes, times) it was made
# with; one that does not fit is refused by the JVM, which then starts with no archive at all,
# not even the JDK's own, and is slower than without ours. So the archive is used only when
# lib/havirt.jsa.id says it was made for this directory and for a libjvm.so with the modification
# time of the .id file itself, and no jar is newer than the archive. What this cannot see (java
# switched by update-alternatives to another JDK) makes the JVM refuse it: slower, never failing,
# and silent (-Xlog:cds=off: its notes would read as errors). HAVIRT_CDS=off starts without it.
cds=
if [ "${HAVIRT_CDS:-on}" != off ] && [ -r "$home/lib/havirt.jsa" ] && [ -r "$home/lib/havirt.jsa.id" ]; then
  { read -r cds_home; read -r cds_jvm; } <"$home/lib/havirt.jsa.id" || true
  if [ -n "${JAVA_HOME:-}" ]; then
    cds_jvm=$JAVA_HOME/lib/server/libjvm.so
  fi
  if [ "${cds_home:-}" = "$home" ] && [ -e "${cds_jvm:-}" ] \
    && ! [ "$cds_jvm" -nt "$home/lib/havirt.jsa.id" ] && ! [ "$cds_jvm" -ot "$home/lib/havirt.jsa.id" ]; then
    cds="-XX:SharedArchiveFile=$home/lib/havirt.jsa -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"
    for cds_jar in "$home"/lib/*.jar; do
      if [ "$cds_jar" -nt "$home/lib/havirt.jsa" ]; then
        cds=
      fi
    done
  fi
fi
