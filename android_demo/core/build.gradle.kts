import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// Plain Kotlin, no Android: the model-independent logic of the app (contract
// parsing, tensor packing, output decoding). CI compiles and tests the same
// sources with Debian's Kotlin 1.3 and Gson 2.10 (run_jvm_tests.sh), so keep
// them 1.3-clean (no sealed interfaces, value classes, trailing commas,
// Char.code, uppercase()...) and use only Gson API that 2.10 has.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // JSON reading (Json.kt). No Gson type is in core's public API, so the app
    // gets it on its runtime classpath without declaring it.
    implementation(libs.gson)
    testImplementation(libs.junit)
}

tasks.test {
    // SamplesTest reads the app's bundled samples.
    systemProperty("sievenet.samples", rootProject.file("app/src/main/assets/samples").absolutePath)
}
