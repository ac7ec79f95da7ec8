package com.sievenet.tryon.core

/**
 * Turns LiteRT's GPU delegate failures into a message a user can act on.
 *
 * When the delegate cannot take the graph, LiteRT throws with a log-like
 * message, e.g.
 *
 * ```
 * Internal error: Failed to apply delegate: Following operations are not supported by GPU delegate:
 * GATHER_ND: Operation is not supported.
 * CAST: Not supported Cast case. Input type: INT32 and output type: FLOAT32.
 * 40 operations will run on the GPU, and the remaining 9 operations will run on the CPU.
 * ```
 *
 * [explainGpuFailure] lists the ops by name and says what to do.
 */
object DelegateErrors {
    private val OP_LINE = Regex("^\\s*([A-Z][A-Z0-9_]*[A-Z0-9]): (.+)$")

    /** The op names (e.g. GATHER_ND) a GPU delegate error says it cannot run, in order, without repeats. */
    fun unsupportedOps(message: String?): List<String> {
        if (message == null) return emptyList()
        val ops = LinkedHashSet<String>()
        for (line in message.lines()) {
            val match = OP_LINE.find(line) ?: continue
            val op = match.groupValues[1]
            // "TfLiteGpuDelegate Init: ..." and similar are not op lines (not all caps).
            ops.add(op)
        }
        return ops.toList()
    }

    /**
     * True when an interpreter error comes from the delegate rather than from the
     * app's own checks (LiteRT reports both as IllegalArgumentException).
     */
    fun isDelegateFailure(message: String?): Boolean {
        if (message == null) return false
        return unsupportedOps(message).isNotEmpty() ||
            listOf("delegate", "GPU", "OpenCL", "OpenGL").any { message.contains(it, ignoreCase = true) }
    }

    fun explainGpuFailure(message: String?): String {
        val ops = unsupportedOps(message)
        val first = message?.lines()?.firstOrNull { it.isNotBlank() }?.trim() ?: "no details"
        return if (ops.isNotEmpty()) {
            "The GPU delegate cannot run this model: it does not support ${ops.joinToString(", ")}. " +
                "Choose CPU (XNNPACK) to run it, or export a model without these ops."
        } else {
            "The GPU delegate failed on this device ($first). Choose CPU (XNNPACK) to run the model."
        }
    }
}
