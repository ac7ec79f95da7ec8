package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class DelegateErrorsTest {
    private val failure = """
        Internal error: Failed to apply delegate: Following operations are not supported by GPU delegate:
        GATHER_ND: Operation is not supported.
        CAST: Not supported Cast case. Input type: INT32 and output type: FLOAT32.
        GATHER_ND: Operation is not supported.
        40 operations will run on the GPU, and the remaining 9 operations will run on the CPU.
        TfLiteGpuDelegate Init: MUL: Node has no dims
    """.trimIndent()

    @Test
    fun listsTheUnsupportedOpsOnce() {
        assertEquals(listOf("GATHER_ND", "CAST"), DelegateErrors.unsupportedOps(failure))
        assertEquals(emptyList<String>(), DelegateErrors.unsupportedOps(null))
    }

    @Test
    fun tellsDelegateFailuresFromTheAppsOwnErrors() {
        assertTrue(DelegateErrors.isDelegateFailure(failure))
        assertTrue(DelegateErrors.isDelegateFailure("TfLiteGpuDelegate Invoke: Write to buffer failed"))
        assertTrue(DelegateErrors.isDelegateFailure("Can not open OpenCL library on this device"))
        assertTrue(!DelegateErrors.isDelegateFailure("input 'person': 7 pixels for a 4x2 image (8 expected)"))
        assertTrue(!DelegateErrors.isDelegateFailure(null))
    }

    @Test
    fun explainsWhatToDo() {
        val text = DelegateErrors.explainGpuFailure(failure)
        assertTrue(text, text.contains("does not support GATHER_ND, CAST"))
        assertTrue(text, text.contains("Choose CPU"))
        val noOps = DelegateErrors.explainGpuFailure("\nCan not open OpenCL library on this device - undefined symbol: clGetCommandBufferInfoKHR")
        assertTrue(noOps, noOps.startsWith("The GPU delegate failed on this device (Can not open OpenCL library"))
        assertTrue(DelegateErrors.explainGpuFailure(null).contains("no details"))
    }
}
