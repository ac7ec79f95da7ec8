import org.jetbrains.kotlin.gradle.dsl.JvmTarget
import java.io.File
import javax.inject.Inject

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "com.sievenet.tryon"
    compileSdk = 36

    defaultConfig {
        applicationId = "com.sievenet.tryon"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    buildFeatures {
        compose = true
    }
    androidResources {
        // The interpreter memory-maps the model straight from the APK: keep it uncompressed.
        noCompress += "tflite"
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":core")) // brings Gson (core's JSON reading) at runtime

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.lifecycle.runtime.ktx)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.activity.compose) // Photo Picker and TakePicture contracts
    implementation(libs.androidx.exifinterface)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.graphics)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.compose.foundation)
    implementation(libs.androidx.compose.material3)

    implementation(libs.litert)
    implementation(libs.litert.gpu)
    implementation(libs.litert.gpu.api)

    debugImplementation(libs.androidx.compose.ui.tooling)
}

/**
 * Copies an export into the app: every `*.tflite` and `model_contract.json` of
 * `-PexportDir=...` (what `export/export.py` writes) go to `src/main/assets/`,
 * which git ignores. Old `.tflite` files are removed first so that a stale
 * variant of another model cannot sit next to the new contract; the samples in
 * `assets/samples/` are left alone.
 *
 *     ./gradlew :app:copyModel -PexportDir=/path/to/runs/demo/export
 */
abstract class CopyModelTask : DefaultTask() {
    @get:Input
    @get:Optional
    abstract val exportDir: Property<String>

    @get:OutputDirectory
    abstract val assetsDir: DirectoryProperty

    @get:Inject
    abstract val files: FileSystemOperations

    @TaskAction
    fun copy() {
        val dirName = exportDir.orNull
            ?: throw GradleException("copyModel needs the export directory: ./gradlew :app:copyModel -PexportDir=/path/to/export")
        val source = File(dirName)
        if (!File(source, "model_contract.json").isFile) {
            throw GradleException("$source has no model_contract.json: is it the directory an export wrote?")
        }
        val models = source.listFiles { f -> f.isFile && f.name.endsWith(".tflite") }.orEmpty()
        if (models.isEmpty()) throw GradleException("$source has no .tflite file")
        val target = assetsDir.get().asFile
        val stale = target.listFiles { f -> f.isFile && f.name.endsWith(".tflite") }.orEmpty()
        files.delete { delete(*stale) }
        files.copy {
            from(source) { include("*.tflite", "model_contract.json") }
            into(target)
        }
        logger.lifecycle("Copied model_contract.json and ${models.joinToString { it.name }} into $target")
    }
}

tasks.register<CopyModelTask>("copyModel") {
    group = "sievenet"
    description = "Copies *.tflite and model_contract.json from -PexportDir=... into src/main/assets/."
    exportDir.set(providers.gradleProperty("exportDir"))
    assetsDir.set(layout.projectDirectory.dir("src/main/assets"))
    outputs.upToDateWhen { false }
}
