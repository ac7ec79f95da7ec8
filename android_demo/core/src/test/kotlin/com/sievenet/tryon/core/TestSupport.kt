package com.sievenet.tryon.core

import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import java.io.File

/** Shared helpers of the JVM tests (JUnit 4; compiles with Kotlin 1.3). */
object TestSupport {
    /** The tiny preset's contract, in the exporter's format (src/test/resources). */
    fun fixtureText(): String {
        val stream = TestSupport::class.java.getResourceAsStream("/model_contract_tiny.json")
            ?: throw IllegalStateException("model_contract_tiny.json is not on the test classpath")
        return stream.bufferedReader().use { it.readText() }
    }

    fun fixture(): ModelContract = ModelContract.parse(fixtureText())

    /**
     * The same contract with the photo graph the exporter describes for the tiny
     * preset (`build_contract(..., photo=...)`: graphs.photo, min_keypoints 8).
     */
    fun photoFixture(): ModelContract {
        val stream = TestSupport::class.java.getResourceAsStream("/model_contract_tiny_photo.json")
            ?: throw IllegalStateException("model_contract_tiny_photo.json is not on the test classpath")
        return ModelContract.parse(stream.bufferedReader().use { it.readText() })
    }

    /**
     * The app's bundled samples: -Dsievenet.samples=DIR, else the path relative to
     * the core module (Gradle and run_jvm_tests.sh both run from android_demo/core).
     */
    fun samplesDir(): File {
        val configured = System.getProperty("sievenet.samples")
        return if (configured != null) File(configured) else File("../app/src/main/assets/samples")
    }

    /** A spec with only the fields the packing code reads. */
    fun spec(
        name: String,
        shape: List<Int>,
        dtype: String = "float32",
        encoding: String = "image",
        range: List<Double>? = null,
        labelSet: String? = null
    ) = TensorSpec(name, shape, dtype, encoding, range, labelSet, null)

    /** A minimal .npy file as numpy.save writes it (format 1.0, C order). */
    fun npy(descr: String, shape: String, data: ByteArray, version: Int = 1): ByteArray {
        var header = "{'descr': '$descr', 'fortran_order': False, 'shape': $shape, }"
        val prefix = if (version == 1) 10 else 12
        while ((prefix + header.length + 1) % 64 != 0) header += " "
        header += "\n"
        val out = java.io.ByteArrayOutputStream()
        out.write(byteArrayOf(0x93.toByte(), 0x4E, 0x55, 0x4D, 0x50, 0x59, version.toByte(), 0))
        val n = header.length
        if (version == 1) {
            out.write(n and 0xFF)
            out.write(n shr 8)
        } else {
            out.write(n and 0xFF)
            out.write((n shr 8) and 0xFF)
            out.write((n shr 16) and 0xFF)
            out.write((n shr 24) and 0xFF)
        }
        out.write(header.toByteArray(Charsets.ISO_8859_1))
        out.write(data)
        return out.toByteArray()
    }
}

/** Runs [block], expects an [IllegalArgumentException] whose message contains every fragment. */
fun assertIllegalArgument(vararg fragments: String, block: () -> Unit): IllegalArgumentException {
    try {
        block()
    } catch (e: IllegalArgumentException) {
        val message = e.message ?: ""
        for (fragment in fragments) {
            assertTrue("message \"$message\" should contain \"$fragment\"", message.contains(fragment))
        }
        return e
    }
    fail("expected an IllegalArgumentException mentioning ${fragments.toList()}")
    throw AssertionError("unreachable")
}
