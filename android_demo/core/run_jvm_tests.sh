#!/usr/bin/env bash
# Compiles the Android demo's plain-Kotlin core and its JUnit 4 tests with
# Debian's kotlinc (Kotlin 1.3) and runs them on the JVM: no Android SDK, no
# Gradle, no Maven. Installs the Debian packages kotlin, junit4 and
# libgoogle-gson-java (Gson, which the core reads JSON with) when they are
# missing (needs root or sudo, as on CI).
#
#   bash android_demo/core/run_jvm_tests.sh
#
# Ends with "N passed, N failed" and exits non-zero when a test fails or the
# code does not compile. Output goes to android_demo/core/build/jvm-tests/
# (git-ignored).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

JAVA_DIR=/usr/share/java
JUNIT_JAR="$JAVA_DIR/junit4.jar"
HAMCREST_JAR="$JAVA_DIR/hamcrest-core.jar"
GSON_JAR="$JAVA_DIR/gson.jar"
PACKAGES=(kotlin junit4 libgoogle-gson-java)

install_tools() {
    local apt=(apt-get)
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            apt=(sudo apt-get)
        else
            echo "kotlinc, junit4 or gson is missing and this user cannot run apt-get;" \
                "install the Debian packages ${PACKAGES[*]}" >&2
            exit 2
        fi
    fi
    echo "Installing Debian packages ${PACKAGES[*]}..."
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet.
    if ! "${apt[@]}" install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null 2>&1; then
        "${apt[@]}" update -qq
        "${apt[@]}" install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
    fi
}

if ! command -v kotlinc >/dev/null 2>&1 || [ ! -f "$JUNIT_JAR" ] || [ ! -f "$HAMCREST_JAR" ] ||
    [ ! -f "$GSON_JAR" ]; then
    install_tools
fi
for jar in "$JUNIT_JAR" "$HAMCREST_JAR" "$GSON_JAR"; do
    [ -f "$jar" ] || { echo "missing $jar after installing ${PACKAGES[*]}" >&2; exit 2; }
done
KOTLIN_STDLIB="$JAVA_DIR/kotlin-stdlib.jar"
[ -f "$KOTLIN_STDLIB" ] || KOTLIN_STDLIB="$(dirname "$(readlink -f "$(command -v kotlinc)")")/../lib/kotlin-stdlib.jar"
[ -f "$KOTLIN_STDLIB" ] || { echo "cannot find kotlin-stdlib.jar" >&2; exit 2; }

# The core must stay free of Android (and of desktop-only APIs the phone lacks);
# it reads JSON with Gson (com.google.gson), which both sides have.
if grep -rnE '^import (android|androidx|java\.awt|javax\.imageio|org\.json)\.' src/main/kotlin; then
    echo "src/main/kotlin must not import Android, AWT, ImageIO or org.json (see above)" >&2
    exit 1
fi

out="$here/build/jvm-tests"
rm -rf "$out"
mkdir -p "$out/classes"
echo "kotlinc: $(kotlinc -version 2>&1 | grep -o 'kotlinc-jvm.*' || true)"
echo "gson: $(dpkg-query -W -f '${Version}' libgoogle-gson-java 2>/dev/null || echo "$GSON_JAR")"
echo "Compiling src/main/kotlin and src/test/kotlin..."
# One compiler run for both source sets: kotlinc starts slowly. src/main has no
# test imports (checked above for Android; JUnit is only on the classpath).
kotlinc src/main/kotlin src/test/kotlin \
    -cp "$GSON_JAR:$JUNIT_JAR:$HAMCREST_JAR" \
    -jvm-target 1.8 \
    -d "$out/classes" 2> >(grep -vE 'Options -Xverify:none and -noverify were deprecated' >&2)

# Every compiled class named *Test, without nested or synthetic classes.
tests=()
while IFS= read -r file; do
    class="${file#"$out/classes/"}"
    class="${class%.class}"
    tests+=("${class//\//.}")
done < <(find "$out/classes" -name '*Test.class' ! -name '*$*' | sort)
if [ "${#tests[@]}" -eq 0 ]; then
    echo "no test classes found" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

echo "Running ${#tests[@]} test classes..."
java -cp "$out/classes:src/test/resources:$KOTLIN_STDLIB:$GSON_JAR:$JUNIT_JAR:$HAMCREST_JAR" \
    -Dsievenet.samples="$here/../app/src/main/assets/samples" \
    com.sievenet.tryon.core.JvmTestMain "${tests[@]}"
